// SPDX-License-Identifier: GPL-2.0-only
/*
 * vp_svq KUnit: suite vp_svq_cvq. Groups and address spaces, and the
 * shadow CVQ driven as a user-space client would: the test owns a split
 * ring in kernel memory, maps it into address space 1 with dma_map() and
 * binds the CVQ group there, so every address the driver reads goes
 * through its translation (no bus driver is bound, so no identity
 * translation). Commands are checked against the device model's own
 * control queue state.
 */

#include <linux/dma-direct.h>
#include <linux/ktime.h>
#include <linux/unaligned.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <net/netlink.h>
#include <uapi/linux/vdpa.h>

#include "compat.h"
#include "vp_svq_test.h"

/* Where the test maps its CVQ memory in address space 1. */
#define VPT_IOVA	0x40000000ULL
#define VPT_MEM		SZ_64K
#define VPT_QSZ		16
/* Layout of that memory: the ring, an indirect table, then buffers. */
#define VPT_DESC	0x0000
#define VPT_AVAIL	0x0100
#define VPT_USED	0x0200
#define VPT_INDIR	0x0400
#define VPT_BUFS	0x1000
/* An address no mapping covers. */
#define VPT_UNMAPPED	0x90000000ULL
/* What an ack byte holds before anyone writes it. */
#define VPT_NO_ACK	0xee

static const u8 vpt_mac_a[ETH_ALEN] = { 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30 };
static const u8 vpt_mac_b[ETH_ALEN] = { 0x06, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };

/**
 * struct vpt_sh - a client CVQ served by the shadow, built by the test
 * @test: the test
 * @e: the environment
 * @vdpa: the vDPA device, no bus driver bound
 * @ops: its config ops
 * @dev: the driver's device
 * @features: the features negotiated
 * @mem: the client memory (ring and buffers), mapped at VPT_IOVA
 * @idx: the client's CVQ index
 * @avail: next avail index
 * @next_desc: next free descriptor
 * @brk: next free byte for buffers
 * @calls: callbacks of the CVQ
 * @cvq_asid: the address space vpt_sh_start() binds the CVQ group to
 */
struct vpt_sh {
	struct kunit *test;
	struct vpt_env *e;
	struct vdpa_device *vdpa;
	const struct vdpa_config_ops *ops;
	struct vp_svq_dev *dev;
	u64 features;
	u8 *mem;
	u16 idx;
	u16 avail;
	u16 next_desc;
	size_t brk;
	atomic_t calls;
	u32 cvq_asid;
};

#define VPT_S_READY	(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | \
			 VIRTIO_CONFIG_S_FEATURES_OK)

static struct vring_desc *vpt_sh_desc(struct vpt_sh *s, u16 i)
{
	return (struct vring_desc *)(s->mem + VPT_DESC) + i;
}

static struct vring_avail *vpt_sh_avail(struct vpt_sh *s)
{
	return (struct vring_avail *)(s->mem + VPT_AVAIL);
}

static struct vring_used *vpt_sh_used(struct vpt_sh *s)
{
	return (struct vring_used *)(s->mem + VPT_USED);
}

static u16 vpt_sh_used_idx(struct vpt_sh *s)
{
	return __virtio16_to_cpu(true, READ_ONCE(vpt_sh_used(s)->idx));
}

static u32 vpt_sh_used_len(struct vpt_sh *s, u16 i)
{
	return __virtio32_to_cpu(true, vpt_sh_used(s)->ring[i % VPT_QSZ].len);
}

static u32 vpt_sh_used_id(struct vpt_sh *s, u16 i)
{
	return __virtio32_to_cpu(true, vpt_sh_used(s)->ring[i % VPT_QSZ].id);
}

static irqreturn_t vpt_sh_cb(void *data)
{
	struct vpt_sh *s = data;

	atomic_inc(&s->calls);
	return IRQ_HANDLED;
}

/* Copy @len bytes into client memory; return their client address. */
static u64 vpt_sh_buf(struct vpt_sh *s, const void *data, size_t len,
		      u8 **va)
{
	u64 off;

	if (s->brk + len > VPT_MEM)
		s->brk = VPT_BUFS;
	off = s->brk;
	s->brk = ALIGN(s->brk + len, 8);
	if (data)
		memcpy(s->mem + off, data, len);
	else
		memset(s->mem + off, 0, len);
	if (va)
		*va = s->mem + off;
	return VPT_IOVA + off;
}

/* One ack byte, VPT_NO_ACK until written. */
static u64 vpt_sh_ack(struct vpt_sh *s, u8 **va)
{
	static const u8 none = VPT_NO_ACK;

	return vpt_sh_buf(s, &none, 1, va);
}

static void vpt_sh_set_desc(struct vpt_sh *s, u16 i, u64 addr, u32 len,
			    u16 flags, u16 next)
{
	vpt_set_desc(vpt_sh_desc(s, i), addr, len, flags, next);
}

/**
 * struct vpt_seg - one descriptor of a request the test builds
 * @addr: client address
 * @len: length
 * @flags: VRING_DESC_F_WRITE, VRING_DESC_F_INDIRECT (NEXT is added)
 */
struct vpt_seg {
	u64 addr;
	u32 len;
	u16 flags;
};

/* Chain @n descriptors (consecutive, from the free ones); return the head. */
static u16 vpt_sh_chain(struct vpt_sh *s, const struct vpt_seg *seg,
			unsigned int n)
{
	u16 head, i;

	if (s->next_desc + n > VPT_QSZ)
		s->next_desc = 0;
	head = s->next_desc;
	for (i = 0; i < n; i++)
		vpt_sh_set_desc(s, head + i, seg[i].addr, seg[i].len,
				seg[i].flags | (i + 1 < n ? VRING_DESC_F_NEXT : 0),
				head + i + 1);
	s->next_desc += n;
	return head;
}

/* Make sure the next @n descriptors are consecutive. */
static void vpt_sh_room(struct vpt_sh *s, unsigned int n)
{
	if (s->next_desc + n > VPT_QSZ)
		s->next_desc = 0;
}

/* Make @head available (not kicked). */
static void vpt_sh_publish(struct vpt_sh *s, u16 head)
{
	struct vring_avail *avail = vpt_sh_avail(s);

	avail->ring[s->avail % VPT_QSZ] = __cpu_to_virtio16(true, head);
	/* The entry before the index, as a driver must. */
	wmb();
	s->avail++;
	WRITE_ONCE(avail->idx, __cpu_to_virtio16(true, s->avail));
}

/* Kick the client's CVQ and wait for the shadow to be done with it. */
static void vpt_sh_kick(struct vpt_sh *s)
{
	s->ops->kick_vq(s->vdpa, s->idx);
	while (flush_work(&s->dev->cvq.work))
		;
}

/* A well-formed request: command in one buffer, the ack in another. */
static u16 vpt_sh_post(struct vpt_sh *s, u8 class, u8 cmd, const void *data,
		       size_t len, u8 **ack)
{
	struct vpt_seg seg[2];
	u8 *buf;

	seg[0].addr = vpt_sh_buf(s, NULL, 2 + len, &buf);
	seg[0].len = 2 + len;
	seg[0].flags = 0;
	buf[0] = class;
	buf[1] = cmd;
	if (len)
		memcpy(buf + 2, data, len);
	seg[1].addr = vpt_sh_ack(s, ack);
	seg[1].len = 1;
	seg[1].flags = VRING_DESC_F_WRITE;
	return vpt_sh_chain(s, seg, 2);
}

/* Send one command and return its ack; it must come back with 1 byte. */
static u8 vpt_sh_send(struct vpt_sh *s, u8 class, u8 cmd, const void *data,
		      size_t len)
{
	u16 used = vpt_sh_used_idx(s), head;
	u8 *ack;

	head = vpt_sh_post(s, class, cmd, data, len, &ack);
	vpt_sh_publish(s, head);
	vpt_sh_kick(s);
	KUNIT_EXPECT_EQ(s->test, vpt_sh_used_idx(s), (u16)(used + 1));
	KUNIT_EXPECT_EQ(s->test, vpt_sh_used_id(s, used), head);
	KUNIT_EXPECT_EQ(s->test, vpt_sh_used_len(s, used), 1);
	return *ack;
}

/*
 * Post a malformed request built by the caller at @head and check that it
 * came back under its head with nothing written; @ack stays untouched.
 */
static void vpt_sh_expect_dropped(struct vpt_sh *s, u16 head, const u8 *ack,
				  const char *what)
{
	u16 used = vpt_sh_used_idx(s);

	vpt_sh_publish(s, head);
	vpt_sh_kick(s);
	KUNIT_EXPECT_EQ_MSG(s->test, vpt_sh_used_idx(s), (u16)(used + 1),
			    "%s", what);
	KUNIT_EXPECT_EQ_MSG(s->test, vpt_sh_used_id(s, used), head, "%s", what);
	KUNIT_EXPECT_EQ_MSG(s->test, vpt_sh_used_len(s, used), 0, "%s", what);
	if (ack)
		KUNIT_EXPECT_EQ_MSG(s->test, *ack, VPT_NO_ACK, "%s", what);
}

/* Negotiate, give the CVQ its ring and start the device. */
static void vpt_sh_start(struct vpt_sh *s)
{
	struct kunit *test = s->test;
	struct vdpa_device *vdpa = s->vdpa;
	const struct vdpa_config_ops *ops = s->ops;
	struct vdpa_callback cb = { .callback = vpt_sh_cb, .private = s };

	memset(s->mem, 0, VPT_BUFS);
	s->avail = 0;
	s->next_desc = 0;
	s->brk = VPT_BUFS;
	atomic_set(&s->calls, 0);

	ops->set_status(vdpa, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	ops->set_status(vdpa, VIRTIO_CONFIG_S_ACKNOWLEDGE |
			VIRTIO_CONFIG_S_DRIVER);
	KUNIT_ASSERT_EQ(test, ops->set_driver_features(vdpa, s->features), 0);
	ops->set_status(vdpa, VPT_S_READY);
	KUNIT_ASSERT_EQ(test, ops->get_status(vdpa), VPT_S_READY);
	/* As QEMU at each start: a reset put the CVQ group in ASID 0. */
	KUNIT_ASSERT_EQ(test, ops->set_group_asid(vdpa, VP_SVQ_GROUP_CVQ,
						  s->cvq_asid), 0);

	s->idx = vp_svq_hw_cvq_index(s->features, s->dev->max_vqp);
	KUNIT_ASSERT_EQ(test, ops->get_vq_group(vdpa, s->idx), VP_SVQ_GROUP_CVQ);
	ops->set_vq_num(vdpa, s->idx, VPT_QSZ);
	KUNIT_ASSERT_EQ(test, ops->set_vq_address(vdpa, s->idx,
						  VPT_IOVA + VPT_DESC,
						  VPT_IOVA + VPT_AVAIL,
						  VPT_IOVA + VPT_USED), 0);
	ops->set_vq_cb(vdpa, s->idx, &cb);
	ops->set_vq_ready(vdpa, s->idx, true);
	ops->set_status(vdpa, VPT_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_ASSERT_EQ(test, ops->get_status(vdpa),
			VPT_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
}

static void vpt_sh_reset_action(void *data)
{
	struct vpt_sh *s = data;

	s->ops->reset(s->vdpa);
}

/*
 * A device added with @a, the CVQ group in address space 1, the test's
 * memory mapped there, the features offered less @drop negotiated and the
 * device started.
 */
static struct vpt_sh *vpt_sh_new(struct kunit *test,
				 const struct vpm_config *cfg,
				 const struct vpt_add_attrs *a, u64 drop)
{
	struct vpt_sh *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, s);
	s->test = test;
	s->e = vpt_env_new(test, cfg);
	/* The device reaches only what the driver maps in its domain. */
	s->e->iommu_strict = true;
	KUNIT_ASSERT_EQ(test, vpt_add(s->e, a), 0);
	s->vdpa = vpt_vdpa(s->e);
	KUNIT_ASSERT_NOT_NULL(test, s->vdpa);
	KUNIT_ASSERT_NULL(test, s->vdpa->dev.driver);
	s->ops = s->vdpa->config;
	s->dev = vdpa_to_vp_svq(s->vdpa);
	s->mem = vpt_client_mem(test, VPT_MEM);
	KUNIT_ASSERT_NOT_NULL(test, s->mem);
	/* Reset (the shadow stops) before the memory goes back. */
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, vpt_sh_reset_action,
							s), 0);

	s->cvq_asid = 1;
	KUNIT_ASSERT_EQ(test, s->ops->dma_map(s->vdpa, 1, VPT_IOVA, VPT_MEM,
					      virt_to_phys(s->mem),
					      VHOST_MAP_RW, NULL), 0);
	s->features = s->ops->get_device_features(s->vdpa) & ~drop;
	vpt_sh_start(s);
	return s;
}

/* A model with every net feature the shadow relays, 4 queue pairs. */
static void vpt_full_config(struct vpm_config *cfg)
{
	vpm_default_config(cfg);
	cfg->max_vqp = 4;
	cfg->msix_vectors = 10;
	cfg->features |= BIT_ULL(VIRTIO_NET_F_MQ) | BIT_ULL(VIRTIO_NET_F_RSS) |
			 BIT_ULL(VIRTIO_NET_F_HASH_REPORT) |
			 BIT_ULL(VIRTIO_NET_F_CTRL_RX_EXTRA) |
			 BIT_ULL(VIRTIO_NET_F_GUEST_ANNOUNCE) |
			 BIT_ULL(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) |
			 BIT_ULL(VIRTIO_NET_F_GUEST_CSUM) |
			 BIT_ULL(VIRTIO_NET_F_GUEST_TSO4);
}

