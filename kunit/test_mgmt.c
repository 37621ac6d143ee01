// SPDX-License-Identifier: GPL-2.0-only
/*
 * vp_svq KUnit: the management device. "vdpa dev add" attributes over
 * netlink, one device per function, repeated add and del, allocation
 * failures on probe and add, and a kmemleak scan once everything ran.
 *
 * Allocation failures use the fault injection "fail-nth" of the current
 * task: the n-th slab allocation that consults failslab fails. failslab
 * ignores sleeping allocations by default and only debugfs can change
 * that, which a kernel thread cannot write (debugfs attributes have no
 * write_iter); the switch is found through kallsyms instead.
 */

#include <linux/delay.h>
#include <linux/fault-inject.h>
#include <linux/kallsyms.h>
#include <linux/kasan.h>
#include <linux/kmemleak.h>
#include <linux/uaccess.h>
#include <asm/sections.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <uapi/linux/vdpa.h>

#include "vp_svq_test.h"

static struct vpt_env *vpt_mq_env(struct kunit *test)
{
	struct vpm_config cfg;

	vpm_default_config(&cfg);
	cfg.max_vqp = 4;
	cfg.msix_vectors = 10;
	cfg.features |= BIT_ULL(VIRTIO_NET_F_MQ) | BIT_ULL(VIRTIO_F_RING_PACKED);
	return vpt_env_new(test, &cfg);
}

static void vpt_mgmt_defaults(struct kunit *test)
{
	struct vpt_env *e = vpt_mq_env(test);
	struct vp_svq_dev *dev;

	KUNIT_ASSERT_EQ(test, vpt_add(e, NULL), 0);
	KUNIT_ASSERT_NOT_NULL(test, vpt_vdpa(e));
	dev = e->parent->vdev;
	KUNIT_EXPECT_EQ(test, dev->max_vqp, 4);
	KUNIT_EXPECT_EQ(test, dev->nvqs, 9);
	KUNIT_EXPECT_EQ(test, dev->vdpa.nvqs, 9);
	/* QEMU's SVQ-valid set: not the device's RING_PACKED, INDIRECT_DESC. */
	KUNIT_EXPECT_EQ(test, dev->offered_features,
			e->parent->supported_features & VP_SVQ_DEFAULT_FEATURES);
	KUNIT_EXPECT_TRUE(test, e->parent->supported_features &
			  BIT_ULL(VIRTIO_F_RING_PACKED));
	KUNIT_EXPECT_FALSE(test, dev->offered_features &
			   (BIT_ULL(VIRTIO_F_RING_PACKED) |
			    BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC)));
	KUNIT_EXPECT_TRUE(test, dev->offered_features &
			  BIT_ULL(VIRTIO_NET_F_CTRL_VQ));
	KUNIT_EXPECT_FALSE(test, dev->mac_provisioned);
	KUNIT_EXPECT_EQ(test, dev->mtu, 1500);
	KUNIT_EXPECT_STREQ(test, dev_name(&dev->vdpa.dev), e->name);

	/* One vDPA device per function. */
	KUNIT_EXPECT_EQ(test, vpt_nl_dev_add(&e->nl, dev_name(e->dev), "vpt-two",
					     NULL), -ENOSPC);
	/* An unknown management device. */
	KUNIT_EXPECT_EQ(test, vpt_nl_dev_add(&e->nl, "nosuchdev", "vpt-three",
					     NULL), -ENODEV);
	KUNIT_EXPECT_EQ(test, vpt_del(e), 0);
	KUNIT_EXPECT_NULL(test, vpt_vdpa(e));
	KUNIT_EXPECT_EQ(test, vpt_del(e), -ENODEV);
}

