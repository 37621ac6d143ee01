// SPDX-License-Identifier: GPL-2.0-only
/*
 * vp_svq: register access to the virtio function beyond what the
 * vp_modern_* helpers give: bounded reset, device-specific config space
 * with natural access widths, and what the device offers at probe.
 */

#include <linux/bitops.h>
#include <linux/delay.h>
#include <linux/ktime.h>
#include <linux/minmax.h>
#include <linux/unaligned.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "vp_svq.h"

/* How long a device may take to complete a reset (virtio 1.x 2.1.1). */
#define VP_SVQ_RESET_TIMEOUT_MS		1000

/*
 * Waiting for the device: looks without sleeping for the first
 * VP_SVQ_POLL_SPIN_US, then sleeps between looks, from VP_SVQ_POLL_MIN_US,
 * each sleep twice the last, up to VP_SVQ_POLL_MAX_US.
 */
#define VP_SVQ_POLL_SPIN_US		20
#define VP_SVQ_POLL_MIN_US		5
#define VP_SVQ_POLL_MAX_US		100

/* A config read retried this often without a stable generation fails. */
#define VP_SVQ_CONFIG_READ_RETRIES	16

/**
 * vp_svq_poll_start() - start a wait for the device
 * @p: the wait
 * @timeout_us: how long the device may take
 */
void vp_svq_poll_start(struct vp_svq_poll *p, u64 timeout_us)
{
	ktime_t now = ktime_get();

	p->spin_end = ktime_add_us(now, VP_SVQ_POLL_SPIN_US);
	p->end = ktime_add_us(now, timeout_us);
	p->sleep_us = VP_SVQ_POLL_MIN_US;
}

/**
 * vp_svq_poll_wait() - wait before the next look at the device
 * @p: the wait
 *
 * Most of what the driver waits for (a control command, a queue stop, a
 * suspend) takes a device microseconds: for the first
 * VP_SVQ_POLL_SPIN_US the next look comes at once, after giving the CPU
 * to anyone who needs it (the way virtio_net waits for its control
 * queue). A device that takes longer gets sleeps that grow to
 * VP_SVQ_POLL_MAX_US, so that a slow one costs little CPU. May sleep.
 *
 * Return: false once the wait has timed out.
 */
bool vp_svq_poll_wait(struct vp_svq_poll *p)
{
	ktime_t now = ktime_get();

	if (ktime_after(now, p->end))
		return false;
	if (ktime_before(now, p->spin_end)) {
		cond_resched();
		cpu_relax();
		return true;
	}
	usleep_range(p->sleep_us, 2 * p->sleep_us);
	p->sleep_us = min(2 * p->sleep_us, VP_SVQ_POLL_MAX_US);
	return true;
}

/**
 * vp_svq_hw_reset() - reset the device and wait until it has completed
 * @parent: the function
 *
 * Writes 0 to device_status and polls until the device reads back 0, as
 * the virtio spec requires before the function is configured again.
 * May sleep.
 *
 * Return: 0, or -ETIMEDOUT when the device did not complete in time.
 */
int vp_svq_hw_reset(struct vp_svq_parent *parent)
{
	struct virtio_pci_modern_device *mdev = parent->mdev;
	u8 status;
	int ret;

	vp_modern_set_status(mdev, 0);
	ret = vp_svq_poll_timeout(vp_modern_get_status, status, !status,
				  VP_SVQ_RESET_TIMEOUT_MS * USEC_PER_MSEC, mdev);
	if (ret)
		dev_err(parent->dev,
			"device did not complete reset in %u ms (status 0x%02x)\n",
			VP_SVQ_RESET_TIMEOUT_MS, status);
	return ret;
}

static bool vp_svq_hw_queue_is_reset(struct virtio_pci_modern_common_cfg __iomem *cfg)
{
	return !vp_ioread16(&cfg->queue_reset) &&
	       !vp_ioread16(&cfg->cfg.queue_enable);
}

/**
 * vp_svq_hw_queue_reset() - reset one queue and wait until it has completed
 * @parent: the function; VIRTIO_F_RING_RESET negotiated
 * @qid: the queue
 *
 * The device drops the queue's state (its position in the ring included)
 * and presents queue_reset and queue_enable as 0 once done (virtio 1.2
 * 4.1.4.3.2). Unlike vp_modern_set_queue_reset(), the wait is bounded.
 * May sleep.
 *
 * Return: 0, -EOPNOTSUPP when the common config has no queue_reset field,
 * or -ETIMEDOUT.
 */
