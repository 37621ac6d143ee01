// SPDX-License-Identifier: GPL-2.0-only
/*
 * vp_svq KUnit benchmark: suspend, and save + restore of every ring's
 * state (a migration from one model device to another), against queue
 * pairs, each compared with a full reset and reconfiguration of the same
 * device, measured in the same run.
 *
 * Two paths: the virtio 1.4 SUSPEND status bit, and the
 * device-state capability alone (suspend stops each queue in turn). Both
 * devices have the capability: ring state is read and written through it.
 *
 * The client owns its rings as vhost-vdpa's user does: split rings of
 * VPB_SR_QSZ entries in kernel memory, data rings by physical address, the
 * CVQ in address space 1 (mapped with dma_map() on both devices), ops
 * driven directly. Every TX queue sends numbered frames to its RX queue
 * through the model's loopback; each frame is checked on arrival, so a
 * lost, duplicated or reordered frame shows.
 *
 * One iteration, on the device in use:
 *  - suspend: VPB_SR_INFLIGHT frames per pair posted and kicked, then the
 *    suspend op alone is timed; the frames are in flight (the model's
 *    worker has not run yet). Then ring state is checked, the device
 *    resumed and the frames reaped.
 *  - save+restore: frames in flight again; timed: suspend the source,
 *    get_vq_state of every queue (the shadow CVQ's too); not timed: a
 *    frame per pair posted on the stopped source; timed: on the other
 *    device reset, features, every queue's num, address, callback, state
 *    and ready, DRIVER_OK (the driver's own net state replay included),
 *    then the client's control commands replayed through its CVQ until
 *    acked. The destination is then the device in use; the source, left
 *    suspended, is the next destination (it is reset, never resumed).
 *  - reset+reconfig: timed: the reset op; not timed: the client clears its
 *    rings; timed: features, every queue's num, address, callback and
 *    ready, DRIVER_OK. The client then sends its control commands again
 *    (not timed).
 * Medians of VPB_SR_SAMPLES iterations after VPB_SR_WARMUP, one line per
 * queue pair count and path; a last case fits each figure to a line in
 * the queue pairs (least squares). Checks are functional only: every op
 * returns 0, the state read equals the used index of each ring and the
 * CVQ's position, the destination carries every frame sent, once and in
 * order, and holds the net state replayed.
 */

#include <linux/delay.h>
#include <linux/etherdevice.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/unaligned.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <uapi/linux/vhost_types.h>

#include "vp_svq_bench.h"
#include "vp_svq_test.h"

/* Samples per figure, and iterations run before them. */
#define VPB_SR_SAMPLES		50
#define VPB_SR_WARMUP		3
/* Frames per pair in flight at suspend; posted on a suspended source. */
#define VPB_SR_INFLIGHT		2
#define VPB_SR_AFTER		1

/* One ring: descriptors, avail and used rings, buffers. */
#define VPB_SR_QSZ		16
#define VPB_SR_DESC		0x000
#define VPB_SR_AVAIL		0x100
#define VPB_SR_USED		0x200
#define VPB_SR_BUFS		0x400
#define VPB_SR_BUFSZ		128
#define VPB_SR_MEM		0x1000
#define VPB_SR_HDR		sizeof(struct virtio_net_hdr_mrg_rxbuf)
#define VPB_SR_FRAME		64
/* A control request's ack byte, in its buffer. */
#define VPB_SR_ACK		64
#define VPB_SR_NO_ACK		0xff
/* Where the client's CVQ sits in address space 1. */
#define VPB_SR_IOVA		0x40000000ULL
#define VPB_SR_WAIT_MS		1000

#define VPB_SR_S_READY		(VIRTIO_CONFIG_S_ACKNOWLEDGE |		\
				 VIRTIO_CONFIG_S_DRIVER |		\
				 VIRTIO_CONFIG_S_FEATURES_OK)

/**
 * struct vpb_sr_path - how the device suspends
 * @name: on the bench: lines
 * @status_bit: the device offers VIRTIO_F_SUSPEND; else the driver stops
 *	each queue through the device-state capability
 */
struct vpb_sr_path {
	const char *name;
	bool status_bit;
};

static const struct vpb_sr_path vpb_sr_paths[] = {
	{ "status-bit", true },
	{ "queue-stop", false },
};

#define VPB_SR_PATHS		ARRAY_SIZE(vpb_sr_paths)

static const u16 vpb_sr_pairs[] = { 1, 2, 4, 8, 16, 32 };

#define VPB_SR_POINTS		ARRAY_SIZE(vpb_sr_pairs)

/**
 * struct vpb_sr_result - the medians of one point, for the summary
 * @valid: the point was measured
 * @suspend: suspend latency, ns
 * @save_restore: save + restore, ns
 * @reset: reset + reconfiguration, ns
 */