static void vpt_mgmt_attrs_accepted(struct kunit *test)
{
	struct vpt_env *e = vpt_mq_env(test);
	struct vpt_add_attrs a = {
		.has_mac = true, .mtu = 1280, .max_vqp = 2,
		.has_features = true,
	};
	struct vp_svq_dev *dev;

	memcpy(a.mac, e->m->cfg.mac, ETH_ALEN);
	a.features = e->parent->supported_features &
		     ~(BIT_ULL(VIRTIO_NET_F_CTRL_VLAN) |
		       BIT_ULL(VIRTIO_RING_F_EVENT_IDX) |
		       BIT_ULL(VIRTIO_F_RING_PACKED));
	KUNIT_ASSERT_EQ(test, vpt_add(e, &a), 0);
	dev = e->parent->vdev;
	KUNIT_ASSERT_NOT_NULL(test, dev);
	KUNIT_EXPECT_EQ(test, dev->mtu, 1280);
	KUNIT_EXPECT_EQ(test, dev->max_vqp, 2);
	KUNIT_EXPECT_EQ(test, dev->nvqs, 5);
	KUNIT_EXPECT_EQ(test, dev->offered_features, a.features);
	KUNIT_EXPECT_EQ(test, dev->vdpa.config->get_device_features(&dev->vdpa),
			a.features);
	KUNIT_EXPECT_EQ(test, vpt_del(e), 0);

	/* Features without MQ: one queue pair. */
	a.features &= ~BIT_ULL(VIRTIO_NET_F_MQ);
	a.max_vqp = 0;
	KUNIT_ASSERT_EQ(test, vpt_add(e, &a), 0);
	KUNIT_EXPECT_EQ(test, e->parent->vdev->max_vqp, 1);
	KUNIT_EXPECT_EQ(test, e->parent->vdev->nvqs, 3);
	KUNIT_EXPECT_EQ(test, vpt_del(e), 0);
}

static void vpt_expect_refused(struct kunit *test, struct vpt_env *e,
			       const struct vpt_add_attrs *a, int err)
{
	KUNIT_EXPECT_EQ(test, vpt_nl_dev_add(&e->nl, dev_name(e->dev), e->name,
					     a), err);
	KUNIT_EXPECT_NULL(test, vpt_vdpa(e));
}

static void vpt_mgmt_attrs_refused(struct kunit *test)
{
	struct vpt_env *e = vpt_mq_env(test);
	u64 all = e->parent->supported_features;
	struct vpt_add_attrs a;

	memset(&a, 0, sizeof(a));
	a.mtu = 1501;			/* above the device's MTU */
	vpt_expect_refused(test, e, &a, -EINVAL);

	memset(&a, 0, sizeof(a));
	a.max_vqp = 5;			/* more pairs than the device */
	vpt_expect_refused(test, e, &a, -EINVAL);

	memset(&a, 0, sizeof(a));
	a.has_mac = true;		/* a multicast MAC */
	memcpy(a.mac, e->m->cfg.mac, ETH_ALEN);
	a.mac[0] |= 1;
	vpt_expect_refused(test, e, &a, -EINVAL);

	memset(a.mac, 0, ETH_ALEN);	/* the zero MAC */
	vpt_expect_refused(test, e, &a, -EINVAL);

	memset(&a, 0, sizeof(a));
	a.has_features = true;		/* the shadow CVQ reads split rings */
	a.features = all;
	KUNIT_ASSERT_TRUE(test, all & BIT_ULL(VIRTIO_F_RING_PACKED));
	vpt_expect_refused(test, e, &a, -EOPNOTSUPP);

	memset(&a, 0, sizeof(a));
	a.has_features = true;		/* a feature the device lacks */
	a.features = all | BIT_ULL(VIRTIO_NET_F_RSS);
	vpt_expect_refused(test, e, &a, -EINVAL);

	all &= ~BIT_ULL(VIRTIO_F_RING_PACKED);
	a.features = all & ~BIT_ULL(VIRTIO_F_VERSION_1);
	vpt_expect_refused(test, e, &a, -EINVAL);

	a.features = all & ~BIT_ULL(VIRTIO_NET_F_CTRL_VQ);	/* MQ without CVQ */
	vpt_expect_refused(test, e, &a, -EINVAL);

	a.features = all & ~BIT_ULL(VIRTIO_NET_F_MQ);
	a.max_vqp = 2;			/* pairs without MQ */
	vpt_expect_refused(test, e, &a, -EINVAL);

	/* Nothing half-made stayed behind: a plain add still works. */
	KUNIT_EXPECT_EQ(test, vpt_add(e, NULL), 0);
	KUNIT_EXPECT_EQ(test, e->m->violations, 0);
}

/*
 * A MAC other than the device's is programmed through the device's CVQ:
 * accepted with CTRL_VQ and CTRL_MAC_ADDR, refused (-EOPNOTSUPP) without.
 */
