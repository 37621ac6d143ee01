// SPDX-License-Identifier: GPL-2.0-only
/*
 * vp_svq KUnit: probing a function (hw.c) and registering its management
 * device (mgmt.c), against devices that are fine and devices that are not.
 */

#include <linux/virtio_config.h>
#include <uapi/linux/vdpa.h>

#include "vp_svq_test.h"

static void vpt_probe_default(struct kunit *test)
{
	struct vpm_config cfg;
	struct vpt_env *e;

	vpm_default_config(&cfg);
	e = vpt_env_new(test, &cfg);
	KUNIT_EXPECT_EQ(test, e->parent->device_features, cfg.features);
	KUNIT_EXPECT_EQ(test, e->parent->supported_features, cfg.features);
	KUNIT_EXPECT_EQ(test, e->parent->num_queues, 3);
	KUNIT_EXPECT_EQ(test, e->parent->max_vqp, 1);
	KUNIT_EXPECT_EQ(test, e->parent->mtu, 1500);
	KUNIT_EXPECT_EQ(test, e->parent->data_queue_max, 256);
	KUNIT_EXPECT_EQ(test, e->parent->cvq_queue_max, 256);
	KUNIT_EXPECT_MEMEQ(test, e->parent->mac, cfg.mac, ETH_ALEN);
	/* The probe left the device reset. */
	KUNIT_EXPECT_GE(test, e->m->resets, 1);
	KUNIT_EXPECT_EQ(test, e->m->driver_features, 0);
	KUNIT_EXPECT_EQ(test, e->m->status, 0);
	KUNIT_EXPECT_EQ(test, e->m->violations, 0);
	KUNIT_EXPECT_EQ(test, e->m->bad_access, 0);

	KUNIT_EXPECT_EQ(test, e->parent->mgtdev.max_supported_vqs, 3);
	KUNIT_EXPECT_EQ(test, e->parent->mgtdev.supported_features, cfg.features);
	KUNIT_EXPECT_TRUE(test, e->parent->mgtdev.config_attr_mask &
			  BIT_ULL(VDPA_ATTR_DEV_NET_CFG_MTU));
}

static void vpt_probe_multiqueue(struct kunit *test)
{
	struct vpm_config cfg;
	struct vpt_env *e;

	vpm_default_config(&cfg);
	cfg.max_vqp = 4;
	cfg.features |= BIT_ULL(VIRTIO_NET_F_MQ);
	cfg.features &= ~BIT_ULL(VIRTIO_NET_F_MTU);
	cfg.queue_size = 64;
	e = vpt_env_new(test, &cfg);
	KUNIT_EXPECT_EQ(test, e->parent->max_vqp, 4);
	KUNIT_EXPECT_EQ(test, e->parent->num_queues, 9);
	KUNIT_EXPECT_EQ(test, e->parent->data_queue_max, 64);
	KUNIT_EXPECT_EQ(test, e->parent->mtu, 0);
	KUNIT_EXPECT_FALSE(test, e->parent->mgtdev.config_attr_mask &
			   BIT_ULL(VDPA_ATTR_DEV_NET_CFG_MTU));
}

/* Transport features vp_svq must never pass on are kept from clients. */
static void vpt_probe_hides_transport_features(struct kunit *test)
{
	struct vpm_config cfg;
	struct vpt_env *e;

	vpm_default_config(&cfg);
	cfg.features |= BIT_ULL(VIRTIO_F_RING_RESET) |
			BIT_ULL(VIRTIO_F_NOTIFICATION_DATA);
	e = vpt_env_new(test, &cfg);
	KUNIT_EXPECT_EQ(test, e->parent->device_features, cfg.features);
	KUNIT_EXPECT_FALSE(test, e->parent->supported_features &
			   BIT_ULL(VIRTIO_F_RING_RESET));
	KUNIT_EXPECT_FALSE(test, e->parent->supported_features &
			   BIT_ULL(VIRTIO_F_NOTIFICATION_DATA));
}

static void vpt_probe_refuses_legacy(struct kunit *test)
{
	struct vpt_env *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
	struct vpm_config cfg;

	KUNIT_ASSERT_NOT_NULL(test, e);
	vpm_default_config(&cfg);
	cfg.features &= ~BIT_ULL(VIRTIO_F_VERSION_1);
	KUNIT_EXPECT_EQ(test, vpt_env_probe(test, e, &cfg), -ENODEV);
	KUNIT_EXPECT_FALSE(test, e->registered);
}

