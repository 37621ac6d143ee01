// SPDX-License-Identifier: GPL-2.0-only
/*
 * vp_svq KUnit benchmark: latency of one control command.
 *
 * Baseline: the device's own CVQ as the driver drives it,
 * vp_svq_hwcvq_send() on a started device (the driver posts the command,
 * rings the doorbell and polls its used index with vp_svq_poll_timeout():
 * looks again at once for 20 us, then sleeps 5 us, twice that each time
 * up to 100 us). Compared with it: the same command posted by a client
 * on its CVQ, a split ring in kernel memory reached through address space
 * 1 as QEMU sets it up (vdpa_config_ops driven directly, the CVQ group
 * bound to ASID 1, the ring mapped there with dma_map), kicked through
 * kick_vq and served by the shadow CVQ, which relays it with
 * vp_svq_hwcvq_send(). The client waits for its used entry in one of two
 * ways: it polls the used index as the driver polls its device's
 * (vp_svq_poll_timeout()), or it sleeps until the queue's callback.
 *
 * The command is VIRTIO_NET_CTRL_RX_PROMISC, on and off in turn. The three
 * ways alternate in rounds so that drift affects them alike. Each sample
 * is one round trip, timed with ktime_get_ns(). Checks are functional
 * only: every command acked VIRTIO_NET_OK, the counts of the device model
 * and of the shadow CVQ add up, the final PROMISC state is the last one
 * sent.
 *
 * UML has one CPU: the test, the shadow's work item and the model's worker
 * take turns on it, so each figure includes the model's own processing of
 * the command (its worker is woken by the doorbell, like a device would
 * be, and serves the ring) and the wake-ups between them. Two more lines
 * give what the model adds: its command handler alone, and a work item
 * on a queue like the model's, polled as the driver polls the device.
 */

#include <linux/unaligned.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <linux/vhost_iotlb.h>

#include "vp_svq_bench.h"
#include "vp_svq_test.h"

/* Samples per way, and rounds they are taken in. */
#define VPB_CVQ_CMDS		2000
#define VPB_CVQ_ROUNDS		10
/* Commands per way before the samples are taken. */
#define VPB_CVQ_WARMUP		50
/* Entries of the client's CVQ. */
#define VPB_CVQ_NUM		16
/* How long the client waits for one used entry. */
#define VPB_CVQ_WAIT_MS		1000
/*
 * Bound of the driver's poll of its device CVQ (cvq.c). The polling client
 * polls its used index the same way.
 */
#define VPB_HWCVQ_TIMEOUT_US	(1000 * USEC_PER_MSEC)
/* Offset of the ack byte in the client's command buffer. */
#define VPB_CVQ_ACK		64
/* An ack byte nobody wrote. */
#define VPB_CVQ_NO_ACK		0xff
/*
 * The load: every VLAN ID added, as QEMU restores a guest's VLAN filter,
 * on a client CVQ of 256 entries (the size QEMU asks for), each request a
 * 4-byte command and an ack, a ring's worth (128) made available at once.
 */
#define VPB_LOAD_NUM		256
#define VPB_LOAD_VLANS		4096
#define VPB_LOAD_BATCH		(VPB_LOAD_NUM / 2)
#define VPB_LOAD_CMD_LEN	4
#define VPB_LOAD_ACKS		(VPB_LOAD_BATCH * VPB_LOAD_CMD_LEN)
#define VPB_LOAD_ROUNDS		20
/* The client's buffers: room for either benchmark's. */
#define VPB_BUF_LEN		(VPB_LOAD_ACKS + VPB_LOAD_BATCH)
static_assert(VPB_CVQ_ACK < VPB_BUF_LEN);

enum vpb_cvq_way {
	VPB_CVQ_DEVICE,
	VPB_CVQ_SHADOW_POLL,
	VPB_CVQ_SHADOW_CB,
	VPB_CVQ_WAYS
};

