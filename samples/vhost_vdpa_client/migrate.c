// SPDX-License-Identifier: GPL-2.0
/*
 * --migrate SRC DST: move a stream of ICMP echo requests from one vhost-vdpa
 * device to another the way a live migration moves a guest's NIC, with the
 * guest's memory and rings staying where they are.
 *
 *   A (source)   bring-up as QEMU does with a shadowed CVQ (CVQ group in
 *                ASID 1), ARP for --target, then echo requests with
 *                sequence numbers, at most WINDOW unanswered.
 *   B (dest.)    opened at the start and run on throwaway rings of its own
 *                while A streams (see below).
 *   switch       VHOST_VDPA_SUSPEND on A with requests still in flight,
 *                VHOST_GET_VRING_BASE of each ring (each must be the used
 *                index in the client's ring), A's MAC from its config space.
 *                SWITCH_TX more requests are posted to A's ring and kicked:
 *                suspended, A must not send them; they are B's to send.
 *                Then A is reset, as QEMU stops a source. B is reset,
 *                negotiates the same features, is given the same memory and
 *                the same rings with VHOST_SET_VRING_BASE = A's bases, gets
 *                DRIVER_OK, and A's MAC through its CVQ (MAC_ADDR_SET).
 *   B            the rest of the stream; the requests A left unsent go out
 *                from the ring as they are.
 *
 * Every reply is counted by sequence number: lost = sent - received,
 * duplicated = replies beyond the first for a sequence number. Both must
 * be 0.
 *
 * Why B runs before the switch: both functions sit on one QEMU hub, which
 * gives every port a copy of every frame. QEMU queues the frames for a port
 * whose NIC cannot receive and hands them over once it can: a B that waited
 * idle would be given the replies A already received, duplicates no real
 * destination would ever see. Its throwaway rings take those copies, and
 * they are dropped; between B's reset and its DRIVER_OK, A is suspended and
 * nothing sends.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "util.h"

#define WARM_NUM	64	/* B's throwaway rings */
#define WINDOW		16	/* echo requests unanswered at most */
#define ECHO_PAYLOAD	56	/* bytes, as ping's default */
#define WARM_SETTLE	0.5	/* seconds B drains what QEMU queued for it */
#define PHASE_TIMEOUT	40.0	/* seconds for one device's share */
#define SWITCH_TX	4	/* requests posted to A's ring while suspended */
#define SWITCH_QUIET	0.1	/* seconds A's used indexes must stand still */

struct echo_stream {
	struct client *a;
	uint16_t id;
	uint8_t gw_mac[6];
	unsigned int sent;	/* next sequence number */
	uint8_t *seen;		/* replies per sequence number, capped */
	unsigned int unique;
	unsigned int dups;
	unsigned int strays;	/* replies to a sequence never sent */
	unsigned int by[2];	/* first replies through A, through B */
	unsigned int arp_answered;
};

struct warm_rings {
	struct dma_region *mem;	/* A's: the rings and buffers are there */
	struct split_vq rx;
	struct split_vq tx;
	uint8_t *bufs;
	unsigned int frames;
};

size_t migrate_extra_memory(void)
{
	/* two rings of WARM_NUM entries, WARM_NUM RX slots, alignment */
	return 2 * (32 * (size_t)WARM_NUM + 4096) +
	       (size_t)WARM_NUM * BUF_SLOT + 4096;
}

/* on_frame of both devices: count echo replies, answer ARP for our IP. */
static void stream_frame(struct client *c, const struct frame_info *fi)
{
	struct echo_stream *st = c->priv;
	uint8_t frame[ETH_FRAME_MIN];
	size_t len;

	if (fi->icmp_echo_reply && fi->icmp_id == st->id &&
	    fi->ip_src == c->opt.target && fi->ip_dst == c->opt.ip) {
		unsigned int seq = fi->icmp_seq;

		if (seq >= st->sent) {
			st->strays++;
		} else if (st->seen[seq]) {
			st->dups++;
			if (st->seen[seq] < 255)
				st->seen[seq]++;
			say("echo reply seq %u received again (duplicate)", seq);
		} else {
			st->seen[seq] = 1;
			st->unique++;
			st->by[c == st->a ? 0 : 1]++;
		}
		return;
	}
	if (net_is_arp_request_for(fi, c->opt.ip)) {
		len = net_build_arp_reply(frame, sizeof(frame), c->mac,
					  c->opt.ip, fi->arp_sha, fi->arp_spa);
		if (len && !send_frame(c, frame, len))
			st->arp_answered++;
	}
}

