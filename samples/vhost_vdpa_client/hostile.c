// SPDX-License-Identifier: GPL-2.0
/*
 * --hostile CASE: what a guest that does not play by the rules can do
 * through the vhost-vdpa uapi, each case with the defence it must meet.
 *
 *   avail-back          a shadowed receive ring whose avail index moves
 *                       backwards: the kick returns at once, the device
 *                       works again after a reset
 *   vq-not-negotiated   a control command on vq 2 without CTRL_VQ (the
 *                       device's own CVQ there): never executed
 *   asid-stale          the CVQ group in ASID 1, a reset, then a client that
 *                       maps everything in ASID 0: its CVQ is served
 *   window              TX and RX buffers in the IOVA window the driver
 *                       keeps for its own rings: no RX lands there
 *   log-flood           1000 SET_VRING_ENABLE on a queue whose used ring is
 *                       unmapped, while suspended: every ioctl answers, the
 *                       device works after a reset (the harness counts the
 *                       kernel log lines)
 *   cvq-indirect0       a CVQ request whose descriptor is an indirect table
 *                       at IOVA 0: dropped, and a reset returns in bounded
 *                       time
 *
 * Each case ends with one line, "hostile CASE: ok (...)" or
 * "hostile CASE: FAIL: why", and returns 0, EXIT_HOSTILE or a negative
 * errno (an ioctl failed: the case could not be tried).
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "util.h"

#define KICK_BOUND_MS	100.0	/* avail-back: one kick, any ring */
#define RESET_BOUND_MS	2000.0	/* status 0, whatever the client did */
#define USED_WAIT	2.0	/* seconds for a used entry that is due */
#define FLOOD_ENABLES	1000	/* log-flood: SET_VRING_ENABLE calls */
#define HOSTILE_CVQ_NUM	64	/* a control ring's size, capped at the max */

/* Where a case's verdict is built: the reasons it failed, or its figures. */
struct verdict {
	char ok[512];
	char why[512];
	size_t ok_used;
	size_t why_used;
};

__printf(2, 3)
static void note_ok(struct verdict *v, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	str_append(v->ok, sizeof(v->ok), &v->ok_used, "%s%s",
		   v->ok_used ? "; " : "", buf);
}

__printf(2, 3)
static void note_fail(struct verdict *v, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	str_append(v->why, sizeof(v->why), &v->why_used, "%s%s",
		   v->why_used ? "; " : "", buf);
}

/* Status 0 and its read-back, timed: the bound holds for every case. */
static int timed_reset(struct client *c, struct verdict *v)
{
	uint8_t status;
	double t0, ms;
	int ret;

	t0 = now_sec();
	ret = vdpa_set_status(&c->dev, 0);
	ms = (now_sec() - t0) * 1000;
	if (!ret)
		ret = vdpa_get_status(&c->dev, &status);
	if (ret)
		return ret;
	say("VHOST_VDPA_SET_STATUS 0: returned in %.1f ms, status now 0x%02x",
	    ms, status);
	if (status)
		note_fail(v, "status 0x%02x after the reset", status);
	if (ms > RESET_BOUND_MS)
		note_fail(v, "the reset took %.0f ms (bound %.0f)", ms,
			  RESET_BOUND_MS);
	else
		note_ok(v, "reset in %.1f ms", ms);
	return 0;
}

/*
 * After a reset: fresh rings at base 0 in the same memory (it stays
 * mapped), the usual features, DRIVER_OK and the ARP exchange. Proves the
 * device still works for a client that behaves.
 */
static int restart_plain(struct client *c, struct verdict *v)
{
	int ret;

	split_vq_fini(&c->rx);
	split_vq_fini(&c->tx);
	memset(c->mem.va, 0, c->mem.size);
	c->mem.used = 0;
	c->tx_sent = 0;
	c->tx_done = 0;
	c->rx_frames = 0;
	c->rx_bad = 0;
	c->arp_replies = 0;
	c->nseen = 0;
	c->got_reply = false;
	c->rx_held = 0;
	c->on_frame = NULL;
	c->opt.restore = false;
	c->opt.cvq = false;
	c->features_extra = 0;

	say("restart: plain bring-up on fresh rings after the reset");
	ret = negotiate(c);
	if (!ret)
		ret = init_rings(c, c->num);
	if (!ret)
		ret = start_queues(c);
	if (!ret)
		ret = run(c);
	if (ret == EXIT_NO_REPLY) {
		note_fail(v, "no ARP reply after the reset");
		return 0;
	}
	if (!ret)
		note_ok(v, "ARP answered after the reset");
	return ret;
}