/**
 * struct vpb_cvq - the benchmark's device and the client's CVQ
 * @test: the test
 * @e: the environment
 * @vdpa: the vDPA device, driven through its config ops
 * @dev: the same, as vp_svq's device
 * @idx: the client's index of its CVQ
 * @vr: the client's CVQ, a split ring
 * @avail: the client's next avail index
 * @buf: command, then the ack byte at VPB_CVQ_ACK
 * @cb_done: completed by the CVQ's callback
 * @promisc: PROMISC value of the last command sent
 * @shadow_promisc: PROMISC value of the last command the shadow acked
 * @samples: one set per way
 */
struct vpb_cvq {
	struct kunit *test;
	struct vpt_env *e;
	struct vdpa_device *vdpa;
	struct vp_svq_dev *dev;
	u16 idx;
	struct vring vr;
	u16 avail;
	u8 *buf;
	struct completion cb_done;
	bool promisc;
	bool shadow_promisc;
	struct vpb_samples samples[VPB_CVQ_WAYS];
};

/* The figures' names on the bench: lines. */
static const char * const vpb_cvq_label[] = {
	[VPB_CVQ_DEVICE] = "device",
	[VPB_CVQ_SHADOW_POLL] = "shadow-poll",
	[VPB_CVQ_SHADOW_CB] = "shadow-callback",
};

static irqreturn_t vpb_cvq_cb(void *data)
{
	struct vpb_cvq *b = data;

	complete(&b->cb_done);
	return IRQ_HANDLED;
}

/* The next command: PROMISC, the other way round from the last one. */
static size_t vpb_cvq_next_cmd(struct vpb_cvq *b, u8 *cmd)
{
	b->promisc = !b->promisc;
	cmd[0] = VIRTIO_NET_CTRL_RX;
	cmd[1] = VIRTIO_NET_CTRL_RX_PROMISC;
	cmd[2] = b->promisc;
	return 3;
}

/* Map @len bytes at @va into address space @asid, at their physical address. */
static void vpb_cvq_map(struct vpb_cvq *b, unsigned int asid, void *va,
			size_t len)
{
	const struct vdpa_config_ops *ops = b->vdpa->config;
	u64 pa = virt_to_phys(va);

	KUNIT_ASSERT_EQ(b->test, ops->dma_map(b->vdpa, asid, pa, len, pa,
					      VHOST_MAP_RW, NULL), 0);
}

/*
 * A vDPA device on a default model, started by a client that has only its
 * CVQ, of @num entries, isolated in ASID 1 as QEMU isolates it.
 */