struct vpb_sr_result {
	bool valid;
	u64 suspend;
	u64 save_restore;
	u64 reset;
};

static struct vpb_sr_result vpb_sr_results[VPB_SR_PATHS][VPB_SR_POINTS];

/**
 * struct vpb_sr_ring - one split ring, driven as the driver side
 * @mem: ring and buffers, VPB_SR_MEM bytes
 * @base: the device's address of @mem
 * @per: descriptors per buffer (2 for control requests)
 * @avail: next avail index
 * @used: used entries consumed
 */
struct vpb_sr_ring {
	u8 *mem;
	u64 base;
	u16 per;
	u16 avail;
	u16 used;
};

/**
 * struct vpb_sr - the client, its rings and the two devices
 * @test: the test
 * @path: how the devices suspend
 * @pairs: queue pairs
 * @nq: queues: data queues, then the CVQ
 * @cvq: the CVQ's index
 * @features: negotiated
 * @env: the two devices' environments
 * @vdpa: the two devices
 * @cur: the device in use
 * @r: the rings, @nq of them
 * @tx_seq: next frame number sent, per pair
 * @rx_seq: next frame number expected, per pair
 * @rx_bad: frames that were not the next expected
 * @states: ring state read by the last save, per queue
 * @cmds: the client's control commands, replayed on a destination
 * @cmd_len: their lengths
 * @ncmds: how many
 * @calls: callbacks of every queue
 * @suspend: suspend latency samples
 * @save_restore: save + restore samples
 * @reset: reset + reconfiguration samples
 */
struct vpb_sr {
	struct kunit *test;
	const struct vpb_sr_path *path;
	u16 pairs;
	u16 nq;
	u16 cvq;
	u64 features;
	struct vpt_env *env[2];
	struct vdpa_device *vdpa[2];
	unsigned int cur;
	struct vpb_sr_ring *r;
	u32 *tx_seq;
	u32 *rx_seq;
	unsigned int rx_bad;
	struct vdpa_vq_state *states;
	u8 cmds[3][8];
	u8 cmd_len[3];
	unsigned int ncmds;
	atomic_t calls;
	struct vpb_samples suspend;
	struct vpb_samples save_restore;
	struct vpb_samples reset;
};

static const u8 vpb_sr_mac[ETH_ALEN] = { 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30 };

/* --- rings ---------------------------------------------------------------- */

static void vpb_sr_ring_clear(struct vpb_sr_ring *r)
{
	memset(r->mem, 0, VPB_SR_MEM);
	r->avail = 0;
	r->used = 0;
}

static u16 vpb_sr_inflight(struct vpb_sr_ring *r)
{
	return r->avail - r->used;
}

/* The buffer the next vpb_sr_post() makes available. */
static u8 *vpb_sr_next_buf(struct vpb_sr_ring *r)
{
	u16 slot = r->avail % (VPB_SR_QSZ / r->per);

	return r->mem + VPB_SR_BUFS + slot * VPB_SR_BUFSZ;
}

/*
 * Make the next buffer available: @out_len readable bytes at its start,
 * then @in_len writable bytes at @in_off. Buffers are used in order (the
 * model completes each queue in order), so a slot is free again once the
 * ring went round.
 */
static void vpb_sr_post(struct vpb_sr_ring *r, u32 out_len, u32 in_off,
			u32 in_len)
{
	struct vring_desc *d = (struct vring_desc *)(r->mem + VPB_SR_DESC);
	struct vring_avail *avail = (struct vring_avail *)(r->mem + VPB_SR_AVAIL);
	u16 slot = r->avail % (VPB_SR_QSZ / r->per);
	u64 buf = r->base + VPB_SR_BUFS + slot * VPB_SR_BUFSZ;
	u16 head = slot * r->per, i = head;

	if (out_len) {
		d[i].addr = __cpu_to_virtio64(true, buf);
		d[i].len = __cpu_to_virtio32(true, out_len);
		d[i].flags = __cpu_to_virtio16(true, in_len ? VRING_DESC_F_NEXT : 0);
		d[i].next = __cpu_to_virtio16(true, i + 1);
		i++;
	}
	if (in_len) {
		d[i].addr = __cpu_to_virtio64(true, buf + in_off);
		d[i].len = __cpu_to_virtio32(true, in_len);
		d[i].flags = __cpu_to_virtio16(true, VRING_DESC_F_WRITE);
		d[i].next = 0;
	}
	avail->ring[r->avail % VPB_SR_QSZ] = __cpu_to_virtio16(true, head);
	/* The entry before the index that publishes it. */
	wmb();
	r->avail++;
	WRITE_ONCE(avail->idx, __cpu_to_virtio16(true, r->avail));
}

/* The used index the device wrote. */
static u16 vpb_sr_used_idx(struct vpb_sr_ring *r)
{
	struct vring_used *u = (struct vring_used *)(r->mem + VPB_SR_USED);

	return __virtio16_to_cpu(true, READ_ONCE(u->idx));
}

