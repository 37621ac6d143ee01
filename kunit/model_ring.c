// SPDX-License-Identifier: GPL-2.0-only
/*
 * vp_svq device model: the device side of split and packed virtqueues,
 * indirect descriptors, event index, TX to RX loopback and the control
 * queue, all served by one worker per model instance.
 *
 * Every ring access happens under &vpm.lock, which register access takes
 * too: once a reset has been written, the device touches no memory.
 */

#include <linux/bitmap.h>
#include <linux/mm.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "vp_svq_model.h"

#define VPM_NET_HDR_LEN		sizeof(struct virtio_net_hdr_mrg_rxbuf)
#define VPM_BATCH		64

/**
 * vpm_dma() - the kernel address behind a device access
 * @m: the model; &m->lock held
 * @addr: address the driver gave the device
 * @len: bytes accessed, all of which must translate contiguously
 * @write: the device writes
 *
 * Translates through @m->dma_iotlb when set (checking permissions), else
 * (or, with @m->dma_miss_identity, where it maps nothing) takes @addr as a
 * physical address.
 *
 * Return: the kernel address, or NULL (counted in @m->dma_faults).
 */
void *vpm_dma(struct vpm *m, u64 addr, u32 len, bool write)
{
	u64 pa = addr;

	if (!len || addr + len < addr)
		goto fault;
	if (m->dma_iotlb) {
		struct vhost_iotlb_map *map;

		map = vhost_iotlb_itree_first(m->dma_iotlb, addr,
					      addr + len - 1);
		if (!map && m->dma_miss_identity)
			goto identity;
		if (!map || map->start > addr || map->last < addr + len - 1)
			goto fault;
		if (!(map->perm & (write ? VHOST_MAP_WO : VHOST_MAP_RO)))
			goto fault;
		pa = map->addr + (addr - map->start);
	}
identity:
	if (!pfn_valid(PHYS_PFN(pa)) || !pfn_valid(PHYS_PFN(pa + len - 1)))
		goto fault;
	return phys_to_virt(pa);
fault:
	if (!m->dma_faults++)
		pr_warn("vp_svq model: DMA %s of %u bytes at 0x%llx does not translate\n",
			write ? "write" : "read", len, addr);
	return NULL;
}

static bool vpm_has(struct vpm *m, unsigned int bit)
{
	return m->driver_features & BIT_ULL(bit);
}

static int vpm_chain_add(struct vpm *m, struct vpm_chain *c, u64 addr,
			 u32 len, bool write)
{
	if (c->nseg == VPM_MAX_SEGS) {
		vpm_note_violation(m, "buffer of more than %u descriptors",
				   VPM_MAX_SEGS);
		return -EINVAL;
	}
	if (!write && c->in_len) {
		vpm_note_violation(m, "readable descriptor after a writable one");
		return -EINVAL;
	}
	c->seg[c->nseg].addr = addr;
	c->seg[c->nseg].len = len;
	c->seg[c->nseg].write = write;
	c->nseg++;
	if (write)
		c->in_len += len;
	else
		c->out_len += len;
	return 0;
}

/* Every descriptor of an indirect table, following next from entry 0. */
static int vpm_split_indirect(struct vpm *m, u64 addr, u32 len,
			      struct vpm_chain *c)
{
	struct vring_desc *table;
	unsigned int n = len / sizeof(*table), seen = 0;
	u16 i = 0, flags;
	int ret;

