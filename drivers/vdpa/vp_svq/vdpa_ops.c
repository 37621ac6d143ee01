// SPDX-License-Identifier: GPL-2.0-only
/*
 * vp_svq: struct vdpa_config_ops.
 *
 * Data queues run in the device: the client's queue configuration is kept
 * in software and written to the device when the client sets DRIVER_OK.
 * The client's CVQ never reaches the device: the shadow CVQ (cvq.c) serves
 * it, and the driver drives the device's CVQ itself. The vDPA device may
 * expose fewer queue pairs than the function has, so the client's CVQ index
 * and the device's differ.
 */

#include <linux/cache.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <uapi/linux/vdpa.h>
#include <uapi/linux/vhost_types.h>

#include "compat.h"
#include "vp_svq.h"

/**
 * vp_svq_is_cvq() - is client queue @idx the control queue?
 * @dev: the vDPA device
 * @idx: queue index as the client numbers it
 *
 * Return: true for the CVQ under the negotiated features.
 */
bool vp_svq_is_cvq(struct vp_svq_dev *dev, u16 idx)
{
	/* Before negotiation (QEMU probes groups then), what is offered. */
	u64 features = dev->driver_features ?: dev->offered_features;

	return (features & BIT_ULL(VIRTIO_NET_F_CTRL_VQ)) &&
	       idx == vp_svq_hw_cvq_index(features, dev->max_vqp);
}

/**
 * vp_svq_data_vq_valid() - is client queue @idx a data queue of the
 *	negotiated features?
 * @dev: the vDPA device
 * @idx: queue index as the client numbers it
 *
 * One queue pair without VIRTIO_NET_F_MQ, else the pairs of the vDPA
 * device. Any other index may be a queue the driver drives itself in the
 * device (its CVQ sits right behind the data queues the client may use):
 * it never reaches the device.
 *
 * Return: true when @idx may run in the device.
 */
bool vp_svq_data_vq_valid(struct vp_svq_dev *dev, u16 idx)
{
	u16 pairs = dev->driver_features & BIT_ULL(VIRTIO_NET_F_MQ) ?
		    dev->max_vqp : 1;

	return idx < 2 * pairs;
}

/*
 * Largest size client queue @idx accepts. The client's CVQ is served in
 * software: it takes what get_vq_num_max() promises every queue, however
 * small the device's own CVQ is.
 */
static u16 vp_svq_vq_size_max(struct vp_svq_dev *dev, u16 idx)
{
	struct vp_svq_parent *parent = dev->parent;

	if (vp_svq_is_cvq(dev, idx))
		return max(parent->data_queue_max, parent->cvq_queue_max);
	return parent->data_queue_max;
}

/**
 * vp_svq_vq_in_hw() - does client queue @idx run in the device?
 * @dev: the vDPA device
 * @idx: queue index
 *
 * Return: true for a ready data queue of the negotiated features.
 */
bool vp_svq_vq_in_hw(struct vp_svq_dev *dev, u16 idx)
{
	return dev->vqs[idx].ready && vp_svq_data_vq_valid(dev, idx);
}

/*
 * The status the client sees: a device suspended by the driver stays
 * DRIVER_OK for the client. SUSPEND is the driver's own (never offered to
 * clients): never shown, also not after a suspend or resume that failed.
 */
static u8 vp_svq_status(struct vp_svq_dev *dev)
{
	u8 status = vp_modern_get_status(dev->parent->mdev);

	status &= ~VIRTIO_CONFIG_S_SUSPEND;
	if (dev->suspended)
		status |= VIRTIO_CONFIG_S_DRIVER_OK;
	return status;
}

/**
 * vp_svq_driver_ok() - has the client set DRIVER_OK?
 * @dev: the vDPA device
 *
 * Return: true once DRIVER_OK is set, also while suspended.
 */
bool vp_svq_driver_ok(struct vp_svq_dev *dev)
{
	return vp_svq_status(dev) & VIRTIO_CONFIG_S_DRIVER_OK;
}

static int vp_svq_set_vq_address(struct vdpa_device *vdpa, u16 idx,
				 u64 desc_area, u64 driver_area,
				 u64 device_area)
{
	struct vp_svq_vq *vq = &vdpa_to_vp_svq(vdpa)->vqs[idx];

	vq->desc_addr = desc_area;
	vq->driver_addr = driver_area;
	vq->device_addr = device_area;
	return 0;
}

