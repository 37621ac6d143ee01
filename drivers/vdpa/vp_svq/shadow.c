// SPDX-License-Identifier: GPL-2.0-only
/*
 * vp_svq: ring shadow mode of data queues.
 *
 * A plain virtio device cannot start a queue anywhere but at index 0, so a
 * queue that must continue from where another device (or this one, before
 * its queues were reset) stopped runs in ring shadow mode: the device runs
 * a split ring the driver owns, and the driver
 *  - copies each new chain's descriptors from the client's table to the
 *    same slots of its own, unchanged: addresses, lengths, flags, next
 *    links and indirect tables stay the client's, no buffer is copied;
 *  - offers the chain's head on its own avail ring, at its own index;
 *  - copies each used entry back to the client's used ring, at the
 *    client's index, and then calls the client's callback if the client
 *    wants one (VRING_AVAIL_F_NO_INTERRUPT, or the used event);
 *  - kicks the device when it wants a kick (VRING_USED_F_NO_NOTIFY, or
 *    the avail event).
 * Toward the client the driver suppresses nothing: it asks for every kick
 * (its avail event follows what it forwarded). Toward the device it asks
 * for every interrupt, so used entries reach the client also when the
 * client polls without a callback.
 *
 * Descriptor slots need no allocator: the client hands a slot out again
 * only after it saw it used, which it sees only after the device used it.
 *
 * Forwarding runs in the client's kick (any context) and in the queue's
 * interrupt handler, under the queue's shadow lock; the client's ring is
 * mapped into the kernel for as long as the queue is shadowed. Shadow mode
 * lasts until the next reset. Packed rings are not shadowed.
 */

#include <linux/moduleparam.h>
#include <linux/virtio_config.h>

#include "vp_svq.h"

static bool force_shadow;
module_param(force_shadow, bool, 0644);
MODULE_PARM_DESC(force_shadow,
		 "Run every split data queue in ring shadow mode, on each vDPA device from its next creation or reset (for benchmarks and tests; default off)");

static const char * const vp_svq_shadow_whys[] = {
	[VP_SVQ_SHADOW_NONE] = "passthrough",
	[VP_SVQ_SHADOW_FORCED] = "forced",
	[VP_SVQ_SHADOW_RESTORED] = "restored",
	[VP_SVQ_SHADOW_RESUMED] = "resumed",
};

/**
 * vp_svq_shadow_init() - a queue starts in passthrough
 * @vq: the queue, at device creation
 */
void vp_svq_shadow_init(struct vp_svq_vq *vq)
{
	spin_lock_init(&vq->shadow.lock);
	vq->shadow.why = VP_SVQ_SHADOW_NONE;
}

/**
 * vp_svq_shadow_latch_forced() - take force_shadow for the device's next run
 * @dev: the vDPA device, created or reset
 *
 * The parameter changes at any time, but doorbells and irqs handed out
 * while the device runs depend on it: a device sees a change only from
 * its next reset.
 */
void vp_svq_shadow_latch_forced(struct vp_svq_dev *dev)
{
	dev->force_shadow = READ_ONCE(force_shadow);
}

/**
 * vp_svq_shadow_active() - does @vq run in shadow mode?
 * @vq: the queue
 *
 * Return: true from vp_svq_shadow_start() to vp_svq_shadow_stop().
 */
bool vp_svq_shadow_active(struct vp_svq_vq *vq)
{
	return READ_ONCE(vq->shadow.why) != VP_SVQ_SHADOW_NONE;
}

static bool vp_svq_shadow_event_idx(struct vp_svq_dev *dev)
{
	return dev->hw_features & BIT_ULL(VIRTIO_RING_F_EVENT_IDX);
}

static u16 vp_svq_v16(__virtio16 v)
{
	return __virtio16_to_cpu(true, v);
}

static __virtio16 vp_svq_c16(u16 v)
{
	return __cpu_to_virtio16(true, v);
}

static void vp_svq_shadow_break(struct vp_svq_dev *dev, u16 idx,
				const char *why)
{
	struct vp_svq_shadow *sh = &dev->vqs[idx].shadow;

	lockdep_assert_held(&sh->lock);
	sh->broken = true;
	dev_err_ratelimited(dev->parent->dev,
			    "%s: vq %u: %s; the queue stops until the device is reset\n",
			    dev_name(&dev->vdpa.dev), idx, why);
}