int vp_svq_hw_queue_reset(struct vp_svq_parent *parent, u16 qid)
{
	struct virtio_pci_modern_device *mdev = parent->mdev;
	struct virtio_pci_modern_common_cfg __iomem *cfg;
	bool done;
	int ret;

	if (mdev->common_len < offsetofend(struct virtio_pci_modern_common_cfg,
					   queue_reset))
		return -EOPNOTSUPP;
	cfg = (struct virtio_pci_modern_common_cfg __iomem *)mdev->common;
	vp_iowrite16(qid, &cfg->cfg.queue_select);
	vp_iowrite16(1, &cfg->queue_reset);
	ret = vp_svq_poll_timeout(vp_svq_hw_queue_is_reset, done, done,
				  VP_SVQ_RESET_TIMEOUT_MS * USEC_PER_MSEC, cfg);
	if (ret)
		dev_err(parent->dev, "vq %u did not complete its reset in %u ms\n",
			qid, VP_SVQ_RESET_TIMEOUT_MS);
	return ret;
}

/*
 * Width of the virtio_net_config field at @offset: the driver must access
 * each field with its own width (virtio 1.x 4.1.3.1).
 */
static unsigned int vp_svq_hw_field_width(unsigned int offset)
{
	switch (offset) {
	case offsetof(struct virtio_net_config, status):
	case offsetof(struct virtio_net_config, max_virtqueue_pairs):
	case offsetof(struct virtio_net_config, mtu):
	case offsetof(struct virtio_net_config, rss_max_indirection_table_length):
		return 2;
	case offsetof(struct virtio_net_config, speed):
	case offsetof(struct virtio_net_config, supported_hash_types):
		return 4;
	default:
		return 1;
	}
}

/* Copy config bytes, each field with its own access width. */
static void vp_svq_hw_copy_config(void __iomem *base, unsigned int offset,
				  u8 *buf, unsigned int len)
{
	unsigned int width;

	while (len) {
		width = vp_svq_hw_field_width(offset);
		if (width > len)
			width = 1;
		if (width == 4)
			put_unaligned_le32(ioread32(base + offset), buf);
		else if (width == 2)
			put_unaligned_le16(ioread16(base + offset), buf);
		else
			*buf = ioread8(base + offset);
		offset += width;
		buf += width;
		len -= width;
	}
}

/**
 * vp_svq_hw_read_config() - read the device-specific config space
 * @parent: the function
 * @offset: first byte
 * @buf: destination
 * @len: bytes to read
 *
 * Bytes beyond the device's config space read as zero. The read is
 * repeated until config_generation is stable around it.
 */
void vp_svq_hw_read_config(struct vp_svq_parent *parent, unsigned int offset,
			   void *buf, unsigned int len)
{
	struct virtio_pci_modern_device *mdev = parent->mdev;
	unsigned int avail = 0;
	unsigned int tries;
	u32 gen;

	memset(buf, 0, len);
	if (offset < mdev->device_len)
		avail = min_t(size_t, len, mdev->device_len - offset);
	if (!avail || !mdev->device)
		return;

	for (tries = 0; tries < VP_SVQ_CONFIG_READ_RETRIES; tries++) {
		gen = vp_modern_generation(mdev);
		vp_svq_hw_copy_config(mdev->device, offset, buf, avail);
		if (gen == vp_modern_generation(mdev))
			return;
	}
	dev_warn_ratelimited(parent->dev,
			     "config space kept changing during %u reads\n",
			     VP_SVQ_CONFIG_READ_RETRIES);
}

/**
 * vp_svq_hw_cvq_index() - index of the control queue
 * @features: negotiated (or offered) features
 * @max_vqp: max_virtqueue_pairs of the config space in question
 *
 * Return: 2 * @max_vqp with VIRTIO_NET_F_MQ or VIRTIO_NET_F_RSS, else 2.
 */
u16 vp_svq_hw_cvq_index(u64 features, u16 max_vqp)
{
	if (features & (BIT_ULL(VIRTIO_NET_F_MQ) | BIT_ULL(VIRTIO_NET_F_RSS)))
		return 2 * max_vqp;
	return 2;
}

static u16 vp_svq_hw_config16(struct vp_svq_parent *parent,
			      unsigned int offset)
{
	__le16 v;

	vp_svq_hw_read_config(parent, offset, &v, sizeof(v));
	return le16_to_cpu(v);
}

#define VP_SVQ_NET_MAX_VQP \
	offsetof(struct virtio_net_config, max_virtqueue_pairs)
#define VP_SVQ_NET_MTU	offsetof(struct virtio_net_config, mtu)

/* Features that decide how many queues a net device has. */
#define VP_SVQ_DISCOVERY_FEATURES				\
	(BIT_ULL(VIRTIO_F_VERSION_1) |				\
	 BIT_ULL(VIRTIO_F_ACCESS_PLATFORM) |			\
	 BIT_ULL(VIRTIO_NET_F_CTRL_VQ) |			\
	 BIT_ULL(VIRTIO_NET_F_MQ) |				\
	 BIT_ULL(VIRTIO_NET_F_RSS))

/*
 * Negotiate the features that shape the queue layout, so that the queue
 * count and sizes read next are those a client will see: devices may
 * create queue pairs only once VIRTIO_NET_F_MQ is negotiated (QEMU's
 * virtio-net does).
 */
