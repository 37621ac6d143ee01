// SPDX-License-Identifier: GPL-2.0-only
/*
 * vp_svq KUnit: suite vp_svq_fuzz_shadow. Seeded random client rings for
 * the ring shadow (shadow.c) of a plain device: one RX and one TX split
 * ring restored at random indices, filled with random bytes, then chains
 * well formed (crossing the end of the table, indirect tables) or random
 * (loops, indexes beyond the table, any flags, addresses inside, across
 * the edge of and outside the mappings), avail indices moved forwards,
 * backwards and far ahead, with the device taking buffers at once or
 * holding them.
 *
 * The client's memory is seven pages, each group mapped on its own in the
 * data address space (dma_map()) with unmapped IOVA between: a descriptor
 * table ends where its mapping ends, an avail ring starts where its
 * mapping starts and a used ring ends two bytes before the end of its
 * mapping, so a read past a ring leaves the pages the driver mapped. The
 * model reaches only what the driver maps in its domain (the IOMMU
 * stand-in of env.c, strict): these mappings and the driver's own rings.
 *
 * Invariants, checked on every case (vp_svq_fuzz.h has the seeds):
 *  - a kick reads at most a ring's worth of descriptors and forwards at
 *    most a ring's worth of chains (&vp_svq_shadow.descs and .avail);
 *  - no byte of the client's memory changes outside the used rings and
 *    the buffers some descriptor (of a table or an indirect table) marks
 *    device-writable;
 *  - every TX chain the client made available is used, unless the queue
 *    is broken or the device asks for a reset;
 *  - the model sees no out-of-range index and no other rule broken by the
 *    driver (&vpm.violations; buffers the client built wrong count apart,
 *    in &vpm.bad_buffers, since the shadow passes them through).
 */

#include <linux/bitmap.h>
#include <linux/gfp.h>
#include <linux/unaligned.h>
#include <linux/vhost_iotlb.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "vp_svq_fuzz.h"
#include "compat.h"
#include "vp_svq_test.h"

#define FZS_QSZ		16
#define FZS_NVQS	2
#define FZS_RX		0
#define FZS_TX		1
#define FZS_PAGES	7
#define FZS_MEM		(FZS_PAGES * PAGE_SIZE)
#define FZS_IOVA	BIT_ULL(40)
/* Mapping i starts at FZS_IOVA + i * FZS_MAP_STRIDE: holes between. */
#define FZS_MAP_STRIDE	(4 * PAGE_SIZE)
#define FZS_DESC_SIZE	(FZS_QSZ * sizeof(struct vring_desc))
#define FZS_DESC_OFF	(PAGE_SIZE - FZS_DESC_SIZE)
#define FZS_USED_SIZE	(sizeof(struct vring_used) +			\
			 FZS_QSZ * sizeof(struct vring_used_elem) +	\
			 sizeof(__virtio16))
#define FZS_USED_OFF	((PAGE_SIZE - FZS_USED_SIZE) & ~3UL)
#define FZS_BUF_PAGE	4
#define FZS_BUF_PAGES	2
#define FZS_INDIR_PAGE	6
#define FZS_HDR		sizeof(struct virtio_net_hdr_mrg_rxbuf)

#define FZS_S_READY	(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | \
			 VIRTIO_CONFIG_S_FEATURES_OK)

/**
 * struct fzs_map - one mapping of the client's memory
 * @page: its first page
 * @npages: its pages
 * @perm: VHOST_MAP_RO or VHOST_MAP_RW
 */
struct fzs_map {
	u16 page;
	u16 npages;
	u32 perm;
};

static const struct fzs_map fzs_maps[] = {
	{ .page = 0, .npages = 1, .perm = VHOST_MAP_RO },	/* RX table */
	{ .page = 1, .npages = 1, .perm = VHOST_MAP_RW },	/* RX avail, used */
	{ .page = 2, .npages = 1, .perm = VHOST_MAP_RO },	/* TX table */
	{ .page = 3, .npages = 1, .perm = VHOST_MAP_RW },	/* TX avail, used */
	{ .page = FZS_BUF_PAGE, .npages = FZS_BUF_PAGES, .perm = VHOST_MAP_RW },
	{ .page = FZS_INDIR_PAGE, .npages = 1, .perm = VHOST_MAP_RO },
};