static void vp_svq_set_vq_num(struct vdpa_device *vdpa, u16 idx, u32 num)
{
	vdpa_to_vp_svq(vdpa)->vqs[idx].num = num;
}

/* The size in use once the device runs, the largest possible before. */
static u16 vp_svq_get_vq_size(struct vdpa_device *vdpa, u16 idx)
{
	struct vp_svq_dev *dev = vdpa_to_vp_svq(vdpa);

	if (vp_svq_driver_ok(dev))
		return dev->vqs[idx].num;
	return vp_svq_vq_size_max(dev, idx);
}

static void vp_svq_kick_vq(struct vdpa_device *vdpa, u16 idx)
{
	struct vp_svq_dev *dev = vdpa_to_vp_svq(vdpa);

	if (vp_svq_is_cvq(dev, idx)) {
		vp_svq_cvq_kick(dev);
		return;
	}
	/* Only a data queue's kick may reach a doorbell of the device. */
	if (!vp_svq_data_vq_valid(dev, idx))
		return;
	atomic64_inc(&dev->vqs[idx].kicks);
	/* A stopped queue takes nothing: resume looks at its ring anyway. */
	if (READ_ONCE(dev->vqs[idx].stopped))
		return;
	if (vp_svq_shadow_active(&dev->vqs[idx]))
		vp_svq_shadow_kick(dev, idx);
	else
		vp_iowrite16(idx, dev->parent->notify[idx].addr);
}

static void vp_svq_set_vq_cb(struct vdpa_device *vdpa, u16 idx,
			     struct vdpa_callback *cb)
{
	struct vp_svq_dev *dev = vdpa_to_vp_svq(vdpa);
	unsigned long flags;

	spin_lock_irqsave(&dev->cb_lock, flags);
	dev->vqs[idx].cb = *cb;
	spin_unlock_irqrestore(&dev->cb_lock, flags);
}

static void vp_svq_set_vq_ready(struct vdpa_device *vdpa, u16 idx, bool ready)
{
	struct vp_svq_dev *dev = vdpa_to_vp_svq(vdpa);
	struct vp_svq_vq *vq = &dev->vqs[idx];

	if (vq->ready == ready)
		return;
	if (ready && dev->driver_features && !vp_svq_is_cvq(dev, idx) &&
	    !vp_svq_data_vq_valid(dev, idx)) {
		dev_warn_ratelimited(dev->parent->dev,
				     "%s: vq %u is not a queue of the negotiated features: not enabled\n",
				     dev_name(&vdpa->dev), idx);
		return;
	}
	if (vp_svq_driver_ok(dev) && vp_svq_is_cvq(dev, idx)) {
		/* The shadow CVQ starts and stops at any time. */
		if (!ready) {
			vp_svq_cvq_stop(dev);
			vq->ready = false;
		} else if (!vp_svq_cvq_start(dev)) {
			vq->ready = true;
		}
		return;
	}
	if (vp_svq_driver_ok(dev) && ready &&
	    (dev->hw_features & BIT_ULL(VIRTIO_F_RING_RESET))) {
		/* Suspended by resets, it starts at resume with the others. */
		if (dev->suspended && dev->queues_reset) {
			if (!vp_svq_state_park_queue(dev, idx))
				vq->ready = true;
			return;
		}
		/* With queue reset a queue may be enabled while the device runs. */
		if (vp_svq_vq_start_late(dev, idx))
			return;
		vq->ready = true;
		/* Suspended, it waits for resume with the others. */
		if (dev->suspended)
			vp_svq_state_hold_queue(dev, idx);
		return;
	}
	if (vp_svq_driver_ok(dev)) {
		/* A running hardware queue cannot be started or stopped alone. */
		dev_warn_ratelimited(dev->parent->dev,
				     "%s: vq %u: cannot %s a queue after DRIVER_OK; ignored\n",
				     dev_name(&vdpa->dev), idx,
				     ready ? "enable" : "disable");
		return;
	}
	vq->ready = ready;
}

static bool vp_svq_get_vq_ready(struct vdpa_device *vdpa, u16 idx)
{
	return vdpa_to_vp_svq(vdpa)->vqs[idx].ready;
}