static void vpt_probe_refuses_missing_queues(struct kunit *test)
{
	struct vpt_env *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
	struct vpm_config cfg;

	KUNIT_ASSERT_NOT_NULL(test, e);
	vpm_default_config(&cfg);
	cfg.max_vqp = 4;
	cfg.features |= BIT_ULL(VIRTIO_NET_F_MQ);
	cfg.num_queues = 8;	/* 4 pairs and a CVQ need 9 */
	KUNIT_EXPECT_EQ(test, vpt_env_probe(test, e, &cfg), -EINVAL);

	e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, e);
	cfg.num_queues = 1;
	KUNIT_EXPECT_EQ(test, vpt_env_probe(test, e, &cfg), -EINVAL);
}

/*
 * Test that a device reporting more queue pairs than a queue count can
 * hold (virtio's maximum, 0x8000, and beyond) is refused at once instead
 * of sending the probe round a 16-bit loop for ever.
 */
static void vpt_probe_refuses_huge_vqp(struct kunit *test)
{
	static const u16 vqps[] = { 0x8000, 0x8001, 0xffff };
	struct vpm_config cfg;
	struct vpt_env *e;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vqps); i++) {
		e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, e);
		vpm_default_config(&cfg);
		cfg.max_vqp = 4;
		cfg.features |= BIT_ULL(VIRTIO_NET_F_MQ);
		cfg.cfg_max_vqp = vqps[i];
		cfg.num_queues = VPM_MAX_QUEUES;
		KUNIT_EXPECT_EQ_MSG(test, vpt_env_probe(test, e, &cfg), -EINVAL,
				    "max_virtqueue_pairs 0x%x", vqps[i]);
		KUNIT_EXPECT_FALSE(test, e->registered);
	}
}

/*
 * Test that with RSS and without MQ the CVQ still sits after the pairs of
 * max_virtqueue_pairs (virtio 5.1.2): probe reads the field, and the
 * driver drives the device's CVQ at that index.
 */
static void vpt_probe_rss_without_mq(struct kunit *test)
{
	struct vpm_config cfg;
	struct vpt_env *e;

	vpm_default_config(&cfg);
	cfg.max_vqp = 3;
	cfg.features |= BIT_ULL(VIRTIO_NET_F_RSS);
	e = vpt_env_new(test, &cfg);
	KUNIT_EXPECT_EQ(test, e->parent->max_vqp, 3);
	KUNIT_EXPECT_EQ(test, e->parent->num_queues, 7);
	KUNIT_EXPECT_EQ(test, vp_svq_hw_cvq_index(e->parent->device_features,
						  e->parent->max_vqp), 6);
}

static void vpt_probe_refuses_empty_queue(struct kunit *test)
{
	struct vpt_env *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
	struct vpm_config cfg;

	KUNIT_ASSERT_NOT_NULL(test, e);
	vpm_default_config(&cfg);
	cfg.queue_size = 0;
	KUNIT_EXPECT_EQ(test, vpt_env_probe(test, e, &cfg), -EINVAL);
}