/**
 * struct fzs - the device, the client's memory, the run
 * @test: the test
 * @f: the run
 * @e: the environment
 * @m: its model
 * @vdpa: the vDPA device
 * @ops: its ops
 * @dev: the driver's device
 * @offered: features the device offers
 * @features: negotiated in the case running
 * @mem: the client's memory
 * @snap: @mem before the last kick
 * @wmask: bytes of @mem some descriptor marks device-writable
 * @vr: the client's rings in @mem
 * @avail: the avail index the client last published, per ring
 * @max_descs: most descriptors one kick copied
 * @max_seed: the seed of the case that copied them
 * @tx_used: cases whose TX chains were all used
 * @tx_broken: cases whose TX queue broke
 * @tx_reset: cases whose device asked for a reset
 */
struct fzs {
	struct kunit *test;
	struct vfz f;
	struct vpt_env *e;
	struct vpm *m;
	struct vdpa_device *vdpa;
	const struct vdpa_config_ops *ops;
	struct vp_svq_dev *dev;
	u64 offered;
	u64 features;
	u8 *mem;
	u8 *snap;
	unsigned long *wmask;
	struct vring vr[FZS_NVQS];
	u16 avail[FZS_NVQS];
	u64 max_descs;
	u64 max_seed;
	unsigned int tx_used;
	unsigned int tx_broken;
	unsigned int tx_reset;
};

static u64 fzs_map_iova(unsigned int i)
{
	return FZS_IOVA + (u64)i * FZS_MAP_STRIDE;
}

/* The client address of byte @off of the memory. */
static u64 fzs_iova(unsigned int off)
{
	unsigned int page = off / PAGE_SIZE, i;

	for (i = 0; i < ARRAY_SIZE(fzs_maps); i++)
		if (page >= fzs_maps[i].page &&
		    page < fzs_maps[i].page + fzs_maps[i].npages)
			return fzs_map_iova(i) + off - fzs_maps[i].page * PAGE_SIZE;
	return 0;
}

/* Where client address @addr is in the memory, and the bytes mapped on. */
static bool fzs_off(u64 addr, unsigned int *off, unsigned int *room)
{
	unsigned int i;
	u64 size;

	for (i = 0; i < ARRAY_SIZE(fzs_maps); i++) {
		size = (u64)fzs_maps[i].npages * PAGE_SIZE;
		if (addr < fzs_map_iova(i) || addr - fzs_map_iova(i) >= size)
			continue;
		*off = fzs_maps[i].page * PAGE_SIZE + (addr - fzs_map_iova(i));
		*room = size - (addr - fzs_map_iova(i));
		return true;
	}
	return false;
}

static void fzs_free_mem(void *mem)
{
	free_pages_exact(mem, FZS_MEM);
}

static void fzs_reset_action(void *data)
{
	struct vdpa_device *vdpa = data;

	vdpa->config->reset(vdpa);
}

