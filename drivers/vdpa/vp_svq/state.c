// SPDX-License-Identifier: GPL-2.0-only
/*
 * vp_svq: suspend, resume and virtqueue state through the device's own
 * facilities.
 *
 * Two facilities, each optional (include/vp_svq/device_state.h):
 *  - virtio 1.4 SUSPEND (VIRTIO_F_SUSPEND, negotiated by the driver for
 *    itself): stops the whole device;
 *  - the device-state capability: stops single queues, and reads and
 *    writes their available and used state.
 * Suspend uses SUSPEND when the device has it, else stops each queue
 * through the capability. Exact ring state needs the capability.
 *
 * A plain device (neither facility), split rings: suspend stops taking
 * the client's kicks, gives transmit buffers in flight a bounded time to
 * complete, and resets the data queues (VIRTIO_F_RING_RESET, negotiated by
 * the driver for itself) or, without it, the whole device. A reset queue
 * stands at the client's used index: buffers the device took but did not
 * use are offered again. Resume, or a state set at a non-initial index,
 * continues in ring shadow mode (shadow.c), since the device itself can
 * only start a queue at index 0; after a device reset, resume starts the
 * device again as at DRIVER_OK and replays the net state through its CVQ.
 * With RING_RESET, reading the state of a running queue stops it the same
 * way, so that the state stays true (QEMU 7.2 reads the data queues' state
 * before it resets the device).
 */

#include <linux/virtio_config.h>

#include "vp_svq.h"

/* How long a device may take to suspend, resume or stop a queue. */
#define VP_SVQ_STATE_TIMEOUT_MS	1000
/* How long transmit buffers in flight get to complete on a plain device. */
#define VP_SVQ_DRAIN_TIMEOUT_MS	100

static struct vp_svq_device_state __iomem *
vp_svq_state_regs(struct vp_svq_parent *parent)
{
	return parent->state;
}

/**
 * vp_svq_state_probe() - check the device-state capability the transport
 *	found, and say which facilities the device has
 * @parent: the function, after vp_svq_hw_probe()
 *
 * A capability of an unknown version is not used.
 */
void vp_svq_state_probe(struct vp_svq_parent *parent)
{
	struct vp_svq_device_state __iomem *st = vp_svq_state_regs(parent);
	bool suspend = parent->device_features & BIT_ULL(VIRTIO_F_SUSPEND);
	bool ring_reset = parent->device_features & BIT_ULL(VIRTIO_F_RING_RESET);
	u16 version;

	if (st) {
		version = vp_ioread16(&st->version);
		if (version != VP_SVQ_DEVICE_STATE_VERSION) {
			dev_warn(parent->dev,
				 "device-state capability version %u unknown (want %u): not used\n",
				 version, VP_SVQ_DEVICE_STATE_VERSION);
			parent->state = NULL;
			st = NULL;
		}
	}
	dev_info(parent->dev,
		 "migration facilities: SUSPEND %s, device-state capability %s, RING_RESET %s: suspend %s, ring state %s\n",
		 suspend ? "yes" : "no", st ? "yes" : "no",
		 ring_reset ? "yes" : "no",
		 suspend ? "by status bit" : st ? "by stopping each queue" :
		 ring_reset ? "by resetting each queue" : "by resetting the device",
		 st ? "read and written by the device" :
		      "from the client's ring, restored in shadow mode");
}

/**
 * vp_svq_state_facilities() - one line for sysfs: the facilities in use
 * @parent: the function
 * @buf: sysfs buffer
 *
 * Return: bytes written.
 */
ssize_t vp_svq_state_facilities(struct vp_svq_parent *parent, char *buf)
{
	bool suspend = parent->device_features & BIT_ULL(VIRTIO_F_SUSPEND);
	bool ring_reset = parent->device_features &
			  BIT_ULL(VIRTIO_F_RING_RESET);

	return sysfs_emit(buf, "suspend=%s vq_state=%s enable_after_driver_ok=%s\n",
			  suspend ? "status-bit" :
			  parent->state ? "queue-stop" :
			  ring_reset ? "queue-reset" : "device-reset",
			  parent->state ? "capability" : "client-ring",
			  ring_reset ? "ring-reset" : "no");
}

/* Suspended through the device's facilities, state exact. */
static bool vp_svq_state_by_facilities(struct vp_svq_dev *dev)
{
	return (dev->hw_features & BIT_ULL(VIRTIO_F_SUSPEND)) ||
	       dev->parent->state;
}

/* A plain device with split rings: stopped by resets, resumed in shadow. */
static bool vp_svq_state_plain(struct vp_svq_dev *dev)
{
	return !vp_svq_state_by_facilities(dev) &&
	       !(dev->hw_features & BIT_ULL(VIRTIO_F_RING_PACKED));
}