/* device_features: everything the device has. */
static struct vpt_sh *vpt_sh_full(struct kunit *test)
{
	struct vpt_add_attrs a = { .has_features = true };
	struct vpm_config cfg;

	vpt_full_config(&cfg);
	a.features = cfg.features & ~VP_SVQ_FEATURES_NEVER_OFFERED;
	return vpt_sh_new(test, &cfg, &a, 0);
}

/* --- groups and address spaces ------------------------------------------ */

static void vpt_cvq_groups(struct kunit *test)
{
	const struct vdpa_config_ops *ops;
	struct vdpa_iova_range range;
	struct vdpa_device *vdpa;
	struct vp_svq_dev *dev;
	struct vpm_config cfg;
	struct vpt_env *e;
	u64 offered;
	void *page;
	u16 q;

	vpm_default_config(&cfg);
	cfg.max_vqp = 2;
	cfg.msix_vectors = 6;
	cfg.features |= BIT_ULL(VIRTIO_NET_F_MQ);
	e = vpt_env_new(test, &cfg);
	/* UML's truth: no IOMMU stand-in. */
	e->no_iommu = true;
	KUNIT_ASSERT_EQ(test, vpt_add(e, NULL), 0);
	vdpa = vpt_vdpa(e);
	KUNIT_ASSERT_NOT_NULL(test, vdpa);
	ops = vdpa->config;
	dev = vdpa_to_vp_svq(vdpa);
	offered = ops->get_device_features(vdpa);
	page = vpt_client_mem(test, PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, page);

	/* Before negotiation (QEMU's isolation probe): the offered features. */
	KUNIT_EXPECT_EQ(test, vdpa->ngroups, VP_SVQ_NGROUPS);
	KUNIT_EXPECT_EQ(test, vdpa->nas, VP_SVQ_NAS);
	KUNIT_EXPECT_EQ(test, ops->get_vq_group(vdpa, 4), VP_SVQ_GROUP_CVQ);
	for (q = 0; q < 4; q++)
		KUNIT_EXPECT_EQ(test, ops->get_vq_group(vdpa, q), VP_SVQ_GROUP_DATA);
	ops->set_status(vdpa, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	KUNIT_ASSERT_EQ(test, ops->set_driver_features(vdpa, offered), 0);
	KUNIT_EXPECT_EQ(test, ops->get_vq_group(vdpa, 4), VP_SVQ_GROUP_CVQ);
	KUNIT_EXPECT_EQ(test, ops->get_vq_group(vdpa, 2), VP_SVQ_GROUP_DATA);
	/* Without MQ the CVQ is queue 2. */
	KUNIT_EXPECT_EQ(test, ops->reset(vdpa), 0);
	ops->set_status(vdpa, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	KUNIT_ASSERT_EQ(test, ops->set_driver_features(vdpa, offered &
						       ~BIT_ULL(VIRTIO_NET_F_MQ)), 0);
	KUNIT_EXPECT_EQ(test, ops->get_vq_group(vdpa, 2), VP_SVQ_GROUP_CVQ);
	KUNIT_EXPECT_EQ(test, ops->get_vq_group(vdpa, 0), VP_SVQ_GROUP_DATA);
	KUNIT_EXPECT_EQ(test, ops->get_vq_group(vdpa, 1), VP_SVQ_GROUP_DATA);
	KUNIT_EXPECT_PTR_EQ(test, vp_svq_ops_vq_dma_dev(ops, vdpa, 2), &vdpa->dev);
	KUNIT_EXPECT_PTR_EQ(test, vp_svq_ops_vq_dma_dev(ops, vdpa, 0), e->dev);

	/* Binding, and what is refused. */
	KUNIT_EXPECT_EQ(test, ops->set_group_asid(vdpa, VP_SVQ_GROUP_CVQ, 1), 0);
	KUNIT_EXPECT_EQ(test, dev->group_asid[VP_SVQ_GROUP_CVQ], 1);
	KUNIT_EXPECT_EQ(test, ops->set_group_asid(vdpa, 2, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, ops->set_group_asid(vdpa, VP_SVQ_GROUP_DATA, 2),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, dev->group_asid[VP_SVQ_GROUP_DATA], 0);
	KUNIT_EXPECT_EQ(test, dev->group_asid[VP_SVQ_GROUP_CVQ], 1);
	KUNIT_EXPECT_EQ(test, ops->dma_map(vdpa, 2, VPT_IOVA, PAGE_SIZE,
					   virt_to_phys(page), VHOST_MAP_RW,
					   NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, ops->dma_unmap(vdpa, 2, VPT_IOVA, PAGE_SIZE),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, ops->reset_map(vdpa, 2), -EINVAL);

	/* No IOMMU: the data group's address space cannot be served. */
	KUNIT_EXPECT_EQ(test, ops->dma_map(vdpa, 0, VPT_IOVA, PAGE_SIZE,
					   virt_to_phys(page), VHOST_MAP_RW,
					   NULL), -EOPNOTSUPP);
	KUNIT_EXPECT_NULL(test, vhost_iotlb_itree_first(dev->as[0], 0, U64_MAX));
	KUNIT_EXPECT_NULL(test, dev->domain);
	/* The CVQ's is a plain iotlb. */
	KUNIT_EXPECT_EQ(test, ops->dma_map(vdpa, 1, VPT_IOVA, PAGE_SIZE,
					   virt_to_phys(page), VHOST_MAP_RW,
					   NULL), 0);
	KUNIT_EXPECT_NOT_NULL(test, vhost_iotlb_itree_first(dev->as[1], VPT_IOVA,
							    VPT_IOVA));
	/* Moving the data group onto mappings needs the IOMMU: it stays. */
	KUNIT_EXPECT_EQ(test, ops->set_group_asid(vdpa, VP_SVQ_GROUP_DATA, 1),
			-EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, dev->group_asid[VP_SVQ_GROUP_DATA], 0);

	/* IOVA range: the driver's window at the top is not the client's. */
	range = ops->get_iova_range(vdpa);
	KUNIT_EXPECT_LT(test, range.first, range.last);
	KUNIT_EXPECT_LT(test, range.last, dev->reserved_iova);
	KUNIT_EXPECT_EQ(test, ops->dma_map(vdpa, 1, range.last + 1, PAGE_SIZE,
					   virt_to_phys(page), VHOST_MAP_RW,
					   NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, ops->dma_map(vdpa, 1, range.last, 2,
					   virt_to_phys(page), VHOST_MAP_RW,
					   NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, ops->dma_map(vdpa, 1, VPT_IOVA, 0,
					   virt_to_phys(page), VHOST_MAP_RW,
					   NULL), -EINVAL);

	/* Unmapped, then the data group may go to the empty space and back. */
	KUNIT_EXPECT_EQ(test, ops->dma_unmap(vdpa, 1, VPT_IOVA, PAGE_SIZE), 0);
	KUNIT_EXPECT_NULL(test, vhost_iotlb_itree_first(dev->as[1], 0, U64_MAX));
	KUNIT_EXPECT_EQ(test, ops->dma_map(vdpa, 1, VPT_IOVA, PAGE_SIZE,
					   virt_to_phys(page), VHOST_MAP_RO,
					   NULL), 0);
	KUNIT_EXPECT_EQ(test, ops->reset_map(vdpa, 1), 0);
	KUNIT_EXPECT_NULL(test, vhost_iotlb_itree_first(dev->as[1], 0, U64_MAX));
	KUNIT_EXPECT_EQ(test, ops->set_group_asid(vdpa, VP_SVQ_GROUP_DATA, 1), 0);
	KUNIT_EXPECT_EQ(test, dev->group_asid[VP_SVQ_GROUP_DATA], 1);
	KUNIT_EXPECT_EQ(test, ops->set_group_asid(vdpa, VP_SVQ_GROUP_DATA, 0), 0);
	KUNIT_EXPECT_EQ(test, dev->group_asid[VP_SVQ_GROUP_DATA], 0);
	KUNIT_EXPECT_EQ(test, ops->reset(vdpa), 0);
	KUNIT_EXPECT_EQ(test, e->m->violations, 0);
}

/* --- translation --------------------------------------------------------- */

/*
 * A command read through address space 1: across two mappings whose
 * physical pages are not adjacent, the ack written back through it.
 */
static void vpt_cvq_translate(struct kunit *test)
{
	struct vpt_sh *s = vpt_sh_new(test, NULL, NULL, 0);
	u64 split = VPT_IOVA + VPT_MEM + PAGE_SIZE;
	struct vpt_seg seg[3];
	u8 *lo, *hi, *ack, *ro;
	u16 head, used;

	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_MAC,
					  VIRTIO_NET_CTRL_MAC_ADDR_SET, vpt_mac_a,
					  ETH_ALEN), VIRTIO_NET_OK);
	KUNIT_EXPECT_MEMEQ(test, s->e->m->net.mac, vpt_mac_a, ETH_ALEN);
	KUNIT_EXPECT_GE(test, atomic_read(&s->calls), 1);

	/* Two pages, mapped back to back in reverse physical order. */
	lo = vpt_client_mem(test, PAGE_SIZE);
	hi = vpt_client_mem(test, PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, lo);
	KUNIT_ASSERT_NOT_NULL(test, hi);
	KUNIT_ASSERT_EQ(test, s->ops->dma_map(s->vdpa, 1, split - PAGE_SIZE,
					      PAGE_SIZE, virt_to_phys(lo),
					      VHOST_MAP_RW, NULL), 0);
	KUNIT_ASSERT_EQ(test, s->ops->dma_map(s->vdpa, 1, split, PAGE_SIZE,
					      virt_to_phys(hi), VHOST_MAP_RW,
					      NULL), 0);
	/* class, cmd and 3 bytes of the MAC on one page, 3 on the next */
	lo[PAGE_SIZE - 5] = VIRTIO_NET_CTRL_MAC;
	lo[PAGE_SIZE - 4] = VIRTIO_NET_CTRL_MAC_ADDR_SET;
	memcpy(lo + PAGE_SIZE - 3, vpt_mac_b, 3);
	memcpy(hi, vpt_mac_b + 3, 3);
	hi[8] = VPT_NO_ACK;
	seg[0] = (struct vpt_seg){ split - 5, 8, 0 };
	seg[1] = (struct vpt_seg){ split + 8, 1, VRING_DESC_F_WRITE };
	head = vpt_sh_chain(s, seg, 2);
	used = vpt_sh_used_idx(s);
	vpt_sh_publish(s, head);
	vpt_sh_kick(s);
	KUNIT_EXPECT_EQ(test, vpt_sh_used_idx(s), (u16)(used + 1));
	KUNIT_EXPECT_EQ(test, vpt_sh_used_len(s, used), 1);
	KUNIT_EXPECT_EQ(test, hi[8], VIRTIO_NET_OK);
	KUNIT_EXPECT_MEMEQ(test, s->e->m->net.mac, vpt_mac_b, ETH_ALEN);

	/* An ack buffer the client mapped read-only is not written. */
	ro = vpt_client_mem(test, PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, ro);
	ro[0] = VPT_NO_ACK;
	KUNIT_ASSERT_EQ(test, s->ops->dma_map(s->vdpa, 1, split + PAGE_SIZE,
					      PAGE_SIZE, virt_to_phys(ro),
					      VHOST_MAP_RO, NULL), 0);
	head = vpt_sh_post(s, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET,
			   vpt_mac_a, ETH_ALEN, &ack);
	vpt_sh_set_desc(s, head + 1, split + PAGE_SIZE, 1, VRING_DESC_F_WRITE, 0);
	vpt_sh_expect_dropped(s, head, ro, "read-only ack");
	KUNIT_EXPECT_EQ(test, *ack, VPT_NO_ACK);
	/* Dropped means not executed: the client could never know it was. */
	KUNIT_EXPECT_MEMEQ(test, s->e->m->net.mac, vpt_mac_b, ETH_ALEN);

	/* The shadow goes on serving. */
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_RX,
					  VIRTIO_NET_CTRL_RX_PROMISC, "\0", 1),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_FALSE(test, s->e->m->net.promisc);
	KUNIT_EXPECT_EQ(test, s->e->m->violations, 0);
	KUNIT_EXPECT_EQ(test, s->e->m->dma_faults, 0);
}

/*
 * No bus driver bound: addresses are never taken as physical. A CVQ whose
 * ring is in kernel memory but in no mapping is not touched.
 */
static void vpt_cvq_no_identity(struct kunit *test)
{
	struct vdpa_callback cb = {};
	const struct vdpa_config_ops *ops;
	struct vdpa_device *vdpa;
	struct vp_svq_dev *dev;
	struct vring_avail *avail;
	struct vring_desc *desc;
	struct vring_used *used;
	struct vpt_env *e;
	u8 *mem, *cmd;
	u64 pa;

	e = vpt_env_new(test, NULL);
	KUNIT_ASSERT_EQ(test, vpt_add(e, NULL), 0);
	vdpa = vpt_vdpa(e);
	KUNIT_ASSERT_NOT_NULL(test, vdpa);
	ops = vdpa->config;
	dev = vdpa_to_vp_svq(vdpa);
	mem = vpt_client_mem(test, 2 * PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, mem);
	pa = virt_to_phys(mem);
	desc = (void *)(mem + VPT_DESC);
	avail = (void *)(mem + VPT_AVAIL);
	used = (void *)(mem + VPT_USED);
	cmd = mem + VPT_BUFS;
	cmd[0] = VIRTIO_NET_CTRL_RX;
	cmd[1] = VIRTIO_NET_CTRL_RX_PROMISC;
	cmd[2] = 0;
	cmd[3] = VPT_NO_ACK;
	desc[0].addr = __cpu_to_virtio64(true, pa + VPT_BUFS);
	desc[0].len = __cpu_to_virtio32(true, 3);
	desc[0].flags = __cpu_to_virtio16(true, VRING_DESC_F_NEXT);
	desc[0].next = __cpu_to_virtio16(true, 1);
	desc[1].addr = __cpu_to_virtio64(true, pa + VPT_BUFS + 3);
	desc[1].len = __cpu_to_virtio32(true, 1);
	desc[1].flags = __cpu_to_virtio16(true, VRING_DESC_F_WRITE);
	avail->ring[0] = 0;
	avail->idx = __cpu_to_virtio16(true, 1);

	ops->set_status(vdpa, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	KUNIT_ASSERT_EQ(test, ops->set_driver_features(vdpa,
						       ops->get_device_features(vdpa)),
			0);
	ops->set_status(vdpa, VPT_S_READY);
	ops->set_vq_num(vdpa, 2, VPT_QSZ);
	ops->set_vq_address(vdpa, 2, pa + VPT_DESC, pa + VPT_AVAIL, pa + VPT_USED);
	ops->set_vq_cb(vdpa, 2, &cb);
	ops->set_vq_ready(vdpa, 2, true);
	ops->set_status(vdpa, VPT_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_ASSERT_TRUE(test, ops->get_status(vdpa) & VIRTIO_CONFIG_S_DRIVER_OK);
	ops->kick_vq(vdpa, 2);
	while (flush_work(&dev->cvq.work))
		;
	KUNIT_EXPECT_EQ(test, used->idx, 0);
	KUNIT_EXPECT_EQ(test, cmd[3], VPT_NO_ACK);
	KUNIT_EXPECT_TRUE(test, e->m->net.promisc);
	KUNIT_EXPECT_EQ(test, e->m->net.commands, 0);
	KUNIT_EXPECT_TRUE(test, dev->cvq.broken);
	KUNIT_EXPECT_EQ(test, dev->cvq.received, 0);
	KUNIT_EXPECT_EQ(test, ops->reset(vdpa), 0);
}

/* --- every command class -------------------------------------------------- */

/* An RSS_CONFIG: @n table entries (i % @pairs), max_tx_vq @max_tx, key. */
static size_t vpt_rss_cmd(u8 *d, u16 n, u16 pairs, u16 max_tx, u8 key_len)
{
	size_t pos = 8;
	u16 i;

	put_unaligned_le32(VIRTIO_NET_RSS_HASH_TYPE_IPv4 |
			   VIRTIO_NET_RSS_HASH_TYPE_TCPv4, d);
	put_unaligned_le16(n - 1, d + 4);
	put_unaligned_le16(0, d + 6);
	for (i = 0; i < n; i++, pos += 2)
		put_unaligned_le16(i % pairs, d + pos);
	put_unaligned_le16(max_tx, d + pos);
	d[pos + 2] = key_len;
	for (i = 0; i < key_len; i++)
		d[pos + 3 + i] = 0x40 + i;
	return pos + 3 + key_len;
}

/* A HASH_CONFIG: hash types, reserved, key. */
static size_t vpt_hash_cmd(u8 *d, u8 key_len)
{
	u8 i;

	memset(d, 0, 13);
	put_unaligned_le32(VIRTIO_NET_RSS_HASH_TYPE_TCPv4, d);
	d[12] = key_len;
	for (i = 0; i < key_len; i++)
		d[13 + i] = 0x80 + i;
	return 13 + key_len;
}

/* A MAC_TABLE_SET with @uni unicast and @multi multicast entries. */
static size_t vpt_mac_table_cmd(u8 *d, u32 uni, u32 multi)
{
	size_t pos = 0;
	u32 i;

	put_unaligned_le32(uni, d);
	pos += 4;
	for (i = 0; i < uni; i++, pos += ETH_ALEN) {
		memcpy(d + pos, vpt_mac_a, ETH_ALEN);
		d[pos + 5] = i;
	}
	put_unaligned_le32(multi, d + pos);
	pos += 4;
	for (i = 0; i < multi; i++, pos += ETH_ALEN) {
		memcpy(d + pos, vpt_mac_a, ETH_ALEN);
		d[pos] |= 1;
		d[pos + 5] = i;
	}
	return pos;
}

static void vpt_cvq_all_classes(struct kunit *test)
{
	struct vpt_sh *s = vpt_sh_full(test);
	struct vpm_net_state *n = &s->e->m->net;
	__le64 offloads = cpu_to_le64(BIT_ULL(VIRTIO_NET_F_GUEST_CSUM) |
				      BIT_ULL(VIRTIO_NET_F_GUEST_TSO4));
	__le16 v;
	size_t len;
	u8 *d;
	u8 mode;

	d = kunit_kzalloc(test, 1024, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, d);
	KUNIT_ASSERT_EQ(test, s->idx, 8);
	KUNIT_ASSERT_TRUE(test, s->features & BIT_ULL(VIRTIO_NET_F_GUEST_ANNOUNCE));

	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_MAC,
					  VIRTIO_NET_CTRL_MAC_ADDR_SET, vpt_mac_b,
					  ETH_ALEN), VIRTIO_NET_OK);
	KUNIT_EXPECT_MEMEQ(test, n->mac, vpt_mac_b, ETH_ALEN);

	len = vpt_mac_table_cmd(d, 2, 3);
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_MAC,
					  VIRTIO_NET_CTRL_MAC_TABLE_SET, d, len),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_EQ(test, n->uc_entries, 2);
	KUNIT_EXPECT_EQ(test, n->mc_entries, 3);
	KUNIT_EXPECT_MEMEQ(test, n->mac_table[0], d + 4, 2 * ETH_ALEN);
	KUNIT_EXPECT_MEMEQ(test, n->mac_table[2], d + 4 + 12 + 4, 3 * ETH_ALEN);

	/* Every RX mode, on then off (promiscuous: off then on). */
	for (mode = VIRTIO_NET_CTRL_RX_PROMISC;
	     mode <= VIRTIO_NET_CTRL_RX_NOBCAST; mode++) {
		u8 on = mode != VIRTIO_NET_CTRL_RX_PROMISC;
		bool *flag[] = { &n->promisc, &n->allmulti, &n->alluni,
				 &n->nomulti, &n->nouni, &n->nobcast };

		KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_RX, mode,
						  &on, 1), VIRTIO_NET_OK);
		KUNIT_EXPECT_EQ_MSG(test, *flag[mode], on, "mode %u", mode);
		on = !on;
		KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_RX, mode,
						  &on, 1), VIRTIO_NET_OK);
		KUNIT_EXPECT_EQ_MSG(test, *flag[mode], on, "mode %u", mode);
	}

	v = cpu_to_le16(5);
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_VLAN,
					  VIRTIO_NET_CTRL_VLAN_ADD, &v, 2),
			VIRTIO_NET_OK);
	v = cpu_to_le16(4095);
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_VLAN,
					  VIRTIO_NET_CTRL_VLAN_ADD, &v, 2),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_TRUE(test, test_bit(5, n->vlans));
	KUNIT_EXPECT_TRUE(test, test_bit(4095, n->vlans));
	v = cpu_to_le16(5);
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_VLAN,
					  VIRTIO_NET_CTRL_VLAN_DEL, &v, 2),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_FALSE(test, test_bit(5, n->vlans));
	KUNIT_EXPECT_EQ(test, bitmap_weight(n->vlans, 4096), 1);

	v = cpu_to_le16(3);
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_MQ,
					  VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &v, 2),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_EQ(test, n->curr_qp, 3);

	len = vpt_rss_cmd(d, 8, 4, 2, 40);
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_MQ,
					  VIRTIO_NET_CTRL_MQ_RSS_CONFIG, d, len),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_TRUE(test, n->rss);
	KUNIT_EXPECT_FALSE(test, n->hash);
	KUNIT_EXPECT_EQ(test, n->rss_table_len, 8);
	KUNIT_EXPECT_EQ(test, n->rss_table[7], 3);
	KUNIT_EXPECT_EQ(test, n->rss_max_tx_vq, 2);
	KUNIT_EXPECT_EQ(test, n->curr_qp, 2);
	KUNIT_EXPECT_EQ(test, n->rss_key_len, 40);
	KUNIT_EXPECT_EQ(test, n->rss_key[39], 0x40 + 39);
	KUNIT_EXPECT_EQ(test, n->hash_types, VIRTIO_NET_RSS_HASH_TYPE_IPv4 |
			VIRTIO_NET_RSS_HASH_TYPE_TCPv4);

	len = vpt_hash_cmd(d, 20);
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_MQ,
					  VIRTIO_NET_CTRL_MQ_HASH_CONFIG, d, len),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_FALSE(test, n->rss);
	KUNIT_EXPECT_TRUE(test, n->hash);
	KUNIT_EXPECT_EQ(test, n->rss_key_len, 20);
	KUNIT_EXPECT_EQ(test, n->hash_types, VIRTIO_NET_RSS_HASH_TYPE_TCPv4);
	KUNIT_EXPECT_EQ(test, n->curr_qp, 2);
	/* VQ_PAIRS_SET turns hashing off again. */
	v = cpu_to_le16(4);
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_MQ,
					  VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &v, 2),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_FALSE(test, n->hash);
	KUNIT_EXPECT_EQ(test, n->hash_types, 0);
	KUNIT_EXPECT_EQ(test, n->curr_qp, 4);

	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_GUEST_OFFLOADS,
					  VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET,
					  &offloads, 8), VIRTIO_NET_OK);
	KUNIT_EXPECT_EQ(test, n->guest_offloads, le64_to_cpu(offloads));
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_ANNOUNCE,
					  VIRTIO_NET_CTRL_ANNOUNCE_ACK, NULL, 0),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_EQ(test, n->announce_acks, 1);

	/* Values the shadow refuses never reach the device. */
	v = cpu_to_le16(5);
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_MQ,
					  VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &v, 2),
			VIRTIO_NET_ERR);
	len = vpt_rss_cmd(d, 8, 5, 2, 40);	/* table entry 4 >= 4 pairs */
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_MQ,
					  VIRTIO_NET_CTRL_MQ_RSS_CONFIG, d, len),
			VIRTIO_NET_ERR);
	offloads = cpu_to_le64(BIT_ULL(VIRTIO_NET_F_GUEST_TSO6));
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_GUEST_OFFLOADS,
					  VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET,
					  &offloads, 8), VIRTIO_NET_ERR);
	KUNIT_EXPECT_EQ(test, n->curr_qp, 4);
	KUNIT_EXPECT_EQ(test, n->errors, 0);
	KUNIT_EXPECT_EQ(test, n->commands, 23);
	KUNIT_EXPECT_EQ(test, s->dev->cvq.completed, 23);
	KUNIT_EXPECT_EQ(test, s->dev->cvq.failed, 3);
	KUNIT_EXPECT_EQ(test, s->e->m->violations, 0);
}