static int vp_svq_hw_discovery_begin(struct vp_svq_parent *parent)
{
	struct virtio_pci_modern_device *mdev = parent->mdev;
	u8 status = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;

	vp_modern_set_status(mdev, status);
	vp_modern_set_features(mdev, parent->device_features &
				     VP_SVQ_DISCOVERY_FEATURES);
	vp_modern_set_status(mdev, status | VIRTIO_CONFIG_S_FEATURES_OK);
	if (!(vp_modern_get_status(mdev) & VIRTIO_CONFIG_S_FEATURES_OK)) {
		dev_err(parent->dev,
			"device refused features 0x%llx (FEATURES_OK did not stick)\n",
			parent->device_features & VP_SVQ_DISCOVERY_FEATURES);
		return -EIO;
	}
	return 0;
}

/* The net config the device reports. */
static void vp_svq_hw_probe_net(struct vp_svq_parent *parent)
{
	u64 features = parent->device_features;

	parent->max_vqp = 1;
	/* Either feature makes the field valid, and places the CVQ after it. */
	if (features & (BIT_ULL(VIRTIO_NET_F_MQ) | BIT_ULL(VIRTIO_NET_F_RSS)))
		parent->max_vqp = vp_svq_hw_config16(parent, VP_SVQ_NET_MAX_VQP);
	if (features & BIT_ULL(VIRTIO_NET_F_MTU))
		parent->mtu = vp_svq_hw_config16(parent, VP_SVQ_NET_MTU);
	if (features & BIT_ULL(VIRTIO_NET_F_MAC))
		vp_svq_hw_read_config(parent,
				      offsetof(struct virtio_net_config, mac),
				      parent->mac, ETH_ALEN);
}

/*
 * Queue count and sizes, checked against the queue pairs of the config.
 * The pairs come from the device: counted in 32 bits, a value the queue
 * count cannot hold (virtio allows up to 0x8000 pairs, and 2 * 0x8000 + 1
 * queues do not fit num_queues) is refused like any other contradiction.
 */
static int vp_svq_hw_probe_queues(struct vp_svq_parent *parent)
{
	struct virtio_pci_modern_device *mdev = parent->mdev;
	u64 features = parent->device_features;
	u32 needed = 2 * (u32)parent->max_vqp;
	u32 i;
	u16 size;

	if (features & BIT_ULL(VIRTIO_NET_F_CTRL_VQ))
		needed++;
	parent->num_queues = vp_modern_get_num_queues(mdev);
	if (!parent->max_vqp ||
	    parent->max_vqp > VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MAX ||
	    parent->num_queues < needed) {
		dev_err(parent->dev,
			"device reports %u queue pairs but has %u queues (needs %u)\n",
			parent->max_vqp, parent->num_queues, needed);
		return -EINVAL;
	}

	parent->data_queue_max = U16_MAX;
	for (i = 0; i < 2 * parent->max_vqp; i++) {
		size = vp_modern_get_queue_size(mdev, i);
		parent->data_queue_max = min(parent->data_queue_max, size);
	}
	if (features & BIT_ULL(VIRTIO_NET_F_CTRL_VQ))
		parent->cvq_queue_max = vp_modern_get_queue_size(mdev, needed - 1);
	if (!parent->data_queue_max ||
	    ((features & BIT_ULL(VIRTIO_NET_F_CTRL_VQ)) && !parent->cvq_queue_max)) {
		dev_err(parent->dev, "device has a queue of size 0\n");
		return -EINVAL;
	}
	return 0;
}

/**
 * vp_svq_hw_probe() - learn what the device offers
 * @parent: the function; @parent->mdev must give register access
 *
 * Reads the device's features, negotiates those that shape the queue
 * layout, reads the net config, the queue count and the queue sizes into
 * @parent, and leaves the device reset.
 *
 * Return: 0; -ENODEV for a device vp_svq cannot drive (no VERSION_1),
 * -EIO or -EINVAL for a device that contradicts itself, -ETIMEDOUT if a
 * reset hangs.
 */
int vp_svq_hw_probe(struct vp_svq_parent *parent)
{
	int ret, reset;

	ret = vp_svq_hw_reset(parent);
	if (ret)
		return ret;

	parent->device_features = vp_modern_get_features(parent->mdev);
	if (!(parent->device_features & BIT_ULL(VIRTIO_F_VERSION_1))) {
		dev_err(parent->dev,
			"device does not offer VIRTIO_F_VERSION_1 (features 0x%llx)\n",
			parent->device_features);
		return -ENODEV;
	}
	parent->supported_features = parent->device_features &
				     ~VP_SVQ_FEATURES_NEVER_OFFERED;

	ret = vp_svq_hw_discovery_begin(parent);
	if (!ret) {
		vp_svq_hw_probe_net(parent);
		ret = vp_svq_hw_probe_queues(parent);
	}
	reset = vp_svq_hw_reset(parent);
	return ret ? ret : reset;
}