/* --hold: keep the device as the case left it, for sysfs and vstats. */
static void hostile_hold(struct client *c)
{
	if (c->opt.hold <= 0)
		return;
	say("holding the device running for %.1f s", c->opt.hold);
	usleep((useconds_t)(c->opt.hold * 1e6));
}

/* Until the used index of @vq is @want or @secs passed: the index. */
static uint16_t wait_used(struct split_vq *vq, uint16_t want, double secs)
{
	double end = now_sec() + secs;
	uint16_t used;

	while ((used = split_vq_used_idx(vq)) != want && now_sec() < end)
		usleep(10000);
	return used;
}

/* Acknowledge one more backend feature, if the device offers it. */
static int ack_backend(struct client *c, unsigned int bit)
{
	char buf[64];

	if (!(c->backend_offered & (1ULL << bit))) {
		fail("backend does not offer %s\n",
		     vdpa_backend_features_str(1ULL << bit, buf, sizeof(buf)));
		return -EOPNOTSUPP;
	}
	return vdpa_set_backend_features(&c->dev,
					 c->dev.backend_features | 1ULL << bit);
}

/* A ring of ours for vq @index in the data region, attached, not enabled. */
static int attach_ctrl_ring(struct client *c, unsigned int index,
			    uint16_t num)
{
	struct vdpa_vring_cfg cfg;
	int ret;

	ret = cvq_init(&c->cvq, &c->mem, index, num);
	if (ret)
		return ret;
	split_vq_vring_cfg(&c->cvq.vq, &cfg);
	return vdpa_vring_setup(&c->dev, &cfg);
}

/* HOSTILE_CVQ_NUM, capped at the device maximum. */
static uint16_t ctrl_ring_size(struct client *c)
{
	uint16_t num = HOSTILE_CVQ_NUM;

	while (num > c->vq_max)
		num >>= 1;
	return num;
}

/*
 * avail-back: the RX ring restored at base 1 runs in ring shadow mode; all
 * its buffers are offered and forwarded. Then every descriptor is chained
 * to the next (the longest chains the table holds), the avail index goes
 * back to base + 1, and the ring is kicked. A driver that takes the index
 * at its word walks 65281 chains. The kick is an eventfd write that
 * vhost-vdpa serves in the writer's context, so its duration is the
 * driver's work.
 */
static int case_avail_back(struct client *c, struct verdict *v)
{
	uint16_t i, num, back;
	double t0, ms;
	int ret;

	c->opt.restore = true;
	c->opt.restore_rx = 1;
	c->opt.restore_tx = 0;
	ret = negotiate(c);
	if (!ret)
		ret = setup_queues(c);
	if (!ret)
		ret = fill_rx(c);
	if (ret)
		return ret;

	num = c->rx.num;
	for (i = 0; i < num; i++) {
		bool last = i + 1 == num;

		c->rx.desc[i].flags = htole16(VRING_DESC_F_WRITE |
					      (last ? 0 : VRING_DESC_F_NEXT));
		c->rx.desc[i].next = htole16(last ? 0 : i + 1);
	}
	back = (uint16_t)(c->rx.base + 1);
	__atomic_store_n(&c->rx.avail->idx, htole16(back), __ATOMIC_RELEASE);
	say("avail-back: RX avail idx %u -> %u (used idx %u), every descriptor chained to the next",
	    c->rx.avail_idx, back, split_vq_used_idx(&c->rx));
	t0 = now_sec();
	ret = split_vq_notify(&c->rx);
	ms = (now_sec() - t0) * 1000;
	if (ret)
		return ret;
	say("avail-back: the kick returned in %.1f ms", ms);
	if (ms > KICK_BOUND_MS)
		note_fail(v, "the kick took %.0f ms (bound %.0f)", ms,
			  KICK_BOUND_MS);
	else
		note_ok(v, "kick in %.1f ms", ms);
	hostile_hold(c);

	ret = timed_reset(c, v);
	if (!ret)
		ret = restart_plain(c, v);
	return ret;
}

