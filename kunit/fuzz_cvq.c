// SPDX-License-Identifier: GPL-2.0-only
/*
 * vp_svq KUnit: suite vp_svq_fuzz_cvq. Seeded random requests on the
 * shadow CVQ (cvq.c), from a client in address space 1 as vhost-vdpa's
 * user would be: random features negotiated, the ring restored at a
 * random index, then requests of every class and command the shadow
 * knows and of others, of exact, short and long lengths, their bytes split
 * over several descriptors, acks in writable, read-only and zero-length
 * buffers, in indirect tables (nested, at IOVA 0, of bad lengths, with
 * NEXT), chains looping or leaving the table, and avail indices moved
 * forwards, backwards and far ahead.
 *
 * Each part of the client's memory has pages of its own (the driver takes
 * page references on what a client maps), mapped on its own, for its exact
 * size, with unmapped IOVA between (and at 0): the translation must refuse
 * a read or write past a mapping. The rest of its last page holds a
 * pattern that a write past the mapping would change.
 *
 * Invariants, checked on every case (vp_svq_fuzz.h has the seeds):
 *  - a kick serves at most a ring's worth of requests
 *    (&vp_svq_cvq.received);
 *  - every request made available is answered, in ring order under its
 *    own head, with 0 or 1 byte written, unless the ring is reported
 *    broken (&vp_svq_cvq.broken);
 *  - no byte of the client's memory changes except the used ring's
 *    entries the shadow answered with, its index and avail event, and
 *    the first byte of device-writable descriptors (the ack);
 *  - the device's own CVQ sees nothing the model calls a violation;
 *  - the shadow serves no request the kernel's vringh refuses: each
 *    request is also walked with vringh_getdesc_iotlb() over the same
 *    address space, its readable bytes pulled, before the kick. The run
 *    counts the requests vringh takes and the shadow refuses (chains the
 *    spec forbids that vringh lets through, and what the CVQ needs on top:
 *    a writable ack, a command the driver can relay).
 */

#include <linux/bitmap.h>
#include <linux/etherdevice.h>
#include <linux/unaligned.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <linux/vringh.h>

#include "vp_svq_fuzz.h"
#include "compat.h"
#include "vp_svq_test.h"

#define FZC_QSZ		16
#define FZC_IOVA	0x40000000ULL
/* What the rest of a region's last page holds, past its mapping. */
#define FZC_PAST	0xa5
/* Region r is mapped at FZC_IOVA + r * FZC_STRIDE: holes between. */
#define FZC_STRIDE	0x10000ULL

#define FZC_S_READY	(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | \
			 VIRTIO_CONFIG_S_FEATURES_OK)

enum {
	FZC_DESC,
	FZC_AVAIL,
	FZC_USED,
	FZC_BUF,
	FZC_ROBUF,
	FZC_INDIR,
	FZC_NREG,
};

/**
 * struct fzc_region - one part of the client's memory
 * @size: bytes
 * @perm: VHOST_MAP_RO or VHOST_MAP_RW
 */
struct fzc_region {
	u32 size;
	u32 perm;
};

static const struct fzc_region fzc_regions[FZC_NREG] = {
	[FZC_DESC] = { .size = FZC_QSZ * sizeof(struct vring_desc),
		       .perm = VHOST_MAP_RO },
	[FZC_AVAIL] = { .size = sizeof(struct vring_avail) +
			FZC_QSZ * sizeof(__virtio16) + sizeof(__virtio16),
			.perm = VHOST_MAP_RO },
	[FZC_USED] = { .size = sizeof(struct vring_used) +
		       FZC_QSZ * sizeof(struct vring_used_elem) +
		       sizeof(__virtio16), .perm = VHOST_MAP_RW },
	[FZC_BUF] = { .size = 2048, .perm = VHOST_MAP_RW },
	[FZC_ROBUF] = { .size = 512, .perm = VHOST_MAP_RO },
	[FZC_INDIR] = { .size = 512, .perm = VHOST_MAP_RO },
};

/* Features a case may leave out; the CVQ itself is always negotiated. */
static const unsigned int fzc_optional[] = {
	VIRTIO_NET_F_MQ, VIRTIO_NET_F_RSS, VIRTIO_NET_F_HASH_REPORT,
	VIRTIO_NET_F_CTRL_RX, VIRTIO_NET_F_CTRL_VLAN,
	VIRTIO_NET_F_CTRL_MAC_ADDR, VIRTIO_NET_F_CTRL_RX_EXTRA,
	VIRTIO_NET_F_GUEST_ANNOUNCE, VIRTIO_NET_F_CTRL_GUEST_OFFLOADS,
	VIRTIO_RING_F_INDIRECT_DESC, VIRTIO_RING_F_EVENT_IDX,
	VIRTIO_NET_F_GUEST_CSUM, VIRTIO_NET_F_GUEST_TSO4,
};

