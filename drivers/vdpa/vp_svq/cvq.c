// SPDX-License-Identifier: GPL-2.0-only
/*
 * vp_svq: the shadow control queue.
 *
 * The client's CVQ never reaches the device. A kick schedules a work item
 * that reads the client's split ring through the CVQ group's address
 * space, checks each request (net_state.c), relays it to the device's own
 * CVQ, which the driver drives from a ring of its own, and writes the
 * device's ack back into the request's ack buffer. The requests a client
 * makes available together (up to VP_SVQ_CVQ_BATCH) go to the device
 * together, behind one doorbell and one wait.
 * Requests are answered in ring order, each by its own descriptor chain,
 * so two identical requests get two acks. Commands the device acked
 * VIRTIO_NET_OK update the net state, which is replayed to the device when
 * it starts again after a reset.
 */

#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <uapi/linux/vdpa.h>

#include "vp_svq.h"

/*
 * The device's CVQ as the driver lays it out in two pages: what the device
 * only reads (descriptors, avail ring, the commands) in the first, mapped
 * read-only for the device, what it writes (used ring, acks) in the
 * second. Up to VP_SVQ_HWCVQ_SLOTS commands are in flight at once, each a
 * command and an ack descriptor; their bytes are packed in the command
 * area, one ack byte each.
 */
#define VP_SVQ_HWCVQ_NUM	32
#define VP_SVQ_HWCVQ_SLOTS	(VP_SVQ_HWCVQ_NUM / 2)
#define VP_SVQ_HWCVQ_DESC	0
#define VP_SVQ_HWCVQ_AVAIL	512
#define VP_SVQ_HWCVQ_CMD	640
#define VP_SVQ_HWCVQ_CMD_END	PAGE_SIZE
#define VP_SVQ_HWCVQ_USED	PAGE_SIZE
#define VP_SVQ_HWCVQ_ACK	(PAGE_SIZE + 512)

/* How long the device may take to ack the commands in flight. */
#define VP_SVQ_HWCVQ_TIMEOUT_MS	1000

/* The ack a request gets before anything is known about it. */
#define VP_SVQ_CVQ_NO_ACK	((u8)VIRTIO_NET_ERR)

static_assert(VP_SVQ_HWCVQ_NUM * sizeof(struct vring_desc) <= VP_SVQ_HWCVQ_AVAIL);
static_assert(VP_SVQ_HWCVQ_AVAIL + sizeof(struct vring_avail) +
	      (VP_SVQ_HWCVQ_NUM + 1) * sizeof(__virtio16) <= VP_SVQ_HWCVQ_CMD);
static_assert(VP_SVQ_HWCVQ_CMD + VP_SVQ_CVQ_CMD_MAX <= VP_SVQ_HWCVQ_CMD_END);
static_assert(sizeof(struct vring_used) + VP_SVQ_HWCVQ_NUM *
	      sizeof(struct vring_used_elem) + sizeof(__virtio16) <=
	      VP_SVQ_HWCVQ_ACK - VP_SVQ_HWCVQ_USED);
static_assert(VP_SVQ_HWCVQ_ACK + VP_SVQ_HWCVQ_SLOTS <= 2 * PAGE_SIZE);
static_assert(VP_SVQ_HWCVQ_SLOTS <= VP_SVQ_CVQ_BATCH);

static struct vp_svq_dev *cvq_to_dev(struct vp_svq_cvq *cvq)
{
	return container_of(cvq, struct vp_svq_dev, cvq);
}

/* ---- the device's CVQ, driven by the driver ---- */

static struct vring_desc *vp_svq_hwcvq_desc(struct vp_svq_cvq *cvq)
{
	return cvq->hw.va + VP_SVQ_HWCVQ_DESC;
}

static struct vring_avail *vp_svq_hwcvq_avail(struct vp_svq_cvq *cvq)
{
	return cvq->hw.va + VP_SVQ_HWCVQ_AVAIL;
}

static struct vring_used *vp_svq_hwcvq_used(struct vp_svq_cvq *cvq)
{
	return cvq->hw.va + VP_SVQ_HWCVQ_USED;
}

static u16 vp_svq_hwcvq_used_idx(struct vp_svq_cvq *cvq)
{
	return __virtio16_to_cpu(true, READ_ONCE(vp_svq_hwcvq_used(cvq)->idx));
}