/* --- malformed requests ----------------------------------------------------- */

static void vpt_cvq_malformed(struct kunit *test)
{
	struct vpt_sh *s = vpt_sh_full(test);
	struct vpm *m = s->e->m;
	unsigned int commands, failed;
	struct vring_desc *t;
	struct vpt_seg seg[3];
	u8 *d, *ack, *va;
	u16 head, used;
	size_t len;

	d = kunit_kzalloc(test, 2048, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, d);
	KUNIT_ASSERT_TRUE(test, s->features & BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC));
	failed = s->dev->cvq.failed;

	/* Refused by the shadow: VIRTIO_NET_ERR, nothing relayed. */
	seg[0].addr = vpt_sh_buf(s, "\x01", 1, NULL);	/* 1-byte header */
	seg[0].len = 1;
	seg[0].flags = 0;
	seg[1].addr = vpt_sh_ack(s, &ack);
	seg[1].len = 1;
	seg[1].flags = VRING_DESC_F_WRITE;
	head = vpt_sh_chain(s, seg, 2);
	used = vpt_sh_used_idx(s);
	vpt_sh_publish(s, head);
	vpt_sh_kick(s);
	KUNIT_EXPECT_EQ(test, vpt_sh_used_len(s, used), 1);
	KUNIT_EXPECT_EQ(test, *ack, VIRTIO_NET_ERR);

	len = vpt_mac_table_cmd(d, 65, 0);
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_MAC,
					  VIRTIO_NET_CTRL_MAC_TABLE_SET, d, len),
			VIRTIO_NET_ERR);
	len = vpt_mac_table_cmd(d, 0, 65);
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_MAC,
					  VIRTIO_NET_CTRL_MAC_TABLE_SET, d, len),
			VIRTIO_NET_ERR);
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, 200, 0, NULL, 0), VIRTIO_NET_ERR);
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_RX, 77, "\1", 1),
			VIRTIO_NET_ERR);
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_NOTF_COAL, 0, NULL,
					  0), VIRTIO_NET_ERR);
	/* The header in a device-writable buffer: no command, ERR there. */
	seg[0].addr = vpt_sh_buf(s, "\x00\x00\x01", 3, &va);
	seg[0].len = 3;
	seg[0].flags = VRING_DESC_F_WRITE;
	seg[1].addr = vpt_sh_ack(s, &ack);
	seg[1].len = 1;
	seg[1].flags = VRING_DESC_F_WRITE;
	head = vpt_sh_chain(s, seg, 2);
	used = vpt_sh_used_idx(s);
	vpt_sh_publish(s, head);
	vpt_sh_kick(s);
	KUNIT_EXPECT_EQ(test, vpt_sh_used_len(s, used), 1);
	KUNIT_EXPECT_EQ(test, va[0], VIRTIO_NET_ERR);
	KUNIT_EXPECT_EQ(test, *ack, VPT_NO_ACK);
	KUNIT_EXPECT_TRUE(test, m->net.promisc);
	KUNIT_EXPECT_EQ(test, m->net.commands, 0);
	KUNIT_EXPECT_EQ(test, m->net.uc_entries, 0);

	/* Dropped: returned with nothing written. */
	vpt_sh_room(s, 3);
	head = vpt_sh_post(s, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC,
			   "\0", 1, &ack);
	vpt_sh_set_desc(s, head + 1, vpt_sh_desc(s, head + 1)->addr, 1,
			VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, head + 2);
	vpt_sh_set_desc(s, head + 2, vpt_sh_buf(s, "\0", 1, NULL), 1, 0, 0);
	s->next_desc++;
	vpt_sh_expect_dropped(s, head, ack, "readable after writable");

	head = vpt_sh_post(s, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC,
			   "\0", 1, &ack);
	vpt_sh_set_desc(s, head + 1, vpt_sh_desc(s, head + 1)->addr, 1,
			VRING_DESC_F_NEXT, head);
	vpt_sh_expect_dropped(s, head, ack, "descriptor loop");

	head = vpt_sh_post(s, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC,
			   "\0", 1, &ack);
	vpt_sh_set_desc(s, head, vpt_sh_desc(s, head)->addr, 3,
			VRING_DESC_F_NEXT, 200);
	vpt_sh_expect_dropped(s, head, ack, "next out of range");

	head = vpt_sh_post(s, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC,
			   "\0", 1, &ack);
	vpt_sh_set_desc(s, head, VPT_UNMAPPED, 3, VRING_DESC_F_NEXT, head + 1);
	vpt_sh_expect_dropped(s, head, ack, "command outside the mappings");

	head = vpt_sh_post(s, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC,
			   "\0", 1, &ack);
	vpt_sh_set_desc(s, head + 1, VPT_UNMAPPED, 1, VRING_DESC_F_WRITE, 0);
	vpt_sh_expect_dropped(s, head, ack, "ack outside the mappings");
	KUNIT_EXPECT_TRUE(test, m->net.promisc);
	KUNIT_EXPECT_EQ(test, m->net.commands, 0);

	head = vpt_sh_post(s, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC,
			   "\0", 1, &ack);
	vpt_sh_set_desc(s, head, vpt_sh_desc(s, head)->addr, 3, 0, 0);
	vpt_sh_expect_dropped(s, head, ack, "no ack buffer");

	/* Longer than any command the shadow relays. */
	len = 1100;
	seg[0].addr = vpt_sh_buf(s, NULL, len, &va);
	va[0] = VIRTIO_NET_CTRL_MAC;
	va[1] = VIRTIO_NET_CTRL_MAC_TABLE_SET;
	seg[0].len = len;
	seg[0].flags = 0;
	seg[1].addr = vpt_sh_ack(s, &ack);
	seg[1].len = 1;
	seg[1].flags = VRING_DESC_F_WRITE;
	head = vpt_sh_chain(s, seg, 2);
	vpt_sh_expect_dropped(s, head, ack, "command too long");

	/* Indirect: a good table, then one of a bad length, then nested. */
	seg[0].addr = vpt_sh_buf(s, "\x00\x00\x00", 3, NULL);
	seg[0].len = 3;
	seg[1].addr = vpt_sh_ack(s, &ack);
	t = (struct vring_desc *)(s->mem + VPT_INDIR);
	t[0].addr = __cpu_to_virtio64(true, seg[0].addr);
	t[0].len = __cpu_to_virtio32(true, 3);
	t[0].flags = __cpu_to_virtio16(true, VRING_DESC_F_NEXT);
	t[0].next = __cpu_to_virtio16(true, 1);
	t[1].addr = __cpu_to_virtio64(true, seg[1].addr);
	t[1].len = __cpu_to_virtio32(true, 1);
	t[1].flags = __cpu_to_virtio16(true, VRING_DESC_F_WRITE);
	seg[2].addr = VPT_IOVA + VPT_INDIR;
	seg[2].len = 2 * sizeof(struct vring_desc);
	seg[2].flags = VRING_DESC_F_INDIRECT;
	head = vpt_sh_chain(s, &seg[2], 1);
	used = vpt_sh_used_idx(s);
	vpt_sh_publish(s, head);
	vpt_sh_kick(s);
	KUNIT_EXPECT_EQ(test, vpt_sh_used_len(s, used), 1);
	KUNIT_EXPECT_EQ(test, *ack, VIRTIO_NET_OK);
	KUNIT_EXPECT_FALSE(test, m->net.promisc);
	commands = m->net.commands;

	*ack = VPT_NO_ACK;
	seg[2].len = 10;
	head = vpt_sh_chain(s, &seg[2], 1);
	vpt_sh_expect_dropped(s, head, ack, "indirect table of 10 bytes");
	/* An indirect descriptor with NEXT set. */
	seg[2].len = 2 * sizeof(struct vring_desc);
	seg[0] = seg[2];
	seg[1].addr = vpt_sh_ack(s, NULL);
	seg[1].len = 1;
	seg[1].flags = VRING_DESC_F_WRITE;
	head = vpt_sh_chain(s, seg, 2);
	vpt_sh_expect_dropped(s, head, ack, "indirect with next");
	/* An indirect descriptor inside the table. */
	t[0].flags = __cpu_to_virtio16(true, VRING_DESC_F_INDIRECT);
	head = vpt_sh_chain(s, &seg[2], 1);
	vpt_sh_expect_dropped(s, head, ack, "nested indirect");
	KUNIT_EXPECT_EQ(test, m->net.commands, commands);
	KUNIT_EXPECT_EQ(test, s->dev->cvq.failed - failed, 17);
	KUNIT_EXPECT_EQ(test, s->dev->cvq.completed, 1);

	/* The ring is still sane: the shadow serves on. */
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_RX,
					  VIRTIO_NET_CTRL_RX_ALLMULTI, "\1", 1),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_TRUE(test, m->net.allmulti);
	KUNIT_EXPECT_FALSE(test, s->dev->cvq.broken);
	KUNIT_EXPECT_EQ(test, m->violations, 0);
	KUNIT_EXPECT_EQ(test, m->dma_faults, 0);
}