/**
 * struct fzc - the device, the client's memory, the run
 * @f: the run
 * @e: the environment
 * @vdpa: the vDPA device
 * @ops: its ops
 * @dev: the driver's device
 * @offered: features the device offers
 * @features: negotiated in the case running
 * @idx: the client's CVQ index in the case running
 * @mem: the regions
 * @snap: copies of the regions before the last kick
 * @desc: the descriptor table (in @mem)
 * @avail: the avail ring
 * @used: the used ring
 * @next_avail: the avail index the client last published
 * @slot: next descriptor the client builds a request in
 * @brk: next free byte of each buffer region
 * @max_served: most requests one kick served
 * @max_us: longest kick, until the shadow was done
 * @cmd: the command being built
 * @acked: requests the shadow acked VIRTIO_NET_OK
 * @vrh: vringh over the client's ring, to compare with
 * @vrh_lock: the lock vringh takes around its translations; the test
 *	thread is its one user, so it orders against nothing
 * @vrh_ok: per avail slot before the kick, vringh took the request there
 * @agree: requests both took, or both refused
 * @stricter: requests vringh took and the shadow refused
 */
struct fzc {
	struct vfz f;
	struct vpt_env *e;
	struct vdpa_device *vdpa;
	const struct vdpa_config_ops *ops;
	struct vp_svq_dev *dev;
	u64 offered;
	u64 features;
	u16 idx;
	u8 *mem[FZC_NREG];
	u8 *snap[FZC_NREG];
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	u16 next_avail;
	u16 slot;
	u32 brk[FZC_NREG];
	u64 max_served;
	s64 max_us;
	u8 cmd[VP_SVQ_CVQ_CMD_MAX + 64];
	unsigned int acked;
	struct vringh vrh;
	spinlock_t vrh_lock; /* vringh's, around its iotlb lookups */
	bool vrh_ok[FZC_QSZ];
	unsigned int agree;
	unsigned int stricter;
};

static u64 fzc_iova(unsigned int r, u32 off)
{
	return FZC_IOVA + r * FZC_STRIDE + off;
}

/* Where client address @addr is: region, offset, bytes left there. */
static bool fzc_where(u64 addr, unsigned int *r, u32 *off, u32 *room)
{
	u64 rel;

	if (addr < FZC_IOVA)
		return false;
	rel = addr - FZC_IOVA;
	*r = rel / FZC_STRIDE;
	if (*r >= FZC_NREG || rel % FZC_STRIDE >= fzc_regions[*r].size)
		return false;
	*off = rel % FZC_STRIDE;
	*room = fzc_regions[*r].size - *off;
	return true;
}

static void fzc_reset_action(void *data)
{
	struct vdpa_device *vdpa = data;

	vdpa->config->reset(vdpa);
}

/* One model, one vDPA device, the client's regions mapped in ASID 1. */
static void fzc_setup(struct kunit *test, struct fzc *s)
{
	struct vpt_add_attrs a = { .has_features = true };
	struct vpm_config cfg;
	unsigned int r;

	vpm_default_config(&cfg);
	cfg.max_vqp = 2;
	cfg.msix_vectors = 6;
	cfg.features |= BIT_ULL(VIRTIO_NET_F_MQ) | BIT_ULL(VIRTIO_NET_F_RSS) |
			BIT_ULL(VIRTIO_NET_F_HASH_REPORT) |
			BIT_ULL(VIRTIO_NET_F_CTRL_RX_EXTRA) |
			BIT_ULL(VIRTIO_NET_F_GUEST_ANNOUNCE) |
			BIT_ULL(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) |
			BIT_ULL(VIRTIO_NET_F_GUEST_CSUM) |
			BIT_ULL(VIRTIO_NET_F_GUEST_TSO4);
	s->e = vpt_env_new(test, &cfg);
	/* The device reaches only what the driver maps in its domain. */
	s->e->iommu_strict = true;
	a.features = cfg.features & ~VP_SVQ_FEATURES_NEVER_OFFERED;
	KUNIT_ASSERT_EQ(test, vpt_add(s->e, &a), 0);
	s->vdpa = vpt_vdpa(s->e);
	KUNIT_ASSERT_NOT_NULL(test, s->vdpa);
	s->ops = s->vdpa->config;
	s->dev = vdpa_to_vp_svq(s->vdpa);
	s->offered = s->ops->get_device_features(s->vdpa);
	KUNIT_ASSERT_TRUE(test, s->offered & BIT_ULL(VIRTIO_NET_F_CTRL_VQ));
	KUNIT_ASSERT_TRUE(test, s->offered & BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC));

	for (r = 0; r < FZC_NREG; r++) {
		s->mem[r] = vpt_client_mem(test, PAGE_ALIGN(fzc_regions[r].size));
		s->snap[r] = kunit_kzalloc(test, fzc_regions[r].size, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, s->mem[r]);
		KUNIT_ASSERT_NOT_NULL(test, s->snap[r]);
		memset(s->mem[r] + fzc_regions[r].size, FZC_PAST,
		       PAGE_ALIGN(fzc_regions[r].size) - fzc_regions[r].size);
	}
	/* Reset (the shadow stops) before the memory goes back. */
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, fzc_reset_action,
							s->vdpa), 0);
	KUNIT_ASSERT_EQ(test, s->ops->set_group_asid(s->vdpa, VP_SVQ_GROUP_CVQ,
						     1), 0);
	for (r = 0; r < FZC_NREG; r++)
		KUNIT_ASSERT_EQ(test, s->ops->dma_map(s->vdpa, 1, fzc_iova(r, 0),
						      fzc_regions[r].size,
						      virt_to_phys(s->mem[r]),
						      fzc_regions[r].perm, NULL), 0);
	s->desc = (void *)s->mem[FZC_DESC];
	s->avail = (void *)s->mem[FZC_AVAIL];
	s->used = (void *)s->mem[FZC_USED];
}