static int vp_svq_hwcvq_start_locked(struct vp_svq_dev *dev, u16 qid)
{
	struct virtio_pci_modern_device *mdev = dev->parent->mdev;
	struct vp_svq_cvq *cvq = &dev->cvq;
	dma_addr_t base;
	int ret;

	lockdep_assert_held(&cvq->lock);
	if (dev->parent->cvq_queue_max < 2) {
		dev_err_ratelimited(dev->parent->dev, "%s: device CVQ holds %u entries, need 2\n",
				    dev_name(&dev->vdpa.dev), dev->parent->cvq_queue_max);
		return -EINVAL;
	}
	ret = vp_svq_as_ring_alloc(dev, &cvq->hw, PAGE_SIZE, PAGE_SIZE, 0);
	if (ret)
		return ret;
	base = cvq->hw.addr;
	/* No interrupt: the driver polls for each ack. */
	vp_svq_hwcvq_avail(cvq)->flags = __cpu_to_virtio16(true, VRING_AVAIL_F_NO_INTERRUPT);
	cvq->hw_qid = qid;
	cvq->hw_num = min_t(u16, VP_SVQ_HWCVQ_NUM,
			    rounddown_pow_of_two(dev->parent->cvq_queue_max));
	cvq->hw_slots = cvq->hw_num / 2;
	cvq->hw_avail = 0;
	cvq->hw_inflight = 0;
	cvq->hw_cmd_off = VP_SVQ_HWCVQ_CMD;
	cvq->hw_broken = false;

	vp_modern_set_queue_size(mdev, qid, cvq->hw_num);
	vp_modern_queue_address(mdev, qid, base + VP_SVQ_HWCVQ_DESC,
				base + VP_SVQ_HWCVQ_AVAIL,
				base + VP_SVQ_HWCVQ_USED);
	vp_modern_queue_vector(mdev, qid, VIRTIO_MSI_NO_VECTOR);
	vp_modern_set_queue_enable(mdev, qid, true);
	return 0;
}

/**
 * vp_svq_hwcvq_start() - set up the device's CVQ, before DRIVER_OK
 * @dev: the vDPA device; its device features are written
 * @qid: the device's index of its CVQ
 *
 * Return: 0 or -errno.
 */
int vp_svq_hwcvq_start(struct vp_svq_dev *dev, u16 qid)
{
	int ret;

	mutex_lock(&dev->cvq.lock);
	ret = vp_svq_hwcvq_start_locked(dev, qid);
	mutex_unlock(&dev->cvq.lock);
	return ret;
}

/**
 * vp_svq_hwcvq_stop() - release the device's CVQ
 * @dev: the vDPA device, reset already
 *
 * Under the CVQ's lock: a command being relayed holds it while it polls
 * the ring, so the ring outlives the poll.
 */
void vp_svq_hwcvq_stop(struct vp_svq_dev *dev)
{
	mutex_lock(&dev->cvq.lock);
	vp_svq_as_ring_free(dev, &dev->cvq.hw);
	mutex_unlock(&dev->cvq.lock);
}

/*
 * Put a command on the device's CVQ, behind those in flight; the doorbell
 * is rung by vp_svq_hwcvq_flush(). Return: its slot, -ENOSPC when the
 * commands in flight fill the ring or the command area, -EIO when the CVQ
 * is unusable.
 */
