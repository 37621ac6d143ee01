/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-net control virtqueue, driver side: commands in a DMA region of
 * their own (its own address space when the CVQ is isolated), each posted
 * as one driver-readable buffer (class, command, data) followed by one
 * device-writable byte for the ack, as Linux's virtio_net and QEMU's
 * shadow CVQ post them.
 */
#ifndef VDPA_CLIENT_CVQ_H
#define VDPA_CLIENT_CVQ_H

#include <stdbool.h>
#include <stdint.h>

#include "mem.h"
#include "ring.h"

#define CVQ_CMD_MAX	64	/* class + command + data */
#define CVQ_SLOTS	8	/* commands in flight at most */
#define CVQ_ACK_NONE	0xff	/* ack byte before the device writes it */

struct cvq_cmd {
	uint8_t class;
	uint8_t cmd;
	uint8_t data[CVQ_CMD_MAX - 2];
	uint32_t data_len;

	/* set by cvq_post() / cvq_wait() */
	unsigned int slot;
	bool done;
	uint8_t ack;		/* CVQ_ACK_NONE: the device wrote nothing */
	uint32_t used_len;	/* bytes the device says it wrote */
	unsigned int order;	/* 1-based position among completions */
};

struct ctrl_vq {
	struct split_vq vq;
	struct dma_region *mem;
	uint8_t *cmd_bufs;	/* CVQ_SLOTS * CVQ_CMD_MAX */
	uint8_t *ack_bufs;	/* CVQ_SLOTS, one byte each */
	struct cvq_cmd *inflight[CVQ_SLOTS];
	unsigned int completed;
};

/* Bytes of `mem` that cvq_init() needs for a ring of `num` entries. */
size_t cvq_footprint(uint16_t num);

/* Ring and command buffers in `mem`, eventfds; see split_vq_init(). */
int cvq_init(struct ctrl_vq *cvq, struct dma_region *mem, unsigned int index,
	     uint16_t num);
void cvq_fini(struct ctrl_vq *cvq);

/*
 * Copy `cmd` into a free slot, arm its ack byte with CVQ_ACK_NONE and
 * publish the two-descriptor chain; no kick. `cmd` must stay valid until
 * cvq_wait() has completed it. Returns 0, -EBUSY when every slot is in
 * flight, -EINVAL for oversize data, or split_vq_add()'s error.
 */
int cvq_post(struct ctrl_vq *cvq, struct cvq_cmd *cmd);

/* split_vq_kick() of the ring. */
int cvq_kick(struct ctrl_vq *cvq);

/*
 * Collect used entries until no command is in flight or `timeout` seconds
 * have passed: each completed command gets done, ack, used_len and order.
 * Returns 0, -ETIMEDOUT (the stragglers keep done == false), or -EIO for a
 * used entry that is not in flight.
 */
int cvq_wait(struct ctrl_vq *cvq, double timeout);

unsigned int cvq_in_flight(const struct ctrl_vq *cvq);

/* "MAC_ADDR_SET" for class 1 command 1, "class 9 cmd 0" when unknown. */
const char *cvq_cmd_name(uint8_t class, uint8_t cmd, char *buf, size_t len);

/* "VIRTIO_NET_OK", "VIRTIO_NET_ERR", "none (0xff)", "0x.." */
const char *cvq_ack_name(uint8_t ack, char *buf, size_t len);

#endif /* VDPA_CLIENT_CVQ_H */