/* One model, one vDPA device, the client's memory mapped: once per run. */
static void fzs_setup(struct kunit *test, struct fzs *s)
{
	struct vpt_add_attrs a = { .has_features = true };
	struct vpm_config cfg;
	unsigned int i, q;
	u8 *ring;

	s->test = test;
	s->mem = alloc_pages_exact(FZS_MEM, GFP_KERNEL | __GFP_ZERO);
	KUNIT_ASSERT_NOT_NULL(test, s->mem);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, fzs_free_mem,
							s->mem), 0);
	s->snap = kunit_kmalloc(test, FZS_MEM, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s->snap);
	s->wmask = kunit_kcalloc(test, BITS_TO_LONGS(FZS_MEM), sizeof(long),
				 GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s->wmask);

	vpm_default_config(&cfg);
	cfg.max_vqp = 1;
	cfg.msix_vectors = 4;
	cfg.queue_size = FZS_QSZ;
	cfg.features |= BIT_ULL(VIRTIO_F_RING_RESET);
	s->e = vpt_env_new(test, &cfg);
	s->m = s->e->m;
	/* The device reaches only what the driver maps in its domain. */
	s->e->iommu_strict = true;

	a.features = s->e->parent->supported_features & ~VPT_SHADOW_FEATURES_OFF &
		     ~BIT_ULL(VIRTIO_F_RING_PACKED);
	KUNIT_ASSERT_EQ(test, vpt_add(s->e, &a), 0);
	s->vdpa = vpt_vdpa(s->e);
	KUNIT_ASSERT_NOT_NULL(test, s->vdpa);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, fzs_reset_action,
							s->vdpa), 0);
	s->ops = s->vdpa->config;
	s->dev = vdpa_to_vp_svq(s->vdpa);
	s->offered = s->ops->get_device_features(s->vdpa);
	KUNIT_ASSERT_TRUE(test, s->offered & BIT_ULL(VIRTIO_RING_F_EVENT_IDX));
	KUNIT_ASSERT_TRUE(test, s->offered & BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC));

	/* The client's mappings, into the driver's domain too. */
	for (i = 0; i < ARRAY_SIZE(fzs_maps); i++)
		KUNIT_ASSERT_EQ(test, s->ops->dma_map(s->vdpa, 0, fzs_map_iova(i),
						      fzs_maps[i].npages * PAGE_SIZE,
						      virt_to_phys(s->mem) +
						      fzs_maps[i].page * PAGE_SIZE,
						      fzs_maps[i].perm, NULL), 0);
	KUNIT_ASSERT_NOT_NULL(test, s->e->iommu);

	for (q = 0; q < FZS_NVQS; q++) {
		ring = s->mem + (2 * q + 1) * PAGE_SIZE;
		s->vr[q].num = FZS_QSZ;
		s->vr[q].desc = (void *)(s->mem + 2 * q * PAGE_SIZE + FZS_DESC_OFF);
		s->vr[q].avail = (void *)ring;
		s->vr[q].used = (void *)(ring + FZS_USED_OFF);
	}
}

static u64 fzs_ring_iova(struct fzs *s, const void *p)
{
	return fzs_iova((const u8 *)p - s->mem);
}

static u16 fzs_used_idx(struct fzs *s, u16 q)
{
	return __virtio16_to_cpu(true, READ_ONCE(s->vr[q].used->idx));
}

static void fzs_publish(struct fzs *s, u16 q, u16 idx)
{
	/* The entries before the index that publishes them. */
	wmb();
	WRITE_ONCE(s->vr[q].avail->idx, __cpu_to_virtio16(true, idx));
	s->avail[q] = idx;
}

/* An address a hostile client might write into a descriptor. */
static u64 fzs_rand_addr(struct fzs *s)
{
	struct vfz *f = &s->f;
	unsigned int i = vfz_below(f, ARRAY_SIZE(fzs_maps));
	u64 end = fzs_map_iova(i) + fzs_maps[i].npages * PAGE_SIZE;

	switch (vfz_below(f, 8)) {
	case 0:
		return vfz_chance(f, 50) ? 0 : vfz_u64(f);
	case 1:
		/* The buffer runs past the end of its mapping. */
		return end - 1 - vfz_below(f, 64);
	case 2:
		/* In the hole after a mapping. */
		return end + vfz_below(f, FZS_MAP_STRIDE - PAGE_SIZE * 2);
	case 3:
		/* The rings themselves. */
		return fzs_iova(vfz_below(f, 4 * PAGE_SIZE));
	case 4:
		return fzs_iova(FZS_INDIR_PAGE * PAGE_SIZE +
				vfz_below(f, PAGE_SIZE));
	default:
		return fzs_iova(FZS_BUF_PAGE * PAGE_SIZE +
				vfz_below(f, FZS_BUF_PAGES * PAGE_SIZE));
	}
}