static struct vdpa_notification_area
vp_svq_get_vq_notification(struct vdpa_device *vdpa, u16 idx)
{
	struct vp_svq_dev *dev = vdpa_to_vp_svq(vdpa);
	struct vp_svq_parent *parent = dev->parent;
	struct vdpa_notification_area area = {};

	/*
	 * The kicks of the CVQ and of a shadowed queue must reach the driver,
	 * not the device; an index that is no data queue of the negotiated
	 * features may name a queue the driver drives itself. vhost-vdpa
	 * checks the area at mmap time but maps it at the first fault, maybe
	 * after the queue entered shadow mode: on a device whose queues may
	 * be shadowed no doorbell is handed out.
	 */
	if (!vp_svq_data_vq_valid(dev, idx) || vp_svq_shadow_possible(dev))
		return area;
	area.addr = parent->notify[idx].pa;
	area.size = parent->notify_size;
	return area;
}

/*
 * A shadowed queue's interrupts must reach the driver: no irq bypass on a
 * device whose queues may be shadowed (also later, at resume).
 */
static int vp_svq_get_vq_irq(struct vdpa_device *vdpa, u16 idx)
{
	struct vp_svq_dev *dev = vdpa_to_vp_svq(vdpa);

	if (vp_svq_shadow_possible(dev))
		return -EINVAL;
	return vp_svq_irq_of_vq(dev, idx);
}

static u32 vp_svq_get_vq_align(struct vdpa_device *vdpa)
{
	return SMP_CACHE_BYTES;
}

static u32 vp_svq_get_vq_group(struct vdpa_device *vdpa, u16 idx)
{
	return vp_svq_is_cvq(vdpa_to_vp_svq(vdpa), idx) ? VP_SVQ_GROUP_CVQ :
							   VP_SVQ_GROUP_DATA;
}

static u64 vp_svq_get_device_features(struct vdpa_device *vdpa)
{
	return vdpa_to_vp_svq(vdpa)->offered_features;
}

static int vp_svq_set_driver_features(struct vdpa_device *vdpa, u64 features)
{
	struct vp_svq_dev *dev = vdpa_to_vp_svq(vdpa);
	u64 extra = features & ~dev->offered_features;

	if (extra) {
		dev_err_ratelimited(dev->parent->dev,
				    "%s: client asked for features 0x%llx that were not offered\n",
				    dev_name(&vdpa->dev), extra);
		return -EINVAL;
	}
	dev->driver_features = features;
	dev->hw_features = features | (dev->parent->device_features &
				       VP_SVQ_FEATURES_OWN) |
			   vp_svq_as_own_features(dev);
	if (dev->mac_provisioned)
		dev->hw_features |= BIT_ULL(VIRTIO_NET_F_CTRL_VQ) |
				    BIT_ULL(VIRTIO_NET_F_CTRL_MAC_ADDR);
	vp_modern_set_features(dev->parent->mdev, dev->hw_features);
	return 0;
}

static u64 vp_svq_get_driver_features(struct vdpa_device *vdpa)
{
	return vdpa_to_vp_svq(vdpa)->driver_features;
}

static void vp_svq_set_config_cb(struct vdpa_device *vdpa,
				 struct vdpa_callback *cb)
{
	struct vp_svq_dev *dev = vdpa_to_vp_svq(vdpa);
	unsigned long flags;

	spin_lock_irqsave(&dev->cb_lock, flags);
	dev->config_cb = *cb;
	spin_unlock_irqrestore(&dev->cb_lock, flags);
}

/* One figure for every queue: per-queue limits are checked at DRIVER_OK. */
static u16 vp_svq_get_vq_num_max(struct vdpa_device *vdpa)
{
	struct vp_svq_parent *parent = vdpa_to_vp_svq(vdpa)->parent;

	return max(parent->data_queue_max, parent->cvq_queue_max);
}

static u32 vp_svq_get_device_id(struct vdpa_device *vdpa)
{
	return VIRTIO_ID_NET;
}

static u32 vp_svq_get_vendor_id(struct vdpa_device *vdpa)
{
	return vdpa_to_vp_svq(vdpa)->parent->mdev->id.vendor;
}

static u8 vp_svq_get_status(struct vdpa_device *vdpa)
{
	return vp_svq_status(vdpa_to_vp_svq(vdpa));
}

static u64 vp_svq_get_backend_features(const struct vdpa_device *vdpa)
{
	const struct vp_svq_dev *dev = container_of(vdpa, struct vp_svq_dev,
						    vdpa);

	if (dev->parent->device_features & BIT_ULL(VIRTIO_F_RING_RESET))
		return BIT_ULL(VHOST_BACKEND_F_ENABLE_AFTER_DRIVER_OK);
	return 0;
}