/* Take the next used buffer, if any: its buffer and used length. */
static bool vpb_sr_get_used(struct vpb_sr_ring *r, u8 **buf, u32 *len)
{
	struct vring_used *u = (struct vring_used *)(r->mem + VPB_SR_USED);
	struct vring_used_elem *e;
	u32 id;

	if (vpb_sr_used_idx(r) == r->used)
		return false;
	/* The entry only after the index that published it. */
	rmb();
	e = &u->ring[r->used % VPB_SR_QSZ];
	id = __virtio32_to_cpu(true, e->id);
	*len = __virtio32_to_cpu(true, e->len);
	*buf = r->mem + VPB_SR_BUFS +
	       (id % VPB_SR_QSZ) / r->per * VPB_SR_BUFSZ;
	r->used++;
	return true;
}

/* --- frames ------------------------------------------------------------------ */

/* Frame @seq of pair @pair, with its virtio-net header. */
static void vpb_sr_frame(u8 *buf, u16 pair, u32 seq)
{
	u8 *p = buf + VPB_SR_HDR;
	u32 i;

	memset(buf, 0, VPB_SR_HDR);
	p[0] = pair;
	put_unaligned_le32(seq, p + 1);
	for (i = 5; i < VPB_SR_FRAME; i++)
		p[i] = seq + 7 * i + pair;
}

static bool vpb_sr_frame_ok(const u8 *buf, u32 len, u16 pair, u32 seq)
{
	const struct virtio_net_hdr_mrg_rxbuf *hdr = (const void *)buf;
	u8 want[VPB_SR_HDR + VPB_SR_FRAME];

	if (len != sizeof(want) ||
	    __virtio16_to_cpu(true, hdr->num_buffers) != 1)
		return false;
	vpb_sr_frame(want, pair, seq);
	return !memcmp(buf + VPB_SR_HDR, want + VPB_SR_HDR, VPB_SR_FRAME);
}

/* Post @n frames on every TX queue and kick them on @vdpa. */
static void vpb_sr_send(struct vpb_sr *b, struct vdpa_device *vdpa,
			unsigned int n)
{
	unsigned int i;
	u16 pair;

	for (pair = 0; pair < b->pairs; pair++) {
		struct vpb_sr_ring *tx = &b->r[2 * pair + 1];

		for (i = 0; i < n; i++) {
			KUNIT_ASSERT_LT(b->test, vpb_sr_inflight(tx), VPB_SR_QSZ);
			vpb_sr_frame(vpb_sr_next_buf(tx), pair, b->tx_seq[pair]++);
			vpb_sr_post(tx, VPB_SR_HDR + VPB_SR_FRAME, 0, 0);
		}
	}
	for (pair = 0; pair < b->pairs; pair++)
		vdpa->config->kick_vq(vdpa, 2 * pair + 1);
}

static void vpb_sr_fill_rx(struct vpb_sr *b)
{
	u16 pair;

	for (pair = 0; pair < b->pairs; pair++)
		while (vpb_sr_inflight(&b->r[2 * pair]) < VPB_SR_QSZ)
			vpb_sr_post(&b->r[2 * pair], 0, 0, VPB_SR_BUFSZ);
}

/*
 * Take every used buffer: TX buffers back, RX frames checked against the
 * next number of their pair and their buffers made available again.
 */
static void vpb_sr_reap(struct vpb_sr *b)
{
	u16 pair;
	u32 len;
	u8 *buf;

	for (pair = 0; pair < b->pairs; pair++) {
		struct vpb_sr_ring *rx = &b->r[2 * pair];
		struct vpb_sr_ring *tx = &b->r[2 * pair + 1];

		while (vpb_sr_get_used(tx, &buf, &len))
			;
		while (vpb_sr_get_used(rx, &buf, &len)) {
			if (!vpb_sr_frame_ok(buf, len, pair, b->rx_seq[pair]) &&
			    !b->rx_bad++)
				kunit_err(b->test, "pair %u: frame %u wrong (len %u)\n",
					  pair, b->rx_seq[pair], len);
			b->rx_seq[pair]++;
			vpb_sr_post(rx, 0, 0, VPB_SR_BUFSZ);
		}
	}
}

/* Every frame sent came back once, in order; nothing is in flight. */
static void vpb_sr_expect_stream(struct vpb_sr *b)
{
	u16 pair;

	KUNIT_EXPECT_EQ(b->test, b->rx_bad, 0);
	for (pair = 0; pair < b->pairs; pair++) {
		KUNIT_EXPECT_EQ_MSG(b->test, b->rx_seq[pair], b->tx_seq[pair],
				    "pair %u", pair);
		KUNIT_EXPECT_EQ_MSG(b->test, vpb_sr_inflight(&b->r[2 * pair + 1]),
				    0, "pair %u", pair);
	}
}