	if (!vpm_has(m, VIRTIO_RING_F_INDIRECT_DESC)) {
		vpm_note_violation(m, "indirect descriptor without INDIRECT_DESC");
		return -EINVAL;
	}
	if (!n || len % sizeof(*table)) {
		vpm_note_violation(m, "indirect table of %u bytes", len);
		return -EINVAL;
	}
	table = vpm_dma(m, addr, len, false);
	if (!table)
		return -EFAULT;
	m->indirect_bufs++;
	for (;;) {
		if (i >= n || ++seen > n) {
			vpm_note_violation(m, "indirect chain leaves its table");
			return -EINVAL;
		}
		flags = le16_to_cpu(READ_ONCE(table[i].flags));
		if (flags & VRING_DESC_F_INDIRECT) {
			vpm_note_violation(m, "nested indirect descriptor");
			return -EINVAL;
		}
		ret = vpm_chain_add(m, c, le64_to_cpu(table[i].addr),
				    le32_to_cpu(table[i].len),
				    flags & VRING_DESC_F_WRITE);
		if (ret)
			return ret;
		if (!(flags & VRING_DESC_F_NEXT))
			return 0;
		i = le16_to_cpu(table[i].next);
	}
}

/* Peek at the next available buffer of a split queue. */
static int vpm_split_peek(struct vpm *m, struct vpm_queue *q,
			  struct vpm_chain *c)
{
	struct vring_desc *table;
	unsigned int seen = 0;
	__le16 *avail;
	u16 idx, i, flags;
	int ret;

	c->nseg = 0;
	c->out_len = 0;
	c->in_len = 0;
	avail = vpm_dma(m, q->driver, 6 + 2 * q->size, false);
	table = vpm_dma(m, q->desc, sizeof(*table) * q->size, false);
	if (!avail || !table)
		return -EFAULT;
	idx = le16_to_cpu(READ_ONCE(avail[1]));
	if (idx == q->last_avail)
		return -ENOENT;
	if ((u16)(idx - q->last_avail) > q->size) {
		vpm_note_violation(m, "avail index %u runs %u ahead of %u",
				   idx, (u16)(idx - q->last_avail), q->last_avail);
		return -EINVAL;
	}
	/* Read the ring entry only after the index that published it. */
	virt_rmb();
	i = le16_to_cpu(READ_ONCE(avail[2 + q->last_avail % q->size]));
	c->id = i;
	c->next = q->last_avail + 1;
	for (;;) {
		if (i >= q->size || ++seen > q->size) {
			vpm_note_violation(m, "descriptor chain is broken at %u", i);
			return -EINVAL;
		}
		flags = le16_to_cpu(READ_ONCE(table[i].flags));
		if (flags & VRING_DESC_F_INDIRECT) {
			if (flags & VRING_DESC_F_NEXT) {
				vpm_note_violation(m, "indirect descriptor with NEXT");
				return -EINVAL;
			}
			return vpm_split_indirect(m, le64_to_cpu(table[i].addr),
						  le32_to_cpu(table[i].len), c);
		}
		ret = vpm_chain_add(m, c, le64_to_cpu(table[i].addr),
				    le32_to_cpu(table[i].len),
				    flags & VRING_DESC_F_WRITE);
		if (ret)
			return ret;
		if (!(flags & VRING_DESC_F_NEXT))
			return 0;
		i = le16_to_cpu(table[i].next);
	}
}

static int vpm_split_used(struct vpm *m, struct vpm_queue *q, u16 id, u32 len)
{
	struct vring_used *used;

	used = vpm_dma(m, q->device, 6 + sizeof(used->ring[0]) * q->size, true);
	if (!used)
		return -EFAULT;
	used->ring[q->used_idx % q->size].id = cpu_to_le32(id);
	used->ring[q->used_idx % q->size].len = cpu_to_le32(len);
	/* The entry must be visible before the index that publishes it. */
	virt_wmb();
	q->used_idx++;
	WRITE_ONCE(used->idx, cpu_to_le16(q->used_idx));
	return 0;
}

static bool vpm_packed_avail(u16 flags, bool wrap)
{
	bool avail = flags & BIT(VRING_PACKED_DESC_F_AVAIL);
	bool used = flags & BIT(VRING_PACKED_DESC_F_USED);

	return avail == wrap && used != wrap;
}

static int vpm_packed_peek(struct vpm *m, struct vpm_queue *q,
			   struct vpm_chain *c)
{
	struct vring_packed_desc *ring, *d;
	bool wrap = q->avail_wrap;
	u16 i = q->last_avail, flags;
	int ret;