static void vpb_cvq_setup(struct kunit *test, struct vpb_cvq *b, u16 num)
{
	const struct vdpa_config_ops *ops;
	u8 s = VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER;
	struct vdpa_callback cb = { .callback = vpb_cvq_cb, .private = b };
	size_t ring_len = vring_size(num, SMP_CACHE_BYTES);
	u64 features;
	void *ring;
	int i;

	b->test = test;
	init_completion(&b->cb_done);
	for (i = 0; i < VPB_CVQ_WAYS; i++)
		KUNIT_ASSERT_EQ(test, vpb_samples_init(test, &b->samples[i],
						       vpb_cvq_label[i],
						       VPB_CVQ_CMDS), 0);
	b->e = vpt_env_new(test, NULL);
	KUNIT_ASSERT_EQ(test, vpt_add(b->e, NULL), 0);
	b->vdpa = vpt_vdpa(b->e);
	KUNIT_ASSERT_NOT_NULL(test, b->vdpa);
	KUNIT_ASSERT_NULL(test, b->vdpa->dev.driver);
	b->dev = vdpa_to_vp_svq(b->vdpa);
	ops = b->vdpa->config;

	/* No event index: the avail flags alone ask for callbacks or not. */
	features = ops->get_device_features(b->vdpa) &
		   ~BIT_ULL(VIRTIO_RING_F_EVENT_IDX);
	KUNIT_ASSERT_TRUE(test, features & BIT_ULL(VIRTIO_NET_F_CTRL_VQ));
	KUNIT_ASSERT_TRUE(test, features & BIT_ULL(VIRTIO_NET_F_CTRL_RX));
	KUNIT_ASSERT_TRUE(test, features & BIT_ULL(VIRTIO_NET_F_CTRL_VLAN));
	ops->set_status(b->vdpa, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	ops->set_status(b->vdpa, s);
	KUNIT_ASSERT_EQ(test, ops->set_driver_features(b->vdpa, features), 0);
	s |= VIRTIO_CONFIG_S_FEATURES_OK;
	ops->set_status(b->vdpa, s);
	KUNIT_ASSERT_EQ(test, ops->get_status(b->vdpa), s);

	b->idx = vp_svq_hw_cvq_index(features, b->dev->max_vqp);
	KUNIT_ASSERT_EQ(test, ops->get_vq_group(b->vdpa, b->idx),
			VP_SVQ_GROUP_CVQ);
	KUNIT_ASSERT_EQ(test, ops->set_group_asid(b->vdpa, VP_SVQ_GROUP_CVQ,
						  1), 0);

	ring = vpt_client_mem(test, ring_len);
	b->buf = vpt_client_mem(test, VPB_BUF_LEN);
	KUNIT_ASSERT_NOT_NULL(test, ring);
	KUNIT_ASSERT_NOT_NULL(test, b->buf);
	vring_init(&b->vr, num, ring, SMP_CACHE_BYTES);
	vpb_cvq_map(b, 1, ring, ring_len);
	vpb_cvq_map(b, 1, b->buf, VPB_BUF_LEN);

	ops->set_vq_num(b->vdpa, b->idx, num);
	KUNIT_ASSERT_EQ(test, ops->set_vq_address(b->vdpa, b->idx,
						  virt_to_phys(b->vr.desc),
						  virt_to_phys(b->vr.avail),
						  virt_to_phys(b->vr.used)), 0);
	ops->set_vq_cb(b->vdpa, b->idx, &cb);
	ops->set_vq_ready(b->vdpa, b->idx, true);
	ops->set_status(b->vdpa, s | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_ASSERT_EQ(test, ops->get_status(b->vdpa),
			s | VIRTIO_CONFIG_S_DRIVER_OK);
	KUNIT_ASSERT_TRUE(test, ops->get_vq_ready(b->vdpa, b->idx));
}

/* One command on the device's own CVQ, sent as the driver sends it. */
static int vpb_cvq_device_one(struct vpb_cvq *b, u64 *ns)
{
	u8 cmd[3];
	size_t len = vpb_cvq_next_cmd(b, cmd);
	u64 t0;
	int ret;

	/* The shadow's lock, as when the driver replays its net state. */
	mutex_lock(&b->dev->cvq.lock);
	t0 = ktime_get_ns();
	ret = vp_svq_hwcvq_send(b->dev, cmd, len);
	*ns = ktime_get_ns() - t0;
	mutex_unlock(&b->dev->cvq.lock);
	return ret == VIRTIO_NET_OK ? 0 : -EIO;
}

static u16 vpb_cvq_used_idx(struct vpb_cvq *b)
{
	return __virtio16_to_cpu(true, READ_ONCE(b->vr.used->idx));
}

/*
 * Poll the used index as the driver polls its device CVQ. UML has one CPU:
 * a client spinning with cond_resched() (as virtio_net waits for its CVQ)
 * keeps it from the shadow's work item until the next tick (10 ms), so
 * the shadow runs once the poll has gone to sleep.
 */
static int vpb_cvq_poll(struct vpb_cvq *b, u16 want)
{
	u16 used;

	return vp_svq_poll_timeout(vpb_cvq_used_idx, used, used == want,
				   VPB_HWCVQ_TIMEOUT_US, b);
}

/* Sleep until the CVQ's callback, then look at the used index. */
static int vpb_cvq_wait_cb(struct vpb_cvq *b, u16 want)
{
	if (!wait_for_completion_timeout(&b->cb_done,
					 msecs_to_jiffies(VPB_CVQ_WAIT_MS)))
		return -ETIMEDOUT;
	return vpb_cvq_used_idx(b) == want ? 0 : -EIO;
}

/* One command posted on the client's CVQ, served by the shadow CVQ. */
static int vpb_cvq_shadow_one(struct vpb_cvq *b, bool poll, u64 *ns)
{
	struct vring_desc *desc = b->vr.desc;
	u16 want = b->avail + 1, slot;
	u8 *ack = b->buf + VPB_CVQ_ACK;
	struct vring_used_elem *used;
	size_t len;
	u64 t0;
	int ret;

	b->vr.avail->flags = __cpu_to_virtio16(true, poll ?
					       VRING_AVAIL_F_NO_INTERRUPT : 0);
	reinit_completion(&b->cb_done);

	t0 = ktime_get_ns();
	len = vpb_cvq_next_cmd(b, b->buf);
	*ack = VPB_CVQ_NO_ACK;
	desc[0].addr = __cpu_to_virtio64(true, virt_to_phys(b->buf));
	desc[0].len = __cpu_to_virtio32(true, len);
	desc[0].flags = __cpu_to_virtio16(true, VRING_DESC_F_NEXT);
	desc[0].next = __cpu_to_virtio16(true, 1);
	desc[1].addr = __cpu_to_virtio64(true, virt_to_phys(ack));
	desc[1].len = __cpu_to_virtio32(true, 1);
	desc[1].flags = __cpu_to_virtio16(true, VRING_DESC_F_WRITE);
	b->vr.avail->ring[b->avail % VPB_CVQ_NUM] = __cpu_to_virtio16(true, 0);
	/* The entry before the index that publishes it. */
	virt_wmb();
	b->vr.avail->idx = __cpu_to_virtio16(true, want);
	b->avail = want;
	/* The index before the kick. */
	virt_mb();
	b->vdpa->config->kick_vq(b->vdpa, b->idx);
	ret = poll ? vpb_cvq_poll(b, want) : vpb_cvq_wait_cb(b, want);
	*ns = ktime_get_ns() - t0;
	if (ret)
		return ret;

	/* The used entry and the ack after the index that published them. */
	virt_rmb();
	slot = (u16)(want - 1) % VPB_CVQ_NUM;
	used = &b->vr.used->ring[slot];
	if (__virtio32_to_cpu(true, used->id) != 0 ||
	    __virtio32_to_cpu(true, used->len) != 1 ||
	    READ_ONCE(*ack) != VIRTIO_NET_OK)
		return -EIO;
	b->shadow_promisc = b->promisc;
	return 0;
}

static int vpb_cvq_one(struct vpb_cvq *b, enum vpb_cvq_way way, u64 *ns)
{
	switch (way) {
	case VPB_CVQ_DEVICE:
		return vpb_cvq_device_one(b, ns);
	case VPB_CVQ_SHADOW_POLL:
		return vpb_cvq_shadow_one(b, true, ns);
	default:
		return vpb_cvq_shadow_one(b, false, ns);
	}
}

static const char * const vpb_cvq_way_name[] = {
	[VPB_CVQ_DEVICE] = "device CVQ",
	[VPB_CVQ_SHADOW_POLL] = "shadow CVQ, client polls",
	[VPB_CVQ_SHADOW_CB] = "shadow CVQ, client waits for the callback",
};

/* @n commands one way; samples are recorded unless @warmup. */
static void vpb_cvq_run(struct vpb_cvq *b, enum vpb_cvq_way way,
			unsigned int n, bool warmup)
{
	unsigned int i;
	u64 ns;
	int ret;

	for (i = 0; i < n; i++) {
		ret = vpb_cvq_one(b, way, &ns);
		KUNIT_ASSERT_EQ_MSG(b->test, ret, 0, "%s: command %u failed",
				    vpb_cvq_way_name[way], i);
		if (!warmup)
			vpb_add(&b->samples[way], ns);
	}
}

/* The model's command handler alone, on the same command. */
static void vpb_cvq_model_handler(struct vpb_cvq *b, struct vpb_samples *s)
{
	struct vpm *m = b->e->m;
	unsigned long flags;
	unsigned int i;
	u64 t0, t1;
	u8 cmd[3];
	size_t len;
	u8 ack;

	for (i = 0; i < VPB_CVQ_CMDS; i++) {
		len = vpb_cvq_next_cmd(b, cmd);
		spin_lock_irqsave(&m->lock, flags);
		t0 = ktime_get_ns();
		ack = vpm_cvq_command(m, cmd, len);
		t1 = ktime_get_ns();
		spin_unlock_irqrestore(&m->lock, flags);
		KUNIT_ASSERT_EQ(b->test, ack, VIRTIO_NET_OK);
		vpb_add(s, t1 - t0);
	}
}

/**
 * struct vpb_wake - a work item that only says it ran
 * @work: the work item
 * @done: set by it
 */
struct vpb_wake {
	struct work_struct work;
	bool done;
};

static void vpb_wake_fn(struct work_struct *work)
{
	struct vpb_wake *w = container_of(work, struct vpb_wake, work);

	WRITE_ONCE(w->done, true);
}

static bool vpb_wake_done(struct vpb_wake *w)
{
	return READ_ONCE(w->done);
}

/*
 * A device that answers at once: a work item on an ordered queue like the
 * model's, polled as the driver polls its device CVQ. What the wake-ups
 * and the driver's poll cost, without a ring.
 */
static void vpb_cvq_wake_floor(struct kunit *test, struct vpb_samples *s)
{
	struct workqueue_struct *wq = alloc_ordered_workqueue("vpb_wake", 0);
	struct vpb_wake w;
	unsigned int i;
	bool done;
	u64 t0;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, wq);
	INIT_WORK(&w.work, vpb_wake_fn);
	for (i = 0; i < VPB_CVQ_CMDS; i++) {
		w.done = false;
		t0 = ktime_get_ns();
		queue_work(wq, &w.work);
		ret = vp_svq_poll_timeout(vpb_wake_done, done, done,
					  VPB_HWCVQ_TIMEOUT_US, &w);
		vpb_add(s, ktime_get_ns() - t0);
		if (ret)
			break;
		flush_work(&w.work);
	}
	destroy_workqueue(wq);
	KUNIT_ASSERT_EQ(test, ret, 0);
}

static void vpb_cvq_latency(struct kunit *test)
{
	const unsigned int per_round = VPB_CVQ_CMDS / VPB_CVQ_ROUNDS;
	struct vpb_samples handler, wake;
	unsigned int r, w, commands, sent;
	struct vpb_cvq *b;
	struct vpm *m;

	b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b);
	vpb_cvq_setup(test, b, VPB_CVQ_NUM);
	m = b->e->m;
	commands = m->net.commands;

	for (w = 0; w < VPB_CVQ_WAYS; w++)
		vpb_cvq_run(b, w, VPB_CVQ_WARMUP, true);
	/* Each round takes the ways in another order. */
	for (r = 0; r < VPB_CVQ_ROUNDS; r++)
		for (w = 0; w < VPB_CVQ_WAYS; w++)
			vpb_cvq_run(b, (r + w) % VPB_CVQ_WAYS, per_round,
				    false);

	sent = VPB_CVQ_WAYS * (VPB_CVQ_WARMUP + per_round * VPB_CVQ_ROUNDS);
	KUNIT_EXPECT_EQ(test, m->net.commands - commands, sent);
	KUNIT_EXPECT_EQ(test, m->net.errors, 0);
	KUNIT_EXPECT_EQ(test, m->net.promisc, b->promisc);
	KUNIT_EXPECT_EQ(test, m->violations, 0);
	KUNIT_EXPECT_EQ(test, m->dma_faults, 0);
	mutex_lock(&b->dev->cvq.lock);
	KUNIT_EXPECT_EQ(test, b->dev->cvq.received,
			(VPB_CVQ_WAYS - 1) * (VPB_CVQ_WARMUP +
					      per_round * VPB_CVQ_ROUNDS));
	KUNIT_EXPECT_EQ(test, b->dev->cvq.completed, b->dev->cvq.received);
	KUNIT_EXPECT_EQ(test, b->dev->cvq.failed, 0);
	KUNIT_EXPECT_EQ(test, !!(b->dev->cvq.state.rx_modes &
				 BIT(VIRTIO_NET_CTRL_RX_PROMISC)),
			b->shadow_promisc);
	mutex_unlock(&b->dev->cvq.lock);

	vpb_print_ratio(test, "cvq latency", &b->samples[VPB_CVQ_DEVICE],
			&b->samples[VPB_CVQ_SHADOW_POLL]);
	vpb_print_ratio(test, "cvq latency", &b->samples[VPB_CVQ_DEVICE],
			&b->samples[VPB_CVQ_SHADOW_CB]);

	/* What the model adds to both; its handler needs the features. */
	KUNIT_ASSERT_EQ(test, vpb_samples_init(test, &handler,
					       "command handler",
					       VPB_CVQ_CMDS), 0);
	KUNIT_ASSERT_EQ(test, vpb_samples_init(test, &wake,
					       "wake-up polled like the device",
					       VPB_CVQ_CMDS), 0);
	vpb_cvq_model_handler(b, &handler);
	KUNIT_ASSERT_EQ(test, b->vdpa->config->reset(b->vdpa), 0);
	vpb_cvq_wake_floor(test, &wake);
	vpb_print(test, "cvq model", &handler);
	vpb_print(test, "cvq model", &wake);
}