/* @len bytes of buffer region @r; its client address. */
static u64 fzc_alloc(struct fzc *s, unsigned int r, u32 len, u8 **va)
{
	u32 off;

	if (len > fzc_regions[r].size)
		len = fzc_regions[r].size;
	if (s->brk[r] + len > fzc_regions[r].size)
		s->brk[r] = 0;
	off = s->brk[r];
	s->brk[r] += len;
	*va = s->mem[r] + off;
	return fzc_iova(r, off);
}

/* An address a hostile client might write into a descriptor. */
static u64 fzc_rand_addr(struct fzc *s)
{
	struct vfz *f = &s->f;
	unsigned int r = vfz_below(f, FZC_NREG);

	switch (vfz_below(f, 6)) {
	case 0:
		return vfz_chance(f, 50) ? 0 : vfz_u64(f);
	case 1:
		/* Runs past the end of its mapping. */
		return fzc_iova(r, fzc_regions[r].size - vfz_below(f, 8));
	case 2:
		/* In the hole after a mapping. */
		return fzc_iova(r, fzc_regions[r].size + vfz_below(f, 4096));
	default:
		return fzc_iova(r, vfz_below(f, fzc_regions[r].size));
	}
}

static void fzc_rand_desc(struct fzc *s, struct vring_desc *d)
{
	struct vfz *f = &s->f;
	u16 flags = 0;
	u32 len;

	if (vfz_chance(f, 60))
		flags |= VRING_DESC_F_NEXT;
	if (vfz_chance(f, 40))
		flags |= VRING_DESC_F_WRITE;
	if (vfz_chance(f, 15))
		flags |= VRING_DESC_F_INDIRECT;
	if (vfz_chance(f, 5))
		flags = vfz_u32(f);
	switch (vfz_below(f, 4)) {
	case 0:
		len = 0;
		break;
	case 1:
	case 2:
		len = vfz_below(f, 64);
		break;
	default:
		len = vfz_chance(f, 50) ? vfz_below(f, 4096) : vfz_u32(f);
	}
	vpt_set_desc(d, fzc_rand_addr(s), len, flags,
		     vfz_chance(f, 85) ? vfz_below(f, FZC_QSZ) : vfz_u32(f));
}

/* A MAC address, now and then multicast or zero. */
static void fzc_mac(struct fzc *s, u8 *p)
{
	prandom_bytes_state(&s->f.rs, p, ETH_ALEN);
	if (vfz_chance(&s->f, 80))
		p[0] &= ~1;
	if (vfz_chance(&s->f, 5))
		eth_zero_addr(p);
}

/* The bytes after class and command: RSS_CONFIG's or HASH_CONFIG's. */
static u32 fzc_rss(struct fzc *s, u8 *p, bool rss)
{
	struct vfz *f = &s->f;
	u16 entries = vfz_chance(f, 80) ? 1 << vfz_below(f, 6) :
				 vfz_below(f, 200);
	u8 key = vfz_chance(f, 80) ? 40 : vfz_below(f, 64);
	u32 len = 0, i;

	put_unaligned_le32(vfz_chance(f, 70) ? vfz_below(f, 0x200) : vfz_u32(f),
			   p);
	len += 4;
	if (rss) {
		put_unaligned_le16(entries - 1, p + len);
		put_unaligned_le16(vfz_below(f, 5), p + len + 2);
		len += 4;
		for (i = 0; i < entries; i++, len += 2)
			put_unaligned_le16(vfz_below(f, 5), p + len);
		put_unaligned_le16(vfz_below(f, 5), p + len);
		len += 2;
	} else {
		memset(p + len, vfz_chance(f, 90) ? 0 : 1, 8);
		len += 8;
	}
	p[len++] = key;
	prandom_bytes_state(&f->rs, p + len, key);
	return len + key;
}