/**
 * vp_svq_state_can_suspend() - can @dev be suspended?
 * @dev: the vDPA device
 *
 * Return: true with SUSPEND negotiated or the device-state capability,
 * and for split rings on any device.
 */
bool vp_svq_state_can_suspend(struct vp_svq_dev *dev)
{
	return vp_svq_state_by_facilities(dev) || vp_svq_state_plain(dev);
}

static u16 vp_svq_state_queue_status(struct vp_svq_parent *parent, u16 qid)
{
	struct vp_svq_device_state __iomem *st = vp_svq_state_regs(parent);

	vp_iowrite16(qid, &st->queue_select);
	return vp_ioread16(&st->queue_status);
}

/* Ask queue @qid to stop; the device completes its in-flight buffers. */
static void vp_svq_state_stop_queue(struct vp_svq_dev *dev, u16 qid)
{
	struct vp_svq_device_state __iomem *st = vp_svq_state_regs(dev->parent);

	vp_iowrite16(qid, &st->queue_select);
	vp_iowrite16(VP_SVQ_QUEUE_STOPPED, &st->queue_status);
}

/* Wait until queue @qid reads stopped. */
static int vp_svq_state_wait_stopped(struct vp_svq_dev *dev, u16 qid)
{
	struct vp_svq_parent *parent = dev->parent;
	u16 status;
	int ret;

	ret = vp_svq_poll_timeout(vp_svq_state_queue_status, status,
				  status == VP_SVQ_QUEUE_STOPPED,
				  VP_SVQ_STATE_TIMEOUT_MS * USEC_PER_MSEC,
				  parent, qid);
	if (ret)
		dev_err_ratelimited(parent->dev, "%s: vq %u did not stop in %u ms\n",
				    dev_name(&dev->vdpa.dev), qid, VP_SVQ_STATE_TIMEOUT_MS);
	return ret;
}

static void vp_svq_state_run_queue(struct vp_svq_dev *dev, u16 qid)
{
	struct vp_svq_device_state __iomem *st = vp_svq_state_regs(dev->parent);

	vp_iowrite16(qid, &st->queue_select);
	vp_iowrite16(VP_SVQ_QUEUE_RUNNING, &st->queue_status);
}

/*
 * Set SUSPEND and wait for the device to drop DRIVER_OK, or to say with
 * DEVICE_NEEDS_RESET that it failed to suspend (it then keeps DRIVER_OK).
 */
static int vp_svq_state_suspend_device(struct vp_svq_dev *dev)
{
	struct virtio_pci_modern_device *mdev = dev->parent->mdev;
	u8 status = vp_modern_get_status(mdev);
	int ret;

	vp_modern_set_status(mdev, status | VIRTIO_CONFIG_S_SUSPEND);
	ret = vp_svq_poll_timeout(vp_modern_get_status, status,
				  (status & VIRTIO_CONFIG_S_NEEDS_RESET) ||
				  ((status & VIRTIO_CONFIG_S_SUSPEND) &&
				   !(status & VIRTIO_CONFIG_S_DRIVER_OK)),
				  VP_SVQ_STATE_TIMEOUT_MS * USEC_PER_MSEC, mdev);
	if (ret) {
		dev_err_ratelimited(dev->parent->dev,
				    "%s: device did not suspend in %u ms (status 0x%02x)\n",
				    dev_name(&dev->vdpa.dev), VP_SVQ_STATE_TIMEOUT_MS,
				    status);
	} else if (status & VIRTIO_CONFIG_S_NEEDS_RESET) {
		dev_err_ratelimited(dev->parent->dev,
				    "%s: device failed to suspend: DEVICE_NEEDS_RESET (status 0x%02x)\n",
				    dev_name(&dev->vdpa.dev), status);
		ret = -EIO;
	}
	return ret;
}

/* Set DRIVER_OK again and wait for the device to drop SUSPEND. */
static int vp_svq_state_resume_device(struct vp_svq_dev *dev)
{
	struct virtio_pci_modern_device *mdev = dev->parent->mdev;
	u8 status = vp_modern_get_status(mdev);
	int ret;

	vp_modern_set_status(mdev, status | VIRTIO_CONFIG_S_DRIVER_OK);
	ret = vp_svq_poll_timeout(vp_modern_get_status, status,
				  !(status & VIRTIO_CONFIG_S_SUSPEND),
				  VP_SVQ_STATE_TIMEOUT_MS * USEC_PER_MSEC, mdev);
	if (ret)
		dev_err_ratelimited(dev->parent->dev,
				    "%s: device did not resume in %u ms (status 0x%02x)\n",
				    dev_name(&dev->vdpa.dev), VP_SVQ_STATE_TIMEOUT_MS,
				    status);
	return ret;
}