	c->nseg = 0;
	c->out_len = 0;
	c->in_len = 0;
	c->ndesc = 0;
	ring = vpm_dma(m, q->desc, sizeof(*ring) * q->size, false);
	if (!ring)
		return -EFAULT;
	flags = le16_to_cpu(READ_ONCE(ring[i].flags));
	if (!vpm_packed_avail(flags, wrap))
		return -ENOENT;
	/* The rest of the descriptor only after its flags. */
	virt_rmb();
	for (;;) {
		d = &ring[i];
		flags = le16_to_cpu(READ_ONCE(d->flags));
		if (!vpm_packed_avail(flags, wrap) || ++c->ndesc > q->size) {
			vpm_note_violation(m, "packed chain is broken at %u", i);
			return -EINVAL;
		}
		if (flags & VRING_DESC_F_INDIRECT) {
			struct vring_packed_desc *t;
			u32 len = le32_to_cpu(d->len), j;

			if (!vpm_has(m, VIRTIO_RING_F_INDIRECT_DESC) ||
			    (flags & VRING_DESC_F_NEXT) || !len ||
			    len % sizeof(*t)) {
				vpm_note_violation(m, "bad packed indirect descriptor");
				return -EINVAL;
			}
			t = vpm_dma(m, le64_to_cpu(d->addr), len, false);
			if (!t)
				return -EFAULT;
			m->indirect_bufs++;
			for (j = 0; j < len / sizeof(*t); j++) {
				u16 f = le16_to_cpu(t[j].flags);

				ret = vpm_chain_add(m, c, le64_to_cpu(t[j].addr),
						    le32_to_cpu(t[j].len),
						    f & VRING_DESC_F_WRITE);
				if (ret)
					return ret;
			}
		} else {
			ret = vpm_chain_add(m, c, le64_to_cpu(d->addr),
					    le32_to_cpu(d->len),
					    flags & VRING_DESC_F_WRITE);
			if (ret)
				return ret;
		}
		c->id = le16_to_cpu(d->id);
		if (++i == q->size) {
			i = 0;
			wrap = !wrap;
		}
		if (!(flags & VRING_DESC_F_NEXT))
			break;
	}
	c->next = i;
	c->next_wrap = wrap;
	return 0;
}

static int vpm_packed_used(struct vpm *m, struct vpm_queue *q,
			   struct vpm_chain *c, u32 len)
{
	struct vring_packed_desc *ring, *d;
	u16 flags = 0;

	ring = vpm_dma(m, q->desc, sizeof(*ring) * q->size, true);
	if (!ring)
		return -EFAULT;
	d = &ring[q->used_idx];
	d->id = cpu_to_le16(c->id);
	d->len = cpu_to_le32(len);
	if (q->used_wrap)
		flags = BIT(VRING_PACKED_DESC_F_AVAIL) |
			BIT(VRING_PACKED_DESC_F_USED);
	if (len)
		flags |= VRING_DESC_F_WRITE;
	/* id and len before the flags that hand the descriptor back. */
	virt_wmb();
	WRITE_ONCE(d->flags, cpu_to_le16(flags));
	q->used_idx += c->ndesc;
	if (q->used_idx >= q->size) {
		q->used_idx -= q->size;
		q->used_wrap = !q->used_wrap;
	}
	return 0;
}

static int vpm_peek(struct vpm *m, struct vpm_queue *q, struct vpm_chain *c)
{
	if (vpm_has(m, VIRTIO_F_RING_PACKED))
		return vpm_packed_peek(m, q, c);
	return vpm_split_peek(m, q, c);
}

/* Take the buffer vpm_peek() returned and hand it back with @len bytes. */
static int vpm_complete(struct vpm *m, struct vpm_queue *q,
			struct vpm_chain *c, u32 len)
{
	int ret;

