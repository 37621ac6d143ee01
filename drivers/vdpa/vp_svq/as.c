// SPDX-License-Identifier: GPL-2.0-only
/*
 * vp_svq: virtqueue groups and address spaces.
 *
 * Group 0 holds the data queues, group 1 the control queue. Each of the two
 * address spaces records its client's mappings in a vhost_iotlb. The
 * address space bound to group 0 is also programmed into an IOMMU paging
 * domain that the driver attaches to the function on the first mapping, so
 * that the device translates data-path DMA itself. The control queue is
 * served in software (cvq.c), which reads through its address space's
 * vhost_iotlb. Rings the driver owns (the device's own CVQ) live in a window
 * at the top of the IOVA space that get_iova_range() keeps from clients.
 *
 * A kernel client (virtio-vdpa) maps nothing: its data queues use the DMA
 * API on the function, and its CVQ uses the DMA API on the vDPA device
 * itself, which has no IOMMU: CVQ addresses are physical addresses then.
 */

#include <linux/dma-mapping.h>
#include <linux/highmem.h>
#include <linux/iommu.h>
#include <linux/vhost_iotlb.h>
#include <linux/vmalloc.h>

#include "vp_svq.h"

/* Size of the IOVA window kept for driver-owned rings. */
#define VP_SVQ_IOVA_RESERVED	SZ_16M

static int vp_svq_as_prot(u32 perm)
{
	int prot = IOMMU_CACHE;

	if (perm & VHOST_MAP_RO)
		prot |= IOMMU_READ;
	if (perm & VHOST_MAP_WO)
		prot |= IOMMU_WRITE;
	return prot;
}

/*
 * Learn the IOVA space of the function's IOMMU from the DMA domain the
 * function is attached to now: a paging domain the driver attaches later
 * has the same width, whereas a new, unattached one reports the widest
 * the IOMMU driver supports. Keep its top for the driver's own rings.
 */
static void vp_svq_as_probe_iommu(struct vp_svq_dev *dev)
{
	struct device *dma_dev = dev->parent->dev;
	struct iommu_domain *domain = NULL;
	u64 first = 0, last = U64_MAX;

	dev->iommu_why = NULL;
	if (!device_iommu_mapped(dma_dev))
		dev->iommu_why = "no IOMMU translates the function's DMA";
	else if (!device_iommu_capable(dma_dev, IOMMU_CAP_CACHE_COHERENCY))
		dev->iommu_why = "the IOMMU is not cache coherent";
	else
		domain = iommu_get_domain_for_dev(dma_dev);

	if (domain && domain->geometry.force_aperture) {
		first = domain->geometry.aperture_start;
		last = domain->geometry.aperture_end;
	}
	dev->reserved_iova = last - VP_SVQ_IOVA_RESERVED + 1;
	dev->iova_range.first = first;
	dev->iova_range.last = dev->reserved_iova - 1;
}

/**
 * vp_svq_as_init() - give a new vDPA device its address spaces
 * @dev: the vDPA device, not registered yet
 *
 * Return: 0 or -ENOMEM.
 */
int vp_svq_as_init(struct vp_svq_dev *dev)
{
	unsigned int i;

	mutex_init(&dev->as_lock);
	/* The client (vhost-vdpa) bounds its entries; mirror all it accepts. */
	for (i = 0; i < VP_SVQ_NAS; i++) {
		dev->as[i] = vhost_iotlb_alloc(UINT_MAX, 0);
		if (!dev->as[i])
			return -ENOMEM;
	}
	vp_svq_as_probe_iommu(dev);

	/* The CVQ of a kernel client is DMA-mapped on the vDPA device. */
	dev->vdpa.dev.dma_mask = &dev->vdpa.dev.coherent_dma_mask;
	return dma_set_mask_and_coherent(&dev->vdpa.dev, DMA_BIT_MASK(64));
}

/**
 * vp_svq_as_free() - free the address spaces of a vDPA device
 * @dev: the vDPA device; its domain must be released already
 */