/* --- the control queue ------------------------------------------------------ */

static void vpb_sr_add_cmd(struct vpb_sr *b, u8 class, u8 cmd,
			   const void *data, size_t len)
{
	u8 *c = b->cmds[b->ncmds];

	c[0] = class;
	c[1] = cmd;
	memcpy(c + 2, data, len);
	b->cmd_len[b->ncmds++] = len + 2;
}

/* The client's net state: its MAC, PROMISC off, every pair in use. */
static void vpb_sr_init_cmds(struct vpb_sr *b)
{
	__virtio16 pairs = __cpu_to_virtio16(true, b->pairs);
	u8 off = 0;

	vpb_sr_add_cmd(b, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET,
		       vpb_sr_mac, ETH_ALEN);
	vpb_sr_add_cmd(b, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC,
		       &off, 1);
	if (b->pairs > 1)
		vpb_sr_add_cmd(b, VIRTIO_NET_CTRL_MQ,
			       VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &pairs,
			       sizeof(pairs));
}

/* Post every command on the client's CVQ and kick it on @vdpa. */
static void vpb_sr_cvq_post_all(struct vpb_sr *b, struct vdpa_device *vdpa)
{
	struct vpb_sr_ring *r = &b->r[b->cvq];
	unsigned int i;
	u8 *buf;

	for (i = 0; i < b->ncmds; i++) {
		buf = vpb_sr_next_buf(r);
		memcpy(buf, b->cmds[i], b->cmd_len[i]);
		buf[VPB_SR_ACK] = VPB_SR_NO_ACK;
		vpb_sr_post(r, b->cmd_len[i], VPB_SR_ACK, 1);
	}
	vdpa->config->kick_vq(vdpa, b->cvq);
}

/* Wait until the shadow CVQ of @vdpa answered every request posted. */
static int vpb_sr_cvq_wait(struct vpb_sr *b, struct vdpa_device *vdpa)
{
	struct vp_svq_dev *dev = vdpa_to_vp_svq(vdpa);
	u64 end = ktime_get_ns() + VPB_SR_WAIT_MS * NSEC_PER_MSEC;
	struct vpb_sr_ring *r = &b->r[b->cvq];

	while (vpb_sr_used_idx(r) != r->avail) {
		if (ktime_get_ns() > end)
			return -ETIMEDOUT;
		if (!flush_work(&dev->cvq.work))
			usleep_range(5, 10);
	}
	return 0;
}

/* Take the answers: each request acked VIRTIO_NET_OK. */
static void vpb_sr_cvq_expect_acks(struct vpb_sr *b)
{
	struct vpb_sr_ring *r = &b->r[b->cvq];
	unsigned int n = 0;
	u32 len;
	u8 *buf;

	while (vpb_sr_get_used(r, &buf, &len)) {
		KUNIT_EXPECT_EQ(b->test, len, 1);
		KUNIT_EXPECT_EQ(b->test, buf[VPB_SR_ACK], VIRTIO_NET_OK);
		n++;
	}
	KUNIT_EXPECT_EQ(b->test, n, b->ncmds);
}

/* The model behind @e holds the client's net state. */
static void vpb_sr_expect_net(struct vpb_sr *b, struct vpt_env *e)
{
	struct vpm *m = e->m;

	KUNIT_EXPECT_TRUE(b->test, ether_addr_equal(m->net.mac, vpb_sr_mac));
	KUNIT_EXPECT_FALSE(b->test, m->net.promisc);
	KUNIT_EXPECT_EQ(b->test, m->net.curr_qp, b->pairs);
}

/* --- devices ------------------------------------------------------------------ */

static irqreturn_t vpb_sr_cb(void *data)
{
	atomic_inc(data);
	return IRQ_HANDLED;
}

static void vpb_sr_reset_action(void *data)
{
	struct vdpa_device *vdpa = data;

	vdpa->config->reset(vdpa);
}

/*
 * A model device for the path with the device-state capability, a vDPA
 * device on it, its CVQ group in address space 1 with the client's CVQ
 * mapped there. Reset at the end of the test, before the rings are freed.
 */