static u32 fzs_rand_len(struct fzs *s)
{
	switch (vfz_below(&s->f, 4)) {
	case 0:
		return 0;
	case 1:
		return vfz_below(&s->f, 64);
	case 2:
		return vfz_below(&s->f, 2 * PAGE_SIZE);
	default:
		return vfz_u32(&s->f);
	}
}

static void fzs_rand_desc(struct fzs *s, struct vring_desc *d)
{
	struct vfz *f = &s->f;
	u16 flags = 0;

	if (vfz_chance(f, 50))
		flags |= VRING_DESC_F_NEXT;
	if (vfz_chance(f, 50))
		flags |= VRING_DESC_F_WRITE;
	if (vfz_chance(f, 15))
		flags |= VRING_DESC_F_INDIRECT;
	if (vfz_chance(f, 5))
		flags = vfz_u32(f);
	vpt_set_desc(d, fzs_rand_addr(s), fzs_rand_len(s), flags,
		     vfz_chance(f, 85) ? vfz_below(f, FZS_QSZ) : vfz_u32(f));
}

/* A buffer in the buffer pages, @len bytes, inside one page. */
static u64 fzs_buf(struct fzs *s, u32 len)
{
	unsigned int page = FZS_BUF_PAGE + vfz_below(&s->f, FZS_BUF_PAGES);

	return fzs_iova(page * PAGE_SIZE + vfz_below(&s->f, PAGE_SIZE - len + 1));
}

/*
 * An indirect table of 1 to 8 descriptors in the indirect page: a well
 * formed chain of @w buffers, now and then with one entry broken.
 */
static void fzs_indirect(struct fzs *s, struct vring_desc *d, bool w)
{
	struct vfz *f = &s->f;
	unsigned int n = 1 + vfz_below(f, 8), j;
	unsigned int off = FZS_INDIR_PAGE * PAGE_SIZE +
			   vfz_below(f, PAGE_SIZE / sizeof(*d) - n + 1) * sizeof(*d);
	struct vring_desc *t = (void *)(s->mem + off);
	u32 len;

	for (j = 0; j < n; j++) {
		len = FZS_HDR + vfz_below(f, 256);
		vpt_set_desc(&t[j], fzs_buf(s, len), len,
			     (w ? VRING_DESC_F_WRITE : 0) |
			     (j + 1 < n ? VRING_DESC_F_NEXT : 0), j + 1);
	}
	if (vfz_chance(f, 15))
		fzs_rand_desc(s, &t[vfz_below(f, n)]);
	vpt_set_desc(d, fzs_iova(off), n * sizeof(*d), VRING_DESC_F_INDIRECT,
		     vfz_u32(f));
}

/*
 * Well formed chains: consecutive slots from a random one, wrapping
 * around the end of the table; readable on TX, writable on RX; indirect
 * when negotiated, now and then.
 */
static u16 fzs_chains(struct fzs *s, u16 q, u16 avail)
{
	bool indirect = s->features & BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC);
	struct vring *vr = &s->vr[q];
	struct vfz *f = &s->f;
	unsigned int nchains = 1 + vfz_below(f, 4), c, k, len;
	u16 slot = vfz_below(f, FZS_QSZ), head, flags;
	u32 blen;

	for (c = 0; c < nchains; c++) {
		head = slot;
		if (indirect && vfz_chance(f, 30)) {
			fzs_indirect(s, &vr->desc[slot], q == FZS_RX);
			slot = (slot + 1) % FZS_QSZ;
		} else {
			len = 1 + vfz_below(f, FZS_QSZ / nchains);
			for (k = 0; k < len; k++) {
				blen = (k ? 0 : FZS_HDR) + vfz_below(f, 256);
				flags = (q == FZS_RX ? VRING_DESC_F_WRITE : 0) |
					(k + 1 < len ? VRING_DESC_F_NEXT : 0);
				vpt_set_desc(&vr->desc[slot], fzs_buf(s, blen),
					     blen, flags, (slot + 1) % FZS_QSZ);
				slot = (slot + 1) % FZS_QSZ;
			}
		}
		vr->avail->ring[avail++ % FZS_QSZ] = __cpu_to_virtio16(true, head);
	}
	return avail;
}