static int vp_svq_hwcvq_post(struct vp_svq_dev *dev, const void *cmd,
			     size_t len)
{
	struct vp_svq_cvq *cvq = &dev->cvq;
	struct vring_desc *desc = vp_svq_hwcvq_desc(cvq);
	struct vring_avail *avail = vp_svq_hwcvq_avail(cvq);
	unsigned int slot = cvq->hw_inflight;
	u16 head = 2 * slot;

	lockdep_assert_held(&cvq->lock);
	if (!cvq->hw.va || cvq->hw_broken)
		return -EIO;
	if (slot == cvq->hw_slots ||
	    len > VP_SVQ_HWCVQ_CMD_END - cvq->hw_cmd_off)
		return -ENOSPC;

	memcpy(cvq->hw.va + cvq->hw_cmd_off, cmd, len);
	cvq->hw_slot_off[slot] = cvq->hw_cmd_off;
	cvq->hw_slot_len[slot] = len;
	((u8 *)cvq->hw.va)[VP_SVQ_HWCVQ_ACK + slot] = VP_SVQ_CVQ_NO_ACK;
	desc[head].addr = __cpu_to_virtio64(true, cvq->hw.addr + cvq->hw_cmd_off);
	desc[head].len = __cpu_to_virtio32(true, len);
	desc[head].flags = __cpu_to_virtio16(true, VRING_DESC_F_NEXT);
	desc[head].next = __cpu_to_virtio16(true, head + 1);
	desc[head + 1].addr = __cpu_to_virtio64(true, cvq->hw.addr +
						VP_SVQ_HWCVQ_ACK + slot);
	desc[head + 1].len = __cpu_to_virtio32(true, 1);
	desc[head + 1].flags = __cpu_to_virtio16(true, VRING_DESC_F_WRITE);
	avail->ring[(u16)(cvq->hw_avail + slot) % cvq->hw_num] =
		__cpu_to_virtio16(true, head);
	cvq->hw_cmd_off += len;
	cvq->hw_inflight++;
	return slot;
}

/*
 * Give the device the commands posted and wait until it has used them
 * all, at most VP_SVQ_HWCVQ_TIMEOUT_MS. A device that does not answer in
 * time leaves its CVQ unusable until the next reset. Return: 0 or
 * -ETIMEDOUT; the slots are free again either way.
 */
static int vp_svq_hwcvq_flush(struct vp_svq_dev *dev)
{
	struct vp_svq_cvq *cvq = &dev->cvq;
	struct vring_avail *avail = vp_svq_hwcvq_avail(cvq);
	u16 want = cvq->hw_avail + cvq->hw_inflight;
	unsigned int n = cvq->hw_inflight;
	u16 used;
	int ret;

	lockdep_assert_held(&cvq->lock);
	cvq->hw_inflight = 0;
	cvq->hw_cmd_off = VP_SVQ_HWCVQ_CMD;
	if (!n)
		return 0;
	/* The device must see the descriptors before the index moves. */
	dma_wmb();
	cvq->hw_avail = want;
	avail->idx = __cpu_to_virtio16(true, want);
	vp_iowrite16(cvq->hw_qid, dev->parent->notify[cvq->hw_qid].addr);

	ret = vp_svq_poll_timeout(vp_svq_hwcvq_used_idx, used, used == want,
				  VP_SVQ_HWCVQ_TIMEOUT_MS * USEC_PER_MSEC, cvq);
	if (ret) {
		cvq->hw_broken = true;
		dev_err_ratelimited(dev->parent->dev,
				    "%s: device did not answer %u control command%s in %u ms; control queue stopped until reset\n",
				    dev_name(&dev->vdpa.dev), n, n == 1 ? "" : "s",
				    VP_SVQ_HWCVQ_TIMEOUT_MS);
		return ret;
	}
	/* The acks after the index that published them. */
	dma_rmb();
	return 0;
}

/* The ack the device wrote for the command in @slot, once flushed. */
static u8 vp_svq_hwcvq_ack(struct vp_svq_cvq *cvq, unsigned int slot)
{
	return READ_ONCE(((u8 *)cvq->hw.va)[VP_SVQ_HWCVQ_ACK + slot]);
}

/**
 * vp_svq_hwcvq_send() - send one command on the device's CVQ and wait
 * @ctx: the vDPA device
 * @cmd: header and data
 * @len: bytes, at most VP_SVQ_CVQ_CMD_MAX
 *
 * Waits for the device to use the command, at most
 * VP_SVQ_HWCVQ_TIMEOUT_MS. A device that does not answer in time leaves
 * its CVQ unusable until the next reset. Called with no command in
 * flight.
 *
 * Return: the device's ack, or -EIO (CVQ unusable), -ETIMEDOUT, -EINVAL.
 */
int vp_svq_hwcvq_send(void *ctx, const void *cmd, size_t len)
{
	struct vp_svq_dev *dev = ctx;
	int slot, ret;

	if (len > VP_SVQ_CVQ_CMD_MAX)
		return -EINVAL;
	slot = vp_svq_hwcvq_post(dev, cmd, len);
	if (slot < 0)
		return slot == -ENOSPC ? -EIO : slot;
	ret = vp_svq_hwcvq_flush(dev);
	return ret ?: vp_svq_hwcvq_ack(&dev->cvq, slot);
}