/*
 * Copy the chain at @head to the device's table; false if it is invalid or
 * longer than the descriptors left in *@budget. The chains a client has in
 * flight never share a slot, so those it adds in one go hold at most a
 * table's worth of descriptors between them: the budget, a ring size per
 * forwarding pass, bounds the work a kick can cause.
 */
static bool vp_svq_shadow_copy_chain(struct vp_svq_shadow *sh, u16 head,
				     unsigned int *budget)
{
	unsigned int num = sh->client.num;
	u16 i = head;
	u16 flags;

	do {
		if (i >= num || !*budget)
			return false;
		(*budget)--;
		sh->ring.desc[i].addr = READ_ONCE(sh->client.desc[i].addr);
		sh->ring.desc[i].len = READ_ONCE(sh->client.desc[i].len);
		flags = vp_svq_v16(READ_ONCE(sh->client.desc[i].flags));
		sh->ring.desc[i].flags = vp_svq_c16(flags);
		sh->ring.desc[i].next = READ_ONCE(sh->client.desc[i].next);
		i = vp_svq_v16(sh->ring.desc[i].next);
	} while (flags & VRING_DESC_F_NEXT);
	return true;
}

/*
 * Forward new chains of the client's avail ring; how many were added.
 *
 * The client's avail index may only move forward, and by no more than the
 * ring has room for: chains forwarded and not yet used (last_avail -
 * used_idx) still hold their slots. An index that moved backwards reads as
 * a huge number of new entries and breaks the queue like one that ran
 * ahead. Each pass adds at most that room, and the room only shrinks while
 * the lock is held, so one call forwards at most a ring's worth of chains
 * and of descriptors, however the client moves its index meanwhile.
 */
static u16 vp_svq_shadow_forward_avail(struct vp_svq_dev *dev, u16 idx)
{
	struct vp_svq_shadow *sh = &dev->vqs[idx].shadow;
	unsigned int num = sh->client.num, budget = num;
	u16 avail, head, added = 0, room;

	lockdep_assert_held(&sh->lock);
	for (;;) {
		avail = vp_svq_v16(READ_ONCE(sh->client.avail->idx));
		room = num - (u16)(sh->last_avail - sh->used_idx);
		if ((u16)(avail - sh->last_avail) > room) {
			vp_svq_shadow_break(dev, idx,
					    "the client's avail index moved backwards or more than a ring ahead");
			break;
		}
		/* Pairs with the client's barrier before it wrote the index. */
		virt_rmb();
		while (sh->last_avail != avail) {
			head = sh->last_avail & (num - 1);
			head = vp_svq_v16(READ_ONCE(sh->client.avail->ring[head]));
			if (!vp_svq_shadow_copy_chain(sh, head, &budget)) {
				vp_svq_shadow_break(dev, idx,
						    "the client offered an invalid descriptor chain");
				return added;
			}
			sh->ring.avail->ring[sh->avail_idx & (num - 1)] =
				vp_svq_c16(head);
			sh->last_avail++;
			sh->avail_idx++;
			added++;
		}
		if (!vp_svq_shadow_event_idx(dev))
			break;
		/*
		 * Ask for the next kick, then look again: the client may have
		 * added an entry after it read the old avail event.
		 */
		vring_avail_event(&sh->client) = vp_svq_c16(sh->last_avail);
		/* The event is out before the index is read again. */
		virt_mb();
		if (vp_svq_v16(READ_ONCE(sh->client.avail->idx)) == avail)
			break;
	}
	return added;
}

/* Kick the device unless it said it does not need one. */
static void vp_svq_shadow_kick_device(struct vp_svq_dev *dev, u16 idx,
				      u16 added)
{
	struct vp_svq_shadow *sh = &dev->vqs[idx].shadow;
	u16 new = sh->avail_idx, old = new - added;
	bool kick;

	/* The device sees the entries before the index that publishes them. */
	virt_wmb();
	sh->ring.avail->idx = vp_svq_c16(new);
	/* The index is out before the device's wish for a kick is read. */
	virt_mb();
	if (vp_svq_shadow_event_idx(dev))
		kick = vring_need_event(vp_svq_v16(vring_avail_event(&sh->ring)),
					new, old);
	else
		kick = !(vp_svq_v16(READ_ONCE(sh->ring.used->flags)) &
			 VRING_USED_F_NO_NOTIFY);
	if (kick)
		vp_iowrite16(idx, dev->parent->notify[idx].addr);
}