/*
 * A command (class, command, data) in @p, at most VP_SVQ_CVQ_CMD_MAX +
 * 16 bytes: known ones mostly, with plausible data; its length.
 */
static u32 fzc_command(struct fzc *s, u8 *p)
{
	struct vfz *f = &s->f;
	u32 len = 2, n, m, i;

	p[0] = vfz_below(f, 7);
	p[1] = vfz_below(f, 3);
	switch (p[0]) {
	case VIRTIO_NET_CTRL_RX:
		p[1] = vfz_below(f, 7);
		p[len++] = vfz_below(f, 3);
		break;
	case VIRTIO_NET_CTRL_MAC:
		if (p[1] == VIRTIO_NET_CTRL_MAC_ADDR_SET) {
			fzc_mac(s, p + len);
			len += ETH_ALEN;
			break;
		}
		for (m = 0; m < 2; m++) {
			n = vfz_chance(f, 90) ? vfz_below(f, 5) : vfz_u32(f);
			put_unaligned_le32(n, p + len);
			len += 4;
			for (i = 0; i < min(n, 8U); i++, len += ETH_ALEN)
				fzc_mac(s, p + len);
		}
		break;
	case VIRTIO_NET_CTRL_VLAN:
		put_unaligned_le16(vfz_below(f, 4200), p + len);
		len += 2;
		break;
	case VIRTIO_NET_CTRL_ANNOUNCE:
		break;
	case VIRTIO_NET_CTRL_MQ:
		if (p[1] == VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET) {
			put_unaligned_le16(vfz_chance(f, 90) ? vfz_below(f, 4) :
					   vfz_u32(f), p + len);
			len += 2;
		} else {
			len += fzc_rss(s, p + len,
				       p[1] == VIRTIO_NET_CTRL_MQ_RSS_CONFIG);
		}
		break;
	case VIRTIO_NET_CTRL_GUEST_OFFLOADS:
		put_unaligned_le64(vfz_chance(f, 50) ? vfz_below(f, 0x100) :
				   vfz_u64(f), p + len);
		len += 8;
		break;
	default:
		p[0] = vfz_u32(f);
		p[1] = vfz_u32(f);
		n = vfz_below(f, 64);
		prandom_bytes_state(&f->rs, p + len, n);
		len += n;
	}
	/* Short or long by a few bytes. */
	if (vfz_chance(f, 15)) {
		n = vfz_below(f, 8);
		if (vfz_chance(f, 50) && n < len) {
			len -= n;
		} else {
			prandom_bytes_state(&f->rs, p + len, n);
			len += n;
		}
	}
	return len;
}

/*
 * A request well formed or nearly: the command split over 1 to 3
 * readable descriptors, the ack after it; into @d, @max entries at most.
 * Return: descriptors written.
 */
static unsigned int fzc_request(struct fzc *s, struct vring_desc *d,
				unsigned int max, u16 first, bool chain_local)
{
	struct vfz *f = &s->f;
	u8 *cmd = s->cmd, *va;
	unsigned int n = 0, pieces = 1 + vfz_below(f, 3), k;
	u32 len = fzc_command(s, cmd), off = 0, piece;
	unsigned int r = vfz_chance(f, 80) ? FZC_BUF : FZC_ROBUF;
	u16 next;

	for (k = 0; k < pieces && n + 1 < max; k++) {
		piece = k + 1 == pieces ? len - off : vfz_below(f, len - off + 1);
		vpt_set_desc(&d[n], fzc_alloc(s, r, piece, &va), piece, 0, 0);
		memcpy(va, cmd + off, min(piece, fzc_regions[r].size));
		off += piece;
		n++;
	}
	/* Now and then a zero-length writable buffer before the ack. */
	if (vfz_chance(f, 5) && n + 1 < max) {
		vpt_set_desc(&d[n], fzc_alloc(s, FZC_BUF, 1, &va), 0,
			     VRING_DESC_F_WRITE, 0);
		n++;
	}
	switch (vfz_below(f, 20)) {
	case 0:
		/* No ack buffer at all. */
		break;
	case 1:
		/* The ack where the client may not be written. */
		vpt_set_desc(&d[n++], fzc_alloc(s, FZC_ROBUF, 1, &va), 1,
			     VRING_DESC_F_WRITE, 0);
		break;
	case 2:
		/* A readable buffer after the writable one. */
		vpt_set_desc(&d[n++], fzc_alloc(s, FZC_BUF, 1, &va), 1,
			     VRING_DESC_F_WRITE, 0);
		if (n < max)
			vpt_set_desc(&d[n++], fzc_alloc(s, FZC_BUF, 4, &va), 4, 0, 0);
		break;
	default:
		vpt_set_desc(&d[n++], fzc_alloc(s, FZC_BUF, 1, &va),
			     1 + vfz_below(f, 4), VRING_DESC_F_WRITE, 0);
	}
	/* Link them: consecutive, wrapping around a ring table. */
	for (k = 0; k < n; k++) {
		next = chain_local ? k + 1 : (first + k + 1) % FZC_QSZ;
		if (k + 1 < n)
			d[k].flags |= __cpu_to_virtio16(true, VRING_DESC_F_NEXT);
		d[k].next = __cpu_to_virtio16(true, next);
	}
	return n;
}