/* Command @i of a batch: VLAN_ADD of @vid. */
static void vpb_load_cmd(struct vpb_cvq *b, unsigned int i, u16 vid)
{
	u8 *cmd = b->buf + i * VPB_LOAD_CMD_LEN;

	cmd[0] = VIRTIO_NET_CTRL_VLAN;
	cmd[1] = VIRTIO_NET_CTRL_VLAN_ADD;
	put_unaligned_le16(vid, cmd + 2);
}

/* Every VLAN ID sent on the device's own CVQ, one after the other. */
static int vpb_load_device(struct vpb_cvq *b, u64 *ns)
{
	int ret = VIRTIO_NET_OK;
	u64 t0;
	u16 vid;

	mutex_lock(&b->dev->cvq.lock);
	t0 = ktime_get_ns();
	for (vid = 0; vid < VPB_LOAD_VLANS && ret == VIRTIO_NET_OK; vid++) {
		vpb_load_cmd(b, 0, vid);
		ret = vp_svq_hwcvq_send(b->dev, b->buf, VPB_LOAD_CMD_LEN);
	}
	*ns = ktime_get_ns() - t0;
	mutex_unlock(&b->dev->cvq.lock);
	return ret == VIRTIO_NET_OK ? 0 : -EIO;
}

/* Post @n requests, VLAN IDs from @vid, kick, wait for their acks. */
static int vpb_load_batch(struct vpb_cvq *b, u16 vid, unsigned int n)
{
	struct vring_desc *desc = b->vr.desc;
	u8 *acks = b->buf + VPB_LOAD_ACKS;
	u16 want = b->avail + n;
	unsigned int i;

	reinit_completion(&b->cb_done);
	for (i = 0; i < n; i++) {
		vpb_load_cmd(b, i, vid + i);
		acks[i] = VPB_CVQ_NO_ACK;
		desc[2 * i].addr = __cpu_to_virtio64(true, virt_to_phys(b->buf +
								       i * VPB_LOAD_CMD_LEN));
		desc[2 * i].len = __cpu_to_virtio32(true, VPB_LOAD_CMD_LEN);
		desc[2 * i].flags = __cpu_to_virtio16(true, VRING_DESC_F_NEXT);
		desc[2 * i].next = __cpu_to_virtio16(true, 2 * i + 1);
		desc[2 * i + 1].addr = __cpu_to_virtio64(true, virt_to_phys(acks + i));
		desc[2 * i + 1].len = __cpu_to_virtio32(true, 1);
		desc[2 * i + 1].flags = __cpu_to_virtio16(true, VRING_DESC_F_WRITE);
		b->vr.avail->ring[(u16)(b->avail + i) % VPB_LOAD_NUM] =
			__cpu_to_virtio16(true, 2 * i);
	}
	/* The entries before the index that publishes them. */
	virt_wmb();
	b->vr.avail->idx = __cpu_to_virtio16(true, want);
	b->avail = want;
	/* The index before the kick. */
	virt_mb();
	b->vdpa->config->kick_vq(b->vdpa, b->idx);
	/* A callback may come for part of the batch: look each time. */
	while (vpb_cvq_used_idx(b) != want)
		if (!wait_for_completion_timeout(&b->cb_done,
						 msecs_to_jiffies(VPB_CVQ_WAIT_MS)))
			return -ETIMEDOUT;
	/* The acks after the index that published them. */
	virt_rmb();
	for (i = 0; i < n; i++)
		if (READ_ONCE(acks[i]) != VIRTIO_NET_OK)
			return -EIO;
	return 0;
}