/*
 * vq-not-negotiated: without CTRL_VQ, vq 2 (2 * max_virtqueue_pairs
 * without MQ: where the device keeps its CVQ) is set up with a RX_PROMISC
 * command, enabled before DRIVER_OK and kicked. The command must never be
 * executed: no used entry, the ack byte untouched. The ARP exchange on RX
 * and TX proves the device ran meanwhile.
 */
static int case_vq_not_negotiated(struct client *c, struct verdict *v)
{
	unsigned int idx = 2, num;
	struct cvq_cmd cmd;
	uint8_t status;
	bool refused = false;
	char ack[32];
	int ret;

	if (idx >= c->nvqs) {
		fail("vq-not-negotiated: the device has %u vqs, no vq %u\n",
		     c->nvqs, idx);
		return -ENODEV;
	}
	c->opt.cvq = false;
	ret = negotiate(c);
	if (ret)
		return ret;
	num = ring_size(c);
	c->mem_extra = cvq_footprint(ctrl_ring_size(c));
	ret = map_memory(c, num);
	if (!ret)
		ret = init_rings(c, num);
	if (!ret)
		ret = attach_ctrl_ring(c, idx, ctrl_ring_size(c));
	if (ret)
		return ret;
	memset(&cmd, 0, sizeof(cmd));
	cmd.class = VIRTIO_NET_CTRL_RX;
	cmd.cmd = VIRTIO_NET_CTRL_RX_PROMISC;
	cmd.data[0] = 1;
	cmd.data_len = 1;
	ret = cvq_post(&c->cvq, &cmd);
	if (!ret)
		ret = vdpa_set_vring_enable(&c->dev, idx, true);
	if (ret)
		return ret;
	say("vq-not-negotiated: vq %u set up and enabled without CTRL_VQ, RX_PROMISC on it",
	    idx);

	ret = start_queues(c);
	if (ret == -EIO && !vdpa_get_status(&c->dev, &status) &&
	    (status & VIRTIO_CONFIG_S_FAILED)) {
		say("vq-not-negotiated: DRIVER_OK refused (status 0x%02x)",
		    status);
		refused = true;
	} else if (ret) {
		return ret;
	}
	ret = split_vq_notify(&c->cvq.vq);
	if (ret)
		return ret;
	ret = cvq_wait(&c->cvq, USED_WAIT / 2);
	if (ret && ret != -ETIMEDOUT)
		return ret;
	say("vq-not-negotiated: vq %u after the kick: used idx %u, ack %s",
	    idx, split_vq_used_idx(&c->cvq.vq),
	    cvq_ack_name(cmd.done ? cmd.ack : CVQ_ACK_NONE, ack, sizeof(ack)));
	if (cmd.done || split_vq_used_idx(&c->cvq.vq))
		note_fail(v, "the device executed RX_PROMISC on vq %u (used idx %u, ack %s)",
			  idx, split_vq_used_idx(&c->cvq.vq), ack);
	else
		note_ok(v, "vq %u never used, ack untouched", idx);
	if (refused) {
		note_ok(v, "DRIVER_OK refused");
		return 0;
	}
	ret = run(c);
	if (ret == EXIT_NO_REPLY)
		note_fail(v, "no ARP reply on RX/TX meanwhile");
	else if (!ret)
		note_ok(v, "ARP answered on RX/TX");
	return ret == EXIT_NO_REPLY ? 0 : ret;
}

/*
 * asid-stale: the CVQ's group goes to ASID 1, the device is reset, and the
 * client then starts as one that does not shadow the CVQ: everything,
 * CVQ included, mapped in ASID 0, no SET_GROUP_ASID. A reset gives every
 * group ASID 0 again, so MAC_ADDR_SET must be acked OK.
 */