/* A queue the client made ready must fit the device before it runs. */
static int vp_svq_check_vq(struct vp_svq_dev *dev, u16 idx)
{
	struct vp_svq_vq *vq = &dev->vqs[idx];
	u16 max = vp_svq_vq_size_max(dev, idx);
	bool packed = dev->driver_features & BIT_ULL(VIRTIO_F_RING_PACKED);

	if (!vq->num || vq->num > max || (!packed && !is_power_of_2(vq->num))) {
		dev_err_ratelimited(dev->parent->dev,
				    "%s: vq %u: size %u is not a valid %s ring size (max %u)\n",
				    dev_name(&dev->vdpa.dev), idx, vq->num,
				    packed ? "packed" : "split", max);
		return -EINVAL;
	}
	return 0;
}

/*
 * Write size and addresses of data queue @idx to the device: the client's
 * ring, or the driver's in shadow mode (started here if the queue needs
 * it); and the ring state set before (the device-state capability takes
 * it before the queue is enabled).
 */
static int vp_svq_program_vq(struct vp_svq_dev *dev, u16 idx)
{
	struct virtio_pci_modern_device *mdev = dev->parent->mdev;
	struct vp_svq_vq *vq = &dev->vqs[idx];
	u64 desc = vq->desc_addr, driver = vq->driver_addr;
	u64 device = vq->device_addr;
	int ret;

	ret = vp_svq_shadow_setup(dev, idx);
	if (ret)
		return ret;
	if (vp_svq_shadow_active(vq))
		vp_svq_shadow_addrs(vq, &desc, &driver, &device);
	vp_modern_set_queue_size(mdev, idx, vq->num);
	vp_modern_queue_address(mdev, idx, desc, driver, device);
	if (dev->parent->state && vq->state_set && !vp_svq_shadow_active(vq))
		vp_svq_state_write(dev, idx, &vq->state);
	return 0;
}