	if (vpm_has(m, VIRTIO_F_RING_PACKED)) {
		q->last_avail = c->next;
		q->avail_wrap = c->next_wrap;
		ret = vpm_packed_used(m, q, c, len);
	} else {
		q->last_avail = c->next;
		ret = vpm_split_used(m, q, c->id, len);
	}
	if (!ret)
		q->completed++;
	return ret;
}

/* Copy between the readable bytes of @c (at @off) and @buf, either way. */
static int vpm_chain_copy(struct vpm *m, struct vpm_chain *c, u32 off,
			  void *buf, u32 len, bool write)
{
	unsigned int i;
	u32 n;
	u8 *p;

	for (i = 0; i < c->nseg && len; i++) {
		struct vpm_seg *s = &c->seg[i];

		if (s->write != write)
			continue;
		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		n = min(len, s->len - off);
		p = vpm_dma(m, s->addr + off, n, write);
		if (!p)
			return -EFAULT;
		if (write)
			memcpy(p, buf, n);
		else
			memcpy(buf, p, n);
		buf += n;
		len -= n;
		off = 0;
	}
	return len ? -EINVAL : 0;
}

static u16 vpm_cvq_index(struct vpm *m)
{
	if (vpm_has(m, VIRTIO_NET_F_MQ) || vpm_has(m, VIRTIO_NET_F_RSS))
		return 2 * m->cfg.max_vqp;
	return 2;
}

/* One TX buffer to the paired RX queue. 1: done, 0: nothing, -errno. */
static int vpm_loop_one(struct vpm *m, u16 txq)
{
	struct vpm_queue *tq = &m->q[txq], *rq = &m->q[txq - 1];
	struct vpm_chain *tx = &m->tx_chain, *rx = &m->rx_chain;
	struct virtio_net_hdr_mrg_rxbuf hdr = { .num_buffers = cpu_to_le16(1) };
	u32 frame, done, n;
	int ret;

	/* A stopped RX queue holds its TX queue back: nothing is lost. */
	if (rq->stopped)
		return 0;
	ret = vpm_peek(m, tq, tx);
	if (ret)
		return ret == -ENOENT ? 0 : ret;
	if (tx->out_len < VPM_NET_HDR_LEN || tx->in_len) {
		vpm_note_violation(m, "TX buffer of %u+%u bytes", tx->out_len,
				   tx->in_len);
		return -EINVAL;
	}
	frame = tx->out_len - VPM_NET_HDR_LEN;

	ret = rq->enabled ? vpm_peek(m, rq, rx) : -ENOENT;
	if (ret && ret != -ENOENT)
		return ret;
	if (ret || rx->out_len || rx->in_len < VPM_NET_HDR_LEN + frame) {
		m->rx_dropped++;
		return vpm_complete(m, tq, tx, 0) ?: 1;
	}

	ret = vpm_chain_copy(m, rx, 0, &hdr, sizeof(hdr), true);
	for (done = 0; !ret && done < frame; done += n) {
		n = min_t(u32, frame - done, sizeof(m->bounce));
		ret = vpm_chain_copy(m, tx, VPM_NET_HDR_LEN + done, m->bounce,
				     n, false);
		if (!ret)
			ret = vpm_chain_copy(m, rx, VPM_NET_HDR_LEN + done,
					     m->bounce, n, true);
	}
	if (ret)
		return ret;
	ret = vpm_complete(m, rq, rx, VPM_NET_HDR_LEN + frame);
	if (!ret)
		ret = vpm_complete(m, tq, tx, 0);
	if (ret)
		return ret;
	m->rx_frames++;
	return 1;
}