/* ---- the client's CVQ ---- */

static struct vp_svq_vq *vp_svq_cvq_vq(struct vp_svq_dev *dev)
{
	return &dev->vqs[dev->cvq.idx];
}

static int vp_svq_cvq_read16(struct vp_svq_dev *dev, u64 addr, u16 *val)
{
	__le16 v;
	int ret = vp_svq_as_access(dev, addr, &v, sizeof(v), false);

	*val = le16_to_cpu(v);
	return ret;
}

static void vp_svq_cvq_bad(struct vp_svq_dev *dev, u16 head, const char *why)
{
	dev_warn_ratelimited(dev->parent->dev,
			     "%s: CVQ request at descriptor %u dropped: %s\n",
			     dev_name(&dev->vdpa.dev), head, why);
}

/* Read descriptor @i of the table at client address @table. */
static int vp_svq_cvq_read_desc(struct vp_svq_dev *dev, u64 table, u16 i,
				struct vring_desc *d)
{
	return vp_svq_as_access(dev, table + (u64)i * sizeof(*d), d,
				sizeof(*d), false);
}

/* Gather the readable bytes of one descriptor into the command buffer. */
static const char *vp_svq_cvq_gather(struct vp_svq_dev *dev,
				     struct vp_svq_cvq_req *req, u64 addr,
				     u32 len)
{
	if (len > VP_SVQ_CVQ_CMD_MAX - req->len)
		return "command longer than the driver relays";
	if (vp_svq_as_access(dev, addr, dev->cvq.cmd + req->len, len, false))
		return "command buffer outside the client's mappings";
	req->len += len;
	return NULL;
}

/*
 * Walk the chain at @head: driver-readable descriptors first (the command),
 * then driver-writable ones (the first byte of the first is the ack).
 *
 * A chain is at most a ring size long, indirect descriptors included
 * (virtio 2.7.5.3.1), and enters one indirect table at most, from the
 * ring's own table: every request costs at most a ring's worth of
 * descriptor reads, whatever its links and table addresses say (address 0
 * is a table like any other).
 *
 * Return: NULL, or why the chain cannot be served.
 */
static const char *vp_svq_cvq_parse(struct vp_svq_dev *dev, u16 head,
				    struct vp_svq_cvq_req *req)
{
	struct vp_svq_vq *vq = vp_svq_cvq_vq(dev);
	bool indirect = dev->driver_features &
			BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC);
	unsigned int seen = 0, limit = vq->num;
	bool writable = false, in_indirect = false;
	u64 table = vq->desc_addr;
	struct vring_desc d;
	const char *why;
	u16 i = head;
	u16 flags;
	u32 len;

	for (;;) {
		if (i >= limit)
			return "descriptor index out of range";
		if (++seen > vq->num)
			return "descriptor loop or chain longer than the ring";
		if (vp_svq_cvq_read_desc(dev, table, i, &d))
			return "descriptor outside the client's mappings";
		flags = __virtio16_to_cpu(true, d.flags);
		len = __virtio32_to_cpu(true, d.len);

		if (flags & VRING_DESC_F_INDIRECT) {
			if (!indirect || in_indirect ||
			    (flags & VRING_DESC_F_NEXT))
				return "indirect descriptor not allowed here";
			if (!len || len % sizeof(d) || len / sizeof(d) > vq->num)
				return "indirect table of bad length";
			table = __virtio64_to_cpu(true, d.addr);
			limit = len / sizeof(d);
			in_indirect = true;
			i = 0;
			continue;
		}
		if (flags & VRING_DESC_F_WRITE) {
			writable = true;
			if (!req->has_ack && len) {
				req->ack_addr = __virtio64_to_cpu(true, d.addr);
				req->has_ack = true;
			}
		} else {
			if (writable)
				return "readable descriptor after a writable one";
			why = vp_svq_cvq_gather(dev, req, __virtio64_to_cpu(true, d.addr),
						len);
			if (why)
				return why;
		}
		if (!(flags & VRING_DESC_F_NEXT))
			return req->has_ack ? NULL : "no writable buffer for the ack";
		i = __virtio16_to_cpu(true, d.next);
	}
}

/*
 * The config space shows the MAC in use: the one set by MAC_ADDR_SET
 * (virtio 5.1.6.5.2, as QEMU's device does), provisioned, or the device's.
 */
