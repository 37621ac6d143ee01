// SPDX-License-Identifier: GPL-2.0
/*
 * Split virtqueue, driver side.
 *
 * Memory ordering (the device is another agent reading and writing these
 * rings):
 *  - descriptors and the avail ring slot are written before avail->idx:
 *    release store of avail->idx;
 *  - avail->idx is written before used->flags is read to decide whether to
 *    notify: full fence (a store followed by a load needs one even on x86);
 *  - used->idx is read before the used element it covers: acquire load.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "ring.h"
#include "util.h"

/* Areas of a split ring: virtio 1.x section 2.7 sizes and alignments. */
static size_t desc_bytes(uint16_t num)
{
	return sizeof(struct vring_desc) * num;
}

static size_t avail_bytes(uint16_t num)
{
	/* flags, idx, ring[num], used_event */
	return sizeof(__u16) * (3 + (size_t)num);
}

static size_t used_bytes(uint16_t num)
{
	/* flags, idx, ring[num], avail_event */
	return sizeof(__u16) * 3 + sizeof(struct vring_used_elem) * num;
}

int split_vq_init(struct split_vq *vq, struct dma_region *mem,
		  unsigned int index, uint16_t num, uint16_t base)
{
	uint16_t i;

	memset(vq, 0, sizeof(*vq));
	vq->kick_fd = -1;
	vq->call_fd = -1;

	if (!num || (num & (num - 1))) {
		fail("vq %u: size %u is not a power of two\n",
		     index, num);
		return -EINVAL;
	}

	vq->index = index;
	vq->num = num;
	vq->base = base;
	/* Cache-line alignment covers the 16/2/4 bytes the spec asks for. */
	vq->desc = dma_alloc(mem, desc_bytes(num), 64);
	vq->avail = dma_alloc(mem, avail_bytes(num), 64);
	vq->used = dma_alloc(mem, used_bytes(num), 64);
	if (!vq->desc || !vq->avail || !vq->used) {
		fail("vq %u: DMA region too small for %u entries\n",
		     index, num);
		return -ENOMEM;
	}
	vq->desc_iova = dma_iova(mem, vq->desc);
	vq->avail_iova = dma_iova(mem, vq->avail);
	vq->used_iova = dma_iova(mem, vq->used);

	vq->next = calloc(num, sizeof(*vq->next));
	vq->chain_len = calloc(num, sizeof(*vq->chain_len));
	vq->cookie = calloc(num, sizeof(*vq->cookie));
	if (!vq->next || !vq->chain_len || !vq->cookie) {
		fail("vq %u: out of memory\n", index);
		split_vq_fini(vq);
		return -ENOMEM;
	}
	for (i = 0; i < num - 1; i++)
		vq->next[i] = i + 1;
	vq->free_head = 0;
	vq->num_free = num;

	vq->avail_idx = base;
	vq->last_used = base;
	vq->avail->idx = htole16(base);
	vq->used->idx = htole16(base);

	vq->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vq->call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vq->kick_fd < 0 || vq->call_fd < 0) {
		int err = errno;

		fail("vq %u: eventfd: %s\n", index, strerror(err));
		split_vq_fini(vq);
		return -err;
	}
	return 0;
}

void split_vq_fini(struct split_vq *vq)
{
	free(vq->next);
	free(vq->chain_len);
	free(vq->cookie);
	vq->next = NULL;
	vq->chain_len = NULL;
	vq->cookie = NULL;
	if (vq->kick_fd >= 0)
		close(vq->kick_fd);
	if (vq->call_fd >= 0)
		close(vq->call_fd);
	vq->kick_fd = -1;
	vq->call_fd = -1;
}

void split_vq_vring_cfg(const struct split_vq *vq, struct vdpa_vring_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->index = vq->index;
	cfg->num = vq->num;
	cfg->desc_iova = vq->desc_iova;
	cfg->driver_iova = vq->avail_iova;
	cfg->device_iova = vq->used_iova;
	cfg->base = vq->base;
	cfg->kick_fd = vq->kick_fd;
	cfg->call_fd = vq->call_fd;
}

