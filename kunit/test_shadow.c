// SPDX-License-Identifier: GPL-2.0-only
/*
 * vp_svq KUnit: suite vp_svq_shadow. A plain device (neither SUSPEND nor
 * the device-state capability; VIRTIO_F_RING_RESET unless a test says
 * otherwise) suspended by queue resets, its ring state read from the
 * client's used ring, and ring shadow mode (shadow.c): after a resume, and
 * for a ring restored at a non-initial index before DRIVER_OK.
 *
 * The test is the client, as vhost-vdpa's user would be: it owns one RX
 * and one TX split ring in kernel memory, mapped at VSH_IOVA in the data
 * address space (the model translates VSH_IOVA through its dma_iotlb, the
 * driver through its record of the data address space, as
 * test_suspend.c's vps_map_data() does). Buffers are two chained
 * descriptors, or one indirect descriptor whose table holds two, so the
 * driver's chain copy follows next links and passes indirect tables
 * through. Frames are numbered and checked byte for byte at the RX side.
 */

#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/sizes.h>
#include <linux/unaligned.h>
#include <linux/vhost_iotlb.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <net/netlink.h>
#include <uapi/linux/vdpa.h>
#include <uapi/linux/vhost_types.h>

#include "vp_svq_test.h"

#define VSH_QSZ		16
/*
 * Ring layout (vring_init): descriptors at 0, avail at 0x100, used right
 * after it, aligned to VSH_ALIGN bytes (the split ring's minimum, so that
 * a shifted ring can put its used ring across a page boundary); indirect
 * tables at VSH_INDIR, buffers at VSH_BUFS.
 */
#define VSH_ALIGN	4
#define VSH_INDIR	0x400
#define VSH_BUFS	0x800
#define VSH_BUFSZ	256
#define VSH_RING_MEM	(VSH_BUFS + VSH_QSZ * VSH_BUFSZ)
#define VSH_NVQS	2
/* One page more than the rings need: room to shift them (opts.ring_off). */
#define VSH_MEM		(VSH_NVQS * VSH_RING_MEM + PAGE_SIZE)
/* Where the client's rings sit in the data address space. */
#define VSH_IOVA	BIT_ULL(40)
#define VSH_HDR		sizeof(struct virtio_net_hdr_mrg_rxbuf)
#define VSH_POISON	0xee
/* How long completions stay held while suspend waits. */
#define VSH_HOLD_MS	50
#define VSH_RX		0
#define VSH_TX		1

#define VSH_S_READY	(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | \
			 VIRTIO_CONFIG_S_FEATURES_OK)

/**
 * struct vsh_opts - one variant
 * @name: shown by KUnit
 * @event_idx: negotiate VIRTIO_RING_F_EVENT_IDX
 * @indirect: negotiate VIRTIO_RING_F_INDIRECT_DESC and post every buffer
 *	as an indirect table of two descriptors
 * @rx_base: where the RX ring is restored (0: not restored)
 * @tx_base: where the TX ring is restored (0: not restored)
 * @mappable: doorbells PAGE_SIZE apart, as a client maps them
 * @dev_qsz: the device's maximum queue size (0: VSH_QSZ, the client's)
 * @shared_irq: one MSI-X vector for everything
 * @no_ring_reset: vsh_config_suspended: the device lacks RING_RESET
 * @ring_off: where the rings start in their memory (< PAGE_SIZE)
 */
struct vsh_opts {
	const char *name;
	bool event_idx;
	bool indirect;
	u16 rx_base;
	u16 tx_base;
	bool mappable;
	u16 dev_qsz;
	bool shared_irq;
	bool no_ring_reset;
	u16 ring_off;
};

/**
 * struct vsh_ring - one ring the test drives as the client
 * @mem: ring, indirect tables and buffers
 * @addr: the client address of @mem (in the data address space)
 * @vr: the split ring in @mem
 * @next: next avail index
 * @used: used entries consumed
 * @inflight: buffers made available and not yet seen used
 * @no_cb: the client does not move its used event (tests of suppression)
 */
struct vsh_ring {
	u8 *mem;
	u64 addr;
	struct vring vr;
	u16 next;
	u16 used;
	u16 inflight;
	bool no_cb;
};

/**
 * struct vsh - the client and the device it drives
 * @test: the test
 * @o: the variant
 * @e: the environment
 * @m: its model
 * @vdpa: the vDPA device
 * @ops: its ops
 * @dev: the driver's device
 * @features: negotiated
 * @per: ring descriptors per buffer (1 indirect, else 2 chained)
 * @nbufs: buffers a ring holds
 * @mem: the rings' memory, physically contiguous
 * @r: RX then TX
 * @calls: callbacks per queue
 * @config_calls: config callbacks
 * @tx_seq: next frame number sent
 * @rx_seq: next frame number expected
 * @rx_bad: frames that were not the next expected, or not byte-exact
 * @page: scratch page for vp_svq_shadow_show()
 */
struct vsh {
	struct kunit *test;
	const struct vsh_opts *o;
	struct vpt_env *e;
	struct vpm *m;
	struct vdpa_device *vdpa;
	const struct vdpa_config_ops *ops;
	struct vp_svq_dev *dev;
	u64 features;
	u16 per;
	u16 nbufs;
	u8 *mem;
	struct vsh_ring r[VSH_NVQS];
	atomic_t calls[VSH_NVQS];
	atomic_t config_calls;
	u32 tx_seq;
	u32 rx_seq;
	unsigned int rx_bad;
	char *page;
};

/* --- memory, translation, the device ------------------------------------------ */

static void vsh_free_mem(void *mem)
{
	free_pages_exact(mem, VSH_MEM);
}

static void vsh_free_page(void *page)
{
	free_page((unsigned long)page);
}

struct vsh_dma {
	struct vpm *m;
	struct vhost_iotlb *iotlb;
};

static void vsh_dma_release(void *data)
{
	struct vsh_dma *d = data;
	unsigned long flags;

	spin_lock_irqsave(&d->m->lock, flags);
	d->m->dma_iotlb = NULL;
	spin_unlock_irqrestore(&d->m->lock, flags);
	vhost_iotlb_free(d->iotlb);
}

/*
 * The model translates through an iotlb: identity below 4 GiB (the
 * driver's own rings, DMA API memory) and the client's rings at VSH_IOVA.
 * Released after the device's reset, before the model goes.
 */
static void vsh_model_iotlb(struct vsh *s, phys_addr_t pa)
{
	struct kunit *test = s->test;
	struct vsh_dma *d;
	unsigned long flags;

	d = kunit_kzalloc(test, sizeof(*d), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, d);
	d->m = s->m;
	d->iotlb = vhost_iotlb_alloc(16, 0);
	KUNIT_ASSERT_NOT_NULL(test, d->iotlb);
	KUNIT_ASSERT_EQ(test, vhost_iotlb_add_range(d->iotlb, 0, SZ_4G - 1, 0,
						    VHOST_MAP_RW), 0);
	KUNIT_ASSERT_EQ(test, vhost_iotlb_add_range(d->iotlb, VSH_IOVA,
						    VSH_IOVA + VSH_MEM - 1, pa,
						    VHOST_MAP_RW), 0);
	spin_lock_irqsave(&d->m->lock, flags);
	d->m->dma_iotlb = d->iotlb;
	spin_unlock_irqrestore(&d->m->lock, flags);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, vsh_dma_release,
							d), 0);
}

static void vsh_reset_action(void *data)
{
	struct vdpa_device *vdpa = data;

	vdpa->config->reset(vdpa);
}

static void vsh_ring_init(struct vsh *s, u16 idx, u16 base)
{
	struct vsh_ring *r = &s->r[idx];

	memset(r->mem, 0, VSH_RING_MEM);
	vring_init(&r->vr, VSH_QSZ, r->mem, VSH_ALIGN);
	r->next = base;
	r->used = base;
	r->inflight = 0;
	r->no_cb = false;
	/* As a previous device left it: everything up to @base was used. */
	r->vr.avail->idx = __cpu_to_virtio16(true, base);
	r->vr.used->idx = __cpu_to_virtio16(true, base);
	vring_used_event(&r->vr) = __cpu_to_virtio16(true, base);
}

static void vsh_model_config(struct vpm_config *cfg, bool ring_reset,
			     bool packed)
{
	vpm_default_config(cfg);
	cfg->max_vqp = 1;
	cfg->msix_vectors = 4;
	cfg->queue_size = VSH_QSZ;
	if (ring_reset)
		cfg->features |= BIT_ULL(VIRTIO_F_RING_RESET);
	if (packed)
		cfg->features |= BIT_ULL(VIRTIO_F_RING_PACKED);
}

/*
 * A plain model device, a vDPA device on it with no bus driver, the
 * client's rings mapped; nothing negotiated yet. @ring_reset: the device
 * offers VIRTIO_F_RING_RESET; @packed: it offers packed rings and the
 * client negotiates them.
 */
/* Give the driver ring @i's three areas, as the client sees them. */
static int vsh_set_vq_address(struct vsh *s, u16 i)
{
	struct vsh_ring *r = &s->r[i];

	return s->ops->set_vq_address(s->vdpa, i, r->addr,
				      r->addr + ((u8 *)r->vr.avail - r->mem),
				      r->addr + ((u8 *)r->vr.used - r->mem));
}

/* The avail event the driver wrote into the client's used ring @i. */
static u16 vsh_avail_event(struct vsh *s, u16 i)
{
	return __virtio16_to_cpu(true, vring_avail_event(&s->r[i].vr));
}

static struct vsh *vsh_new_dev(struct kunit *test, const struct vsh_opts *o,
			       bool ring_reset, bool packed)
{
	struct vsh *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	struct vpt_add_attrs a = { .has_features = true };
	struct vhost_iotlb *iotlb;
	struct vpm_config cfg;
	phys_addr_t pa;
	u64 offered;
	u16 i;

	KUNIT_ASSERT_NOT_NULL(test, s);
	s->test = test;
	s->o = o;
	/* The memory first: it goes after the device was reset. */
	s->mem = alloc_pages_exact(VSH_MEM, GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_NOT_NULL(test, s->mem);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, vsh_free_mem,
							s->mem), 0);
	s->page = (char *)get_zeroed_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s->page);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, vsh_free_page,
							s->page), 0);
	pa = virt_to_phys(s->mem);

	vsh_model_config(&cfg, ring_reset, packed);
	if (o->mappable)
		cfg.notify_mult = PAGE_SIZE;
	if (o->dev_qsz)
		cfg.queue_size = o->dev_qsz;
	if (o->shared_irq)
		cfg.msix_vectors = 1;
	s->e = vpt_env_new(test, &cfg);
	s->m = s->e->m;
	vsh_model_iotlb(s, pa);
	a.features = s->e->parent->supported_features & ~VPT_SHADOW_FEATURES_OFF;
	if (!packed)
		a.features &= ~BIT_ULL(VIRTIO_F_RING_PACKED);
	KUNIT_ASSERT_EQ(test, vpt_add(s->e, &a), 0);
	s->vdpa = vpt_vdpa(s->e);
	KUNIT_ASSERT_NOT_NULL(test, s->vdpa);
	KUNIT_ASSERT_NULL(test, s->vdpa->dev.driver);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, vsh_reset_action,
							s->vdpa), 0);
	s->ops = s->vdpa->config;
	s->dev = vdpa_to_vp_svq(s->vdpa);

	/* The client's mapping, as dma_map() records it (no IOMMU in UML). */
	mutex_lock(&s->dev->as_lock);
	iotlb = s->dev->as[s->dev->group_asid[VP_SVQ_GROUP_DATA]];
	KUNIT_EXPECT_EQ(test, vhost_iotlb_add_range(iotlb, VSH_IOVA,
						    VSH_IOVA + VSH_MEM - 1,
						    pa, VHOST_MAP_RW), 0);
	mutex_unlock(&s->dev->as_lock);

	offered = s->ops->get_device_features(s->vdpa);
	KUNIT_ASSERT_TRUE(test, offered & BIT_ULL(VIRTIO_RING_F_EVENT_IDX));
	KUNIT_ASSERT_TRUE(test, offered & BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC));
	KUNIT_ASSERT_EQ(test, !!(offered & BIT_ULL(VIRTIO_F_RING_PACKED)), packed);
	KUNIT_ASSERT_FALSE(test, offered & BIT_ULL(VIRTIO_NET_F_CTRL_VQ));
	s->features = offered;
	if (!o->event_idx)
		s->features &= ~BIT_ULL(VIRTIO_RING_F_EVENT_IDX);
	if (!o->indirect)
		s->features &= ~BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC);
	s->per = o->indirect ? 1 : 2;
	s->nbufs = VSH_QSZ / s->per;
	for (i = 0; i < VSH_NVQS; i++) {
		s->r[i].mem = s->mem + o->ring_off + i * VSH_RING_MEM;
		s->r[i].addr = VSH_IOVA + o->ring_off + i * VSH_RING_MEM;
		vsh_ring_init(s, i, 0);
	}
	return s;
}