/**
 * vp_svq_shadow_kick() - the client kicked a shadowed queue
 * @dev: the vDPA device
 * @idx: the queue
 *
 * Forwards what the client added and kicks the device if it wants a kick.
 * Any context.
 */
void vp_svq_shadow_kick(struct vp_svq_dev *dev, u16 idx)
{
	struct vp_svq_shadow *sh = &dev->vqs[idx].shadow;
	unsigned long flags;
	u16 added;

	spin_lock_irqsave(&sh->lock, flags);
	if (sh->why != VP_SVQ_SHADOW_NONE && !sh->broken) {
		added = vp_svq_shadow_forward_avail(dev, idx);
		if (added) {
			sh->avail += added;
			vp_svq_shadow_kick_device(dev, idx, added);
		}
	}
	spin_unlock_irqrestore(&sh->lock, flags);
}

/*
 * Copy the device's new used entries to the client's used ring. Return
 * whether the client wants to be told.
 */
static bool vp_svq_shadow_forward_used(struct vp_svq_dev *dev, u16 idx)
{
	struct vp_svq_shadow *sh = &dev->vqs[idx].shadow;
	unsigned int num = sh->client.num;
	u16 used, old = sh->used_idx, n = 0, event;
	struct vring_used_elem *from, *to;

	lockdep_assert_held(&sh->lock);
	for (;;) {
		used = vp_svq_v16(READ_ONCE(sh->ring.used->idx));
		if ((u16)(used - sh->last_used) >
		    (u16)(sh->avail_idx - sh->last_used)) {
			vp_svq_shadow_break(dev, idx,
					    "the device used more buffers than it was given");
			break;
		}
		/* Pairs with the device's barrier before it wrote the index. */
		virt_rmb();
		while (sh->last_used != used) {
			from = &sh->ring.used->ring[sh->last_used & (num - 1)];
			to = &sh->client.used->ring[sh->used_idx & (num - 1)];
			to->id = READ_ONCE(from->id);
			to->len = READ_ONCE(from->len);
			sh->last_used++;
			sh->used_idx++;
			n++;
		}
		if (!vp_svq_shadow_event_idx(dev))
			break;
		/*
		 * Ask for the next interrupt, then look again: the device may
		 * have used a buffer after it read the old used event.
		 */
		vring_used_event(&sh->ring) = vp_svq_c16(sh->last_used);
		/* The event is out before the index is read again. */
		virt_mb();
		if (vp_svq_v16(READ_ONCE(sh->ring.used->idx)) == used)
			break;
	}
	if (!n)
		return false;
	sh->used += n;
	/* The client sees the entries before the index that publishes them. */
	virt_wmb();
	sh->client.used->idx = vp_svq_c16(sh->used_idx);
	/* The index is out before the client's wish for a callback is read. */
	virt_mb();
	if (vp_svq_shadow_event_idx(dev)) {
		event = vp_svq_v16(READ_ONCE(vring_used_event(&sh->client)));
		return vring_need_event(event, sh->used_idx, old);
	}
	return !(vp_svq_v16(READ_ONCE(sh->client.avail->flags)) &
		 VRING_AVAIL_F_NO_INTERRUPT);
}

/**
 * vp_svq_shadow_interrupt() - the device signalled a shadowed queue
 * @vq: the queue
 *
 * Hard-irq context (or any, with interrupts off or on).
 *
 * Return: true when the client's callback is to be called.
 */
bool vp_svq_shadow_interrupt(struct vp_svq_vq *vq)
{
	struct vp_svq_shadow *sh = &vq->shadow;
	struct vp_svq_dev *dev = vq->dev;
	unsigned long flags;
	bool notify = false;

	spin_lock_irqsave(&sh->lock, flags);
	if (sh->why != VP_SVQ_SHADOW_NONE && !sh->broken)
		notify = vp_svq_shadow_forward_used(dev, vq - dev->vqs);
	spin_unlock_irqrestore(&sh->lock, flags);
	return notify;
}

/*
 * Forward what the device used. Return whether it used everything it was
 * given (a broken queue counts as drained), and the client's used index.
 */
static bool vp_svq_shadow_collect(struct vp_svq_vq *vq, u16 *pos)
{
	struct vp_svq_shadow *sh = &vq->shadow;
	unsigned long flags;
	bool drained;

	spin_lock_irqsave(&sh->lock, flags);
	if (!sh->broken)
		vp_svq_shadow_forward_used(vq->dev, vq - vq->dev->vqs);
	drained = sh->broken || sh->last_used == sh->avail_idx;
	*pos = sh->used_idx;
	spin_unlock_irqrestore(&sh->lock, flags);
	return drained;
}

