// SPDX-License-Identifier: GPL-2.0
/*
 * Ring state checks on one device.
 *
 * --restore RX,TX: the client's rings start at those indexes (avail and used
 * index both, descriptor table fresh), which VHOST_SET_VRING_BASE gives the
 * device before DRIVER_OK, as a migration destination does. After the ARP
 * exchange the used index of each ring must have moved on from its base by
 * exactly the buffers the device used.
 *
 * --suspend-test: with ARP requests just posted, VHOST_VDPA_SUSPEND. Each
 * ring's VHOST_GET_VRING_BASE must then be the used index in the client's
 * own ring (a buffer taken but not used is offered again from there).
 * Buffers added and kicked while suspended must stay untouched; after
 * VHOST_VDPA_RESUME, without another kick, they must be served, and ARP
 * must still work.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "util.h"

#define SUSPEND_TX	3	/* ARP requests posted right before suspend */
#define PENDING_TX	4	/* ARP requests posted while suspended */
#define QUIET_MS	200	/* how long nothing may move while suspended */
#define RESUME_TIMEOUT	3.0	/* seconds for the pending buffers after resume */

/* Before DRIVER_OK: VHOST_GET_VRING_BASE reads back what was set. */
int check_restore_setup(struct client *c)
{
	const struct split_vq *vqs[] = { &c->rx, &c->tx };
	static const char * const names[] = { "RX", "TX" };
	unsigned int i, bad = 0;
	uint32_t base;
	int ret;

	for (i = 0; i < 2; i++) {
		ret = vdpa_get_vring_base(&c->dev, vqs[i]->index, &base);
		if (ret)
			return ret;
		say("restore: vq %u %s: VHOST_SET_VRING_BASE %u before DRIVER_OK, VHOST_GET_VRING_BASE reads %u%s",
		    vqs[i]->index, names[i], vqs[i]->base, base,
		    base == vqs[i]->base ? "" : " (DIFFERENT)");
		if (base != vqs[i]->base)
			bad++;
	}
	if (bad) {
		fail("restore: a ring base set before DRIVER_OK does not read back\n");
		return EXIT_BASE;
	}
	return 0;
}

/*
 * One ring after traffic: the device's used index must be its base plus
 * the entries the client took from it, which must be at least one.
 */
static int used_continues(const struct split_vq *vq, const char *name,
		     unsigned int taken)
{
	uint16_t used = split_vq_used_idx(vq);
	uint16_t want = (uint16_t)(vq->base + taken);

	say("restore: vq %u %s: used idx %u = base %u + %u used entr%s: %s",
	    vq->index, name, used, vq->base, taken, taken == 1 ? "y" : "ies",
	    used == want && taken ? "continues from the base" :
	    "DOES NOT continue from the base");
	if (used != want || !taken) {
		fail("restore: vq %u %s: used idx %u, expected %u (base %u + %u taken)\n",
		     vq->index, name, used, want, vq->base, taken);
		return 1;
	}
	return 0;
}

/* After the ARP exchange on rings that started at the --restore bases. */
int check_restore(struct client *c)
{
	double end = now_sec() + 1.0;
	unsigned int i, bad = 0;
	int ret;

	/* every TX buffer back, every RX frame taken */
	while (c->tx_done < c->tx_sent && now_sec() < end) {
		ret = poll_calls(c, 20);
		if (ret)
			return ret;
	}
	/* a frame may come in while the rings are read: take it and look again */
	for (i = 0; i < 5; i++) {
		ret = poll_calls(c, i ? 20 : 0);
		if (ret)
			return ret;
		if (split_vq_used_idx(&c->rx) == c->rx.last_used &&
		    split_vq_used_idx(&c->tx) == c->tx.last_used)
			break;
	}
	bad += used_continues(&c->tx, "TX", c->tx_done);
	bad += used_continues(&c->rx, "RX", c->rx_frames);
	if (bad)
		return EXIT_STATE;
	say("restore: TX and RX used indexes continue from the bases %u and %u",
	    c->tx.base, c->rx.base);
	return 0;
}

/* Suspended: a ring's VHOST_GET_VRING_BASE against the used index. */
static int suspended_base(struct client *c, const struct split_vq *vq,
			  const char *name)
{
	uint16_t used = split_vq_used_idx(vq);
	uint32_t base;
	int ret;

	ret = vdpa_get_vring_base(&c->dev, vq->index, &base);
	if (ret)
		return ret;
	say("suspend: vq %u %s: VHOST_GET_VRING_BASE %u, used idx %u (avail idx %u): %s",
	    vq->index, name, base, used, vq->avail_idx,
	    base == used ? "equal" : "DIFFERENT");
	if (base != used) {
		fail("suspend: vq %u %s: base %u is not the used index %u\n",
		     vq->index, name, base, used);
		return 1;
	}
	return 0;
}

/* Wait until the pending TX buffers are back and `replies` ARP replies came. */
static void wait_after_resume(struct client *c, unsigned int replies,
			      double timeout)
{
	double end = now_sec() + timeout;

	while ((c->tx_done < c->tx_sent || c->arp_replies < replies) &&
	       now_sec() < end) {
		if (poll_calls(c, 20))
			return;
	}
}