/* The client drops (@map false) or makes again its data mapping. */
static void vsh_client_map(struct vsh *s, bool map)
{
	struct vhost_iotlb *as = s->dev->as[s->dev->group_asid[VP_SVQ_GROUP_DATA]];

	mutex_lock(&s->dev->as_lock);
	if (map)
		KUNIT_EXPECT_EQ(s->test, vhost_iotlb_add_range(as, VSH_IOVA,
							       VSH_IOVA + VSH_MEM - 1,
							       virt_to_phys(s->mem),
							       VHOST_MAP_RW), 0);
	else
		vhost_iotlb_del_range(as, VSH_IOVA, VSH_IOVA + VSH_MEM - 1);
	mutex_unlock(&s->dev->as_lock);
}

static struct vsh *vsh_new(struct kunit *test, const struct vsh_opts *o)
{
	return vsh_new_dev(test, o, true, false);
}

static irqreturn_t vsh_count_cb(void *data)
{
	atomic_inc(data);
	return IRQ_HANDLED;
}

static u8 vsh_status(struct vsh *s)
{
	return s->ops->get_status(s->vdpa);
}

/* Negotiate up to FEATURES_OK. */
static void vsh_negotiate(struct vsh *s)
{
	struct kunit *test = s->test;

	s->ops->set_status(s->vdpa, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	s->ops->set_status(s->vdpa, VIRTIO_CONFIG_S_ACKNOWLEDGE |
			   VIRTIO_CONFIG_S_DRIVER);
	KUNIT_ASSERT_EQ(test, s->ops->set_driver_features(s->vdpa, s->features), 0);
	s->ops->set_status(s->vdpa, VSH_S_READY);
	KUNIT_ASSERT_EQ(test, vsh_status(s), VSH_S_READY);
}

/*
 * Start the device with the two rings where they stand (r->used). When
 * @restore, each ring's position goes through set_vq_state before
 * DRIVER_OK (what a migration destination does). The status then must be
 * @status.
 */
static void vsh_start_status(struct vsh *s, bool restore, u8 status)
{
	struct kunit *test = s->test;
	struct vdpa_vq_state st, got;
	struct vdpa_callback cb;
	u16 i;

	vsh_negotiate(s);
	cb.callback = vsh_count_cb;
	cb.private = &s->config_calls;
	cb.trigger = NULL;
	s->ops->set_config_cb(s->vdpa, &cb);
	for (i = 0; i < VSH_NVQS; i++) {
		struct vsh_ring *r = &s->r[i];

		s->ops->set_vq_num(s->vdpa, i, VSH_QSZ);
		KUNIT_ASSERT_EQ(test, vsh_set_vq_address(s, i), 0);
		cb.callback = vsh_count_cb;
		cb.private = &s->calls[i];
		cb.trigger = NULL;
		s->ops->set_vq_cb(s->vdpa, i, &cb);
		if (restore) {
			memset(&st, 0, sizeof(st));
			st.split.avail_index = r->used;
			KUNIT_ASSERT_EQ_MSG(test, s->ops->set_vq_state(s->vdpa, i, &st),
					    0, "vq %u at %u", i, r->used);
			memset(&got, 0xff, sizeof(got));
			KUNIT_ASSERT_EQ(test, s->ops->get_vq_state(s->vdpa, i, &got), 0);
			KUNIT_EXPECT_EQ(test, got.split.avail_index, r->used);
		}
		s->ops->set_vq_ready(s->vdpa, i, true);
	}
	s->ops->set_status(s->vdpa, VSH_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_ASSERT_EQ(test, vsh_status(s), status);
}

static void vsh_start(struct vsh *s, bool restore)
{
	vsh_start_status(s, restore, VSH_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
}

/* Back to index 0 on both rings, the frame numbers too (after a reset). */
static void vsh_fresh(struct vsh *s)
{
	vsh_ring_init(s, VSH_RX, 0);
	vsh_ring_init(s, VSH_TX, 0);
	s->tx_seq = 0;
	s->rx_seq = 0;
}

/* Wait for the model's worker (and the interrupts it raises). */
static void vsh_settle(struct vsh *s)
{
	flush_workqueue(s->m->wq);
}

/* --- rings and frames ------------------------------------------------------------- */

static u16 vsh_used_idx(struct vsh_ring *r)
{
	return __virtio16_to_cpu(true, READ_ONCE(r->vr.used->idx));
}

/*
 * Make a buffer available: @frame (@len bytes) readable, or, when @frame
 * is NULL, VSH_BUFSZ writable bytes, poisoned. Two descriptors: chained in
 * the ring's table, or in an indirect table.
 */
static void vsh_post(struct vsh *s, struct vsh_ring *r, const u8 *frame,
		     u32 len)
{
	u16 slot = r->next % s->nbufs, head = slot * s->per;
	u64 baddr = r->addr + VSH_BUFS + slot * VSH_BUFSZ;
	u8 *buf = r->mem + VSH_BUFS + slot * VSH_BUFSZ;
	u16 w = frame ? 0 : VRING_DESC_F_WRITE;
	u32 blen = frame ? len : VSH_BUFSZ;
	struct vring_desc *t;

	KUNIT_ASSERT_LT(s->test, r->inflight, s->nbufs);
	KUNIT_ASSERT_GT(s->test, blen, VSH_HDR);
	if (frame)
		memcpy(buf, frame, len);
	else
		memset(buf, VSH_POISON, VSH_BUFSZ);
	if (s->o->indirect)
		t = (struct vring_desc *)(r->mem + VSH_INDIR) + 2 * slot;
	else
		t = &r->vr.desc[head];
	t[0].addr = __cpu_to_virtio64(true, baddr);
	t[0].len = __cpu_to_virtio32(true, VSH_HDR);
	t[0].flags = __cpu_to_virtio16(true, w | VRING_DESC_F_NEXT);
	t[0].next = __cpu_to_virtio16(true, s->o->indirect ? 1 : head + 1);
	t[1].addr = __cpu_to_virtio64(true, baddr + VSH_HDR);
	t[1].len = __cpu_to_virtio32(true, blen - VSH_HDR);
	t[1].flags = __cpu_to_virtio16(true, w);
	t[1].next = 0;
	if (s->o->indirect) {
		r->vr.desc[head].addr =
			__cpu_to_virtio64(true, r->addr + VSH_INDIR +
					  2 * slot * sizeof(*t));
		r->vr.desc[head].len = __cpu_to_virtio32(true, 2 * sizeof(*t));
		r->vr.desc[head].flags = __cpu_to_virtio16(true,
							   VRING_DESC_F_INDIRECT);
		r->vr.desc[head].next = 0;
	}
	r->vr.avail->ring[r->next % VSH_QSZ] = __cpu_to_virtio16(true, head);
	/* The entry before the index that publishes it. */
	wmb();
	r->next++;
	WRITE_ONCE(r->vr.avail->idx, __cpu_to_virtio16(true, r->next));
	r->inflight++;
}

/*
 * Offer head @head @n times from @r->next on, outside the test's own
 * bookkeeping (@r->next and the buffers in flight stay): what a client
 * that breaks the rules does.
 */
static void vsh_offer_raw(struct vsh_ring *r, u16 head, u16 n)
{
	u16 i;

	for (i = 0; i < n; i++)
		r->vr.avail->ring[(r->next + i) % VSH_QSZ] =
			__cpu_to_virtio16(true, head);
	/* The entries (and their chains) before the index that publishes them. */
	wmb();
	WRITE_ONCE(r->vr.avail->idx, __cpu_to_virtio16(true, r->next + n));
}

/* Take the next used buffer: its slot and length. Checks the head. */
static bool vsh_get_used(struct vsh *s, struct vsh_ring *r, u16 *slot,
			 u32 *len)
{
	u32 id;

	if (vsh_used_idx(r) == r->used)
		return false;
	/* The entry only after the index that published it. */
	rmb();
	id = __virtio32_to_cpu(true, r->vr.used->ring[r->used % VSH_QSZ].id);
	*len = __virtio32_to_cpu(true, r->vr.used->ring[r->used % VSH_QSZ].len);
	/* In order: the buffer made available at this index. */
	KUNIT_EXPECT_EQ_MSG(s->test, id, (u32)(r->used % s->nbufs) * s->per,
			    "used entry %u", r->used);
	*slot = id / s->per;
	r->used++;
	KUNIT_EXPECT_GT(s->test, r->inflight, 0);
	r->inflight--;
	if (s->o->event_idx && !r->no_cb)
		vring_used_event(&r->vr) = __cpu_to_virtio16(true, r->used);
	return true;
}

static u32 vsh_frame_len(u32 seq)
{
	return 60 + (seq * 13) % 150;
}

static u8 vsh_frame_byte(u32 seq, u32 i)
{
	return seq * 7 + i * 3 + 1;
}

static u32 vsh_build_frame(u8 *buf, u32 seq)
{
	u32 len = vsh_frame_len(seq), i;
	u8 *p = buf + VSH_HDR;

	memset(buf, 0, VSH_HDR);
	put_unaligned_le32(seq, p);
	for (i = 4; i < len; i++)
		p[i] = vsh_frame_byte(seq, i);
	return VSH_HDR + len;
}

static bool vsh_frame_ok(struct vsh *s, const u8 *buf, u32 len)
{
	const struct virtio_net_hdr_mrg_rxbuf *hdr = (const void *)buf;
	u32 seq = s->rx_seq, flen = vsh_frame_len(seq), i;
	const u8 *p = buf + VSH_HDR;

	if (len != VSH_HDR + flen || le16_to_cpu(hdr->num_buffers) != 1 ||
	    get_unaligned_le32(p) != seq)
		return false;
	for (i = 4; i < flen; i++)
		if (p[i] != vsh_frame_byte(seq, i))
			return false;
	/* Nothing written past the frame. */
	return buf[len] == VSH_POISON;
}

/* Post @n numbered frames on TX; no kick. */
static void vsh_send(struct vsh *s, unsigned int n)
{
	u8 frame[VSH_BUFSZ];
	u32 len;

	while (n--) {
		len = vsh_build_frame(frame, s->tx_seq++);
		vsh_post(s, &s->r[VSH_TX], frame, len);
	}
}

static void vsh_fill_rx(struct vsh *s)
{
	while (s->r[VSH_RX].inflight < s->nbufs)
		vsh_post(s, &s->r[VSH_RX], NULL, 0);
}

static void vsh_kick(struct vsh *s, u16 idx)
{
	s->ops->kick_vq(s->vdpa, idx);
}

/*
 * Take every used buffer: TX back, RX frames checked and given back to
 * the ring (no kick). Returns the frames received.
 */
static unsigned int vsh_reap(struct vsh *s)
{
	struct vsh_ring *rx = &s->r[VSH_RX], *tx = &s->r[VSH_TX];
	unsigned int got = 0;
	u16 slot;
	u32 len;

	while (vsh_get_used(s, tx, &slot, &len))
		KUNIT_EXPECT_EQ(s->test, len, 0);
	while (vsh_get_used(s, rx, &slot, &len)) {
		if (!vsh_frame_ok(s, rx->mem + VSH_BUFS + slot * VSH_BUFSZ, len) &&
		    !s->rx_bad++)
			kunit_err(s->test, "frame %u wrong (len %u)\n", s->rx_seq,
				  len);
		s->rx_seq++;
		got++;
		vsh_post(s, rx, NULL, 0);
	}
	return got;
}

static void vsh_expect_stream_whole(struct vsh *s)
{
	KUNIT_EXPECT_EQ(s->test, s->rx_bad, 0);
	KUNIT_EXPECT_EQ(s->test, s->rx_seq, s->tx_seq);
	KUNIT_EXPECT_EQ(s->test, s->m->rx_dropped, 0);
}

/* @n frames through the loopback, in batches the rings hold. */
static void vsh_traffic(struct vsh *s, unsigned int n)
{
	unsigned int batch;

	while (n) {
		batch = min_t(unsigned int, n, s->nbufs / 2);
		vsh_send(s, batch);
		vsh_kick(s, VSH_RX);
		vsh_kick(s, VSH_TX);
		vsh_settle(s);
		KUNIT_EXPECT_EQ(s->test, vsh_reap(s), batch);
		n -= batch;
	}
	vsh_expect_stream_whole(s);
}

/* Does vp_svq_shadow_show() say "@idx @want" for queue @idx? */
static bool vsh_mode_is(struct vsh *s, u16 idx, const char *want)
{
	char line[48];
	int n;

	memset(s->page, 0, PAGE_SIZE);
	vp_svq_shadow_show(s->dev, s->page);
	n = snprintf(line, sizeof(line), "\n%u %s\n", idx, want);
	/* The first line has no newline before it. */
	return !strncmp(s->page, line + 1, n - 1) || strstr(s->page, line);
}

static void vsh_expect_mode(struct vsh *s, const char *want)
{
	u16 i;

	for (i = 0; i < VSH_NVQS; i++)
		KUNIT_EXPECT_TRUE_MSG(s->test, vsh_mode_is(s, i, want),
				      "vq %u is not \"%s\":%s", i, want, s->page);
}

/* get_vq_state of queue @idx succeeds with @want. */
static void vsh_expect_state(struct vsh *s, u16 idx, u16 want)
{
	struct vdpa_vq_state st;

	memset(&st, 0xff, sizeof(st));
	KUNIT_ASSERT_EQ_MSG(s->test, s->ops->get_vq_state(s->vdpa, idx, &st), 0,
			    "vq %u", idx);
	KUNIT_EXPECT_EQ_MSG(s->test, st.split.avail_index, want, "vq %u", idx);
}

/* Each ring's state is its used index (what the client consumed). */
static void vsh_expect_states_used(struct vsh *s)
{
	u16 i;

	for (i = 0; i < VSH_NVQS; i++) {
		KUNIT_EXPECT_EQ(s->test, vsh_used_idx(&s->r[i]), s->r[i].used);
		vsh_expect_state(s, i, s->r[i].used);
	}
}

static void vsh_expect_clean(struct vsh *s)
{
	KUNIT_EXPECT_EQ_MSG(s->test, s->m->violations, 0, "%s", s->m->violation);
	KUNIT_EXPECT_EQ(s->test, s->m->dma_faults, 0);
	KUNIT_EXPECT_EQ(s->test, s->m->bad_access, 0);
}

/*
 * A reset recovers whatever state the test left: the rings start again at
 * 0 in passthrough and carry @frames frames whole.
 */
static void vsh_expect_recovers(struct vsh *s, unsigned int frames)
{
	KUNIT_ASSERT_EQ(s->test, s->ops->reset(s->vdpa), 0);
	vsh_fresh(s);
	vsh_start(s, false);
	vsh_fill_rx(s);
	vsh_kick(s, VSH_RX);
	vsh_traffic(s, frames);
	vsh_expect_clean(s);
}

/* Vendor counter @name of queue @idx ("vdpa dev vstats"), or U64_MAX. */
static u64 vsh_stat(struct vsh *s, u16 idx, const char *name)
{
	struct sk_buff *msg = nlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	const char *last = NULL;
	u64 val = U64_MAX;
	struct nlattr *a;
	int rem;

	KUNIT_ASSERT_NOT_NULL(s->test, msg);
	KUNIT_EXPECT_EQ(s->test, s->ops->get_vendor_vq_stats(s->vdpa, idx, msg,
							     NULL), 0);
	nla_for_each_attr(a, (struct nlattr *)msg->data, msg->len, rem) {
		if (nla_type(a) == VDPA_ATTR_DEV_VENDOR_ATTR_NAME)
			last = nla_data(a);
		else if (nla_type(a) == VDPA_ATTR_DEV_VENDOR_ATTR_VALUE && last &&
			 !strcmp(last, name))
			val = nla_get_u64(a);
	}
	nlmsg_free(msg);
	return val;
}

/* Hold completions back; release them @ms later from a work item. */
struct vsh_release {
	struct delayed_work work;
	struct vpm *m;
};

static void vsh_release_fn(struct work_struct *work)
{
	struct vsh_release *rel = container_of(to_delayed_work(work),
					       struct vsh_release, work);

	vpm_set_stall(rel->m, false);
}

/*
 * Suspend with the model holding every completion for @hold_ms (0: until
 * after suspend returned). Returns suspend's result; *@released says
 * whether the hold ended while suspend waited.
 */
static int vsh_suspend_held(struct vsh *s, unsigned int hold_ms,
			    bool *released)
{
	struct vsh_release rel = { .m = s->m };
	bool pending = false;
	int ret;

	INIT_DELAYED_WORK_ONSTACK(&rel.work, vsh_release_fn);
	if (hold_ms)
		schedule_delayed_work(&rel.work, msecs_to_jiffies(hold_ms));
	ret = s->ops->suspend(s->vdpa);
	if (hold_ms)
		pending = cancel_delayed_work_sync(&rel.work);
	destroy_delayed_work_on_stack(&rel.work);
	*released = hold_ms && !pending;
	return ret;
}

/* --- suspend and resume -------------------------------------------------------------- */

static const struct vsh_opts vsh_suspend_params[] = {
	{ "chained descriptors", false, false, 0, 0 },
	{ "event index", true, false, 0, 0 },
	{ "indirect, event index", true, true, 0, 0 },
};

static void vsh_opts_desc(const struct vsh_opts *o, char *desc)
{
	strscpy(desc, o->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(vsh_suspend, vsh_suspend_params, vsh_opts_desc);

/*
 * Suspend under traffic: TX frames held in flight (released while suspend
 * waits), RX buffers the device holds. Suspend completes the TX frames,
 * resets the queues; each stands at its used index; nothing is consumed
 * or signalled while suspended; resume continues in shadow mode.
 */
static void vsh_suspend_resume(struct kunit *test)
{
	const struct vsh_opts *o = test->param_value;
	struct vsh *s = vsh_new(test, o);
	struct vpm *m = s->m;
	unsigned int calls[VSH_NVQS], kicks[VSH_NVQS], completed[VSH_NVQS];
	unsigned int frames, resets;
	bool released;
	u16 i;

	vsh_start(s, false);
	vsh_expect_mode(s, "passthrough");
	KUNIT_EXPECT_EQ(test, vsh_stat(s, VSH_TX, "shadow"), 0);
	/* Passthrough: the device runs the client's rings. */
	KUNIT_EXPECT_EQ(test, m->q[VSH_TX].desc, s->r[VSH_TX].addr);
	vsh_fill_rx(s);
	vsh_kick(s, VSH_RX);
	/* Past the ring size: indices wrapped around the ring. */
	vsh_traffic(s, 20);
	KUNIT_EXPECT_GT(test, atomic_read(&s->calls[VSH_RX]), 0);
	KUNIT_EXPECT_GT(test, atomic_read(&s->calls[VSH_TX]), 0);

	/* Running: the state is not the client's to set. */
	KUNIT_EXPECT_EQ(test, s->ops->set_vq_state(s->vdpa, VSH_TX,
						   &(struct vdpa_vq_state){}),
			-EBUSY);
	/* Three frames in flight: the device holds them. */
	vpm_set_stall(m, true);
	completed[VSH_TX] = m->q[VSH_TX].completed;
	vsh_send(s, 3);
	vsh_kick(s, VSH_TX);
	vsh_settle(s);
	KUNIT_EXPECT_EQ(test, m->q[VSH_TX].completed, completed[VSH_TX]);
	for (i = 0; i < VSH_NVQS; i++)
		calls[i] = atomic_read(&s->calls[i]);
	resets = m->resets;
	KUNIT_ASSERT_EQ(test, vsh_suspend_held(s, VSH_HOLD_MS, &released), 0);
	KUNIT_EXPECT_TRUE_MSG(test, released,
			      "suspend returned with TX completions held");
	if (!released)
		vpm_set_stall(m, false);
	/*
	 * The frames in flight were completed before suspend returned (the
	 * model's own counters went with the queue reset).
	 */
	KUNIT_EXPECT_EQ(test, vsh_used_idx(&s->r[VSH_TX]),
			(u16)(s->r[VSH_TX].used + 3));
	KUNIT_EXPECT_EQ(test, vsh_reap(s), 3);
	vsh_expect_stream_whole(s);
	KUNIT_EXPECT_EQ(test, s->r[VSH_TX].inflight, 0);
	/* The queues were reset in the device, not the device itself. */
	KUNIT_EXPECT_FALSE(test, m->q[VSH_RX].enabled);
	KUNIT_EXPECT_FALSE(test, m->q[VSH_TX].enabled);
	KUNIT_EXPECT_EQ(test, m->resets, resets);
	KUNIT_EXPECT_TRUE(test, m->status & VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_EXPECT_EQ(test, vsh_status(s),
			VSH_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	vsh_expect_states_used(s);
	KUNIT_EXPECT_EQ(test, s->r[VSH_RX].used, 23);

	/* Suspended: TX and RX posted and kicked are not consumed. */
	for (i = 0; i < VSH_NVQS; i++) {
		kicks[i] = m->q[i].kicks;
		completed[i] = m->q[i].completed;
	}
	frames = m->rx_frames;
	vsh_send(s, 4);
	vsh_kick(s, VSH_RX);
	vsh_kick(s, VSH_TX);
	vsh_settle(s);
	msleep(20);
	vsh_settle(s);
	for (i = 0; i < VSH_NVQS; i++) {
		KUNIT_EXPECT_EQ_MSG(test, m->q[i].kicks, kicks[i],
				    "vq %u: a kick reached the device", i);
		KUNIT_EXPECT_EQ(test, m->q[i].completed, completed[i]);
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&s->calls[i]), calls[i],
				    "vq %u called back while suspended", i);
	}
	KUNIT_EXPECT_EQ(test, m->rx_frames, frames);
	KUNIT_EXPECT_EQ(test, vsh_reap(s), 0);
	/* The used index, not the avail index the client wrote. */
	vsh_expect_states_used(s);
	KUNIT_EXPECT_EQ(test, (u16)(s->r[VSH_TX].next - s->r[VSH_TX].used), 4);

	/* Resume: shadow mode, the frames posted go through, once. */
	KUNIT_ASSERT_EQ(test, s->ops->resume(s->vdpa), 0);
	vsh_expect_mode(s, "shadow resumed");
	vsh_settle(s);
	KUNIT_EXPECT_NE(test, m->q[VSH_TX].desc, s->r[VSH_TX].addr);
	KUNIT_EXPECT_TRUE(test, m->q[VSH_TX].enabled);
	KUNIT_EXPECT_EQ(test, vsh_reap(s), 4);
	vsh_expect_stream_whole(s);
	vsh_traffic(s, 20);
	for (i = 0; i < VSH_NVQS; i++)
		KUNIT_EXPECT_GT_MSG(test, atomic_read(&s->calls[i]), calls[i],
				    "vq %u: no callback after resume", i);
	/* What the shadow forwarded: 24 frames, and the used entries back. */
	KUNIT_EXPECT_EQ(test, vsh_stat(s, VSH_TX, "shadow"), 1);
	KUNIT_EXPECT_EQ(test, vsh_stat(s, VSH_TX, "shadow_avail"), 24);
	KUNIT_EXPECT_EQ(test, vsh_stat(s, VSH_TX, "shadow_used"), 24);
	KUNIT_EXPECT_EQ(test, vsh_stat(s, VSH_RX, "shadow_used"), 24);
	KUNIT_EXPECT_EQ(test, s->r[VSH_TX].used, 47);
	KUNIT_EXPECT_FALSE(test, s->dev->vqs[VSH_TX].shadow.broken);

	/* Suspend and resume again, from shadow mode. */
	KUNIT_ASSERT_EQ(test, s->ops->suspend(s->vdpa), 0);
	vsh_expect_states_used(s);
	KUNIT_ASSERT_EQ(test, s->ops->resume(s->vdpa), 0);
	vsh_expect_mode(s, "shadow resumed");
	vsh_traffic(s, 10);
	vsh_expect_clean(s);
}

/*
 * TX frames the device never completes: suspend waits its bound (100 ms),
 * not more, and the queue stands at the used index: the frames are offered
 * again at resume and go through exactly once.
 */
static void vsh_suspend_tx_stuck(struct kunit *test)
{
	static const struct vsh_opts o = { "stuck", false, false, 0, 0 };
	struct vsh *s = vsh_new(test, &o);
	struct vpm *m = s->m;
	unsigned int completed;
	bool released;
	ktime_t t0;
	s64 ms;

	vsh_start(s, false);
	vsh_fill_rx(s);
	vsh_kick(s, VSH_RX);
	vsh_traffic(s, 5);
	vpm_set_stall(m, true);
	completed = m->q[VSH_TX].completed;
	vsh_send(s, 2);
	vsh_kick(s, VSH_TX);
	vsh_settle(s);
	t0 = ktime_get();
	KUNIT_EXPECT_EQ(test, vsh_suspend_held(s, 0, &released), 0);
	ms = ktime_ms_delta(ktime_get(), t0);
	KUNIT_EXPECT_GE(test, ms, 100);
	KUNIT_EXPECT_LT(test, ms, 1000);
	vpm_set_stall(m, false);
	vsh_settle(s);
	/* Never completed; the queue reset zeroed the model's counters. */
	KUNIT_EXPECT_EQ(test, completed, 5);
	KUNIT_EXPECT_EQ(test, m->q[VSH_TX].completed, 0);
	KUNIT_EXPECT_EQ(test, vsh_used_idx(&s->r[VSH_TX]), 5);
	KUNIT_EXPECT_EQ(test, vsh_reap(s), 0);
	vsh_expect_states_used(s);
	KUNIT_EXPECT_EQ(test, s->r[VSH_TX].used, 5);
	KUNIT_EXPECT_EQ(test, s->r[VSH_TX].next, 7);

	KUNIT_ASSERT_EQ(test, s->ops->resume(s->vdpa), 0);
	vsh_settle(s);
	KUNIT_EXPECT_EQ(test, vsh_reap(s), 2);
	vsh_expect_stream_whole(s);
	vsh_traffic(s, 6);

	/* Again from shadow mode: forwarded, never used, offered again. */
	vpm_set_stall(m, true);
	vsh_send(s, 3);
	vsh_kick(s, VSH_TX);
	vsh_settle(s);
	KUNIT_EXPECT_EQ(test, s->dev->vqs[VSH_TX].shadow.avail, 8 + 3);
	t0 = ktime_get();
	KUNIT_EXPECT_EQ(test, vsh_suspend_held(s, 0, &released), 0);
	ms = ktime_ms_delta(ktime_get(), t0);
	KUNIT_EXPECT_GE(test, ms, 100);
	KUNIT_EXPECT_LT(test, ms, 1000);
	vpm_set_stall(m, false);
	vsh_settle(s);
	vsh_expect_states_used(s);
	KUNIT_EXPECT_EQ(test, s->r[VSH_TX].used, 13);
	KUNIT_ASSERT_EQ(test, s->ops->resume(s->vdpa), 0);
	vsh_settle(s);
	KUNIT_EXPECT_EQ(test, vsh_reap(s), 3);
	vsh_traffic(s, 4);
	vsh_expect_clean(s);
}

/* --- restore at any index ------------------------------------------------------------ */

static const struct vsh_opts vsh_restore_params[] = {
	{ "1000/300", false, false, 1000, 300 },
	{ "1000/300, indirect, event index", true, true, 1000, 300 },
	{ "65530/65533: indices wrap, indirect", false, true, 65530, 65533 },
	{ "65531/65535: indices wrap, event index", true, false, 65531, 65535 },
	{ "2000/2, device queues of 256", true, false, 2000, 2, false, 256 },
	{ "3/4, one shared vector", false, false, 3, 4, false, 0, true },
	/* RX: the used ring (at 0xea0 + 0x128) straddles a page boundary. */
	{ "500/600, used ring across pages, event index", true, false, 500, 600,
	  false, 0, false, false, 0xea0 },
};

KUNIT_ARRAY_PARAM(vsh_restore, vsh_restore_params, vsh_opts_desc);

/*
 * A destination: each ring set to a non-initial index before DRIVER_OK
 * runs in shadow mode; frames cross the loopback byte-exact, the device
 * counts from 0 while the client's indices continue (and wrap), and the
 * device's descriptor table is the client's, copied unchanged.
 */
static void vsh_restore(struct kunit *test)
{
	const struct vsh_opts *o = test->param_value;
	struct vsh *s = vsh_new(test, o);
	struct vpm *m = s->m;
	struct vp_svq_shadow *sh;
	unsigned int i, d;

	vsh_ring_init(s, VSH_RX, o->rx_base);
	vsh_ring_init(s, VSH_TX, o->tx_base);
	vsh_start(s, true);
	vsh_expect_mode(s, "shadow restored");
	for (i = 0; i < VSH_NVQS; i++) {
		KUNIT_EXPECT_NE(test, m->q[i].desc, s->r[i].addr);
		KUNIT_EXPECT_EQ(test, m->q[i].size, VSH_QSZ);
	}
	vsh_fill_rx(s);
	vsh_kick(s, VSH_RX);
	vsh_traffic(s, 40);
	KUNIT_EXPECT_EQ(test, vsh_used_idx(&s->r[VSH_RX]), (u16)(o->rx_base + 40));
	KUNIT_EXPECT_EQ(test, vsh_used_idx(&s->r[VSH_TX]), (u16)(o->tx_base + 40));
	/* The device's own rings count from 0. */
	KUNIT_EXPECT_EQ(test, m->q[VSH_TX].used_idx, 40);
	KUNIT_EXPECT_EQ(test, m->q[VSH_RX].used_idx, 40);
	KUNIT_EXPECT_EQ(test, m->rx_frames, 40);
	if (o->indirect)
		KUNIT_EXPECT_GE(test, m->indirect_bufs, 80);
	else
		KUNIT_EXPECT_EQ(test, m->indirect_bufs, 0);
	for (i = 0; i < VSH_NVQS; i++) {
		struct vsh_ring *r = &s->r[i];

		sh = &s->dev->vqs[i].shadow;
		KUNIT_EXPECT_GT_MSG(test, atomic_read(&s->calls[i]), 0, "vq %u", i);
		KUNIT_EXPECT_FALSE(test, sh->broken);
		/* Descriptors as the client wrote them. */
		for (d = 0; d < VSH_QSZ; d++)
			KUNIT_EXPECT_EQ_MSG(test, memcmp(&sh->ring.desc[d],
							 &r->vr.desc[d],
							 sizeof(r->vr.desc[d])), 0,
					    "vq %u desc %u", i, d);
		/* Every kick is wanted: nothing suppressed toward the client. */
		KUNIT_EXPECT_EQ(test, __virtio16_to_cpu(true, r->vr.used->flags), 0);
	}
	/* Event index: the next kick is wanted at once (TX was kicked last). */
	if (o->event_idx)
		KUNIT_EXPECT_EQ(test, vsh_avail_event(s, VSH_TX),
				s->r[VSH_TX].next);

	/* Suspend: the state is the client's index; resume goes on. */
	KUNIT_ASSERT_EQ(test, s->ops->suspend(s->vdpa), 0);
	vsh_expect_states_used(s);
	KUNIT_EXPECT_EQ(test, s->r[VSH_TX].used, (u16)(o->tx_base + 40));
	KUNIT_ASSERT_EQ(test, s->ops->resume(s->vdpa), 0);
	vsh_expect_mode(s, "shadow resumed");
	vsh_traffic(s, 10);
	KUNIT_EXPECT_EQ(test, vsh_used_idx(&s->r[VSH_TX]), (u16)(o->tx_base + 50));
	vsh_expect_clean(s);
}

/*
 * Without RING_RESET: a restore needs no queue reset (shadow mode from
 * DRIVER_OK); suspend resets the whole device after the TX drain, resume
 * starts it again with the queues in shadow mode. A running queue's state
 * cannot be read (no way to stop it alone).
 */
static void vsh_no_ring_reset(struct kunit *test)
{
	static const struct vsh_opts o = { "no ring reset", false, false, 0, 0 };
	struct vsh *s = vsh_new_dev(test, &o, false, false);
	struct vpm *m = s->m;
	struct vdpa_vq_state st;
	unsigned int completed, resets;

	vsh_ring_init(s, VSH_RX, 7);
	vsh_ring_init(s, VSH_TX, 9);
	vsh_start(s, true);
	vsh_expect_mode(s, "shadow restored");
	vsh_fill_rx(s);
	vsh_kick(s, VSH_RX);
	vsh_traffic(s, 20);
	KUNIT_EXPECT_EQ(test, s->r[VSH_TX].used, 29);
	KUNIT_EXPECT_EQ(test, s->ops->get_vq_state(s->vdpa, VSH_TX, &st),
			-EOPNOTSUPP);
	KUNIT_EXPECT_TRUE(test, m->q[VSH_TX].enabled);

	resets = m->resets;
	KUNIT_ASSERT_EQ(test, s->ops->suspend(s->vdpa), 0);
	KUNIT_EXPECT_GT(test, m->resets, resets);
	KUNIT_EXPECT_EQ(test, vsh_status(s),
			VSH_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	vsh_expect_states_used(s);
	completed = m->q[VSH_TX].completed;
	vsh_send(s, 3);
	vsh_kick(s, VSH_RX);
	vsh_kick(s, VSH_TX);
	vsh_settle(s);
	KUNIT_EXPECT_EQ(test, m->q[VSH_TX].completed, completed);
	KUNIT_EXPECT_EQ(test, vsh_reap(s), 0);
	vsh_expect_states_used(s);

	KUNIT_ASSERT_EQ(test, s->ops->resume(s->vdpa), 0);
	KUNIT_EXPECT_TRUE(test, m->status & VIRTIO_CONFIG_S_DRIVER_OK);
	vsh_expect_mode(s, "shadow resumed");
	vsh_settle(s);
	KUNIT_EXPECT_EQ(test, vsh_reap(s), 3);
	vsh_traffic(s, 4);
	KUNIT_EXPECT_EQ(test, s->r[VSH_TX].used, 36);
	/* A reset: the position is the client's used index. */
	KUNIT_ASSERT_EQ(test, s->ops->reset(s->vdpa), 0);
	vsh_expect_state(s, VSH_RX, 34);
	vsh_expect_state(s, VSH_TX, 36);
	vsh_expect_clean(s);
}

/* --- event suppression ------------------------------------------------------------------ */

static const struct vsh_opts vsh_event_params[] = {
	{ "flags", false, false, 100, 200 },
	{ "event index", true, false, 100, 200 },
};

KUNIT_ARRAY_PARAM(vsh_event, vsh_event_params, vsh_opts_desc);

/*
 * The client's wishes: no callback while it says so
 * (VRING_AVAIL_F_NO_INTERRUPT, or a used event not crossed), and the used
 * entries still arrive in its used ring.
 */
static void vsh_irq_suppressed(struct kunit *test)
{
	const struct vsh_opts *o = test->param_value;
	struct vsh *s = vsh_new(test, o);
	struct vsh_ring *rx = &s->r[VSH_RX], *tx = &s->r[VSH_TX];
	unsigned int calls[VSH_NVQS], irqs;
	u16 i;

	vsh_ring_init(s, VSH_RX, o->rx_base);
	vsh_ring_init(s, VSH_TX, o->tx_base);
	vsh_start(s, true);
	vsh_fill_rx(s);
	vsh_kick(s, VSH_RX);
	vsh_traffic(s, 2);
	KUNIT_EXPECT_GT(test, atomic_read(&s->calls[VSH_RX]), 0);
	KUNIT_EXPECT_GT(test, atomic_read(&s->calls[VSH_TX]), 0);

	for (i = 0; i < VSH_NVQS; i++) {
		s->r[i].no_cb = true;
		if (o->event_idx)
			/* Just behind: crossed again only after 65535 more. */
			vring_used_event(&s->r[i].vr) =
				__cpu_to_virtio16(true, s->r[i].used - 1);
		else
			s->r[i].vr.avail->flags =
				__cpu_to_virtio16(true, VRING_AVAIL_F_NO_INTERRUPT);
		calls[i] = atomic_read(&s->calls[i]);
	}
	irqs = s->m->q[VSH_TX].interrupts;
	vsh_traffic(s, 3);
	vsh_traffic(s, 3);
	/* The device signalled, the entries arrived, the client was left alone. */
	KUNIT_EXPECT_GT(test, s->m->q[VSH_TX].interrupts, irqs);
	KUNIT_EXPECT_EQ(test, tx->used, (u16)(o->tx_base + 8));
	KUNIT_EXPECT_EQ(test, rx->used, (u16)(o->rx_base + 8));
	for (i = 0; i < VSH_NVQS; i++)
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&s->calls[i]), calls[i],
				    "vq %u called back against its wish", i);

	if (o->event_idx) {
		/* A callback once the entry at used + 1 is written; TX stays quiet. */
		vring_used_event(&rx->vr) = __cpu_to_virtio16(true, rx->used + 1);
		vsh_traffic(s, 1);
		KUNIT_EXPECT_EQ(test, atomic_read(&s->calls[VSH_RX]), calls[VSH_RX]);
		vsh_traffic(s, 1);
		KUNIT_EXPECT_EQ(test, atomic_read(&s->calls[VSH_RX]),
				calls[VSH_RX] + 1);
		vsh_traffic(s, 2);
		KUNIT_EXPECT_EQ(test, atomic_read(&s->calls[VSH_RX]),
				calls[VSH_RX] + 1);
		KUNIT_EXPECT_EQ(test, atomic_read(&s->calls[VSH_TX]), calls[VSH_TX]);
	} else {
		/* Only RX wants them again. */
		rx->vr.avail->flags = 0;
		vsh_traffic(s, 4);
		KUNIT_EXPECT_GT(test, atomic_read(&s->calls[VSH_RX]), calls[VSH_RX]);
		KUNIT_EXPECT_EQ(test, atomic_read(&s->calls[VSH_TX]), calls[VSH_TX]);
	}
	vsh_expect_clean(s);
}

/*
 * The device's wishes: no kick while its used ring says
 * VRING_USED_F_NO_NOTIFY, or its avail event was not crossed. The test
 * writes the flag into the driver's ring as the device would; the model
 * publishes its avail event itself (and none while it is stalled).
 */
static void vsh_kick_suppressed(struct kunit *test)
{
	const struct vsh_opts *o = test->param_value;
	struct vsh *s = vsh_new(test, o);
	struct vp_svq_shadow *sh = &s->dev->vqs[VSH_TX].shadow;
	struct vpm *m = s->m;
	unsigned int kicks, completed;
	u16 avail;

	vsh_ring_init(s, VSH_RX, o->rx_base);
	vsh_ring_init(s, VSH_TX, o->tx_base);
	vsh_start(s, true);
	vsh_fill_rx(s);
	vsh_kick(s, VSH_RX);
	vsh_traffic(s, 2);
	kicks = m->q[VSH_TX].kicks;
	completed = m->q[VSH_TX].completed;

	if (!o->event_idx) {
		WRITE_ONCE(sh->ring.used->flags,
			   __cpu_to_virtio16(true, VRING_USED_F_NO_NOTIFY));
		avail = __virtio16_to_cpu(true, READ_ONCE(sh->ring.avail->idx));
		vsh_send(s, 1);
		vsh_kick(s, VSH_TX);
		vsh_settle(s);
		/* Forwarded, not kicked: the device did not look. */
		KUNIT_EXPECT_EQ(test, __virtio16_to_cpu(true, READ_ONCE(sh->ring.avail->idx)),
				(u16)(avail + 1));
		KUNIT_EXPECT_EQ(test, m->q[VSH_TX].kicks, kicks);
		KUNIT_EXPECT_EQ(test, m->q[VSH_TX].completed, completed);
		WRITE_ONCE(sh->ring.used->flags, 0);
		vsh_send(s, 1);
		vsh_kick(s, VSH_TX);
		vsh_settle(s);
		KUNIT_EXPECT_EQ(test, m->q[VSH_TX].kicks, kicks + 1);
	} else {
		vpm_set_stall(m, true);
		vsh_send(s, 1);
		vsh_kick(s, VSH_TX);
		KUNIT_EXPECT_EQ(test, m->q[VSH_TX].kicks, kicks + 1);
		/* The device has not moved its avail event: no kick wanted. */
		vsh_send(s, 1);
		vsh_kick(s, VSH_TX);
		KUNIT_EXPECT_EQ(test, m->q[VSH_TX].kicks, kicks + 1);
		KUNIT_EXPECT_EQ(test, vsh_avail_event(s, VSH_TX),
				s->r[VSH_TX].next);
		vpm_set_stall(m, false);
		vsh_settle(s);
	}
	KUNIT_EXPECT_EQ(test, vsh_reap(s), 2);
	KUNIT_EXPECT_EQ(test, m->q[VSH_TX].completed, completed + 2);
	kicks = m->q[VSH_TX].kicks;
	vsh_traffic(s, 3);
	KUNIT_EXPECT_EQ(test, m->q[VSH_TX].kicks, kicks + 1);
	vsh_expect_stream_whole(s);
	vsh_expect_clean(s);
}

/* --- reset, and the state of a running queue ---------------------------------------------- */

/*
 * Reset ends shadow mode: the driver's rings are freed, the position is
 * the client's used index, and a new start at the initial state runs the
 * client's rings in the device.
 */
static void vsh_reset_passthrough(struct kunit *test)
{
	static const struct vsh_opts o = { "reset", true, false, 0, 0 };
	struct vsh *s = vsh_new(test, &o);
	struct vpm *m = s->m;
	u16 i;

	KUNIT_EXPECT_FALSE(test, s->dev->force_shadow);
	vsh_ring_init(s, VSH_RX, 500);
	vsh_ring_init(s, VSH_TX, 600);
	vsh_start(s, true);
	vsh_expect_mode(s, "shadow restored");
	vsh_fill_rx(s);
	vsh_kick(s, VSH_RX);
	vsh_traffic(s, 5);

	KUNIT_ASSERT_EQ(test, s->ops->reset(s->vdpa), 0);
	vsh_expect_mode(s, "passthrough");
	for (i = 0; i < VSH_NVQS; i++)
		KUNIT_EXPECT_NULL(test, s->dev->vqs[i].shadow.dring.va);
	vsh_expect_state(s, VSH_RX, 505);
	vsh_expect_state(s, VSH_TX, 605);

	vsh_fresh(s);
	vsh_start(s, false);
	vsh_expect_mode(s, "passthrough");
	for (i = 0; i < VSH_NVQS; i++)
		KUNIT_EXPECT_EQ(test, m->q[i].desc, s->r[i].addr);
	vsh_fill_rx(s);
	vsh_kick(s, VSH_RX);
	vsh_traffic(s, 20);
	KUNIT_EXPECT_EQ(test, m->q[VSH_TX].used_idx, 20);
	vsh_expect_clean(s);
}

/*
 * QEMU 7.2 without SUSPEND: GET_VRING_BASE of every data queue while the
 * device runs, then a reset, then GET_VRING_BASE again. The first read
 * stops the queue, so the reset moves nothing: the same bases, and a
 * destination restored there carries what was posted meanwhile, once.
 */
static void vsh_get_state_running(struct kunit *test)
{
	static const struct vsh_opts o = { "QEMU 7.2", false, false, 0, 0 };
	struct vsh *s = vsh_new(test, &o);
	struct vpm *m = s->m;
	struct vdpa_vq_state st[VSH_NVQS];
	unsigned int completed;
	u16 i;

	vsh_start(s, false);
	vsh_fill_rx(s);
	vsh_kick(s, VSH_RX);
	vsh_traffic(s, 7);
	for (i = 0; i < VSH_NVQS; i++) {
		memset(&st[i], 0xff, sizeof(st[i]));
		KUNIT_ASSERT_EQ(test, s->ops->get_vq_state(s->vdpa, i, &st[i]), 0);
		KUNIT_EXPECT_EQ(test, st[i].split.avail_index, 7);
		KUNIT_EXPECT_FALSE_MSG(test, m->q[i].enabled,
				       "vq %u still runs in the device", i);
	}
	/* Stopped: what is posted now waits. */
	completed = m->q[VSH_TX].completed;
	vsh_send(s, 2);
	vsh_kick(s, VSH_TX);
	vsh_settle(s);
	KUNIT_EXPECT_EQ(test, m->q[VSH_TX].completed, completed);
	KUNIT_EXPECT_EQ(test, vsh_reap(s), 0);
	vsh_expect_states_used(s);

	KUNIT_ASSERT_EQ(test, s->ops->reset(s->vdpa), 0);
	vsh_expect_states_used(s);
	for (i = 0; i < VSH_NVQS; i++) {
		struct vdpa_vq_state again;

		memset(&again, 0xff, sizeof(again));
		KUNIT_ASSERT_EQ(test, s->ops->get_vq_state(s->vdpa, i, &again), 0);
		KUNIT_EXPECT_EQ(test, memcmp(&again, &st[i], sizeof(again)), 0);
	}

	/* Restored where they stood: the two frames, then more. */
	vsh_start(s, true);
	vsh_expect_mode(s, "shadow restored");
	vsh_kick(s, VSH_RX);
	vsh_kick(s, VSH_TX);
	vsh_settle(s);
	KUNIT_EXPECT_EQ(test, vsh_reap(s), 2);
	vsh_traffic(s, 10);
	vsh_expect_clean(s);
}

/*
 * A running queue whose state was read is stopped; vp_svq_get_vq_state()
 * says "it runs again after resume or reset". Resume without a suspend
 * before it.
 */
static void vsh_get_state_then_resume(struct kunit *test)
{
	static const struct vsh_opts o = { "read, resume", false, false, 0, 0 };
	struct vsh *s = vsh_new(test, &o);

	vsh_start(s, false);
	vsh_fill_rx(s);
	vsh_kick(s, VSH_RX);
	vsh_traffic(s, 3);
	vsh_expect_state(s, VSH_TX, 3);
	KUNIT_EXPECT_EQ(test, s->ops->resume(s->vdpa), 0);
	vsh_send(s, 2);
	vsh_kick(s, VSH_TX);
	vsh_settle(s);
	KUNIT_EXPECT_EQ_MSG(test, vsh_reap(s), 2,
			    "TX stopped by get_vq_state does not run after resume");
	vsh_expect_clean(s);
}

/*
 * Set while suspended, a ring's state is where it resumes: here TX skips
 * the first of the three frames posted while suspended (as if it had been
 * sent elsewhere), RX takes the buffers from one further on.
 */
static void vsh_set_state_suspended(struct kunit *test)
{
	static const struct vsh_opts o = { "set while suspended", false, false, 0, 0 };
	struct vsh *s = vsh_new(test, &o);
	struct vsh_ring *tx = &s->r[VSH_TX];
	struct vdpa_vq_state st = {};

	vsh_start(s, false);
	vsh_fill_rx(s);
	vsh_kick(s, VSH_RX);
	vsh_traffic(s, 6);
	KUNIT_ASSERT_EQ(test, s->ops->suspend(s->vdpa), 0);
	vsh_send(s, 3);
	vsh_kick(s, VSH_TX);
	vsh_expect_states_used(s);
	KUNIT_EXPECT_EQ(test, tx->used, 6);

	st.split.avail_index = 7;
	KUNIT_EXPECT_EQ(test, s->ops->set_vq_state(s->vdpa, VSH_TX, &st), 0);
	vsh_expect_state(s, VSH_TX, 7);
	/* The client's view: frame 6 is done, its buffer is free. */
	tx->used = 7;
	tx->inflight--;
	s->rx_seq++;

	KUNIT_ASSERT_EQ(test, s->ops->resume(s->vdpa), 0);
	vsh_settle(s);
	KUNIT_EXPECT_EQ(test, vsh_reap(s), 2);
	KUNIT_EXPECT_EQ(test, vsh_used_idx(tx), 9);
	vsh_expect_stream_whole(s);
	/* The device was given only what followed the new base. */
	KUNIT_EXPECT_EQ(test, s->m->q[VSH_TX].completed, 2);
	vsh_traffic(s, 8);
	vsh_expect_clean(s);
}

/*
 * QEMU with a suspendable device: suspend (frames in flight completed),
 * GET_VRING_BASE, reset; the destination, here the same device, is given
 * those bases before DRIVER_OK and carries what the client posted while
 * suspended, once.
 */
static void vsh_suspend_reset_restore(struct kunit *test)
{
	static const struct vsh_opts o = { "suspend, reset", true, false, 0, 0 };
	struct vsh *s = vsh_new(test, &o);
	struct vdpa_vq_state st[VSH_NVQS], again;
	bool released;
	u16 i;

	vsh_start(s, false);
	vsh_fill_rx(s);
	vsh_kick(s, VSH_RX);
	vsh_traffic(s, 13);
	vpm_set_stall(s->m, true);
	vsh_send(s, 2);
	vsh_kick(s, VSH_TX);
	KUNIT_ASSERT_EQ(test, vsh_suspend_held(s, VSH_HOLD_MS, &released), 0);
	KUNIT_EXPECT_TRUE(test, released);
	if (!released)
		vpm_set_stall(s->m, false);
	KUNIT_EXPECT_EQ(test, vsh_reap(s), 2);
	vsh_send(s, 3);
	vsh_kick(s, VSH_TX);
	for (i = 0; i < VSH_NVQS; i++) {
		KUNIT_ASSERT_EQ(test, s->ops->get_vq_state(s->vdpa, i, &st[i]), 0);
		KUNIT_EXPECT_EQ(test, st[i].split.avail_index, 15);
	}
	KUNIT_ASSERT_EQ(test, s->ops->reset(s->vdpa), 0);
	for (i = 0; i < VSH_NVQS; i++) {
		memset(&again, 0xff, sizeof(again));
		KUNIT_ASSERT_EQ(test, s->ops->get_vq_state(s->vdpa, i, &again), 0);
		KUNIT_EXPECT_EQ(test, memcmp(&again, &st[i], sizeof(again)), 0);
	}
	vsh_start(s, true);
	vsh_expect_mode(s, "shadow restored");
	vsh_kick(s, VSH_RX);
	vsh_kick(s, VSH_TX);
	vsh_settle(s);
	KUNIT_EXPECT_EQ(test, vsh_reap(s), 3);
	vsh_expect_stream_whole(s);
	vsh_traffic(s, 12);
	KUNIT_EXPECT_EQ(test, s->r[VSH_TX].used, 30);
	vsh_expect_clean(s);
}

/*
 * Reading the state of one running queue stops it (here TX, shadowed);
 * a later suspend stops the rest, and resume runs both again.
 */
static void vsh_get_state_then_suspend(struct kunit *test)
{
	static const struct vsh_opts o = { "read, suspend", false, false, 20, 30 };
	struct vsh *s = vsh_new(test, &o);

	vsh_ring_init(s, VSH_RX, o.rx_base);
	vsh_ring_init(s, VSH_TX, o.tx_base);
	vsh_start(s, true);
	vsh_fill_rx(s);
	vsh_kick(s, VSH_RX);
	vsh_traffic(s, 5);
	vsh_expect_state(s, VSH_TX, 35);
	KUNIT_EXPECT_TRUE(test, vsh_mode_is(s, VSH_RX, "shadow restored"));
	vsh_send(s, 2);
	vsh_kick(s, VSH_TX);
	vsh_settle(s);
	KUNIT_EXPECT_EQ(test, vsh_reap(s), 0);
	KUNIT_ASSERT_EQ(test, s->ops->suspend(s->vdpa), 0);
	vsh_expect_states_used(s);
	KUNIT_ASSERT_EQ(test, s->ops->resume(s->vdpa), 0);
	vsh_expect_mode(s, "shadow resumed");
	vsh_settle(s);
	KUNIT_EXPECT_EQ(test, vsh_reap(s), 2);
	vsh_traffic(s, 9);
	KUNIT_EXPECT_EQ(test, s->r[VSH_TX].used, 46);
	vsh_expect_clean(s);
}

/*
 * Suspended, the client enables its queues (after DRIVER_OK, RING_RESET)
 * with buffers already in them: nothing is consumed before resume.
 */
static void vsh_enable_late_suspended(struct kunit *test)
{
	static const struct vsh_opts o = { "late enable", false, false, 0, 0 };
	struct vsh *s = vsh_new(test, &o);
	struct vdpa_callback cb = { .callback = vsh_count_cb };
	struct vpm *m = s->m;
	u16 i;

	vsh_negotiate(s);
	for (i = 0; i < VSH_NVQS; i++) {
		s->ops->set_vq_num(s->vdpa, i, VSH_QSZ);
		KUNIT_ASSERT_EQ(test, vsh_set_vq_address(s, i), 0);
		cb.private = &s->calls[i];
		s->ops->set_vq_cb(s->vdpa, i, &cb);
	}
	s->ops->set_status(s->vdpa, VSH_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_ASSERT_EQ(test, vsh_status(s),
			VSH_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_ASSERT_EQ(test, s->ops->suspend(s->vdpa), 0);
	vsh_fill_rx(s);
	vsh_send(s, 3);
	for (i = 0; i < VSH_NVQS; i++) {
		s->ops->set_vq_ready(s->vdpa, i, true);
		KUNIT_EXPECT_TRUE(test, s->ops->get_vq_ready(s->vdpa, i));
	}
	vsh_kick(s, VSH_RX);
	vsh_kick(s, VSH_TX);
	vsh_settle(s);
	KUNIT_EXPECT_EQ_MSG(test, m->rx_frames, 0,
			    "frames went through while suspended");
	/* Not taken either (the model drops what finds RX stopped). */
	KUNIT_EXPECT_EQ_MSG(test, m->rx_dropped, 0,
			    "TX frames were consumed while suspended");
	KUNIT_EXPECT_EQ(test, vsh_used_idx(&s->r[VSH_TX]), 0);
	KUNIT_EXPECT_EQ(test, vsh_reap(s), 0);
	vsh_expect_states_used(s);
	KUNIT_ASSERT_EQ(test, s->ops->resume(s->vdpa), 0);
	vsh_settle(s);
	KUNIT_EXPECT_EQ(test, vsh_reap(s), 3);
	vsh_traffic(s, 10);
	vsh_expect_clean(s);
}

/*
 * Buffers the client made available before DRIVER_OK (a destination's RX
 * buffers, frames waiting on TX) without a kick afterwards: the model, like
 * a device that looks at its rings when it starts, takes them at DRIVER_OK
 * in passthrough; a ring restored in shadow mode must get them too (an RX
 * ring whose buffers were all posted on the source gets no kick).
 */
static void vsh_restore_pending(struct kunit *test)
{
	static const struct vsh_opts o = { "pending at DRIVER_OK", false, false,
					   1000, 300 };
	struct vsh *s = vsh_new(test, &o);

	/* Passthrough: taken at DRIVER_OK, no kick. */
	vsh_fill_rx(s);
	vsh_send(s, 3);
	vsh_start(s, false);
	vsh_settle(s);
	KUNIT_EXPECT_EQ(test, vsh_reap(s), 3);
	KUNIT_ASSERT_EQ(test, s->ops->reset(s->vdpa), 0);

	/* Restored: the same, in shadow mode. */
	vsh_fresh(s);
	vsh_ring_init(s, VSH_RX, o.rx_base);
	vsh_ring_init(s, VSH_TX, o.tx_base);
	vsh_fill_rx(s);
	vsh_send(s, 3);
	vsh_start(s, true);
	vsh_expect_mode(s, "shadow restored");
	vsh_settle(s);
	KUNIT_EXPECT_EQ_MSG(test, vsh_reap(s), 3,
			    "buffers available before DRIVER_OK wait for a kick in shadow mode");
	vsh_kick(s, VSH_RX);
	vsh_kick(s, VSH_TX);
	vsh_settle(s);
	vsh_reap(s);
	vsh_expect_stream_whole(s);
	vsh_traffic(s, 5);
	vsh_expect_clean(s);
}

/* One ring restored (shadowed), the other at its initial state (not). */
static void vsh_restore_mixed(struct kunit *test)
{
	static const struct vsh_opts o = { "mixed", false, false, 1000, 0 };
	struct vsh *s = vsh_new(test, &o);

	vsh_ring_init(s, VSH_RX, o.rx_base);
	vsh_start(s, true);
	KUNIT_EXPECT_TRUE(test, vsh_mode_is(s, VSH_RX, "shadow restored"));
	KUNIT_EXPECT_TRUE(test, vsh_mode_is(s, VSH_TX, "passthrough"));
	KUNIT_EXPECT_EQ(test, s->m->q[VSH_TX].desc, s->r[VSH_TX].addr);
	vsh_fill_rx(s);
	vsh_kick(s, VSH_RX);
	vsh_traffic(s, 20);
	KUNIT_ASSERT_EQ(test, s->ops->suspend(s->vdpa), 0);
	vsh_expect_states_used(s);
	KUNIT_EXPECT_EQ(test, s->r[VSH_RX].used, 1020);
	KUNIT_EXPECT_EQ(test, s->r[VSH_TX].used, 20);
	KUNIT_ASSERT_EQ(test, s->ops->resume(s->vdpa), 0);
	vsh_expect_mode(s, "shadow resumed");
	vsh_traffic(s, 5);
	vsh_expect_clean(s);
}

/*
 * The client drops its mapping of the rings while suspended: resume cannot
 * shadow them and fails (status FAILED), without a crash or a leak; with
 * the mapping back, a reset recovers. A ring restored at a non-initial
 * index that is not mapped: DRIVER_OK fails the same way.
 */
static void vsh_unmapped(struct kunit *test)
{
	static const struct vsh_opts o = { "unmapped", false, false, 0, 0 };
	struct vsh *s = vsh_new(test, &o);

	vsh_start(s, false);
	vsh_fill_rx(s);
	vsh_kick(s, VSH_RX);
	vsh_traffic(s, 5);
	KUNIT_ASSERT_EQ(test, s->ops->suspend(s->vdpa), 0);
	vsh_client_map(s, false);
	KUNIT_EXPECT_LT(test, s->ops->resume(s->vdpa), 0);
	KUNIT_EXPECT_TRUE(test, vsh_status(s) & VIRTIO_CONFIG_S_FAILED);
	vsh_client_map(s, true);
	KUNIT_ASSERT_EQ(test, s->ops->reset(s->vdpa), 0);
	vsh_expect_mode(s, "passthrough");

	vsh_fresh(s);
	vsh_ring_init(s, VSH_RX, 300);
	vsh_ring_init(s, VSH_TX, 400);
	vsh_client_map(s, false);
	vsh_start_status(s, true, VSH_S_READY | VIRTIO_CONFIG_S_FAILED);
	vsh_client_map(s, true);
	KUNIT_ASSERT_EQ(test, s->ops->reset(s->vdpa), 0);
	vsh_expect_mode(s, "passthrough");

	/* Only the TX ring unmapped: RX resumes, TX cannot; FAILED. */
	vsh_fresh(s);
	vsh_start(s, false);
	vsh_fill_rx(s);
	vsh_kick(s, VSH_RX);
	vsh_traffic(s, 5);
	KUNIT_ASSERT_EQ(test, s->ops->suspend(s->vdpa), 0);
	mutex_lock(&s->dev->as_lock);
	vhost_iotlb_del_range(s->dev->as[s->dev->group_asid[VP_SVQ_GROUP_DATA]],
			      s->r[VSH_TX].addr,
			      s->r[VSH_TX].addr + VSH_RING_MEM - 1);
	mutex_unlock(&s->dev->as_lock);
	KUNIT_EXPECT_LT(test, s->ops->resume(s->vdpa), 0);
	KUNIT_EXPECT_TRUE(test, vsh_status(s) & VIRTIO_CONFIG_S_FAILED);
	vsh_client_map(s, false);
	vsh_client_map(s, true);
	KUNIT_ASSERT_EQ(test, s->ops->reset(s->vdpa), 0);
	vsh_expect_mode(s, "passthrough");

	vsh_fresh(s);
	vsh_start(s, false);
	vsh_fill_rx(s);
	vsh_kick(s, VSH_RX);
	vsh_traffic(s, 5);
	vsh_expect_clean(s);
}

/*
 * Test that a client repeating a refused request cannot flood the log:
 * 1000 enables of a queue whose used ring is unmapped, while suspended by
 * queue resets, each refused, give at most 10 lines.
 */
static void vsh_log_flood(struct kunit *test)
{
	static const struct vsh_opts o = { "log flood", false, false, 0, 0 };
	struct vsh *s = vsh_new(test, &o);
	char mark[VPT_LOG_MARK];
	unsigned int i, lines;

	vsh_negotiate(s);
	for (i = 0; i < VSH_NVQS; i++) {
		s->ops->set_vq_num(s->vdpa, i, VSH_QSZ);
		KUNIT_ASSERT_EQ(test, vsh_set_vq_address(s, i), 0);
	}
	s->ops->set_vq_ready(s->vdpa, VSH_RX, true);
	s->ops->set_status(s->vdpa, VSH_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_ASSERT_EQ(test, vsh_status(s), VSH_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_ASSERT_EQ(test, s->ops->suspend(s->vdpa), 0);
	vsh_client_map(s, false);

	vpt_log_mark(test, mark);
	for (i = 0; i < 1000; i++)
		s->ops->set_vq_ready(s->vdpa, VSH_TX, true);
	lines = vpt_log_count(mark, "cannot read the client's used index");
	KUNIT_EXPECT_FALSE(test, s->ops->get_vq_ready(s->vdpa, VSH_TX));
	KUNIT_EXPECT_GT(test, lines, 0);
	KUNIT_EXPECT_LE(test, lines, 10);
	vsh_client_map(s, true);
	KUNIT_EXPECT_EQ(test, s->ops->reset(s->vdpa), 0);
	vsh_expect_clean(s);
}

struct vsh_kicker {
	struct vsh *s;
	atomic_t kicks;
};

/* Kick both queues as fast as possible until stopped. */
static int vsh_kicker_fn(void *data)
{
	struct vsh_kicker *k = data;

	while (!kthread_should_stop()) {
		vsh_kick(k->s, VSH_RX);
		vsh_kick(k->s, VSH_TX);
		atomic_inc(&k->kicks);
		cond_resched();
	}
	return 0;
}

/*
 * Kicks from another thread all along while the device is suspended and
 * resumed again and again (stop, shadow start and stop race with the kick
 * path): every frame arrives once, in order; nothing is taken while
 * suspended.
 */
static void vsh_kick_race(struct kunit *test)
{
	static const struct vsh_opts o = { "kick race", true, false, 0, 0 };
	struct vsh *s = vsh_new(test, &o);
	struct vsh_kicker k = { .s = s };
	struct task_struct *t;
	unsigned int round, got = 0, sent = 0, rx_frames;
	u16 tx_used;

	vsh_start(s, false);
	vsh_fill_rx(s);
	vsh_kick(s, VSH_RX);
	vsh_traffic(s, 4);
	atomic_set(&k.kicks, 0);
	t = kthread_run(vsh_kicker_fn, &k, "vsh_kicker");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	for (round = 0; round < 30; round++) {
		if (s->r[VSH_TX].inflight + 3 <= s->nbufs) {
			vsh_send(s, 3);
			sent += 3;
		}
		KUNIT_EXPECT_EQ(test, s->ops->suspend(s->vdpa), 0);
		vsh_settle(s);
		got += vsh_reap(s);
		tx_used = vsh_used_idx(&s->r[VSH_TX]);
		rx_frames = s->m->rx_frames;
		usleep_range(200, 400);
		vsh_settle(s);
		KUNIT_EXPECT_EQ(test, vsh_used_idx(&s->r[VSH_TX]), tx_used);
		KUNIT_EXPECT_EQ(test, s->m->rx_frames, rx_frames);
		vsh_expect_states_used(s);
		KUNIT_EXPECT_EQ(test, s->ops->resume(s->vdpa), 0);
		usleep_range(100, 200);
		vsh_settle(s);
		got += vsh_reap(s);
	}
	/* Every frame sent had its chance to go. */
	while (got < sent && round++ < 200) {
		usleep_range(100, 200);
		vsh_settle(s);
		got += vsh_reap(s);
	}
	kthread_stop(t);
	KUNIT_EXPECT_GT(test, atomic_read(&k.kicks), 30);
	KUNIT_EXPECT_GE(test, sent, 45);
	KUNIT_EXPECT_EQ(test, got, sent);
	vsh_expect_stream_whole(s);
	vsh_traffic(s, 8);
	vsh_expect_clean(s);
}

static const struct vsh_opts vsh_config_params[] = {
	{ "queue resets", false, false, 0, 0 },
	{ "queue resets, shared vector", false, false, 0, 0, false, 0, true },
	{ "device reset (no RING_RESET)", false, false, 0, 0, false, 0, false, true },
	{ "device reset, shared vector", false, false, 0, 0, false, 0, true, true },
};

KUNIT_ARRAY_PARAM(vsh_config, vsh_config_params, vsh_opts_desc);

/*
 * A config change while a plain device is suspended reaches the client
 * only after resume, once; running again, at once. Suspended by a device
 * reset, the device has no config vector while suspended: the change must
 * still be told at resume.
 */
static void vsh_config_suspended(struct kunit *test)
{
	const struct vsh_opts *o = test->param_value;
	struct vsh *s = vsh_new_dev(test, o, !o->no_ring_reset, false);
	struct vpm *m = s->m;
	u32 gen;

	vsh_start(s, false);
	vsh_fill_rx(s);
	vsh_kick(s, VSH_RX);
	vsh_traffic(s, 3);
	KUNIT_ASSERT_EQ(test, s->ops->suspend(s->vdpa), 0);
	gen = s->ops->get_generation(s->vdpa);
	vpm_config_changed(m);
	vsh_settle(s);
	KUNIT_EXPECT_EQ(test, atomic_read(&s->config_calls), 0);
	KUNIT_ASSERT_EQ(test, s->ops->resume(s->vdpa), 0);
	vsh_settle(s);
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&s->config_calls), 1,
			    "config change while suspended not told at resume (%u config irqs)",
			    m->config_irqs);
	KUNIT_EXPECT_NE(test, s->ops->get_generation(s->vdpa), gen);
	vpm_config_changed(m);
	vsh_settle(s);
	KUNIT_EXPECT_EQ(test, atomic_read(&s->config_calls), 2);
	vsh_traffic(s, 5);
	vsh_expect_clean(s);
}

/* --- doorbells a client maps ----------------------------------------------------------- */

/*
 * vhost-vdpa checks get_vq_notification() at mmap() and asks again at the
 * first fault on the page, whose pfn it inserts as given: an area that
 * turns empty in between maps physical page 0 into the client. So the area
 * of a queue must not change while a client may have it mapped, and kicks
 * written there must move the queue whatever its mode.
 */
static void vsh_expect_same_area(struct vsh *s, u16 idx,
				 const struct vdpa_notification_area *was,
				 const char *when)
{
	struct vdpa_notification_area now;

	now = s->ops->get_vq_notification(s->vdpa, idx);
	KUNIT_EXPECT_EQ_MSG(s->test, now.addr, was->addr,
			    "vq %u: doorbell area %s: 0x%llx (%llu bytes) was 0x%llx (%llu bytes); vhost_vdpa_fault() would insert pfn 0x%llx",
			    idx, when, (u64)now.addr, (u64)now.size,
			    (u64)was->addr, (u64)was->size,
			    (u64)PFN_DOWN(now.addr));
	KUNIT_EXPECT_EQ(s->test, now.size, was->size);
}

/* The client kicks TX through the doorbell it mapped: two frames go. */
static void vsh_kick_mapped(struct vsh *s, const char *when)
{
	vsh_send(s, 2);
	vp_iowrite16(VSH_TX, s->e->parent->notify[VSH_TX].addr);
	vsh_settle(s);
	KUNIT_EXPECT_EQ_MSG(s->test, vsh_reap(s), 2,
			    "frames kicked through the mapped doorbell %s stay in the client's ring",
			    when);
	/* Whatever stayed goes with a kick through the driver. */
	vsh_kick(s, VSH_TX);
	vsh_settle(s);
	vsh_reap(s);
	vsh_expect_stream_whole(s);
}

/*
 * QEMU maps the doorbells (vhost_vdpa_host_notifiers_init) after
 * SET_VRING_BASE and before DRIVER_OK; the page is faulted in at the
 * guest's first kick, after DRIVER_OK. A ring restored at a non-initial
 * index runs in shadow mode from DRIVER_OK on.
 */
static void vsh_doorbell_restored(struct kunit *test)
{
	static const struct vsh_opts o = { "doorbell, restored", false, false,
					   1000, 300, true };
	struct vsh *s = vsh_new(test, &o);
	struct vdpa_notification_area area[VSH_NVQS];
	u16 i;

	vsh_ring_init(s, VSH_RX, o.rx_base);
	vsh_ring_init(s, VSH_TX, o.tx_base);
	vsh_negotiate(s);
	for (i = 0; i < VSH_NVQS; i++) {
		struct vdpa_vq_state st = {};

		st.split.avail_index = s->r[i].used;
		KUNIT_ASSERT_EQ(test, s->ops->set_vq_state(s->vdpa, i, &st), 0);
		/* What vhost_vdpa_mmap() sees. */
		area[i] = s->ops->get_vq_notification(s->vdpa, i);
	}
	KUNIT_ASSERT_EQ(test, s->ops->reset(s->vdpa), 0);
	vsh_start(s, true);
	vsh_expect_mode(s, "shadow restored");
	for (i = 0; i < VSH_NVQS; i++)
		vsh_expect_same_area(s, i, &area[i], "after DRIVER_OK");
	vsh_fill_rx(s);
	vsh_kick(s, VSH_RX);
	if (area[VSH_TX].size)
		vsh_kick_mapped(s, "after DRIVER_OK (restored)");
	vsh_traffic(s, 4);
	vsh_expect_clean(s);
}

/*
 * A client that mapped a doorbell while the queue ran in passthrough
 * (vhost-vdpa cannot take a mapping back) keeps kicking the device
 * directly after a resume put the queue in shadow mode.
 */
static void vsh_doorbell_resumed(struct kunit *test)
{
	static const struct vsh_opts o = { "doorbell, resumed", false, false,
					   0, 0, true };
	struct vsh *s = vsh_new(test, &o);
	struct vdpa_notification_area area;

	vsh_start(s, false);
	area = s->ops->get_vq_notification(s->vdpa, VSH_TX);
	vsh_fill_rx(s);
	vsh_kick(s, VSH_RX);
	if (!area.size) {
		kunit_info(test, "no doorbell handed out: nothing a client can map\n");
	} else {
		KUNIT_EXPECT_EQ(test, area.addr, s->e->parent->notify[VSH_TX].pa);
		vsh_kick_mapped(s, "in passthrough");
	}

	KUNIT_ASSERT_EQ(test, s->ops->suspend(s->vdpa), 0);
	KUNIT_ASSERT_EQ(test, s->ops->resume(s->vdpa), 0);
	vsh_expect_mode(s, "shadow resumed");
	vsh_expect_same_area(s, VSH_TX, &area, "after resume");
	if (area.size)
		vsh_kick_mapped(s, "after resume (shadow mode)");
	vsh_traffic(s, 4);
	vsh_expect_clean(s);
}

/* --- a client that breaks the rules ----------------------------------------------------- */

/*
 * A chain the client should never offer: a head beyond the ring on RX, a
 * chain that loops on TX. The shadow stops that queue (with a message);
 * the device never sees the chain; the other queue goes on; a reset
 * recovers.
 */
static void vsh_malformed_chain(struct kunit *test)
{
	static const struct vsh_opts o = { "malformed", false, false, 0, 0 };
	struct vsh *s = vsh_new(test, &o);
	struct vsh_ring *rx = &s->r[VSH_RX], *tx = &s->r[VSH_TX];
	struct vpm *m = s->m;
	unsigned int completed;
	u16 head;

	vsh_ring_init(s, VSH_RX, 50);
	vsh_ring_init(s, VSH_TX, 60);
	vsh_start(s, true);
	vsh_fill_rx(s);
	vsh_kick(s, VSH_RX);
	vsh_traffic(s, 3);

	/* RX: an avail entry naming descriptor 200 of a 16-entry ring. */
	vsh_offer_raw(rx, 200, 1);
	vsh_kick(s, VSH_RX);
	vsh_settle(s);
	KUNIT_EXPECT_TRUE(test, s->dev->vqs[VSH_RX].shadow.broken);
	KUNIT_EXPECT_FALSE(test, s->dev->vqs[VSH_TX].shadow.broken);
	/* TX goes on: its frames are completed. */
	completed = m->q[VSH_TX].completed;
	vsh_send(s, 2);
	vsh_kick(s, VSH_TX);
	vsh_settle(s);
	KUNIT_EXPECT_EQ(test, m->q[VSH_TX].completed, completed + 2);
	KUNIT_EXPECT_EQ(test, vsh_used_idx(tx), (u16)(tx->used + 2));
	KUNIT_EXPECT_EQ_MSG(test, m->violations, 0, "%s", m->violation);

	/* Reset, start again at 0 (passthrough), then restore to shadow a loop. */
	KUNIT_ASSERT_EQ(test, s->ops->reset(s->vdpa), 0);
	vsh_fresh(s);
	vsh_ring_init(s, VSH_RX, 70);
	vsh_ring_init(s, VSH_TX, 80);
	vsh_start(s, true);
	KUNIT_EXPECT_FALSE(test, s->dev->vqs[VSH_RX].shadow.broken);
	vsh_fill_rx(s);
	vsh_kick(s, VSH_RX);
	vsh_traffic(s, 3);
	/* TX: descriptor 5 leads to itself. */
	head = 5;
	tx->vr.desc[head].addr = __cpu_to_virtio64(true, tx->addr + VSH_BUFS);
	tx->vr.desc[head].len = __cpu_to_virtio32(true, 64);
	tx->vr.desc[head].flags = __cpu_to_virtio16(true, VRING_DESC_F_NEXT);
	tx->vr.desc[head].next = __cpu_to_virtio16(true, head);
	vsh_offer_raw(tx, head, 1);
	completed = m->q[VSH_TX].completed;
	vsh_kick(s, VSH_TX);
	vsh_settle(s);
	KUNIT_EXPECT_TRUE(test, s->dev->vqs[VSH_TX].shadow.broken);
	KUNIT_EXPECT_FALSE(test, s->dev->vqs[VSH_RX].shadow.broken);
	KUNIT_EXPECT_EQ(test, m->q[VSH_TX].completed, completed);
	KUNIT_EXPECT_EQ(test, vsh_used_idx(tx), tx->used);
	KUNIT_EXPECT_EQ_MSG(test, m->violations, 0, "%s", m->violation);

	/* A reset recovers. */
	KUNIT_ASSERT_EQ(test, s->ops->reset(s->vdpa), 0);
	vsh_fresh(s);
	vsh_ring_init(s, VSH_RX, 90);
	vsh_ring_init(s, VSH_TX, 95);
	vsh_start(s, true);
	KUNIT_EXPECT_FALSE(test, s->dev->vqs[VSH_TX].shadow.broken);
	vsh_fill_rx(s);
	vsh_kick(s, VSH_RX);
	vsh_traffic(s, 10);
	vsh_expect_clean(s);
}

/*
 * Test that a client moving its avail index backwards breaks the queue at
 * once: the index reads as tens of thousands of new entries, and without
 * the check against the ring's room one kick forwarded them all under the
 * queue's spinlock.
 */
static void vsh_avail_backwards(struct kunit *test)
{
	static const struct vsh_opts o = { "avail backwards", true, false, 1, 1 };
	struct vsh *s = vsh_new(test, &o);
	struct vp_svq_shadow *sh = &s->dev->vqs[VSH_RX].shadow;
	struct vsh_ring *rx = &s->r[VSH_RX];
	u64 forwarded;

	vsh_ring_init(s, VSH_RX, o.rx_base);
	vsh_ring_init(s, VSH_TX, o.tx_base);
	vsh_start(s, true);
	vsh_fill_rx(s);
	vsh_kick(s, VSH_RX);
	vsh_settle(s);
	forwarded = vsh_stat(s, VSH_RX, "shadow_avail");
	KUNIT_EXPECT_EQ(test, forwarded, s->nbufs);
	KUNIT_EXPECT_EQ(test, vsh_stat(s, VSH_RX, "shadow_broken"), 0);

	/* Back to one entry past the base: eight chains are still in flight. */
	WRITE_ONCE(rx->vr.avail->idx, __cpu_to_virtio16(true, o.rx_base + 1));
	vsh_kick(s, VSH_RX);
	KUNIT_EXPECT_TRUE(test, READ_ONCE(sh->broken));
	KUNIT_EXPECT_EQ(test, vsh_stat(s, VSH_RX, "shadow_avail"), forwarded);
	KUNIT_EXPECT_EQ(test, vsh_stat(s, VSH_RX, "shadow_broken"), 1);
	KUNIT_EXPECT_TRUE(test, vsh_mode_is(s, VSH_RX, "shadow restored broken"));
	KUNIT_EXPECT_FALSE(test, s->dev->vqs[VSH_TX].shadow.broken);

	vsh_expect_recovers(s, 6);
}

/*
 * Test that chains sharing descriptor slots cost one ring's worth of
 * descriptor copies per kick at most: chains in flight never share a slot,
 * so a second chain over the whole table breaks the queue.
 */
static void vsh_chains_overlap(struct kunit *test)
{
	static const struct vsh_opts o = { "chains overlap", false, false, 3, 3 };
	struct vsh *s = vsh_new(test, &o);
	struct vp_svq_shadow *sh = &s->dev->vqs[VSH_TX].shadow;
	struct vsh_ring *tx = &s->r[VSH_TX];
	u16 i, n = VSH_QSZ / 2;

	vsh_ring_init(s, VSH_RX, o.rx_base);
	vsh_ring_init(s, VSH_TX, o.tx_base);
	vsh_start(s, true);
	/* Every descriptor of the table in one chain, 0 -> 1 -> ... -> 15. */
	for (i = 0; i < VSH_QSZ; i++) {
		tx->vr.desc[i].addr = __cpu_to_virtio64(true, tx->addr + VSH_BUFS);
		tx->vr.desc[i].len = __cpu_to_virtio32(true, 16);
		tx->vr.desc[i].flags = __cpu_to_virtio16(true, i + 1 < VSH_QSZ ?
							 VRING_DESC_F_NEXT : 0);
		tx->vr.desc[i].next = __cpu_to_virtio16(true, i + 1);
	}
	/* Offered @n times over. */
	vsh_offer_raw(tx, 0, n);
	vsh_kick(s, VSH_TX);
	KUNIT_EXPECT_TRUE(test, READ_ONCE(sh->broken));
	KUNIT_EXPECT_LE(test, vsh_stat(s, VSH_TX, "shadow_avail"), 1);
	vsh_settle(s);
	KUNIT_EXPECT_EQ_MSG(test, s->m->violations, 0, "%s", s->m->violation);
}

/*
 * A chain found invalid half way leaves the device's table as it was:
 * the chains the device holds keep their descriptors. The client rewrites
 * the two descriptors of a receive buffer the device holds into a chain
 * whose second link leaves the table, and offers it; the shadow stops the
 * queue; frames sent then land in the buffers the device holds, whose
 * chains the device must still find whole.
 */
static void vsh_invalid_chain_keeps_table(struct kunit *test)
{
	static const struct vsh_opts o = { "invalid chain", false, false, 30, 40 };
	struct vsh *s = vsh_new(test, &o);
	struct vsh_ring *rx = &s->r[VSH_RX];
	struct vring_desc *d = rx->vr.desc;
	struct vpm *m = s->m;
	unsigned int completed;

	vsh_ring_init(s, VSH_RX, o.rx_base);
	vsh_ring_init(s, VSH_TX, o.tx_base);
	vsh_start(s, true);
	vsh_fill_rx(s);
	vsh_kick(s, VSH_RX);
	vsh_settle(s);
	/* The device holds every receive buffer; the first is slots 0 and 1. */
	KUNIT_ASSERT_EQ(test, rx->inflight, s->nbufs);
	d[1].flags = __cpu_to_virtio16(true, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT);
	d[1].next = __cpu_to_virtio16(true, 200);
	vsh_offer_raw(rx, 0, 1);
	vsh_kick(s, VSH_RX);
	KUNIT_EXPECT_TRUE(test, s->dev->vqs[VSH_RX].shadow.broken);

	/* Buffer 3 (index 32 of a ring restored at 30) is slots 0 and 1. */
	completed = m->q[VSH_TX].completed;
	vsh_send(s, 4);
	vsh_kick(s, VSH_TX);
	vsh_settle(s);
	KUNIT_EXPECT_EQ(test, m->q[VSH_TX].completed, completed + 4);
	KUNIT_EXPECT_EQ(test, m->rx_frames, 4);
	KUNIT_EXPECT_EQ_MSG(test, m->violations, 0, "%s", m->violation);
	KUNIT_EXPECT_EQ(test, m->dma_faults, 0);
}

/*
 * A device that reports more used buffers than it was given (its used
 * index jumps): the shadow stops that queue, forwards nothing bogus to the
 * client; the other queue goes on; a reset recovers.
 */
static void vsh_device_overrun(struct kunit *test)
{
	static const struct vsh_opts o = { "device overrun", false, false, 40, 40 };
	struct vsh *s = vsh_new(test, &o);
	struct vp_svq_shadow *sh = &s->dev->vqs[VSH_TX].shadow;
	struct vsh_ring *tx = &s->r[VSH_TX];
	unsigned int calls;
	u16 used;

	vsh_ring_init(s, VSH_RX, o.rx_base);
	vsh_ring_init(s, VSH_TX, o.tx_base);
	vsh_start(s, true);
	vsh_fill_rx(s);
	vsh_kick(s, VSH_RX);
	vsh_traffic(s, 4);
	calls = atomic_read(&s->calls[VSH_TX]);
	used = __virtio16_to_cpu(true, READ_ONCE(sh->ring.used->idx));
	WRITE_ONCE(sh->ring.used->idx, __cpu_to_virtio16(true, used + 5));
	vpm_raise_vq_irq(s->m, VSH_TX);
	vsh_settle(s);
	KUNIT_EXPECT_TRUE(test, sh->broken);
	KUNIT_EXPECT_FALSE(test, s->dev->vqs[VSH_RX].shadow.broken);
	KUNIT_EXPECT_EQ(test, vsh_used_idx(tx), tx->used);
	KUNIT_EXPECT_EQ(test, atomic_read(&s->calls[VSH_TX]), calls);
	/* RX still takes buffers from the client. */
	KUNIT_EXPECT_EQ(test, vsh_reap(s), 0);

	vsh_expect_recovers(s, 6);
}

/*
 * "vdpa dev del" of a device whose client never reset it (vp_svq_dev_del()
 * resets the function "for those that did not"), with rings in shadow
 * mode: the driver lets go of the client's pages (its mapping held a
 * reference on each) and of its own rings.
 */
static void vsh_del_shadowed(struct kunit *test)
{
	static const struct vsh_opts o = { "dev del", false, false, 70, 80 };
	struct vsh *s = vsh_new(test, &o);
	unsigned int i;

	vsh_ring_init(s, VSH_RX, o.rx_base);
	vsh_ring_init(s, VSH_TX, o.tx_base);
	vsh_start(s, true);
	vsh_expect_mode(s, "shadow restored");
	vsh_fill_rx(s);
	vsh_kick(s, VSH_RX);
	vsh_traffic(s, 5);
	/* Shadowed: the driver holds the ring pages. */
	KUNIT_EXPECT_GT(test, page_ref_count(virt_to_page(s->r[VSH_TX].mem)), 1);
	vsh_expect_clean(s);

	kunit_remove_action(test, vsh_reset_action, s->vdpa);
	KUNIT_ASSERT_EQ(test, vpt_del(s->e), 0);
	KUNIT_EXPECT_NULL(test, vpt_vdpa(s->e));
	KUNIT_EXPECT_EQ(test, s->m->status, 0);
	for (i = 0; i < VSH_MEM / PAGE_SIZE; i++)
		KUNIT_EXPECT_EQ_MSG(test,
				    page_ref_count(virt_to_page(s->mem + i * PAGE_SIZE)), 1,
				    "page %u of the client's rings still referenced after dev del",
				    i);
}

/*
 * Test that a shadow ring sits in the driver's window, read-only for the
 * device but for its used ring, and that the device reaches nothing but
 * what the driver's domain maps.
 */
static void vsh_ring_prot(struct kunit *test)
{
	static const struct vsh_opts o = { "window", true, false, 70, 80 };
	struct vsh *s = vsh_new(test, &o);
	struct vp_svq_dring *d;
	u16 i;

	s->e->iommu_strict = true;
	vsh_ring_init(s, VSH_RX, o.rx_base);
	vsh_ring_init(s, VSH_TX, o.tx_base);
	vsh_start(s, true);
	vsh_expect_mode(s, "shadow restored");
	KUNIT_ASSERT_NOT_NULL(test, s->e->iommu);
	for (i = 0; i < VSH_NVQS; i++) {
		d = &s->dev->vqs[i].shadow.dring;
		KUNIT_EXPECT_TRUE(test, d->in_domain);
		KUNIT_EXPECT_GE(test, d->addr, s->dev->reserved_iova);
		KUNIT_EXPECT_EQ(test, vpt_iommu_perm(s->e, d->addr, d->ro_size),
				VHOST_MAP_RO);
		KUNIT_EXPECT_EQ(test, vpt_iommu_perm(s->e, d->addr + d->ro_size,
						     d->size - d->ro_size),
				VHOST_MAP_RW);
		KUNIT_EXPECT_EQ(test, s->m->q[i].desc, d->addr);
		KUNIT_EXPECT_EQ(test, s->m->q[i].device, d->addr + d->ro_size);
	}
	vsh_fill_rx(s);
	vsh_kick(s, VSH_RX);
	vsh_traffic(s, 5);
	vsh_expect_clean(s);
	KUNIT_EXPECT_EQ(test, s->m->dma_faults, 0);
}

/* --- what is refused ------------------------------------------------------------------ */

/*
 * Packed rings are not shadowed: a non-initial state before DRIVER_OK is
 * refused, the initial one taken; suspend without facilities refused.
 */
static void vsh_packed_refused(struct kunit *test)
{
	static const struct vsh_opts o = { "packed", false, false, 0, 0 };
	struct vsh *s = vsh_new_dev(test, &o, true, true);
	struct vdpa_vq_state st = {};

	vsh_negotiate(s);
	st.packed.last_avail_idx = 5;
	st.packed.last_avail_counter = 1;
	st.packed.last_used_idx = 5;
	st.packed.last_used_counter = 1;
	KUNIT_EXPECT_EQ(test, s->ops->set_vq_state(s->vdpa, 0, &st), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, s->ops->set_vq_state(s->vdpa, 1, &st), -EOPNOTSUPP);
	st.packed.last_avail_idx = 0;
	st.packed.last_used_idx = 0;
	KUNIT_EXPECT_EQ(test, s->ops->set_vq_state(s->vdpa, 0, &st), 0);
	s->ops->set_status(s->vdpa, VSH_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_ASSERT_EQ(test, vsh_status(s),
			VSH_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_EXPECT_EQ(test, s->ops->suspend(s->vdpa), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, vsh_status(s),
			VSH_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	vsh_expect_mode(s, "passthrough");
	KUNIT_EXPECT_EQ(test, s->ops->reset(s->vdpa), 0);
	vsh_expect_clean(s);
}

static struct kunit_case vsh_cases[] = {
	KUNIT_CASE_PARAM(vsh_suspend_resume, vsh_suspend_gen_params),
	KUNIT_CASE(vsh_suspend_tx_stuck),
	KUNIT_CASE_PARAM(vsh_restore, vsh_restore_gen_params),
	KUNIT_CASE(vsh_restore_pending),
	KUNIT_CASE(vsh_restore_mixed),
	KUNIT_CASE(vsh_no_ring_reset),
	KUNIT_CASE_PARAM(vsh_irq_suppressed, vsh_event_gen_params),
	KUNIT_CASE_PARAM(vsh_kick_suppressed, vsh_event_gen_params),
	KUNIT_CASE(vsh_reset_passthrough),
	KUNIT_CASE(vsh_get_state_running),
	KUNIT_CASE(vsh_get_state_then_resume),
	KUNIT_CASE(vsh_get_state_then_suspend),
	KUNIT_CASE(vsh_enable_late_suspended),
	KUNIT_CASE_PARAM(vsh_config_suspended, vsh_config_gen_params),
	KUNIT_CASE(vsh_set_state_suspended),
	KUNIT_CASE(vsh_suspend_reset_restore),
	KUNIT_CASE(vsh_doorbell_restored),
	KUNIT_CASE(vsh_doorbell_resumed),
	KUNIT_CASE(vsh_malformed_chain),
	KUNIT_CASE(vsh_invalid_chain_keeps_table),
	KUNIT_CASE(vsh_avail_backwards),
	KUNIT_CASE(vsh_chains_overlap),
	KUNIT_CASE(vsh_kick_race),
	KUNIT_CASE(vsh_device_overrun),
	KUNIT_CASE(vsh_unmapped),
	KUNIT_CASE(vsh_log_flood),
	KUNIT_CASE(vsh_del_shadowed),
	KUNIT_CASE(vsh_ring_prot),
	KUNIT_CASE(vsh_packed_refused),
	{}
};

static struct kunit_suite vsh_suite = {
	.name = "vp_svq_shadow",
	.test_cases = vsh_cases,
};

kunit_test_suite(vsh_suite);