/* One request at s->slot of the table, maybe through an indirect table. */
static u16 fzc_build(struct fzc *s)
{
	bool indirect = s->features & BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC);
	struct vring_desc ring[FZC_QSZ], *t;
	struct vfz *f = &s->f;
	u16 head = s->slot, flags;
	unsigned int n, k;
	u64 taddr;
	u32 tlen;
	u8 *va;

	if (vfz_chance(f, 25)) {
		n = 1 + vfz_below(f, 4);
		for (k = 0; k < n; k++)
			fzc_rand_desc(s, &s->desc[(head + k) % FZC_QSZ]);
		s->slot = (head + n) % FZC_QSZ;
		return head;
	}
	if (vfz_chance(f, indirect ? 30 : 5)) {
		taddr = fzc_alloc(s, FZC_INDIR, 8 * sizeof(*t), &va);
		t = (void *)va;
		n = fzc_request(s, t, 8, 0, true);
		tlen = n * sizeof(*t);
		flags = VRING_DESC_F_INDIRECT;
		switch (vfz_below(f, 20)) {
		case 0:
			/* The table at IOVA 0. */
			taddr = 0;
			break;
		case 1:
			/* An indirect descriptor inside the table. */
			t[vfz_below(f, n)].flags |=
				__cpu_to_virtio16(true, VRING_DESC_F_INDIRECT);
			break;
		case 2:
			flags |= VRING_DESC_F_NEXT;
			break;
		case 3:
			tlen = vfz_chance(f, 50) ? vfz_below(f, 64) : vfz_u32(f);
			break;
		case 4:
			/* A loop inside the table. */
			t[vfz_below(f, n)].flags |=
				__cpu_to_virtio16(true, VRING_DESC_F_NEXT);
			t[vfz_below(f, n)].next = __cpu_to_virtio16(true, 0);
			break;
		}
		vpt_set_desc(&s->desc[head], taddr, tlen, flags,
			     (head + 1) % FZC_QSZ);
		s->slot = (head + 1) % FZC_QSZ;
		return head;
	}
	n = fzc_request(s, ring, FZC_QSZ, head, false);
	for (k = 0; k < n; k++)
		s->desc[(head + k) % FZC_QSZ] = ring[k];
	s->slot = (head + n) % FZC_QSZ;
	return head;
}

/* What a hostile client does to its CVQ before it kicks. */
static void fzc_mutate(struct fzc *s)
{
	struct vfz *f = &s->f;
	u16 avail = s->next_avail, head;
	unsigned int n = 1 + vfz_below(f, FZC_QSZ / 2);
	u32 r;

	while (n--) {
		head = fzc_build(s);
		if (vfz_chance(f, 5))
			head = vfz_chance(f, 50) ? vfz_below(f, FZC_QSZ) : vfz_u32(f);
		s->avail->ring[avail++ % FZC_QSZ] = __cpu_to_virtio16(true, head);
	}
	if (vfz_chance(f, 10))
		s->avail->flags = __cpu_to_virtio16(true, vfz_u32(f));
	r = vfz_below(f, 100);
	if (r < 10)
		avail = s->next_avail - 1 - vfz_below(f, 3 * FZC_QSZ);
	else if (r < 20)
		avail = s->next_avail + FZC_QSZ + 1 +
			vfz_below(f, 0x10000 - 2 * FZC_QSZ);
	else if (r < 25)
		avail = vfz_u32(f);
	/* The entries before the index that publishes them. */
	wmb();
	WRITE_ONCE(s->avail->idx, __cpu_to_virtio16(true, avail));
	s->next_avail = avail;
}

/*
 * Which bytes the shadow may write: the first byte of every writable
 * descriptor with a length, in the table and in the tables its indirect
 * descriptors point to.
 */