static void vpb_sr_device(struct vpb_sr *b, unsigned int n)
{
	struct kunit *test = b->test;
	struct vdpa_device *vdpa;
	struct vpm_config cfg;
	struct vpt_env *e;

	vpm_default_config(&cfg);
	cfg.max_vqp = b->pairs;
	/* A vector per data queue, one for config changes. */
	cfg.msix_vectors = 2 * b->pairs + 1;
	cfg.queue_size = VPB_SR_QSZ;
	if (b->pairs > 1)
		cfg.features |= BIT_ULL(VIRTIO_NET_F_MQ);
	if (b->path->status_bit)
		cfg.features |= BIT_ULL(VIRTIO_F_SUSPEND);
	cfg.state_cap = true;
	e = vpt_env_new(test, &cfg);
	KUNIT_ASSERT_EQ(test, vpt_add(e, NULL), 0);
	vdpa = vpt_vdpa(e);
	KUNIT_ASSERT_NOT_NULL(test, vdpa);
	KUNIT_ASSERT_NULL(test, vdpa->dev.driver);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, vpb_sr_reset_action,
							vdpa), 0);
	KUNIT_ASSERT_EQ(test, vdpa->config->set_group_asid(vdpa,
							   VP_SVQ_GROUP_CVQ, 1), 0);
	KUNIT_ASSERT_EQ(test, vdpa->config->dma_map(vdpa, 1, VPB_SR_IOVA,
						    VPB_SR_MEM,
						    virt_to_phys(b->r[b->cvq].mem),
						    VHOST_MAP_RW, NULL), 0);
	b->env[n] = e;
	b->vdpa[n] = vdpa;
}

/*
 * The client starts @vdpa: features, every queue (at @states when set, a
 * migration destination), DRIVER_OK. Its driver replays its net state and
 * starts the shadow CVQ within DRIVER_OK.
 */