static int case_asid_stale(struct client *c, struct verdict *v)
{
	uint16_t cvq_num = ctrl_ring_size(c);
	unsigned int num;
	int ret;

	if (c->nas <= CVQ_ASID) {
		fail("asid-stale: the device has %u address space(s)\n",
		     c->nas);
		return -EOPNOTSUPP;
	}
	ret = negotiate(c);
	if (!ret)
		ret = vdpa_set_group_asid(&c->dev, c->cvq_group, CVQ_ASID);
	if (ret)
		return ret;
	say("asid-stale: VHOST_VDPA_SET_GROUP_ASID: group %u (CVQ) -> asid %u, then a reset",
	    c->cvq_group, CVQ_ASID);
	ret = timed_reset(c, v);
	if (!ret)
		ret = negotiate(c);
	if (ret)
		return ret;

	num = ring_size(c);
	c->mem_extra = cvq_footprint(cvq_num);
	ret = map_memory(c, num);
	if (!ret)
		ret = init_rings(c, num);
	if (!ret)
		ret = attach_ctrl_ring(c, c->cvq_index, cvq_num);
	if (!ret)
		ret = vdpa_set_vring_enable(&c->dev, c->cvq_index, true);
	if (ret)
		return ret;
	say("asid-stale: CVQ ring (vq %u) in the data region, asid %u, no SET_GROUP_ASID",
	    c->cvq_index, DATA_ASID);
	/* the CVQ is set up above: start_queues() does RX and TX */
	c->opt.cvq = false;
	ret = start_queues(c);
	c->opt.cvq = true;
	if (ret)
		return ret;

	ret = run_cvq_mac(c, c->mac);
	if (ret == EXIT_CVQ)
		note_fail(v, "MAC_ADDR_SET in asid %u not acked OK after the reset (the CVQ group kept asid %u?)",
			  DATA_ASID, CVQ_ASID);
	else if (!ret)
		note_ok(v, "MAC_ADDR_SET in asid %u acked OK", DATA_ASID);
	else
		return ret;
	ret = run(c);
	if (ret == EXIT_NO_REPLY)
		note_fail(v, "no ARP reply");
	else if (!ret)
		note_ok(v, "ARP answered");
	return ret == EXIT_NO_REPLY ? 0 : ret;
}

/* window: the sender IP of the leak request, so no cache of ours changes */
#define WINDOW_LEAK_IP	"10.0.2.16"
#define WINDOW_CMD_OFF	512	/* the driver's CVQ command in its ring page */
#define ARP_SHA_OFF	(ETH_HLEN_ + 8)

struct window_probe {
	uint32_t ip;
	bool seen;
	uint8_t tha[6];
};

/* on_frame: the ARP reply to the leak request carries its sender MAC. */
static void window_frame(struct client *c, const struct frame_info *fi)
{
	struct window_probe *p = c->priv;

	if (fi->arp && fi->arp_op == 2 && fi->arp_spa == c->opt.target &&
	    fi->arp_tpa == p->ip && !p->seen) {
		memcpy(p->tha, fi->arp_tha, 6);
		p->seen = true;
	}
}

/*
 * Read side: an ARP request whose 6 sender MAC bytes come from @iova.
 * QEMU's user-mode network answers it with those bytes as target MAC: the
 * reply shows what a TX from @iova read. 1 when the reply came (in @p).
 */
static int window_read(struct client *c, uint64_t iova,
		       struct window_probe *p)
{
	uint8_t *slot = c->tx_bufs + (size_t)(c->tx_sent % c->tx.num) * BUF_SLOT;
	uint8_t *frame = slot + NET_HDR_LEN;
	struct vq_buf b[3];
	double end;
	size_t len;
	int ret;

	memset(slot, 0, NET_HDR_LEN);
	len = net_build_arp_request(frame, BUF_SLOT - NET_HDR_LEN, c->mac,
				    p->ip, c->opt.target);
	b[0].iova = dma_iova(&c->mem, slot);
	b[0].len = NET_HDR_LEN + ARP_SHA_OFF;
	b[0].device_writable = false;
	b[1].iova = iova;
	b[1].len = 6;
	b[1].device_writable = false;
	b[2].iova = dma_iova(&c->mem, frame + ARP_SHA_OFF + 6);
	b[2].len = (uint32_t)(len - ARP_SHA_OFF - 6);
	b[2].device_writable = false;
	ret = split_vq_add(&c->tx, b, 3, slot);
	if (ret)
		return ret;
	c->tx_sent++;
	ret = split_vq_kick(&c->tx);
	if (ret < 0)
		return ret;
	end = now_sec() + USED_WAIT;
	while (!p->seen && now_sec() < end) {
		ret = poll_calls(c, 20);
		if (ret)
			return ret;
	}
	return p->seen;
}