/*
 * Every slot a chain of one descriptor, every avail entry one of them (a
 * full receive ring), or every avail entry the same chain through the
 * whole table: what a kick finds when the client moves its index back or
 * reuses its descriptors.
 */
static u16 fzs_fill_ring(struct fzs *s, u16 q, u16 avail)
{
	struct vring *vr = &s->vr[q];
	bool same = vfz_chance(&s->f, 50);
	u16 w = q == FZS_RX ? VRING_DESC_F_WRITE : 0, i;
	u32 len;

	for (i = 0; i < FZS_QSZ; i++) {
		len = FZS_HDR + vfz_below(&s->f, 128);
		vpt_set_desc(&vr->desc[i], fzs_buf(s, len), len,
			     w | (same && i + 1 < FZS_QSZ ? VRING_DESC_F_NEXT : 0),
			     i + 1);
	}
	for (i = 0; i < FZS_QSZ; i++, avail++)
		vr->avail->ring[avail % FZS_QSZ] =
			__cpu_to_virtio16(true, same ? 0 : avail % FZS_QSZ);
	return avail;
}

/* What a hostile client does to ring @q before it kicks. */
static void fzs_mutate(struct fzs *s, u16 q)
{
	struct vring *vr = &s->vr[q];
	struct vfz *f = &s->f;
	u16 avail = s->avail[q], n, i, head;
	u32 r;

	if (vfz_chance(f, 20)) {
		avail = fzs_fill_ring(s, q, avail);
	} else if (vfz_chance(f, 50)) {
		avail = fzs_chains(s, q, avail);
	} else {
		for (i = 0; i < FZS_QSZ; i++)
			if (vfz_chance(f, 50))
				fzs_rand_desc(s, &vr->desc[i]);
		for (n = vfz_below(f, FZS_QSZ + 1); n; n--) {
			head = vfz_chance(f, 85) ? vfz_below(f, FZS_QSZ) : vfz_u32(f);
			vr->avail->ring[avail++ % FZS_QSZ] = __cpu_to_virtio16(true, head);
		}
	}
	if (vfz_chance(f, 10))
		vr->avail->flags = __cpu_to_virtio16(true, vfz_u32(f));
	if (vfz_chance(f, 10))
		vring_used_event(vr) = __cpu_to_virtio16(true, vfz_u32(f));
	r = vfz_below(f, 100);
	if (r < 10)
		/* Backwards. */
		avail = s->avail[q] - 1 - vfz_below(f, 3 * FZS_QSZ);
	else if (r < 20)
		/* More than a ring ahead. */
		avail = s->avail[q] + FZS_QSZ + 1 +
			vfz_below(f, 0x10000 - 2 * FZS_QSZ);
	else if (r < 25)
		avail = vfz_u32(f);
	fzs_publish(s, q, avail);
}

/* Legitimate frames on TX, as many as its ring has room for. */
static void fzs_tx_frames(struct fzs *s)
{
	struct vring *vr = &s->vr[FZS_TX];
	u16 avail = s->avail[FZS_TX];
	u16 room = FZS_QSZ - (u16)(avail - fzs_used_idx(s, FZS_TX));
	unsigned int n;
	u16 slot;
	u32 len;

	if (room > FZS_QSZ)
		return;
	for (n = vfz_below(&s->f, room + 1); n; n--) {
		slot = avail % FZS_QSZ;
		len = FZS_HDR + 60;
		vpt_set_desc(&vr->desc[slot], fzs_buf(s, len), len, 0, 0);
		vr->avail->ring[avail++ % FZS_QSZ] = __cpu_to_virtio16(true, slot);
	}
	fzs_publish(s, FZS_TX, avail);
}