void vp_svq_as_free(struct vp_svq_dev *dev)
{
	unsigned int i;

	for (i = 0; i < VP_SVQ_NAS; i++)
		if (dev->as[i])
			vhost_iotlb_free(dev->as[i]);
	mutex_destroy(&dev->as_lock);
}

static u32 vp_svq_data_asid(struct vp_svq_dev *dev)
{
	return dev->group_asid[VP_SVQ_GROUP_DATA];
}

static int vp_svq_as_domain_map(struct vp_svq_dev *dev, u64 iova, u64 size,
				u64 pa, u32 perm)
{
	return iommu_map(dev->domain, iova, pa, size, vp_svq_as_prot(perm),
			 GFP_KERNEL);
}

static void vp_svq_as_domain_unmap(struct vp_svq_dev *dev, u64 iova, u64 size)
{
	iommu_unmap(dev->domain, iova, size);
}

/* Program (or withdraw) every mapping of @asid into the domain. */
static int vp_svq_as_domain_load(struct vp_svq_dev *dev, u32 asid, bool load)
{
	struct vhost_iotlb_map *map;
	int ret;

	for (map = vhost_iotlb_itree_first(dev->as[asid], 0, U64_MAX); map;
	     map = vhost_iotlb_itree_next(map, 0, U64_MAX)) {
		if (!load) {
			vp_svq_as_domain_unmap(dev, map->start, map->size);
			continue;
		}
		ret = vp_svq_as_domain_map(dev, map->start, map->size,
					   map->addr, map->perm);
		if (ret)
			return ret;
	}
	return 0;
}

/* Attach a paging domain to the function, once, on the first mapping. */
static int vp_svq_as_domain_get(struct vp_svq_dev *dev)
{
	struct device *dma_dev = dev->parent->dev;
	struct iommu_domain *domain;
	int ret;

	lockdep_assert_held(&dev->as_lock);
	if (dev->domain)
		return 0;
	if (dev->iommu_why) {
		dev_err_ratelimited(dma_dev,
				    "%s: cannot map client memory: %s; only virtio-vdpa can use this device\n",
				    dev_name(&dev->vdpa.dev), dev->iommu_why);
		return -EOPNOTSUPP;
	}
	if (dev->drings_dma_api) {
		dev_err_ratelimited(dma_dev,
				    "%s: first mapping after DRIVER_OK: map memory before starting the device\n",
				    dev_name(&dev->vdpa.dev));
		return -EBUSY;
	}

	domain = iommu_paging_domain_alloc(dma_dev);
	if (IS_ERR(domain)) {
		dev_err(dma_dev, "%s: cannot allocate an IOMMU domain: %ld\n",
			dev_name(&dev->vdpa.dev), PTR_ERR(domain));
		return PTR_ERR(domain);
	}
	ret = iommu_attach_device(domain, dma_dev);
	if (ret) {
		dev_err(dma_dev, "%s: cannot attach an IOMMU domain: %d\n",
			dev_name(&dev->vdpa.dev), ret);
		iommu_domain_free(domain);
		return ret;
	}
	dev->domain = domain;
	return 0;
}

/* Detach and free the domain, unless the device still runs through it. */
static void vp_svq_as_domain_put(struct vp_svq_dev *dev, bool force)
{
	lockdep_assert_held(&dev->as_lock);
	if (!dev->domain || (!force && dev->drings_mapped))
		return;
	iommu_detach_device(dev->domain, dev->parent->dev);
	iommu_domain_free(dev->domain);
	dev->domain = NULL;
	dev->drings_mapped = 0;
}

static bool vp_svq_as_range_ok(struct vp_svq_dev *dev, u64 iova, u64 size)
{
	u64 last = iova + size - 1;

	return size && last >= iova && iova >= dev->iova_range.first &&
	       last <= dev->iova_range.last;
}

/**
 * vp_svq_dma_map() - vdpa_config_ops.dma_map: map client memory
 * @vdpa: the vDPA device
 * @asid: address space
 * @iova: first client address
 * @size: bytes
 * @pa: physical address behind @iova
 * @perm: VHOST_MAP_RO, VHOST_MAP_WO or VHOST_MAP_RW
 * @opaque: unused
 *
 * Return: 0; -EINVAL for a range outside get_iova_range(), -EOPNOTSUPP
 * without a usable IOMMU, -EBUSY for a first mapping while the device runs
 * on DMA API addresses, or -errno from the IOMMU.
 */