/* A device that never completes a reset: bounded wait, then -ETIMEDOUT. */
static void vpt_probe_reset_timeout(struct kunit *test)
{
	struct vpt_env *e = vpt_env_new(test, NULL);
	unsigned int resets = e->m->resets;

	vp_modern_set_status(&e->m->mdev, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	e->m->reset_delay = U32_MAX;
	KUNIT_EXPECT_EQ(test, vp_svq_hw_reset(e->parent), -ETIMEDOUT);
	/* A slow but working device is waited for. */
	e->m->reset_delay = 5;
	KUNIT_EXPECT_EQ(test, vp_svq_hw_reset(e->parent), 0);
	KUNIT_EXPECT_EQ(test, e->m->reset_delay, 0);
	KUNIT_EXPECT_FALSE(test, e->m->reset_pending);
	KUNIT_EXPECT_EQ(test, e->m->resets, resets + 2);
}

/* A function that went away reads all ones: the reset times out. */
static void vpt_probe_surprise_removal(struct kunit *test)
{
	struct vpt_env *e = vpt_env_new(test, NULL);

	vpm_surprise_removal(e->m);
	KUNIT_EXPECT_EQ(test, vp_svq_hw_reset(e->parent), -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, vp_modern_get_status(&e->m->mdev), 0xff);
}

static void vpt_probe_config_space(struct kunit *test)
{
	struct vpt_env *e = vpt_env_new(test, NULL);
	struct virtio_net_config cfg;
	u8 tail[8];

	vp_svq_hw_read_config(e->parent, 0, &cfg, sizeof(cfg));
	KUNIT_EXPECT_MEMEQ(test, cfg.mac, e->m->cfg.mac, ETH_ALEN);
	KUNIT_EXPECT_EQ(test, le16_to_cpu((__force __le16)cfg.mtu), 1500);
	KUNIT_EXPECT_EQ(test, le16_to_cpu((__force __le16)cfg.status),
			VIRTIO_NET_S_LINK_UP);
	/* Unaligned pieces come out the same. */
	memset(tail, 0xaa, sizeof(tail));
	vp_svq_hw_read_config(e->parent, 3, tail, 3);
	KUNIT_EXPECT_MEMEQ(test, tail, e->m->cfg.mac + 3, 3);
	/* Past the end of the config space reads zeros. */
	memset(tail, 0xaa, sizeof(tail));
	vp_svq_hw_read_config(e->parent, sizeof(cfg) - 2, tail, sizeof(tail));
	KUNIT_EXPECT_EQ(test, tail[2], 0);
	KUNIT_EXPECT_EQ(test, tail[7], 0);
	KUNIT_EXPECT_EQ(test, e->m->bad_access, 0);
}

/* virtio 4.1.3.1: each device config field is read with its own width. */
static void vpt_probe_config_access_width(struct kunit *test)
{
	struct vpt_env *e = vpt_env_new(test, NULL);
	struct virtio_net_config cfg;

	e->m->cfg_odd_access = 0;
	vp_svq_hw_read_config(e->parent, 0, &cfg, sizeof(cfg));
	KUNIT_EXPECT_EQ(test, e->m->bad_access, 0);
	KUNIT_EXPECT_EQ(test, e->m->cfg_odd_access, 0);
	/* A read that starts inside a field falls back to bytes. */
	vp_svq_hw_read_config(e->parent, 7, &cfg, 5);
	KUNIT_EXPECT_EQ(test, e->m->bad_access, 0);
}

static void vpt_probe_cvq_index(struct kunit *test)
{
	u64 mq = BIT_ULL(VIRTIO_NET_F_MQ) | BIT_ULL(VIRTIO_NET_F_CTRL_VQ);

	KUNIT_EXPECT_EQ(test, vp_svq_hw_cvq_index(mq, 4), 8);
	KUNIT_EXPECT_EQ(test, vp_svq_hw_cvq_index(BIT_ULL(VIRTIO_NET_F_RSS), 3), 6);
	KUNIT_EXPECT_EQ(test, vp_svq_hw_cvq_index(BIT_ULL(VIRTIO_NET_F_CTRL_VQ), 4), 2);
}

static struct kunit_case vpt_probe_cases[] = {
	KUNIT_CASE(vpt_probe_default),
	KUNIT_CASE(vpt_probe_multiqueue),
	KUNIT_CASE(vpt_probe_hides_transport_features),
	KUNIT_CASE(vpt_probe_refuses_legacy),
	KUNIT_CASE(vpt_probe_refuses_missing_queues),
	KUNIT_CASE(vpt_probe_refuses_empty_queue),
	KUNIT_CASE(vpt_probe_refuses_huge_vqp),
	KUNIT_CASE(vpt_probe_rss_without_mq),
	KUNIT_CASE(vpt_probe_reset_timeout),
	KUNIT_CASE(vpt_probe_surprise_removal),
	KUNIT_CASE(vpt_probe_config_space),
	KUNIT_CASE(vpt_probe_config_access_width),
	KUNIT_CASE(vpt_probe_cvq_index),
	{}
};

static struct kunit_suite vpt_probe_suite = {
	.name = "vp_svq_probe",
	.test_cases = vpt_probe_cases,
};

kunit_test_suite(vpt_probe_suite);