void split_vq_set_interrupts(struct split_vq *vq, bool enable)
{
	uint16_t flags = enable ? 0 : VRING_AVAIL_F_NO_INTERRUPT;

	__atomic_store_n(&vq->avail->flags, htole16(flags), __ATOMIC_RELAXED);
	/* Re-enabling races with used entries written meanwhile: the caller
	 * looks at the used ring again after this fence.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

int split_vq_add(struct split_vq *vq, const struct vq_buf *bufs,
		 unsigned int n, void *cookie)
{
	uint16_t head, cur;
	unsigned int i;

	if (!n || !cookie)
		return -EINVAL;
	if (n > vq->num_free)
		return -ENOSPC;

	head = vq->free_head;
	cur = head;
	for (i = 0; i < n; i++) {
		uint16_t flags = bufs[i].device_writable ? VRING_DESC_F_WRITE : 0;

		if (i + 1 < n)
			flags |= VRING_DESC_F_NEXT;
		vq->desc[cur].addr = htole64(bufs[i].iova);
		vq->desc[cur].len = htole32(bufs[i].len);
		vq->desc[cur].flags = htole16(flags);
		vq->desc[cur].next = htole16(i + 1 < n ? vq->next[cur] : 0);
		cur = vq->next[cur];
	}
	vq->free_head = cur;
	vq->num_free -= n;
	vq->chain_len[head] = n;
	vq->cookie[head] = cookie;

	vq->avail->ring[vq->avail_idx & (vq->num - 1)] = htole16(head);
	vq->avail_idx++;
	__atomic_store_n(&vq->avail->idx, htole16(vq->avail_idx),
			 __ATOMIC_RELEASE);
	return 0;
}

int split_vq_kick(struct split_vq *vq)
{
	uint64_t one = 1;
	uint16_t flags;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	flags = le16toh(__atomic_load_n(&vq->used->flags, __ATOMIC_RELAXED));
	if (flags & VRING_USED_F_NO_NOTIFY)
		return 0;

	if (write(vq->kick_fd, &one, sizeof(one)) != sizeof(one)) {
		int err = errno;

		fail("vq %u: kick eventfd write: %s\n", vq->index,
		     strerror(err));
		return -err;
	}
	vq->kicks++;
	return 1;
}

int split_vq_notify(struct split_vq *vq)
{
	uint64_t one = 1;

	if (write(vq->kick_fd, &one, sizeof(one)) != sizeof(one)) {
		int err = errno;

		fail("vq %u: kick eventfd write: %s\n", vq->index,
		     strerror(err));
		return -err;
	}
	vq->kicks++;
	return 0;
}

int split_vq_move(struct split_vq *to, struct split_vq *from, uint16_t base)
{
	int err;

	*to = *from;
	from->next = NULL;
	from->chain_len = NULL;
	from->cookie = NULL;
	to->base = base;
	to->kicks = 0;
	to->calls = 0;
	to->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	to->call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (to->kick_fd < 0 || to->call_fd < 0) {
		err = errno;
		fail("vq %u: eventfd: %s\n", to->index, strerror(err));
		return -err;
	}
	return 0;
}

int split_vq_get_used(struct split_vq *vq, void **cookie, uint32_t *len)
{
	struct vring_used_elem elem;
	uint16_t used_idx, head, cur, i;

	used_idx = le16toh(__atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE));
	if (used_idx == vq->last_used)
		return 0;

	elem = vq->used->ring[vq->last_used & (vq->num - 1)];
	head = (uint16_t)le32toh(elem.id);
	if (le32toh(elem.id) >= vq->num || !vq->cookie[head]) {
		fail("vq %u: used entry %u has id %u, not in flight\n",
		     vq->index, vq->last_used, le32toh(elem.id));
		return -EIO;
	}
	vq->last_used++;

	*cookie = vq->cookie[head];
	*len = le32toh(elem.len);
	vq->cookie[head] = NULL;

	/* Return the chain to the free list: its tail links to the old head. */
	cur = head;
	for (i = 1; i < vq->chain_len[head]; i++)
		cur = vq->next[cur];
	vq->next[cur] = vq->free_head;
	vq->free_head = head;
	vq->num_free += vq->chain_len[head];
	vq->chain_len[head] = 0;
	return 1;
}

uint64_t split_vq_ack_call(struct split_vq *vq)
{
	uint64_t count = 0;

	if (read(vq->call_fd, &count, sizeof(count)) != sizeof(count))
		return 0;
	vq->calls += count;
	return count;
}

uint16_t split_vq_in_flight(const struct split_vq *vq)
{
	return vq->num - vq->num_free;
}

uint16_t split_vq_used_idx(const struct split_vq *vq)
{
	return le16toh(__atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE));
}

uint16_t split_vq_used_flags(const struct split_vq *vq)
{
	return le16toh(__atomic_load_n(&vq->used->flags, __ATOMIC_RELAXED));
}