/*
 * Test that an indirect descriptor whose table sits at address 0 is a
 * table like any other: the request is dropped (nothing maps 0 here), not
 * walked again through the ring's own table for ever; so is an indirect
 * table longer than the ring. The shadow serves on, and a reset returns.
 */
static void vpt_cvq_indirect_bounded(struct kunit *test)
{
	struct vpt_sh *s = vpt_sh_full(test);
	struct vpm *m = s->e->m;
	struct vpt_seg seg;
	u64 failed = s->dev->cvq.failed;
	u16 head;

	KUNIT_ASSERT_TRUE(test, s->features & BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC));
	seg.addr = 0;
	seg.len = 2 * sizeof(struct vring_desc);
	seg.flags = VRING_DESC_F_INDIRECT;
	head = vpt_sh_chain(s, &seg, 1);
	vpt_sh_expect_dropped(s, head, NULL, "indirect table at 0");

	seg.addr = VPT_IOVA + VPT_INDIR;
	seg.len = (VPT_QSZ + 1) * sizeof(struct vring_desc);
	head = vpt_sh_chain(s, &seg, 1);
	vpt_sh_expect_dropped(s, head, NULL, "indirect table longer than the ring");
	KUNIT_EXPECT_EQ(test, s->dev->cvq.failed - failed, 2);
	KUNIT_EXPECT_FALSE(test, s->dev->cvq.broken);

	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_RX,
					  VIRTIO_NET_CTRL_RX_ALLMULTI, "\1", 1),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_TRUE(test, m->net.allmulti);
	KUNIT_EXPECT_EQ(test, s->ops->reset(s->vdpa), 0);
	KUNIT_EXPECT_EQ(test, s->ops->get_status(s->vdpa), 0);
	KUNIT_EXPECT_EQ(test, m->violations, 0);
}

/*
 * Test that the CVQ stays paused while the device is suspended, also when
 * the client disables and enables it meanwhile: on a device without
 * RING_RESET, suspend resets the device, and a command relayed then would
 * poll a CVQ that resume frees and sets up again.
 */
static void vpt_cvq_paused_while_suspended(struct kunit *test)
{
	struct vpt_sh *s = vpt_sh_new(test, NULL, NULL, 0);
	struct vpm *m = s->e->m;
	u16 head, used;
	u8 *ack;

	KUNIT_ASSERT_FALSE(test, s->dev->hw_features & BIT_ULL(VIRTIO_F_RING_RESET));
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_RX,
					  VIRTIO_NET_CTRL_RX_PROMISC, "\0", 1),
			VIRTIO_NET_OK);
	KUNIT_ASSERT_EQ(test, s->ops->suspend(s->vdpa), 0);
	s->ops->set_vq_ready(s->vdpa, s->idx, false);
	s->ops->set_vq_ready(s->vdpa, s->idx, true);
	KUNIT_EXPECT_TRUE(test, s->ops->get_vq_ready(s->vdpa, s->idx));

	used = vpt_sh_used_idx(s);
	head = vpt_sh_post(s, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_ALLMULTI,
			   "\1", 1, &ack);
	vpt_sh_publish(s, head);
	vpt_sh_kick(s);
	KUNIT_EXPECT_EQ(test, vpt_sh_used_idx(s), used);
	KUNIT_EXPECT_EQ(test, *ack, VPT_NO_ACK);

	KUNIT_ASSERT_EQ(test, s->ops->resume(s->vdpa), 0);
	while (flush_work(&s->dev->cvq.work))
		;
	KUNIT_EXPECT_EQ(test, vpt_sh_used_idx(s), (u16)(used + 1));
	KUNIT_EXPECT_EQ(test, *ack, VIRTIO_NET_OK);
	KUNIT_EXPECT_TRUE(test, m->net.allmulti);
	KUNIT_EXPECT_FALSE(test, m->net.promisc);
	KUNIT_EXPECT_EQ(test, m->violations, 0);
}

/*
 * Test that the client's CVQ, served in software, takes the size
 * get_vq_num_max() promises every queue, also when the device's own CVQ
 * is smaller.
 */
static void vpt_cvq_size_software(struct kunit *test)
{
	struct vpm_config cfg;
	struct vpt_sh *s;
	u16 max;

	vpm_default_config(&cfg);
	cfg.cvq_queue_size = 64;
	s = vpt_sh_new(test, &cfg, NULL, 0);
	KUNIT_ASSERT_EQ(test, s->dev->parent->cvq_queue_max, 64);
	max = s->ops->get_vq_num_max(s->vdpa);
	KUNIT_EXPECT_EQ(test, max, 256);
	KUNIT_ASSERT_EQ(test, s->ops->reset(s->vdpa), 0);

	s->ops->set_status(s->vdpa, VIRTIO_CONFIG_S_ACKNOWLEDGE |
			   VIRTIO_CONFIG_S_DRIVER);
	KUNIT_ASSERT_EQ(test, s->ops->set_driver_features(s->vdpa, s->features), 0);
	s->ops->set_status(s->vdpa, VPT_S_READY);
	KUNIT_EXPECT_EQ(test, s->ops->get_vq_size(s->vdpa, s->idx), max);
	s->ops->set_vq_num(s->vdpa, s->idx, max);
	KUNIT_ASSERT_EQ(test, s->ops->set_vq_address(s->vdpa, s->idx,
						     VPT_IOVA + VPT_BUFS,
						     VPT_IOVA + 2 * VPT_BUFS,
						     VPT_IOVA + 3 * VPT_BUFS), 0);
	s->ops->set_vq_ready(s->vdpa, s->idx, true);
	s->ops->set_status(s->vdpa, VPT_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_EXPECT_EQ(test, s->ops->get_status(s->vdpa),
			VPT_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_EXPECT_EQ(test, s->e->m->violations, 0);
}

/*
 * Test that the config generation moves when the MAC the config space
 * shows changes through the CVQ: a client reading the config across the
 * change reads it again.
 */
static void vpt_cvq_mac_generation(struct kunit *test)
{
	struct vpt_sh *s = vpt_sh_new(test, NULL, NULL, 0);
	u8 mac[ETH_ALEN];
	u32 gen;

	gen = s->ops->get_generation(s->vdpa);
	KUNIT_ASSERT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_MAC,
					  VIRTIO_NET_CTRL_MAC_ADDR_SET,
					  vpt_mac_a, ETH_ALEN), VIRTIO_NET_OK);
	KUNIT_EXPECT_NE(test, s->ops->get_generation(s->vdpa), gen);
	s->ops->get_config(s->vdpa, offsetof(struct virtio_net_config, mac),
			   mac, ETH_ALEN);
	KUNIT_EXPECT_MEMEQ(test, mac, vpt_mac_a, ETH_ALEN);
	/* The same MAC again changes nothing. */
	gen = s->ops->get_generation(s->vdpa);
	KUNIT_ASSERT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_MAC,
					  VIRTIO_NET_CTRL_MAC_ADDR_SET,
					  vpt_mac_a, ETH_ALEN), VIRTIO_NET_OK);
	KUNIT_EXPECT_EQ(test, s->ops->get_generation(s->vdpa), gen);
}