static int vpm_cvq_one(struct vpm *m, u16 qid)
{
	struct vpm_chain *c = &m->tx_chain;
	u8 ack;
	int ret;

	ret = vpm_peek(m, &m->q[qid], c);
	if (ret)
		return ret == -ENOENT ? 0 : ret;
	if (c->out_len < 2 || c->out_len > sizeof(m->bounce) || !c->in_len) {
		vpm_note_violation(m, "control buffer of %u+%u bytes",
				   c->out_len, c->in_len);
		return -EINVAL;
	}
	ret = vpm_chain_copy(m, c, 0, m->bounce, c->out_len, false);
	if (ret)
		return ret;
	ack = vpm_cvq_command(m, m->bounce, c->out_len);
	ret = vpm_chain_copy(m, c, 0, &ack, 1, true);
	if (!ret)
		ret = vpm_complete(m, &m->q[qid], c, 1);
	return ret ?: 1;
}

/* Does the driver want an interrupt for what was just completed? */
static bool vpm_want_irq(struct vpm *m, struct vpm_queue *q, u16 old_used,
			 u16 ndesc)
{
	if (vpm_has(m, VIRTIO_F_RING_PACKED)) {
		__le16 *ev = vpm_dma(m, q->driver, 4, false);
		u16 off, flags, event;

		if (!ev)
			return false;
		flags = le16_to_cpu(READ_ONCE(ev[1]));
		if (flags == VRING_PACKED_EVENT_FLAG_DISABLE)
			return false;
		if (flags != VRING_PACKED_EVENT_FLAG_DESC ||
		    !vpm_has(m, VIRTIO_RING_F_EVENT_IDX))
			return true;
		off = le16_to_cpu(READ_ONCE(ev[0]));
		event = off & ~BIT(VRING_PACKED_EVENT_F_WRAP_CTR);
		if (!!(off & BIT(VRING_PACKED_EVENT_F_WRAP_CTR)) != q->used_wrap)
			event -= q->size;
		return vring_need_event(event, q->used_idx,
					(u16)(q->used_idx - ndesc));
	} else {
		__le16 *avail = vpm_dma(m, q->driver, 6 + 2 * q->size, false);

		if (!avail)
			return false;
		/* Read the driver's wish after the used index went out. */
		virt_mb();
		if (vpm_has(m, VIRTIO_RING_F_EVENT_IDX))
			return vring_need_event(le16_to_cpu(READ_ONCE(avail[2 + q->size])),
						q->used_idx, old_used);
		return !(le16_to_cpu(READ_ONCE(avail[0])) &
			 VRING_AVAIL_F_NO_INTERRUPT);
	}
}

/* Split with event index: tell the driver where to kick next. */
static void vpm_publish_avail_event(struct vpm *m, struct vpm_queue *q)
{
	__le16 *ev;

	if (vpm_has(m, VIRTIO_F_RING_PACKED) ||
	    !vpm_has(m, VIRTIO_RING_F_EVENT_IDX))
		return;
	ev = vpm_dma(m, q->device + 4 + sizeof(struct vring_used_elem) * q->size,
		     2, true);
	if (ev)
		WRITE_ONCE(*ev, cpu_to_le16(q->last_avail));
}

static void vpm_fault_locked(struct vpm *m)
{
	m->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
}

/*
 * The device has nothing in hand (a pass took no buffer): a suspension
 * completes (DRIVER_OK cleared, SUSPEND stays set), and so does every queue
 * stop asked through the device-state capability.
 */
static void vpm_quiesce_locked(struct vpm *m)
{
	u16 qid;

	if (m->suspending) {
		m->suspending = false;
		m->status &= ~VIRTIO_CONFIG_S_DRIVER_OK;
		m->suspends++;
	}
	if (m->stop_hang)
		return;
	for (qid = 0; qid < m->num_queues; qid++) {
		if (!m->q[qid].stop_pending)
			continue;
		m->q[qid].stop_pending = false;
		m->q[qid].stopped = true;
		m->queue_stops++;
	}
}

/*
 * SUSPEND faults, before anything is served. Returns whether the worker
 * must not serve the rings.
 */
static bool vpm_suspend_fault_locked(struct vpm *m, bool *config_irq)
{
	if (!m->suspending)
		return false;
	if (m->suspend_fail) {
		m->suspending = false;
		vpm_fault_locked(m);
		*config_irq = true;
		return true;
	}
	return m->suspend_hang;
}

