// SPDX-License-Identifier: GPL-2.0
/*
 * DMA region: anonymous memory mapped into a vhost-vdpa address space.
 *
 * vhost-vdpa pins the pages of an IOTLB_UPDATE (pin_user_pages with
 * FOLL_LONGTERM, accounted against RLIMIT_MEMLOCK) and programs the
 * translation IOVA -> physical page into the parent (dma_map/set_map) or the
 * platform IOMMU domain. The pages stay pinned until INVALIDATE or close.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "mem.h"
#include "util.h"

static size_t page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	return ps > 0 ? (size_t)ps : 4096;
}

int dma_region_create(struct dma_region *r, size_t size, uint64_t iova)
{
	size_t ps = page_size();
	void *va;

	memset(r, 0, sizeof(*r));
	size = (size + ps - 1) & ~(ps - 1);
	va = mmap(NULL, size, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (va == MAP_FAILED) {
		int err = errno;

		fail("mmap %zu bytes: %s\n", size, strerror(err));
		return -err;
	}
	r->va = va;
	r->size = size;
	r->iova = iova;
	return 0;
}

void dma_region_destroy(struct dma_region *r)
{
	if (r->va)
		munmap(r->va, r->size);
	r->va = NULL;
	r->size = 0;
}

void *dma_alloc(struct dma_region *r, size_t size, size_t align)
{
	size_t off;

	if (!align || (align & (align - 1)))
		return NULL;
	off = (r->used + align - 1) & ~(align - 1);
	if (off > r->size || size > r->size - off)
		return NULL;
	r->used = off + size;
	memset(r->va + off, 0, size);
	return r->va + off;
}

bool dma_contains(const struct dma_region *r, const void *va, size_t len)
{
	const uint8_t *p = va;

	return p >= r->va && p <= r->va + r->size &&
	       len <= (size_t)(r->va + r->size - p);
}

uint64_t dma_iova(const struct dma_region *r, const void *va)
{
	return r->iova + (uint64_t)((const uint8_t *)va - r->va);
}

void *dma_va(const struct dma_region *r, uint64_t iova, size_t len)
{
	if (iova < r->iova || iova - r->iova > r->size ||
	    len > r->size - (iova - r->iova))
		return NULL;
	return r->va + (iova - r->iova);
}

int dma_region_map(struct vdpa_dev *dev, struct dma_region *r,
		   unsigned int asid)
{
	int ret, ret2;

	ret = vdpa_iotlb_batch_begin(dev, asid);
	if (ret)
		return ret;
	ret = vdpa_iotlb_update(dev, asid, r->iova, r->size, r->va,
				VHOST_ACCESS_RW);
	ret2 = vdpa_iotlb_batch_end(dev);
	if (!ret) {
		/* In vhost's IOTLB even if BATCH_END failed: invalidate later. */
		r->mapped = true;
		r->asid = asid;
	}
	return ret ? ret : ret2;
}

int dma_region_unmap(struct vdpa_dev *dev, struct dma_region *r)
{
	int ret, ret2;

	if (!r->mapped)
		return 0;
	ret = vdpa_iotlb_batch_begin(dev, r->asid);
	if (ret)
		return ret;
	ret = vdpa_iotlb_invalidate(dev, r->asid, r->iova, r->size);
	ret2 = vdpa_iotlb_batch_end(dev);
	if (!ret)
		r->mapped = false;
	return ret ? ret : ret2;
}

int dma_reserve_memlock(size_t bytes)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl)) {
		int err = errno;

		fail("getrlimit(RLIMIT_MEMLOCK): %s\n", strerror(err));
		return -err;
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= bytes)
		return 0;

	rl.rlim_cur = bytes;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < bytes)
		rl.rlim_max = bytes;	/* needs CAP_SYS_RESOURCE */
	if (setrlimit(RLIMIT_MEMLOCK, &rl)) {
		int err = errno;

		fail("setrlimit(RLIMIT_MEMLOCK, %zu): %s: VHOST_IOTLB_UPDATE would fail with ENOMEM\n",
		     bytes, strerror(err));
		return -err;
	}
	return 1;
}