/*
 * What a TX reads at @iova: 6 bytes, through window_read(), as "aa:bb:..",
 * in @got; false (and "nothing") when no reply came.
 */
static int window_peek(struct client *c, uint64_t iova, uint8_t out[6],
		       char *got, size_t len)
{
	struct window_probe p = { .ip = inet_addr(WINDOW_LEAK_IP) };
	int ret;

	c->on_frame = window_frame;
	c->priv = &p;
	ret = window_read(c, iova, &p);
	c->on_frame = NULL;
	if (ret < 0)
		return ret;
	if (!p.seen) {
		snprintf(got, len, "nothing");
		return 0;
	}
	memcpy(out, p.tha, 6);
	net_mac_str(p.tha, got, len);
	return 1;
}

/*
 * window: the driver's rings live just above VHOST_VDPA_GET_IOVA_RANGE's
 * last address (the device's CVQ in the first slot; its command at
 * WINDOW_CMD_OFF). After a MAC_ADDR_SET of a marker MAC:
 *  - read: a TX whose sender MAC bytes are at window + WINDOW_CMD_OFF + 2
 *    (the command's data). What it read is reported, not judged: the
 *    device must read the driver's rings, so a guest may read its own
 *    device's rings too;
 *  - write: an RX buffer at the window's first byte (the device CVQ's
 *    descriptors), behind the buffers still posted, and one ARP request
 *    per posted buffer. A used entry proves nothing: QEMU completes a
 *    buffer whose write the IOMMU refused (the data goes nowhere). So the
 *    window is read back where the frame's destination MAC, ours, would
 *    be: it must not be there, or the frame overwrote the driver's ring.
 */
static int case_window(struct client *c, struct verdict *v)
{
	static const uint8_t marker[6] = { 0x02, 0x5e, 0xed, 0xc0, 0xff, 0xee };
	uint64_t win = c->iova_last + 1, dst = win + NET_HDR_LEN;
	uint8_t seen[6], before[6], after[6];
	char mac[18], got[18], got0[18];
	uint16_t used0, pending, used;
	int ret, read0, read1;
	struct vq_buf b;
	uint8_t status;
	unsigned int i;

	if (!win || (win & 0xfff)) {
		fail("window: IOVA range ends at 0x%llx: no window above it\n",
		     (unsigned long long)c->iova_last);
		return -ERANGE;
	}
	ret = negotiate(c);
	if (!ret)
		ret = setup_queues(c);
	if (!ret)
		ret = run_cvq_mac(c, marker);
	if (ret == EXIT_CVQ) {
		note_fail(v, "MAC_ADDR_SET of the marker not acked OK");
		return 0;
	}
	if (ret)
		return ret;
	net_mac_str(marker, mac, sizeof(mac));
	say("window: at iova 0x%llx; the driver's last command set mac %s",
	    (unsigned long long)win, mac);

	ret = post_rx(c, c->rx_bufs);
	if (!ret)
		ret = split_vq_kick(&c->rx);
	if (ret < 0)
		return ret;
	ret = window_peek(c, win + WINDOW_CMD_OFF + 2, seen, got, sizeof(got));
	if (ret < 0)
		return ret;
	say("window: a TX from the window read %s%s", got,
	    ret && !memcmp(seen, marker, 6) ?
	    ": the driver's CVQ command (MAC_ADDR_SET data)" : "");
	note_ok(v, "TX from the window read %s%s (reported, not judged)", got,
		ret && !memcmp(seen, marker, 6) ? ", the driver's CVQ command" :
		"");

	/* write side */
	read0 = window_peek(c, dst, before, got0, sizeof(got0));
	if (read0 < 0)
		return read0;
	used0 = split_vq_used_idx(&c->rx);
	b.iova = win;
	b.len = RX_BUF_LEN;
	b.device_writable = true;
	/* a real slot as cookie: handle_rx() reposts it as a plain buffer */
	ret = split_vq_add(&c->rx, &b, 1, c->rx_bufs + BUF_SLOT);
	if (!ret)
		ret = split_vq_kick(&c->rx);
	if (ret < 0)
		return ret;
	pending = (uint16_t)(c->rx.avail_idx - used0);
	for (i = 0; i < pending; i++) {
		ret = send_arp(c);
		if (ret)
			return ret;
	}
	used = wait_used(&c->rx, (uint16_t)(used0 + pending), USED_WAIT);
	ret = vdpa_get_status(&c->dev, &status);
	if (ret)
		return ret;
	say("window: RX buffer at iova 0x%llx, %u ARP request(s) sent: RX used idx %u -> %u (%u posted), status 0x%02x",
	    (unsigned long long)win, pending, used0, used, pending, status);
	read1 = window_peek(c, dst, after, got, sizeof(got));
	if (read1 < 0)
		return read1;
	net_mac_str(c->mac, mac, sizeof(mac));
	say("window: at iova 0x%llx a TX read %s before the RX, %s after (the frame's destination: %s)",
	    (unsigned long long)dst, got0, got, mac);
	if (read1 && !memcmp(after, c->mac, 6) &&
	    !(read0 && !memcmp(before, c->mac, 6)))
		note_fail(v, "an RX into the window landed: the driver's CVQ descriptors read %s, the frame's destination MAC, after it",
			  got);
	else if (!read1)
		note_ok(v, "RX into the window not seen (the window reads nothing)");
	else
		note_ok(v, "RX into the window did not land (the window still reads %s)",
			got);
	return 0;
}