static void vp_svq_cvq_publish_mac(struct vp_svq_dev *dev)
{
	unsigned long flags;

	spin_lock_irqsave(&dev->cb_lock, flags);
	if (!ether_addr_equal(dev->config_mac, dev->cvq.state.mac)) {
		ether_addr_copy(dev->config_mac, dev->cvq.state.mac);
		dev->config_gen++;
	}
	spin_unlock_irqrestore(&dev->cb_lock, flags);
}

/*
 * Take the request at @head: check its chain and command, and put the
 * command on the device's CVQ. Return: 0, or -ENOSPC when the commands in
 * flight leave no room for it (the request stays in the client's ring).
 */
static int vp_svq_cvq_take(struct vp_svq_dev *dev, u16 head,
			   struct vp_svq_cvq_req *req)
{
	struct vp_svq_cvq *cvq = &dev->cvq;
	const char *why;
	int slot;

	memset(req, 0, sizeof(*req));
	req->head = head;
	req->slot = -1;
	req->ack = VIRTIO_NET_ERR;
	req->why = vp_svq_cvq_parse(dev, head, req);
	/*
	 * A request the client can get no ack for is not executed: the ack
	 * byte gets VIRTIO_NET_ERR before the command goes to the device.
	 */
	if (!req->why &&
	    vp_svq_as_access(dev, req->ack_addr, &req->ack, 1, true))
		req->why = "ack buffer not writable";
	if (req->why)
		return 0;
	if (vp_svq_net_cmd_check(dev->driver_features, dev->max_vqp, cvq->cmd,
				 req->len, &why)) {
		dev_info_ratelimited(dev->parent->dev,
				     "%s: CVQ command (class %u cmd %u, %zu bytes) refused: %s\n",
				     dev_name(&dev->vdpa.dev),
				     req->len > 0 ? cvq->cmd[0] : 0,
				     req->len > 1 ? cvq->cmd[1] : 0, req->len,
				     why ?: "invalid");
		return 0;
	}
	slot = vp_svq_hwcvq_post(dev, cvq->cmd, req->len);
	if (slot == -ENOSPC)
		return slot;
	req->slot = slot;
	return 0;
}

/* Put @head on the client's used ring, @len bytes written. */
static int vp_svq_cvq_push_used(struct vp_svq_dev *dev, u16 head, u32 len)
{
	struct vp_svq_vq *vq = vp_svq_cvq_vq(dev);
	struct vp_svq_cvq *cvq = &dev->cvq;
	struct vring_used_elem elem = {
		.id = __cpu_to_virtio32(true, head),
		.len = __cpu_to_virtio32(true, len),
	};
	u64 slot = vq->device_addr + offsetof(struct vring_used, ring) +
		   (u64)(cvq->used_idx % vq->num) * sizeof(elem);
	__le16 idx;
	int ret;

	ret = vp_svq_as_access(dev, slot, &elem, sizeof(elem), true);
	if (ret)
		return ret;
	/* The client must see the entry before the index that publishes it. */
	smp_wmb();
	idx = cpu_to_le16(cvq->used_idx + 1);
	ret = vp_svq_as_access(dev, vq->device_addr +
			       offsetof(struct vring_used, idx), &idx,
			       sizeof(idx), true);
	if (!ret)
		cvq->used_idx++;
	return ret;
}

/*
 * Answer a request taken, in ring order, once the device used the commands
 * in flight (@flushed: it did in time). Commands it acked VIRTIO_NET_OK
 * update the net state. Return: 0, or -errno if the ring is broken.
 */
static int vp_svq_cvq_answer(struct vp_svq_dev *dev,
			     struct vp_svq_cvq_req *req, bool flushed)
{
	struct vp_svq_cvq *cvq = &dev->cvq;
	u8 ack = req->ack;
	u32 written = 0;

	cvq->received++;
	if (req->why) {
		vp_svq_cvq_bad(dev, req->head, req->why);
	} else {
		if (req->slot >= 0 && flushed) {
			ack = vp_svq_hwcvq_ack(cvq, req->slot);
			if (ack == VIRTIO_NET_OK) {
				vp_svq_net_cmd_apply(&cvq->state, cvq->hw.va +
						     cvq->hw_slot_off[req->slot],
						     cvq->hw_slot_len[req->slot]);
				vp_svq_cvq_publish_mac(dev);
			}
		}
		if (!vp_svq_as_access(dev, req->ack_addr, &ack, 1, true))
			written = 1;
	}
	if (ack == VIRTIO_NET_OK && written)
		cvq->completed++;
	else
		cvq->failed++;
	return vp_svq_cvq_push_used(dev, req->head, written);
}