static void vpt_mgmt_mac(struct kunit *test)
{
	struct vpt_add_attrs a = { .has_mac = true };
	struct vpm_config cfg;
	struct vpt_env *e;

	vpm_default_config(&cfg);
	e = vpt_env_new(test, &cfg);
	memcpy(a.mac, cfg.mac, ETH_ALEN);
	a.mac[5] ^= 1;
	KUNIT_ASSERT_EQ(test, vpt_add(e, &a), 0);
	KUNIT_ASSERT_NOT_NULL(test, e->parent->vdev);
	KUNIT_EXPECT_TRUE(test, e->parent->vdev->mac_provisioned);
	KUNIT_EXPECT_MEMEQ(test, e->parent->vdev->mac, a.mac, ETH_ALEN);
	KUNIT_EXPECT_EQ(test, vpt_del(e), 0);
	/* The device's own MAC is no provisioning at all. */
	memcpy(a.mac, cfg.mac, ETH_ALEN);
	KUNIT_ASSERT_EQ(test, vpt_add(e, &a), 0);
	KUNIT_EXPECT_FALSE(test, e->parent->vdev->mac_provisioned);
	KUNIT_EXPECT_EQ(test, vpt_del(e), 0);

	vpm_default_config(&cfg);
	cfg.features &= ~BIT_ULL(VIRTIO_NET_F_CTRL_MAC_ADDR);
	e = vpt_env_new(test, &cfg);
	memcpy(a.mac, cfg.mac, ETH_ALEN);
	a.mac[5] ^= 1;
	vpt_expect_refused(test, e, &a, -EOPNOTSUPP);
	/* Its own MAC it can report without a command. */
	memcpy(a.mac, cfg.mac, ETH_ALEN);
	KUNIT_EXPECT_EQ(test, vpt_add(e, &a), 0);
	KUNIT_EXPECT_EQ(test, vpt_del(e), 0);

	vpm_default_config(&cfg);
	cfg.features &= ~(BIT_ULL(VIRTIO_NET_F_CTRL_VQ) |
			  BIT_ULL(VIRTIO_NET_F_CTRL_RX) |
			  BIT_ULL(VIRTIO_NET_F_CTRL_VLAN) |
			  BIT_ULL(VIRTIO_NET_F_CTRL_MAC_ADDR));
	e = vpt_env_new(test, &cfg);
	memcpy(a.mac, cfg.mac, ETH_ALEN);
	a.mac[0] ^= 2;
	vpt_expect_refused(test, e, &a, -EOPNOTSUPP);
}

/* A device without MTU: the vDPA core refuses the attribute itself. */
static void vpt_mgmt_mtu_unsupported(struct kunit *test)
{
	struct vpt_add_attrs a = { .mtu = 1400 };
	struct vpm_config cfg;
	struct vpt_env *e;

	vpm_default_config(&cfg);
	cfg.features &= ~BIT_ULL(VIRTIO_NET_F_MTU);
	e = vpt_env_new(test, &cfg);
	vpt_expect_refused(test, e, &a, -EOPNOTSUPP);
}

/* add/del over and over: vectors and handlers always come back. */
static void vpt_mgmt_add_del_repeat(struct kunit *test)
{
	struct vpt_env *e = vpt_env_new(test, NULL);
	struct vpt_client *c;
	unsigned int i;

	for (i = 0; i < 20; i++) {
		KUNIT_ASSERT_EQ(test, vpt_nl_dev_add(&e->nl, dev_name(e->dev),
						     e->name, NULL), 0);
		/* Every other round with a running kernel client. */
		if (i & 1) {
			c = vpt_client_bind(e);
			KUNIT_ASSERT_NOT_NULL(test, c);
			KUNIT_EXPECT_TRUE(test, e->m->status &
					  VIRTIO_CONFIG_S_DRIVER_OK);
			KUNIT_EXPECT_GT(test, vpm_attached_handlers(e->m), 0);
		}
		KUNIT_ASSERT_EQ(test, vpt_nl_dev_del(&e->nl, e->name), 0);
		KUNIT_ASSERT_NULL(test, vpt_vdpa(e));
		KUNIT_EXPECT_EQ(test, vpm_attached_handlers(e->m), 0);
		KUNIT_EXPECT_EQ(test, e->m->nvectors, 0);
		KUNIT_EXPECT_EQ(test, e->m->status, 0);
	}
	KUNIT_EXPECT_EQ(test, e->m->vector_allocs, 10);
	KUNIT_EXPECT_EQ(test, e->m->vector_frees, 10);
	KUNIT_EXPECT_EQ(test, e->m->violations, 0);
}