static int vpb_sr_configure(struct vpb_sr *b, struct vdpa_device *vdpa,
			    const struct vdpa_vq_state *states)
{
	struct vdpa_callback cb = { .callback = vpb_sr_cb, .private = &b->calls };
	const struct vdpa_config_ops *ops = vdpa->config;
	int ret;
	u16 i;

	ops->set_status(vdpa, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	ops->set_status(vdpa, VIRTIO_CONFIG_S_ACKNOWLEDGE |
			VIRTIO_CONFIG_S_DRIVER);
	ret = ops->set_driver_features(vdpa, b->features);
	ops->set_status(vdpa, VPB_SR_S_READY);
	/* As QEMU at each start: a reset put the CVQ group in ASID 0. */
	if (!ret)
		ret = ops->set_group_asid(vdpa, VP_SVQ_GROUP_CVQ, 1);
	for (i = 0; i < b->nq && !ret; i++) {
		struct vpb_sr_ring *r = &b->r[i];

		ops->set_vq_num(vdpa, i, VPB_SR_QSZ);
		ret = ops->set_vq_address(vdpa, i, r->base + VPB_SR_DESC,
					  r->base + VPB_SR_AVAIL,
					  r->base + VPB_SR_USED);
		ops->set_vq_cb(vdpa, i, &cb);
		if (states && !ret)
			ret = ops->set_vq_state(vdpa, i, &states[i]);
		ops->set_vq_ready(vdpa, i, true);
	}
	if (ret)
		return ret;
	ops->set_status(vdpa, VPB_SR_S_READY | VIRTIO_CONFIG_S_DRIVER_OK);
	return ops->get_status(vdpa) == (VPB_SR_S_READY |
					  VIRTIO_CONFIG_S_DRIVER_OK) ? 0 : -EIO;
}

/* get_vq_state of every queue, the CVQ last. */
static int vpb_sr_save(struct vpb_sr *b, struct vdpa_device *vdpa)
{
	int ret = 0;
	u16 i;

	for (i = 0; i < b->nq && !ret; i++)
		ret = vdpa->config->get_vq_state(vdpa, i, &b->states[i]);
	return ret;
}

/*
 * The state saved is exact: each data ring's used index (every buffer the
 * device took was completed), the CVQ's position after the last request.
 */
static void vpb_sr_expect_saved(struct vpb_sr *b)
{
	u16 i;

	for (i = 0; i < b->nq; i++) {
		u16 want = i == b->cvq ? b->r[i].avail : vpb_sr_used_idx(&b->r[i]);

		KUNIT_EXPECT_EQ_MSG(b->test, b->states[i].split.avail_index,
				    want, "vq %u", i);
	}
}

static u64 vpb_sr_completed(struct vpm *m)
{
	u64 n = 0;
	u16 i;

	for (i = 0; i < m->num_queues; i++)
		n += READ_ONCE(m->q[i].completed);
	return n;
}

/* --- one iteration ----------------------------------------------------------------- */

static void vpb_sr_suspend_one(struct vpb_sr *b, bool record)
{
	struct vdpa_device *vdpa = b->vdpa[b->cur];
	struct kunit *test = b->test;
	u64 t0, ns;
	int ret;
	u16 i;

	vpb_sr_send(b, vdpa, VPB_SR_INFLIGHT);
	t0 = ktime_get_ns();
	ret = vdpa->config->suspend(vdpa);
	ns = ktime_get_ns() - t0;
	KUNIT_ASSERT_EQ(test, ret, 0);
	/* SUSPEND completes everything made available before it. */
	for (i = 0; b->path->status_bit && i < b->pairs; i++)
		KUNIT_EXPECT_EQ_MSG(test, vpb_sr_used_idx(&b->r[2 * i + 1]),
				    b->r[2 * i + 1].avail, "pair %u", i);

	KUNIT_ASSERT_EQ(test, vpb_sr_save(b, vdpa), 0);
	vpb_sr_expect_saved(b);
	KUNIT_ASSERT_EQ(test, vdpa->config->resume(vdpa), 0);
	/* Kick only: a queue stopped before it took its frames takes them. */
	vpb_sr_send(b, vdpa, 0);
	flush_workqueue(b->env[b->cur]->m->wq);
	vpb_sr_reap(b);
	vpb_sr_expect_stream(b);
	if (record)
		vpb_add(&b->suspend, ns);
}

static void vpb_sr_migrate_one(struct vpb_sr *b, bool record)
{
	struct vdpa_device *src = b->vdpa[b->cur], *dst = b->vdpa[!b->cur];
	struct vpm *msrc = b->env[b->cur]->m;
	struct kunit *test = b->test;
	u64 t0, t1, t2, t3, done;
	int ret;

	vpb_sr_send(b, src, VPB_SR_INFLIGHT);
	/* Save. */
	t0 = ktime_get_ns();
	ret = src->config->suspend(src);
	if (!ret)
		ret = vpb_sr_save(b, src);
	t1 = ktime_get_ns();
	KUNIT_ASSERT_EQ(test, ret, 0);
	vpb_sr_expect_saved(b);
	/* Not timed: what the source completed, and frames it must not take. */
	vpb_sr_reap(b);
	done = vpb_sr_completed(msrc);
	vpb_sr_send(b, src, VPB_SR_AFTER);

	/* Restore. */
	t2 = ktime_get_ns();
	ret = dst->config->reset(dst);
	if (!ret)
		ret = vpb_sr_configure(b, dst, b->states);
	if (!ret) {
		vpb_sr_cvq_post_all(b, dst);
		ret = vpb_sr_cvq_wait(b, dst);
	}
	t3 = ktime_get_ns();
	KUNIT_ASSERT_EQ(test, ret, 0);

	/* The destination runs: every frame arrives, once, in order. */
	b->cur = !b->cur;
	vpb_sr_cvq_expect_acks(b);
	vpb_sr_expect_net(b, b->env[b->cur]);
	flush_workqueue(b->env[b->cur]->m->wq);
	vpb_sr_reap(b);
	vpb_sr_expect_stream(b);
	flush_workqueue(msrc->wq);
	KUNIT_EXPECT_EQ(test, vpb_sr_completed(msrc), done);
	if (record)
		vpb_add(&b->save_restore, (t1 - t0) + (t3 - t2));
}

static void vpb_sr_reset_one(struct vpb_sr *b, bool record)
{
	struct vdpa_device *vdpa = b->vdpa[b->cur];
	struct kunit *test = b->test;
	u64 t0, t1, t2, t3;
	int ret;
	u16 i;

	/* Nothing in flight (the last iteration reaped everything). */
	vpb_sr_expect_stream(b);
	t0 = ktime_get_ns();
	ret = vdpa->config->reset(vdpa);
	t1 = ktime_get_ns();
	KUNIT_ASSERT_EQ(test, ret, 0);
	for (i = 0; i < b->nq; i++)
		vpb_sr_ring_clear(&b->r[i]);
	t2 = ktime_get_ns();
	ret = vpb_sr_configure(b, vdpa, NULL);
	t3 = ktime_get_ns();
	KUNIT_ASSERT_EQ(test, ret, 0);

	/* Not timed: the client gives its net state back, refills RX. */
	vpb_sr_fill_rx(b);
	vpb_sr_cvq_post_all(b, vdpa);
	KUNIT_ASSERT_EQ(test, vpb_sr_cvq_wait(b, vdpa), 0);
	vpb_sr_cvq_expect_acks(b);
	vpb_sr_expect_net(b, b->env[b->cur]);
	if (record)
		vpb_add(&b->reset, (t1 - t0) + (t3 - t2));
}

/* --- figures ----------------------------------------------------------------------- */

#define VPB_SR_FIG	24

/* "12.3 us", "-12.3 us"; with @plus "+ 12.3 us", "- 12.3 us". */
static const char *vpb_sr_us_sign(char *buf, s64 ns, bool plus)
{
	u64 tenths = div_u64((ns < 0 ? -ns : ns) + 50, 100);
	bool neg = ns < 0 && tenths;
	u32 tenth;
	u64 us = div_u64_rem(tenths, 10, &tenth);

	snprintf(buf, VPB_SR_FIG, "%s%llu.%u us",
		 plus ? (neg ? "- " : "+ ") : (neg ? "-" : ""), us, tenth);
	return buf;
}

static const char *vpb_sr_us(char *buf, s64 ns)
{
	return vpb_sr_us_sign(buf, ns, false);
}

/* "1.27": @num / @den, two decimals. */
static const char *vpb_sr_ratio(char *buf, u64 num, u64 den)
{
	u64 r = den ? div64_u64(num * 100 + den / 2, den) : 0;
	u32 frac;

	r = div_u64_rem(r, 100, &frac);
	snprintf(buf, VPB_SR_FIG, "%llu.%02u", r, frac);
	return buf;
}

static u64 vpb_sr_median(struct vpb_samples *s)
{
	struct vpb_stats st;

	vpb_stats(s, &st);
	return st.median;
}

static void vpb_sr_print_point(struct vpb_sr *b, struct vpb_sr_result *res)
{
	char s[VPB_SR_FIG], m[VPB_SR_FIG], r[VPB_SR_FIG];
	char rs[VPB_SR_FIG], rm[VPB_SR_FIG];

	res->suspend = vpb_sr_median(&b->suspend);
	res->save_restore = vpb_sr_median(&b->save_restore);
	res->reset = vpb_sr_median(&b->reset);
	res->valid = true;
	kunit_info(b->test,
		   "bench: suspend qp=%u %s: suspend %s, save+restore %s, reset+reconfig %s; ratios to reset+reconfig %s / %s (median of %u)\n",
		   b->pairs, b->path->name, vpb_sr_us(s, res->suspend),
		   vpb_sr_us(m, res->save_restore), vpb_sr_us(r, res->reset),
		   vpb_sr_ratio(rs, res->suspend, res->reset),
		   vpb_sr_ratio(rm, res->save_restore, res->reset),
		   min3(b->suspend.n, b->save_restore.n, b->reset.n));
}

/* --- the benchmark ------------------------------------------------------------------ */

static void vpb_sr_point(struct kunit *test, const struct vpb_sr_path *path,
			 u16 pairs, struct vpb_sr_result *res)
{
	struct vpb_sr *b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	unsigned int i;
	u64 offered;

	KUNIT_ASSERT_NOT_NULL(test, b);
	b->test = test;
	b->path = path;
	b->pairs = pairs;
	b->nq = 2 * pairs + 1;
	atomic_set(&b->calls, 0);
	KUNIT_ASSERT_EQ(test, vpb_samples_init(test, &b->suspend, "suspend",
					       VPB_SR_SAMPLES), 0);
	KUNIT_ASSERT_EQ(test, vpb_samples_init(test, &b->save_restore,
					       "save+restore", VPB_SR_SAMPLES), 0);
	KUNIT_ASSERT_EQ(test, vpb_samples_init(test, &b->reset,
					       "reset+reconfig", VPB_SR_SAMPLES), 0);
	b->r = kunit_kcalloc(test, b->nq, sizeof(*b->r), GFP_KERNEL);
	b->states = kunit_kcalloc(test, b->nq, sizeof(*b->states), GFP_KERNEL);
	b->tx_seq = kunit_kcalloc(test, pairs, sizeof(*b->tx_seq), GFP_KERNEL);
	b->rx_seq = kunit_kcalloc(test, pairs, sizeof(*b->rx_seq), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b->r);
	KUNIT_ASSERT_NOT_NULL(test, b->states);
	KUNIT_ASSERT_NOT_NULL(test, b->tx_seq);
	KUNIT_ASSERT_NOT_NULL(test, b->rx_seq);
	/* Ring memory first: the devices are reset before it is freed. */
	for (i = 0; i < b->nq; i++) {
		b->r[i].mem = vpt_client_mem(test, VPB_SR_MEM);
		KUNIT_ASSERT_NOT_NULL(test, b->r[i].mem);
		b->r[i].base = virt_to_phys(b->r[i].mem);
		b->r[i].per = 1;
	}
	b->cvq = b->nq - 1;
	b->r[b->cvq].base = VPB_SR_IOVA;
	b->r[b->cvq].per = 2;
	vpb_sr_device(b, 0);
	vpb_sr_device(b, 1);

	offered = b->vdpa[0]->config->get_device_features(b->vdpa[0]);
	/* Every buffer interrupts: no event index. */
	b->features = offered & ~BIT_ULL(VIRTIO_RING_F_EVENT_IDX);
	KUNIT_ASSERT_TRUE(test, b->features & BIT_ULL(VIRTIO_NET_F_CTRL_VQ));
	KUNIT_ASSERT_TRUE(test, b->features & BIT_ULL(VIRTIO_NET_F_CTRL_MAC_ADDR));
	KUNIT_ASSERT_EQ(test, vdpa_to_vp_svq(b->vdpa[0])->max_vqp, pairs);
	KUNIT_ASSERT_EQ(test, vp_svq_hw_cvq_index(b->features, pairs), b->cvq);
	vpb_sr_init_cmds(b);

	/* The client starts on device 0 and carries traffic. */
	KUNIT_ASSERT_EQ(test, vpb_sr_configure(b, b->vdpa[0], NULL), 0);
	vpb_sr_fill_rx(b);
	vpb_sr_cvq_post_all(b, b->vdpa[0]);
	KUNIT_ASSERT_EQ(test, vpb_sr_cvq_wait(b, b->vdpa[0]), 0);
	vpb_sr_cvq_expect_acks(b);
	vpb_sr_send(b, b->vdpa[0], VPB_SR_INFLIGHT);
	flush_workqueue(b->env[0]->m->wq);
	vpb_sr_reap(b);
	vpb_sr_expect_stream(b);

	for (i = 0; i < VPB_SR_WARMUP + VPB_SR_SAMPLES; i++) {
		bool record = i >= VPB_SR_WARMUP;

		vpb_sr_suspend_one(b, record);
		vpb_sr_migrate_one(b, record);
		vpb_sr_reset_one(b, record);
	}

	for (i = 0; i < 2; i++) {
		struct vpm *m = b->env[i]->m;

		KUNIT_EXPECT_EQ_MSG(test, m->violations, 0, "%s", m->violation);
		KUNIT_EXPECT_EQ(test, m->bad_access, 0);
		KUNIT_EXPECT_EQ(test, m->rx_dropped, 0);
		KUNIT_EXPECT_EQ(test, m->dma_faults, 0);
	}
	KUNIT_EXPECT_GT(test, atomic_read(&b->calls), 0);
	vpb_sr_print_point(b, res);
}

static void vpb_sr_pairs_desc(const u16 *pairs, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "qp=%u", *pairs);
}