int vp_svq_dma_map(struct vdpa_device *vdpa, unsigned int asid, u64 iova,
		   u64 size, u64 pa, u32 perm, void *opaque)
{
	struct vp_svq_dev *dev = vdpa_to_vp_svq(vdpa);
	int ret;

	if (asid >= VP_SVQ_NAS || !vp_svq_as_range_ok(dev, iova, size))
		return -EINVAL;

	mutex_lock(&dev->as_lock);
	ret = vhost_iotlb_add_range(dev->as[asid], iova, iova + size - 1, pa,
				    perm);
	if (ret)
		goto out_unlock;
	if (asid == vp_svq_data_asid(dev)) {
		ret = vp_svq_as_domain_get(dev);
		if (!ret)
			ret = vp_svq_as_domain_map(dev, iova, size, pa, perm);
		if (ret)
			vhost_iotlb_del_range(dev->as[asid], iova,
					      iova + size - 1);
	}
out_unlock:
	mutex_unlock(&dev->as_lock);
	if (ret)
		dev_err_ratelimited(dev->parent->dev,
				    "%s: mapping asid %u iova 0x%llx size 0x%llx perm %u failed: %d\n",
				    dev_name(&vdpa->dev), asid, iova, size, perm,
				    ret);
	return ret;
}

/**
 * vp_svq_dma_unmap() - vdpa_config_ops.dma_unmap: unmap client memory
 * @vdpa: the vDPA device
 * @asid: address space
 * @iova: first client address
 * @size: bytes
 *
 * Return: 0, or -EINVAL for a bad address space or range.
 */
int vp_svq_dma_unmap(struct vdpa_device *vdpa, unsigned int asid, u64 iova,
		     u64 size)
{
	struct vp_svq_dev *dev = vdpa_to_vp_svq(vdpa);

	if (asid >= VP_SVQ_NAS || !size || iova + size - 1 < iova)
		return -EINVAL;

	mutex_lock(&dev->as_lock);
	vhost_iotlb_del_range(dev->as[asid], iova, iova + size - 1);
	if (asid == vp_svq_data_asid(dev) && dev->domain)
		vp_svq_as_domain_unmap(dev, iova, size);
	mutex_unlock(&dev->as_lock);
	return 0;
}

/**
 * vp_svq_reset_map() - vdpa_config_ops.reset_map: drop every mapping
 * @vdpa: the vDPA device
 * @asid: address space
 *
 * The function's IOMMU domain goes with the data group's mappings, unless
 * a driver-owned ring still needs it (until reset).
 *
 * Return: 0, or -EINVAL for a bad address space.
 */
int vp_svq_reset_map(struct vdpa_device *vdpa, unsigned int asid)
{
	struct vp_svq_dev *dev = vdpa_to_vp_svq(vdpa);

	if (asid >= VP_SVQ_NAS)
		return -EINVAL;

	mutex_lock(&dev->as_lock);
	if (asid == vp_svq_data_asid(dev) && dev->domain) {
		vp_svq_as_domain_load(dev, asid, false);
		vp_svq_as_domain_put(dev, false);
	}
	vhost_iotlb_reset(dev->as[asid]);
	mutex_unlock(&dev->as_lock);
	return 0;
}

/* Move the data group's translation from one address space to another. */
static int vp_svq_as_rebind_data(struct vp_svq_dev *dev, u32 asid)
{
	u32 old = vp_svq_data_asid(dev);
	int ret;

	if (dev->domain)
		vp_svq_as_domain_load(dev, old, false);
	dev->group_asid[VP_SVQ_GROUP_DATA] = asid;
	if (!vhost_iotlb_itree_first(dev->as[asid], 0, U64_MAX)) {
		vp_svq_as_domain_put(dev, false);
		return 0;
	}
	ret = vp_svq_as_domain_get(dev);
	if (!ret)
		ret = vp_svq_as_domain_load(dev, asid, true);
	if (ret) {
		/*
		 * Leave the group where it was, translated as it was. No
		 * domain when getting one failed: nothing to withdraw.
		 */
		if (dev->domain)
			vp_svq_as_domain_load(dev, asid, false);
		dev->group_asid[VP_SVQ_GROUP_DATA] = old;
		if (dev->domain)
			vp_svq_as_domain_load(dev, old, true);
	}
	return ret;
}

