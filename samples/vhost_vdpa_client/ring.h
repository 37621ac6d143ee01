/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Split virtqueue, driver side (virtio 1.x, little endian, no event index).
 *
 * The rings live in a DMA region; descriptors carry IOVAs. The chain links
 * and the per-chain cookies are kept in private memory, so nothing the
 * device writes can corrupt the free list.
 */
#ifndef VDPA_CLIENT_RING_H
#define VDPA_CLIENT_RING_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/virtio_ring.h>

#include "mem.h"
#include "vhost.h"

struct vq_buf {
	uint64_t iova;
	uint32_t len;
	bool device_writable;
};

struct split_vq {
	unsigned int index;		/* vhost vring index */
	uint16_t num;			/* power of two */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint64_t desc_iova;
	uint64_t avail_iova;
	uint64_t used_iova;
	uint16_t base;			/* VHOST_SET_VRING_BASE value */

	uint16_t avail_idx;		/* next avail->idx to publish */
	uint16_t last_used;		/* next used->idx entry to consume */
	uint16_t free_head;
	uint16_t num_free;
	uint16_t *next;			/* chain links, private */
	uint16_t *chain_len;		/* per head */
	void **cookie;			/* per head; NULL when free */

	int kick_fd;			/* eventfd written to notify */
	int call_fd;			/* eventfd the device signals */
	unsigned long kicks;
	unsigned long calls;
};

/*
 * Allocate the rings of queue `index` in `mem` and the eventfds. `base` is
 * the avail index the device starts at (0 for a fresh device, the migrated
 * value for a restore): both indexes of the ring start there.
 */
int split_vq_init(struct split_vq *vq, struct dma_region *mem,
		  unsigned int index, uint16_t num, uint16_t base);
void split_vq_fini(struct split_vq *vq);

/* What vdpa_vring_setup() needs for this queue. */
void split_vq_vring_cfg(const struct split_vq *vq, struct vdpa_vring_cfg *cfg);

/* Ask for (or suppress) used-buffer notifications: avail->flags. */
void split_vq_set_interrupts(struct split_vq *vq, bool enable);

/*
 * Expose one chain made of `n` buffers (driver-readable ones first) and
 * publish it. `cookie` (not NULL) comes back from split_vq_get_used().
 * Returns 0, -ENOSPC when the ring has too few free descriptors, -EINVAL.
 */
int split_vq_add(struct split_vq *vq, const struct vq_buf *bufs,
		 unsigned int n, void *cookie);

/*
 * Notify the device unless it set VRING_USED_F_NO_NOTIFY.
 * Returns 1 when kicked, 0 when suppressed, negative errno on failure.
 */
int split_vq_kick(struct split_vq *vq);

/* Write the kick eventfd whatever VRING_USED_F_NO_NOTIFY says: 0 or -errno. */
int split_vq_notify(struct split_vq *vq);

/*
 * Hand the ring state of `from` (rings, free list, cookies, indexes) to
 * `to`, which gets eventfds of its own and `base` as the value for
 * VHOST_SET_VRING_BASE: the same rings in the same memory, attached to
 * another device. `from` keeps only its eventfds. 0 or -errno.
 */
int split_vq_move(struct split_vq *to, struct split_vq *from, uint16_t base);

/*
 * Take the next used chain: 1 with *cookie and *len (bytes the device
 * wrote) set, 0 when there is none, -EIO when the device returned an id
 * that is not in flight.
 */
int split_vq_get_used(struct split_vq *vq, void **cookie, uint32_t *len);

/* Consume pending call notifications; returns how many were pending. */
uint64_t split_vq_ack_call(struct split_vq *vq);

uint16_t split_vq_in_flight(const struct split_vq *vq);

/* Device-written indexes, for reports. */
uint16_t split_vq_used_idx(const struct split_vq *vq);
uint16_t split_vq_used_flags(const struct split_vq *vq);

#endif /* VDPA_CLIENT_RING_H */