/*
 * The ring itself unusable (outside the mappings after a rebind, or an
 * avail index beyond the ring size): nothing more is served until reset.
 */
static void vpt_cvq_broken_ring(struct kunit *test)
{
	struct vpt_sh *s = vpt_sh_new(test, NULL, NULL, 0);
	struct vpm *m = s->e->m;
	u16 head, used;
	u8 *ack;

	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_RX,
					  VIRTIO_NET_CTRL_RX_PROMISC, "\0", 1),
			VIRTIO_NET_OK);
	/* The CVQ group moves to the empty address space 0. */
	KUNIT_ASSERT_EQ(test, s->ops->set_group_asid(s->vdpa, VP_SVQ_GROUP_CVQ,
						     0), 0);
	used = vpt_sh_used_idx(s);
	head = vpt_sh_post(s, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC,
			   "\1", 1, &ack);
	vpt_sh_publish(s, head);
	vpt_sh_kick(s);
	KUNIT_EXPECT_EQ(test, vpt_sh_used_idx(s), used);
	KUNIT_EXPECT_EQ(test, *ack, VPT_NO_ACK);
	KUNIT_EXPECT_TRUE(test, s->dev->cvq.broken);
	/* Back to address space 1: still not served before a reset. */
	KUNIT_ASSERT_EQ(test, s->ops->set_group_asid(s->vdpa, VP_SVQ_GROUP_CVQ,
						     1), 0);
	vpt_sh_kick(s);
	KUNIT_EXPECT_EQ(test, vpt_sh_used_idx(s), used);
	KUNIT_EXPECT_FALSE(test, m->net.promisc);
	KUNIT_EXPECT_EQ(test, m->net.commands, 1);

	KUNIT_EXPECT_EQ(test, s->ops->reset(s->vdpa), 0);
	vpt_sh_start(s);
	KUNIT_EXPECT_FALSE(test, s->dev->cvq.broken);
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_RX,
					  VIRTIO_NET_CTRL_RX_ALLMULTI, "\1", 1),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_TRUE(test, m->net.allmulti);

	/* An avail index that ran past the ring size. */
	head = vpt_sh_post(s, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_ALLMULTI,
			   "\0", 1, &ack);
	vpt_sh_publish(s, head);
	s->avail += VPT_QSZ;
	WRITE_ONCE(vpt_sh_avail(s)->idx, __cpu_to_virtio16(true, s->avail));
	used = vpt_sh_used_idx(s);
	vpt_sh_kick(s);
	KUNIT_EXPECT_EQ(test, vpt_sh_used_idx(s), used);
	KUNIT_EXPECT_EQ(test, *ack, VPT_NO_ACK);
	KUNIT_EXPECT_TRUE(test, m->net.allmulti);
	KUNIT_EXPECT_TRUE(test, s->dev->cvq.broken);
	KUNIT_EXPECT_EQ(test, m->violations, 0);
}

/* --- acks per descriptor ------------------------------------------------------ */

static void vpt_cvq_identical_in_flight(struct kunit *test)
{
	struct vpt_sh *s = vpt_sh_new(test, NULL, NULL, 0);
	struct vpm *m = s->e->m;
	u16 head[3], used;
	u8 *ack[3];
	int i;

	for (i = 0; i < 2; i++)
		head[i] = vpt_sh_post(s, VIRTIO_NET_CTRL_RX,
				      VIRTIO_NET_CTRL_RX_ALLMULTI, "\1", 1,
				      &ack[i]);
	used = vpt_sh_used_idx(s);
	/* The device fails the first one only. */
	vpm_fail_next_cvq(m, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_ALLMULTI);
	vpt_sh_publish(s, head[0]);
	vpt_sh_publish(s, head[1]);
	vpt_sh_kick(s);
	KUNIT_EXPECT_EQ(test, vpt_sh_used_idx(s), (u16)(used + 2));
	KUNIT_EXPECT_EQ(test, vpt_sh_used_id(s, used), head[0]);
	KUNIT_EXPECT_EQ(test, vpt_sh_used_id(s, used + 1), head[1]);
	KUNIT_EXPECT_EQ(test, vpt_sh_used_len(s, used), 1);
	KUNIT_EXPECT_EQ(test, vpt_sh_used_len(s, used + 1), 1);
	KUNIT_EXPECT_EQ(test, *ack[0], VIRTIO_NET_ERR);
	KUNIT_EXPECT_EQ(test, *ack[1], VIRTIO_NET_OK);
	KUNIT_EXPECT_EQ(test, m->net.commands, 2);
	KUNIT_EXPECT_TRUE(test, m->net.allmulti);

	/* Three identical ones, all acked OK, each in its own byte. */
	for (i = 0; i < 3; i++)
		head[i] = vpt_sh_post(s, VIRTIO_NET_CTRL_RX,
				      VIRTIO_NET_CTRL_RX_PROMISC, "\0", 1,
				      &ack[i]);
	used = vpt_sh_used_idx(s);
	for (i = 0; i < 3; i++)
		vpt_sh_publish(s, head[i]);
	vpt_sh_kick(s);
	KUNIT_EXPECT_EQ(test, vpt_sh_used_idx(s), (u16)(used + 3));
	for (i = 0; i < 3; i++) {
		KUNIT_EXPECT_EQ(test, vpt_sh_used_id(s, used + i), head[i]);
		KUNIT_EXPECT_EQ(test, *ack[i], VIRTIO_NET_OK);
	}
	KUNIT_EXPECT_EQ(test, m->net.commands, 5);
	KUNIT_EXPECT_EQ(test, s->dev->cvq.received, 5);
	KUNIT_EXPECT_EQ(test, s->dev->cvq.completed, 4);
	KUNIT_EXPECT_EQ(test, s->dev->cvq.failed, 1);
}

/*
 * Make six requests available together on a device whose CVQ holds
 * @cvq_size entries: they reach it behind @kicks doorbells and are
 * answered in order, each with its own ack; a command the device fails
 * changes no tracked state.
 */
static void vpt_cvq_batch_run(struct kunit *test, u16 cvq_size,
			      unsigned int want_kicks)
{
	static const u8 on = 1, off;
	static const struct {
		u8 cmd;
		const u8 *val;
	} req[] = {
		{ VIRTIO_NET_CTRL_RX_PROMISC, &on },
		{ VIRTIO_NET_CTRL_RX_ALLMULTI, &on },
		{ VIRTIO_NET_CTRL_RX_PROMISC, &off },
		{ VIRTIO_NET_CTRL_RX_PROMISC, &on },
		{ VIRTIO_NET_CTRL_RX_PROMISC, &off },
		{ VIRTIO_NET_CTRL_RX_PROMISC, &on },
	};
	struct vp_svq_cvq *cvq;
	u16 head[ARRAY_SIZE(req)], used;
	struct vpm_config cfg;
	struct vpt_sh *s;
	struct vpm *m;
	unsigned int kicks, commands, i;
	u8 *ack[ARRAY_SIZE(req)];

	vpm_default_config(&cfg);
	cfg.cvq_queue_size = cvq_size;
	s = vpt_sh_new(test, &cfg, NULL, 0);
	cvq = &s->dev->cvq;
	m = s->e->m;
	KUNIT_EXPECT_EQ(test, m->q[cvq->hw_qid].size, min_t(u16, cvq_size, 32));
	for (i = 0; i < ARRAY_SIZE(req); i++)
		head[i] = vpt_sh_post(s, VIRTIO_NET_CTRL_RX, req[i].cmd,
				      req[i].val, 1, &ack[i]);
	used = vpt_sh_used_idx(s);
	kicks = m->q[cvq->hw_qid].kicks;
	commands = m->net.commands;
	/* The device fails ALLMULTI, the second command in flight. */
	vpm_fail_next_cvq(m, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_ALLMULTI);
	for (i = 0; i < ARRAY_SIZE(req); i++)
		vpt_sh_publish(s, head[i]);
	vpt_sh_kick(s);

	KUNIT_EXPECT_EQ(test, m->q[cvq->hw_qid].kicks - kicks, want_kicks);
	KUNIT_EXPECT_EQ(test, m->net.commands - commands, ARRAY_SIZE(req));
	KUNIT_EXPECT_EQ(test, vpt_sh_used_idx(s), (u16)(used + ARRAY_SIZE(req)));
	for (i = 0; i < ARRAY_SIZE(req); i++) {
		KUNIT_EXPECT_EQ(test, vpt_sh_used_id(s, used + i), head[i]);
		KUNIT_EXPECT_EQ(test, vpt_sh_used_len(s, used + i), 1);
		KUNIT_EXPECT_EQ(test, *ack[i], i == 1 ? VIRTIO_NET_ERR :
						 VIRTIO_NET_OK);
	}
	KUNIT_EXPECT_TRUE(test, m->net.promisc);
	KUNIT_EXPECT_FALSE(test, m->net.allmulti);
	mutex_lock(&cvq->lock);
	KUNIT_EXPECT_TRUE(test, cvq->state.rx_modes &
			  BIT(VIRTIO_NET_CTRL_RX_PROMISC));
	KUNIT_EXPECT_FALSE(test, cvq->state.rx_modes &
			   BIT(VIRTIO_NET_CTRL_RX_ALLMULTI));
	mutex_unlock(&cvq->lock);
	/* The device's CVQ is idle again: the replay's path still works. */
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_RX,
					  VIRTIO_NET_CTRL_RX_PROMISC, &off, 1),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_FALSE(test, m->net.promisc);
	KUNIT_EXPECT_EQ(test, m->violations, 0);
}

/* Test that requests made available together reach the device together. */
static void vpt_cvq_batched(struct kunit *test)
{
	vpt_cvq_batch_run(test, 64, 1);
}

/*
 * Test that a device CVQ of 4 entries takes the same requests two at a
 * time, and one of 2 entries one at a time.
 */
static void vpt_cvq_batched_small_device(struct kunit *test)
{
	vpt_cvq_batch_run(test, 4, 3);
	vpt_cvq_batch_run(test, 2, 6);
}

/* --- a device CVQ that never answers ---------------------------------------- */

static void vpt_cvq_device_stuck(struct kunit *test)
{
	struct vpt_sh *s = vpt_sh_new(test, NULL, NULL, 0);
	struct vpm *m = s->e->m;
	ktime_t t0;
	s64 ms;

	vpm_set_cvq_stall(m, true);
	t0 = ktime_get();
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_RX,
					  VIRTIO_NET_CTRL_RX_PROMISC, "\0", 1),
			VIRTIO_NET_ERR);
	ms = ktime_ms_delta(ktime_get(), t0);
	/* The bounded wait: 1 s, give or take scheduling. */
	KUNIT_EXPECT_GE(test, ms, 900);
	KUNIT_EXPECT_LT(test, ms, 5000);
	KUNIT_EXPECT_TRUE(test, s->dev->cvq.hw_broken);
	/* Then commands fail at once, without reaching the device. */
	t0 = ktime_get();
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_RX,
					  VIRTIO_NET_CTRL_RX_ALLMULTI, "\1", 1),
			VIRTIO_NET_ERR);
	KUNIT_EXPECT_LT(test, ktime_ms_delta(ktime_get(), t0), 500);
	KUNIT_EXPECT_EQ(test, m->q[s->dev->cvq.hw_qid].kicks, 1);
	KUNIT_EXPECT_EQ(test, m->net.commands, 0);
	KUNIT_EXPECT_EQ(test, s->dev->cvq.failed, 2);

	/* A reset recovers. */
	KUNIT_EXPECT_EQ(test, s->ops->reset(s->vdpa), 0);
	vpm_set_cvq_stall(m, false);
	vpt_sh_start(s);
	KUNIT_EXPECT_FALSE(test, s->dev->cvq.hw_broken);
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_RX,
					  VIRTIO_NET_CTRL_RX_ALLMULTI, "\1", 1),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_TRUE(test, m->net.allmulti);
	KUNIT_EXPECT_EQ(test, m->violations, 0);
}

/* --- the net state written back ----------------------------------------------- */