/**
 * vp_svq_set_group_asid() - vdpa_config_ops.set_group_asid
 * @vdpa: the vDPA device
 * @group: VP_SVQ_GROUP_DATA or VP_SVQ_GROUP_CVQ
 * @asid: address space
 *
 * Rebinding the data group reprograms the function's domain with the new
 * address space's mappings; on failure the old binding stays.
 *
 * Return: 0, -EINVAL, or -errno from the IOMMU.
 */
int vp_svq_set_group_asid(struct vdpa_device *vdpa, unsigned int group,
			  unsigned int asid)
{
	struct vp_svq_dev *dev = vdpa_to_vp_svq(vdpa);
	int ret = 0;

	if (group >= VP_SVQ_NGROUPS || asid >= VP_SVQ_NAS)
		return -EINVAL;

	mutex_lock(&dev->as_lock);
	if (dev->group_asid[group] == asid)
		goto out_unlock;
	if (group == VP_SVQ_GROUP_DATA)
		ret = vp_svq_as_rebind_data(dev, asid);
	else
		dev->group_asid[group] = asid;
out_unlock:
	mutex_unlock(&dev->as_lock);
	return ret;
}

/**
 * vp_svq_get_iova_range() - vdpa_config_ops.get_iova_range
 * @vdpa: the vDPA device
 *
 * Return: the IOMMU's aperture less the window of driver-owned rings.
 */
struct vdpa_iova_range vp_svq_get_iova_range(struct vdpa_device *vdpa)
{
	return vdpa_to_vp_svq(vdpa)->iova_range;
}

/**
 * vp_svq_get_vq_dma_dev() - vdpa_config_ops.get_vq_dma_dev
 * @vdpa: the vDPA device
 * @idx: queue index
 *
 * Return: the vDPA device itself for the CVQ (served in software, so its
 * DMA addresses are physical), the function for the data queues.
 */
struct device *vp_svq_get_vq_dma_dev(struct vdpa_device *vdpa, u16 idx)
{
	struct vp_svq_dev *dev = vdpa_to_vp_svq(vdpa);

	return vp_svq_is_cvq(dev, idx) ? &vdpa->dev : dev->parent->dev;
}

/**
 * vp_svq_as_release() - give the function back its DMA API translation
 * @dev: the vDPA device, being deleted; the device must be reset
 */
void vp_svq_as_release(struct vp_svq_dev *dev)
{
	mutex_lock(&dev->as_lock);
	vp_svq_as_domain_put(dev, true);
	mutex_unlock(&dev->as_lock);
}

/* ---- access to client memory: the shadow CVQ, ring state, shadow rings ---- */

/*
 * A kernel client hands the CVQ physical addresses (see get_vq_dma_dev).
 * Only virtio-vdpa is such a client: a user-space client's addresses are
 * always translated, or it could make the driver touch any memory.
 */
static bool vp_svq_as_identity(struct vp_svq_dev *dev)
{
	struct device_driver *drv = dev->vdpa.dev.driver;

	return drv && !strcmp(drv->name, "virtio_vdpa");
}

static void vp_svq_as_copy_pa(u64 pa, void *buf, size_t len, bool write)
{
	size_t off, n;
	void *va;

	while (len) {
		off = offset_in_page(pa);
		n = min_t(size_t, len, PAGE_SIZE - off);
		va = kmap_local_pfn(PHYS_PFN(pa));
		if (write)
			memcpy(va + off, buf, n);
		else
			memcpy(buf, va + off, n);
		kunmap_local(va);
		pa += n;
		buf += n;
		len -= n;
	}
}