/* Check every ready queue; program those that run in the device. */
static int vp_svq_program_vqs(struct vp_svq_dev *dev)
{
	u16 idx;
	int ret;

	for (idx = 0; idx < dev->nvqs; idx++) {
		if (!dev->vqs[idx].ready)
			continue;
		ret = vp_svq_check_vq(dev, idx);
		if (ret)
			return ret;
		if (vp_svq_vq_in_hw(dev, idx)) {
			ret = vp_svq_program_vq(dev, idx);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static void vp_svq_enable_vqs(struct vp_svq_dev *dev)
{
	u16 idx;

	for (idx = 0; idx < dev->nvqs; idx++)
		if (vp_svq_vq_in_hw(dev, idx))
			vp_modern_set_queue_enable(dev->parent->mdev, idx, true);
}

/**
 * vp_svq_vq_start_late() - start data queue @idx in the running device
 * @dev: the vDPA device, at DRIVER_OK; RING_RESET negotiated
 * @idx: the queue, reset in the device (or never enabled)
 *
 * For a queue the client enables after DRIVER_OK, and for queues that
 * resume after a suspend by queue resets.
 *
 * Return: 0 or -errno; the queue is not enabled then.
 */
int vp_svq_vq_start_late(struct vp_svq_dev *dev, u16 idx)
{
	struct virtio_pci_modern_device *mdev = dev->parent->mdev;
	struct vp_svq_vq *vq = &dev->vqs[idx];
	int ret;

	ret = vp_svq_check_vq(dev, idx);
	if (!ret)
		ret = vp_svq_program_vq(dev, idx);
	if (ret)
		return ret;
	if (vp_modern_queue_vector(mdev, idx, vq->vector) != vq->vector) {
		dev_err_ratelimited(dev->parent->dev, "%s: vq %u: device refused its vector\n",
				    dev_name(&dev->vdpa.dev), idx);
		return -EBUSY;
	}
	vp_modern_set_queue_enable(mdev, idx, true);
	/* A restored ring may hold buffers offered before it started. */
	if (vp_svq_shadow_active(vq))
		vp_svq_shadow_kick(dev, idx);
	return 0;
}

/*
 * Release the vectors and the device's CVQ that vp_svq_start() set up.
 * The shadow rings stay: a restart runs the resumed queues on them.
 */
static void vp_svq_stop_hw(struct vp_svq_dev *dev)
{
	vp_svq_irq_teardown(dev);
	vp_svq_hwcvq_stop(dev);
}

/*
 * Release what vp_svq_start() set up, in the reverse order: vectors, the
 * device's CVQ, the shadow rings. The device must not run (reset, or
 * never started); every part is safe to release twice.
 */
static void vp_svq_stop(struct vp_svq_dev *dev)
{
	vp_svq_stop_hw(dev);
	vp_svq_shadow_stop_all(dev);
}

/*
 * Bring the queues up on the device, just before DRIVER_OK. All or
 * nothing: on failure nothing stays allocated, so a client that tries
 * again (after a reset, or wrongly without one) starts from scratch.
 */
static int vp_svq_start(struct vp_svq_dev *dev)
{
	u64 features = dev->hw_features;
	u16 hw_cvq = vp_svq_hw_cvq_index(features, dev->parent->max_vqp);
	int ret;

	ret = vp_svq_as_start(dev);
	if (ret)
		return ret;
	ret = vp_svq_program_vqs(dev);
	if (ret)
		goto err_stop_shadow;
	if (features & BIT_ULL(VIRTIO_NET_F_CTRL_VQ)) {
		ret = vp_svq_hwcvq_start(dev, hw_cvq);
		if (ret)
			goto err_stop_shadow;
	}
	ret = vp_svq_irq_setup(dev);
	if (ret)
		goto err_stop_hwcvq;
	vp_svq_enable_vqs(dev);
	return 0;

err_stop_hwcvq:
	vp_svq_hwcvq_stop(dev);
err_stop_shadow:
	vp_svq_shadow_stop_all(dev);
	return ret;
}

/*
 * Once the device runs: give it back the net state (a MAC provisioned at
 * "vdpa dev add", or what the client set before a reset of the driver's
 * own), then serve the client's CVQ.
 */
static int vp_svq_start_cvq(struct vp_svq_dev *dev)
{
	u16 idx;
	int ret;

	if (!(dev->hw_features & BIT_ULL(VIRTIO_NET_F_CTRL_VQ)))
		return 0;
	ret = vp_svq_cvq_replay(dev);
	if (ret)
		return ret;
	if (!(dev->driver_features & BIT_ULL(VIRTIO_NET_F_CTRL_VQ)))
		return 0;
	idx = vp_svq_hw_cvq_index(dev->driver_features, dev->max_vqp);
	dev->cvq.idx = idx;
	if (!dev->vqs[idx].ready)
		return 0;
	return vp_svq_cvq_start(dev);
}

/**
 * vp_svq_restart_device() - start a device that the driver reset while
 *	the client kept DRIVER_OK (suspend of a plain device without
 *	RING_RESET)
 * @dev: the vDPA device; the device at FEATURES_OK with its features, the
 *	queues that resume already in shadow mode
 *
 * As at DRIVER_OK: queues, the device's CVQ and vectors are set up again,
 * then the net state is replayed through the device's CVQ. A config
 * change is signalled at resume.
 *
 * Return: 0 or -errno.
 */
int vp_svq_restart_device(struct vp_svq_dev *dev)
{
	struct virtio_pci_modern_device *mdev = dev->parent->mdev;
	unsigned long flags;
	int ret;

	vp_svq_stop_hw(dev);
	ret = vp_svq_start(dev);
	if (ret)
		return ret;
	vp_modern_set_status(mdev, vp_modern_get_status(mdev) |
				   VIRTIO_CONFIG_S_DRIVER_OK);
	/*
	 * A config change while the device was reset had no vector to raise:
	 * tell the client at resume, it reads the config again anyway.
	 */
	spin_lock_irqsave(&dev->cb_lock, flags);
	dev->config_pending = true;
	spin_unlock_irqrestore(&dev->cb_lock, flags);
	if (!(dev->hw_features & BIT_ULL(VIRTIO_NET_F_CTRL_VQ)))
		return 0;
	return vp_svq_cvq_replay(dev);
}

static int vp_svq_reset(struct vdpa_device *vdpa)
{
	struct vp_svq_dev *dev = vdpa_to_vp_svq(vdpa);
	unsigned long flags;
	bool running;
	int ret;
	u16 i;

	running = vp_svq_driver_ok(dev);
	vp_svq_cvq_stop(dev);
	if (running)
		vp_svq_state_save_before_reset(dev);
	ret = vp_svq_hw_reset(dev->parent);
	vp_svq_as_reset_done(dev, ret);
	if (running)
		vp_svq_state_save_after_reset(dev);
	vp_svq_stop(dev);
	vp_svq_shadow_latch_forced(dev);
	dev->suspended = false;
	dev->queues_reset = false;
	vp_svq_cvq_reset_state(dev);

	spin_lock_irqsave(&dev->cb_lock, flags);
	for (i = 0; i < dev->nvqs; i++) {
		memset(&dev->vqs[i].cb, 0, sizeof(dev->vqs[i].cb));
		dev->vqs[i].irq_pending = false;
	}
	memset(&dev->config_cb, 0, sizeof(dev->config_cb));
	dev->irq_held = false;
	dev->config_pending = false;
	spin_unlock_irqrestore(&dev->cb_lock, flags);

	for (i = 0; i < dev->nvqs; i++) {
		struct vp_svq_vq *vq = &dev->vqs[i];

		vq->desc_addr = 0;
		vq->driver_addr = 0;
		vq->device_addr = 0;
		vq->num = 0;
		vq->ready = false;
		vq->state_set = false;
	}
	vp_svq_as_reset(dev);
	dev->driver_features = 0;
	dev->hw_features = 0;
	return ret;
}

static void vp_svq_set_status(struct vdpa_device *vdpa, u8 status)
{
	struct vp_svq_dev *dev = vdpa_to_vp_svq(vdpa);
	struct virtio_pci_modern_device *mdev = dev->parent->mdev;
	u8 old = vp_modern_get_status(mdev);

	if (!status) {
		vp_svq_reset(vdpa);
		return;
	}
	/* After FAILED only a reset starts the device again (virtio 2.1.2). */
	if (old & VIRTIO_CONFIG_S_FAILED) {
		if (status & ~old)
			dev_warn_ratelimited(dev->parent->dev,
					     "%s: status 0x%02x after FAILED ignored: reset the device first\n",
					     dev_name(&vdpa->dev), status);
		return;
	}
	if (dev->suspended) {
		/*
		 * The device is not told DRIVER_OK again (that would resume a
		 * device suspended by the status bit) and keeps SUSPEND; it
		 * gets whatever else the client adds.
		 */
		vp_modern_set_status(mdev, old | (status &
					~VIRTIO_CONFIG_S_DRIVER_OK));
		return;
	}
	/* A client the device must not serve does not get FEATURES_OK. */
	if ((status & ~old & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    vp_svq_as_check_client(dev))
		status &= ~(VIRTIO_CONFIG_S_FEATURES_OK |
			    VIRTIO_CONFIG_S_DRIVER_OK);
	if (!(status & VIRTIO_CONFIG_S_DRIVER_OK) ||
	    (old & VIRTIO_CONFIG_S_DRIVER_OK)) {
		vp_modern_set_status(mdev, status);
		return;
	}
	if (vp_svq_start(dev)) {
		status &= ~VIRTIO_CONFIG_S_DRIVER_OK;
		goto failed;
	}
	vp_modern_set_status(mdev, status);
	vp_svq_shadow_kick_all(dev);
	vp_svq_state_forget(dev);
	if (!vp_svq_start_cvq(dev))
		return;
failed:
	dev_err_ratelimited(dev->parent->dev, "%s: cannot start the device: status FAILED\n",
			    dev_name(&vdpa->dev));
	vp_modern_set_status(mdev, status | VIRTIO_CONFIG_S_FAILED);
}

static size_t vp_svq_get_config_size(struct vdpa_device *vdpa)
{
	struct vp_svq_dev *dev = vdpa_to_vp_svq(vdpa);

	return min_t(size_t, dev->parent->mdev->device_len,
		     sizeof(struct virtio_net_config));
}

static void vp_svq_get_config(struct vdpa_device *vdpa, unsigned int offset,
			      void *buf, unsigned int len)
{
	struct vp_svq_dev *dev = vdpa_to_vp_svq(vdpa);
	size_t size = vp_svq_get_config_size(vdpa);
	struct virtio_net_config cfg;
	unsigned long flags;

	memset(buf, 0, len);
	if (offset >= size)
		return;
	len = min_t(size_t, len, size - offset);

	/* The device's view, with what this vDPA device exposes on top. */
	vp_svq_hw_read_config(dev->parent, 0, &cfg, size);
	if (dev->offered_features & BIT_ULL(VIRTIO_NET_F_MAC)) {
		spin_lock_irqsave(&dev->cb_lock, flags);
		ether_addr_copy(cfg.mac, dev->config_mac);
		spin_unlock_irqrestore(&dev->cb_lock, flags);
	}
	/* The field places the client's CVQ with either feature. */
	if (dev->offered_features & (BIT_ULL(VIRTIO_NET_F_MQ) |
				     BIT_ULL(VIRTIO_NET_F_RSS)))
		cfg.max_virtqueue_pairs = __cpu_to_virtio16(true, dev->max_vqp);
	if (dev->offered_features & BIT_ULL(VIRTIO_NET_F_MTU))
		cfg.mtu = __cpu_to_virtio16(true, dev->mtu);
	memcpy(buf, (u8 *)&cfg + offset, len);
}

/*
 * A MAC a client writes into the config space becomes the MAC of the vDPA
 * device, shown, tracked and programmed through the device's CVQ at
 * DRIVER_OK, when nothing outranks it: a MAC given at "vdpa dev add" stays,
 * and after FEATURES_OK the MAC changes only with MAC_ADDR_SET, which the
 * device then sees too. A write that cannot take effect changes nothing,
 * so the MAC shown is always the one the device filters on.
 */
static void vp_svq_set_client_mac(struct vp_svq_dev *dev, const u8 *mac)
{
	u64 needed = BIT_ULL(VIRTIO_NET_F_CTRL_VQ) |
		     BIT_ULL(VIRTIO_NET_F_CTRL_MAC_ADDR);
	struct vp_svq_parent *parent = dev->parent;
	const char *name = dev_name(&dev->vdpa.dev);
	const char *why = NULL;

	if (vp_svq_status(dev) & VIRTIO_CONFIG_S_FEATURES_OK)
		why = "written after FEATURES_OK (a driver uses MAC_ADDR_SET)";
	else if (ether_addr_equal(mac, dev->mac))
		return;
	else if (dev->mac_admin)
		why = "the mac given at \"vdpa dev add\" stays (give the client that mac)";
	else if (!is_valid_ether_addr(mac))
		why = "not a unicast address";
	else if (!ether_addr_equal(mac, parent->mac) &&
		 (parent->device_features & needed) != needed)
		why = "the device lacks VIRTIO_NET_F_CTRL_MAC_ADDR to filter on it";
	if (why) {
		dev_warn_ratelimited(parent->dev,
				     "%s: mac %pM from the client's config write not used, %pM stays: %s\n",
				     name, mac, dev->mac, why);
		return;
	}
	ether_addr_copy(dev->mac, mac);
	dev->mac_provisioned = !ether_addr_equal(mac, parent->mac);
	/* At rest, before FEATURES_OK: the tracked state starts over with it. */
	vp_svq_cvq_reset_state(dev);
	dev_info_ratelimited(parent->dev, "%s: mac %pM set by the client's config write\n",
			     name, mac);
}

/*
 * The device's config space is read-only to a modern driver (virtio 1.x,
 * 5.1.4): nothing is written through. Only the MAC can be written; the
 * bytes written replace those of the MAC shown.
 */
static void vp_svq_set_config(struct vdpa_device *vdpa, unsigned int offset,
			      const void *buf, unsigned int len)
{
	const unsigned int mac_off = offsetof(struct virtio_net_config, mac);
	struct vp_svq_dev *dev = vdpa_to_vp_svq(vdpa);
	bool has_mac = dev->offered_features & BIT_ULL(VIRTIO_NET_F_MAC);
	u64 last = (u64)offset + len;
	unsigned int start, end;
	unsigned long flags;
	u8 mac[ETH_ALEN];
	bool same;

	start = max(offset, mac_off);
	end = min_t(u64, last, mac_off + ETH_ALEN);
	if (!has_mac || start >= end || start != offset || end != last)
		dev_warn_ratelimited(dev->parent->dev,
				     "%s: config write of %u bytes at %u: only the mac can be written, the rest is ignored\n",
				     dev_name(&vdpa->dev), len, offset);
	if (!has_mac || start >= end)
		return;
	spin_lock_irqsave(&dev->cb_lock, flags);
	ether_addr_copy(mac, dev->config_mac);
	memcpy(mac + start - mac_off, (const u8 *)buf + start - offset,
	       end - start);
	same = ether_addr_equal(mac, dev->config_mac);
	spin_unlock_irqrestore(&dev->cb_lock, flags);
	if (!same)
		vp_svq_set_client_mac(dev, mac);
}

/*
 * The device's generation, moved on whenever the MAC the driver shows in
 * place of the device's changes: a client reading the config across such
 * a change reads it again.
 */
static u32 vp_svq_get_generation(struct vdpa_device *vdpa)
{
	struct vp_svq_dev *dev = vdpa_to_vp_svq(vdpa);
	unsigned long flags;
	u32 gen;

	spin_lock_irqsave(&dev->cb_lock, flags);
	gen = dev->config_gen;
	spin_unlock_irqrestore(&dev->cb_lock, flags);
	return gen + vp_modern_generation(dev->parent->mdev);
}

/**
 * vp_svq_put_stat() - one "vdpa dev vstats" counter
 * @msg: netlink message to fill
 * @name: the counter's name
 * @val: its value
 *
 * Return: 0 or -EMSGSIZE.
 */
int vp_svq_put_stat(struct sk_buff *msg, const char *name, u64 val)
{
	if (nla_put_string(msg, VDPA_ATTR_DEV_VENDOR_ATTR_NAME, name) ||
	    nla_put_u64_64bit(msg, VDPA_ATTR_DEV_VENDOR_ATTR_VALUE, val,
			      VDPA_ATTR_PAD))
		return -EMSGSIZE;
	return 0;
}

/*
 * The CVQ: what the shadow received, completed and failed. A data queue:
 * kicks that reach the driver (not those written to a doorbell mapped into
 * a guest), interrupts the driver handled, and shadow mode's counters.
 */
static int vp_svq_get_vendor_vq_stats(struct vdpa_device *vdpa, u16 idx,
				      struct sk_buff *msg,
				      struct netlink_ext_ack *extack)
{
	struct vp_svq_dev *dev = vdpa_to_vp_svq(vdpa);
	struct vp_svq_vq *vq;

	if (idx >= dev->nvqs) {
		NL_SET_ERR_MSG_MOD(extack, "queue index out of range");
		return -EINVAL;
	}
	if (vp_svq_is_cvq(dev, idx))
		return vp_svq_cvq_stats(dev, msg);
	vq = &dev->vqs[idx];
	if (vp_svq_put_stat(msg, "kicks", atomic64_read(&vq->kicks)) ||
	    vp_svq_put_stat(msg, "interrupts", atomic64_read(&vq->irqs)))
		return -EMSGSIZE;
	return vp_svq_shadow_stats(vq, msg);
}

static void vp_svq_free(struct vdpa_device *vdpa)
{
	struct vp_svq_dev *dev = vdpa_to_vp_svq(vdpa);

	vp_svq_as_free(dev);
	kfree(dev->vqs);
}

const struct vdpa_config_ops vp_svq_vdpa_ops = {
	.set_vq_address		= vp_svq_set_vq_address,
	.set_vq_num		= vp_svq_set_vq_num,
	.kick_vq		= vp_svq_kick_vq,
	.set_vq_cb		= vp_svq_set_vq_cb,
	.set_vq_ready		= vp_svq_set_vq_ready,
	.get_vq_ready		= vp_svq_get_vq_ready,
	.set_vq_state		= vp_svq_set_vq_state,
	.get_vq_state		= vp_svq_get_vq_state,
	.get_vq_notification	= vp_svq_get_vq_notification,
	.get_vq_irq		= vp_svq_get_vq_irq,
	.get_vq_size		= vp_svq_get_vq_size,
	.get_vq_align		= vp_svq_get_vq_align,
	.get_vq_group		= vp_svq_get_vq_group,
	.get_backend_features	= vp_svq_get_backend_features,
	.suspend		= vp_svq_suspend,
	.resume			= vp_svq_resume,
	.get_vendor_vq_stats	= vp_svq_get_vendor_vq_stats,
	VP_SVQ_VQ_MAP_OP,
	.set_group_asid		= vp_svq_set_group_asid,
	.get_iova_range		= vp_svq_get_iova_range,
	.dma_map		= vp_svq_dma_map,
	.dma_unmap		= vp_svq_dma_unmap,
	.reset_map		= vp_svq_reset_map,
	.get_device_features	= vp_svq_get_device_features,
	.set_driver_features	= vp_svq_set_driver_features,
	.get_driver_features	= vp_svq_get_driver_features,
	.set_config_cb		= vp_svq_set_config_cb,
	.get_vq_num_max		= vp_svq_get_vq_num_max,
	.get_device_id		= vp_svq_get_device_id,
	.get_vendor_id		= vp_svq_get_vendor_id,
	.get_status		= vp_svq_get_status,
	.set_status		= vp_svq_set_status,
	.reset			= vp_svq_reset,
	.get_config_size	= vp_svq_get_config_size,
	.get_config		= vp_svq_get_config,
	.set_config		= vp_svq_set_config,
	.get_generation		= vp_svq_get_generation,
	.free			= vp_svq_free,
};