static void vpt_expect_net_eq(struct kunit *test, const struct vpm_net_state *a,
			      const struct vpm_net_state *b)
{
	KUNIT_EXPECT_MEMEQ(test, a->mac, b->mac, ETH_ALEN);
	KUNIT_EXPECT_EQ(test, a->uc_entries, b->uc_entries);
	KUNIT_EXPECT_EQ(test, a->mc_entries, b->mc_entries);
	KUNIT_EXPECT_MEMEQ(test, a->mac_table, b->mac_table,
			   (a->uc_entries + a->mc_entries) * ETH_ALEN);
	KUNIT_EXPECT_EQ(test, a->promisc, b->promisc);
	KUNIT_EXPECT_EQ(test, a->allmulti, b->allmulti);
	KUNIT_EXPECT_EQ(test, a->alluni, b->alluni);
	KUNIT_EXPECT_EQ(test, a->nomulti, b->nomulti);
	KUNIT_EXPECT_EQ(test, a->nouni, b->nouni);
	KUNIT_EXPECT_EQ(test, a->nobcast, b->nobcast);
	KUNIT_EXPECT_TRUE(test, bitmap_equal(a->vlans, b->vlans, 4096));
	KUNIT_EXPECT_EQ(test, a->curr_qp, b->curr_qp);
	KUNIT_EXPECT_EQ(test, a->rss, b->rss);
	KUNIT_EXPECT_EQ(test, a->hash, b->hash);
	KUNIT_EXPECT_EQ(test, a->hash_types, b->hash_types);
	KUNIT_EXPECT_EQ(test, a->rss_table_len, b->rss_table_len);
	KUNIT_EXPECT_MEMEQ(test, a->rss_table, b->rss_table,
			   a->rss_table_len * sizeof(a->rss_table[0]));
	KUNIT_EXPECT_EQ(test, a->rss_max_tx_vq, b->rss_max_tx_vq);
	KUNIT_EXPECT_EQ(test, a->rss_key_len, b->rss_key_len);
	KUNIT_EXPECT_MEMEQ(test, a->rss_key, b->rss_key, a->rss_key_len);
	KUNIT_EXPECT_EQ(test, a->guest_offloads, b->guest_offloads);
}

/*
 * Set state through the CVQ, reset the device behind the driver's back,
 * bring it up as vp_svq_start() does and replay: the device is back where
 * it was.
 */
static void vpt_cvq_replay(struct kunit *test)
{
	struct vpt_sh *s = vpt_sh_full(test);
	struct vpm *m = s->e->m;
	struct virtio_pci_modern_device *mdev = s->e->parent->mdev;
	__le64 offloads = cpu_to_le64(BIT_ULL(VIRTIO_NET_F_GUEST_TSO4));
	struct vpm_net_state *before;
	u8 st = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	u16 qid = s->dev->cvq.hw_qid;
	size_t len;
	__le16 v;
	u8 *d;

	d = kunit_kzalloc(test, 1024, GFP_KERNEL);
	before = kunit_kzalloc(test, sizeof(*before), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, d);
	KUNIT_ASSERT_NOT_NULL(test, before);

	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_MAC,
					  VIRTIO_NET_CTRL_MAC_ADDR_SET, vpt_mac_b,
					  ETH_ALEN), VIRTIO_NET_OK);
	len = vpt_mac_table_cmd(d, 2, 2);
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_MAC,
					  VIRTIO_NET_CTRL_MAC_TABLE_SET, d, len),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_RX,
					  VIRTIO_NET_CTRL_RX_PROMISC, "\0", 1),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_RX,
					  VIRTIO_NET_CTRL_RX_ALLMULTI, "\1", 1),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_RX,
					  VIRTIO_NET_CTRL_RX_NOBCAST, "\1", 1),
			VIRTIO_NET_OK);
	v = cpu_to_le16(10);
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_VLAN,
					  VIRTIO_NET_CTRL_VLAN_ADD, &v, 2),
			VIRTIO_NET_OK);
	v = cpu_to_le16(4000);
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_VLAN,
					  VIRTIO_NET_CTRL_VLAN_ADD, &v, 2),
			VIRTIO_NET_OK);
	len = vpt_rss_cmd(d, 4, 3, 3, 40);
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_MQ,
					  VIRTIO_NET_CTRL_MQ_RSS_CONFIG, d, len),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_GUEST_OFFLOADS,
					  VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET,
					  &offloads, 8), VIRTIO_NET_OK);
	KUNIT_ASSERT_EQ(test, m->net.errors, 0);
	*before = m->net;

	/* The device loses everything; the driver is not told. */
	KUNIT_ASSERT_EQ(test, vp_svq_hw_reset(s->e->parent), 0);
	KUNIT_EXPECT_TRUE(test, m->net.promisc);
	KUNIT_EXPECT_FALSE(test, m->net.rss);
	KUNIT_EXPECT_EQ(test, m->net.curr_qp, 1);

	/* Up again with the driver's features and its CVQ, then replay. */
	vp_modern_set_status(mdev, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	vp_modern_set_status(mdev, st);
	vp_modern_set_features(mdev, s->dev->hw_features);
	st |= VIRTIO_CONFIG_S_FEATURES_OK;
	vp_modern_set_status(mdev, st);
	KUNIT_ASSERT_EQ(test, vp_modern_get_status(mdev), st);
	vp_svq_hwcvq_stop(s->dev);
	KUNIT_ASSERT_EQ(test, vp_svq_hwcvq_start(s->dev, qid), 0);
	vp_modern_set_status(mdev, st | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_EXPECT_EQ(test, vp_svq_cvq_replay(s->dev), 0);
	vpt_expect_net_eq(test, &m->net, before);
	/* Each part sent once: MAC, table, pairs, RSS, offloads, 3 modes, 2 VLANs. */
	KUNIT_EXPECT_EQ(test, m->net.commands, 10);
	KUNIT_EXPECT_EQ(test, m->net.errors, 0);

	/* And the shadow still serves the client on the new ring. */
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_RX,
					  VIRTIO_NET_CTRL_RX_ALLMULTI, "\0", 1),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_FALSE(test, m->net.allmulti);
	KUNIT_EXPECT_EQ(test, m->violations, 0);
}

/* --- MAC provisioning ----------------------------------------------------------- */

static void vpt_cvq_mac_provisioned(struct kunit *test)
{
	struct vpt_add_attrs a = { .has_mac = true };
	const struct vdpa_config_ops *ops;
	struct virtio_net_config cfg;
	struct vdpa_device *vdpa;
	struct vpt_client *c;
	struct vpt_env *e;
	struct vpm *m;
	u8 cmd[2 + ETH_ALEN], ack;
	u64 features;

	memcpy(a.mac, vpt_mac_a, ETH_ALEN);
	e = vpt_env_new(test, NULL);
	m = e->m;
	KUNIT_ASSERT_EQ(test, vpt_add(e, &a), 0);
	vdpa = vpt_vdpa(e);
	KUNIT_ASSERT_NOT_NULL(test, vdpa);
	ops = vdpa->config;
	ops->get_config(vdpa, 0, &cfg, sizeof(cfg));
	KUNIT_EXPECT_MEMEQ(test, cfg.mac, vpt_mac_a, ETH_ALEN);
	KUNIT_EXPECT_MEMEQ(test, m->netcfg.mac, m->cfg.mac, ETH_ALEN);

	/* A client without a CVQ: the driver negotiates one for itself. */
	features = ops->get_device_features(vdpa) &
		   ~(BIT_ULL(VIRTIO_NET_F_CTRL_VQ) | BIT_ULL(VIRTIO_NET_F_CTRL_RX) |
		     BIT_ULL(VIRTIO_NET_F_CTRL_VLAN) |
		     BIT_ULL(VIRTIO_NET_F_CTRL_MAC_ADDR));
	ops->set_status(vdpa, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	KUNIT_ASSERT_EQ(test, ops->set_driver_features(vdpa, features), 0);
	ops->set_status(vdpa, VPT_S_READY);
	KUNIT_EXPECT_EQ(test, ops->get_driver_features(vdpa), features);
	KUNIT_EXPECT_TRUE(test, m->driver_features & BIT_ULL(VIRTIO_NET_F_CTRL_VQ));
	KUNIT_EXPECT_TRUE(test, m->driver_features &
			  BIT_ULL(VIRTIO_NET_F_CTRL_MAC_ADDR));
	KUNIT_EXPECT_EQ(test, m->net.commands, 0);
	ops->set_status(vdpa, VPT_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_ASSERT_TRUE(test, ops->get_status(vdpa) & VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_EXPECT_MEMEQ(test, m->net.mac, vpt_mac_a, ETH_ALEN);
	KUNIT_EXPECT_MEMEQ(test, m->netcfg.mac, vpt_mac_a, ETH_ALEN);
	KUNIT_EXPECT_EQ(test, m->net.commands, 1);
	KUNIT_EXPECT_EQ(test, m->net.last_cmd, VIRTIO_NET_CTRL_MAC_ADDR_SET);
	ops->get_config(vdpa, 0, &cfg, sizeof(cfg));
	KUNIT_EXPECT_MEMEQ(test, cfg.mac, vpt_mac_a, ETH_ALEN);
	KUNIT_EXPECT_EQ(test, ops->reset(vdpa), 0);
	KUNIT_EXPECT_MEMEQ(test, m->net.mac, m->cfg.mac, ETH_ALEN);

	/* A kernel client: provisioned before it sees DRIVER_OK. */
	c = vpt_client_bind(e);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_ASSERT_GE(test, c->cvq, 0);
	KUNIT_EXPECT_MEMEQ(test, m->net.mac, vpt_mac_a, ETH_ALEN);
	KUNIT_EXPECT_EQ(test, m->net.commands, 1);
	KUNIT_EXPECT_EQ(test, virtio_cread8(c->vdev, offsetof(struct virtio_net_config,
							      mac)), vpt_mac_a[0]);
	/* It sets its own through the shadow (identity: virtio_vdpa). */
	cmd[0] = VIRTIO_NET_CTRL_MAC;
	cmd[1] = VIRTIO_NET_CTRL_MAC_ADDR_SET;
	memcpy(cmd + 2, vpt_mac_b, ETH_ALEN);
	KUNIT_EXPECT_EQ(test, vpt_client_cvq(c, cmd, sizeof(cmd), &ack), 1);
	KUNIT_EXPECT_EQ(test, ack, VIRTIO_NET_OK);
	KUNIT_EXPECT_MEMEQ(test, m->net.mac, vpt_mac_b, ETH_ALEN);
	/* The config space shows the MAC in use (virtio 5.1.6.5.2). */
	ops->get_config(vdpa, 0, &cfg, sizeof(cfg));
	KUNIT_EXPECT_MEMEQ(test, cfg.mac, vpt_mac_b, ETH_ALEN);
	/* After a client reset the provisioned MAC comes back. */
	vpt_client_unbind(e);
	c = vpt_client_bind(e);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_EXPECT_MEMEQ(test, m->net.mac, vpt_mac_a, ETH_ALEN);
	ops->get_config(vdpa, 0, &cfg, sizeof(cfg));
	KUNIT_EXPECT_MEMEQ(test, cfg.mac, vpt_mac_a, ETH_ALEN);
	KUNIT_EXPECT_EQ(test, m->violations, 0);
}

/* --- vstats ------------------------------------------------------------------ */

/* The value of counter @name of queue @idx, or -errno. */
static int vpt_stat(struct vdpa_device *vdpa, u16 idx, const char *name,
		    u64 *val)
{
	struct sk_buff *msg = nlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	const char *cur = NULL;
	struct nlattr *nla;
	int ret, rem;

	if (!msg)
		return -ENOMEM;
	ret = vdpa->config->get_vendor_vq_stats(vdpa, idx, msg, NULL);
	if (!ret) {
		ret = -ENOENT;
		nla_for_each_attr(nla, (struct nlattr *)msg->data, msg->len, rem) {
			if (nla_type(nla) == VDPA_ATTR_DEV_VENDOR_ATTR_NAME) {
				cur = nla_data(nla);
			} else if (nla_type(nla) == VDPA_ATTR_DEV_VENDOR_ATTR_VALUE &&
				   cur && !strcmp(cur, name)) {
				*val = nla_get_u64(nla);
				ret = 0;
			}
		}
	}
	nlmsg_free(msg);
	return ret;
}

static void vpt_cvq_vstats(struct kunit *test)
{
	struct vpt_sh *s = vpt_sh_new(test, NULL, NULL, 0);
	u64 v = U64_MAX;
	u16 head;
	u8 *ack;

	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_RX,
					  VIRTIO_NET_CTRL_RX_PROMISC, "\0", 1),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_RX,
					  VIRTIO_NET_CTRL_RX_ALLMULTI, "\1", 1),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, 99, 0, NULL, 0), VIRTIO_NET_ERR);
	head = vpt_sh_post(s, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC,
			   "\1", 1, &ack);
	vpt_sh_set_desc(s, head, vpt_sh_desc(s, head)->addr, 3, 0, 0);
	vpt_sh_expect_dropped(s, head, ack, "no ack");

	KUNIT_EXPECT_EQ(test, vpt_stat(s->vdpa, s->idx, "received_cmds", &v), 0);
	KUNIT_EXPECT_EQ(test, v, 4);
	KUNIT_EXPECT_EQ(test, vpt_stat(s->vdpa, s->idx, "completed_cmds", &v), 0);
	KUNIT_EXPECT_EQ(test, v, 2);
	KUNIT_EXPECT_EQ(test, vpt_stat(s->vdpa, s->idx, "failed_cmds", &v), 0);
	KUNIT_EXPECT_EQ(test, v, 2);
	KUNIT_EXPECT_EQ(test, vpt_stat(s->vdpa, s->idx, "kicks", &v), -ENOENT);

	/* A data queue: kicks that reached the driver, interrupts handled. */
	KUNIT_EXPECT_EQ(test, vpt_stat(s->vdpa, 0, "kicks", &v), 0);
	KUNIT_EXPECT_EQ(test, v, 0);
	KUNIT_EXPECT_EQ(test, vpt_stat(s->vdpa, 1, "interrupts", &v), 0);
	KUNIT_EXPECT_EQ(test, v, 0);
	KUNIT_EXPECT_EQ(test, vpt_stat(s->vdpa, 0, "received_cmds", &v), -ENOENT);
	KUNIT_EXPECT_EQ(test, vpt_stat(s->vdpa, s->vdpa->nvqs, "kicks", &v),
			-EINVAL);
}