/* Every VLAN ID through the shadow, a ring's worth at a time. */
static int vpb_load_shadow(struct vpb_cvq *b, u64 *ns)
{
	u64 t0 = ktime_get_ns();
	unsigned int vid;
	int ret = 0;

	for (vid = 0; vid < VPB_LOAD_VLANS && !ret; vid += VPB_LOAD_BATCH)
		ret = vpb_load_batch(b, vid, min(VPB_LOAD_BATCH,
						 VPB_LOAD_VLANS - vid));
	*ns = ktime_get_ns() - t0;
	return ret;
}

/*
 * Benchmark: the restore of a full VLAN filter through the shadow CVQ,
 * against the same commands on the device's own CVQ.
 */
static void vpb_cvq_vlan_load(struct kunit *test)
{
	struct vpb_samples device, shadow;
	unsigned int r, commands;
	struct vpb_cvq *b;
	struct vpm *m;
	u64 ns;

	b = kunit_kzalloc(test, sizeof(*b), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, b);
	vpb_cvq_setup(test, b, VPB_LOAD_NUM);
	m = b->e->m;
	KUNIT_ASSERT_EQ(test, vpb_samples_init(test, &device, "device",
					       VPB_LOAD_ROUNDS), 0);
	KUNIT_ASSERT_EQ(test, vpb_samples_init(test, &shadow, "shadow",
					       VPB_LOAD_ROUNDS), 0);
	commands = m->net.commands;
	for (r = 0; r < VPB_LOAD_ROUNDS; r++) {
		KUNIT_ASSERT_EQ(test, vpb_load_device(b, &ns), 0);
		vpb_add(&device, ns);
		KUNIT_ASSERT_EQ(test, vpb_load_shadow(b, &ns), 0);
		vpb_add(&shadow, ns);
	}
	KUNIT_EXPECT_EQ(test, m->net.commands - commands,
			2 * VPB_LOAD_ROUNDS * VPB_LOAD_VLANS);
	KUNIT_EXPECT_EQ(test, m->net.errors, 0);
	KUNIT_EXPECT_EQ(test, bitmap_weight(m->net.vlans, VPB_LOAD_VLANS),
			VPB_LOAD_VLANS);
	mutex_lock(&b->dev->cvq.lock);
	KUNIT_EXPECT_EQ(test, b->dev->cvq.completed,
			VPB_LOAD_ROUNDS * VPB_LOAD_VLANS);
	mutex_unlock(&b->dev->cvq.lock);
	vpb_print_ratio(test, "cvq load of 4096 VLAN_ADD", &device, &shadow);
}

static struct kunit_case vpb_cvq_cases[] = {
	KUNIT_CASE_SLOW(vpb_cvq_latency),
	KUNIT_CASE_SLOW(vpb_cvq_vlan_load),
	{}
};

static struct kunit_suite vpb_cvq_suite = {
	.name = "vp_svq_bench_cvq",
	.test_cases = vpb_cvq_cases,
};

kunit_test_suite(vpb_cvq_suite);