int check_suspend(struct client *c)
{
	uint16_t rx_used, tx_used, rx_avail, tx_avail;
	unsigned int i, bad = 0, replies, tx_before, rx_before;
	uint64_t calls;
	uint8_t status;
	char buf[96];
	double t0, end;
	int ret;

	/* frames in flight at the moment of the suspend */
	for (i = 0; i < SUSPEND_TX; i++) {
		ret = send_arp(c);
		if (ret)
			return ret;
	}
	t0 = now_sec();
	ret = vdpa_suspend(&c->dev);
	if (ret) {
		fail("suspend: VHOST_VDPA_SUSPEND failed: %s\n", strerror(-ret));
		return EXIT_STATE;
	}
	say("suspend: VHOST_VDPA_SUSPEND: ok in %.1f ms, %u ARP requests posted just before",
	    (now_sec() - t0) * 1000, SUSPEND_TX);
	ret = vdpa_get_status(&c->dev, &status);
	if (ret)
		return ret;
	say("suspend: status 0x%02x (%s)", status,
	    vdpa_status_str(status, buf, sizeof(buf)));

	/* what the device finished before it stopped */
	split_vq_ack_call(&c->rx);
	split_vq_ack_call(&c->tx);
	ret = handle_tx(c);
	if (!ret)
		ret = handle_rx(c);
	if (ret)
		return ret;
	say("suspend: TX sent %u, completed %u; RX frames %u",
	    c->tx_sent, c->tx_done, c->rx_frames);

	ret = suspended_base(c, &c->rx, "RX");
	if (ret < 0)
		return ret;
	bad += ret;
	ret = suspended_base(c, &c->tx, "TX");
	if (ret < 0)
		return ret;
	bad += ret;
	if (c->opt.cvq) {
		ret = suspended_base(c, &c->cvq.vq, "CVQ");
		if (ret < 0)
			return ret;
		bad += ret;
	}
	if (bad)
		return EXIT_BASE;
	say("suspend: every ring base equals its used index");

	/* buffers added while suspended: nothing may take them */
	rx_used = split_vq_used_idx(&c->rx);
	tx_used = split_vq_used_idx(&c->tx);
	split_vq_ack_call(&c->rx);
	split_vq_ack_call(&c->tx);
	calls = c->rx.calls + c->tx.calls;
	tx_before = c->tx_done;
	rx_before = c->rx_frames;
	replies = c->arp_replies;
	for (i = 0; i < PENDING_TX; i++) {
		ret = send_arp(c);
		if (!ret)
			ret = split_vq_notify(&c->tx);
		if (ret)
			return ret;
	}
	for (i = c->rx.num - c->rx_held; i < c->rx.num; i++) {
		ret = post_rx(c, c->rx_bufs + (size_t)i * BUF_SLOT);
		if (ret)
			return ret;
	}
	ret = split_vq_notify(&c->rx);
	if (ret)
		return ret;
	rx_avail = c->rx.avail_idx;
	tx_avail = c->tx.avail_idx;
	end = now_sec() + QUIET_MS / 1000.0;
	while (now_sec() < end) {
		ret = poll_calls(c, 10);
		if (ret)
			return ret;
	}
	calls = c->rx.calls + c->tx.calls - calls;
	say("suspend: while suspended: %u ARP requests and %u RX buffers added and kicked (TX avail idx %u, RX avail idx %u); after %u ms TX used idx %u -> %u, RX used idx %u -> %u, %llu call(s)",
	    PENDING_TX, c->rx_held, tx_avail, rx_avail, QUIET_MS, tx_used,
	    split_vq_used_idx(&c->tx), rx_used, split_vq_used_idx(&c->rx),
	    (unsigned long long)calls);
	if (split_vq_used_idx(&c->tx) != tx_used ||
	    split_vq_used_idx(&c->rx) != rx_used ||
	    c->tx_done != tx_before || c->rx_frames != rx_before) {
		fail("suspend: the device used buffers while suspended\n");
		return EXIT_STATE;
	}
	say("suspend: nothing consumed while suspended");

	t0 = now_sec();
	ret = vdpa_resume(&c->dev);
	if (ret) {
		fail("resume: VHOST_VDPA_RESUME failed: %s\n", strerror(-ret));
		return EXIT_STATE;
	}
	say("resume: VHOST_VDPA_RESUME: ok in %.1f ms (no kick after it)",
	    (now_sec() - t0) * 1000);
	wait_after_resume(c, replies + PENDING_TX, RESUME_TIMEOUT);
	say("resume: the %u ARP requests posted while suspended: TX used idx %u -> %u (completed %u of %u); RX used idx %u -> %u, ARP replies %u",
	    PENDING_TX, tx_used, split_vq_used_idx(&c->tx),
	    c->tx_done - tx_before, c->tx_sent - tx_before, rx_used,
	    split_vq_used_idx(&c->rx), c->arp_replies - replies);
	if (c->tx_done < c->tx_sent) {
		fail("resume: %u TX buffers posted while suspended not used within %.1f s of the resume\n",
		     c->tx_sent - c->tx_done, RESUME_TIMEOUT);
		return EXIT_STATE;
	}
	if (c->arp_replies == replies) {
		fail("resume: no ARP reply within %.1f s of the resume\n",
		     RESUME_TIMEOUT);
		return EXIT_STATE;
	}
	say("resume: the buffers posted while suspended were served");

	/* and traffic goes on as before */
	replies = c->arp_replies;
	ret = send_arp(c);
	if (ret)
		return ret;
	wait_after_resume(c, replies + 1, RESUME_TIMEOUT);
	if (c->arp_replies == replies || c->tx_done < c->tx_sent) {
		fail("resume: ARP request after the resume: completed %s, reply %s\n",
		     c->tx_done < c->tx_sent ? "no" : "yes",
		     c->arp_replies == replies ? "no" : "yes");
		return EXIT_STATE;
	}
	say("resume: ARP request after the resume answered (TX used idx %u, RX used idx %u)",
	    split_vq_used_idx(&c->tx), split_vq_used_idx(&c->rx));
	return 0;
}