/* Copy between @buf and client memory translated by @iotlb. */
static int vp_svq_as_xfer(struct vhost_iotlb *iotlb, u64 addr, void *buf,
			  size_t len, bool write)
{
	u32 need = write ? VHOST_MAP_WO : VHOST_MAP_RO;
	struct vhost_iotlb_map *map;
	size_t n;

	while (len) {
		map = vhost_iotlb_itree_first(iotlb, addr, addr + len - 1);
		if (!map || map->start > addr)
			return -EFAULT;
		if ((map->perm & need) != need)
			return -EPERM;
		n = min_t(u64, len, map->last - addr + 1);
		vp_svq_as_copy_pa(map->addr + (addr - map->start), buf, n,
				  write);
		addr += n;
		buf += n;
		len -= n;
	}
	return 0;
}

/**
 * vp_svq_as_access() - read or write client memory through the CVQ's
 *	address space
 * @dev: the vDPA device
 * @addr: client address
 * @buf: kernel buffer
 * @len: bytes
 * @write: copy @buf to the client (needs write permission), else from
 *
 * Return: 0; -EFAULT when part of the range is not mapped, -EPERM when the
 * mapping does not allow the access.
 */
int vp_svq_as_access(struct vp_svq_dev *dev, u64 addr, void *buf, size_t len,
		     bool write)
{
	struct vhost_iotlb *iotlb;
	int ret;

	if (!len)
		return 0;
	if (addr + len - 1 < addr)
		return -EFAULT;
	if (vp_svq_as_identity(dev)) {
		if (!pfn_valid(PHYS_PFN(addr)) ||
		    !pfn_valid(PHYS_PFN(addr + len - 1)))
			return -EFAULT;
		vp_svq_as_copy_pa(addr, buf, len, write);
		return 0;
	}

	mutex_lock(&dev->as_lock);
	iotlb = dev->as[dev->group_asid[VP_SVQ_GROUP_CVQ]];
	ret = vp_svq_as_xfer(iotlb, addr, buf, len, write);
	mutex_unlock(&dev->as_lock);
	return ret;
}

/*
 * Physical address behind data-group address @addr, and how many bytes
 * from there are contiguous. A kernel client's addresses are DMA
 * addresses of the function (get_vq_dma_dev), translated by its IOMMU
 * domain if it has a translating one; anyone else's go through the data
 * group's address space, with the permission asked for.
 */
static int vp_svq_as_data_phys(struct vp_svq_dev *dev, u64 addr, bool write,
			       phys_addr_t *pa, u64 *len)
{
	u32 need = write ? VHOST_MAP_WO : VHOST_MAP_RO;
	struct iommu_domain *domain;
	struct vhost_iotlb_map *map;

	if (vp_svq_as_identity(dev)) {
		domain = iommu_get_domain_for_dev(dev->parent->dev);
		if (domain && (domain->type & __IOMMU_DOMAIN_PAGING)) {
			*pa = iommu_iova_to_phys(domain, addr);
			*len = PAGE_SIZE - offset_in_page(addr);
			return *pa ? 0 : -EFAULT;
		}
		*pa = addr;
		*len = U64_MAX - addr + 1;
		return 0;
	}
	lockdep_assert_held(&dev->as_lock);
	map = vhost_iotlb_itree_first(dev->as[vp_svq_data_asid(dev)], addr,
				      addr);
	if (!map)
		return -EFAULT;
	if ((map->perm & need) != need)
		return -EPERM;
	*pa = map->addr + (addr - map->start);
	*len = map->last - addr + 1;
	return 0;
}

/**
 * vp_svq_as_read_data() - read client memory through the data group's
 *	address space
 * @dev: the vDPA device
 * @addr: client address (a DMA address of the function for a kernel
 *	client)
 * @buf: kernel buffer
 * @len: bytes
 *
 * Return: 0; -EFAULT when part of the range is not mapped, -EPERM when the
 * mapping does not allow reading.
 */