/**
 * vp_svq_shadow_drained() - has the device used everything it was given?
 * @vq: a shadowed queue
 *
 * Return: true when the device's used index caught up with its avail
 * index (used entries are forwarded to the client on the way).
 */
bool vp_svq_shadow_drained(struct vp_svq_vq *vq)
{
	u16 pos;

	return vp_svq_shadow_collect(vq, &pos);
}

/**
 * vp_svq_shadow_position() - where a shadowed queue stands for its client
 * @vq: the queue; its device side stopped
 *
 * Used entries the device wrote are forwarded first. Chains forwarded but
 * never used are offered again from there.
 *
 * Return: the client's used index.
 */
u16 vp_svq_shadow_position(struct vp_svq_vq *vq)
{
	u16 pos;

	vp_svq_shadow_collect(vq, &pos);
	return pos;
}

/**
 * vp_svq_shadow_addrs() - the ring addresses to give the device
 * @vq: a shadowed queue
 * @desc: descriptor area
 * @driver: driver area
 * @device: device area
 */
void vp_svq_shadow_addrs(struct vp_svq_vq *vq, u64 *desc, u64 *driver,
			 u64 *device)
{
	struct vp_svq_shadow *sh = &vq->shadow;
	dma_addr_t base = sh->dring.addr;

	*desc = base + ((void *)sh->ring.desc - sh->dring.va);
	*driver = base + ((void *)sh->ring.avail - sh->dring.va);
	*device = base + ((void *)sh->ring.used - sh->dring.va);
}

static void vp_svq_shadow_unmap_client(struct vp_svq_shadow *sh)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sh->cmap); i++)
		vp_svq_as_kunmap(&sh->cmap[i]);
}

/* Map the client's three ring areas into the kernel. */
static int vp_svq_shadow_map_client(struct vp_svq_dev *dev, u16 idx)
{
	struct vp_svq_vq *vq = &dev->vqs[idx];
	struct vp_svq_shadow *sh = &vq->shadow;
	unsigned int num = vq->num;
	int ret;

	ret = vp_svq_as_kmap_data(dev, vq->desc_addr,
				  num * sizeof(struct vring_desc), false,
				  &sh->cmap[0]);
	if (!ret)
		ret = vp_svq_as_kmap_data(dev, vq->driver_addr,
					  struct_size(sh->client.avail, ring, num) +
					  sizeof(__virtio16), false, &sh->cmap[1]);
	if (!ret)
		ret = vp_svq_as_kmap_data(dev, vq->device_addr,
					  struct_size(sh->client.used, ring, num) +
					  sizeof(__virtio16), true, &sh->cmap[2]);
	if (ret) {
		vp_svq_shadow_unmap_client(sh);
		return ret;
	}
	sh->client.num = num;
	sh->client.desc = sh->cmap[0].va;
	sh->client.avail = sh->cmap[1].va;
	sh->client.used = sh->cmap[2].va;
	return 0;
}

/*
 * A receive ring restored ahead of its used index had buffers in flight
 * that nobody will complete (QEMU 7.2's SVQ migrates its last_avail index
 * after it dropped them): offer them again, since an unused receive buffer
 * costs nothing to offer twice. Transmit rings keep their base: a frame
 * in flight may have been sent already.
 */
static u16 vp_svq_shadow_rewind_rx(struct vp_svq_dev *dev, u16 idx, u16 base)
{
	struct vp_svq_shadow *sh = &dev->vqs[idx].shadow;
	u16 used = vp_svq_v16(READ_ONCE(sh->client.used->idx));
	u16 ahead = base - used;

	if (idx & 1 || !ahead || ahead > sh->client.num)
		return base;
	dev_info_ratelimited(dev->parent->dev,
			     "%s: vq %u: restored at %u, %u receive buffers in flight behind it are offered again from %u\n",
			     dev_name(&dev->vdpa.dev), idx, base, ahead, used);
	return used;
}