/* Kicks and interrupts of a running data queue. */
static void vpt_cvq_vstats_data(struct kunit *test)
{
	struct vdpa_callback cb = { .callback = vpt_sh_cb };
	const struct vdpa_config_ops *ops;
	struct vdpa_device *vdpa;
	struct vpt_env *e;
	struct vring vr;
	u64 v = U64_MAX;
	struct vpt_sh s = {};
	void *mem;

	e = vpt_env_new(test, NULL);
	KUNIT_ASSERT_EQ(test, vpt_add(e, NULL), 0);
	vdpa = vpt_vdpa(e);
	KUNIT_ASSERT_NOT_NULL(test, vdpa);
	ops = vdpa->config;
	mem = vpt_client_mem(test, vring_size(64, SMP_CACHE_BYTES));
	KUNIT_ASSERT_NOT_NULL(test, mem);
	vring_init(&vr, 64, mem, SMP_CACHE_BYTES);
	ops->set_status(vdpa, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	KUNIT_ASSERT_EQ(test, ops->set_driver_features(vdpa,
						       ops->get_device_features(vdpa)),
			0);
	ops->set_status(vdpa, VPT_S_READY);
	ops->set_vq_num(vdpa, 1, 64);
	ops->set_vq_address(vdpa, 1, virt_to_phys(vr.desc), virt_to_phys(vr.avail),
			    virt_to_phys(vr.used));
	cb.private = &s;
	ops->set_vq_cb(vdpa, 1, &cb);
	ops->set_vq_ready(vdpa, 1, true);
	ops->set_status(vdpa, VPT_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_ASSERT_TRUE(test, ops->get_status(vdpa) & VIRTIO_CONFIG_S_DRIVER_OK);
	ops->kick_vq(vdpa, 1);
	ops->kick_vq(vdpa, 1);
	ops->kick_vq(vdpa, 1);
	vpm_raise_vq_irq(e->m, 1);
	vpm_raise_vq_irq(e->m, 1);
	KUNIT_EXPECT_EQ(test, vpt_stat(vdpa, 1, "kicks", &v), 0);
	KUNIT_EXPECT_EQ(test, v, 3);
	KUNIT_EXPECT_EQ(test, e->m->q[1].kicks, 3);
	KUNIT_EXPECT_EQ(test, vpt_stat(vdpa, 1, "interrupts", &v), 0);
	KUNIT_EXPECT_EQ(test, v, 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&s.calls), 2);
	KUNIT_EXPECT_EQ(test, vpt_stat(vdpa, 0, "kicks", &v), 0);
	KUNIT_EXPECT_EQ(test, v, 0);
	KUNIT_EXPECT_EQ(test, ops->reset(vdpa), 0);
}

/* --- address spaces and the IOMMU domain --------------------------------- */

/* Test that a reset puts every group back in address space 0. */
static void vpt_cvq_reset_asid(struct kunit *test)
{
	struct vpt_sh *s = vpt_sh_new(test, NULL, NULL, 0);

	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_RX,
					  VIRTIO_NET_CTRL_RX_PROMISC, "\0", 1),
			VIRTIO_NET_OK);
	KUNIT_ASSERT_EQ(test, s->ops->set_group_asid(s->vdpa, VP_SVQ_GROUP_DATA,
						     1), 0);
	/* The next client does not shadow the CVQ: it maps all in ASID 0. */
	KUNIT_ASSERT_EQ(test, s->ops->reset(s->vdpa), 0);
	KUNIT_EXPECT_EQ(test, s->dev->group_asid[VP_SVQ_GROUP_CVQ], 0);
	KUNIT_EXPECT_EQ(test, s->dev->group_asid[VP_SVQ_GROUP_DATA], 0);
	KUNIT_ASSERT_EQ(test, s->ops->reset_map(s->vdpa, 1), 0);
	KUNIT_ASSERT_EQ(test, s->ops->dma_map(s->vdpa, 0, VPT_IOVA, VPT_MEM,
					      virt_to_phys(s->mem),
					      VHOST_MAP_RW, NULL), 0);
	/* The data group's mappings are the domain's. */
	KUNIT_EXPECT_EQ(test, vpt_iommu_perm(s->e, VPT_IOVA, VPT_MEM),
			VHOST_MAP_RW);
	s->cvq_asid = 0;
	vpt_sh_start(s);
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_RX,
					  VIRTIO_NET_CTRL_RX_PROMISC, "\1", 1),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_TRUE(test, s->e->m->net.promisc);
	KUNIT_EXPECT_FALSE(test, s->dev->cvq.broken);
	KUNIT_EXPECT_EQ(test, s->e->m->violations, 0);
}

/*
 * Test that the device may only read the driver's CVQ ring and command,
 * write only its used ring and ack, and that no client IOVA reaches the
 * driver's window.
 */
static void vpt_cvq_ring_prot(struct kunit *test)
{
	struct vpt_sh *s = vpt_sh_new(test, NULL, NULL, 0);
	struct vdpa_iova_range range = s->ops->get_iova_range(s->vdpa);
	u64 ring = s->dev->cvq.hw.addr, pa = virt_to_phys(s->mem);

	KUNIT_EXPECT_EQ(test, s->dev->reserved_iova,
			VPT_IOMMU_LAST - SZ_16M + 1);
	KUNIT_EXPECT_EQ(test, range.last, s->dev->reserved_iova - 1);
	KUNIT_EXPECT_TRUE(test, s->dev->cvq.hw.in_domain);
	KUNIT_EXPECT_EQ(test, ring, s->dev->reserved_iova);
	KUNIT_EXPECT_EQ(test, vpt_iommu_perm(s->e, ring, PAGE_SIZE),
			VHOST_MAP_RO);
	KUNIT_EXPECT_EQ(test, vpt_iommu_perm(s->e, ring + PAGE_SIZE, PAGE_SIZE),
			VHOST_MAP_RW);
	/* The model checks each access against those permissions. */
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_MAC,
					  VIRTIO_NET_CTRL_MAC_ADDR_SET, vpt_mac_a,
					  ETH_ALEN), VIRTIO_NET_OK);
	KUNIT_EXPECT_MEMEQ(test, s->e->m->net.mac, vpt_mac_a, ETH_ALEN);
	KUNIT_EXPECT_EQ(test, s->e->m->dma_faults, 0);

	/* Client IOVAs stay out of the window, in any address space. */
	KUNIT_EXPECT_EQ(test, s->ops->dma_map(s->vdpa, 0, ring, PAGE_SIZE, pa,
					      VHOST_MAP_RW, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, s->ops->dma_map(s->vdpa, 0, range.last, 2, pa,
					      VHOST_MAP_RW, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, s->ops->dma_map(s->vdpa, 1, range.last + 1,
					      PAGE_SIZE, pa, VHOST_MAP_RW,
					      NULL), -EINVAL);
	/* A range mapped already is not mapped again. */
	KUNIT_EXPECT_EQ(test, s->ops->dma_map(s->vdpa, 1, VPT_IOVA + PAGE_SIZE,
					      PAGE_SIZE, pa, VHOST_MAP_RW,
					      NULL), -EEXIST);
	KUNIT_EXPECT_EQ(test, vpt_iommu_perm(s->e, ring, PAGE_SIZE),
			VHOST_MAP_RO);
}

/*
 * Test that the driver holds a reference on every page of a mapping from
 * dma_map to dma_unmap, reset_map or dev del, even after vhost-vdpa has
 * dropped its own (it unpins before it unmaps).
 */
static void vpt_cvq_page_refs(struct kunit *test)
{
	const struct vdpa_config_ops *ops;
	struct vdpa_device *vdpa;
	struct vpt_env *e;
	struct page *page;
	u64 pa;

	e = vpt_env_new(test, NULL);
	KUNIT_ASSERT_EQ(test, vpt_add(e, NULL), 0);
	vdpa = vpt_vdpa(e);
	KUNIT_ASSERT_NOT_NULL(test, vdpa);
	ops = vdpa->config;
	page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_NOT_NULL(test, page);
	pa = page_to_phys(page);
	KUNIT_ASSERT_EQ(test, page_ref_count(page), 1);

	/* dma_unmap: vhost pins, maps, unpins, then unmaps. */
	get_page(page);
	KUNIT_ASSERT_EQ(test, ops->dma_map(vdpa, 1, VPT_IOVA, PAGE_SIZE, pa,
					   VHOST_MAP_RW, NULL), 0);
	put_page(page);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 2);
	KUNIT_EXPECT_EQ(test, ops->dma_unmap(vdpa, 1, VPT_IOVA, PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 1);

	/* reset_map, in the data group's address space (the domain's) too. */
	KUNIT_ASSERT_EQ(test, ops->dma_map(vdpa, 1, VPT_IOVA, PAGE_SIZE, pa,
					   VHOST_MAP_RO, NULL), 0);
	KUNIT_ASSERT_EQ(test, ops->dma_map(vdpa, 0, VPT_IOVA, PAGE_SIZE, pa,
					   VHOST_MAP_RW, NULL), 0);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 3);
	KUNIT_EXPECT_EQ(test, ops->reset_map(vdpa, 0), 0);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 2);
	KUNIT_EXPECT_EQ(test, ops->reset_map(vdpa, 1), 0);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 1);

	/* dev del with mappings left. */
	KUNIT_ASSERT_EQ(test, ops->dma_map(vdpa, 1, VPT_IOVA, PAGE_SIZE, pa,
					   VHOST_MAP_RW, NULL), 0);
	KUNIT_ASSERT_EQ(test, ops->dma_map(vdpa, 0, VPT_IOVA, PAGE_SIZE, pa,
					   VHOST_MAP_RW, NULL), 0);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 3);
	KUNIT_EXPECT_EQ(test, vpt_del(e), 0);
	KUNIT_EXPECT_EQ(test, page_ref_count(page), 1);
	__free_page(page);
}

#define VPT_COST_ORDER	9
#define VPT_COST_CHUNKS	(SZ_64M >> (PAGE_SHIFT + VPT_COST_ORDER))

/*
 * Test that a 64 MiB mapping of 4 KiB pages holds a reference on each
 * page, and print what that costs.
 */
static void vpt_cvq_map_cost(struct kunit *test)
{
	const unsigned int per = 1 << VPT_COST_ORDER;
	const struct vdpa_config_ops *ops;
	struct page **chunk;
	struct vdpa_device *vdpa;
	struct vpt_env *e;
	ktime_t t0, t1, t2;
	unsigned int i;
	int ret = 0;

	e = vpt_env_new(test, NULL);
	KUNIT_ASSERT_EQ(test, vpt_add(e, NULL), 0);
	vdpa = vpt_vdpa(e);
	KUNIT_ASSERT_NOT_NULL(test, vdpa);
	ops = vdpa->config;
	chunk = kunit_kcalloc(test, VPT_COST_CHUNKS, sizeof(*chunk), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, chunk);
	for (i = 0; i < VPT_COST_CHUNKS; i++) {
		chunk[i] = alloc_pages(GFP_KERNEL | __GFP_COMP | __GFP_NOWARN,
				       VPT_COST_ORDER);
		if (!chunk[i])
			break;
	}
	if (i < VPT_COST_CHUNKS)
		goto out_free;

	/* As vhost-vdpa would: one mapping per physically contiguous run. */
	t0 = ktime_get();
	for (i = 0; i < VPT_COST_CHUNKS && !ret; i++)
		ret = ops->dma_map(vdpa, 1, VPT_IOVA + ((u64)i << (PAGE_SHIFT +
							VPT_COST_ORDER)),
				   PAGE_SIZE << VPT_COST_ORDER,
				   page_to_phys(chunk[i]), VHOST_MAP_RW, NULL);
	t1 = ktime_get();
	KUNIT_EXPECT_EQ(test, ret, 0);
	/* A reference on each page is one more on its folio. */
	for (i = 0; i < VPT_COST_CHUNKS; i++)
		KUNIT_EXPECT_EQ(test, page_ref_count(chunk[i]), 1 + per);
	KUNIT_EXPECT_EQ(test, ops->dma_unmap(vdpa, 1, VPT_IOVA, SZ_64M), 0);
	t2 = ktime_get();
	for (i = 0; i < VPT_COST_CHUNKS; i++)
		KUNIT_EXPECT_EQ(test, page_ref_count(chunk[i]), 1);
	kunit_info(test, "map of 64 MiB (%u pages, %u mappings): %lld us, unmap %lld us\n",
		   (unsigned int)(SZ_64M >> PAGE_SHIFT),
		   (unsigned int)VPT_COST_CHUNKS, ktime_us_delta(t1, t0),
		   ktime_us_delta(t2, t1));
out_free:
	KUNIT_EXPECT_EQ(test, i, VPT_COST_CHUNKS);
	while (i--)
		__free_pages(chunk[i], VPT_COST_ORDER);
}

/*
 * Test that a user-space client's device runs only through the driver's
 * domain, attached at DRIVER_OK with nothing mapped for the data group and
 * kept while it runs, and detached at reset once nothing is mapped.
 */