/* Does the client want a notification for used entries up to @used? */
static bool vp_svq_cvq_wants_irq(struct vp_svq_dev *dev, u16 old, u16 used)
{
	struct vp_svq_vq *vq = vp_svq_cvq_vq(dev);
	u16 val;

	if (dev->driver_features & BIT_ULL(VIRTIO_RING_F_EVENT_IDX)) {
		if (vp_svq_cvq_read16(dev, vq->driver_addr +
				      offsetof(struct vring_avail, ring) +
				      (u64)vq->num * sizeof(__le16), &val))
			return true;
		return vring_need_event(val, used, old);
	}
	if (vp_svq_cvq_read16(dev, vq->driver_addr, &val))
		return true;
	return !(val & VRING_AVAIL_F_NO_INTERRUPT);
}

static void vp_svq_cvq_stop_broken(struct vp_svq_dev *dev, const char *why)
{
	dev->cvq.broken = true;
	dev_err_ratelimited(dev->parent->dev,
			    "%s: client CVQ ring unusable (%s): not served until reset\n",
			    dev_name(&dev->vdpa.dev), why);
}

/*
 * Serve what the client made available; at most one ring's worth. Up to
 * VP_SVQ_CVQ_BATCH requests are taken at a time, their commands in flight
 * to the device together, then answered in order.
 */
static void vp_svq_cvq_serve_avail(struct vp_svq_dev *dev)
{
	struct vp_svq_vq *vq = vp_svq_cvq_vq(dev);
	struct vp_svq_cvq *cvq = &dev->cvq;
	const char *broken = NULL;
	unsigned int k, i;
	u16 avail, head, n;
	bool flushed;

	if (vp_svq_cvq_read16(dev, vq->driver_addr +
			      offsetof(struct vring_avail, idx), &avail)) {
		vp_svq_cvq_stop_broken(dev, "avail ring outside the mappings");
		return;
	}
	n = avail - cvq->last_avail;
	if (n > vq->num) {
		vp_svq_cvq_stop_broken(dev, "avail index moved past the ring size");
		return;
	}
	/* Entries are read only after the index that published them. */
	smp_rmb();
	while (n && !broken) {
		for (k = 0; k < n && k < VP_SVQ_CVQ_BATCH; k++) {
			if (vp_svq_cvq_read16(dev, vq->driver_addr +
					      offsetof(struct vring_avail, ring) +
					      (u64)((u16)(cvq->last_avail + k) %
						    vq->num) * 2, &head)) {
				broken = "ring outside the mappings";
				break;
			}
			if (vp_svq_cvq_take(dev, head, &cvq->pending[k]))
				break;
		}
		/* An empty batch has room for any command: never 0 here. */
		if (!k && !broken)
			broken = "command larger than the device's control queue";
		flushed = !vp_svq_hwcvq_flush(dev);
		for (i = 0; i < k; i++) {
			if (vp_svq_cvq_answer(dev, &cvq->pending[i], flushed)) {
				broken = "ring outside the mappings";
				break;
			}
			cvq->last_avail++;
		}
		n -= i;
	}
	if (broken)
		vp_svq_cvq_stop_broken(dev, broken);
}

/*
 * Tell the client which avail entry to kick for next (event index), then
 * look again: an entry made available before it saw that is served now.
 */
static bool vp_svq_cvq_more(struct vp_svq_dev *dev)
{
	struct vp_svq_vq *vq = vp_svq_cvq_vq(dev);
	struct vp_svq_cvq *cvq = &dev->cvq;
	__le16 event = cpu_to_le16(cvq->last_avail);
	u16 avail;

	if ((dev->driver_features & BIT_ULL(VIRTIO_RING_F_EVENT_IDX)) &&
	    vp_svq_as_access(dev, vq->device_addr +
			     offsetof(struct vring_used, ring) +
			     (u64)vq->num * sizeof(struct vring_used_elem),
			     &event, sizeof(event), true))
		return true;
	/* Publish the event index before reading the avail index again. */
	smp_mb();
	if (vp_svq_cvq_read16(dev, vq->driver_addr +
			      offsetof(struct vring_avail, idx), &avail))
		return true;
	return avail != cvq->last_avail;
}