/**
 * vp_svq_shadow_start() - run data queue @idx in shadow mode
 * @dev: the vDPA device
 * @idx: the queue, ready, its size checked; not running in the device
 * @base: the client's index the ring continues from (avail and used: the
 *	client's buffers before it were all used). A receive ring restored
 *	ahead of the client's used index continues from there instead.
 * @why: the reason, shown in sysfs
 *
 * Maps the client's ring and allocates the device's. The caller programs
 * the device with vp_svq_shadow_addrs(). May sleep.
 *
 * Return: 0; -EOPNOTSUPP for a packed ring; -EFAULT when the client's ring
 * is not mapped; -ENOSPC or -ENOMEM.
 */
int vp_svq_shadow_start(struct vp_svq_dev *dev, u16 idx, u16 base,
			enum vp_svq_shadow_why why)
{
	struct vp_svq_vq *vq = &dev->vqs[idx];
	struct vp_svq_shadow *sh = &vq->shadow;
	unsigned long flags;
	int ret;

	if (dev->hw_features & BIT_ULL(VIRTIO_F_RING_PACKED)) {
		dev_err_ratelimited(dev->parent->dev, "%s: vq %u: ring shadow mode supports split rings only\n",
				    dev_name(&dev->vdpa.dev), idx);
		return -EOPNOTSUPP;
	}
	vp_svq_shadow_stop(dev, idx);
	ret = vp_svq_shadow_map_client(dev, idx);
	if (ret) {
		dev_err_ratelimited(dev->parent->dev, "%s: vq %u: cannot map the client's ring for shadow mode: %d\n",
				    dev_name(&dev->vdpa.dev), idx, ret);
		return ret;
	}
	if (why == VP_SVQ_SHADOW_RESTORED)
		base = vp_svq_shadow_rewind_rx(dev, idx, base);
	ret = vp_svq_as_ring_alloc(dev, &sh->dring,
				   vp_svq_ring_ro_bytes(vq->num),
				   vp_svq_ring_rw_bytes(vq->num), 1 + idx);
	if (ret)
		goto err_unmap_client;
	/* The used ring on pages of its own: the device writes only there. */
	sh->ring.num = vq->num;
	sh->ring.desc = sh->dring.va;
	sh->ring.avail = sh->dring.va + vq->num * sizeof(struct vring_desc);
	sh->ring.used = sh->dring.va + sh->dring.ro_size;

	spin_lock_irqsave(&sh->lock, flags);
	sh->last_avail = base;
	sh->used_idx = base;
	sh->avail_idx = 0;
	sh->last_used = 0;
	sh->avail = 0;
	sh->used = 0;
	sh->broken = false;
	/* Every kick is wanted: nothing in the client's used ring says else. */
	sh->client.used->flags = 0;
	if (vp_svq_shadow_event_idx(dev))
		vring_avail_event(&sh->client) = vp_svq_c16(base);
	WRITE_ONCE(sh->why, why);
	spin_unlock_irqrestore(&sh->lock, flags);
	return 0;

err_unmap_client:
	vp_svq_shadow_unmap_client(sh);
	return ret;
}

/**
 * vp_svq_shadow_setup() - start shadow mode at DRIVER_OK if the queue needs it
 * @dev: the vDPA device
 * @idx: a data queue about to be programmed into the device
 *
 * Shadow mode is needed for a split ring set to a non-initial state
 * without a device-state capability, or when force_shadow is set.
 *
 * Return: 0 (also when the queue stays in passthrough), or -errno from
 * vp_svq_shadow_start().
 */
int vp_svq_shadow_setup(struct vp_svq_dev *dev, u16 idx)
{
	struct vp_svq_vq *vq = &dev->vqs[idx];
	bool packed = dev->hw_features & BIT_ULL(VIRTIO_F_RING_PACKED);
	u16 base = vq->state_set ? vq->state.split.avail_index : 0;

	if (vp_svq_shadow_active(vq))
		return 0;
	if (!packed && !dev->parent->state && base)
		return vp_svq_shadow_start(dev, idx, base,
					   VP_SVQ_SHADOW_RESTORED);
	if (!packed && dev->force_shadow)
		return vp_svq_shadow_start(dev, idx, base,
					   VP_SVQ_SHADOW_FORCED);
	return 0;
}

/**
 * vp_svq_shadow_stop() - back to passthrough
 * @dev: the vDPA device
 * @idx: the queue; the device no longer runs it (reset)
 */