/* Deleting the management device deletes the vDPA device with it. */
static void vpt_mgmt_unregister_with_device(struct kunit *test)
{
	struct vpt_env *e = vpt_env_new(test, NULL);

	KUNIT_ASSERT_EQ(test, vpt_add(e, NULL), 0);
	KUNIT_ASSERT_NOT_NULL(test, vpt_client_bind(e));
	vp_svq_mgmt_unregister(e->parent);
	e->registered = false;
	KUNIT_EXPECT_NULL(test, e->parent->vdev);
	KUNIT_EXPECT_EQ(test, vpm_attached_handlers(e->m), 0);
	KUNIT_EXPECT_EQ(test, vpt_nl_dev_add(&e->nl, dev_name(e->dev), e->name,
					     NULL), -ENODEV);
}

/* --- allocation failures ---------------------------------------------------- */

/* mm/failslab.c's private switch block, as laid out in 6.12. */
struct vpt_failslab {
	struct fault_attr attr;
	bool ignore_gfp_reclaim;
	bool cache_filter;
};

static struct vpt_failslab *vpt_failslab(struct kunit *test)
{
	struct vpt_failslab *fs = (void *)kallsyms_lookup_name("failslab");

	if (!fs)
		kunit_skip(test, "failslab not found through kallsyms");
	return fs;
}

/* Fail the @n-th slab allocation of this task from now on (0: none). */
static void vpt_fail_nth(struct vpt_failslab *fs, unsigned int n)
{
	fs->ignore_gfp_reclaim = !n;
	WRITE_ONCE(current->fail_nth, n);
}

/* Disarm; returns whether the armed failure was injected. */
static bool vpt_fail_disarm(struct vpt_failslab *fs)
{
	bool injected = !READ_ONCE(current->fail_nth);

	vpt_fail_nth(fs, 0);
	return injected;
}

/*
 * Probe and registration below pci.c: every allocation on the way fails in
 * turn (until one round injects nothing); each failure is an error, then
 * a clean retry works.
 */
static void vpt_mgmt_probe_alloc_failures(struct kunit *test)
{
	struct vpt_failslab *fs = vpt_failslab(test);
	struct vpt_env *e = vpt_env_new(test, NULL);
	unsigned int n, failed = 0;
	bool injected = true;
	int ret;

	vp_svq_mgmt_unregister(e->parent);
	e->registered = false;
	for (n = 1; n < 200 && injected; n++) {
		vpt_fail_nth(fs, n);
		ret = vp_svq_hw_probe(e->parent);
		if (!ret)
			ret = vp_svq_mgmt_register(e->parent);
		injected = vpt_fail_disarm(fs);
		if (ret) {
			failed++;
			KUNIT_EXPECT_EQ(test, ret, -ENOMEM);
			continue;
		}
		vp_svq_mgmt_unregister(e->parent);
	}
	KUNIT_EXPECT_FALSE(test, injected);
	KUNIT_ASSERT_EQ(test, vp_svq_mgmt_register(e->parent), 0);
	e->registered = true;
	KUNIT_EXPECT_EQ(test, vpt_add(e, NULL), 0);
	kunit_info(test, "%u allocation points, %u failed the probe\n", n - 2,
		   failed);
}

/*
 * "vdpa dev add" with each allocation on its path failing in turn: the
 * netlink request, the vDPA core, vp_svq, and the bus drivers that probe
 * the new device. A failure either fails the add and leaves nothing, or
 * is absorbed and leaves a device that works and deletes.
 */
static void vpt_mgmt_add_alloc_failures(struct kunit *test)
{
	struct vpt_failslab *fs = vpt_failslab(test);
	struct vpt_env *e = vpt_env_new(test, NULL);
	unsigned int n, failed = 0, absorbed = 0;
	bool injected = true;
	int ret;

	for (n = 1; n < 3000 && injected; n++) {
		vpt_fail_nth(fs, n);
		ret = vpt_nl_dev_add(&e->nl, dev_name(e->dev), e->name, NULL);
		injected = vpt_fail_disarm(fs);
		if (ret) {
			failed++;
			/*
			 * No ack: the kernel could not allocate it (ENOBUFS
			 * on the socket, or nothing to read); the device may
			 * well exist.
			 */
			if ((ret == -ENOBUFS || ret == -EAGAIN) && vpt_vdpa(e))
				KUNIT_EXPECT_EQ(test, vpt_del(e), 0);
			KUNIT_EXPECT_NULL(test, vpt_vdpa(e));
			continue;
		}
		KUNIT_ASSERT_NOT_NULL(test, vpt_vdpa(e));
		if (injected) {
			absorbed++;
			KUNIT_ASSERT_EQ(test, vpt_del(e), 0);
		}
	}
	KUNIT_EXPECT_FALSE(test, injected);
	KUNIT_EXPECT_GT(test, failed, 0);
	KUNIT_ASSERT_NOT_NULL(test, vpt_vdpa(e));
	/* Still a working device after all that. */
	KUNIT_EXPECT_NOT_NULL(test, vpt_client_bind(e));
	KUNIT_EXPECT_EQ(test, vpt_del(e), 0);
	KUNIT_EXPECT_EQ(test, e->m->violations, 0);
	kunit_info(test, "%u allocation points: %u failed the add, %u absorbed\n",
		   n - 2, failed, absorbed);
}

