// SPDX-License-Identifier: GPL-2.0-only
/*
 * vp_svq KUnit: suite vp_svq_suspend. Suspend, resume and ring state
 * through the device's facilities (virtio 1.4 SUSPEND, the device-state
 * capability of <vp_svq/device_state.h>), driven through the vdpa ops as
 * vhost-vdpa and QEMU drive them: the test owns every ring (split or
 * packed, in kernel memory; data rings by physical address, the CVQ in
 * address space 1), streams numbered frames from each TX queue to its RX
 * queue through the model's loopback and checks each one byte for byte,
 * so a lost or duplicated frame shows. Migration moves those rings from
 * one model device to another.
 */

#include <linux/delay.h>
#include <linux/etherdevice.h>
#include <linux/ktime.h>
#include <linux/sizes.h>
#include <linux/unaligned.h>
#include <linux/vhost_iotlb.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <uapi/linux/vhost_types.h>

#include "vp_svq_test.h"

#define VPS_QSZ		16
/* Layout of one ring's memory: descriptors, driver and device areas, buffers. */
#define VPS_DESC	0x000
#define VPS_DRIVER	0x100
#define VPS_DEVICE	0x200
#define VPS_BUFS	0x400
#define VPS_BUFSZ	256
#define VPS_RING_MEM	(VPS_BUFS + VPS_QSZ * VPS_BUFSZ)
/* Control requests: the ack byte's offset in the request's buffer. */
#define VPS_ACK_OFF	192
#define VPS_POISON	0xee
#define VPS_HDR		sizeof(struct virtio_net_hdr_mrg_rxbuf)
/* Where the client's CVQ memory sits in address space 1. */
#define VPS_IOVA	0x40000000ULL
#define VPS_MAX_VQS	(2 * VPM_MAX_VQP + 1)
/* How long the test keeps completions held while suspend waits. */
#define VPS_HOLD_MS	50

#define VPS_S_READY	(VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER | \
			 VIRTIO_CONFIG_S_FEATURES_OK)

/**
 * struct vps_opts - one variant of a test
 * @name: shown by KUnit
 * @suspend: the device offers VIRTIO_F_SUSPEND
 * @cap: the device has the device-state capability
 * @packed: packed rings (then no CVQ and one queue pair)
 * @ring_reset: the device offers VIRTIO_F_RING_RESET; a migration
 *	destination then enables its data queues after DRIVER_OK
 * @pairs: queue pairs
 */
struct vps_opts {
	const char *name;
	bool suspend;
	bool cap;
	bool packed;
	bool ring_reset;
	u16 pairs;
};

/**
 * struct vps_ring - one ring the test drives as the driver side
 * @test: the test
 * @packed: packed layout
 * @per: descriptors per buffer (2 for control requests, split only)
 * @mem: ring and buffers
 * @base: the device's address of @mem
 * @next: split: next avail index; packed: next descriptor to make available
 * @next_wrap: packed: wrap counter of @next
 * @used: split: used entries consumed; packed: next descriptor to be used
 * @used_wrap: packed: wrap counter of @used
 * @inflight: buffers made available and not yet seen used
 */
struct vps_ring {
	struct kunit *test;
	bool packed;
	u16 per;
	u8 *mem;
	u64 base;
	u16 next;
	bool next_wrap;
	u16 used;
	bool used_wrap;
	u16 inflight;
};

/**
 * struct vps - the client: rings and the device currently driving them
 * @test: the test
 * @o: the variant
 * @e: the environment of the current device
 * @vdpa: the current device
 * @ops: its ops
 * @features: negotiated
 * @nvqs: data queues
 * @cvq: the CVQ's index, or -1
 * @r: the rings, data queues then the CVQ
 * @calls: callbacks per queue since the device was started
 * @config_calls: config callbacks since the device was started
 * @tx_seq: next frame number sent, per pair
 * @rx_seq: next frame number expected, per pair
 * @rx_bad: frames that were not the next expected, or not byte-exact
 * @cmds: control commands sent (and acked OK), replayed on a destination
 * @ncmds: entries of @cmds
 * @cvq_mem: the CVQ ring's memory, mapped at VPS_IOVA on every device
 */
struct vps {
	struct kunit *test;
	const struct vps_opts *o;
	struct vpt_env *e;
	struct vdpa_device *vdpa;
	const struct vdpa_config_ops *ops;
	u64 features;
	u16 nvqs;
	int cvq;
	struct vps_ring r[VPS_MAX_VQS];
	atomic_t calls[VPS_MAX_VQS];
	atomic_t config_calls;
	u32 tx_seq[VPM_MAX_VQP];
	u32 rx_seq[VPM_MAX_VQP];
	unsigned int rx_bad;
	struct {
		u8 buf[16];
		u8 len;
	} cmds[8];
	unsigned int ncmds;
	u8 *cvq_mem;
};

/* --- rings ------------------------------------------------------------------ */

static u8 *vps_buf(struct vps_ring *r, u16 slot)
{
	return r->mem + VPS_BUFS + slot * VPS_BUFSZ;
}

static u64 vps_buf_addr(struct vps_ring *r, u16 slot, u32 off)
{
	return r->base + VPS_BUFS + slot * VPS_BUFSZ + off;
}

static void vps_ring_init(struct kunit *test, struct vps_ring *r, bool packed,
			  u16 per, u8 *mem, u64 base)
{
	memset(r, 0, sizeof(*r));
	r->test = test;
	r->packed = packed;
	r->per = per;
	r->mem = mem;
	r->base = base;
	r->next_wrap = true;
	r->used_wrap = true;
	memset(mem, 0, VPS_RING_MEM);
}

/* The used index the device wrote (split). */
static u16 vps_used_idx(struct vps_ring *r)
{
	struct vring_used *used = (struct vring_used *)(r->mem + VPS_DEVICE);

	return __virtio16_to_cpu(true, READ_ONCE(used->idx));
}

/*
 * Make one buffer available: @out_len bytes from @out readable, then
 * @in_len writable bytes (poisoned). Returns its slot.
 */
static u16 vps_post(struct vps_ring *r, const void *out, u32 out_len,
		    u32 in_len)
{
	u32 in_off = out_len ? VPS_ACK_OFF : 0;
	u16 slot, head, flags;
	u8 *buf;

	KUNIT_ASSERT_LT(r->test, r->inflight, VPS_QSZ / r->per);
	slot = r->packed ? r->next : r->next % (VPS_QSZ / r->per);
	buf = vps_buf(r, slot);
	if (out_len)
		memcpy(buf, out, out_len);
	if (in_len)
		memset(buf + in_off, VPS_POISON, in_len);
	r->inflight++;

	if (r->packed) {
		struct vring_packed_desc *d;

		d = (struct vring_packed_desc *)(r->mem + VPS_DESC) + r->next;
		d->addr = cpu_to_le64(vps_buf_addr(r, slot, 0));
		d->len = cpu_to_le32(out_len ?: in_len);
		d->id = cpu_to_le16(slot);
		flags = in_len ? VRING_DESC_F_WRITE : 0;
		flags |= r->next_wrap ? BIT(VRING_PACKED_DESC_F_AVAIL) :
					BIT(VRING_PACKED_DESC_F_USED);
		/* The descriptor before the flags that make it available. */
		wmb();
		WRITE_ONCE(d->flags, cpu_to_le16(flags));
		if (++r->next == VPS_QSZ) {
			r->next = 0;
			r->next_wrap = !r->next_wrap;
		}
	} else {
		struct vring_desc *d = (struct vring_desc *)(r->mem + VPS_DESC);
		struct vring_avail *avail;
		u16 i;

		head = slot * r->per;
		i = head;
		if (out_len) {
			d[i].addr = __cpu_to_virtio64(true, vps_buf_addr(r, slot, 0));
			d[i].len = __cpu_to_virtio32(true, out_len);
			d[i].flags = __cpu_to_virtio16(true, in_len ?
						       VRING_DESC_F_NEXT : 0);
			d[i].next = __cpu_to_virtio16(true, i + 1);
			i++;
		}
		if (in_len) {
			d[i].addr = __cpu_to_virtio64(true,
						      vps_buf_addr(r, slot, in_off));
			d[i].len = __cpu_to_virtio32(true, in_len);
			d[i].flags = __cpu_to_virtio16(true, VRING_DESC_F_WRITE);
			d[i].next = 0;
		}
		avail = (struct vring_avail *)(r->mem + VPS_DRIVER);
		avail->ring[r->next % VPS_QSZ] = __cpu_to_virtio16(true, head);
		/* The entry before the index that publishes it. */
		wmb();
		r->next++;
		WRITE_ONCE(avail->idx, __cpu_to_virtio16(true, r->next));
	}
	return slot;
}

/* Take the next used buffer, if any: its slot and used length. */
static bool vps_get_used(struct vps_ring *r, u16 *slot, u32 *len)
{
	if (r->packed) {
		struct vring_packed_desc *d;
		bool avail, used;
		u16 flags;

		d = (struct vring_packed_desc *)(r->mem + VPS_DESC) + r->used;
		flags = le16_to_cpu(READ_ONCE(d->flags));
		avail = flags & BIT(VRING_PACKED_DESC_F_AVAIL);
		used = flags & BIT(VRING_PACKED_DESC_F_USED);
		if (avail != used || used != r->used_wrap)
			return false;
		/* id and len only after the flags. */
		rmb();
		*slot = le16_to_cpu(d->id);
		*len = le32_to_cpu(d->len);
		if (++r->used == VPS_QSZ) {
			r->used = 0;
			r->used_wrap = !r->used_wrap;
		}
	} else {
		struct vring_used *u = (struct vring_used *)(r->mem + VPS_DEVICE);

		if (vps_used_idx(r) == r->used)
			return false;
		/* The entry only after the index that published it. */
		rmb();
		*slot = __virtio32_to_cpu(true, u->ring[r->used % VPS_QSZ].id) /
			r->per;
		*len = __virtio32_to_cpu(true, u->ring[r->used % VPS_QSZ].len);
		r->used++;
	}
	KUNIT_EXPECT_GT(r->test, r->inflight, 0);
	r->inflight--;
	return true;
}

/* --- frames ------------------------------------------------------------------- */

static u32 vps_frame_len(u32 seq)
{
	return 60 + (seq * 13) % 150;
}

static u8 vps_frame_byte(u16 pair, u32 seq, u32 i)
{
	return seq * 7 + i * 3 + pair;
}

/* Frame @seq of pair @pair: header, pair, number, pattern. */
static u32 vps_build_frame(u8 *buf, u16 pair, u32 seq)
{
	u32 len = vps_frame_len(seq), i;
	u8 *p = buf + VPS_HDR;

	memset(buf, 0, VPS_HDR);
	p[0] = pair;
	put_unaligned_le32(seq, p + 1);
	for (i = 5; i < len; i++)
		p[i] = vps_frame_byte(pair, seq, i);
	return VPS_HDR + len;
}

/* Is @buf (@len bytes used) the next frame pair @pair expects? */
static bool vps_frame_ok(struct vps *s, u16 pair, const u8 *buf, u32 len)
{
	const struct virtio_net_hdr_mrg_rxbuf *hdr = (const void *)buf;
	u32 seq = s->rx_seq[pair], flen = vps_frame_len(seq), i;
	const u8 *p = buf + VPS_HDR;

	if (len != VPS_HDR + flen || le16_to_cpu(hdr->num_buffers) != 1 ||
	    p[0] != pair || get_unaligned_le32(p + 1) != seq)
		return false;
	for (i = 5; i < flen; i++)
		if (p[i] != vps_frame_byte(pair, seq, i))
			return false;
	return true;
}