/* Rounds of serve_avail() per run of the work item, before yielding. */
#define VP_SVQ_CVQ_ROUNDS	4

static void vp_svq_cvq_work(struct work_struct *work)
{
	struct vp_svq_cvq *cvq = container_of(work, struct vp_svq_cvq, work);
	struct vp_svq_dev *dev = cvq_to_dev(cvq);
	unsigned int rounds = 0;
	bool more;
	u16 old;

	mutex_lock(&cvq->lock);
	if (!cvq->running || cvq->paused || cvq->broken)
		goto out_unlock;
	old = cvq->used_idx;
	do {
		vp_svq_cvq_serve_avail(dev);
		more = !cvq->broken && vp_svq_cvq_more(dev);
	} while (more && ++rounds < VP_SVQ_CVQ_ROUNDS);

	if (cvq->used_idx != old &&
	    vp_svq_cvq_wants_irq(dev, old, cvq->used_idx))
		vp_svq_irq_deliver(dev, cvq->idx);
	if (more)
		schedule_work(&cvq->work);
out_unlock:
	mutex_unlock(&cvq->lock);
}

/**
 * vp_svq_cvq_kick() - the client kicked its CVQ
 * @dev: the vDPA device
 */
void vp_svq_cvq_kick(struct vp_svq_dev *dev)
{
	schedule_work(&dev->cvq.work);
}

/**
 * vp_svq_cvq_init() - set up the shadow CVQ of a new vDPA device
 * @dev: the vDPA device
 */
void vp_svq_cvq_init(struct vp_svq_dev *dev)
{
	struct vp_svq_cvq *cvq = &dev->cvq;

	mutex_init(&cvq->lock);
	INIT_WORK(&cvq->work, vp_svq_cvq_work);
	vp_svq_cvq_reset_state(dev);
	/* The first MAC shown is no change: the generation is the device's. */
	dev->config_gen = 0;
}

/**
 * vp_svq_cvq_reset_state() - net state of a device fresh out of reset
 * @dev: the vDPA device
 *
 * What "vdpa dev add" provisioned (a MAC address) stays. A pause ends: a
 * reset device is not suspended.
 */
void vp_svq_cvq_reset_state(struct vp_svq_dev *dev)
{
	struct vp_svq_net_state *st = &dev->cvq.state;

	mutex_lock(&dev->cvq.lock);
	dev->cvq.paused = false;
	mutex_unlock(&dev->cvq.lock);

	vp_svq_net_state_init(st, dev->parent->mac);
	if (dev->mac_provisioned) {
		ether_addr_copy(st->mac, dev->mac);
		st->mac_set = true;
	}
	vp_svq_cvq_publish_mac(dev);
}

/**
 * vp_svq_cvq_start() - serve the client's CVQ
 * @dev: the vDPA device; the client's CVQ is ready
 *
 * Return: 0, or -EINVAL for a ring the shadow cannot serve.
 */
int vp_svq_cvq_start(struct vp_svq_dev *dev)
{
	struct vp_svq_cvq *cvq = &dev->cvq;
	struct vp_svq_vq *vq = &dev->vqs[cvq->idx];

	if (dev->driver_features & BIT_ULL(VIRTIO_F_RING_PACKED)) {
		dev_err_ratelimited(dev->parent->dev, "%s: the shadow CVQ serves split rings only\n",
				    dev_name(&dev->vdpa.dev));
		return -EINVAL;
	}
	if (!vq->num || !is_power_of_2(vq->num)) {
		dev_err_ratelimited(dev->parent->dev, "%s: CVQ size %u is not a power of 2\n",
				    dev_name(&dev->vdpa.dev), vq->num);
		return -EINVAL;
	}
	mutex_lock(&cvq->lock);
	/* A restored ring (migration destination) starts where it was. */
	cvq->last_avail = vq->state_set ? vq->state.split.avail_index : 0;
	cvq->used_idx = cvq->last_avail;
	cvq->broken = false;
	cvq->running = true;
	mutex_unlock(&cvq->lock);
	/* Requests posted before the start are served now. */
	schedule_work(&cvq->work);
	return 0;
}