int vp_svq_as_read_data(struct vp_svq_dev *dev, u64 addr, void *buf,
			size_t len)
{
	phys_addr_t pa;
	int ret = 0;
	u64 n;

	if (len && addr + len - 1 < addr)
		return -EFAULT;
	mutex_lock(&dev->as_lock);
	while (len) {
		ret = vp_svq_as_data_phys(dev, addr, false, &pa, &n);
		if (ret)
			break;
		n = min_t(u64, n, len);
		if (!pfn_valid(PHYS_PFN(pa)) || !pfn_valid(PHYS_PFN(pa + n - 1))) {
			ret = -EFAULT;
			break;
		}
		vp_svq_as_copy_pa(pa, buf, n, false);
		addr += n;
		buf += n;
		len -= n;
	}
	mutex_unlock(&dev->as_lock);
	return ret;
}

/*
 * The page behind data-group address @addr, with a reference when @ref.
 * A kernel client's ring lives until its queues are deleted, after the
 * reset that ends shadow mode; its pages may be tails of a non-compound
 * DMA allocation, which take no reference.
 */
static int vp_svq_as_get_page(struct vp_svq_dev *dev, u64 addr, u64 need,
			      bool write, bool ref, struct page **page)
{
	phys_addr_t pa;
	u64 n;
	int ret;

	ret = vp_svq_as_data_phys(dev, addr, write, &pa, &n);
	if (ret)
		return ret;
	if (n < need || offset_in_page(pa) != offset_in_page(addr) ||
	    !pfn_valid(PHYS_PFN(pa)))
		return -EFAULT;
	*page = pfn_to_page(PHYS_PFN(pa));
	if (!ref)
		return 0;
	return try_get_page(*page) ? 0 : -EFAULT;
}

/**
 * vp_svq_as_kmap_data() - map client memory of the data group into the
 *	kernel, for as long as the caller needs it
 * @dev: the vDPA device
 * @addr: client address (a DMA address of the function for a kernel
 *	client)
 * @len: bytes
 * @write: the caller writes there (needs write permission)
 * @map: filled; release with vp_svq_as_kunmap()
 *
 * For a client that maps its memory, the map holds a reference on every
 * page behind the range: a client that unmaps the memory meanwhile cannot
 * make the driver touch freed pages. May sleep.
 *
 * Return: 0; -EFAULT when part of the range is not mapped (or not memory),
 * -EPERM without the permission, -ENOMEM.
 */
int vp_svq_as_kmap_data(struct vp_svq_dev *dev, u64 addr, size_t len,
			bool write, struct vp_svq_kmap *map)
{
	u64 first = addr & PAGE_MASK, end = addr + len, a, page_end;
	unsigned int i, n;
	int ret = 0;

	if (!len || end < addr)
		return -EFAULT;
	n = (PAGE_ALIGN(end) - first) >> PAGE_SHIFT;
	map->pages = kcalloc(n, sizeof(*map->pages), GFP_KERNEL);
	if (!map->pages)
		return -ENOMEM;
	map->refs = !vp_svq_as_identity(dev);
	mutex_lock(&dev->as_lock);
	for (i = 0; i < n; i++) {
		a = max(addr, first + ((u64)i << PAGE_SHIFT));
		page_end = min(end, first + ((u64)(i + 1) << PAGE_SHIFT));
		ret = vp_svq_as_get_page(dev, a, page_end - a, write, map->refs,
					 &map->pages[i]);
		if (ret)
			break;
	}
	mutex_unlock(&dev->as_lock);
	map->npages = i;
	if (ret)
		goto err_put_pages;
	map->va = vmap(map->pages, n, VM_MAP, PAGE_KERNEL);
	if (!map->va) {
		ret = -ENOMEM;
		goto err_put_pages;
	}
	map->va += offset_in_page(addr);
	return 0;

err_put_pages:
	map->va = NULL;
	vp_svq_as_kunmap(map);
	return ret;
}

/**
 * vp_svq_as_kunmap() - release a map of vp_svq_as_kmap_data()
 * @map: the map; emptied (releasing an empty map does nothing)
 */
void vp_svq_as_kunmap(struct vp_svq_kmap *map)
{
	unsigned int i;

	if (map->va)
		vunmap((void *)((unsigned long)map->va & PAGE_MASK));
	for (i = 0; map->refs && i < map->npages; i++)
		put_page(map->pages[i]);
	kfree(map->pages);
	memset(map, 0, sizeof(*map));
}