static int send_echo(struct client *c, struct echo_stream *st)
{
	uint8_t frame[ETH_HLEN_ + 20 + 8 + ECHO_PAYLOAD];
	size_t len;
	int ret;

	len = net_build_icmp_echo(frame, sizeof(frame), c->mac, st->gw_mac,
				  c->opt.ip, c->opt.target, st->id,
				  (uint16_t)st->sent, ECHO_PAYLOAD);
	if (!len)
		return -EINVAL;
	ret = send_frame(c, frame, len);
	if (!ret)
		st->sent++;
	return ret;
}

/* Take B's throwaway RX frames and post the buffers again. */
static int warm_drain(struct warm_rings *w)
{
	unsigned int reposted = 0;
	struct vq_buf b;
	void *cookie;
	uint32_t len;
	int ret;

	split_vq_ack_call(&w->rx);
	while ((ret = split_vq_get_used(&w->rx, &cookie, &len)) > 0) {
		w->frames++;
		b.iova = dma_iova(w->mem, cookie);
		b.len = RX_BUF_LEN;
		b.device_writable = true;
		ret = split_vq_add(&w->rx, &b, 1, cookie);
		if (ret)
			return ret;
		reposted++;
	}
	if (ret < 0)
		return ret;
	if (reposted) {
		ret = split_vq_kick(&w->rx);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/*
 * Stream on `c` until `until` requests are sent; with `all`, also until
 * every request has its reply. Bounded by PHASE_TIMEOUT. B's throwaway
 * rings, when `w` is set, are drained meanwhile.
 */
static int stream_run(struct client *c, struct warm_rings *w,
		      struct echo_stream *st, unsigned int until, bool all)
{
	double end = now_sec() + PHASE_TIMEOUT;
	bool can_send;
	int ret;

	for (;;) {
		can_send = st->sent < until && st->sent - st->unique < WINDOW;
		if (can_send) {
			ret = send_echo(c, st);
			if (ret)
				return ret;
		} else if (st->sent >= until && (!all || st->unique >= st->sent)) {
			return 0;
		}
		if (now_sec() >= end) {
			say("stream: stopped after %.0f s: sent %u of %u, %u replied",
			    PHASE_TIMEOUT, st->sent, until, st->unique);
			return 0;
		}
		ret = poll_calls(c, can_send ? 0 : 20);
		if (ret)
			return ret;
		if (w) {
			ret = warm_drain(w);
			if (ret)
				return ret;
		}
	}
}

/*
 * B before the switch: plain features, the shared memory mapped in ASID 0
 * (it stays mapped across the reset), throwaway rings, DRIVER_OK, RX
 * buffers posted.
 */
static int warm_up(struct client *b, struct client *a, struct warm_rings *w)
{
	struct vdpa_vring_cfg cfg;
	unsigned int i;
	void *slot;
	struct vq_buf buf;
	int ret;

	b->opt.cvq = false;
	ret = negotiate(b);
	b->opt.cvq = true;
	if (ret)
		return ret;

	if (a->mem.iova < b->iova_first ||
	    a->mem.iova + a->mem.size - 1 > b->iova_last) {
		fail("the memory at iova 0x%llx+0x%zx is outside B's range 0x%llx-0x%llx\n",
		     (unsigned long long)a->mem.iova, a->mem.size,
		     (unsigned long long)b->iova_first,
		     (unsigned long long)b->iova_last);
		return -ERANGE;
	}
	w->mem = &a->mem;
	b->mem = a->mem;
	b->mem.mapped = false;
	b->borrowed_mem = true;
	ret = dma_region_map(&b->dev, &b->mem, DATA_ASID);
	if (ret)
		return ret;
	say("VHOST_IOTLB_UPDATE: asid %u iova 0x%llx-0x%llx -> va %p: the same memory as A's",
	    DATA_ASID, (unsigned long long)b->mem.iova,
	    (unsigned long long)(b->mem.iova + b->mem.size - 1),
	    (void *)b->mem.va);

	ret = split_vq_init(&w->rx, &a->mem, RX_VQ, WARM_NUM, 0);
	if (!ret)
		ret = split_vq_init(&w->tx, &a->mem, TX_VQ, WARM_NUM, 0);
	if (ret)
		return ret;
	w->bufs = dma_alloc(&a->mem, (size_t)WARM_NUM * BUF_SLOT, 4096);
	if (!w->bufs) {
		fail("no room for B's throwaway buffers\n");
		return -ENOMEM;
	}
	split_vq_vring_cfg(&w->rx, &cfg);
	ret = vdpa_vring_setup(&b->dev, &cfg);
	if (ret)
		return ret;
	split_vq_vring_cfg(&w->tx, &cfg);
	ret = vdpa_vring_setup(&b->dev, &cfg);
	if (!ret)
		ret = vdpa_set_vring_enable(&b->dev, RX_VQ, true);
	if (!ret)
		ret = vdpa_set_vring_enable(&b->dev, TX_VQ, true);
	if (!ret)
		ret = status_add(b, VIRTIO_CONFIG_S_DRIVER_OK, "DRIVER_OK");
	if (ret)
		return ret;
	for (i = 0; i < WARM_NUM; i++) {
		slot = w->bufs + (size_t)i * BUF_SLOT;
		buf.iova = dma_iova(&a->mem, slot);
		buf.len = RX_BUF_LEN;
		buf.device_writable = true;
		ret = split_vq_add(&w->rx, &buf, 1, slot);
		if (ret)
			return ret;
	}
	ret = split_vq_kick(&w->rx);
	if (ret < 0)
		return ret;
	say("throwaway rings of %u entries up (RX vq %u, TX vq %u): they take the hub's copies of A's traffic until the switch",
	    WARM_NUM, RX_VQ, TX_VQ);
	return 0;
}

/* B's throwaway rings down: reset, read back 0, close their eventfds. */
static int warm_down(struct client *b, struct warm_rings *w)
{
	uint8_t status;
	int ret;

	ret = warm_drain(w);
	if (!ret)
		ret = vdpa_set_status(&b->dev, 0);
	if (!ret)
		ret = vdpa_get_status(&b->dev, &status);
	if (ret)
		return ret;
	say("VHOST_VDPA_SET_STATUS 0: throwaway rings gone (%u frames taken and dropped), status 0x%02x",
	    w->frames, status);
	split_vq_fini(&w->rx);
	split_vq_fini(&w->tx);
	return status ? -EIO : 0;
}

/* Suspended A: one ring's base, which must be the used index in the ring. */
static int source_base(struct client *a, struct split_vq *vq,
		       const char *name, uint16_t *base)
{
	uint16_t used = split_vq_used_idx(vq);
	uint32_t b;
	int ret;

	ret = vdpa_get_vring_base(&a->dev, vq->index, &b);
	if (ret)
		return ret;
	*base = (uint16_t)b;
	say("vq %u %s: VHOST_GET_VRING_BASE %u, used idx %u, avail idx %u: %s",
	    vq->index, name, b, used, vq->avail_idx,
	    b == used ? "equal" : "DIFFERENT");
	if (b != used) {
		fail("vq %u %s: base %u is not the used index %u\n", vq->index,
		     name, b, used);
		return EXIT_BASE;
	}
	return 0;
}

/*
 * The switch: suspend A, read its ring bases and MAC, reset it; reset B
 * and bring it up on A's rings at A's bases with A's MAC.
 */
static int migrate_switch(struct client *a, struct client *b,
			  struct warm_rings *w, struct echo_stream *st)
{
	uint8_t cfgbuf[6], mac[6], status;
	uint16_t rx_base, tx_base, cvq_base;
	unsigned int pending, i;
	char m[18];
	double t0, t1;
	int ret;

	log_prefix(a->label);
	t0 = now_sec();
	ret = vdpa_suspend(&a->dev);
	if (ret) {
		fail("VHOST_VDPA_SUSPEND failed: %s\n", strerror(-ret));
		return EXIT_STATE;
	}
	say("VHOST_VDPA_SUSPEND: ok in %.1f ms, with %u echo requests unanswered",
	    (now_sec() - t0) * 1000, st->sent - st->unique);
	/* what A finished before it stopped */
	split_vq_ack_call(&a->rx);
	split_vq_ack_call(&a->tx);
	ret = handle_tx(a);
	if (!ret)
		ret = handle_rx(a);
	if (ret)
		return ret;

	ret = source_base(a, &a->rx, "RX", &rx_base);
	if (!ret)
		ret = source_base(a, &a->tx, "TX", &tx_base);
	if (!ret)
		ret = source_base(a, &a->cvq.vq, "CVQ", &cvq_base);
	if (ret)
		return ret;
	/* posted and kicked on the suspended A: they must stay in the ring */
	for (i = 0; i < SWITCH_TX; i++) {
		ret = send_echo(a, st);
		if (ret)
			return ret;
	}
	t1 = now_sec() + SWITCH_QUIET;
	while (now_sec() < t1)
		usleep(10000);
	if (split_vq_used_idx(&a->tx) != tx_base ||
	    split_vq_used_idx(&a->rx) != rx_base) {
		fail("suspended A used buffers: TX used idx %u -> %u, RX used idx %u -> %u\n",
		     tx_base, split_vq_used_idx(&a->tx), rx_base,
		     split_vq_used_idx(&a->rx));
		return EXIT_STATE;
	}
	pending = (uint16_t)(a->tx.avail_idx - tx_base);
	say("TX: %u echo requests posted and kicked while suspended, untouched after %.0f ms (used idx %u): %u frame%s for B to send",
	    SWITCH_TX, SWITCH_QUIET * 1000, tx_base, pending,
	    pending == 1 ? "" : "s");

	/* the net state QEMU carries: the MAC, from the config space */
	ret = vdpa_get_config(&a->dev, 0, cfgbuf, sizeof(cfgbuf));
	if (ret)
		return ret;
	memcpy(mac, cfgbuf, 6);
	say("net state: mac %s (config space)", net_mac_str(mac, m, sizeof(m)));

	/* QEMU resets the source once it has the bases */
	ret = vdpa_set_status(&a->dev, 0);
	if (!ret)
		ret = vdpa_get_status(&a->dev, &status);
	if (ret)
		return ret;
	say("VHOST_VDPA_SET_STATUS 0: source stopped, status 0x%02x", status);

	log_prefix(b->label);
	ret = warm_down(b, w);
	if (ret)
		return ret;
	ret = negotiate(b);
	if (ret)
		return ret;

	/* the same rings in the same memory, at A's bases */
	ret = split_vq_move(&b->rx, &a->rx, rx_base);
	if (!ret)
		ret = split_vq_move(&b->tx, &a->tx, tx_base);
	if (ret)
		return ret;
	b->num = a->num;
	b->rx_bufs = a->rx_bufs;
	b->tx_bufs = a->tx_bufs;
	b->tx_sent = a->tx_sent;
	b->tx_done = a->tx_done;
	b->rx_frames = a->rx_frames;
	b->arp_replies = a->arp_replies;
	b->got_reply = a->got_reply;
	memcpy(b->reply_mac, a->reply_mac, 6);
	memcpy(b->mac, mac, 6);
	b->on_frame = stream_frame;
	b->priv = st;
	say("A's rings handed over: RX base %u (avail idx %u), TX base %u (avail idx %u)",
	    rx_base, b->rx.avail_idx, tx_base, b->tx.avail_idx);

	ret = start_queues(b);
	if (ret)
		return ret;
	/* the buffers posted before the switch are there: say so once */
	ret = split_vq_notify(&b->rx);
	if (!ret)
		ret = split_vq_notify(&b->tx);
	if (ret)
		return ret;
	t1 = now_sec();
	ret = run_cvq_mac(b, mac);
	if (ret)
		return ret;
	say("CVQ MAC_ADDR_SET %s acked OK: A's MAC carried over (%.1f ms after DRIVER_OK)",
	    m, (now_sec() - t1) * 1000);
	say("switch done: %.1f ms from A's suspend to B running with A's MAC (%.0f ms of it A's quiet check)",
	    (now_sec() - t0) * 1000, SWITCH_QUIET * 1000);
	return 0;
}

int run_migrate(struct client *a, struct client *b)
{
	struct warm_rings w;
	struct echo_stream st;
	unsigned int total, lost;
	uint16_t tx_start, rx_start;
	char ip[INET_ADDRSTRLEN], mac[18];
	int ret;

	memset(&w, 0, sizeof(w));
	w.rx.kick_fd = w.rx.call_fd = w.tx.kick_fd = w.tx.call_fd = -1;
	memset(&st, 0, sizeof(st));
	total = 2 * a->opt.frames;
	st.a = a;
	st.id = (uint16_t)(getpid() ^ 0x5a00);
	st.seen = calloc(total, 1);
	if (!st.seen)
		return -ENOMEM;

	log_prefix(a->label);
	ret = probe(a);
	log_prefix(b->label);
	if (!ret)
		ret = probe(b);
	log_prefix(a->label);
	if (!ret)
		ret = negotiate(a);
	if (!ret) {
		a->mem_extra = migrate_extra_memory();
		a->on_frame = stream_frame;
		a->priv = &st;
		ret = setup_queues(a);
	}
	if (!ret)
		ret = run(a);	/* ARP: the gateway's MAC; QEMU learns ours */
	if (ret)
		goto out;
	memcpy(st.gw_mac, a->reply_mac, 6);

	log_prefix(b->label);
	ret = warm_up(b, a, &w);
	if (ret)
		goto out;
	{
		double end = now_sec() + WARM_SETTLE;

		while (now_sec() < end && !ret) {
			ret = poll_calls(a, 20);
			if (!ret)
				ret = warm_drain(&w);
		}
		if (ret)
			goto out;
		say("throwaway rings took %u frames QEMU had queued for B", w.frames);
	}

	log_prefix(a->label);
	say("stream: %u ICMP echo requests to %s (id 0x%04x), at most %u unanswered",
	    a->opt.frames, net_ip_str(a->opt.target, ip, sizeof(ip)), st.id,
	    WINDOW);
	ret = stream_run(a, &w, &st, a->opt.frames, false);
	if (ret)
		goto out;
	say("stream: sent %u, replies %u, throwaway rings on B took %u frames so far",
	    st.sent, st.unique, w.frames);

	ret = migrate_switch(a, b, &w, &st);
	if (ret)
		goto out;
	tx_start = b->tx.base;
	rx_start = b->rx.base;

	log_prefix(b->label);
	ret = stream_run(b, NULL, &st, total, true);
	if (ret)
		goto out;
	{
		/* a reply can come in before its request's used entry */
		double end = now_sec() + 1.0;

		while (b->tx_done < b->tx_sent && now_sec() < end && !ret)
			ret = poll_calls(b, 20);
		if (ret)
			goto out;
	}
	say("TX used idx %u -> %u, RX used idx %u -> %u since the switch",
	    tx_start, split_vq_used_idx(&b->tx), rx_start,
	    split_vq_used_idx(&b->rx));
	log_prefix("");
	lost = st.sent - st.unique;
	say("migrate: replies through A %u, through B %u; ARP requests for %s answered %u; stray replies %u",
	    st.by[0], st.by[1], net_ip_str(a->opt.ip, ip, sizeof(ip)),
	    st.arp_answered, st.strays);
	say("migrate: mac %s carried from A to B",
	    net_mac_str(b->mac, mac, sizeof(mac)));
	say("frames sent %u, received %u, lost %u, duplicated %u", st.sent,
	    st.unique, lost, st.dups);
	if (st.sent != total || lost || st.dups || st.strays) {
		fail("migrate: %u of %u frames sent, %u lost, %u duplicated, %u stray\n",
		     st.sent, total, lost, st.dups, st.strays);
		ret = EXIT_MIGRATE;
		goto out;
	}
	log_prefix(b->label);
	ret = hold_running(b, b->opt.hold);
out:
	split_vq_fini(&w.rx);
	split_vq_fini(&w.tx);
	free(st.seen);
	return ret;
}