/* Serve every queue once. Returns whether anything was done. */
static bool vpm_serve_locked(struct vpm *m, unsigned long *irqs,
			     bool *config_irq)
{
	u16 old_used[VPM_MAX_QUEUES], old_pos[VPM_MAX_QUEUES];
	u16 qid, cvq = vpm_cvq_index(m), n;
	bool progress = false;
	int ret = 0;

	for (qid = 0; qid < m->num_queues; qid++) {
		struct vpm_queue *q = &m->q[qid];

		if (q->reset_pending) {
			u16 size = m->cfg.queue_size;

			memset(q, 0, sizeof(*q));
			q->size = size;
			q->msix_vector = VIRTIO_MSI_NO_VECTOR;
			q->avail_wrap = true;
			q->used_wrap = true;
		}
		old_used[qid] = q->used_idx;
		old_pos[qid] = q->completed;
	}
	/* A config change held while suspended, signalled at resume. */
	if (m->config_irq_due && !m->gone) {
		m->config_irq_due = false;
		*config_irq = true;
	}
	if (vpm_suspend_fault_locked(m, config_irq))
		return false;
	if (m->gone || m->stall || m->reset_pending ||
	    (m->status & (VIRTIO_CONFIG_S_NEEDS_RESET | VIRTIO_CONFIG_S_FAILED)) ||
	    !(m->status & VIRTIO_CONFIG_S_DRIVER_OK))
		return false;

	for (qid = 0; qid < m->num_queues && ret >= 0; qid++) {
		struct vpm_queue *q = &m->q[qid];

		q->kicked = false;
		if (!q->enabled || q->stopped)
			continue;
		for (n = 0; n < VPM_BATCH; n++) {
			if (vpm_has(m, VIRTIO_NET_F_CTRL_VQ) && qid == cvq)
				ret = m->cvq_stall ? 0 : vpm_cvq_one(m, qid);
			else if (qid & 1 && qid < 2 * m->cfg.max_vqp)
				ret = vpm_loop_one(m, qid);
			else
				ret = 0;
			if (ret <= 0)
				break;
			progress = true;
		}
	}
	if (ret < 0) {
		vpm_fault_locked(m);
		*config_irq = true;
		return false;
	}

	for (qid = 0; qid < m->num_queues; qid++) {
		struct vpm_queue *q = &m->q[qid];
		u16 done = q->completed - old_pos[qid];
		u16 ndesc;

		if (!q->enabled || q->stopped)
			continue;
		vpm_publish_avail_event(m, q);
		if (!done)
			continue;
		/* Packed: descriptors the used ring advanced by. */
		ndesc = (u16)(q->used_idx - old_used[qid]);
		if (vpm_has(m, VIRTIO_F_RING_PACKED) &&
		    q->used_idx < old_used[qid])
			ndesc += q->size;
		if (vpm_want_irq(m, q, old_used[qid], ndesc))
			__set_bit(qid, irqs);
	}
	if (!progress)
		vpm_quiesce_locked(m);
	return progress;
}

/**
 * vpm_work() - the device: serve the rings until there is nothing to do
 * @work: &vpm.work
 */
void vpm_work(struct work_struct *work)
{
	struct vpm *m = container_of(work, struct vpm, work);
	DECLARE_BITMAP(irqs, VPM_MAX_QUEUES);
	unsigned long flags;
	bool progress, config_irq;
	u16 qid;

	do {
		bitmap_zero(irqs, VPM_MAX_QUEUES);
		config_irq = false;
		spin_lock_irqsave(&m->lock, flags);
		progress = vpm_serve_locked(m, irqs, &config_irq);
		spin_unlock_irqrestore(&m->lock, flags);
		for_each_set_bit(qid, irqs, VPM_MAX_QUEUES)
			vpm_raise_vq_irq(m, qid);
		if (config_irq)
			vpm_signal_config(m);
		cond_resched();
	} while (progress);
}