static void fzc_allowed(struct fzc *s, unsigned long **mask)
{
	unsigned int i, j, r;
	struct vring_desc d, t;
	u32 off, room, len;
	u16 flags;

	for (i = 0; i < FZC_QSZ; i++) {
		d = s->desc[i];
		flags = __virtio16_to_cpu(true, d.flags);
		len = __virtio32_to_cpu(true, d.len);
		if ((flags & VRING_DESC_F_WRITE) && len &&
		    fzc_where(__virtio64_to_cpu(true, d.addr), &r, &off, &room))
			__set_bit(off, mask[r]);
		if (!(flags & VRING_DESC_F_INDIRECT) ||
		    !fzc_where(__virtio64_to_cpu(true, d.addr), &r, &off, &room))
			continue;
		room = min(room, len);
		for (j = 0; j + sizeof(t) <= room; j += sizeof(t)) {
			unsigned int tr;
			u32 toff, troom;

			memcpy(&t, s->mem[r] + off + j, sizeof(t));
			if ((__virtio16_to_cpu(true, t.flags) & VRING_DESC_F_WRITE) &&
			    t.len &&
			    fzc_where(__virtio64_to_cpu(true, t.addr), &tr, &toff,
				      &troom))
				__set_bit(toff, mask[tr]);
		}
	}
}

/* The used ring's bytes the shadow may write for entries @from to @to. */
static bool fzc_used_ok(u32 off, u16 from, u16 to)
{
	u32 ring = offsetof(struct vring_used, ring);
	u32 esz = sizeof(struct vring_used_elem);
	u16 k;

	if (off < ring)
		return off >= offsetof(struct vring_used, idx);
	if (off >= ring + FZC_QSZ * esz)
		/* The avail event. */
		return true;
	for (k = from; k != to; k++)
		if ((off - ring) / esz == k % FZC_QSZ)
			return true;
	return false;
}

static void fzc_compare(struct fzc *s, unsigned long **mask, u16 from, u16 to)
{
	unsigned int r;
	u32 off;

	for (r = 0; r < FZC_NREG; r++) {
		off = fzc_regions[r].size;
		if (memchr_inv(s->mem[r] + off, FZC_PAST,
			       PAGE_ALIGN(off) - off)) {
			vfz_violation(&s->f, "region %u written past its mapping", r);
			return;
		}
		if (!memcmp(s->mem[r], s->snap[r], fzc_regions[r].size))
			continue;
		for (off = 0; off < fzc_regions[r].size; off++) {
			if (s->mem[r][off] == s->snap[r][off] ||
			    test_bit(off, mask[r]) ||
			    (r == FZC_USED && fzc_used_ok(off, from, to)))
				continue;
			/* Neither an ack nor the used ring's answer. */
			vfz_violation(&s->f, "region %u byte %u: 0x%02x -> 0x%02x",
				      r, off, s->snap[r][off], s->mem[r][off]);
			return;
		}
	}
}

/*
 * Does vringh take the request at avail position @pos: a chain it can
 * walk, and readable bytes it can pull? Reads only.
 */
static bool fzc_vringh_takes(struct fzc *s, u16 pos)
{
	struct vringh_kiov riov, wiov;
	u8 buf[256];
	ssize_t n;
	bool ok;
	u16 head;

	vringh_kiov_init(&riov, NULL, 0);
	vringh_kiov_init(&wiov, NULL, 0);
	s->vrh.last_avail_idx = pos;
	ok = vringh_getdesc_iotlb(&s->vrh, &riov, &wiov, &head, GFP_KERNEL) == 1;
	if (ok) {
		/* 0 once every readable byte was pulled, -errno if one cannot be. */
		do {
			n = vringh_iov_pull_iotlb(&s->vrh, &riov, buf, sizeof(buf));
		} while (n > 0);
		ok = !n;
	}
	vringh_kiov_cleanup(&riov);
	vringh_kiov_cleanup(&wiov);
	return ok;
}

/* Walk every request made available with vringh, as the shadow will. */
static void fzc_vringh_walk(struct fzc *s)
{
	u16 pos = s->dev->cvq.last_avail, n = s->next_avail - pos, i;

	memset(s->vrh_ok, 0, sizeof(s->vrh_ok));
	if (n > FZC_QSZ ||
	    vringh_init_iotlb(&s->vrh, s->features, FZC_QSZ, false,
			      (struct vring_desc *)(uintptr_t)fzc_iova(FZC_DESC, 0),
			      (struct vring_avail *)(uintptr_t)fzc_iova(FZC_AVAIL, 0),
			      (struct vring_used *)(uintptr_t)fzc_iova(FZC_USED, 0)))
		return;
	vringh_set_iotlb(&s->vrh, s->dev->as[s->dev->group_asid[VP_SVQ_GROUP_CVQ]],
			 &s->vrh_lock);
	for (i = 0; i < n; i++)
		s->vrh_ok[i] = fzc_vringh_takes(s, pos + i);
}