/*
 * log-flood: TX's used ring is given at an IOVA nothing is mapped at, and
 * no VHOST_SET_VRING_BASE, so that the driver must read the ring's position
 * there when the queue is enabled; TX is left disabled, RX enabled,
 * DRIVER_OK, SUSPEND. Then TX is enabled
 * FLOOD_ENABLES times. Each must answer; the kernel log lines they cause
 * are counted by the harness. A reset and a plain bring-up follow.
 */
static int case_log_flood(struct client *c, struct verdict *v)
{
	struct vdpa_vring_cfg cfg;
	unsigned int num, i, errors = 0;
	uint64_t hole;
	double t0, ms;
	int ret;

	ret = ack_backend(c, VHOST_BACKEND_F_SUSPEND);
	if (!ret)
		ret = negotiate(c);
	if (ret)
		return ret;
	num = ring_size(c);
	ret = map_memory(c, num);
	if (!ret)
		ret = init_rings(c, num);
	if (ret)
		return ret;
	hole = c->mem.iova + c->mem.size;
	if (hole + 4096 - 1 > c->iova_last) {
		fail("log-flood: no unmapped IOVA after the data region\n");
		return -ERANGE;
	}
	split_vq_vring_cfg(&c->rx, &cfg);
	ret = vdpa_vring_setup(&c->dev, &cfg);
	if (ret)
		return ret;
	/* no base either: enabling the queue then reads it from the ring */
	split_vq_vring_cfg(&c->tx, &cfg);
	cfg.device_iova = hole;
	cfg.keep_base = true;
	ret = vdpa_vring_setup(&c->dev, &cfg);
	if (!ret)
		ret = vdpa_set_vring_enable(&c->dev, RX_VQ, true);
	if (!ret)
		ret = status_add(c, VIRTIO_CONFIG_S_DRIVER_OK, "DRIVER_OK");
	if (!ret)
		ret = vdpa_suspend(&c->dev);
	if (ret)
		return ret;
	say("log-flood: vq %u's used ring at unmapped iova 0x%llx, vq %u disabled, device suspended",
	    TX_VQ, (unsigned long long)hole, TX_VQ);

	t0 = now_sec();
	for (i = 0; i < FLOOD_ENABLES; i++)
		if (vdpa_set_vring_enable(&c->dev, TX_VQ, true))
			errors++;
	ms = (now_sec() - t0) * 1000;
	say("log-flood: %u x VHOST_VDPA_SET_VRING_ENABLE 1 on vq %u in %.0f ms, %u failed",
	    FLOOD_ENABLES, TX_VQ, ms, errors);
	if (errors)
		note_fail(v, "%u of %u SET_VRING_ENABLE failed", errors,
			  FLOOD_ENABLES);
	else
		note_ok(v, "%u SET_VRING_ENABLE answered in %.0f ms",
			FLOOD_ENABLES, ms);

	ret = timed_reset(c, v);
	if (!ret)
		ret = restart_plain(c, v);
	return ret;
}