/* --- the client --------------------------------------------------------------- */

static irqreturn_t vps_count_cb(void *data)
{
	atomic_inc(data);
	return IRQ_HANDLED;
}

static void vps_model_config(const struct vps_opts *o, struct vpm_config *cfg)
{
	vpm_default_config(cfg);
	cfg->max_vqp = o->pairs;
	cfg->msix_vectors = 2 * o->pairs + 2;
	cfg->queue_size = VPS_QSZ;
	if (o->pairs > 1)
		cfg->features |= BIT_ULL(VIRTIO_NET_F_MQ);
	if (o->suspend)
		cfg->features |= BIT_ULL(VIRTIO_F_SUSPEND);
	if (o->ring_reset)
		cfg->features |= BIT_ULL(VIRTIO_F_RING_RESET);
	if (o->packed)
		cfg->features |= BIT_ULL(VIRTIO_F_RING_PACKED);
	cfg->state_cap = o->cap;
}

static void vps_reset_action(void *data)
{
	struct vdpa_device *vdpa = data;

	vdpa->config->reset(vdpa);
}

/*
 * A model device for @o with a vDPA device added (packed: offered on
 * request, without the CVQ), its CVQ group in address space 1 with
 * @cvq_mem mapped at VPS_IOVA. Reset at the end of the test, before the
 * rings go away.
 */
static struct vpt_env *vps_device(struct kunit *test, const struct vps_opts *o,
				  void *cvq_mem)
{
	struct vpt_add_attrs a = {};
	struct vdpa_device *vdpa;
	struct vpm_config cfg;
	struct vpt_env *e;

	vps_model_config(o, &cfg);
	e = vpt_env_new(test, &cfg);
	if (o->packed) {
		a.has_features = true;
		a.features = (e->parent->supported_features &
			      (VP_SVQ_DEFAULT_FEATURES |
			       BIT_ULL(VIRTIO_F_RING_PACKED))) &
			     ~VPT_CVQ_FEATURES;
	}
	KUNIT_ASSERT_EQ(test, vpt_add(e, &a), 0);
	vdpa = vpt_vdpa(e);
	KUNIT_ASSERT_NOT_NULL(test, vdpa);
	KUNIT_ASSERT_NULL(test, vdpa->dev.driver);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, vps_reset_action,
							vdpa), 0);
	KUNIT_ASSERT_EQ(test, vdpa->config->set_group_asid(vdpa,
							   VP_SVQ_GROUP_CVQ, 1), 0);
	KUNIT_ASSERT_EQ(test, vdpa->config->dma_map(vdpa, 1, VPS_IOVA,
						    VPS_RING_MEM,
						    virt_to_phys(cvq_mem),
						    VHOST_MAP_RW, NULL), 0);
	return e;
}

/* Point the client at device @e (the first, or a migration destination). */
static void vps_use(struct vps *s, struct vpt_env *e)
{
	unsigned int i;

	s->e = e;
	s->vdpa = vpt_vdpa(e);
	s->ops = s->vdpa->config;
	for (i = 0; i < VPS_MAX_VQS; i++)
		atomic_set(&s->calls[i], 0);
	atomic_set(&s->config_calls, 0);
}

/* Client, rings and a first device; nothing negotiated yet. */
static struct vps *vps_new(struct kunit *test, const struct vps_opts *o)
{
	struct vps *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	struct vpt_env *e;
	unsigned int i;
	u64 offered;
	u8 *mem;

	KUNIT_ASSERT_NOT_NULL(test, s);
	s->test = test;
	s->o = o;
	/* Ring memory first: the devices are reset before it is freed. */
	mem = vpt_client_mem(test, VPS_MAX_VQS * VPS_RING_MEM);
	KUNIT_ASSERT_NOT_NULL(test, mem);
	s->cvq_mem = mem + (VPS_MAX_VQS - 1) * VPS_RING_MEM;
	e = vps_device(test, o, s->cvq_mem);
	vps_use(s, e);

	offered = s->ops->get_device_features(s->vdpa);
	/* Every buffer interrupts: no event index. */
	s->features = offered & ~BIT_ULL(VIRTIO_RING_F_EVENT_IDX);
	KUNIT_ASSERT_EQ(test, !!(s->features & BIT_ULL(VIRTIO_F_RING_PACKED)),
			o->packed);
	s->nvqs = 2 * vdpa_to_vp_svq(s->vdpa)->max_vqp;
	KUNIT_ASSERT_EQ(test, s->nvqs, 2 * o->pairs);
	s->cvq = -1;
	if (s->features & BIT_ULL(VIRTIO_NET_F_CTRL_VQ))
		s->cvq = vp_svq_hw_cvq_index(s->features, o->pairs);
	for (i = 0; i < s->nvqs; i++)
		vps_ring_init(test, &s->r[i], o->packed, 1,
			      mem + i * VPS_RING_MEM,
			      virt_to_phys(mem + i * VPS_RING_MEM));
	if (s->cvq >= 0)
		vps_ring_init(test, &s->r[s->cvq], false, 2, s->cvq_mem,
			      VPS_IOVA);
	return s;
}

static bool vps_is_queue(struct vps *s, u16 idx)
{
	return idx < s->nvqs || (int)idx == s->cvq;
}

static u8 vps_client_status(struct vps *s)
{
	return s->ops->get_status(s->vdpa);
}

/*
 * Negotiate and start the current device with the rings. @states, when
 * set, is where each queue starts (a migration destination). Data queues
 * are made ready before DRIVER_OK unless @late (the caller enables them).
 */