/*
 * The request at avail position @k - @from was answered with @len bytes
 * written: 1 only if the shadow took it. vringh must have taken it too.
 */
static void fzc_vringh_compare(struct fzc *s, u16 k, u16 from, u32 len)
{
	bool took;

	if ((u16)(k - from) >= FZC_QSZ)
		return;
	took = s->vrh_ok[(u16)(k - from)];
	if (len == 1 && !took)
		vfz_violation(&s->f, "used entry %u: served a request vringh refuses",
			      k);
	else if (len == 1 || !took)
		s->agree++;
	else
		s->stricter++;
}

/* Kick, wait for the shadow, check what it did. */
static void fzc_kick(struct fzc *s, unsigned long **mask)
{
	struct vp_svq_cvq *cvq = &s->dev->cvq;
	u16 from = __virtio16_to_cpu(true, READ_ONCE(s->used->idx)), to, k;
	u64 received = READ_ONCE(cvq->received);
	u64 completed = READ_ONCE(cvq->completed);
	struct vring_used_elem *e;
	unsigned int r, off;
	ktime_t t0;
	s64 us;
	u16 head;

	for (r = 0; r < FZC_NREG; r++) {
		bitmap_zero(mask[r], fzc_regions[r].size);
		memcpy(s->snap[r], s->mem[r], fzc_regions[r].size);
	}
	fzc_allowed(s, mask);
	fzc_vringh_walk(s);
	t0 = ktime_get();
	s->ops->kick_vq(s->vdpa, s->idx);
	while (flush_work(&cvq->work))
		;
	us = ktime_us_delta(ktime_get(), t0);
	s->max_us = max(s->max_us, us);
	received = READ_ONCE(cvq->received) - received;
	s->acked += READ_ONCE(cvq->completed) - completed;
	s->max_served = max(s->max_served, received);
	if (received > FZC_QSZ)
		vfz_violation(&s->f, "one kick served %llu requests (ring of %u)",
			      received, FZC_QSZ);
	to = __virtio16_to_cpu(true, READ_ONCE(s->used->idx));
	if (!READ_ONCE(cvq->broken) && to != s->next_avail)
		vfz_violation(&s->f, "avail index %u, used index %u, the ring not reported broken",
			      s->next_avail, to);
	for (k = from; k != to && (u16)(k - from) <= FZC_QSZ; k++) {
		e = &s->used->ring[k % FZC_QSZ];
		/* An ack the client pointed into the used ring may land there. */
		off = (u8 *)e - s->mem[FZC_USED];
		if (find_next_bit(mask[FZC_USED], off + sizeof(*e), off) <
		    off + sizeof(*e))
			continue;
		head = __virtio16_to_cpu(true, s->avail->ring[k % FZC_QSZ]);
		if (__virtio32_to_cpu(true, e->id) != head ||
		    __virtio32_to_cpu(true, e->len) > 1) {
			vfz_violation(&s->f, "used entry %u: id %u len %u, request %u",
				      k, __virtio32_to_cpu(true, e->id),
				      __virtio32_to_cpu(true, e->len), head);
			break;
		}
		fzc_vringh_compare(s, k, from, __virtio32_to_cpu(true, e->len));
	}
	fzc_compare(s, mask, from, to);
}