typedef void (*vpt_scan_fn)(void);

/*
 * kmemleak scans the kernel's data from _sdata to _edata and its bss from
 * __bss_start to __bss_stop. A linker script may start the section itself
 * past such a symbol (UML with KASAN aligns .bss beyond __bss_start), and
 * no segment maps the pages between: reading them faults. Take every page
 * of those ranges that cannot be read out of kmemleak's view. The probe
 * reads a byte of each page wherever it falls, often in KASAN's red zone
 * between two globals: KASAN's reports are off meanwhile.
 */
static unsigned int vpt_kmemleak_skip_unmapped(char *start, char *end)
{
	unsigned int n = 0;
	char *p, *next;
	char c;

	kasan_disable_current();
	for (p = start; p < end; p = next) {
		next = min(PTR_ALIGN(p + 1, PAGE_SIZE), end);
		if (copy_from_kernel_nofault(&c, p, 1)) {
			kmemleak_free_part(p, next - p);
			n++;
		}
	}
	kasan_enable_current();
	return n;
}

/*
 * Last test of the last suite: let kmemleak scan. Objects younger than 5 s
 * are not reported, so wait first; leaks are printed to the console and
 * scripts/kunit.sh counts those allocated from vp_svq or the tests. With
 * UML's gcov, the coverage counters are written here too.
 */
static void vpt_mgmt_kmemleak_scan(struct kunit *test)
{
	vpt_scan_fn scan = (vpt_scan_fn)kallsyms_lookup_name("kmemleak_scan");
	bool *verbose = (bool *)kallsyms_lookup_name("kmemleak_verbose");

	if (!scan || !verbose)
		kunit_skip(test, "kmemleak not found through kallsyms");
	*verbose = true;
	kunit_info(test, "%u unmapped pages of data and bss left out of the scan\n",
		   vpt_kmemleak_skip_unmapped(_sdata, _edata) +
		   vpt_kmemleak_skip_unmapped(__bss_start, __bss_stop));
	ssleep(6);
	scan();
	scan();
	kunit_info(test, "kmemleak scan done\n");
#ifdef CONFIG_GCOV
	/* Every suite ran: write the coverage counters now. */
	__gcov_dump();
#endif
}

static int vpt_mgmt_suite_init(struct kunit_suite *suite)
{
	return vpt_client_register();
}

static void vpt_mgmt_suite_exit(struct kunit_suite *suite)
{
	vpt_client_unregister();
}

static struct kunit_case vpt_mgmt_cases[] = {
	KUNIT_CASE(vpt_mgmt_defaults),
	KUNIT_CASE(vpt_mgmt_attrs_accepted),
	KUNIT_CASE(vpt_mgmt_attrs_refused),
	KUNIT_CASE(vpt_mgmt_mac),
	KUNIT_CASE(vpt_mgmt_mtu_unsupported),
	KUNIT_CASE(vpt_mgmt_add_del_repeat),
	KUNIT_CASE(vpt_mgmt_unregister_with_device),
	KUNIT_CASE(vpt_mgmt_probe_alloc_failures),
	KUNIT_CASE(vpt_mgmt_add_alloc_failures),
	KUNIT_CASE_SLOW(vpt_mgmt_kmemleak_scan),
	{}
};

static struct kunit_suite vpt_mgmt_suite = {
	.name = "vp_svq_mgmt",
	.suite_init = vpt_mgmt_suite_init,
	.suite_exit = vpt_mgmt_suite_exit,
	.test_cases = vpt_mgmt_cases,
};

kunit_test_suite(vpt_mgmt_suite);