KUNIT_ARRAY_PARAM(vpb_sr, vpb_sr_pairs, vpb_sr_pairs_desc);

static void vpb_suspend_point(struct kunit *test)
{
	const u16 *pairs = test->param_value;
	unsigned int k = pairs - vpb_sr_pairs, p;

	for (p = 0; p < VPB_SR_PATHS; p++)
		vpb_sr_point(test, &vpb_sr_paths[p], *pairs,
			     &vpb_sr_results[p][k]);
}

/*
 * Least squares over the points measured: @a + @b * (queue pairs - 1), in
 * ns: @a the cost at one pair, @b what each further pair adds.
 */
static void vpb_sr_fit(const struct vpb_sr_result *res, unsigned int which,
		       s64 *a, s64 *b)
{
	s64 n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0, x, y, den;
	unsigned int k;

	*a = 0;
	*b = 0;
	for (k = 0; k < VPB_SR_POINTS; k++) {
		if (!res[k].valid)
			continue;
		x = vpb_sr_pairs[k];
		y = which == 0 ? res[k].suspend :
		    which == 1 ? res[k].save_restore : res[k].reset;
		n++;
		sx += x;
		sy += y;
		sxx += x * x;
		sxy += x * y;
	}
	den = n * sxx - sx * sx;
	if (!n || !den)
		return;
	*b = div64_s64(n * sxy - sx * sy, den);
	*a = div64_s64(sy - *b * sx, n) + *b;
}

