/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A DMA region: one anonymous mmap() that the device reaches at a chosen
 * IOVA through the IOTLB of one address space, carved up by a bump
 * allocator for rings and packet buffers.
 */
#ifndef VDPA_CLIENT_MEM_H
#define VDPA_CLIENT_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vhost.h"

struct dma_region {
	uint8_t *va;
	size_t size;		/* page multiple */
	size_t used;		/* bump allocator offset */
	uint64_t iova;		/* IOVA of va[0] */
	unsigned int asid;
	bool mapped;
};

int dma_region_create(struct dma_region *r, size_t size, uint64_t iova);
void dma_region_destroy(struct dma_region *r);

/* Zeroed memory, or NULL when the region is full. */
void *dma_alloc(struct dma_region *r, size_t size, size_t align);

bool dma_contains(const struct dma_region *r, const void *va, size_t len);
uint64_t dma_iova(const struct dma_region *r, const void *va);
void *dma_va(const struct dma_region *r, uint64_t iova, size_t len);

/* One IOTLB_UPDATE (RW) / INVALIDATE for the whole region, in a batch. */
int dma_region_map(struct vdpa_dev *dev, struct dma_region *r,
		   unsigned int asid);
int dma_region_unmap(struct vdpa_dev *dev, struct dma_region *r);

/*
 * Raise RLIMIT_MEMLOCK to at least `bytes` (vhost-vdpa pins mapped pages and
 * counts them against it, also for root). 0: enough already, 1: raised.
 */
int dma_reserve_memlock(size_t bytes);

#endif /* VDPA_CLIENT_MEM_H */
