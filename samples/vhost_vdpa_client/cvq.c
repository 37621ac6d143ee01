// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net control virtqueue, driver side.
 *
 * Each command owns a slot: CVQ_CMD_MAX bytes for class, command and data,
 * and one ack byte, both in the CVQ's DMA region. The ack byte is set to
 * CVQ_ACK_NONE before posting, so an ack the device never wrote is told
 * apart from VIRTIO_NET_OK (0) and VIRTIO_NET_ERR (1).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "compat.h"
#include "cvq.h"
#include "util.h"

size_t cvq_footprint(uint16_t num)
{
	/* split ring (desc, avail, used) with alignment slack, then slots */
	return 16 * (size_t)num + (6 + 2 * (size_t)num) +
	       (6 + 8 * (size_t)num) + 3 * 64 +
	       CVQ_SLOTS * CVQ_CMD_MAX + 64 + CVQ_SLOTS;
}

int cvq_init(struct ctrl_vq *cvq, struct dma_region *mem, unsigned int index,
	     uint16_t num)
{
	int ret;

	memset(cvq, 0, sizeof(*cvq));
	cvq->mem = mem;
	ret = split_vq_init(&cvq->vq, mem, index, num, 0);
	if (ret)
		return ret;
	cvq->cmd_bufs = dma_alloc(mem, CVQ_SLOTS * CVQ_CMD_MAX, 64);
	cvq->ack_bufs = dma_alloc(mem, CVQ_SLOTS, 1);
	if (!cvq->cmd_bufs || !cvq->ack_bufs) {
		fail("CVQ: DMA region too small for %u command slots\n",
		     CVQ_SLOTS);
		split_vq_fini(&cvq->vq);
		return -ENOMEM;
	}
	return 0;
}

void cvq_fini(struct ctrl_vq *cvq)
{
	split_vq_fini(&cvq->vq);
	memset(cvq->inflight, 0, sizeof(cvq->inflight));
}

unsigned int cvq_in_flight(const struct ctrl_vq *cvq)
{
	unsigned int i, n = 0;

	for (i = 0; i < CVQ_SLOTS; i++)
		n += cvq->inflight[i] != NULL;
	return n;
}

int cvq_post(struct ctrl_vq *cvq, struct cvq_cmd *cmd)
{
	struct vq_buf bufs[2];
	unsigned int slot;
	uint8_t *buf;
	int ret;

	if (cmd->data_len > sizeof(cmd->data))
		return -EINVAL;
	for (slot = 0; slot < CVQ_SLOTS; slot++)
		if (!cvq->inflight[slot])
			break;
	if (slot == CVQ_SLOTS)
		return -EBUSY;

	buf = cvq->cmd_bufs + slot * CVQ_CMD_MAX;
	buf[0] = cmd->class;
	buf[1] = cmd->cmd;
	memcpy(buf + 2, cmd->data, cmd->data_len);
	cvq->ack_bufs[slot] = CVQ_ACK_NONE;

	bufs[0].iova = dma_iova(cvq->mem, buf);
	bufs[0].len = 2 + cmd->data_len;
	bufs[0].device_writable = false;
	bufs[1].iova = dma_iova(cvq->mem, &cvq->ack_bufs[slot]);
	bufs[1].len = 1;
	bufs[1].device_writable = true;

	cmd->slot = slot;
	cmd->done = false;
	cmd->ack = CVQ_ACK_NONE;
	cmd->used_len = 0;
	cmd->order = 0;
	ret = split_vq_add(&cvq->vq, bufs, 2, cmd);
	if (ret)
		return ret;
	cvq->inflight[slot] = cmd;
	return 0;
}

int cvq_kick(struct ctrl_vq *cvq)
{
	return split_vq_kick(&cvq->vq);
}

/* Take every used entry there is now. */
static int cvq_reap(struct ctrl_vq *cvq)
{
	struct cvq_cmd *cmd;
	void *cookie;
	uint32_t len;
	int ret;

	while ((ret = split_vq_get_used(&cvq->vq, &cookie, &len)) > 0) {
		cmd = cookie;
		if (cmd->slot >= CVQ_SLOTS || cvq->inflight[cmd->slot] != cmd) {
			fail("CVQ: used entry for a command not in flight\n");
			return -EIO;
		}
		/* the used index was read with acquire: the ack is visible */
		cmd->ack = __atomic_load_n(&cvq->ack_bufs[cmd->slot],
					   __ATOMIC_RELAXED);
		cmd->used_len = len;
		cmd->done = true;
		cmd->order = ++cvq->completed;
		cvq->inflight[cmd->slot] = NULL;
	}
	return ret;
}

int cvq_wait(struct ctrl_vq *cvq, double timeout)
{
	double deadline = now_sec() + timeout;
	struct pollfd pfd = { .fd = cvq->vq.call_fd, .events = POLLIN };
	int ret;

	for (;;) {
		double wait;

		ret = cvq_reap(cvq);
		if (ret)
			return ret;
		if (!cvq_in_flight(cvq))
			return 0;
		wait = deadline - now_sec();
		if (wait <= 0)
			return -ETIMEDOUT;
		/* 20 ms slices: a call may be suppressed or coalesced */
		if (wait > 0.02)
			wait = 0.02;
		if (poll(&pfd, 1, (int)(wait * 1000) + 1) < 0 &&
		    errno != EINTR) {
			ret = -errno;
			fail("CVQ: poll: %s\n", strerror(-ret));
			return ret;
		}
		split_vq_ack_call(&cvq->vq);
	}
}

const char *cvq_cmd_name(uint8_t class, uint8_t cmd, char *buf, size_t len)
{
	static const struct {
		uint8_t class, cmd;
		const char *name;
	} names[] = {
		{ VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, "RX_PROMISC" },
		{ VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_ALLMULTI, "RX_ALLMULTI" },
		{ VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, "MAC_TABLE_SET" },
		{ VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, "MAC_ADDR_SET" },
		{ VIRTIO_NET_CTRL_VLAN, VIRTIO_NET_CTRL_VLAN_ADD, "VLAN_ADD" },
		{ VIRTIO_NET_CTRL_VLAN, VIRTIO_NET_CTRL_VLAN_DEL, "VLAN_DEL" },
		{ VIRTIO_NET_CTRL_ANNOUNCE, VIRTIO_NET_CTRL_ANNOUNCE_ACK, "ANNOUNCE_ACK" },
		{ VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, "MQ_VQ_PAIRS_SET" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (names[i].class == class && names[i].cmd == cmd) {
			snprintf(buf, len, "%s", names[i].name);
			return buf;
		}
	}
	snprintf(buf, len, "class %u cmd %u", class, cmd);
	return buf;
}

const char *cvq_ack_name(uint8_t ack, char *buf, size_t len)
{
	if (ack == VIRTIO_NET_OK)
		snprintf(buf, len, "VIRTIO_NET_OK");
	else if (ack == VIRTIO_NET_ERR)
		snprintf(buf, len, "VIRTIO_NET_ERR");
	else if (ack == CVQ_ACK_NONE)
		snprintf(buf, len, "none (0x%02x still there)", ack);
	else
		snprintf(buf, len, "0x%02x", ack);
	return buf;
}