/* Mark [@addr, @addr + @len) device-writable where it is client memory. */
static void fzs_mark(struct fzs *s, u64 addr, u32 len)
{
	unsigned int off, room;

	if (len && fzs_off(addr, &off, &room))
		bitmap_set(s->wmask, off, min(len, room));
}

/*
 * Every buffer a descriptor of either table, or of a table an indirect
 * descriptor there points to, marks writable. The marks add up over a
 * case: the driver's table may keep a descriptor the client rewrote.
 */
static void fzs_mark_writable(struct fzs *s)
{
	unsigned int q, i, j, off, room;
	struct vring_desc d, t;
	u16 flags;

	for (q = 0; q < FZS_NVQS; q++) {
		for (i = 0; i < FZS_QSZ; i++) {
			d = s->vr[q].desc[i];
			flags = __virtio16_to_cpu(true, d.flags);
			if (flags & VRING_DESC_F_WRITE)
				fzs_mark(s, __virtio64_to_cpu(true, d.addr),
					 __virtio32_to_cpu(true, d.len));
			if (!(flags & VRING_DESC_F_INDIRECT) ||
			    !fzs_off(__virtio64_to_cpu(true, d.addr), &off, &room))
				continue;
			room = min(room, __virtio32_to_cpu(true, d.len));
			for (j = 0; j + sizeof(t) <= room; j += sizeof(t)) {
				memcpy(&t, s->mem + off + j, sizeof(t));
				if (__virtio16_to_cpu(true, t.flags) & VRING_DESC_F_WRITE)
					fzs_mark(s, __virtio64_to_cpu(true, t.addr),
						 __virtio32_to_cpu(true, t.len));
			}
		}
	}
}

static bool fzs_in_used(unsigned int off)
{
	unsigned int q, start;

	for (q = 0; q < FZS_NVQS; q++) {
		start = (2 * q + 1) * PAGE_SIZE + FZS_USED_OFF;
		if (off >= start && off < start + FZS_USED_SIZE)
			return true;
	}
	return false;
}

static void fzs_snapshot(struct fzs *s)
{
	fzs_mark_writable(s);
	memcpy(s->snap, s->mem, FZS_MEM);
}

/* Nothing changed outside the used rings and the writable buffers. */
static void fzs_compare(struct fzs *s, const char *when)
{
	unsigned int off, chunk;

	for (chunk = 0; chunk < FZS_MEM; chunk += 64) {
		if (!memcmp(s->mem + chunk, s->snap + chunk, 64))
			continue;
		for (off = chunk; off < chunk + 64; off++) {
			if (s->mem[off] == s->snap[off] || fzs_in_used(off) ||
			    test_bit(off, s->wmask))
				continue;
			/* Neither a used ring nor a writable buffer. */
			vfz_violation(&s->f, "%s: page %u byte 0x%x: 0x%02x -> 0x%02x",
				      when, off / (unsigned int)PAGE_SIZE,
				      off % (unsigned int)PAGE_SIZE, s->snap[off],
				      s->mem[off]);
			return;
		}
	}
}

/*
 * Kick @q. The kick reads at most a ring's worth of descriptors and
 * forwards at most a ring's worth of chains: a client cannot have more in
 * flight, and the chain that breaks the queue counts too.
 */
static void fzs_kick(struct fzs *s, u16 q)
{
	struct vp_svq_shadow *sh = &s->dev->vqs[q].shadow;
	u64 descs = READ_ONCE(sh->descs), chains = READ_ONCE(sh->avail);

	s->ops->kick_vq(s->vdpa, q);
	descs = READ_ONCE(sh->descs) - descs;
	chains = READ_ONCE(sh->avail) - chains;
	if (descs > s->max_descs) {
		s->max_descs = descs;
		s->max_seed = s->f.case_seed;
	}
	if (descs > FZS_QSZ || chains > FZS_QSZ)
		vfz_violation(&s->f, "vq %u: a kick: %llu chains, %llu descriptors (ring %u)",
			      q, chains, descs, FZS_QSZ);
}