static void vpt_cvq_domain_driver_ok(struct kunit *test)
{
	struct vpt_sh *s = vpt_sh_new(test, NULL, NULL, 0);

	KUNIT_EXPECT_NULL(test, vhost_iotlb_itree_first(s->dev->as[0], 0,
							U64_MAX));
	KUNIT_ASSERT_NOT_NULL(test, s->e->iommu);
	KUNIT_EXPECT_EQ(test, s->e->iommu_attaches, 1);
	KUNIT_EXPECT_FALSE(test, s->dev->kernel_client);
	/* The data group to the CVQ's mappings and back to an empty space. */
	KUNIT_EXPECT_EQ(test, s->ops->set_group_asid(s->vdpa, VP_SVQ_GROUP_DATA,
						     1), 0);
	KUNIT_EXPECT_EQ(test, vpt_iommu_perm(s->e, VPT_IOVA, VPT_MEM),
			VHOST_MAP_RW);
	KUNIT_EXPECT_EQ(test, s->ops->set_group_asid(s->vdpa, VP_SVQ_GROUP_DATA,
						     0), 0);
	KUNIT_EXPECT_EQ(test, vpt_iommu_perm(s->e, VPT_IOVA, VPT_MEM), -ENOENT);
	KUNIT_EXPECT_EQ(test, s->ops->reset_map(s->vdpa, 0), 0);
	KUNIT_EXPECT_NOT_NULL(test, s->e->iommu);
	KUNIT_EXPECT_EQ(test, s->e->iommu_detaches, 0);
	KUNIT_EXPECT_EQ(test, vpt_sh_send(s, VIRTIO_NET_CTRL_RX,
					  VIRTIO_NET_CTRL_RX_PROMISC, "\0", 1),
			VIRTIO_NET_OK);
	/* Reset, nothing mapped for the data group: the domain goes. */
	KUNIT_ASSERT_EQ(test, s->ops->reset(s->vdpa), 0);
	KUNIT_EXPECT_NULL(test, s->e->iommu);
	KUNIT_EXPECT_NULL(test, s->dev->domain);
	KUNIT_EXPECT_EQ(test, s->e->iommu_detaches, 1);
}

/*
 * Bind virtio-vdpa, the DMA API on the vDPA device putting memory at
 * @offset on its bus (0: no translation), and send one command on its
 * CVQ: served as the
 * kernel client's, on the DMA API without the driver's domain; the next
 * client that resets the device without virtio-vdpa is user space again.
 */
static void vpt_cvq_kernel_send(struct kunit *test, u64 offset)
{
	struct vpt_env *e = vpt_env_new(test, NULL);
	struct bus_dma_region *map;
	struct vdpa_device *vdpa;
	struct vpt_client *c;
	struct vp_svq_dev *dev;
	u8 cmd[3] = { VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, 1 };
	u8 ack = VPT_NO_ACK;

	KUNIT_ASSERT_EQ(test, vpt_add(e, NULL), 0);
	vdpa = vpt_vdpa(e);
	KUNIT_ASSERT_NOT_NULL(test, vdpa);
	dev = vdpa_to_vp_svq(vdpa);
	KUNIT_EXPECT_FALSE(test, dev->kernel_client);
	if (offset) {
		/* The driver core frees it when the driver unbinds. */
		map = kcalloc(2, sizeof(*map), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, map);
		map->dma_start = offset;
		map->size = offset;
		vdpa->dev.dma_range_map = map;
	}
	c = vpt_client_bind(e);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_EXPECT_TRUE(test, dev->kernel_client);
	KUNIT_EXPECT_NULL(test, e->iommu);
	KUNIT_EXPECT_FALSE(test, dev->cvq.hw.in_domain);
	KUNIT_EXPECT_EQ(test, vpt_client_cvq(c, cmd, sizeof(cmd), &ack), 1);
	KUNIT_EXPECT_EQ(test, ack, VIRTIO_NET_OK);
	KUNIT_EXPECT_TRUE(test, e->m->net.promisc);
	KUNIT_EXPECT_FALSE(test, dev->cvq.broken);
	vpt_client_unbind(e);
	KUNIT_EXPECT_NULL(test, vdpa->dev.dma_range_map);
	KUNIT_ASSERT_EQ(test, vdpa->config->reset(vdpa), 0);
	KUNIT_EXPECT_FALSE(test, dev->kernel_client);
	KUNIT_EXPECT_EQ(test, e->iommu_attaches, 0);
}

/* Test that virtio-vdpa is the one kernel client. */
static void vpt_cvq_kernel_client(struct kunit *test)
{
	vpt_cvq_kernel_send(test, 0);
}

/*
 * Test that a kernel client's CVQ addresses are read back as the DMA API
 * made them, not taken for physical addresses: here the vDPA device's DMA
 * addresses sit 1 TiB above memory, as behind a bus offset.
 */
static void vpt_cvq_kernel_dma_offset(struct kunit *test)
{
	vpt_cvq_kernel_send(test, SZ_1T);
}

/*
 * Test that the rings of a device whose reset timed out stay mapped and
 * allocated until a reset completes: in the driver's window for a
 * user-space client, in DMA API memory for the kernel client.
 */
static void vpt_cvq_reset_timeout(struct kunit *test)
{
	struct vpt_sh *s = vpt_sh_new(test, NULL, NULL, 0);
	u64 ring = s->dev->cvq.hw.addr;
	struct vpt_client *c;
	struct vpt_env *e;
	struct vp_svq_dev *dev;

	KUNIT_ASSERT_EQ(test, vpt_iommu_perm(s->e, ring, PAGE_SIZE),
			VHOST_MAP_RO);
	s->e->m->reset_delay = U32_MAX;
	KUNIT_EXPECT_EQ(test, s->ops->reset(s->vdpa), -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, s->dev->nparked, 1);
	KUNIT_EXPECT_EQ(test, s->dev->drings_mapped, 1);
	KUNIT_EXPECT_EQ(test, vpt_iommu_perm(s->e, ring, PAGE_SIZE),
			VHOST_MAP_RO);
	KUNIT_EXPECT_EQ(test, vpt_iommu_perm(s->e, ring + PAGE_SIZE, PAGE_SIZE),
			VHOST_MAP_RW);
	s->e->m->reset_delay = 0;
	KUNIT_EXPECT_EQ(test, s->ops->reset(s->vdpa), 0);
	KUNIT_EXPECT_EQ(test, s->dev->nparked, 0);
	KUNIT_EXPECT_EQ(test, s->dev->drings_mapped, 0);
	KUNIT_EXPECT_EQ(test, vpt_iommu_perm(s->e, ring, PAGE_SIZE), -ENOENT);

	/* The kernel client's device CVQ ring is DMA API memory. */
	e = vpt_env_new(test, NULL);
	KUNIT_ASSERT_EQ(test, vpt_add(e, NULL), 0);
	dev = vdpa_to_vp_svq(vpt_vdpa(e));
	c = vpt_client_bind(e);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_ASSERT_EQ(test, dev->drings_dma_api, 1);
	e->m->reset_delay = U32_MAX;
	KUNIT_EXPECT_EQ(test, dev->vdpa.config->reset(&dev->vdpa), -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, dev->nparked, 1);
	KUNIT_EXPECT_EQ(test, dev->drings_dma_api, 1);
	e->m->reset_delay = 0;
	KUNIT_EXPECT_EQ(test, dev->vdpa.config->reset(&dev->vdpa), 0);
	KUNIT_EXPECT_EQ(test, dev->nparked, 0);
	KUNIT_EXPECT_EQ(test, dev->drings_dma_api, 0);
	vpt_client_unbind(e);
}

/*
 * Test that a device without ACCESS_PLATFORM, or a function without an
 * IOMMU, is for the kernel client only, and that a user-space client's
 * device always negotiates ACCESS_PLATFORM when the device has it.
 */
static void vpt_cvq_access_platform(struct kunit *test)
{
	const struct vdpa_config_ops *ops;
	struct vdpa_device *vdpa;
	struct vpt_client *c;
	struct vpm_config cfg;
	struct vpt_env *e;
	u64 features;

	vpm_default_config(&cfg);
	cfg.features &= ~BIT_ULL(VIRTIO_F_ACCESS_PLATFORM);
	e = vpt_env_new(test, &cfg);
	KUNIT_ASSERT_EQ(test, vpt_add(e, NULL), 0);
	vdpa = vpt_vdpa(e);
	KUNIT_ASSERT_NOT_NULL(test, vdpa);
	ops = vdpa->config;
	ops->set_status(vdpa, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	KUNIT_ASSERT_EQ(test, ops->set_driver_features(vdpa,
						       ops->get_device_features(vdpa)),
			0);
	ops->set_status(vdpa, VPT_S_READY);
	KUNIT_EXPECT_EQ(test, ops->get_status(vdpa),
			VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	ops->set_status(vdpa, VPT_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_EXPECT_FALSE(test, ops->get_status(vdpa) &
			   (VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK));
	KUNIT_EXPECT_NULL(test, e->iommu);
	KUNIT_EXPECT_EQ(test, ops->reset(vdpa), 0);
	/* The kernel client may drive it. */
	c = vpt_client_bind(e);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_EXPECT_TRUE(test, ops->get_status(vdpa) & VIRTIO_CONFIG_S_DRIVER_OK);
	vpt_client_unbind(e);

	/* A device with it: negotiated although the client leaves it out. */
	e = vpt_env_new(test, NULL);
	KUNIT_ASSERT_EQ(test, vpt_add(e, NULL), 0);
	vdpa = vpt_vdpa(e);
	KUNIT_ASSERT_NOT_NULL(test, vdpa);
	ops = vdpa->config;
	features = ops->get_device_features(vdpa);
	KUNIT_ASSERT_TRUE(test, features & BIT_ULL(VIRTIO_F_ACCESS_PLATFORM));
	ops->set_status(vdpa, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	KUNIT_ASSERT_EQ(test, ops->set_driver_features(vdpa, features &
						       ~BIT_ULL(VIRTIO_F_ACCESS_PLATFORM)),
			0);
	ops->set_status(vdpa, VPT_S_READY);
	KUNIT_EXPECT_EQ(test, ops->get_status(vdpa), VPT_S_READY);
	KUNIT_EXPECT_TRUE(test, e->m->driver_features &
			  BIT_ULL(VIRTIO_F_ACCESS_PLATFORM));
	KUNIT_EXPECT_EQ(test, ops->reset(vdpa), 0);
	KUNIT_EXPECT_EQ(test, e->m->violations, 0);

	/* A function without an IOMMU: nothing would confine the device. */
	e = vpt_env_new(test, NULL);
	e->no_iommu = true;
	KUNIT_ASSERT_EQ(test, vpt_add(e, NULL), 0);
	vdpa = vpt_vdpa(e);
	KUNIT_ASSERT_NOT_NULL(test, vdpa);
	ops = vdpa->config;
	ops->set_status(vdpa, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	KUNIT_ASSERT_EQ(test, ops->set_driver_features(vdpa,
						       ops->get_device_features(vdpa)),
			0);
	ops->set_status(vdpa, VPT_S_READY);
	KUNIT_EXPECT_EQ(test, ops->get_status(vdpa),
			VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	KUNIT_EXPECT_EQ(test, ops->reset(vdpa), 0);
	c = vpt_client_bind(e);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_EXPECT_TRUE(test, ops->get_status(vdpa) & VIRTIO_CONFIG_S_DRIVER_OK);
	vpt_client_unbind(e);
}

static int vpt_cvq_suite_init(struct kunit_suite *suite)
{
	return vpt_client_register();
}

static void vpt_cvq_suite_exit(struct kunit_suite *suite)
{
	vpt_client_unregister();
}

static struct kunit_case vpt_cvq_cases[] = {
	KUNIT_CASE(vpt_cvq_groups),
	KUNIT_CASE(vpt_cvq_translate),
	KUNIT_CASE(vpt_cvq_no_identity),
	KUNIT_CASE(vpt_cvq_all_classes),
	KUNIT_CASE(vpt_cvq_malformed),
	KUNIT_CASE(vpt_cvq_indirect_bounded),
	KUNIT_CASE(vpt_cvq_paused_while_suspended),
	KUNIT_CASE(vpt_cvq_size_software),
	KUNIT_CASE(vpt_cvq_mac_generation),
	KUNIT_CASE(vpt_cvq_broken_ring),
	KUNIT_CASE(vpt_cvq_identical_in_flight),
	KUNIT_CASE(vpt_cvq_batched),
	KUNIT_CASE(vpt_cvq_batched_small_device),
	KUNIT_CASE(vpt_cvq_device_stuck),
	KUNIT_CASE(vpt_cvq_replay),
	KUNIT_CASE(vpt_cvq_mac_provisioned),
	KUNIT_CASE(vpt_cvq_vstats),
	KUNIT_CASE(vpt_cvq_vstats_data),
	KUNIT_CASE(vpt_cvq_reset_asid),
	KUNIT_CASE(vpt_cvq_ring_prot),
	KUNIT_CASE(vpt_cvq_page_refs),
	KUNIT_CASE(vpt_cvq_map_cost),
	KUNIT_CASE(vpt_cvq_domain_driver_ok),
	KUNIT_CASE(vpt_cvq_kernel_client),
	KUNIT_CASE(vpt_cvq_kernel_dma_offset),
	KUNIT_CASE(vpt_cvq_reset_timeout),
	KUNIT_CASE(vpt_cvq_access_platform),
	{}
};

static struct kunit_suite vpt_cvq_suite = {
	.name = "vp_svq_cvq",
	.suite_init = vpt_cvq_suite_init,
	.suite_exit = vpt_cvq_suite_exit,
	.test_cases = vpt_cvq_cases,
};

kunit_test_suite(vpt_cvq_suite);
