// SPDX-License-Identifier: GPL-2.0-only
/*
 * vp_svq KUnit: struct vdpa_config_ops driven directly, as a vDPA bus
 * driver would: status state machine and feature negotiation, queue
 * setup, kicks and interrupts, config space, queue state, reset.
 */

#include <linux/etherdevice.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>
#include <uapi/linux/vdpa.h>

#include "vp_svq_test.h"

/**
 * struct vpt_cb - a client callback that counts its calls
 * @calls: how many times it ran
 * @done: completed at each call
 */
struct vpt_cb {
	atomic_t calls;
	struct completion done;
};

static irqreturn_t vpt_cb_fn(void *data)
{
	struct vpt_cb *cb = data;

	atomic_inc(&cb->calls);
	complete(&cb->done);
	return IRQ_HANDLED;
}

static struct vdpa_device *vpt_ops_add(struct kunit *test, struct vpt_env *e,
				       const struct vpt_add_attrs *attrs)
{
	struct vdpa_device *vdpa;

	KUNIT_ASSERT_EQ(test, vpt_add(e, attrs), 0);
	vdpa = vpt_vdpa(e);
	KUNIT_ASSERT_NOT_NULL(test, vdpa);
	KUNIT_ASSERT_NULL(test, vdpa->dev.driver);
	return vdpa;
}