/* Random bytes everywhere, then each ring at its base. */
static void fzs_fill(struct fzs *s, const u16 *base, const u16 *used)
{
	u16 q;

	prandom_bytes_state(&s->f.rs, s->mem, FZS_MEM);
	for (q = 0; q < FZS_NVQS; q++) {
		s->vr[q].avail->idx = __cpu_to_virtio16(true, base[q]);
		s->vr[q].used->idx = __cpu_to_virtio16(true, used[q]);
		s->avail[q] = base[q];
	}
}

/* Negotiate and start both rings restored at @base: shadow mode. */
static bool fzs_start(struct fzs *s, const u16 *base, bool held)
{
	struct vdpa_vq_state st = {};
	struct vfz *f = &s->f;
	struct vring *vr;
	u8 status;
	u16 q;

	s->ops->set_status(s->vdpa, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	s->ops->set_status(s->vdpa, VIRTIO_CONFIG_S_ACKNOWLEDGE |
			   VIRTIO_CONFIG_S_DRIVER);
	if (s->ops->set_driver_features(s->vdpa, s->features)) {
		vfz_violation(f, "features 0x%llx refused", s->features);
		return false;
	}
	s->ops->set_status(s->vdpa, FZS_S_READY);
	/* Held: the device takes nothing until the case ends. */
	if (held)
		vpm_set_stall(s->m, true);
	for (q = 0; q < FZS_NVQS; q++) {
		vr = &s->vr[q];
		s->ops->set_vq_num(s->vdpa, q, FZS_QSZ);
		st.split.avail_index = base[q];
		if (s->ops->set_vq_address(s->vdpa, q, fzs_ring_iova(s, vr->desc),
					   fzs_ring_iova(s, vr->avail),
					   fzs_ring_iova(s, vr->used)) ||
		    s->ops->set_vq_state(s->vdpa, q, &st)) {
			vfz_violation(f, "vq %u: ring or state at %u refused", q,
				      base[q]);
			return false;
		}
		s->ops->set_vq_ready(s->vdpa, q, true);
	}
	s->ops->set_status(s->vdpa, FZS_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	status = s->ops->get_status(s->vdpa);
	if (status != (FZS_S_READY | VIRTIO_CONFIG_S_DRIVER_OK)) {
		vfz_violation(f, "status 0x%x after DRIVER_OK", status);
		return false;
	}
	for (q = 0; q < FZS_NVQS; q++) {
		struct vp_svq_shadow *sh = &s->dev->vqs[q].shadow;

		if (!vp_svq_shadow_active(&s->dev->vqs[q])) {
			vfz_violation(f, "vq %u restored at %u is not shadowed",
				      q, base[q]);
			return false;
		}
		/* DRIVER_OK forwards what the ring held: a kick's worth. */
		if (sh->descs > FZS_QSZ || sh->avail > FZS_QSZ)
			vfz_violation(f, "vq %u: start: %llu chains, %llu descriptors (ring %u)",
				      q, sh->avail, sh->descs, FZS_QSZ);
	}
	return true;
}

/* Every TX chain made available was used, or the queue broke. */
static void fzs_expect_done(struct fzs *s)
{
	struct vp_svq_shadow *sh = &s->dev->vqs[FZS_TX].shadow;
	u8 status = s->ops->get_status(s->vdpa);
	u16 used = fzs_used_idx(s, FZS_TX);

	if (READ_ONCE(sh->broken)) {
		s->tx_broken++;
		return;
	}
	if (status & VIRTIO_CONFIG_S_NEEDS_RESET) {
		s->tx_reset++;
		return;
	}
	if (used == s->avail[FZS_TX])
		s->tx_used++;
	else
		/* Neither the queue broken nor NEEDS_RESET: all used. */
		vfz_violation(&s->f, "TX: avail index %u, used index %u, not broken",
			      s->avail[FZS_TX], used);
}

static void fzs_case(struct fzs *s)
{
	struct vfz *f = &s->f;
	unsigned int violations, steps;
	u16 base[FZS_NVQS], used[FZS_NVQS], q, target;
	bool held;

	KUNIT_ASSERT_EQ(s->test, s->ops->reset(s->vdpa), 0);
	bitmap_zero(s->wmask, FZS_MEM);
	violations = s->m->violations;

	s->features = s->offered;
	if (vfz_chance(f, 50))
		s->features &= ~BIT_ULL(VIRTIO_RING_F_EVENT_IDX);
	if (vfz_chance(f, 40))
		s->features &= ~BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC);
	for (q = 0; q < FZS_NVQS; q++) {
		base[q] = 1 + vfz_below(f, U16_MAX);
		used[q] = base[q];
		/* A receive ring restored ahead of its used index. */
		if (q == FZS_RX && vfz_chance(f, 20))
			used[q] = base[q] - vfz_below(f, 2 * FZS_QSZ);
	}
	fzs_fill(s, base, used);
	fzs_snapshot(s);
	held = vfz_chance(f, 40);
	if (!fzs_start(s, base, held))
		return;
	if (!held)
		flush_workqueue(s->m->wq);
	fzs_compare(s, "after the start");

	target = vfz_below(f, FZS_NVQS);
	for (steps = 1 + vfz_below(f, 3); steps; steps--) {
		fzs_mutate(s, target);
		if (target == FZS_RX && vfz_chance(f, 60))
			fzs_tx_frames(s);
		fzs_snapshot(s);
		fzs_kick(s, target);
		if (target == FZS_RX)
			fzs_kick(s, FZS_TX);
		if (!held)
			flush_workqueue(s->m->wq);
		fzs_compare(s, "after a kick");
	}
	if (held) {
		vpm_set_stall(s->m, false);
		fzs_compare(s, "after the device took what it held");
	}
	fzs_expect_done(s);
	if (s->m->violations != violations)
		vfz_violation(f, "the model saw %u violations: %s",
			      s->m->violations - violations, s->m->last_violation);
}

/*
 * Test that no client ring, however hostile, makes the ring shadow do more
 * than a ring's worth of work per kick, write outside the used ring and
 * writable buffers, leave a TX chain unanswered on a working queue, or
 * give the device an index outside its ring.
 */
static void vfz_shadow(struct kunit *test)
{
	static struct vfz_sum sum;
	struct fzs *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, s);
	fzs_setup(test, s);
	vfz_begin(&s->f, test, "shadow", &sum, VFZ_SHADOW_CASES);
	while (vfz_next(&s->f))
		fzs_case(s);
	kunit_info(test, "fuzz shadow: at most %llu descriptors copied by one kick (case seed %llu); the model saw %u buffers built wrong, %u DMA faults\n",
		   s->max_descs, s->max_seed, s->m->bad_buffers, s->m->dma_faults);
	kunit_info(test, "fuzz shadow: TX all used in %u cases, broken in %u, device reset asked in %u\n",
		   s->tx_used, s->tx_broken, s->tx_reset);
	/* The checks above are not vacuous: most cases run traffic. */
	if (s->f.cases >= 100)
		KUNIT_EXPECT_GT(test, s->tx_used, s->f.cases / 4);
	vfz_end(&s->f);
}

static VP_SVQ_KUNIT_GEN_PARAMS(vfz_shadow_gen_params)
{
	return vfz_gen_params(prev, desc, VFZ_SHADOW_CASES);
}

static struct kunit_case vfz_shadow_cases[] = {
	KUNIT_CASE_PARAM_ATTR(vfz_shadow, vfz_shadow_gen_params,
			      { .speed = KUNIT_SPEED_SLOW }),
	{}
};

static struct kunit_suite vfz_shadow_suite = {
	.name = "vp_svq_fuzz_shadow",
	.test_cases = vfz_shadow_cases,
};

kunit_test_suite(vfz_shadow_suite);