/*
 * cvq-indirect0: INDIRECT_DESC and CTRL_VQ negotiated, the CVQ in ASID 1.
 * A MAC_ADDR_SET first proves the CVQ is served. Then a request of one
 * descriptor, INDIRECT, table at IOVA 0 (never mapped) and one entry
 * long. It must be dropped: no used entry, or one that wrote nothing.
 * The reset after it must return within RESET_BOUND_MS.
 */
static int case_cvq_indirect0(struct client *c, struct verdict *v)
{
	const uint64_t indirect = 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	struct vq_buf b = { .iova = 0, .len = sizeof(struct vring_desc) };
	struct split_vq *vq = &c->cvq.vq;
	uint16_t head, used0, used;
	static int cookie;
	uint32_t len;
	int ret;

	if (!(c->features_offered & indirect)) {
		note_fail(v, "the device does not offer INDIRECT_DESC (vdpa dev add ... device_features with bit %u)",
			  VIRTIO_RING_F_INDIRECT_DESC);
		return 0;
	}
	c->features_extra = indirect;
	ret = negotiate(c);
	if (!ret)
		ret = setup_queues(c);
	if (!ret)
		ret = run_cvq_mac(c, c->mac);
	if (ret == EXIT_CVQ) {
		note_fail(v, "a well-formed MAC_ADDR_SET was not acked OK");
		return 0;
	}
	if (ret)
		return ret;

	/*
	 * The shadow CVQ reads the ring only when kicked: the descriptor is
	 * made indirect after split_vq_add() published it, before the kick.
	 */
	head = vq->free_head;
	used0 = split_vq_used_idx(vq);
	ret = split_vq_add(vq, &b, 1, &cookie);
	if (ret)
		return ret;
	vq->desc[head].flags = htole16(VRING_DESC_F_INDIRECT);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	say("cvq-indirect0: request at descriptor %u: INDIRECT, table at iova 0, %u bytes",
	    head, b.len);
	ret = split_vq_notify(vq);
	if (ret)
		return ret;
	used = wait_used(vq, (uint16_t)(used0 + 1), USED_WAIT);
	if (used == used0) {
		say("cvq-indirect0: no used entry within %.0f s", USED_WAIT);
		note_ok(v, "request not executed (no used entry)");
	} else {
		len = le32toh(vq->used->ring[used0 & (vq->num - 1)].len);
		say("cvq-indirect0: used entry for descriptor %u, len %u",
		    le32toh(vq->used->ring[used0 & (vq->num - 1)].id), len);
		if (len)
			note_fail(v, "the request was served (used len %u)",
				  len);
		else
			note_ok(v, "request dropped (used len 0)");
	}
	return timed_reset(c, v);
}

struct hostile_case {
	const char *name;
	bool cvq;	/* needs --cvq's probe: IOTLB_ASID acked */
	int (*run)(struct client *c, struct verdict *v);
};

static const struct hostile_case cases[] = {
	{ "avail-back", false, case_avail_back },
	{ "vq-not-negotiated", false, case_vq_not_negotiated },
	{ "asid-stale", true, case_asid_stale },
	{ "window", true, case_window },
	{ "log-flood", false, case_log_flood },
	{ "cvq-indirect0", true, case_cvq_indirect0 },
};

static const struct hostile_case *hostile_find(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		if (!strcmp(cases[i].name, name))
			return &cases[i];
	return NULL;
}

bool hostile_case_known(const char *name)
{
	return hostile_find(name);
}

const char *hostile_case_names(void)
{
	return "avail-back, vq-not-negotiated, asid-stale, window, log-flood, cvq-indirect0";
}

int run_hostile(struct client *c)
{
	const struct hostile_case *hc = hostile_find(c->opt.hostile);
	struct verdict v;
	int ret;

	if (!hc)
		return -EINVAL;
	memset(&v, 0, sizeof(v));
	c->opt.cvq = hc->cvq;
	ret = probe(c);
	if (!ret)
		ret = hc->run(c, &v);
	if (ret < 0) {
		say("hostile %s: FAIL: could not be run: %s", hc->name,
		    strerror(-ret));
		return ret;
	}
	if (ret > 0 && !v.why_used)
		note_fail(&v, "check failed with exit status %d", ret);
	if (v.why_used) {
		say("hostile %s: FAIL: %s", hc->name, v.why);
		return EXIT_HOSTILE;
	}
	say("hostile %s: ok (%s)", hc->name, v.ok);
	return 0;
}