static void vpt_negotiate(struct kunit *test, struct vdpa_device *vdpa,
			  u64 features)
{
	const struct vdpa_config_ops *ops = vdpa->config;

	ops->set_status(vdpa, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	ops->set_status(vdpa, VIRTIO_CONFIG_S_ACKNOWLEDGE |
			VIRTIO_CONFIG_S_DRIVER);
	KUNIT_ASSERT_EQ(test, ops->set_driver_features(vdpa, features), 0);
	ops->set_status(vdpa, VIRTIO_CONFIG_S_ACKNOWLEDGE |
			VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
}

#define VPT_S_READY	(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | \
			 VIRTIO_CONFIG_S_FEATURES_OK)

/* Give queue @idx a split ring of @num entries in kernel memory. */
static void vpt_setup_vq(struct kunit *test, struct vdpa_device *vdpa,
			 u16 idx, u32 num, struct vpt_cb *cb)
{
	const struct vdpa_config_ops *ops = vdpa->config;
	size_t size = vring_size(num, SMP_CACHE_BYTES);
	struct vdpa_callback vcb = {};
	struct vring vr;
	void *mem;

	mem = vpt_client_mem(test, size);
	KUNIT_ASSERT_NOT_NULL(test, mem);
	vring_init(&vr, num, mem, SMP_CACHE_BYTES);
	ops->set_vq_num(vdpa, idx, num);
	KUNIT_ASSERT_EQ(test, ops->set_vq_address(vdpa, idx,
						  virt_to_phys(vr.desc),
						  virt_to_phys(vr.avail),
						  virt_to_phys(vr.used)), 0);
	if (cb) {
		atomic_set(&cb->calls, 0);
		init_completion(&cb->done);
		vcb.callback = vpt_cb_fn;
		vcb.private = cb;
		ops->set_vq_cb(vdpa, idx, &vcb);
	}
	ops->set_vq_ready(vdpa, idx, true);
}

static void vpt_ops_status_machine(struct kunit *test)
{
	struct vpt_env *e = vpt_env_new(test, NULL);
	struct vdpa_device *vdpa = vpt_ops_add(test, e, NULL);
	const struct vdpa_config_ops *ops = vdpa->config;
	u64 features = ops->get_device_features(vdpa);

	KUNIT_EXPECT_EQ(test, ops->get_status(vdpa), 0);
	KUNIT_EXPECT_EQ(test, ops->get_device_id(vdpa), VIRTIO_ID_NET);
	KUNIT_EXPECT_EQ(test, ops->get_vendor_id(vdpa), VPM_VENDOR_ID);
	/* By default QEMU's SVQ-valid set: the device's INDIRECT_DESC is not. */
	KUNIT_EXPECT_EQ(test, features,
			e->m->cfg.features & VP_SVQ_DEFAULT_FEATURES);
	KUNIT_EXPECT_TRUE(test, e->m->cfg.features &
			  BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC));
	KUNIT_EXPECT_FALSE(test, features & BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC));
	KUNIT_EXPECT_TRUE(test, features & BIT_ULL(VIRTIO_NET_F_CTRL_VQ));
	vpt_negotiate(test, vdpa, features);
	KUNIT_EXPECT_EQ(test, ops->get_status(vdpa), VPT_S_READY);
	KUNIT_EXPECT_EQ(test, ops->get_driver_features(vdpa), features);
	KUNIT_EXPECT_EQ(test, e->m->driver_features, features);

	/* DRIVER_OK with no queue: nothing to start, no vector needed? */
	ops->set_status(vdpa, VPT_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_EXPECT_EQ(test, ops->get_status(vdpa),
			VPT_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_EXPECT_EQ(test, ops->reset(vdpa), 0);
	KUNIT_EXPECT_EQ(test, ops->get_status(vdpa), 0);
	KUNIT_EXPECT_EQ(test, ops->get_driver_features(vdpa), 0);
	KUNIT_EXPECT_EQ(test, e->m->nvectors, 0);
	KUNIT_EXPECT_EQ(test, e->m->violations, 0);
}

static void vpt_ops_features_not_offered(struct kunit *test)
{
	struct vpt_env *e = vpt_env_new(test, NULL);
	struct vdpa_device *vdpa = vpt_ops_add(test, e, NULL);
	const struct vdpa_config_ops *ops = vdpa->config;
	u64 features = ops->get_device_features(vdpa);

	ops->set_status(vdpa, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	KUNIT_EXPECT_EQ(test, ops->set_driver_features(vdpa, features |
						BIT_ULL(VIRTIO_F_RING_PACKED)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, e->m->driver_features, 0);
	/* The device itself refuses a driver without VERSION_1. */
	KUNIT_EXPECT_EQ(test, ops->set_driver_features(vdpa, features &
						~BIT_ULL(VIRTIO_F_VERSION_1)), 0);
	ops->set_status(vdpa, VPT_S_READY);
	KUNIT_EXPECT_FALSE(test, ops->get_status(vdpa) &
			   VIRTIO_CONFIG_S_FEATURES_OK);
	KUNIT_EXPECT_EQ(test, e->m->violations, 0);
}

/* A queue the device cannot run makes DRIVER_OK fail: FAILED, no vector. */
static void vpt_ops_driver_ok_bad_queue(struct kunit *test)
{
	struct vpt_env *e = vpt_env_new(test, NULL);
	struct vdpa_device *vdpa = vpt_ops_add(test, e, NULL);
	const struct vdpa_config_ops *ops = vdpa->config;
	struct vpt_cb cb;
	u8 status;

	vpt_negotiate(test, vdpa, ops->get_device_features(vdpa));
	vpt_setup_vq(test, vdpa, 0, 64, &cb);
	ops->set_vq_num(vdpa, 0, 100);	/* not a power of 2 */
	ops->set_status(vdpa, VPT_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	status = ops->get_status(vdpa);
	KUNIT_EXPECT_TRUE(test, status & VIRTIO_CONFIG_S_FAILED);
	KUNIT_EXPECT_FALSE(test, status & VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_EXPECT_EQ(test, e->m->nvectors, 0);
	KUNIT_EXPECT_FALSE(test, e->m->q[0].enabled);

	/* Larger than the device allows. */
	KUNIT_EXPECT_EQ(test, ops->reset(vdpa), 0);
	vpt_negotiate(test, vdpa, ops->get_device_features(vdpa));
	vpt_setup_vq(test, vdpa, 0, 512, &cb);
	ops->set_status(vdpa, VPT_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_EXPECT_TRUE(test, ops->get_status(vdpa) & VIRTIO_CONFIG_S_FAILED);
	KUNIT_EXPECT_EQ(test, ops->reset(vdpa), 0);
	KUNIT_EXPECT_EQ(test, e->m->violations, 0);
}

/*
 * With the device-state capability no queue is ever shadowed, so doorbells
 * and irqs are handed out (vp_svq_shadow tests a plain device's).
 */
static struct vpt_env *vpt_ops_env_with_cap(struct kunit *test,
					    struct vpm_config *cfg)
{
	cfg->state_cap = true;
	return vpt_env_new(test, cfg);
}

static void vpt_ops_vq_setup_kick_irq(struct kunit *test)
{
	struct vpm_config cfg;
	struct vpt_env *e;
	struct vdpa_device *vdpa;
	const struct vdpa_config_ops *ops;
	struct vpt_cb rx, tx;
	struct vdpa_notification_area area;
	int irq;

	vpm_default_config(&cfg);
	e = vpt_ops_env_with_cap(test, &cfg);
	vdpa = vpt_ops_add(test, e, NULL);
	ops = vdpa->config;

	KUNIT_EXPECT_EQ(test, ops->get_vq_num_max(vdpa), 256);
	KUNIT_EXPECT_EQ(test, ops->get_vq_group(vdpa, 0), 0);
	vpt_negotiate(test, vdpa, ops->get_device_features(vdpa));
	vpt_setup_vq(test, vdpa, 0, 64, &rx);
	vpt_setup_vq(test, vdpa, 1, 128, &tx);
	KUNIT_EXPECT_TRUE(test, ops->get_vq_ready(vdpa, 0));
	KUNIT_EXPECT_FALSE(test, ops->get_vq_ready(vdpa, 2));
	/* Nothing reaches the device before DRIVER_OK. */
	KUNIT_EXPECT_FALSE(test, e->m->q[0].enabled);

	ops->set_status(vdpa, VPT_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_ASSERT_EQ(test, ops->get_status(vdpa),
			VPT_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_EXPECT_TRUE(test, e->m->q[0].enabled);
	KUNIT_EXPECT_TRUE(test, e->m->q[1].enabled);
	/*
	 * The client left its CVQ (2) alone; the device's CVQ runs anyway,
	 * on the driver's own ring, polled: no vector.
	 */
	KUNIT_EXPECT_FALSE(test, ops->get_vq_ready(vdpa, 2));
	KUNIT_EXPECT_TRUE(test, e->m->q[2].enabled);
	KUNIT_EXPECT_EQ(test, e->m->q[2].size, 32);
	KUNIT_EXPECT_EQ(test, e->m->q[2].msix_vector, VIRTIO_MSI_NO_VECTOR);
	KUNIT_EXPECT_EQ(test, e->m->q[0].size, 64);
	KUNIT_EXPECT_EQ(test, e->m->q[1].size, 128);
	KUNIT_EXPECT_EQ(test, ops->get_vq_size(vdpa, 1), 128);
	/* Config vector 0, one per queue with a callback. */
	KUNIT_EXPECT_EQ(test, e->m->nvectors, 3);
	KUNIT_EXPECT_EQ(test, vpm_attached_handlers(e->m), 3);
	KUNIT_EXPECT_EQ(test, e->m->msix_config, 0);
	KUNIT_EXPECT_NE(test, e->m->q[0].msix_vector, VIRTIO_MSI_NO_VECTOR);
	KUNIT_EXPECT_NE(test, e->m->q[0].msix_vector, e->m->q[1].msix_vector);
	irq = ops->get_vq_irq(vdpa, 1);
	KUNIT_EXPECT_EQ(test, irq, VPM_IRQ_BASE + e->m->q[1].msix_vector);
	KUNIT_EXPECT_LT(test, ops->get_vq_irq(vdpa, 2), 0);

	area = ops->get_vq_notification(vdpa, 1);
	KUNIT_EXPECT_EQ(test, area.addr, e->m->notify[1].pa);
	KUNIT_EXPECT_EQ(test, area.size, e->m->cfg.notify_mult);

	ops->kick_vq(vdpa, 1);
	ops->kick_vq(vdpa, 1);
	KUNIT_EXPECT_EQ(test, e->m->q[1].kicks, 2);
	KUNIT_EXPECT_EQ(test, e->m->q[0].kicks, 0);

	vpm_raise_vq_irq(e->m, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&tx.calls), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&rx.calls), 0);
	vpm_raise_vq_irq(e->m, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&rx.calls), 1);

	/* Enabling or disabling a queue after DRIVER_OK is refused. */
	ops->set_vq_ready(vdpa, 2, true);
	KUNIT_EXPECT_FALSE(test, ops->get_vq_ready(vdpa, 2));
	ops->set_vq_ready(vdpa, 0, false);
	KUNIT_EXPECT_TRUE(test, ops->get_vq_ready(vdpa, 0));

	/* Reset: vectors released, queues and callbacks forgotten. */
	KUNIT_EXPECT_EQ(test, ops->reset(vdpa), 0);
	KUNIT_EXPECT_EQ(test, vpm_attached_handlers(e->m), 0);
	KUNIT_EXPECT_EQ(test, e->m->nvectors, 0);
	KUNIT_EXPECT_EQ(test, e->m->vector_frees, 1);
	KUNIT_EXPECT_FALSE(test, ops->get_vq_ready(vdpa, 0));
	KUNIT_EXPECT_EQ(test, ops->get_vq_size(vdpa, 1), 256);
	KUNIT_EXPECT_FALSE(test, e->m->q[0].enabled);
	KUNIT_EXPECT_EQ(test, e->m->msix_config, VIRTIO_MSI_NO_VECTOR);
	KUNIT_EXPECT_LT(test, ops->get_vq_irq(vdpa, 1), 0);
	vpm_raise_vq_irq(e->m, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&tx.calls), 1);
	KUNIT_EXPECT_EQ(test, e->m->violations, 0);
	KUNIT_EXPECT_EQ(test, e->m->bad_access, 0);
}

/* Not enough vectors: one shared vector, the ISR tells config changes. */
static void vpt_ops_shared_vector(struct kunit *test)
{
	struct vdpa_callback ccb = { .callback = vpt_cb_fn };
	struct vpt_cb rx, tx, config;
	const struct vdpa_config_ops *ops;
	struct vdpa_device *vdpa;
	struct vpm_config cfg;
	struct vpt_env *e;

	vpm_default_config(&cfg);
	cfg.msix_vectors = 2;
	e = vpt_env_new(test, &cfg);
	vdpa = vpt_ops_add(test, e, NULL);
	ops = vdpa->config;
	vpt_negotiate(test, vdpa, ops->get_device_features(vdpa));
	vpt_setup_vq(test, vdpa, 0, 64, &rx);
	vpt_setup_vq(test, vdpa, 1, 64, &tx);
	atomic_set(&config.calls, 0);
	init_completion(&config.done);
	ccb.private = &config;
	ops->set_config_cb(vdpa, &ccb);
	ops->set_status(vdpa, VPT_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_ASSERT_TRUE(test, ops->get_status(vdpa) & VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_EXPECT_EQ(test, e->m->nvectors, 1);
	KUNIT_EXPECT_EQ(test, e->m->q[0].msix_vector, 0);
	KUNIT_EXPECT_EQ(test, e->m->q[1].msix_vector, 0);
	/* No queue has an irq of its own to give to irq bypass. */
	KUNIT_EXPECT_EQ(test, ops->get_vq_irq(vdpa, 0), -EINVAL);

	vpm_raise_vq_irq(e->m, 1);
	KUNIT_EXPECT_GE(test, atomic_read(&tx.calls), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&config.calls), 0);
	vpm_config_changed(e->m);
	KUNIT_EXPECT_EQ(test, atomic_read(&config.calls), 1);
	KUNIT_EXPECT_EQ(test, ops->get_generation(vdpa), 1);
	KUNIT_EXPECT_EQ(test, ops->reset(vdpa), 0);
	KUNIT_EXPECT_EQ(test, vpm_attached_handlers(e->m), 0);
	KUNIT_EXPECT_EQ(test, e->m->violations, 0);
}

/* The device refuses vectors, or the transport has none: FAILED. */
static void vpt_ops_vectors_refused(struct kunit *test)
{
	struct vpt_env *e = vpt_env_new(test, NULL);
	struct vdpa_device *vdpa = vpt_ops_add(test, e, NULL);
	const struct vdpa_config_ops *ops = vdpa->config;
	struct vpt_cb rx;

	e->m->refuse_vectors = true;
	vpt_negotiate(test, vdpa, ops->get_device_features(vdpa));
	vpt_setup_vq(test, vdpa, 0, 64, &rx);
	ops->set_status(vdpa, VPT_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_EXPECT_TRUE(test, ops->get_status(vdpa) & VIRTIO_CONFIG_S_FAILED);
	KUNIT_EXPECT_EQ(test, vpm_attached_handlers(e->m), 0);
	KUNIT_EXPECT_EQ(test, e->m->nvectors, 0);
	KUNIT_EXPECT_EQ(test, ops->reset(vdpa), 0);

	e->m->refuse_vectors = false;
	e->m->fail_alloc_vectors = true;
	vpt_negotiate(test, vdpa, ops->get_device_features(vdpa));
	vpt_setup_vq(test, vdpa, 0, 64, &rx);
	ops->set_status(vdpa, VPT_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_EXPECT_TRUE(test, ops->get_status(vdpa) & VIRTIO_CONFIG_S_FAILED);
	KUNIT_EXPECT_FALSE(test, e->m->q[0].enabled);
	KUNIT_EXPECT_EQ(test, ops->reset(vdpa), 0);
	KUNIT_EXPECT_EQ(test, e->m->violations, 0);
}

/*
 * Test that a start that failed leaves nothing behind and that DRIVER_OK
 * tried again without a reset is refused: the device's CVQ ring, the
 * vectors and the shadow rings would be set up a second time.
 */
static void vpt_ops_driver_ok_retry(struct kunit *test)
{
	struct vpt_env *e = vpt_env_new(test, NULL);
	struct vdpa_device *vdpa = vpt_ops_add(test, e, NULL);
	const struct vdpa_config_ops *ops = vdpa->config;
	struct vp_svq_dev *dev = vdpa_to_vp_svq(vdpa);
	struct vpt_cb rx;
	u8 status;

	e->m->refuse_vectors = true;
	vpt_negotiate(test, vdpa, ops->get_device_features(vdpa));
	vpt_setup_vq(test, vdpa, 0, 64, &rx);
	ops->set_status(vdpa, VPT_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_ASSERT_TRUE(test, ops->get_status(vdpa) & VIRTIO_CONFIG_S_FAILED);
	KUNIT_EXPECT_NULL(test, dev->cvq.hw.va);
	KUNIT_EXPECT_EQ(test, dev->nvectors, 0);
	KUNIT_EXPECT_EQ(test, e->m->nvectors, 0);

	e->m->refuse_vectors = false;
	ops->set_status(vdpa, VPT_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	status = ops->get_status(vdpa);
	KUNIT_EXPECT_TRUE(test, status & VIRTIO_CONFIG_S_FAILED);
	KUNIT_EXPECT_FALSE(test, status & VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_EXPECT_NULL(test, dev->cvq.hw.va);
	KUNIT_EXPECT_EQ(test, e->m->nvectors, 0);
	KUNIT_EXPECT_FALSE(test, e->m->q[0].enabled);
	KUNIT_EXPECT_EQ(test, ops->suspend(vdpa), -EIO);
	KUNIT_EXPECT_EQ(test, ops->resume(vdpa), -EIO);

	/* A reset makes it whole again. */
	KUNIT_EXPECT_EQ(test, ops->reset(vdpa), 0);
	vpt_negotiate(test, vdpa, ops->get_device_features(vdpa));
	vpt_setup_vq(test, vdpa, 0, 64, &rx);
	ops->set_status(vdpa, VPT_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_EXPECT_EQ(test, ops->get_status(vdpa),
			VPT_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_EXPECT_TRUE(test, e->m->q[0].enabled);
	KUNIT_EXPECT_EQ(test, ops->reset(vdpa), 0);
	KUNIT_EXPECT_EQ(test, e->m->nvectors, 0);
	KUNIT_EXPECT_EQ(test, e->m->violations, 0);
}

static void vpt_ops_vq_state(struct kunit *test)
{
	struct vpt_env *e = vpt_env_new(test, NULL);
	struct vdpa_device *vdpa = vpt_ops_add(test, e, NULL);
	const struct vdpa_config_ops *ops = vdpa->config;
	struct vdpa_vq_state state, initial = {};

	vpt_negotiate(test, vdpa, ops->get_device_features(vdpa));
	KUNIT_EXPECT_EQ(test, ops->get_vq_state(vdpa, 0, &state), 0);
	KUNIT_EXPECT_EQ(test, state.split.avail_index, 0);
	KUNIT_EXPECT_EQ(test, ops->set_vq_state(vdpa, 0, &initial), 0);
	/* Any split state is kept before DRIVER_OK (shadow mode applies it). */
	state.split.avail_index = 7;
	KUNIT_EXPECT_EQ(test, ops->set_vq_state(vdpa, 0, &state), 0);
	memset(&state, 0xff, sizeof(state));
	KUNIT_EXPECT_EQ(test, ops->get_vq_state(vdpa, 0, &state), 0);
	KUNIT_EXPECT_EQ(test, state.split.avail_index, 7);
	/* Queue 0 never made ready: it does not run, nothing to read. */
	ops->set_status(vdpa, VPT_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_EXPECT_EQ(test, ops->get_vq_state(vdpa, 0, &state), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, ops->reset(vdpa), 0);
}

static void vpt_ops_config_view(struct kunit *test)
{
	struct vpt_add_attrs attrs = { .mtu = 1400, .max_vqp = 2 };
	const struct vdpa_config_ops *ops;
	struct virtio_net_config cfg;
	struct vdpa_device *vdpa;
	struct vpm_config mcfg;
	struct vpt_env *e;

	vpm_default_config(&mcfg);
	mcfg.max_vqp = 4;
	mcfg.features |= BIT_ULL(VIRTIO_NET_F_MQ);
	e = vpt_env_new(test, &mcfg);
	vdpa = vpt_ops_add(test, e, &attrs);
	ops = vdpa->config;
	KUNIT_EXPECT_EQ(test, ops->get_config_size(vdpa), sizeof(cfg));
	memset(&cfg, 0xaa, sizeof(cfg));
	ops->get_config(vdpa, 0, &cfg, sizeof(cfg));
	KUNIT_EXPECT_MEMEQ(test, cfg.mac, mcfg.mac, ETH_ALEN);
	KUNIT_EXPECT_EQ(test, le16_to_cpu((__force __le16)cfg.mtu), 1400);
	KUNIT_EXPECT_EQ(test, le16_to_cpu((__force __le16)cfg.max_virtqueue_pairs), 2);
	KUNIT_EXPECT_EQ(test, le16_to_cpu((__force __le16)cfg.status),
			VIRTIO_NET_S_LINK_UP);
	/* The device's own view is unchanged. */
	KUNIT_EXPECT_EQ(test, le16_to_cpu(e->m->netcfg.max_virtqueue_pairs), 4);

	/* A window into it, and past its end. */
	memset(&cfg, 0xaa, sizeof(cfg));
	ops->get_config(vdpa, offsetof(struct virtio_net_config, mtu), &cfg, 2);
	KUNIT_EXPECT_EQ(test, le16_to_cpu(*(__le16 *)&cfg), 1400);
	memset(&cfg, 0xaa, sizeof(cfg));
	ops->get_config(vdpa, sizeof(cfg) + 4, &cfg, 4);
	KUNIT_EXPECT_EQ(test, *(u32 *)&cfg, 0);
}

/*
 * Fewer queue pairs than the device: the client's CVQ (4) is never
 * programmed into the device. Its kicks go to the shadow, not to a
 * doorbell, it has no doorbell to map, and the device's own CVQ (at
 * 2 * the device's max_virtqueue_pairs) runs on the driver's ring.
 */
static void vpt_ops_cvq_mapping(struct kunit *test)
{
	struct vpt_add_attrs attrs = { .max_vqp = 2 };
	const struct vdpa_config_ops *ops;
	struct vdpa_notification_area area;
	struct vdpa_device *vdpa;
	struct vp_svq_dev *dev;
	struct vpm_config cfg;
	struct vpt_env *e;
	struct vpt_cb cb;
	unsigned int q;

	vpm_default_config(&cfg);
	cfg.max_vqp = 4;
	cfg.msix_vectors = 8;
	cfg.features |= BIT_ULL(VIRTIO_NET_F_MQ);
	e = vpt_ops_env_with_cap(test, &cfg);
	vdpa = vpt_ops_add(test, e, &attrs);
	dev = vdpa_to_vp_svq(vdpa);
	ops = vdpa->config;
	KUNIT_EXPECT_EQ(test, vdpa->nvqs, 5);
	vpt_negotiate(test, vdpa, ops->get_device_features(vdpa));
	vpt_setup_vq(test, vdpa, 4, 16, &cb);
	ops->set_status(vdpa, VPT_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_ASSERT_TRUE(test, ops->get_status(vdpa) & VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_EXPECT_TRUE(test, ops->get_vq_ready(vdpa, 4));
	/* The device's CVQ: the driver's 4-entry ring, not the client's. */
	KUNIT_EXPECT_TRUE(test, e->m->q[8].enabled);
	KUNIT_EXPECT_EQ(test, e->m->q[8].size, 32);
	KUNIT_EXPECT_EQ(test, e->m->q[8].desc, dev->cvq.hw.addr);
	for (q = 0; q < 8; q++)
		KUNIT_EXPECT_FALSE_MSG(test, e->m->q[q].enabled, "queue %u", q);
	/* No vector for the client's CVQ: it is not a hardware queue. */
	KUNIT_EXPECT_EQ(test, e->m->nvectors, 1);
	KUNIT_EXPECT_LT(test, ops->get_vq_irq(vdpa, 4), 0);

	ops->kick_vq(vdpa, 4);
	flush_work(&dev->cvq.work);
	for (q = 0; q < 9; q++)
		KUNIT_EXPECT_EQ_MSG(test, e->m->q[q].kicks, 0, "queue %u", q);
	KUNIT_EXPECT_EQ(test, atomic64_read(&dev->vqs[4].kicks), 0);
	area = ops->get_vq_notification(vdpa, 4);
	KUNIT_EXPECT_EQ(test, area.addr, 0);
	KUNIT_EXPECT_EQ(test, area.size, 0);
	/* A data queue still gets its doorbell. */
	area = ops->get_vq_notification(vdpa, 3);
	KUNIT_EXPECT_EQ(test, area.addr, e->m->notify[3].pa);
	/* The device's CVQ raises no interrupt the client would see. */
	vpm_raise_vq_irq(e->m, 8);
	KUNIT_EXPECT_EQ(test, atomic_read(&cb.calls), 0);
	KUNIT_EXPECT_EQ(test, ops->reset(vdpa), 0);
	KUNIT_EXPECT_FALSE(test, e->m->q[8].enabled);
	KUNIT_EXPECT_NULL(test, dev->cvq.hw.va);
	KUNIT_EXPECT_EQ(test, e->m->violations, 0);
}

/*
 * Test that a queue index outside the negotiated features never reaches
 * the device: without CTRL_VQ, vq 2 is where the device keeps its CVQ.
 */
static void vpt_ops_index_not_negotiated(struct kunit *test)
{
	struct vpt_env *e = vpt_env_new(test, NULL);
	struct vdpa_device *vdpa = vpt_ops_add(test, e, NULL);
	const struct vdpa_config_ops *ops = vdpa->config;
	struct vpt_cb cb;

	KUNIT_ASSERT_EQ(test, vdpa->nvqs, 3);
	vpt_negotiate(test, vdpa, ops->get_device_features(vdpa) &
		      ~VPT_CVQ_FEATURES);
	KUNIT_ASSERT_EQ(test, ops->get_status(vdpa), VPT_S_READY);
	vpt_setup_vq(test, vdpa, 0, 64, &cb);
	vpt_setup_vq(test, vdpa, 2, 64, &cb);
	KUNIT_EXPECT_TRUE(test, ops->get_vq_ready(vdpa, 0));
	KUNIT_EXPECT_FALSE(test, ops->get_vq_ready(vdpa, 2));
	ops->set_status(vdpa, VPT_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_ASSERT_TRUE(test, ops->get_status(vdpa) & VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_EXPECT_TRUE(test, e->m->q[0].enabled);
	KUNIT_EXPECT_FALSE(test, e->m->q[2].enabled);
	ops->kick_vq(vdpa, 2);
	KUNIT_EXPECT_EQ(test, e->m->q[2].kicks, 0);
	KUNIT_EXPECT_EQ(test, ops->get_vq_notification(vdpa, 2).size, 0);
	KUNIT_EXPECT_EQ(test, ops->reset(vdpa), 0);
	KUNIT_EXPECT_EQ(test, e->m->violations, 0);
}

/*
 * Test that a late enable of an index outside the negotiated features
 * leaves the device's CVQ alone: the driver drives it for a provisioned
 * MAC although the client did not negotiate CTRL_VQ.
 */
static void vpt_ops_index_late_enable(struct kunit *test)
{
	struct vpt_add_attrs attrs = { .has_mac = true,
				       .mac = { 0x02, 0, 0, 0, 0, 0x42 } };
	struct vdpa_device *vdpa;
	const struct vdpa_config_ops *ops;
	struct vp_svq_dev *dev;
	struct vpm_config cfg;
	struct vpt_env *e;
	struct vpt_cb cb;

	vpm_default_config(&cfg);
	cfg.features |= BIT_ULL(VIRTIO_F_RING_RESET);
	e = vpt_env_new(test, &cfg);
	vdpa = vpt_ops_add(test, e, &attrs);
	ops = vdpa->config;
	dev = vdpa_to_vp_svq(vdpa);
	vpt_negotiate(test, vdpa, ops->get_device_features(vdpa) &
		      ~VPT_CVQ_FEATURES);
	vpt_setup_vq(test, vdpa, 0, 64, &cb);
	ops->set_status(vdpa, VPT_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_ASSERT_TRUE(test, ops->get_status(vdpa) & VIRTIO_CONFIG_S_DRIVER_OK);
	/* The driver's own CVQ runs at 2, with the provisioned MAC set. */
	KUNIT_ASSERT_TRUE(test, e->m->q[2].enabled);
	KUNIT_ASSERT_EQ(test, e->m->q[2].desc, dev->cvq.hw.addr);
	KUNIT_EXPECT_TRUE(test, ether_addr_equal(e->m->net.mac, attrs.mac));

	vpt_setup_vq(test, vdpa, 2, 64, &cb);
	KUNIT_EXPECT_FALSE(test, ops->get_vq_ready(vdpa, 2));
	KUNIT_EXPECT_EQ(test, e->m->q[2].desc, dev->cvq.hw.addr);
	KUNIT_EXPECT_EQ(test, e->m->q[2].size, 32);
	KUNIT_EXPECT_TRUE(test, e->m->q[2].enabled);
	KUNIT_EXPECT_EQ(test, ops->reset(vdpa), 0);
	KUNIT_EXPECT_EQ(test, e->m->violations, 0);
}

/* A dropped interrupt is not the driver's to recover; it must not crash. */
static void vpt_ops_needs_reset(struct kunit *test)
{
	struct vdpa_callback ccb = { .callback = vpt_cb_fn };
	struct vpt_env *e = vpt_env_new(test, NULL);
	struct vdpa_device *vdpa = vpt_ops_add(test, e, NULL);
	const struct vdpa_config_ops *ops = vdpa->config;
	struct vpt_cb config, rx;

	atomic_set(&config.calls, 0);
	init_completion(&config.done);
	ccb.private = &config;
	ops->set_config_cb(vdpa, &ccb);
	vpt_negotiate(test, vdpa, ops->get_device_features(vdpa));
	vpt_setup_vq(test, vdpa, 0, 64, &rx);
	ops->set_status(vdpa, VPT_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	vpm_set_needs_reset(e->m);
	KUNIT_EXPECT_TRUE(test, ops->get_status(vdpa) &
			  VIRTIO_CONFIG_S_NEEDS_RESET);
	KUNIT_EXPECT_EQ(test, atomic_read(&config.calls), 1);
	e->m->drop_irqs = 1;
	vpm_config_changed(e->m);
	KUNIT_EXPECT_EQ(test, atomic_read(&config.calls), 1);
	KUNIT_EXPECT_EQ(test, e->m->irqs_dropped, 1);
	KUNIT_EXPECT_EQ(test, ops->reset(vdpa), 0);
	KUNIT_EXPECT_EQ(test, ops->get_status(vdpa), 0);
}

/* --- the MAC: config space, tracked state and the device's filter agree --- */

static const u8 vpt_ops_mac_a[ETH_ALEN] = { 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30 };
static const u8 vpt_ops_mac_b[ETH_ALEN] = { 0x06, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };

/* The MAC the client reads, the driver tracks and the device filters on. */
static void vpt_expect_mac(struct kunit *test, struct vpt_env *e,
			   struct vdpa_device *vdpa, const u8 *mac)
{
	struct virtio_net_config cfg;

	vdpa->config->get_config(vdpa, 0, &cfg, sizeof(cfg));
	KUNIT_EXPECT_MEMEQ(test, cfg.mac, mac, ETH_ALEN);
	KUNIT_EXPECT_MEMEQ(test, e->parent->vdev->cvq.state.mac, mac, ETH_ALEN);
}

/* A client without a CVQ: the driver programs the device's MAC itself. */
static void vpt_mac_negotiate(struct kunit *test, struct vdpa_device *vdpa)
{
	u64 features = vdpa->config->get_device_features(vdpa) &
		       ~(BIT_ULL(VIRTIO_NET_F_CTRL_VQ) |
			 BIT_ULL(VIRTIO_NET_F_CTRL_RX) |
			 BIT_ULL(VIRTIO_NET_F_CTRL_VLAN) |
			 BIT_ULL(VIRTIO_NET_F_CTRL_MAC_ADDR));

	vpt_negotiate(test, vdpa, features);
}

static void vpt_mac_driver_ok(struct kunit *test, struct vdpa_device *vdpa)
{
	const struct vdpa_config_ops *ops = vdpa->config;

	vpt_mac_negotiate(test, vdpa);
	ops->set_status(vdpa, VPT_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_ASSERT_TRUE(test, ops->get_status(vdpa) & VIRTIO_CONFIG_S_DRIVER_OK);
}

/*
 * No MAC at "vdpa dev add": the MAC a client writes into the config space
 * (QEMU writes its NIC's when it realizes the device) becomes the MAC of
 * the vDPA device: shown, tracked, and programmed through the device's
 * CVQ at DRIVER_OK, never written into the device's read-only config.
 */
static void vpt_ops_config_mac_write(struct kunit *test)
{
	struct vpt_env *e = vpt_env_new(test, NULL);
	struct vdpa_device *vdpa = vpt_ops_add(test, e, NULL);
	const struct vdpa_config_ops *ops = vdpa->config;
	struct vpm *m = e->m;
	u32 gen = ops->get_generation(vdpa);

	vpt_expect_mac(test, e, vdpa, m->cfg.mac);
	ops->set_config(vdpa, offsetof(struct virtio_net_config, mac),
			vpt_ops_mac_a, ETH_ALEN);
	vpt_expect_mac(test, e, vdpa, vpt_ops_mac_a);
	KUNIT_EXPECT_NE(test, ops->get_generation(vdpa), gen);
	KUNIT_EXPECT_EQ(test, m->violations, 0);
	KUNIT_EXPECT_EQ(test, m->net.commands, 0);

	vpt_mac_driver_ok(test, vdpa);
	KUNIT_EXPECT_MEMEQ(test, m->net.mac, vpt_ops_mac_a, ETH_ALEN);
	KUNIT_EXPECT_EQ(test, m->net.commands, 1);
	KUNIT_EXPECT_EQ(test, m->net.last_cmd, VIRTIO_NET_CTRL_MAC_ADDR_SET);
	vpt_expect_mac(test, e, vdpa, vpt_ops_mac_a);

	/* It outlives resets: QEMU writes it once, and resets many times. */
	KUNIT_EXPECT_EQ(test, ops->reset(vdpa), 0);
	vpt_expect_mac(test, e, vdpa, vpt_ops_mac_a);
	vpt_mac_driver_ok(test, vdpa);
	KUNIT_EXPECT_MEMEQ(test, m->net.mac, vpt_ops_mac_a, ETH_ALEN);
	/* The model counts from its last reset. */
	KUNIT_EXPECT_EQ(test, m->net.commands, 1);

	/* A later write at rest replaces it; the device's own MAC needs no command. */
	KUNIT_EXPECT_EQ(test, ops->reset(vdpa), 0);
	ops->set_config(vdpa, offsetof(struct virtio_net_config, mac),
			m->cfg.mac, ETH_ALEN);
	vpt_expect_mac(test, e, vdpa, m->cfg.mac);
	vpt_mac_driver_ok(test, vdpa);
	KUNIT_EXPECT_MEMEQ(test, m->net.mac, m->cfg.mac, ETH_ALEN);
	KUNIT_EXPECT_EQ(test, m->net.commands, 0);
	KUNIT_EXPECT_EQ(test, m->violations, 0);
}

/* A MAC given at "vdpa dev add" wins over a client's config write. */
static void vpt_ops_config_mac_provisioned(struct kunit *test)
{
	struct vpt_add_attrs attrs = { .has_mac = true };
	const struct vdpa_config_ops *ops;
	struct vdpa_device *vdpa;
	struct vpt_env *e;
	struct vpm *m;

	memcpy(attrs.mac, vpt_ops_mac_a, ETH_ALEN);
	e = vpt_env_new(test, NULL);
	m = e->m;
	vdpa = vpt_ops_add(test, e, &attrs);
	ops = vdpa->config;
	ops->set_config(vdpa, offsetof(struct virtio_net_config, mac),
			vpt_ops_mac_b, ETH_ALEN);
	vpt_expect_mac(test, e, vdpa, vpt_ops_mac_a);
	vpt_mac_driver_ok(test, vdpa);
	KUNIT_EXPECT_MEMEQ(test, m->net.mac, vpt_ops_mac_a, ETH_ALEN);
	vpt_expect_mac(test, e, vdpa, vpt_ops_mac_a);
	KUNIT_EXPECT_EQ(test, ops->reset(vdpa), 0);
	vpt_expect_mac(test, e, vdpa, vpt_ops_mac_a);
	KUNIT_EXPECT_EQ(test, m->violations, 0);

	/* Also when it is the device's own MAC. */
	KUNIT_ASSERT_EQ(test, vpt_del(e), 0);
	memcpy(attrs.mac, m->cfg.mac, ETH_ALEN);
	vdpa = vpt_ops_add(test, e, &attrs);
	ops = vdpa->config;
	ops->set_config(vdpa, offsetof(struct virtio_net_config, mac),
			vpt_ops_mac_b, ETH_ALEN);
	vpt_expect_mac(test, e, vdpa, m->cfg.mac);
	vpt_mac_driver_ok(test, vdpa);
	KUNIT_EXPECT_MEMEQ(test, m->net.mac, m->cfg.mac, ETH_ALEN);
	KUNIT_EXPECT_EQ(test, m->violations, 0);
}

/*
 * Writes that would leave the MAC shown and the one filtered on apart,
 * or that the device cannot follow, change nothing: after FEATURES_OK,
 * a multicast address, bytes outside the MAC.
 */
static void vpt_ops_config_mac_refused(struct kunit *test)
{
	static const u8 mcast[ETH_ALEN] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	struct vpt_env *e = vpt_env_new(test, NULL);
	struct vdpa_device *vdpa = vpt_ops_add(test, e, NULL);
	const struct vdpa_config_ops *ops = vdpa->config;
	struct vpm *m = e->m;
	__le16 mtu = cpu_to_le16(1280);
	u8 last = 0x77, want[ETH_ALEN];

	ops->set_config(vdpa, offsetof(struct virtio_net_config, mac),
			mcast, ETH_ALEN);
	vpt_expect_mac(test, e, vdpa, m->cfg.mac);
	ops->set_config(vdpa, offsetof(struct virtio_net_config, mtu),
			&mtu, sizeof(mtu));
	KUNIT_EXPECT_EQ(test, le16_to_cpu(m->netcfg.mtu), m->cfg.mtu);

	/* One byte: the rest of the MAC stays. */
	ops->set_config(vdpa, offsetof(struct virtio_net_config, mac) + 5,
			&last, 1);
	memcpy(want, m->cfg.mac, ETH_ALEN);
	want[5] = last;
	vpt_expect_mac(test, e, vdpa, want);

	vpt_mac_negotiate(test, vdpa);
	ops->set_config(vdpa, offsetof(struct virtio_net_config, mac),
			vpt_ops_mac_b, ETH_ALEN);
	vpt_expect_mac(test, e, vdpa, want);
	ops->set_status(vdpa, VPT_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_EXPECT_MEMEQ(test, m->net.mac, want, ETH_ALEN);
	KUNIT_EXPECT_EQ(test, m->violations, 0);
}

static struct kunit_case vpt_ops_cases[] = {
	KUNIT_CASE(vpt_ops_status_machine),
	KUNIT_CASE(vpt_ops_features_not_offered),
	KUNIT_CASE(vpt_ops_driver_ok_bad_queue),
	KUNIT_CASE(vpt_ops_vq_setup_kick_irq),
	KUNIT_CASE(vpt_ops_shared_vector),
	KUNIT_CASE(vpt_ops_vectors_refused),
	KUNIT_CASE(vpt_ops_driver_ok_retry),
	KUNIT_CASE(vpt_ops_vq_state),
	KUNIT_CASE(vpt_ops_config_view),
	KUNIT_CASE(vpt_ops_cvq_mapping),
	KUNIT_CASE(vpt_ops_index_not_negotiated),
	KUNIT_CASE(vpt_ops_index_late_enable),
	KUNIT_CASE(vpt_ops_needs_reset),
	KUNIT_CASE(vpt_ops_config_mac_write),
	KUNIT_CASE(vpt_ops_config_mac_provisioned),
	KUNIT_CASE(vpt_ops_config_mac_refused),
	{}
};

static struct kunit_suite vpt_ops_suite = {
	.name = "vp_svq_ops",
	.test_cases = vpt_ops_cases,
};

kunit_test_suite(vpt_ops_suite);