/* How each figure grows with queue pairs, per path. */
static void vpb_suspend_scaling(struct kunit *test)
{
	static const char * const what[] = {
		"suspend", "save+restore", "reset+reconfig"
	};
	char fa[3][VPB_SR_FIG], fb[3][VPB_SR_FIG];
	unsigned int p, w, k, n;
	s64 a, b;

	for (p = 0; p < VPB_SR_PATHS; p++) {
		for (k = 0, n = 0; k < VPB_SR_POINTS; k++)
			n += vpb_sr_results[p][k].valid;
		KUNIT_EXPECT_EQ_MSG(test, n, VPB_SR_POINTS, "%s: points measured",
				    vpb_sr_paths[p].name);
		if (n < 2)
			continue;
		for (w = 0; w < ARRAY_SIZE(what); w++) {
			vpb_sr_fit(vpb_sr_results[p], w, &a, &b);
			vpb_sr_us(fa[w], a);
			vpb_sr_us_sign(fb[w], b, true);
		}
		kunit_info(test,
			   "bench: suspend scaling %s: %s %s %s per extra pair, %s %s %s per extra pair, %s %s %s per extra pair (least squares over qp 1..32)\n",
			   vpb_sr_paths[p].name, what[0], fa[0], fb[0], what[1],
			   fa[1], fb[1], what[2], fa[2], fb[2]);
	}
}

static struct kunit_case vpb_suspend_cases[] = {
	KUNIT_CASE_PARAM_ATTR(vpb_suspend_point, vpb_sr_gen_params,
			      { .speed = KUNIT_SPEED_SLOW }),
	KUNIT_CASE(vpb_suspend_scaling),
	{}
};

static struct kunit_suite vpb_suspend_suite = {
	.name = "vp_svq_bench_suspend",
	.test_cases = vpb_suspend_cases,
};

kunit_test_suite(vpb_suspend_suite);