/**
 * vp_svq_cvq_stop() - stop serving the client's CVQ; waits for the worker
 * @dev: the vDPA device
 *
 * A pause stays: a CVQ the client disables and enables again while the
 * device is suspended is served only after resume.
 */
void vp_svq_cvq_stop(struct vp_svq_dev *dev)
{
	struct vp_svq_cvq *cvq = &dev->cvq;

	mutex_lock(&cvq->lock);
	cvq->running = false;
	mutex_unlock(&cvq->lock);
	cancel_work_sync(&cvq->work);
}

/**
 * vp_svq_cvq_pause() - stop serving the client's CVQ at a request boundary
 * @dev: the vDPA device
 *
 * Every request taken is answered: the position is exact. Requests the
 * client posts meanwhile are served after vp_svq_cvq_unpause().
 */
void vp_svq_cvq_pause(struct vp_svq_dev *dev)
{
	struct vp_svq_cvq *cvq = &dev->cvq;

	mutex_lock(&cvq->lock);
	cvq->paused = true;
	mutex_unlock(&cvq->lock);
	cancel_work_sync(&cvq->work);
}

/**
 * vp_svq_cvq_unpause() - serve the client's CVQ again after a pause
 * @dev: the vDPA device
 */
void vp_svq_cvq_unpause(struct vp_svq_dev *dev)
{
	struct vp_svq_cvq *cvq = &dev->cvq;

	mutex_lock(&cvq->lock);
	cvq->paused = false;
	mutex_unlock(&cvq->lock);
	schedule_work(&cvq->work);
}

/**
 * vp_svq_cvq_set_position() - move a paused shadow CVQ to another ring state
 * @dev: the vDPA device, paused
 * @avail: the next avail entry to serve, also the next used index
 */
void vp_svq_cvq_set_position(struct vp_svq_dev *dev, u16 avail)
{
	mutex_lock(&dev->cvq.lock);
	dev->cvq.last_avail = avail;
	dev->cvq.used_idx = avail;
	mutex_unlock(&dev->cvq.lock);
}

/**
 * vp_svq_cvq_position() - the next avail entry the shadow will serve
 * @dev: the vDPA device, paused
 *
 * Return: the ring state of the client's CVQ; every request before it was
 * answered, so it is also the used index.
 */
u16 vp_svq_cvq_position(struct vp_svq_dev *dev)
{
	u16 pos;

	mutex_lock(&dev->cvq.lock);
	pos = dev->cvq.last_avail;
	mutex_unlock(&dev->cvq.lock);
	return pos;
}

/**
 * vp_svq_cvq_replay() - bring the device to the tracked net state
 * @dev: the vDPA device, after DRIVER_OK with the device's CVQ running
 *
 * Return: 0; -EIO when the device refused a command, or -errno.
 */
int vp_svq_cvq_replay(struct vp_svq_dev *dev)
{
	int ret;

	mutex_lock(&dev->cvq.lock);
	ret = vp_svq_net_state_replay(&dev->cvq.state, dev->hw_features,
				      vp_svq_hwcvq_send, dev);
	mutex_unlock(&dev->cvq.lock);
	if (ret)
		dev_err_ratelimited(dev->parent->dev,
				    "%s: restoring the net state through the device's CVQ failed: %d\n",
				    dev_name(&dev->vdpa.dev), ret);
	return ret;
}

/**
 * vp_svq_cvq_stats() - the shadow CVQ's counters, for "vdpa dev vstats"
 * @dev: the vDPA device
 * @msg: netlink message to fill
 *
 * Return: 0 or -EMSGSIZE.
 */
int vp_svq_cvq_stats(struct vp_svq_dev *dev, struct sk_buff *msg)
{
	struct vp_svq_cvq *cvq = &dev->cvq;
	u64 received, completed, failed;

	mutex_lock(&cvq->lock);
	received = cvq->received;
	completed = cvq->completed;
	failed = cvq->failed;
	mutex_unlock(&cvq->lock);

	if (vp_svq_put_stat(msg, "received_cmds", received) ||
	    vp_svq_put_stat(msg, "completed_cmds", completed) ||
	    vp_svq_put_stat(msg, "failed_cmds", failed))
		return -EMSGSIZE;
	return 0;
}