/* Negotiate, give the CVQ its ring at @base and start the device. */
static bool fzc_start(struct fzc *s, u16 base)
{
	struct vdpa_callback cb = {};
	struct vdpa_vq_state st = {};
	struct vfz *f = &s->f;
	unsigned int i;
	u8 status;

	s->features = s->offered;
	for (i = 0; i < ARRAY_SIZE(fzc_optional); i++)
		if (vfz_chance(f, 30))
			s->features &= ~BIT_ULL(fzc_optional[i]);
	s->ops->set_status(s->vdpa, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	s->ops->set_status(s->vdpa, VIRTIO_CONFIG_S_ACKNOWLEDGE |
			   VIRTIO_CONFIG_S_DRIVER);
	if (s->ops->set_driver_features(s->vdpa, s->features)) {
		/* A combination the driver refuses: take them all. */
		KUNIT_ASSERT_EQ(f->test, s->ops->reset(s->vdpa), 0);
		s->features = s->offered;
		s->ops->set_status(s->vdpa, VIRTIO_CONFIG_S_ACKNOWLEDGE |
				   VIRTIO_CONFIG_S_DRIVER);
		KUNIT_ASSERT_EQ(f->test, s->ops->set_driver_features(s->vdpa,
								     s->features), 0);
	}
	s->ops->set_status(s->vdpa, FZC_S_READY);
	/* A reset may give the CVQ group address space 0 again. */
	KUNIT_ASSERT_EQ(f->test, s->ops->set_group_asid(s->vdpa, VP_SVQ_GROUP_CVQ,
							1), 0);
	s->idx = vp_svq_hw_cvq_index(s->features, s->dev->max_vqp);
	s->ops->set_vq_num(s->vdpa, s->idx, FZC_QSZ);
	st.split.avail_index = base;
	if (s->ops->set_vq_address(s->vdpa, s->idx, fzc_iova(FZC_DESC, 0),
				   fzc_iova(FZC_AVAIL, 0), fzc_iova(FZC_USED, 0)) ||
	    s->ops->set_vq_state(s->vdpa, s->idx, &st)) {
		vfz_violation(f, "CVQ %u: ring or state at %u refused", s->idx, base);
		return false;
	}
	s->ops->set_vq_cb(s->vdpa, s->idx, &cb);
	s->ops->set_vq_ready(s->vdpa, s->idx, true);
	s->ops->set_status(s->vdpa, FZC_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	status = s->ops->get_status(s->vdpa);
	if (status != (FZC_S_READY | VIRTIO_CONFIG_S_DRIVER_OK)) {
		vfz_violation(f, "status 0x%x after DRIVER_OK (features 0x%llx)",
			      status, s->features);
		return false;
	}
	return true;
}

static void fzc_case(struct fzc *s, unsigned long **mask)
{
	struct vfz *f = &s->f;
	struct vpm *m = s->e->m;
	unsigned int violations, steps, r;
	u16 base;

	KUNIT_ASSERT_EQ(f->test, s->ops->reset(s->vdpa), 0);
	violations = m->violations;
	for (r = 0; r < FZC_NREG; r++)
		prandom_bytes_state(&f->rs, s->mem[r], fzc_regions[r].size);
	base = vfz_u32(f);
	s->avail->idx = __cpu_to_virtio16(true, base);
	s->used->idx = __cpu_to_virtio16(true, base);
	s->next_avail = base;
	s->slot = vfz_below(f, FZC_QSZ);
	memset(s->brk, 0, sizeof(s->brk));
	if (!fzc_start(s, base))
		return;
	for (steps = 1 + vfz_below(f, 3); steps; steps--) {
		fzc_mutate(s);
		fzc_kick(s, mask);
		if (READ_ONCE(s->dev->cvq.broken))
			break;
	}
	if (m->violations != violations)
		vfz_violation(f, "the model saw %u violations: %s",
			      m->violations - violations, m->last_violation);
}

/*
 * Test that no request, however hostile, makes the shadow CVQ serve more
 * than a ring's worth per kick, leave a request unanswered on a working
 * ring, write anything but acks and used entries, or relay what the
 * device's CVQ calls a violation.
 */
static void vfz_cvq(struct kunit *test)
{
	static struct vfz_sum sum;
	struct fzc *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	unsigned long *mask[FZC_NREG];
	unsigned int r;

	KUNIT_ASSERT_NOT_NULL(test, s);
	for (r = 0; r < FZC_NREG; r++) {
		mask[r] = kunit_kcalloc(test, BITS_TO_LONGS(fzc_regions[r].size),
					sizeof(long), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, mask[r]);
	}
	spin_lock_init(&s->vrh_lock);
	fzc_setup(test, s);
	vfz_begin(&s->f, test, "cvq", &sum, VFZ_CVQ_CASES);
	while (vfz_next(&s->f))
		fzc_case(s, mask);
	kunit_info(test, "fuzz cvq: at most %llu requests served by one kick, the longest kick %lld us; %u requests acked OK; vringh: %u requests judged alike, %u taken by vringh and refused by the shadow\n",
		   s->max_served, s->max_us, s->acked, s->agree, s->stricter);
	/* The checks above are not vacuous: commands reach the device. */
	if (s->f.cases >= 100) {
		KUNIT_EXPECT_GT(test, s->acked, s->f.cases / 4);
		KUNIT_EXPECT_GT(test, s->agree, s->f.cases / 4);
	}
	vfz_end(&s->f);
}

static VP_SVQ_KUNIT_GEN_PARAMS(vfz_cvq_gen_params)
{
	return vfz_gen_params(prev, desc, VFZ_CVQ_CASES);
}

static struct kunit_case vfz_cvq_cases[] = {
	KUNIT_CASE_PARAM_ATTR(vfz_cvq, vfz_cvq_gen_params,
			      { .speed = KUNIT_SPEED_SLOW }),
	{}
};

static struct kunit_suite vfz_cvq_suite = {
	.name = "vp_svq_fuzz_cvq",
	.test_cases = vfz_cvq_cases,
};

kunit_test_suite(vfz_cvq_suite);