/* ---- rings the driver owns ---- */

/*
 * Each driver-owned ring has a slot of the reserved window, large enough
 * for the largest data ring: slot 0 is the device's CVQ, slot 1 + n data
 * queue n.
 */
static u64 vp_svq_as_slot_size(struct vp_svq_dev *dev)
{
	size_t ring = vring_size(max_t(u16, dev->parent->data_queue_max, 1),
				 SMP_CACHE_BYTES);

	return roundup_pow_of_two(PAGE_ALIGN(ring));
}

/**
 * vp_svq_as_ring_alloc() - memory for a ring the driver drives itself
 * @dev: the vDPA device
 * @ring: filled with the kernel address and the device's address
 * @size: bytes
 * @slot: which ring of the device this is (0 for its CVQ, 1 + n for data
 *	queue n): where it lives in the reserved IOVA window
 *
 * Zeroed, physically contiguous. Through the function's domain when a
 * client mapped memory (at the reserved IOVA window), through the DMA API
 * otherwise.
 *
 * Return: 0, -ENOSPC when the slot is outside the reserved window, or
 * -errno.
 */
int vp_svq_as_ring_alloc(struct vp_svq_dev *dev, struct vp_svq_dring *ring,
			 size_t size, unsigned int slot)
{
	struct device *dma_dev = dev->parent->dev;
	u64 stride = vp_svq_as_slot_size(dev);
	int ret = 0;

	if (size > stride || (slot + 1) * stride > VP_SVQ_IOVA_RESERVED) {
		dev_err(dma_dev, "%s: no room for ring %u (%zu bytes) in the driver's IOVA window\n",
			dev_name(&dev->vdpa.dev), slot, size);
		return -ENOSPC;
	}
	ring->size = PAGE_ALIGN(size);
	mutex_lock(&dev->as_lock);
	if (dev->domain) {
		ring->va = alloc_pages_exact(ring->size,
					     GFP_KERNEL | __GFP_ZERO);
		if (!ring->va) {
			ret = -ENOMEM;
			goto out_unlock;
		}
		ring->addr = dev->reserved_iova + slot * stride;
		ret = iommu_map(dev->domain, ring->addr, virt_to_phys(ring->va),
				ring->size, IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE,
				GFP_KERNEL);
		if (ret) {
			free_pages_exact(ring->va, ring->size);
			ring->va = NULL;
			goto out_unlock;
		}
		ring->in_domain = true;
		dev->drings_mapped++;
	} else {
		ring->va = dma_alloc_coherent(dma_dev, ring->size, &ring->addr,
					      GFP_KERNEL);
		if (!ring->va) {
			ret = -ENOMEM;
			goto out_unlock;
		}
		ring->in_domain = false;
		dev->drings_dma_api++;
	}
out_unlock:
	mutex_unlock(&dev->as_lock);
	return ret;
}

/**
 * vp_svq_as_ring_free() - release a ring from vp_svq_as_ring_alloc()
 * @dev: the vDPA device; the hardware must no longer use the ring
 * @ring: the ring; emptied
 */
void vp_svq_as_ring_free(struct vp_svq_dev *dev, struct vp_svq_dring *ring)
{
	if (!ring->va)
		return;
	mutex_lock(&dev->as_lock);
	if (ring->in_domain) {
		if (dev->domain) {
			iommu_unmap(dev->domain, ring->addr, ring->size);
			dev->drings_mapped--;
		}
		free_pages_exact(ring->va, ring->size);
		/* The client may have dropped its mappings meanwhile. */
		if (!vhost_iotlb_itree_first(dev->as[vp_svq_data_asid(dev)], 0,
					     U64_MAX))
			vp_svq_as_domain_put(dev, false);
	} else {
		dma_free_coherent(dev->parent->dev, ring->size, ring->va,
				  ring->addr);
		dev->drings_dma_api--;
	}
	ring->va = NULL;
	mutex_unlock(&dev->as_lock);
}