/* Stop every queue that runs in the device, through the capability. */
static int vp_svq_state_stop_queues(struct vp_svq_dev *dev)
{
	int ret;
	u16 idx;

	/* Every queue drains at once: the cost is one wait, not one a queue. */
	for (idx = 0; idx < dev->nvqs; idx++)
		if (vp_svq_vq_in_hw(dev, idx))
			vp_svq_state_stop_queue(dev, idx);
	for (idx = 0; idx < dev->nvqs; idx++) {
		if (!vp_svq_vq_in_hw(dev, idx))
			continue;
		ret = vp_svq_state_wait_stopped(dev, idx);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * A device that FAILED stays as it is until the client resets it: a
 * suspend or resume tried again would set up what is already there.
 */
static bool vp_svq_state_is_failed(struct vp_svq_dev *dev)
{
	return vp_modern_get_status(dev->parent->mdev) & VIRTIO_CONFIG_S_FAILED;
}

/* The device broke the suspend contract: only a reset helps now. */
static int vp_svq_state_failed(struct vp_svq_dev *dev, int ret)
{
	struct virtio_pci_modern_device *mdev = dev->parent->mdev;

	vp_modern_set_status(mdev, vp_modern_get_status(mdev) |
				   VIRTIO_CONFIG_S_FAILED);
	dev_err_ratelimited(dev->parent->dev, "%s: status FAILED: reset the device\n",
			    dev_name(&dev->vdpa.dev));
	return ret;
}

/* Read the client's avail (@used false) or used index of data queue @idx. */
static int vp_svq_state_ring_idx(struct vp_svq_dev *dev, u16 idx, bool used,
				 u16 *val)
{
	struct vp_svq_vq *vq = &dev->vqs[idx];
	u64 addr = used ? vq->device_addr + offsetof(struct vring_used, idx) :
			  vq->driver_addr + offsetof(struct vring_avail, idx);
	__virtio16 v;
	int ret;

	ret = vp_svq_as_read_data(dev, addr, &v, sizeof(v));
	*val = __virtio16_to_cpu(true, v);
	return ret;
}

/* The client's used index of data queue @idx, or a message why not. */
static int vp_svq_state_client_used(struct vp_svq_dev *dev, u16 idx,
				    u16 *used)
{
	int ret = vp_svq_state_ring_idx(dev, idx, true, used);

	if (ret)
		dev_err_ratelimited(dev->parent->dev,
				    "%s: vq %u: cannot read the client's used index: %d\n",
				    dev_name(&dev->vdpa.dev), idx, ret);
	return ret;
}

/* Data queues: even indices receive, odd ones transmit. */
static bool vp_svq_state_is_tx(struct vp_svq_dev *dev, u16 idx)
{
	return !vp_svq_is_cvq(dev, idx) && (idx & 1);
}

/*
 * Has transmit queue @idx used what it had been given when it stopped
 * taking kicks (in passthrough: up to the avail index in @vq->base)?
 */
static bool vp_svq_state_tx_drained(struct vp_svq_dev *dev, u16 idx)
{
	struct vp_svq_vq *vq = &dev->vqs[idx];
	u16 used;

	if (vp_svq_shadow_active(vq))
		return vp_svq_shadow_drained(vq);
	if (vp_svq_state_ring_idx(dev, idx, true, &used))
		return true;
	return (s16)(used - vq->base) >= 0;
}

/*
 * Give the transmit queues being stopped a bounded time to complete what
 * they took: a frame sent but not yet marked used would be sent again.
 */
static void vp_svq_state_drain_tx(struct vp_svq_dev *dev)
{
	unsigned long deadline = jiffies +
				 msecs_to_jiffies(VP_SVQ_DRAIN_TIMEOUT_MS);
	u16 idx;

	for (idx = 0; idx < dev->nvqs; idx++) {
		if (!dev->vqs[idx].stopping || !vp_svq_state_is_tx(dev, idx))
			continue;
		while (!vp_svq_state_tx_drained(dev, idx)) {
			if (time_after(jiffies, deadline)) {
				dev_info_ratelimited(dev->parent->dev,
						     "%s: vq %u: transmit buffers still in flight after %u ms are offered again\n",
						     dev_name(&dev->vdpa.dev), idx,
						     VP_SVQ_DRAIN_TIMEOUT_MS);
				break;
			}
			usleep_range(20, 50);
		}
	}
}

/* Stop taking kicks on data queue @idx; let its device see what it has. */
static void vp_svq_state_stop_kicks(struct vp_svq_dev *dev, u16 idx)
{
	struct vp_svq_vq *vq = &dev->vqs[idx];

	vq->stopping = true;
	WRITE_ONCE(vq->stopped, true);
	if (vp_svq_shadow_active(vq) || !vp_svq_state_is_tx(dev, idx))
		return;
	/* A kick the client made just now may have been dropped. */
	if (vp_svq_state_ring_idx(dev, idx, false, &vq->base))
		vq->base = 0;
	vp_iowrite16(idx, dev->parent->notify[idx].addr);
}

/* Stopped queue @idx, reset, stands at the client's used index. */
static int vp_svq_state_keep_position(struct vp_svq_dev *dev, u16 idx)
{
	struct vp_svq_vq *vq = &dev->vqs[idx];

	if (vp_svq_shadow_active(vq)) {
		vq->base = vp_svq_shadow_position(vq);
		vp_svq_shadow_stop(dev, idx);
		return 0;
	}
	return vp_svq_state_client_used(dev, idx, &vq->base);
}

/* Data queue @idx runs and is among those to stop (@only, or all). */
static bool vp_svq_state_to_stop(struct vp_svq_dev *dev, u16 idx, u16 only)
{
	return (only == U16_MAX || idx == only) &&
	       vp_svq_vq_in_hw(dev, idx) && !dev->vqs[idx].stopped;
}

/*
 * Can the driver read where data queue @only (or every running data queue,
 * @only == U16_MAX) stands? Checked before anything is stopped, so that a
 * client whose rings the driver cannot reach loses nothing.
 */
static int vp_svq_state_check_rings(struct vp_svq_dev *dev, u16 only)
{
	u16 idx, val;
	int ret;

	for (idx = 0; idx < dev->nvqs; idx++) {
		if (!vp_svq_state_to_stop(dev, idx, only))
			continue;
		ret = vp_svq_state_ring_idx(dev, idx, true, &val);
		if (!ret)
			ret = vp_svq_state_ring_idx(dev, idx, false, &val);
		if (ret) {
			dev_info_ratelimited(dev->parent->dev,
					     "%s: vq %u: the client's ring is not mapped where the driver can read it (%d): cannot stop the queue\n",
					     dev_name(&dev->vdpa.dev), idx, ret);
			return ret;
		}
	}
	return 0;
}

static bool vp_svq_state_ring_reset(struct vp_svq_dev *dev)
{
	return dev->hw_features & BIT_ULL(VIRTIO_F_RING_RESET);
}

/*
 * Without RING_RESET: reset the whole device, and bring it back to
 * FEATURES_OK with the same features, so that only DRIVER_OK is missing.
 */
static int vp_svq_state_reset_device(struct vp_svq_dev *dev)
{
	struct virtio_pci_modern_device *mdev = dev->parent->mdev;
	u8 status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	int ret;

	ret = vp_svq_hw_reset(dev->parent);
	vp_svq_as_reset_done(dev, ret);
	if (ret)
		return ret;
	vp_modern_set_status(mdev, status);
	vp_modern_set_features(mdev, dev->hw_features);
	vp_modern_set_status(mdev, status | VIRTIO_CONFIG_S_FEATURES_OK);
	if (!(vp_modern_get_status(mdev) & VIRTIO_CONFIG_S_FEATURES_OK)) {
		dev_err_ratelimited(dev->parent->dev,
				    "%s: device refused its features again after a reset\n",
				    dev_name(&dev->vdpa.dev));
		return -EIO;
	}
	return 0;
}

/*
 * Stop data queue @only, or every data queue running in the device
 * (@only == U16_MAX), on a plain device: kicks first, then a bounded drain
 * of transmit buffers, then queue resets (with RING_RESET; @only must be
 * U16_MAX without) or a device reset. Stopped queues keep their position
 * in &vp_svq_vq.base.
 */
static int vp_svq_state_stop_plain(struct vp_svq_dev *dev, u16 only)
{
	bool by_queue = vp_svq_state_ring_reset(dev);
	int ret = 0;
	u16 idx;

	for (idx = 0; idx < dev->nvqs; idx++)
		if (vp_svq_state_to_stop(dev, idx, only))
			vp_svq_state_stop_kicks(dev, idx);
	vp_svq_state_drain_tx(dev);
	if (!by_queue)
		ret = vp_svq_state_reset_device(dev);
	for (idx = 0; idx < dev->nvqs; idx++) {
		if (!dev->vqs[idx].stopping)
			continue;
		dev->vqs[idx].stopping = false;
		if (!ret && by_queue)
			ret = vp_svq_hw_queue_reset(dev->parent, idx);
		if (!ret)
			ret = vp_svq_state_keep_position(dev, idx);
	}
	return ret;
}

/* Run the stopped data queues again, in shadow mode, from their bases. */
static int vp_svq_state_restart_plain(struct vp_svq_dev *dev)
{
	struct vp_svq_vq *vq;
	int ret = 0;
	u16 idx;

	for (idx = 0; idx < dev->nvqs && !ret; idx++) {
		vq = &dev->vqs[idx];
		if (!vq->stopped)
			continue;
		ret = vp_svq_shadow_start(dev, idx, vq->base,
					  VP_SVQ_SHADOW_RESUMED);
		if (!ret && vp_svq_state_ring_reset(dev))
			ret = vp_svq_vq_start_late(dev, idx);
	}
	/* Without RING_RESET the device starts again as at DRIVER_OK. */
	if (!ret && !vp_svq_state_ring_reset(dev))
		ret = vp_svq_restart_device(dev);
	if (ret)
		return ret;
	for (idx = 0; idx < dev->nvqs; idx++) {
		vq = &dev->vqs[idx];
		if (!vq->stopped)
			continue;
		WRITE_ONCE(vq->stopped, false);
		/* What the client offered while the queue was stopped. */
		vp_svq_shadow_kick(dev, idx);
	}
	return 0;
}

/**
 * vp_svq_state_hold_queue() - keep a queue enabled while suspended stopped
 * @dev: the vDPA device, suspended
 * @qid: the queue, just enabled (after DRIVER_OK, with RING_RESET)
 *
 * Suspended by queue stops, the device runs an enabled queue at once: stop
 * it too, so that resume starts it with the others. Suspended by the
 * status bit, the device runs no queue anyway.
 *
 * Return: 0, or -ETIMEDOUT when the queue does not stop (status FAILED).
 */
int vp_svq_state_hold_queue(struct vp_svq_dev *dev, u16 qid)
{
	int ret;

	if (dev->hw_features & BIT_ULL(VIRTIO_F_SUSPEND))
		return 0;
	vp_svq_state_stop_queue(dev, qid);
	ret = vp_svq_state_wait_stopped(dev, qid);
	return ret ? vp_svq_state_failed(dev, ret) : 0;
}

/**
 * vp_svq_state_park_queue() - a queue enabled while suspended by resets
 * @dev: the vDPA device, suspended by queue resets
 * @qid: the data queue being enabled
 *
 * The queue does not run in the device: it is marked stopped at the state
 * set, else at the client's used index, and resume starts it in shadow
 * mode with the others.
 *
 * Return: 0, or -EFAULT/-EPERM when the client's ring cannot be read.
 */
int vp_svq_state_park_queue(struct vp_svq_dev *dev, u16 qid)
{
	struct vp_svq_vq *vq = &dev->vqs[qid];
	u16 base;
	int ret;

	if (vq->state_set) {
		base = vq->state.split.avail_index;
	} else {
		ret = vp_svq_state_client_used(dev, qid, &base);
		if (ret)
			return ret;
	}
	vq->base = base;
	WRITE_ONCE(vq->stopped, true);
	return 0;
}

/**
 * vp_svq_suspend() - vdpa_config_ops.suspend
 * @vdpa: the vDPA device
 *
 * When it returns 0, the device takes no buffer, does no DMA and raises no
 * interrupt the client sees; buffers it had taken are completed; ring
 * state reads exactly. The shadow CVQ stops at a request boundary.
 *
 * Return: 0, also before DRIVER_OK (nothing to suspend); -EIO once the
 * device FAILED (until reset); -EOPNOTSUPP for
 * packed rings on a device without SUSPEND and device-state capability;
 * -EFAULT or -EPERM, with nothing stopped, when the driver cannot read the
 * client's rings of such a device; -ETIMEDOUT or -EIO when the device does
 * not comply, with status FAILED.
 */
int vp_svq_suspend(struct vdpa_device *vdpa)
{
	struct vp_svq_dev *dev = vdpa_to_vp_svq(vdpa);
	int ret;

	if (vp_svq_state_is_failed(dev))
		return -EIO;
	/* Nothing runs before DRIVER_OK (vhost-vdpa does not even ask). */
	if (dev->suspended || !vp_svq_driver_ok(dev))
		return 0;
	if (!vp_svq_state_can_suspend(dev)) {
		dev_info_ratelimited(dev->parent->dev,
				     "%s: suspend: the device has neither SUSPEND nor a device-state capability, and packed rings cannot be shadowed\n",
				     dev_name(&vdpa->dev));
		return -EOPNOTSUPP;
	}
	if (!vp_svq_state_by_facilities(dev)) {
		ret = vp_svq_state_check_rings(dev, U16_MAX);
		if (ret)
			return ret;
	}

	vp_svq_irq_hold(dev, true);
	vp_svq_cvq_pause(dev);
	if (dev->hw_features & BIT_ULL(VIRTIO_F_SUSPEND))
		ret = vp_svq_state_suspend_device(dev);
	else if (dev->parent->state)
		ret = vp_svq_state_stop_queues(dev);
	else
		ret = vp_svq_state_stop_plain(dev, U16_MAX);
	if (ret)
		return vp_svq_state_failed(dev, ret);
	dev->queues_reset = !vp_svq_state_by_facilities(dev);
	dev->suspended = true;
	return 0;
}

/**
 * vp_svq_resume() - vdpa_config_ops.resume
 * @vdpa: the vDPA device
 *
 * Continues exactly where suspend stopped, from ring state written while
 * suspended if any; then delivers the interrupts and config change held.
 * Queues of a plain device continue in shadow mode; so do queues stopped
 * because their state was read while the device ran, also when the device
 * was not suspended.
 *
 * Return: 0; -EIO once the device FAILED (until reset); or -errno with
 * status FAILED.
 */
int vp_svq_resume(struct vdpa_device *vdpa)
{
	struct vp_svq_dev *dev = vdpa_to_vp_svq(vdpa);
	int ret = 0;
	u16 idx;

	if (vp_svq_state_is_failed(dev))
		return -EIO;
	if (!dev->suspended) {
		/* Only queues stopped by a state read (RING_RESET) wait. */
		ret = vp_svq_driver_ok(dev) && vp_svq_state_ring_reset(dev) ?
		      vp_svq_state_restart_plain(dev) : 0;
		return ret ? vp_svq_state_failed(dev, ret) : 0;
	}
	if (dev->hw_features & BIT_ULL(VIRTIO_F_SUSPEND)) {
		ret = vp_svq_state_resume_device(dev);
	} else if (dev->queues_reset) {
		ret = vp_svq_state_restart_plain(dev);
	} else {
		for (idx = 0; idx < dev->nvqs; idx++)
			if (vp_svq_vq_in_hw(dev, idx))
				vp_svq_state_run_queue(dev, idx);
	}
	if (ret)
		return vp_svq_state_failed(dev, ret);
	dev->suspended = false;
	dev->queues_reset = false;
	vp_svq_cvq_unpause(dev);
	vp_svq_irq_hold(dev, false);
	return 0;
}

/* The state of a ring nobody has used yet. */
static void vp_svq_state_initial(struct vp_svq_dev *dev,
				 struct vdpa_vq_state *state)
{
	memset(state, 0, sizeof(*state));
	if (dev->driver_features & BIT_ULL(VIRTIO_F_RING_PACKED)) {
		state->packed.last_avail_counter = 1;
		state->packed.last_used_counter = 1;
	}
}

static bool vp_svq_state_packed(struct vp_svq_dev *dev)
{
	return dev->driver_features & BIT_ULL(VIRTIO_F_RING_PACKED);
}

/* Read queue @qid's state from the capability. */
static void vp_svq_state_read(struct vp_svq_dev *dev, u16 qid,
			      struct vdpa_vq_state *state)
{
	struct vp_svq_device_state __iomem *st = vp_svq_state_regs(dev->parent);
	u16 avail, used;

	vp_iowrite16(qid, &st->queue_select);
	avail = vp_ioread16(&st->avail_state);
	used = vp_ioread16(&st->used_state);
	memset(state, 0, sizeof(*state));
	if (!vp_svq_state_packed(dev)) {
		state->split.avail_index = avail;
		return;
	}
	state->packed.last_avail_idx = avail & VP_SVQ_STATE_INDEX;
	state->packed.last_avail_counter = !!(avail & VP_SVQ_STATE_WRAP);
	state->packed.last_used_idx = used & VP_SVQ_STATE_INDEX;
	state->packed.last_used_counter = !!(used & VP_SVQ_STATE_WRAP);
}

/**
 * vp_svq_state_write() - program a queue's state into the capability
 * @dev: the vDPA device
 * @qid: the queue, stopped or before DRIVER_OK
 * @state: the state; for a split ring the used index is the avail index
 *	(every buffer taken was completed)
 */
void vp_svq_state_write(struct vp_svq_dev *dev, u16 qid,
			const struct vdpa_vq_state *state)
{
	struct vp_svq_device_state __iomem *st = vp_svq_state_regs(dev->parent);
	u16 avail, used;

	if (vp_svq_state_packed(dev)) {
		avail = state->packed.last_avail_idx |
			(state->packed.last_avail_counter ? VP_SVQ_STATE_WRAP : 0);
		used = state->packed.last_used_idx |
		       (state->packed.last_used_counter ? VP_SVQ_STATE_WRAP : 0);
	} else {
		avail = state->split.avail_index;
		used = avail;
	}
	vp_iowrite16(qid, &st->queue_select);
	vp_iowrite16(avail, &st->avail_state);
	vp_iowrite16(used, &st->used_state);
}

static bool vp_svq_state_is_initial(struct vp_svq_dev *dev,
				    const struct vdpa_vq_state *state)
{
	struct vdpa_vq_state initial;

	vp_svq_state_initial(dev, &initial);
	return !memcmp(state, &initial, sizeof(initial));
}

/**
 * vp_svq_set_vq_state() - vdpa_config_ops.set_vq_state
 * @vdpa: the vDPA device
 * @idx: queue index
 * @state: where the ring starts
 *
 * Before DRIVER_OK any state is kept and applied at DRIVER_OK (what a
 * migration destination does): through the device-state capability, else
 * by running the queue in shadow mode. While suspended it is applied at
 * once (capability), or at resume (plain device). The shadow CVQ takes
 * any state.
 *
 * Return: 0; -EBUSY while the device runs; -EOPNOTSUPP for a packed data
 * ring at a non-initial state without the capability, or for a data queue
 * of a device suspended by its SUSPEND bit alone.
 */
int vp_svq_set_vq_state(struct vdpa_device *vdpa, u16 idx,
			const struct vdpa_vq_state *state)
{
	struct vp_svq_dev *dev = vdpa_to_vp_svq(vdpa);
	struct vp_svq_vq *vq = &dev->vqs[idx];
	bool cvq = vp_svq_is_cvq(dev, idx);

	if (vp_svq_driver_ok(dev) && !dev->suspended)
		return -EBUSY;
	if (!cvq && !dev->parent->state && vp_svq_state_packed(dev) &&
	    !vp_svq_state_is_initial(dev, state)) {
		dev_info_ratelimited(dev->parent->dev,
				     "%s: vq %u: a packed ring starts at a non-initial index only through the device-state capability\n",
				     dev_name(&vdpa->dev), idx);
		return -EOPNOTSUPP;
	}
	/* Suspended by SUSPEND alone: nothing can move the device's ring. */
	if (!cvq && !dev->parent->state && dev->suspended &&
	    !dev->queues_reset) {
		dev_info_ratelimited(dev->parent->dev,
				     "%s: vq %u: the state of a ring suspended by the SUSPEND bit can be set only through the device-state capability\n",
				     dev_name(&vdpa->dev), idx);
		return -EOPNOTSUPP;
	}
	vq->state = *state;
	vq->state_set = true;
	if (!dev->suspended)
		return 0;
	if (cvq)
		vp_svq_cvq_set_position(dev, state->split.avail_index);
	else if (vq->stopped)
		vq->base = state->split.avail_index;
	else if (dev->parent->state && vp_svq_vq_in_hw(dev, idx))
		vp_svq_state_write(dev, idx, state);
	return 0;
}

static int vp_svq_state_lost(struct vp_svq_dev *dev, u16 idx)
{
	dev_info_ratelimited(dev->parent->dev,
			     "%s: vq %u: where the ring stood when the device was reset is unknown\n",
			     dev_name(&dev->vdpa.dev), idx);
	return -EOPNOTSUPP;
}

/* The state of a split ring at index @avail. */
static void vp_svq_state_split(struct vdpa_vq_state *state, u16 avail)
{
	memset(state, 0, sizeof(*state));
	state->split.avail_index = avail;
}

/**
 * vp_svq_get_vq_state() - vdpa_config_ops.get_vq_state
 * @vdpa: the vDPA device
 * @idx: queue index
 * @state: filled
 *
 * Before DRIVER_OK: the state set; else, after a reset of the running
 * device (QEMU stops a device that way), where the ring stood then; else
 * the initial state. After DRIVER_OK: exact while suspended through the
 * capability; the client's used index for a queue the driver reset (a
 * plain device). On a plain device with RING_RESET, reading the state of
 * a running data queue stops it first, so that the state stays true; it
 * runs again after resume or reset.
 *
 * Return: 0; -EBUSY while the device runs (the state moves); -EOPNOTSUPP
 * for a data queue that cannot be stopped and read, or whose position a
 * reset lost; -ETIMEDOUT or -EFAULT when stopping it failed (status FAILED).
 */
int vp_svq_get_vq_state(struct vdpa_device *vdpa, u16 idx,
			struct vdpa_vq_state *state)
{
	struct vp_svq_dev *dev = vdpa_to_vp_svq(vdpa);
	struct vp_svq_vq *vq = &dev->vqs[idx];
	int ret;

	if (!vp_svq_driver_ok(dev)) {
		if (vq->state_set)
			*state = vq->state;
		else if (vq->last_kind == VP_SVQ_LAST_KNOWN)
			*state = vq->last;
		else if (vq->last_kind == VP_SVQ_LAST_NONE)
			vp_svq_state_initial(dev, state);
		else
			return vp_svq_state_lost(dev, idx);
		return 0;
	}
	if (vp_svq_is_cvq(dev, idx) && vq->ready) {
		if (!dev->suspended)
			return -EBUSY;
		vp_svq_state_split(state, vp_svq_cvq_position(dev));
		return 0;
	}
	if (dev->parent->state) {
		if (!dev->suspended)
			return -EBUSY;
		vp_svq_state_read(dev, idx, state);
		return 0;
	}
	if (!vq->stopped && vp_svq_vq_in_hw(dev, idx) &&
	    vp_svq_state_plain(dev) && vp_svq_state_ring_reset(dev)) {
		ret = vp_svq_state_check_rings(dev, idx);
		if (ret)
			return ret;
		ret = vp_svq_state_stop_plain(dev, idx);
		if (ret)
			return vp_svq_state_failed(dev, ret);
	}
	if (!vq->stopped)
		return -EOPNOTSUPP;
	vp_svq_state_split(state, vq->base);
	return 0;
}

/**
 * vp_svq_state_save_before_reset() - keep ring positions the reset erases
 * @dev: the vDPA device, running (DRIVER_OK), about to be reset
 *
 * Suspended through the capability, the device's state is exact: read it
 * before the reset erases it. The shadow CVQ knows its position.
 */
void vp_svq_state_save_before_reset(struct vp_svq_dev *dev)
{
	struct vp_svq_vq *vq;
	u16 idx;

	for (idx = 0; idx < dev->nvqs; idx++) {
		vq = &dev->vqs[idx];
		vq->last_kind = VP_SVQ_LAST_NONE;
		if (!vq->ready)
			continue;
		if (vp_svq_is_cvq(dev, idx)) {
			vp_svq_state_split(&vq->last, vp_svq_cvq_position(dev));
			vq->last_kind = VP_SVQ_LAST_KNOWN;
		} else if (dev->suspended && dev->parent->state) {
			vp_svq_state_read(dev, idx, &vq->last);
			vq->last_kind = VP_SVQ_LAST_KNOWN;
		} else if (vq->stopped) {
			vp_svq_state_split(&vq->last, vq->base);
			vq->last_kind = VP_SVQ_LAST_KNOWN;
		} else {
			vq->last_kind = VP_SVQ_LAST_LOST;
		}
	}
}

/**
 * vp_svq_state_save_after_reset() - position of the rings whose state the
 *	device did not give, from the client's used rings
 * @dev: the vDPA device, reset; its queue addresses not cleared yet
 *
 * A reset device has completed or dropped every buffer it had taken: the
 * client's used index is where such a ring stands, and buffers the device
 * took but never used are offered again (what QEMU itself does when it
 * cannot get the ring base); a shadowed ring first gets the used entries
 * the device wrote. Split rings whose memory the driver can reach (mapped
 * by the client, or a kernel client's); any other ring's position stays
 * lost.
 */
void vp_svq_state_save_after_reset(struct vp_svq_dev *dev)
{
	struct vp_svq_vq *vq;
	u16 idx, used;

	if (dev->driver_features & BIT_ULL(VIRTIO_F_RING_PACKED))
		return;
	for (idx = 0; idx < dev->nvqs; idx++) {
		vq = &dev->vqs[idx];
		if (vq->last_kind != VP_SVQ_LAST_LOST)
			continue;
		if (vp_svq_shadow_active(vq))
			used = vp_svq_shadow_position(vq);
		else if (vp_svq_state_ring_idx(dev, idx, true, &used))
			continue;
		vp_svq_state_split(&vq->last, used);
		vq->last_kind = VP_SVQ_LAST_KNOWN;
	}
}

/**
 * vp_svq_state_forget() - the rings run again: no saved position applies
 * @dev: the vDPA device, at DRIVER_OK
 */
void vp_svq_state_forget(struct vp_svq_dev *dev)
{
	u16 idx;

	for (idx = 0; idx < dev->nvqs; idx++)
		dev->vqs[idx].last_kind = VP_SVQ_LAST_NONE;
}