void vp_svq_shadow_stop(struct vp_svq_dev *dev, u16 idx)
{
	struct vp_svq_shadow *sh = &dev->vqs[idx].shadow;
	unsigned long flags;

	if (!vp_svq_shadow_active(&dev->vqs[idx]))
		return;
	spin_lock_irqsave(&sh->lock, flags);
	WRITE_ONCE(sh->why, VP_SVQ_SHADOW_NONE);
	spin_unlock_irqrestore(&sh->lock, flags);
	/* No kick or interrupt uses the rings once the lock was dropped. */
	vp_svq_as_ring_free(dev, &sh->dring);
	vp_svq_shadow_unmap_client(sh);
}

/**
 * vp_svq_shadow_stop_all() - every queue back to passthrough, none stopped
 * @dev: the vDPA device, reset
 */
void vp_svq_shadow_stop_all(struct vp_svq_dev *dev)
{
	u16 idx;

	for (idx = 0; idx < dev->nvqs; idx++) {
		vp_svq_shadow_stop(dev, idx);
		dev->vqs[idx].stopped = false;
	}
}

/**
 * vp_svq_shadow_kick_all() - forward what the client offered before the
 *	shadowed queues started (a restored ring's buffers)
 * @dev: the vDPA device, at DRIVER_OK
 */
void vp_svq_shadow_kick_all(struct vp_svq_dev *dev)
{
	u16 idx;

	for (idx = 0; idx < dev->nvqs; idx++)
		if (vp_svq_shadow_active(&dev->vqs[idx]))
			vp_svq_shadow_kick(dev, idx);
}

/**
 * vp_svq_shadow_possible() - may data queues of @dev ever run shadowed?
 * @dev: the vDPA device
 *
 * Without the device-state capability a queue is shadowed when restored at
 * a non-initial index or resumed after a suspend by resets; with
 * force_shadow always.
 *
 * Return: true when doorbells and irq bypass must not be handed out.
 */
bool vp_svq_shadow_possible(struct vp_svq_dev *dev)
{
	return !dev->parent->state || dev->force_shadow;
}

/**
 * vp_svq_shadow_show() - each queue's mode, one line per queue
 * @dev: the vDPA device
 * @buf: a sysfs page
 *
 * "<idx> passthrough", "<idx> shadow <why>" or "<idx> cvq" (the CVQ is
 * always served by the driver); a shadowed queue that stopped because a
 * ring broke the rules reads "<idx> shadow <why> broken".
 *
 * Return: bytes written.
 */
ssize_t vp_svq_shadow_show(struct vp_svq_dev *dev, char *buf)
{
	enum vp_svq_shadow_why why;
	int len = 0;
	u16 idx;

	for (idx = 0; idx < dev->nvqs; idx++) {
		why = READ_ONCE(dev->vqs[idx].shadow.why);
		if (vp_svq_is_cvq(dev, idx))
			len += sysfs_emit_at(buf, len, "%u cvq\n", idx);
		else if (why == VP_SVQ_SHADOW_NONE)
			len += sysfs_emit_at(buf, len, "%u passthrough\n", idx);
		else
			len += sysfs_emit_at(buf, len, "%u shadow %s%s\n", idx,
					     vp_svq_shadow_whys[why],
					     READ_ONCE(dev->vqs[idx].shadow.broken) ?
					     " broken" : "");
	}
	return len;
}

/**
 * vp_svq_shadow_stats() - "vdpa dev vstats" counters of shadow mode
 * @vq: a data queue
 * @msg: netlink message to fill
 *
 * shadow (1 while shadowed), shadow_broken (1 once the client's or the
 * device's ring broke the rules: nothing is forwarded until reset),
 * shadow_avail (chains forwarded) and shadow_used (used entries written
 * back) since shadow mode started.
 *
 * Return: 0 or -EMSGSIZE.
 */
int vp_svq_shadow_stats(struct vp_svq_vq *vq, struct sk_buff *msg)
{
	struct vp_svq_shadow *sh = &vq->shadow;
	unsigned long flags;
	bool on, broken;
	u64 avail, used;

	spin_lock_irqsave(&sh->lock, flags);
	on = sh->why != VP_SVQ_SHADOW_NONE;
	broken = on && sh->broken;
	avail = sh->avail;
	used = sh->used;
	spin_unlock_irqrestore(&sh->lock, flags);
	if (vp_svq_put_stat(msg, "shadow", on) ||
	    vp_svq_put_stat(msg, "shadow_broken", broken) ||
	    vp_svq_put_stat(msg, "shadow_avail", avail) ||
	    vp_svq_put_stat(msg, "shadow_used", used))
		return -EMSGSIZE;
	return 0;
}