static void vps_start(struct vps *s, const struct vdpa_vq_state *states,
		      bool late)
{
	struct vdpa_callback cfg_cb = { .callback = vps_count_cb,
					.private = &s->config_calls };
	const struct vdpa_config_ops *ops = s->ops;
	struct vdpa_device *vdpa = s->vdpa;
	struct kunit *test = s->test;
	struct vdpa_vq_state got;
	struct vdpa_callback cb;
	u16 i;

	ops->set_status(vdpa, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	ops->set_status(vdpa, VIRTIO_CONFIG_S_ACKNOWLEDGE |
			VIRTIO_CONFIG_S_DRIVER);
	KUNIT_ASSERT_EQ(test, ops->set_driver_features(vdpa, s->features), 0);
	ops->set_status(vdpa, VPS_S_READY);
	KUNIT_ASSERT_EQ(test, vps_client_status(s), VPS_S_READY);
	/* As QEMU at each start: a reset put the CVQ group in ASID 0. */
	if (s->cvq >= 0)
		KUNIT_ASSERT_EQ(test, ops->set_group_asid(vdpa, VP_SVQ_GROUP_CVQ,
							  1), 0);
	ops->set_config_cb(vdpa, &cfg_cb);

	for (i = 0; i < VPS_MAX_VQS; i++) {
		struct vps_ring *r = &s->r[i];

		if (!vps_is_queue(s, i))
			continue;
		ops->set_vq_num(vdpa, i, VPS_QSZ);
		KUNIT_ASSERT_EQ(test, ops->set_vq_address(vdpa, i,
							  r->base + VPS_DESC,
							  r->base + VPS_DRIVER,
							  r->base + VPS_DEVICE), 0);
		cb.callback = vps_count_cb;
		cb.private = &s->calls[i];
		ops->set_vq_cb(vdpa, i, &cb);
		if (states) {
			KUNIT_ASSERT_EQ(test, ops->set_vq_state(vdpa, i,
								&states[i]), 0);
			/* Before DRIVER_OK it reads back as set. */
			KUNIT_ASSERT_EQ(test, ops->get_vq_state(vdpa, i, &got), 0);
			KUNIT_EXPECT_EQ(test, memcmp(&got, &states[i],
						     sizeof(got)), 0);
		}
		if ((int)i == s->cvq || !late)
			ops->set_vq_ready(vdpa, i, true);
	}
	ops->set_status(vdpa, VPS_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_ASSERT_EQ(test, vps_client_status(s),
			VPS_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
}

/* Enable the data queues after DRIVER_OK (QEMU since 8.2). */
static void vps_enable_late(struct vps *s)
{
	u16 i;

	for (i = 0; i < s->nvqs; i++) {
		s->ops->set_vq_ready(s->vdpa, i, true);
		KUNIT_EXPECT_TRUE(s->test, s->ops->get_vq_ready(s->vdpa, i));
	}
}

/* Wait for the model's worker to be done with what it was given. */
static void vps_settle(struct vps *s)
{
	flush_workqueue(s->e->m->wq);
}

/* Wait for the shadow CVQ to be done with what it was given. */
static void vps_cvq_settle(struct vps *s)
{
	while (flush_work(&vdpa_to_vp_svq(s->vdpa)->cvq.work))
		;
}

static void vps_kick_all(struct vps *s)
{
	u16 i;

	for (i = 0; i < s->nvqs; i++)
		s->ops->kick_vq(s->vdpa, i);
}

/* Fill every RX ring. */
static void vps_fill_rx(struct vps *s)
{
	u16 pair;

	for (pair = 0; pair < s->nvqs / 2; pair++)
		while (s->r[2 * pair].inflight < VPS_QSZ)
			vps_post(&s->r[2 * pair], NULL, 0, VPS_BUFSZ);
}

/* Post @n frames on every TX queue; no kick. */
static void vps_send(struct vps *s, unsigned int n)
{
	u8 frame[VPS_BUFSZ];
	unsigned int i;
	u16 pair;
	u32 len;

	for (pair = 0; pair < s->nvqs / 2; pair++) {
		for (i = 0; i < n; i++) {
			len = vps_build_frame(frame, pair, s->tx_seq[pair]++);
			vps_post(&s->r[2 * pair + 1], frame, len, 0);
		}
	}
}

/*
 * Take every used buffer: TX buffers back, RX frames checked against the
 * next number of their pair and given back to the ring. Returns the
 * frames received.
 */
static unsigned int vps_reap(struct vps *s)
{
	unsigned int got = 0;
	u16 pair, slot;
	u32 len;

	for (pair = 0; pair < s->nvqs / 2; pair++) {
		struct vps_ring *rx = &s->r[2 * pair], *tx = &s->r[2 * pair + 1];

		while (vps_get_used(tx, &slot, &len))
			KUNIT_EXPECT_EQ(s->test, len, 0);
		while (vps_get_used(rx, &slot, &len)) {
			if (!vps_frame_ok(s, pair, vps_buf(rx, slot), len) &&
			    !s->rx_bad++)
				kunit_err(s->test, "pair %u: frame %u wrong (len %u)\n",
					  pair, s->rx_seq[pair], len);
			s->rx_seq[pair]++;
			got++;
			vps_post(rx, NULL, 0, VPS_BUFSZ);
		}
	}
	return got;
}

/* Every frame sent arrived once, in order, byte for byte. */
static void vps_expect_stream_whole(struct vps *s)
{
	u16 pair;

	KUNIT_EXPECT_EQ(s->test, s->rx_bad, 0);
	for (pair = 0; pair < s->nvqs / 2; pair++)
		KUNIT_EXPECT_EQ_MSG(s->test, s->rx_seq[pair], s->tx_seq[pair],
				    "pair %u", pair);
	KUNIT_EXPECT_EQ(s->test, s->e->m->rx_dropped, 0);
}

/* @n frames per pair through the loopback, in batches the rings hold. */
static void vps_traffic(struct vps *s, unsigned int n)
{
	unsigned int batch;

	while (n) {
		batch = min(n, VPS_QSZ / 2);
		vps_send(s, batch);
		vps_kick_all(s);
		vps_settle(s);
		KUNIT_EXPECT_EQ(s->test, vps_reap(s), batch * s->nvqs / 2);
		n -= batch;
	}
	vps_expect_stream_whole(s);
}

/* Post a control request on the client's CVQ and kick it. */
static void vps_cvq_post(struct vps *s, const u8 *cmd, size_t len)
{
	vps_post(&s->r[s->cvq], cmd, len, 1);
	s->ops->kick_vq(s->vdpa, s->cvq);
}

/* The ack of the next control request, once it came back; else poison. */
static u8 vps_cvq_ack(struct vps *s)
{
	struct vps_ring *r = &s->r[s->cvq];
	u16 slot;
	u32 len;

	vps_cvq_settle(s);
	if (!vps_get_used(r, &slot, &len))
		return VPS_POISON;
	KUNIT_EXPECT_EQ(s->test, len, 1);
	return vps_buf(r, slot)[VPS_ACK_OFF];
}

/* Send a control command (and keep it for a replay); return its ack. */
static u8 vps_cvq_cmd(struct vps *s, u8 class, u8 cmd, const void *data,
		      size_t len)
{
	u8 *c;

	KUNIT_ASSERT_LT(s->test, s->ncmds, ARRAY_SIZE(s->cmds));
	KUNIT_ASSERT_LE(s->test, len + 2, sizeof(s->cmds[0].buf));
	c = s->cmds[s->ncmds].buf;
	c[0] = class;
	c[1] = cmd;
	memcpy(c + 2, data, len);
	s->cmds[s->ncmds++].len = len + 2;
	vps_cvq_post(s, c, len + 2);
	return vps_cvq_ack(s);
}

/* Hold completions back; release them @ms later from a work item. */
struct vps_release {
	struct delayed_work work;
	struct vpm *m;
};

static void vps_release_fn(struct work_struct *work)
{
	struct vps_release *rel = container_of(to_delayed_work(work),
					       struct vps_release, work);

	vpm_set_stall(rel->m, false);
}

/*
 * Suspend with @n frames per pair held in flight (the model takes no
 * buffer); the hold is released from a work item while suspend waits, so
 * suspend can only succeed by letting them complete.
 */
static int vps_suspend_in_flight(struct vps *s, unsigned int n)
{
	struct vps_release rel = { .m = s->e->m };
	unsigned int before[VPS_MAX_VQS];
	bool held;
	u16 i;
	int ret;

	for (i = 0; i < s->nvqs; i++)
		before[i] = s->e->m->q[i].completed;
	vpm_set_stall(s->e->m, true);
	vps_send(s, n);
	vps_kick_all(s);
	vps_settle(s);
	for (i = 0; i < s->nvqs; i++)
		KUNIT_EXPECT_EQ_MSG(s->test, s->e->m->q[i].completed, before[i],
				    "vq %u: nothing is held in flight", i);
	INIT_DELAYED_WORK_ONSTACK(&rel.work, vps_release_fn);
	schedule_delayed_work(&rel.work, msecs_to_jiffies(VPS_HOLD_MS));
	ret = s->ops->suspend(s->vdpa);
	held = cancel_delayed_work_sync(&rel.work);
	destroy_delayed_work_on_stack(&rel.work);
	if (held)
		vpm_set_stall(s->e->m, false);
	KUNIT_EXPECT_FALSE_MSG(s->test, held,
			       "suspend returned with completions held (%d)", ret);
	return ret;
}

static void vps_snapshot_calls(struct vps *s, unsigned int *calls)
{
	u16 i;

	for (i = 0; i < VPS_MAX_VQS; i++)
		calls[i] = atomic_read(&s->calls[i]);
}

/* The ring state the device must report for ring @r (all completed). */
static void vps_expected_state(struct vps *s, struct vps_ring *r,
			       struct vdpa_vq_state *st)
{
	memset(st, 0, sizeof(*st));
	if (!r->packed) {
		st->split.avail_index = r->used;
		return;
	}
	st->packed.last_avail_idx = r->used;
	st->packed.last_avail_counter = r->used_wrap;
	st->packed.last_used_idx = r->used;
	st->packed.last_used_counter = r->used_wrap;
}

/* get_vq_state of every data queue equals what its used ring says. */
static void vps_expect_states(struct vps *s)
{
	struct vdpa_vq_state st, want;
	u16 i;

	for (i = 0; i < s->nvqs; i++) {
		struct vps_ring *r = &s->r[i];

		memset(&st, 0xff, sizeof(st));
		if (!s->o->cap && s->o->suspend) {
			/* SUSPEND alone: the device's ring cannot be read. */
			KUNIT_EXPECT_EQ(s->test, s->ops->get_vq_state(s->vdpa, i, &st),
					-EOPNOTSUPP);
			continue;
		}
		KUNIT_ASSERT_EQ(s->test, s->ops->get_vq_state(s->vdpa, i, &st), 0);
		vps_expected_state(s, r, &want);
		if (!r->packed) {
			KUNIT_EXPECT_EQ_MSG(s->test, st.split.avail_index,
					    vps_used_idx(r), "vq %u", i);
			KUNIT_EXPECT_EQ_MSG(s->test, st.split.avail_index,
					    want.split.avail_index, "vq %u", i);
			continue;
		}
		KUNIT_EXPECT_EQ_MSG(s->test, (u16)st.packed.last_used_idx,
				    (u16)want.packed.last_used_idx, "vq %u", i);
		KUNIT_EXPECT_EQ_MSG(s->test, (u16)st.packed.last_used_counter,
				    (u16)want.packed.last_used_counter, "vq %u", i);
		KUNIT_EXPECT_EQ_MSG(s->test, (u16)st.packed.last_avail_idx,
				    (u16)want.packed.last_avail_idx, "vq %u", i);
		KUNIT_EXPECT_EQ_MSG(s->test, (u16)st.packed.last_avail_counter,
				    (u16)want.packed.last_avail_counter, "vq %u", i);
	}
}

/* --- suspend with traffic in flight ------------------------------------------ */

static const struct vps_opts vps_suspend_params[] = {
	{ "split, SUSPEND + capability", true, true, false, false, 3 },
	{ "split, SUSPEND only", true, false, false, false, 3 },
	{ "split, capability only (queue stop)", false, true, false, false, 3 },
	{ "packed, SUSPEND + capability", true, true, true, false, 1 },
	{ "packed, capability only (queue stop)", false, true, true, false, 1 },
};

static void vps_opts_desc(const struct vps_opts *o, char *desc)
{
	strscpy(desc, o->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(vps_suspend, vps_suspend_params, vps_opts_desc);

static void vps_suspend_traffic(struct kunit *test)
{
	const struct vps_opts *o = test->param_value;
	unsigned int calls[VPS_MAX_VQS], completed[VPS_MAX_VQS];
	struct vps *s = vps_new(test, o);
	struct vpm *m = s->e->m;
	u16 i, pair;

	vps_start(s, NULL, false);
	if (s->cvq >= 0 && o->pairs > 1) {
		__virtio16 pairs = __cpu_to_virtio16(true, o->pairs);

		KUNIT_EXPECT_EQ(test, vps_cvq_cmd(s, VIRTIO_NET_CTRL_MQ,
						  VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET,
						  &pairs, sizeof(pairs)),
				VIRTIO_NET_OK);
	}
	vps_fill_rx(s);
	/* Past the ring size, so packed wrap counters have flipped. */
	vps_traffic(s, 20);

	/* Callbacks from here on: none until resume. */
	vps_snapshot_calls(s, calls);
	KUNIT_ASSERT_EQ(test, vps_suspend_in_flight(s, 4), 0);
	for (i = 0; i < s->nvqs; i++)
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&s->calls[i]), calls[i],
				    "vq %u called back during suspend", i);
	KUNIT_EXPECT_EQ(test, vps_client_status(s),
			VPS_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	if (o->suspend) {
		KUNIT_EXPECT_EQ(test, m->suspends, 1);
		KUNIT_EXPECT_TRUE(test, m->status & VIRTIO_CONFIG_S_SUSPEND);
		KUNIT_EXPECT_FALSE(test, m->status & VIRTIO_CONFIG_S_DRIVER_OK);
	} else {
		KUNIT_EXPECT_EQ(test, m->queue_stops, s->nvqs);
	}

	/* Every buffer in flight was completed before suspend returned. */
	KUNIT_EXPECT_EQ(test, vps_reap(s), 4 * o->pairs);
	vps_expect_stream_whole(s);
	for (pair = 0; pair < o->pairs; pair++)
		KUNIT_EXPECT_EQ(test, s->r[2 * pair + 1].inflight, 0);
	vps_expect_states(s);

	/* Suspended: frames posted and kicked are not consumed, no interrupt. */
	vps_send(s, 5);
	vps_kick_all(s);
	vps_settle(s);
	msleep(20);
	vps_settle(s);
	for (i = 0; i < s->nvqs; i++) {
		completed[i] = m->q[i].completed;
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&s->calls[i]), calls[i],
				    "vq %u called back while suspended", i);
	}
	KUNIT_EXPECT_EQ(test, vps_reap(s), 0);
	for (pair = 0; pair < o->pairs; pair++)
		KUNIT_EXPECT_EQ(test, s->r[2 * pair + 1].inflight, 5);
	vps_expect_states(s);
	for (i = 0; i < s->nvqs; i++)
		KUNIT_EXPECT_EQ(test, m->q[i].completed, completed[i]);
	/* The state is the used index, not the avail index the client wrote. */
	if (o->cap && !o->packed) {
		struct vdpa_vq_state st;

		KUNIT_ASSERT_EQ(test, s->ops->get_vq_state(s->vdpa, 1, &st), 0);
		KUNIT_EXPECT_EQ(test, (u16)(st.split.avail_index + 5),
				s->r[1].next);
	}

	/* Resume: the interrupts held come, the frames posted go through. */
	KUNIT_ASSERT_EQ(test, s->ops->resume(s->vdpa), 0);
	if (o->suspend)
		KUNIT_EXPECT_EQ(test, m->resumes, 1);
	vps_settle(s);
	for (pair = 0; pair < o->pairs; pair++)
		KUNIT_EXPECT_GT(test, atomic_read(&s->calls[2 * pair + 1]),
				calls[2 * pair + 1]);
	KUNIT_EXPECT_EQ(test, vps_reap(s), 5 * o->pairs);
	vps_expect_stream_whole(s);
	vps_traffic(s, 10);
	KUNIT_EXPECT_EQ(test, vps_client_status(s),
			VPS_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_EXPECT_EQ_MSG(test, m->violations, 0, "%s", m->violation);
	KUNIT_EXPECT_EQ(test, m->bad_access, 0);
}

/* --- migration ------------------------------------------------------------------ */

static const struct vps_opts vps_migrate_params[] = {
	{ "split, SUSPEND + capability, enable after DRIVER_OK", true, true, false, true, 2 },
	{ "split, capability only, enable before DRIVER_OK", false, true, false, false, 2 },
	{ "packed, SUSPEND + capability, enable after DRIVER_OK", true, true, true, true, 1 },
	{ "packed, capability only, enable before DRIVER_OK", false, true, true, false, 1 },
};

KUNIT_ARRAY_PARAM(vps_migrate, vps_migrate_params, vps_opts_desc);

static const u8 vps_mac[ETH_ALEN] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };

/* Net state through the client's CVQ: MAC, RX modes, VLANs, queue pairs. */
static void vps_set_net_state(struct vps *s)
{
	struct kunit *test = s->test;
	__virtio16 vid = __cpu_to_virtio16(true, 42), pairs;
	u8 off = 0, on = 1;

	KUNIT_EXPECT_EQ(test, vps_cvq_cmd(s, VIRTIO_NET_CTRL_MAC,
					  VIRTIO_NET_CTRL_MAC_ADDR_SET,
					  vps_mac, ETH_ALEN), VIRTIO_NET_OK);
	KUNIT_EXPECT_EQ(test, vps_cvq_cmd(s, VIRTIO_NET_CTRL_RX,
					  VIRTIO_NET_CTRL_RX_PROMISC, &off, 1),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_EQ(test, vps_cvq_cmd(s, VIRTIO_NET_CTRL_RX,
					  VIRTIO_NET_CTRL_RX_ALLMULTI, &on, 1),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_EQ(test, vps_cvq_cmd(s, VIRTIO_NET_CTRL_VLAN,
					  VIRTIO_NET_CTRL_VLAN_ADD, &vid,
					  sizeof(vid)), VIRTIO_NET_OK);
	vid = __cpu_to_virtio16(true, 1000);
	KUNIT_EXPECT_EQ(test, vps_cvq_cmd(s, VIRTIO_NET_CTRL_VLAN,
					  VIRTIO_NET_CTRL_VLAN_ADD, &vid,
					  sizeof(vid)), VIRTIO_NET_OK);
	pairs = __cpu_to_virtio16(true, s->o->pairs);
	KUNIT_EXPECT_EQ(test, vps_cvq_cmd(s, VIRTIO_NET_CTRL_MQ,
					  VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET,
					  &pairs, sizeof(pairs)), VIRTIO_NET_OK);
}

/* The destination's device holds what the source's held. */
static void vps_expect_same_net(struct kunit *test, struct vpm *a,
				struct vpm *b)
{
	KUNIT_EXPECT_TRUE(test, ether_addr_equal(b->net.mac, vps_mac));
	KUNIT_EXPECT_TRUE(test, ether_addr_equal(b->net.mac, a->net.mac));
	KUNIT_EXPECT_EQ(test, b->net.promisc, a->net.promisc);
	KUNIT_EXPECT_FALSE(test, b->net.promisc);
	KUNIT_EXPECT_EQ(test, b->net.allmulti, a->net.allmulti);
	KUNIT_EXPECT_TRUE(test, b->net.allmulti);
	KUNIT_EXPECT_TRUE(test, bitmap_equal(b->net.vlans, a->net.vlans, 4096));
	KUNIT_EXPECT_TRUE(test, test_bit(42, b->net.vlans));
	KUNIT_EXPECT_TRUE(test, test_bit(1000, b->net.vlans));
	KUNIT_EXPECT_EQ(test, b->net.curr_qp, a->net.curr_qp);
}

static void vps_migrate(struct kunit *test)
{
	const struct vps_opts *o = test->param_value;
	struct vdpa_vq_state states[VPS_MAX_VQS] = {};
	unsigned int a_completed[VPS_MAX_VQS], i, ncmds = 0;
	struct vps *s = vps_new(test, o);
	struct vpt_env *a = s->e, *b;
	u16 pair, cvq_pos = 0;

	/* Source: net state, traffic, four frames per pair in flight. */
	vps_start(s, NULL, false);
	if (s->cvq >= 0) {
		vps_set_net_state(s);
		ncmds = s->ncmds;
	}
	vps_fill_rx(s);
	vps_traffic(s, 21);
	KUNIT_ASSERT_EQ(test, vps_suspend_in_flight(s, 4), 0);
	/* Posted after the suspension: they must go through on B, once. */
	vps_send(s, 3);
	vps_kick_all(s);
	vps_settle(s);

	/* Save: every queue's state, the CVQ's included. */
	for (i = 0; i < VPS_MAX_VQS; i++) {
		if (!vps_is_queue(s, i))
			continue;
		KUNIT_ASSERT_EQ(test, s->ops->get_vq_state(s->vdpa, i,
							   &states[i]), 0);
	}
	if (s->cvq >= 0) {
		cvq_pos = states[s->cvq].split.avail_index;
		KUNIT_EXPECT_EQ(test, cvq_pos, ncmds);
		KUNIT_EXPECT_EQ(test, cvq_pos, vps_used_idx(&s->r[s->cvq]));
	}
	for (i = 0; i < s->nvqs; i++)
		a_completed[i] = a->m->q[i].completed;

	/* Destination: state before DRIVER_OK, CVQ replay, then the queues. */
	b = vps_device(test, o, s->cvq_mem);
	vps_use(s, b);
	vps_start(s, states, o->ring_reset);
	if (s->cvq >= 0) {
		/* QEMU replays its CVQ state from where the ring stood. */
		for (i = 0; i < ncmds; i++)
			vps_cvq_post(s, s->cmds[i].buf, s->cmds[i].len);
		for (i = 0; i < ncmds; i++)
			KUNIT_EXPECT_EQ_MSG(test, vps_cvq_ack(s), VIRTIO_NET_OK,
					    "replayed command %u", i);
		KUNIT_EXPECT_EQ(test, vps_used_idx(&s->r[s->cvq]),
				(u16)(cvq_pos + ncmds));
		vps_expect_same_net(test, a->m, b->m);
	}
	if (o->ring_reset)
		vps_enable_late(s);
	vps_settle(s);

	/* B took up exactly where A stopped: 4 + 3 frames per pair arrive. */
	KUNIT_EXPECT_EQ(test, vps_reap(s), 7 * o->pairs);
	vps_expect_stream_whole(s);
	for (pair = 0; pair < o->pairs; pair++)
		KUNIT_EXPECT_EQ(test, b->m->q[2 * pair + 1].completed, 3);
	vps_traffic(s, 30);
	for (i = 0; i < s->nvqs; i++)
		KUNIT_EXPECT_EQ_MSG(test, a->m->q[i].completed, a_completed[i],
				    "vq %u of the source moved", i);
	KUNIT_EXPECT_EQ(test, a->m->rx_dropped, 0);
	KUNIT_EXPECT_EQ_MSG(test, a->m->violations, 0, "%s", a->m->violation);
	KUNIT_EXPECT_EQ_MSG(test, b->m->violations, 0, "%s", b->m->violation);
}

static const struct vps_opts vps_fault_opts = {
	"faults", true, true, false, false, 1
};

/* --- QEMU's way: suspend, then reset instead of resume ------------------------------ */

static const struct vps_opts vps_reset_params[] = {
	{ "SUSPEND + capability", true, true, false, false, 2 },
	{ "capability only (queue stop)", false, true, false, false, 2 },
};

KUNIT_ARRAY_PARAM(vps_reset, vps_reset_params, vps_opts_desc);

static void vps_suspend_then_reset(struct kunit *test)
{
	const struct vps_opts *o = test->param_value;
	struct vps *s = vps_new(test, o);
	struct vpm *m = s->e->m;
	unsigned int i;

	vps_start(s, NULL, false);
	vps_fill_rx(s);
	vps_traffic(s, 6);
	KUNIT_ASSERT_EQ(test, vps_suspend_in_flight(s, 3), 0);
	KUNIT_EXPECT_EQ(test, vps_reap(s), 3 * o->pairs);
	/* Never resumed: reset, and the device starts from scratch. */
	KUNIT_EXPECT_EQ(test, s->ops->reset(s->vdpa), 0);
	KUNIT_EXPECT_EQ(test, vps_client_status(s), 0);
	KUNIT_EXPECT_EQ(test, m->status, 0);
	for (i = 0; i < s->nvqs; i++)
		KUNIT_EXPECT_FALSE(test, m->q[i].stopped || m->q[i].enabled);
	for (i = 0; i < VPS_MAX_VQS; i++)
		if (vps_is_queue(s, i))
			vps_ring_init(test, &s->r[i], s->r[i].packed, s->r[i].per,
				      s->r[i].mem, s->r[i].base);
	memset(s->tx_seq, 0, sizeof(s->tx_seq));
	memset(s->rx_seq, 0, sizeof(s->rx_seq));
	vps_start(s, NULL, false);
	vps_fill_rx(s);
	vps_traffic(s, 10);
	/* The device was never resumed: the reset alone brought it back. */
	KUNIT_EXPECT_EQ(test, m->resumes, 0);
	KUNIT_EXPECT_EQ(test, m->suspends, o->suspend ? 1 : 0);
	KUNIT_EXPECT_EQ(test, vps_client_status(s),
			VPS_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_EXPECT_FALSE(test, vdpa_to_vp_svq(s->vdpa)->suspended);
	KUNIT_EXPECT_EQ_MSG(test, m->violations, 0, "%s", m->violation);
}

/* --- ring state while suspended, and suspend before DRIVER_OK ---------------------- */

static const struct vps_opts vps_suspend_only_opts = {
	"SUSPEND only", true, false, false, false, 1
};

/*
 * Without the capability a suspended data queue's position cannot be
 * programmed: set_vq_state says so, and touches no register; the CVQ's
 * (the shadow's) can be.
 */
static void vps_set_state_no_cap(struct kunit *test)
{
	struct vps *s = vps_new(test, &vps_suspend_only_opts);
	struct vdpa_vq_state st = {};
	unsigned int bad = s->e->m->bad_access;

	vps_start(s, NULL, false);
	vps_fill_rx(s);
	vps_traffic(s, 4);
	KUNIT_ASSERT_EQ(test, s->ops->suspend(s->vdpa), 0);
	KUNIT_EXPECT_EQ(test, s->ops->set_vq_state(s->vdpa, 0, &st), -EOPNOTSUPP);
	st.split.avail_index = 4;
	KUNIT_EXPECT_EQ(test, s->ops->set_vq_state(s->vdpa, 1, &st), -EOPNOTSUPP);
	st.split.avail_index = vps_used_idx(&s->r[s->cvq]);
	KUNIT_EXPECT_EQ(test, s->ops->set_vq_state(s->vdpa, s->cvq, &st), 0);
	KUNIT_EXPECT_EQ(test, s->e->m->bad_access, bad);
	KUNIT_ASSERT_EQ(test, s->ops->resume(s->vdpa), 0);
	vps_traffic(s, 4);
	KUNIT_EXPECT_EQ_MSG(test, s->e->m->violations, 0, "%s",
			    s->e->m->violation);
}

/*
 * The client writes back the status it reads while suspended (vhost-vdpa
 * allows VHOST_VDPA_SET_STATUS then): nothing starts again, the device
 * stays suspended, resume still works.
 */
static void vps_status_rewrite_suspended(struct kunit *test)
{
	const struct vps_opts *o = test->param_value;
	struct vps *s = vps_new(test, o);
	struct vpm *m = s->e->m;
	unsigned int completed, allocs;
	u8 status;

	vps_start(s, NULL, false);
	vps_fill_rx(s);
	vps_traffic(s, 4);
	KUNIT_ASSERT_EQ(test, s->ops->suspend(s->vdpa), 0);
	allocs = m->vector_allocs;
	status = vps_client_status(s);
	KUNIT_EXPECT_EQ(test, status, VPS_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	s->ops->set_status(s->vdpa, status);
	KUNIT_EXPECT_EQ(test, vps_client_status(s), status);
	KUNIT_EXPECT_EQ(test, m->vector_allocs, allocs);
	/* Still suspended: a frame posted now waits for the resume. */
	completed = m->q[1].completed;
	vps_send(s, 2);
	vps_kick_all(s);
	vps_settle(s);
	KUNIT_EXPECT_EQ(test, m->q[1].completed, completed);
	KUNIT_EXPECT_EQ(test, m->resumes, 0);
	KUNIT_ASSERT_EQ(test, s->ops->resume(s->vdpa), 0);
	vps_settle(s);
	KUNIT_EXPECT_EQ(test, vps_reap(s), 2 * o->pairs);
	vps_traffic(s, 4);
	KUNIT_EXPECT_EQ(test, vps_client_status(s),
			VPS_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_EXPECT_EQ_MSG(test, m->violations, 0, "%s", m->violation);
}

/*
 * Suspended by queue stops, a data queue the client enables then (RING_RESET)
 * stays stopped until resume: nothing it is given is consumed before.
 */
static const struct vps_opts vps_late_stop_opts = {
	.name = "cap, ring reset", .cap = true, .ring_reset = true, .pairs = 2,
};

static void vps_enable_late_suspended(struct kunit *test)
{
	struct vps *s = vps_new(test, &vps_late_stop_opts);
	struct vpm *m = s->e->m;
	unsigned int completed;

	vps_start(s, NULL, true);
	KUNIT_ASSERT_EQ(test, s->ops->suspend(s->vdpa), 0);
	vps_enable_late(s);
	vps_fill_rx(s);
	completed = m->q[1].completed;
	vps_send(s, 3);
	vps_kick_all(s);
	vps_settle(s);
	KUNIT_EXPECT_EQ(test, m->q[1].completed, completed);
	KUNIT_EXPECT_EQ(test, vps_reap(s), 0);
	KUNIT_ASSERT_EQ(test, s->ops->resume(s->vdpa), 0);
	vps_settle(s);
	KUNIT_EXPECT_EQ(test, vps_reap(s), 3 * vps_late_stop_opts.pairs);
	vps_traffic(s, 4);
	KUNIT_EXPECT_EQ_MSG(test, m->violations, 0, "%s", m->violation);
}

/* Before DRIVER_OK there is nothing to suspend (vhost does not even ask). */
static void vps_suspend_before_driver_ok(struct kunit *test)
{
	struct vps *s = vps_new(test, &vps_fault_opts);

	s->ops->set_status(s->vdpa, VIRTIO_CONFIG_S_ACKNOWLEDGE |
			   VIRTIO_CONFIG_S_DRIVER);
	KUNIT_ASSERT_EQ(test, s->ops->set_driver_features(s->vdpa, s->features), 0);
	s->ops->set_status(s->vdpa, VPS_S_READY);
	KUNIT_EXPECT_EQ(test, s->ops->suspend(s->vdpa), 0);
	KUNIT_EXPECT_EQ(test, vps_client_status(s), VPS_S_READY);
	KUNIT_EXPECT_EQ(test, s->ops->resume(s->vdpa), 0);
	KUNIT_EXPECT_EQ(test, s->ops->reset(s->vdpa), 0);
	vps_start(s, NULL, false);
	vps_fill_rx(s);
	vps_traffic(s, 4);
	KUNIT_EXPECT_EQ_MSG(test, s->e->m->violations, 0, "%s",
			    s->e->m->violation);
}

/* --- the CVQ while suspended ------------------------------------------------------ */

static const struct vps_opts vps_cvq_params[] = {
	{ "SUSPEND + capability", true, true, false, false, 1 },
	{ "capability only (queue stop)", false, true, false, false, 1 },
	{ "SUSPEND only", true, false, false, false, 1 },
};

KUNIT_ARRAY_PARAM(vps_cvq, vps_cvq_params, vps_opts_desc);

static void vps_cvq_suspended(struct kunit *test)
{
	const struct vps_opts *o = test->param_value;
	struct vps *s = vps_new(test, o);
	__virtio16 vid = __cpu_to_virtio16(true, 7);
	struct vdpa_vq_state st;
	unsigned int cmds, calls;
	u8 cmd[4], on = 1;

	KUNIT_ASSERT_GE(test, s->cvq, 0);
	vps_start(s, NULL, false);
	KUNIT_EXPECT_EQ(test, vps_cvq_cmd(s, VIRTIO_NET_CTRL_RX,
					  VIRTIO_NET_CTRL_RX_ALLMULTI, &on, 1),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_EQ(test, vps_cvq_cmd(s, VIRTIO_NET_CTRL_MAC,
					  VIRTIO_NET_CTRL_MAC_ADDR_SET,
					  vps_mac, ETH_ALEN), VIRTIO_NET_OK);
	/* Running, the position moves under the client: not readable. */
	KUNIT_EXPECT_EQ(test, s->ops->get_vq_state(s->vdpa, s->cvq, &st), -EBUSY);

	KUNIT_ASSERT_EQ(test, s->ops->suspend(s->vdpa), 0);
	KUNIT_ASSERT_EQ(test, s->ops->get_vq_state(s->vdpa, s->cvq, &st), 0);
	KUNIT_EXPECT_EQ(test, st.split.avail_index, 2);
	KUNIT_EXPECT_EQ(test, st.split.avail_index, vps_used_idx(&s->r[s->cvq]));

	cmds = s->e->m->net.commands;
	calls = atomic_read(&s->calls[s->cvq]);
	cmd[0] = VIRTIO_NET_CTRL_VLAN;
	cmd[1] = VIRTIO_NET_CTRL_VLAN_ADD;
	memcpy(cmd + 2, &vid, sizeof(vid));
	vps_cvq_post(s, cmd, sizeof(cmd));
	KUNIT_EXPECT_EQ(test, vps_cvq_ack(s), VPS_POISON);
	msleep(20);
	vps_cvq_settle(s);
	KUNIT_EXPECT_EQ(test, vps_used_idx(&s->r[s->cvq]), 2);
	KUNIT_EXPECT_EQ(test, s->e->m->net.commands, cmds);
	KUNIT_EXPECT_FALSE(test, test_bit(7, s->e->m->net.vlans));
	KUNIT_EXPECT_EQ(test, atomic_read(&s->calls[s->cvq]), calls);
	KUNIT_ASSERT_EQ(test, s->ops->get_vq_state(s->vdpa, s->cvq, &st), 0);
	KUNIT_EXPECT_EQ(test, st.split.avail_index, 2);

	/* Served after resume, and called back. */
	KUNIT_ASSERT_EQ(test, s->ops->resume(s->vdpa), 0);
	KUNIT_EXPECT_EQ(test, vps_cvq_ack(s), VIRTIO_NET_OK);
	KUNIT_EXPECT_EQ(test, vps_used_idx(&s->r[s->cvq]), 3);
	KUNIT_EXPECT_TRUE(test, test_bit(7, s->e->m->net.vlans));
	KUNIT_EXPECT_GT(test, atomic_read(&s->calls[s->cvq]), calls);
	KUNIT_EXPECT_EQ_MSG(test, s->e->m->violations, 0, "%s",
			    s->e->m->violation);
}

/* --- a config change while suspended ------------------------------------------------ */

static const struct vps_opts vps_config_params[] = {
	{ "SUSPEND: the device holds it", true, true, false, false, 1 },
	{ "queue stop: the driver holds it", false, true, false, false, 1 },
};

KUNIT_ARRAY_PARAM(vps_config, vps_config_params, vps_opts_desc);

static void vps_config_suspended(struct kunit *test)
{
	const struct vps_opts *o = test->param_value;
	struct vps *s = vps_new(test, o);
	struct vpm *m = s->e->m;
	unsigned int irqs;
	u32 gen;

	vps_start(s, NULL, false);
	KUNIT_ASSERT_EQ(test, s->ops->suspend(s->vdpa), 0);
	gen = s->ops->get_generation(s->vdpa);
	irqs = m->config_irqs;
	vpm_config_changed(m);
	vps_settle(s);
	/* With SUSPEND the device signals nothing; else the driver holds it. */
	KUNIT_EXPECT_EQ(test, m->config_irqs, irqs + !o->suspend);
	KUNIT_EXPECT_EQ(test, atomic_read(&s->config_calls), 0);

	KUNIT_ASSERT_EQ(test, s->ops->resume(s->vdpa), 0);
	vps_settle(s);
	KUNIT_EXPECT_EQ(test, atomic_read(&s->config_calls), 1);
	KUNIT_EXPECT_EQ(test, m->config_irqs, irqs + 1);
	KUNIT_EXPECT_EQ(test, s->ops->get_generation(s->vdpa), gen + 1);

	/* Running again, a config change comes at once. */
	vpm_config_changed(m);
	vps_settle(s);
	KUNIT_EXPECT_EQ(test, atomic_read(&s->config_calls), 2);
	KUNIT_EXPECT_EQ_MSG(test, m->violations, 0, "%s", m->violation);
}

/* --- faults ----------------------------------------------------------------------- */

/* After a failure: reset, start again, and the device carries traffic. */
static void vps_expect_recovers(struct vps *s)
{
	struct kunit *test = s->test;
	unsigned int i;

	KUNIT_EXPECT_EQ(test, s->ops->reset(s->vdpa), 0);
	KUNIT_EXPECT_EQ(test, vps_client_status(s), 0);
	for (i = 0; i < VPS_MAX_VQS; i++)
		if (vps_is_queue(s, i))
			vps_ring_init(test, &s->r[i], s->r[i].packed, s->r[i].per,
				      s->r[i].mem, s->r[i].base);
	memset(s->tx_seq, 0, sizeof(s->tx_seq));
	memset(s->rx_seq, 0, sizeof(s->rx_seq));
	vps_start(s, NULL, false);
	vps_fill_rx(s);
	vps_traffic(s, 5);
	KUNIT_EXPECT_EQ(test, s->ops->suspend(s->vdpa), 0);
	KUNIT_EXPECT_EQ(test, s->ops->resume(s->vdpa), 0);
	vps_traffic(s, 5);
}

/* The client sees FAILED, and never the SUSPEND bit. */
static void vps_expect_failed(struct vps *s)
{
	u8 status = vps_client_status(s);

	KUNIT_EXPECT_TRUE(s->test, status & VIRTIO_CONFIG_S_FAILED);
	KUNIT_EXPECT_FALSE(s->test, status & VIRTIO_CONFIG_S_SUSPEND);
}

static const struct vps_opts vps_fault_stop_opts = {
	"faults, queue stop", false, true, false, false, 1
};

/*
 * A device that never completes what suspend asks (@knob, a bool of the
 * model): -ETIMEDOUT after the driver's bound, FAILED, a reset recovers.
 */
static void vps_suspend_hangs(struct kunit *test, const struct vps_opts *o,
			      size_t knob)
{
	struct vps *s = vps_new(test, o);
	bool *hang = (void *)s->e->m + knob;
	ktime_t t0;
	s64 ms;

	vps_start(s, NULL, false);
	vps_fill_rx(s);
	vps_traffic(s, 3);
	*hang = true;
	t0 = ktime_get();
	KUNIT_EXPECT_EQ(test, s->ops->suspend(s->vdpa), -ETIMEDOUT);
	ms = ktime_ms_delta(ktime_get(), t0);
	/* Bounded: the driver waits 1 s, not forever. */
	KUNIT_EXPECT_GE(test, ms, 1000);
	KUNIT_EXPECT_LT(test, ms, 3000);
	vps_expect_failed(s);
	*hang = false;
	vps_expect_recovers(s);
}

static void vps_fault_suspend_hangs(struct kunit *test)
{
	vps_suspend_hangs(test, &vps_fault_opts,
			  offsetof(struct vpm, suspend_hang));
}

static void vps_fault_stop_hangs(struct kunit *test)
{
	vps_suspend_hangs(test, &vps_fault_stop_opts,
			  offsetof(struct vpm, stop_hang));
}

static void vps_fault_needs_reset(struct kunit *test)
{
	struct vps *s = vps_new(test, &vps_fault_opts);
	ktime_t t0;
	s64 ms;

	vps_start(s, NULL, false);
	vps_fill_rx(s);
	vps_traffic(s, 3);
	s->e->m->suspend_fail = true;
	t0 = ktime_get();
	KUNIT_EXPECT_EQ(test, s->ops->suspend(s->vdpa), -EIO);
	ms = ktime_ms_delta(ktime_get(), t0);
	/* DEVICE_NEEDS_RESET says it at once: no waiting out the timeout. */
	KUNIT_EXPECT_LT(test, ms, 500);
	vps_expect_failed(s);
	KUNIT_EXPECT_TRUE(test, vps_client_status(s) &
			  VIRTIO_CONFIG_S_NEEDS_RESET);
	s->e->m->suspend_fail = false;
	vps_expect_recovers(s);
}

static void vps_fault_resume_refused(struct kunit *test)
{
	struct vps *s = vps_new(test, &vps_fault_opts);

	vps_start(s, NULL, false);
	vps_fill_rx(s);
	vps_traffic(s, 3);
	KUNIT_ASSERT_EQ(test, s->ops->suspend(s->vdpa), 0);
	s->e->m->resume_refuse = true;
	KUNIT_EXPECT_EQ(test, s->ops->resume(s->vdpa), -ETIMEDOUT);
	KUNIT_EXPECT_TRUE(test, s->e->m->status & VIRTIO_CONFIG_S_SUSPEND);
	vps_expect_failed(s);
	s->e->m->resume_refuse = false;
	vps_expect_recovers(s);
}

/* --- without the facilities ------------------------------------------------------------ */

static void vps_expect_split_state(struct vps *s, u16 idx, u16 avail);

static const struct vps_opts vps_none_opts = {
	"none", false, false, false, true, 1
};

static const struct vps_opts vps_none_packed_opts = {
	"none, packed", false, false, true, true, 1
};

/*
 * Without facilities the driver stops a plain device itself (queue or
 * device resets) and reads the state from the client's rings (test_shadow.c
 * covers that). What it refuses: a client whose rings it cannot read (these
 * rings are at physical addresses, not mapped in the data address space:
 * -EFAULT, nothing stopped), and packed rings (-EOPNOTSUPP). A non-initial
 * split state before DRIVER_OK is taken (the queue will run in shadow mode).
 */
static void vps_unsupported(struct kunit *test)
{
	struct vps *s = vps_new(test, &vps_none_opts);
	struct vdpa_vq_state st = {};

	/* Before DRIVER_OK: any split state, kept until the reset. */
	s->ops->set_status(s->vdpa, VIRTIO_CONFIG_S_ACKNOWLEDGE |
			   VIRTIO_CONFIG_S_DRIVER);
	KUNIT_ASSERT_EQ(test, s->ops->set_driver_features(s->vdpa, s->features), 0);
	KUNIT_EXPECT_EQ(test, s->ops->set_vq_state(s->vdpa, 0, &st), 0);
	st.split.avail_index = 5;
	KUNIT_EXPECT_EQ(test, s->ops->set_vq_state(s->vdpa, 0, &st), 0);
	KUNIT_EXPECT_EQ(test, s->ops->set_vq_state(s->vdpa, 1, &st), 0);
	vps_expect_split_state(s, 0, 5);
	vps_expect_split_state(s, 1, 5);
	KUNIT_EXPECT_EQ(test, s->ops->reset(s->vdpa), 0);
	vps_expect_split_state(s, 0, 0);

	vps_start(s, NULL, false);
	vps_fill_rx(s);
	vps_traffic(s, 3);
	KUNIT_EXPECT_EQ(test, s->ops->suspend(s->vdpa), -EFAULT);
	KUNIT_EXPECT_EQ(test, s->ops->get_vq_state(s->vdpa, 0, &st), -EFAULT);
	KUNIT_EXPECT_EQ(test, s->ops->get_vq_state(s->vdpa, 1, &st), -EFAULT);
	/* A refused suspend holds nothing back and stops nothing. */
	KUNIT_EXPECT_TRUE(test, s->e->m->q[0].enabled && s->e->m->q[1].enabled);
	vps_traffic(s, 3);
	KUNIT_EXPECT_GT(test, atomic_read(&s->calls[0]), 0);
	KUNIT_EXPECT_EQ(test, vps_client_status(s),
			VPS_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	/* RING_RESET: enabling after DRIVER_OK is advertised. */
	KUNIT_EXPECT_EQ(test, s->ops->get_backend_features(s->vdpa),
			BIT_ULL(VHOST_BACKEND_F_ENABLE_AFTER_DRIVER_OK));
	KUNIT_EXPECT_EQ_MSG(test, s->e->m->violations, 0, "%s",
			    s->e->m->violation);
}

/* Packed rings are never shadowed: no suspend, no non-initial state. */
static void vps_unsupported_packed(struct kunit *test)
{
	struct vps *s = vps_new(test, &vps_none_packed_opts);
	struct vdpa_vq_state st = {};

	s->ops->set_status(s->vdpa, VIRTIO_CONFIG_S_ACKNOWLEDGE |
			   VIRTIO_CONFIG_S_DRIVER);
	KUNIT_ASSERT_EQ(test, s->ops->set_driver_features(s->vdpa, s->features), 0);
	st.packed.last_avail_counter = 1;
	st.packed.last_used_counter = 1;
	KUNIT_EXPECT_EQ(test, s->ops->set_vq_state(s->vdpa, 0, &st), 0);
	st.packed.last_avail_idx = 5;
	st.packed.last_used_idx = 5;
	KUNIT_EXPECT_EQ(test, s->ops->set_vq_state(s->vdpa, 0, &st), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, s->ops->set_vq_state(s->vdpa, 1, &st), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, s->ops->reset(s->vdpa), 0);

	vps_start(s, NULL, false);
	vps_fill_rx(s);
	vps_traffic(s, 3);
	KUNIT_EXPECT_EQ(test, s->ops->suspend(s->vdpa), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, s->ops->get_vq_state(s->vdpa, 0, &st), -EOPNOTSUPP);
	vps_traffic(s, 3);
	KUNIT_EXPECT_EQ(test, vps_client_status(s),
			VPS_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_EXPECT_EQ_MSG(test, s->e->m->violations, 0, "%s",
			    s->e->m->violation);
}

static void vps_free_page(void *page)
{
	free_page((unsigned long)page);
}

/* What vp_svq_facilities (sysfs) says for a device made as @cfg. */
static void vps_expect_facilities(struct kunit *test, char *page,
				  const struct vpm_config *cfg,
				  const char *want)
{
	struct vpt_env *e = vpt_env_new(test, cfg);

	memset(page, 0, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, vp_svq_state_facilities(e->parent, page),
			strlen(want));
	KUNIT_EXPECT_STREQ(test, page, want);
}

static void vps_facilities(struct kunit *test)
{
	char *page = (char *)get_zeroed_page(GFP_KERNEL);
	struct vpm_config cfg;
	struct vpt_env *e;

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, vps_free_page,
							page), 0);
	vpm_default_config(&cfg);
	vps_expect_facilities(test, page, &cfg,
			      "suspend=device-reset vq_state=client-ring enable_after_driver_ok=no\n");
	cfg.features |= BIT_ULL(VIRTIO_F_SUSPEND);
	vps_expect_facilities(test, page, &cfg,
			      "suspend=status-bit vq_state=client-ring enable_after_driver_ok=no\n");
	cfg.features &= ~BIT_ULL(VIRTIO_F_SUSPEND);
	cfg.state_cap = true;
	vps_expect_facilities(test, page, &cfg,
			      "suspend=queue-stop vq_state=capability enable_after_driver_ok=no\n");
	cfg.features |= BIT_ULL(VIRTIO_F_SUSPEND) | BIT_ULL(VIRTIO_F_RING_RESET);
	vps_expect_facilities(test, page, &cfg,
			      "suspend=status-bit vq_state=capability enable_after_driver_ok=ring-reset\n");
	/* A capability of another version is not used. */
	cfg.features &= ~BIT_ULL(VIRTIO_F_SUSPEND);
	cfg.state_version = VP_SVQ_DEVICE_STATE_VERSION + 1;
	e = vpt_env_new(test, &cfg);
	KUNIT_EXPECT_NULL(test, e->parent->state);
	memset(page, 0, PAGE_SIZE);
	vp_svq_state_facilities(e->parent, page);
	KUNIT_EXPECT_STREQ(test, page,
			   "suspend=queue-reset vq_state=client-ring enable_after_driver_ok=ring-reset\n");
}

/* --- reset of a running device: where the rings stood ---------------------------- */

/*
 * QEMU stops a device without SUSPEND by resetting it, then asks each
 * ring's base (VHOST_GET_VRING_BASE). Until the next DRIVER_OK the driver
 * says where each ring stood, or that it cannot know: never the initial
 * state of a ring that ran.
 */

/* Every data queue's get_vq_state fails with @err (the position is lost). */
static void vps_expect_states_err(struct vps *s, int err)
{
	struct vdpa_vq_state st;
	u16 i;

	for (i = 0; i < s->nvqs; i++) {
		memset(&st, 0xff, sizeof(st));
		KUNIT_EXPECT_EQ_MSG(s->test, s->ops->get_vq_state(s->vdpa, i, &st),
				    err, "vq %u", i);
	}
}

/* Queue @idx reports @avail (split), and get_vq_state succeeds. */
static void vps_expect_split_state(struct vps *s, u16 idx, u16 avail)
{
	struct vdpa_vq_state st;

	memset(&st, 0xff, sizeof(st));
	KUNIT_ASSERT_EQ_MSG(s->test, s->ops->get_vq_state(s->vdpa, idx, &st), 0,
			    "vq %u", idx);
	KUNIT_EXPECT_EQ_MSG(s->test, st.split.avail_index, avail, "vq %u", idx);
}

static const struct vps_opts vps_reset_running_params[] = {
	{ "SUSPEND + capability", true, true, false, false, 2 },
	{ "capability only (queue stop)", false, true, false, false, 2 },
	{ "packed, capability only (queue stop)", false, true, true, false, 1 },
};

KUNIT_ARRAY_PARAM(vps_reset_running, vps_reset_running_params, vps_opts_desc);

/*
 * Suspended through the capability, with buffers made available that the
 * device never took, then reset: each data queue reports the state read
 * while suspended (its used index, not the avail index), the CVQ its
 * position. Restored there, the rings go on where they stood and the
 * buffers that were waiting are carried. A new DRIVER_OK forgets.
 */
static void vps_reset_running_cap(struct kunit *test)
{
	const struct vps_opts *o = test->param_value;
	struct vdpa_vq_state saved[VPS_MAX_VQS] = {}, st;
	struct vps *s = vps_new(test, o);
	struct vpm *m = s->e->m;
	u16 i, pair, cvq_pos = 0;

	vps_start(s, NULL, false);
	if (s->cvq >= 0) {
		__virtio16 pairs = __cpu_to_virtio16(true, o->pairs);

		KUNIT_EXPECT_EQ(test, vps_cvq_cmd(s, VIRTIO_NET_CTRL_MQ,
						  VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET,
						  &pairs, sizeof(pairs)),
				VIRTIO_NET_OK);
		cvq_pos = vps_used_idx(&s->r[s->cvq]);
		KUNIT_EXPECT_EQ(test, cvq_pos, 1);
	}
	vps_fill_rx(s);
	/* Past the ring size, so packed wrap counters have flipped. */
	vps_traffic(s, 20);
	KUNIT_ASSERT_EQ(test, vps_suspend_in_flight(s, 3), 0);
	KUNIT_EXPECT_EQ(test, vps_reap(s), 3 * o->pairs);
	vps_expect_stream_whole(s);
	vps_expect_states(s);
	for (i = 0; i < s->nvqs; i++)
		KUNIT_ASSERT_EQ(test, s->ops->get_vq_state(s->vdpa, i, &saved[i]), 0);
	/* Made available while suspended: not taken, not in the state. */
	vps_send(s, 2);
	vps_kick_all(s);
	vps_settle(s);

	KUNIT_ASSERT_EQ(test, s->ops->reset(s->vdpa), 0);
	KUNIT_EXPECT_EQ(test, vps_client_status(s), 0);
	for (i = 0; i < s->nvqs; i++) {
		memset(&st, 0xff, sizeof(st));
		KUNIT_ASSERT_EQ_MSG(test, s->ops->get_vq_state(s->vdpa, i, &st), 0,
				    "vq %u", i);
		KUNIT_EXPECT_EQ_MSG(test, memcmp(&st, &saved[i], sizeof(st)), 0,
				    "vq %u: not the state read while suspended", i);
	}
	/* The same rule as while suspended: the used index, ring by ring. */
	vps_expect_states(s);
	if (!o->packed)
		for (pair = 0; pair < o->pairs; pair++)
			KUNIT_EXPECT_EQ(test, (u16)(saved[2 * pair + 1].split.avail_index + 2),
					s->r[2 * pair + 1].next);
	if (s->cvq >= 0)
		vps_expect_split_state(s, s->cvq, cvq_pos);
	/* The client's status writes before its next start change nothing. */
	s->ops->set_status(s->vdpa, VIRTIO_CONFIG_S_ACKNOWLEDGE |
			   VIRTIO_CONFIG_S_DRIVER);
	vps_expect_states(s);

	/*
	 * Restored where they stood, the rings carry the frames that waited
	 * and then new ones. The reset dropped the RX buffers the device had:
	 * they are offered again from the used index on.
	 */
	KUNIT_EXPECT_EQ(test, s->ops->reset(s->vdpa), 0);
	if (s->cvq >= 0)
		saved[s->cvq].split.avail_index = cvq_pos;
	vps_start(s, saved, false);
	if (s->cvq >= 0) {
		/* QEMU replays its CVQ state from where the ring stood. */
		vps_cvq_post(s, s->cmds[0].buf, s->cmds[0].len);
		KUNIT_EXPECT_EQ(test, vps_cvq_ack(s), VIRTIO_NET_OK);
		KUNIT_EXPECT_EQ(test, vps_used_idx(&s->r[s->cvq]), cvq_pos + 1);
		cvq_pos = vps_used_idx(&s->r[s->cvq]);
	}
	vps_settle(s);
	KUNIT_EXPECT_EQ(test, vps_reap(s), 2 * o->pairs);
	vps_expect_stream_whole(s);
	vps_traffic(s, 10);

	/*
	 * A new DRIVER_OK: what was saved no longer applies. Reset running
	 * and not suspended, a client without mappings: lost.
	 */
	KUNIT_ASSERT_EQ(test, s->ops->reset(s->vdpa), 0);
	vps_expect_states_err(s, -EOPNOTSUPP);
	if (s->cvq >= 0)
		vps_expect_split_state(s, s->cvq, cvq_pos);
	KUNIT_EXPECT_EQ_MSG(test, m->violations, 0, "%s", m->violation);
	KUNIT_EXPECT_EQ(test, m->bad_access, 0);
}

static const struct vps_opts vps_plain_opts = {
	"no facilities", false, false, false, false, 1
};

/*
 * No facility, a client that does not map its data rings (a kernel
 * client's or, here, one driven through the ops): before any DRIVER_OK
 * the initial state; after a reset of the running device the data
 * queues' positions are unknown (-EOPNOTSUPP, not the initial state),
 * the CVQ's is the shadow's; set_vq_state takes precedence; a run in
 * which the data queues were never enabled leaves them initial.
 */
static void vps_reset_running_unmapped(struct kunit *test)
{
	struct vps *s = vps_new(test, &vps_plain_opts);
	struct vdpa_vq_state st, zero = {};
	u8 on = 1;
	u16 i;

	KUNIT_ASSERT_EQ(test, s->cvq, 2);
	for (i = 0; i < 3; i++)
		vps_expect_split_state(s, i, 0);

	vps_start(s, NULL, false);
	KUNIT_EXPECT_EQ(test, vps_cvq_cmd(s, VIRTIO_NET_CTRL_RX,
					  VIRTIO_NET_CTRL_RX_ALLMULTI, &on, 1),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_EQ(test, vps_cvq_cmd(s, VIRTIO_NET_CTRL_MAC,
					  VIRTIO_NET_CTRL_MAC_ADDR_SET,
					  vps_mac, ETH_ALEN), VIRTIO_NET_OK);
	vps_fill_rx(s);
	vps_traffic(s, 5);
	KUNIT_EXPECT_EQ(test, s->ops->get_vq_state(s->vdpa, 0, &st), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, s->ops->get_vq_state(s->vdpa, 2, &st), -EBUSY);

	KUNIT_ASSERT_EQ(test, s->ops->reset(s->vdpa), 0);
	vps_expect_states_err(s, -EOPNOTSUPP);
	vps_expect_split_state(s, 2, 2);
	KUNIT_EXPECT_EQ(test, vps_used_idx(&s->r[2]), 2);
	/* Asking again gives the same answer. */
	vps_expect_states_err(s, -EOPNOTSUPP);

	/* What the client sets wins over what was lost or saved. */
	KUNIT_EXPECT_EQ(test, s->ops->set_vq_state(s->vdpa, 0, &zero), 0);
	vps_expect_split_state(s, 0, 0);
	KUNIT_EXPECT_EQ(test, s->ops->get_vq_state(s->vdpa, 1, &st), -EOPNOTSUPP);
	st = zero;
	st.split.avail_index = 9;
	KUNIT_EXPECT_EQ(test, s->ops->set_vq_state(s->vdpa, 2, &st), 0);
	vps_expect_split_state(s, 2, 9);
	/* A reset before DRIVER_OK drops what was set, not what was saved. */
	KUNIT_EXPECT_EQ(test, s->ops->reset(s->vdpa), 0);
	KUNIT_EXPECT_EQ(test, s->ops->get_vq_state(s->vdpa, 0, &st), -EOPNOTSUPP);
	vps_expect_split_state(s, 2, 2);

	/*
	 * A new start with only the CVQ enabled (the data queues are never
	 * made ready), reset: the data queues did not run, initial state.
	 */
	s->ops->set_status(s->vdpa, VIRTIO_CONFIG_S_ACKNOWLEDGE |
			   VIRTIO_CONFIG_S_DRIVER);
	KUNIT_ASSERT_EQ(test, s->ops->set_driver_features(s->vdpa, s->features), 0);
	s->ops->set_status(s->vdpa, VPS_S_READY);
	KUNIT_ASSERT_EQ(test, s->ops->set_group_asid(s->vdpa, VP_SVQ_GROUP_CVQ,
						     1), 0);
	vps_ring_init(test, &s->r[2], false, 2, s->cvq_mem, VPS_IOVA);
	s->ops->set_vq_num(s->vdpa, 2, VPS_QSZ);
	KUNIT_ASSERT_EQ(test, s->ops->set_vq_address(s->vdpa, 2,
						     VPS_IOVA + VPS_DESC,
						     VPS_IOVA + VPS_DRIVER,
						     VPS_IOVA + VPS_DEVICE), 0);
	s->ops->set_vq_ready(s->vdpa, 2, true);
	s->ops->set_status(s->vdpa, VPS_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_ASSERT_EQ(test, vps_client_status(s),
			VPS_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_EXPECT_EQ(test, vps_cvq_cmd(s, VIRTIO_NET_CTRL_RX,
					  VIRTIO_NET_CTRL_RX_ALLMULTI, &on, 1),
			VIRTIO_NET_OK);
	KUNIT_ASSERT_EQ(test, s->ops->reset(s->vdpa), 0);
	vps_expect_split_state(s, 0, 0);
	vps_expect_split_state(s, 1, 0);
	vps_expect_split_state(s, 2, 1);
	KUNIT_EXPECT_EQ_MSG(test, s->e->m->violations, 0, "%s",
			    s->e->m->violation);
}

/* Where the data rings sit for a client that maps them (not identity). */
#define VPS_DATA_IOVA	BIT_ULL(40)

struct vps_dma {
	struct vpm *m;
	struct vhost_iotlb *iotlb;
};

static void vps_dma_release(void *data)
{
	struct vps_dma *d = data;
	unsigned long flags;

	spin_lock_irqsave(&d->m->lock, flags);
	d->m->dma_iotlb = NULL;
	spin_unlock_irqrestore(&d->m->lock, flags);
	vhost_iotlb_free(d->iotlb);
}

/*
 * The data rings at VPS_DATA_IOVA: the model translates them (identity
 * elsewhere, for the driver's own rings) and the driver's record of the
 * data address space holds the client's mapping, as dma_map() leaves it.
 * UML has no IOMMU, so the domain half of dma_map() cannot be done: the
 * mapping is entered as dma_map() enters it before programming the domain.
 */
static void vps_map_data_only(struct vps *s)
{
	struct vp_svq_dev *dev = vdpa_to_vp_svq(s->vdpa);
	u64 size = (u64)s->nvqs * VPS_RING_MEM;
	u64 pa = virt_to_phys(s->r[0].mem);
	struct kunit *test = s->test;
	struct vps_dma *d;
	unsigned long flags;

	d = kunit_kzalloc(test, sizeof(*d), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, d);
	d->m = s->e->m;
	d->iotlb = vhost_iotlb_alloc(16, 0);
	KUNIT_ASSERT_NOT_NULL(test, d->iotlb);
	KUNIT_ASSERT_EQ(test, vhost_iotlb_add_range(d->iotlb, 0, SZ_4G - 1, 0,
						    VHOST_MAP_RW), 0);
	KUNIT_ASSERT_EQ(test, vhost_iotlb_add_range(d->iotlb, VPS_DATA_IOVA,
						    VPS_DATA_IOVA + size - 1,
						    pa, VHOST_MAP_RW), 0);
	spin_lock_irqsave(&d->m->lock, flags);
	d->m->dma_iotlb = d->iotlb;
	spin_unlock_irqrestore(&d->m->lock, flags);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, vps_dma_release,
							d), 0);

	mutex_lock(&dev->as_lock);
	KUNIT_EXPECT_EQ(test, vhost_iotlb_add_range(dev->as[dev->group_asid[VP_SVQ_GROUP_DATA]],
						    VPS_DATA_IOVA,
						    VPS_DATA_IOVA + size - 1,
						    pa, VHOST_MAP_RW), 0);
	mutex_unlock(&dev->as_lock);
}

/* Map the data rings (vps_map_data_only) and set them up there, empty. */
static void vps_map_data(struct vps *s)
{
	u16 i;

	vps_map_data_only(s);
	for (i = 0; i < s->nvqs; i++)
		vps_ring_init(s->test, &s->r[i], false, 1, s->r[i].mem,
			      VPS_DATA_IOVA + (u64)i * VPS_RING_MEM);
}

/*
 * No facility, a client that maps its data rings (vhost-vdpa's case):
 * reset while buffers wait (RX buffers the device holds, TX frames made
 * available it never took), each data queue reports the client's used
 * index, read through the data address space at the client's address.
 */
static void vps_reset_running_mapped(struct kunit *test)
{
	struct vps *s = vps_new(test, &vps_plain_opts);
	struct vpm *m = s->e->m;
	u16 rx_used, tx_used, completed;

	vps_map_data(s);
	vps_start(s, NULL, false);
	vps_fill_rx(s);
	vps_traffic(s, 21);
	KUNIT_EXPECT_EQ(test, m->dma_faults, 0);
	/* Frames held in flight: made available and kicked, never used. */
	vpm_set_stall(m, true);
	vps_send(s, 3);
	vps_kick_all(s);
	vps_settle(s);
	rx_used = vps_used_idx(&s->r[0]);
	tx_used = vps_used_idx(&s->r[1]);
	completed = m->q[1].completed;
	KUNIT_EXPECT_EQ(test, rx_used, 21);
	KUNIT_EXPECT_EQ(test, tx_used, 21);
	KUNIT_EXPECT_EQ(test, (u16)(s->r[1].next - tx_used), 3);
	KUNIT_EXPECT_EQ(test, (u16)(s->r[0].next - rx_used), VPS_QSZ);

	KUNIT_EXPECT_EQ(test, m->q[1].completed, completed);
	KUNIT_ASSERT_EQ(test, s->ops->reset(s->vdpa), 0);
	vpm_set_stall(m, false);
	vps_settle(s);
	KUNIT_EXPECT_EQ(test, vps_used_idx(&s->r[1]), tx_used);
	vps_expect_split_state(s, 0, rx_used);
	vps_expect_split_state(s, 1, tx_used);
	vps_expect_split_state(s, 2, 0);
	KUNIT_EXPECT_EQ(test, m->dma_faults, 0);

	/* Run again from scratch, reset: the new used indices. */
	KUNIT_EXPECT_EQ(test, s->ops->reset(s->vdpa), 0);
	vps_ring_init(test, &s->r[0], false, 1, s->r[0].mem, s->r[0].base);
	vps_ring_init(test, &s->r[1], false, 1, s->r[1].mem, s->r[1].base);
	memset(s->tx_seq, 0, sizeof(s->tx_seq));
	memset(s->rx_seq, 0, sizeof(s->rx_seq));
	vps_start(s, NULL, false);
	vps_fill_rx(s);
	vps_traffic(s, 4);
	KUNIT_ASSERT_EQ(test, s->ops->reset(s->vdpa), 0);
	vps_expect_split_state(s, 0, 4);
	vps_expect_split_state(s, 1, 4);
	KUNIT_EXPECT_EQ_MSG(test, m->violations, 0, "%s", m->violation);
}

static const struct vps_opts vps_plain_params[] = {
	{ "no RING_RESET: device reset", false, false, false, false, 2 },
	{ "RING_RESET: queue resets", false, false, false, true, 2 },
};

KUNIT_ARRAY_PARAM(vps_plain, vps_plain_params, vps_opts_desc);

/*
 * A plain device, a client that maps its data rings and keeps net state
 * through its CVQ: suspend with frames in flight (completed first), the
 * state is the used index, nothing moves while suspended; resume carries
 * on in shadow mode with the net state the device had. Without RING_RESET
 * the device itself was reset: the net state comes back by replay.
 */
static void vps_plain_suspend_mapped(struct kunit *test)
{
	const struct vps_opts *o = test->param_value;
	struct vps *s = vps_new(test, o);
	struct vpm *m = s->e->m;
	__virtio16 vid = __cpu_to_virtio16(true, 7);
	unsigned int resets, completed;
	u16 pair;

	vps_map_data(s);
	vps_start(s, NULL, false);
	vps_set_net_state(s);
	KUNIT_EXPECT_EQ(test, m->net.curr_qp, o->pairs);
	vps_fill_rx(s);
	vps_traffic(s, 20);
	resets = m->resets;
	KUNIT_ASSERT_EQ(test, vps_suspend_in_flight(s, 3), 0);
	KUNIT_EXPECT_EQ(test, m->resets, resets + !o->ring_reset);
	KUNIT_EXPECT_EQ(test, vps_reap(s), 3 * o->pairs);
	vps_expect_stream_whole(s);
	vps_expect_states(s);
	for (pair = 0; pair < o->pairs; pair++)
		KUNIT_EXPECT_EQ(test, vps_used_idx(&s->r[2 * pair + 1]), 23);

	completed = m->q[1].completed;
	vps_send(s, 2);
	vps_kick_all(s);
	vps_settle(s);
	KUNIT_EXPECT_EQ(test, m->q[1].completed, completed);
	KUNIT_EXPECT_EQ(test, vps_reap(s), 0);
	vps_expect_states(s);

	KUNIT_ASSERT_EQ(test, s->ops->resume(s->vdpa), 0);
	KUNIT_EXPECT_EQ(test, vps_client_status(s),
			VPS_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	/* The device holds the client's net state again. */
	KUNIT_EXPECT_TRUE(test, ether_addr_equal(m->net.mac, vps_mac));
	KUNIT_EXPECT_FALSE(test, m->net.promisc);
	KUNIT_EXPECT_TRUE(test, m->net.allmulti);
	KUNIT_EXPECT_TRUE(test, test_bit(42, m->net.vlans));
	KUNIT_EXPECT_TRUE(test, test_bit(1000, m->net.vlans));
	KUNIT_EXPECT_EQ(test, m->net.curr_qp, o->pairs);
	vps_settle(s);
	KUNIT_EXPECT_EQ(test, vps_reap(s), 2 * o->pairs);
	vps_expect_stream_whole(s);
	vps_traffic(s, 20);
	/* The client's CVQ goes on where it stood. */
	KUNIT_EXPECT_EQ(test, vps_cvq_cmd(s, VIRTIO_NET_CTRL_VLAN,
					  VIRTIO_NET_CTRL_VLAN_ADD, &vid,
					  sizeof(vid)), VIRTIO_NET_OK);
	KUNIT_EXPECT_TRUE(test, test_bit(7, m->net.vlans));
	KUNIT_EXPECT_EQ(test, m->dma_faults, 0);
	KUNIT_EXPECT_EQ_MSG(test, m->violations, 0, "%s", m->violation);
}

/*
 * Migration between plain devices (no facility), data rings mapped: the
 * source is suspended by resets, the destination restores every ring in
 * shadow mode from the source's states, the client replays its net state
 * through its CVQ, and kicks once started (as QEMU's host notifiers do).
 */
static void vps_plain_migrate(struct kunit *test)
{
	const struct vps_opts *o = test->param_value;
	struct vdpa_vq_state states[VPS_MAX_VQS] = {};
	unsigned int a_completed[VPS_MAX_VQS], i, ncmds;
	struct vps *s = vps_new(test, o);
	struct vpt_env *a = s->e, *b;
	char *page;
	u16 cvq_pos;

	page = vpt_client_mem(test, PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, page);
	vps_map_data(s);
	vps_start(s, NULL, false);
	vps_set_net_state(s);
	ncmds = s->ncmds;
	vps_fill_rx(s);
	vps_traffic(s, 21);
	KUNIT_ASSERT_EQ(test, vps_suspend_in_flight(s, 4), 0);
	vps_send(s, 3);
	vps_kick_all(s);
	vps_settle(s);
	for (i = 0; i < VPS_MAX_VQS; i++)
		if (vps_is_queue(s, i))
			KUNIT_ASSERT_EQ(test, s->ops->get_vq_state(s->vdpa, i,
								   &states[i]), 0);
	for (i = 0; i < s->nvqs; i++)
		KUNIT_EXPECT_EQ_MSG(test, states[i].split.avail_index, 25,
				    "vq %u", i);
	cvq_pos = states[s->cvq].split.avail_index;
	KUNIT_EXPECT_EQ(test, cvq_pos, ncmds);
	for (i = 0; i < s->nvqs; i++)
		a_completed[i] = a->m->q[i].completed;

	b = vps_device(test, o, s->cvq_mem);
	vps_use(s, b);
	vps_map_data_only(s);
	vps_start(s, states, o->ring_reset);
	for (i = 0; i < ncmds; i++)
		vps_cvq_post(s, s->cmds[i].buf, s->cmds[i].len);
	for (i = 0; i < ncmds; i++)
		KUNIT_EXPECT_EQ_MSG(test, vps_cvq_ack(s), VIRTIO_NET_OK,
				    "replayed command %u", i);
	/* The source's device may have been reset: check against the client. */
	KUNIT_EXPECT_TRUE(test, ether_addr_equal(b->m->net.mac, vps_mac));
	KUNIT_EXPECT_FALSE(test, b->m->net.promisc);
	KUNIT_EXPECT_TRUE(test, b->m->net.allmulti);
	KUNIT_EXPECT_TRUE(test, test_bit(42, b->m->net.vlans));
	KUNIT_EXPECT_TRUE(test, test_bit(1000, b->m->net.vlans));
	KUNIT_EXPECT_EQ(test, b->m->net.curr_qp, o->pairs);
	if (o->ring_reset)
		vps_enable_late(s);
	vp_svq_shadow_show(vdpa_to_vp_svq(s->vdpa), page);
	for (i = 0; i < s->nvqs; i++) {
		char line[32];

		snprintf(line, sizeof(line), "%u shadow restored\n", i);
		KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(page, line), "%s", page);
	}
	for (i = 0; i < s->nvqs; i++)
		s->ops->kick_vq(s->vdpa, i);
	vps_settle(s);
	KUNIT_EXPECT_EQ(test, vps_reap(s), 7 * o->pairs);
	vps_expect_stream_whole(s);
	vps_traffic(s, 30);
	for (i = 0; i < s->nvqs; i++)
		KUNIT_EXPECT_EQ_MSG(test, a->m->q[i].completed, a_completed[i],
				    "vq %u of the source moved", i);
	KUNIT_EXPECT_EQ(test, b->m->dma_faults, 0);
	KUNIT_EXPECT_EQ_MSG(test, a->m->violations, 0, "%s", a->m->violation);
	KUNIT_EXPECT_EQ_MSG(test, b->m->violations, 0, "%s", b->m->violation);
}

static struct kunit_case vps_cases[] = {
	KUNIT_CASE_PARAM(vps_suspend_traffic, vps_suspend_gen_params),
	KUNIT_CASE_PARAM(vps_migrate, vps_migrate_gen_params),
	KUNIT_CASE_PARAM(vps_suspend_then_reset, vps_reset_gen_params),
	KUNIT_CASE(vps_set_state_no_cap),
	KUNIT_CASE(vps_suspend_before_driver_ok),
	KUNIT_CASE(vps_enable_late_suspended),
	KUNIT_CASE_PARAM(vps_status_rewrite_suspended, vps_reset_gen_params),
	KUNIT_CASE_PARAM(vps_cvq_suspended, vps_cvq_gen_params),
	KUNIT_CASE_PARAM(vps_config_suspended, vps_config_gen_params),
	KUNIT_CASE_SLOW(vps_fault_suspend_hangs),
	KUNIT_CASE_SLOW(vps_fault_stop_hangs),
	KUNIT_CASE(vps_fault_needs_reset),
	KUNIT_CASE_SLOW(vps_fault_resume_refused),
	KUNIT_CASE(vps_unsupported),
	KUNIT_CASE(vps_unsupported_packed),
	KUNIT_CASE(vps_facilities),
	KUNIT_CASE_PARAM(vps_reset_running_cap, vps_reset_running_gen_params),
	KUNIT_CASE(vps_reset_running_unmapped),
	KUNIT_CASE(vps_reset_running_mapped),
	KUNIT_CASE_PARAM(vps_plain_suspend_mapped, vps_plain_gen_params),
	KUNIT_CASE_PARAM(vps_plain_migrate, vps_plain_gen_params),
	{}
};

static struct kunit_suite vps_suite = {
	.name = "vp_svq_suspend",
	.test_cases = vps_cases,
};

kunit_test_suite(vps_suite);
