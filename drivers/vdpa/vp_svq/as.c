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
 * vhost_iotlb. Rings the driver owns (the device's own CVQ, shadow rings)
 * live in a window at the top of the IOVA space that get_iova_range() keeps
 * from clients.
 *
 * A kernel client (virtio-vdpa) maps nothing: its data queues use the DMA
 * API on the function, and its CVQ uses the DMA API on the vDPA device
 * itself, which has no IOMMU. The driver turns such DMA addresses back into
 * physical ones the way the DMA API made them (a bus offset, a memory
 * encryption bit). A user-space client's device runs only through the
 * driver's domain.
 *
 * The driver holds a reference on every page of a client mapping it may
 * touch, from dma_map() to dma_unmap(): vhost-vdpa unpins a mapping's
 * pages before it calls dma_unmap(), and the shadow CVQ copies through its
 * own record of the translation.
 */

#include <kunit/static_stub.h>
#include <linux/dma-direct.h>
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

/**
 * vp_svq_as_iommu_probe() - can the function's DMA be translated by a
 *	domain of the driver's?
 * @dma_dev: the function
 * @first: filled with the first IOVA the function's IOMMU translates
 * @last: filled with the last one
 *
 * The IOVA space is learnt from the DMA domain the function is attached to
 * now: a paging domain the driver attaches later has the same width,
 * whereas a new, unattached one reports the widest the IOMMU driver
 * supports. KUnit tests stand in for the IOMMU here (UML has none).
 *
 * Return: NULL, or why client memory cannot be mapped.
 */
const char *vp_svq_as_iommu_probe(struct device *dma_dev, u64 *first,
				  u64 *last)
{
	struct iommu_domain *domain;

	KUNIT_STATIC_STUB_REDIRECT(vp_svq_as_iommu_probe, dma_dev, first, last);
	*first = 0;
	*last = U64_MAX;
	if (!device_iommu_mapped(dma_dev))
		return "no IOMMU translates the function's DMA";
	if (!device_iommu_capable(dma_dev, IOMMU_CAP_CACHE_COHERENCY))
		return "the IOMMU is not cache coherent";
	domain = iommu_get_domain_for_dev(dma_dev);
	if (domain && domain->geometry.force_aperture) {
		*first = domain->geometry.aperture_start;
		*last = domain->geometry.aperture_end;
	}
	return NULL;
}

/**
 * vp_svq_as_iommu_attach() - attach a new paging domain to the function
 * @dma_dev: the function
 *
 * Return: the domain, or an ERR_PTR().
 */
struct iommu_domain *vp_svq_as_iommu_attach(struct device *dma_dev)
{
	struct iommu_domain *domain;
	int ret;

	KUNIT_STATIC_STUB_REDIRECT(vp_svq_as_iommu_attach, dma_dev);
	domain = iommu_paging_domain_alloc(dma_dev);
	if (IS_ERR(domain))
		return domain;
	ret = iommu_attach_device(domain, dma_dev);
	if (ret) {
		iommu_domain_free(domain);
		return ERR_PTR(ret);
	}
	return domain;
}

/**
 * vp_svq_as_iommu_detach() - give the function back its DMA API domain
 * @domain: from vp_svq_as_iommu_attach(); freed
 * @dma_dev: the function
 *
 * Return: 0.
 */
int vp_svq_as_iommu_detach(struct iommu_domain *domain, struct device *dma_dev)
{
	KUNIT_STATIC_STUB_REDIRECT(vp_svq_as_iommu_detach, domain, dma_dev);
	iommu_detach_device(domain, dma_dev);
	iommu_domain_free(domain);
	return 0;
}

/**
 * vp_svq_as_iommu_map() - map a range into the function's domain
 * @domain: the driver's domain
 * @iova: first device address
 * @pa: physical address behind it
 * @size: bytes
 * @prot: IOMMU_READ, IOMMU_WRITE, IOMMU_CACHE
 *
 * Return: 0 or -errno from the IOMMU.
 */
int vp_svq_as_iommu_map(struct iommu_domain *domain, u64 iova, phys_addr_t pa,
			size_t size, int prot)
{
	KUNIT_STATIC_STUB_REDIRECT(vp_svq_as_iommu_map, domain, iova, pa, size,
				   prot);
	return iommu_map(domain, iova, pa, size, prot, GFP_KERNEL);
}

/**
 * vp_svq_as_iommu_unmap() - unmap a range of the function's domain
 * @domain: the driver's domain
 * @iova: first device address
 * @size: bytes
 *
 * Return: bytes unmapped.
 */
size_t vp_svq_as_iommu_unmap(struct iommu_domain *domain, u64 iova,
			     size_t size)
{
	KUNIT_STATIC_STUB_REDIRECT(vp_svq_as_iommu_unmap, domain, iova, size);
	return iommu_unmap(domain, iova, size);
}

/* Keep the top of the IOVA space for the driver's own rings. */
static void vp_svq_as_probe_iommu(struct vp_svq_dev *dev)
{
	u64 first, last;

	dev->iommu_why = vp_svq_as_iommu_probe(dev->parent->dev, &first, &last);
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
	INIT_LIST_HEAD(&dev->parked);
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

static u32 vp_svq_data_asid(struct vp_svq_dev *dev)
{
	return dev->group_asid[VP_SVQ_GROUP_DATA];
}

static bool vp_svq_as_empty(struct vp_svq_dev *dev, u32 asid)
{
	return !vhost_iotlb_itree_first(dev->as[asid], 0, U64_MAX);
}

static int vp_svq_as_domain_map(struct vp_svq_dev *dev, u64 iova, u64 size,
				u64 pa, u32 perm)
{
	return vp_svq_as_iommu_map(dev->domain, iova, pa, size,
				   vp_svq_as_prot(perm));
}

static void vp_svq_as_domain_unmap(struct vp_svq_dev *dev, u64 iova, u64 size)
{
	vp_svq_as_iommu_unmap(dev->domain, iova, size);
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

/*
 * Attach a paging domain to the function, programmed with the data
 * group's mappings, unless one is attached already.
 */
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
				    "%s: the device may use rings in DMA API memory (a kernel client ran it, or its reset did not complete): no IOMMU domain until a reset completes\n",
				    dev_name(&dev->vdpa.dev));
		return -EBUSY;
	}

	domain = vp_svq_as_iommu_attach(dma_dev);
	if (IS_ERR(domain)) {
		dev_err_ratelimited(dma_dev, "%s: cannot attach an IOMMU domain: %ld\n",
				    dev_name(&dev->vdpa.dev), PTR_ERR(domain));
		return PTR_ERR(domain);
	}
	dev->domain = domain;
	ret = vp_svq_as_domain_load(dev, vp_svq_data_asid(dev), true);
	if (ret) {
		vp_svq_as_domain_load(dev, vp_svq_data_asid(dev), false);
		vp_svq_as_iommu_detach(domain, dma_dev);
		dev->domain = NULL;
	}
	return ret;
}

/*
 * Detach and free the domain. Unless @force (the vDPA device goes), it
 * stays while a user-space client's device may run, while a driver-owned
 * ring is mapped in it, and while the data group has mappings.
 */
static void vp_svq_as_domain_put(struct vp_svq_dev *dev, bool force)
{
	lockdep_assert_held(&dev->as_lock);
	if (!dev->domain)
		return;
	if (!force && (dev->domain_held || dev->drings_mapped ||
		       !vp_svq_as_empty(dev, vp_svq_data_asid(dev))))
		return;
	vp_svq_as_iommu_detach(dev->domain, dev->parent->dev);
	dev->domain = NULL;
	dev->drings_mapped = 0;
}

/* Marks a mapping whose pages the driver holds a reference on. */
static char vp_svq_as_refs_tag;
#define VP_SVQ_AS_REFS		((void *)&vp_svq_as_refs_tag)
/* Pages referenced or released between two chances to reschedule. */
#define VP_SVQ_AS_REF_BATCH	1024

/* Drop the driver's references on the pages behind [@pa, @pa + @size). */
static void vp_svq_as_put_pages(u64 pa, u64 size)
{
	unsigned long pfn, last = PHYS_PFN(pa + size - 1);

	for (pfn = PHYS_PFN(pa); pfn <= last; pfn++) {
		if (pfn_valid(pfn))
			folio_put(page_folio(pfn_to_page(pfn)));
		if (!(pfn % VP_SVQ_AS_REF_BATCH))
			cond_resched();
	}
}

/*
 * Take a reference on every page of memory (pfn_valid) behind [@pa, @pa +
 * @size): the driver touches no other page, since every access checks
 * pfn_valid. A page that takes no reference (free, or the tail of a
 * non-compound allocation) is not client memory.
 */
static int vp_svq_as_get_pages(u64 pa, u64 size)
{
	unsigned long pfn, first = PHYS_PFN(pa), last = PHYS_PFN(pa + size - 1);

	for (pfn = first; pfn <= last; pfn++) {
		if (pfn_valid(pfn) &&
		    !folio_try_get(page_folio(pfn_to_page(pfn))))
			goto err_put_pages;
		if (!(pfn % VP_SVQ_AS_REF_BATCH))
			cond_resched();
	}
	return 0;

err_put_pages:
	if (pfn > first)
		vp_svq_as_put_pages(pa, PFN_PHYS(pfn) - pa);
	return -EFAULT;
}

/*
 * Drop every mapping of @asid that overlaps [@start, @last]: out of the
 * domain if the data group uses it, then the page references, then the
 * record. No access runs meanwhile: each takes &vp_svq_dev.as_lock, or
 * holds page references of its own.
 */
static void vp_svq_as_del(struct vp_svq_dev *dev, u32 asid, u64 start,
			  u64 last)
{
	bool in_domain = dev->domain && asid == vp_svq_data_asid(dev);
	struct vhost_iotlb_map *map;

	while ((map = vhost_iotlb_itree_first(dev->as[asid], start, last))) {
		if (in_domain)
			vp_svq_as_domain_unmap(dev, map->start, map->size);
		if (map->opaque == VP_SVQ_AS_REFS)
			vp_svq_as_put_pages(map->addr, map->size);
		vhost_iotlb_map_free(dev->as[asid], map);
	}
}

/**
 * vp_svq_as_free() - free the address spaces of a vDPA device
 * @dev: the vDPA device; its domain must be released already
 */
void vp_svq_as_free(struct vp_svq_dev *dev)
{
	unsigned int i;

	for (i = 0; i < VP_SVQ_NAS; i++) {
		if (!dev->as[i])
			continue;
		vp_svq_as_del(dev, i, 0, U64_MAX);
		vhost_iotlb_free(dev->as[i]);
	}
	mutex_destroy(&dev->as_lock);
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
 * The driver takes a reference on every page of memory behind the range,
 * dropped when the mapping goes.
 *
 * Return: 0; -EINVAL for a range outside get_iova_range(), -EEXIST for one
 * that overlaps a mapping, -EFAULT for memory that takes no page
 * reference, -EOPNOTSUPP without a usable IOMMU, -EBUSY while the device
 * may use rings in DMA API memory, or -errno from the IOMMU.
 */
int vp_svq_dma_map(struct vdpa_device *vdpa, unsigned int asid, u64 iova,
		   u64 size, u64 pa, u32 perm, void *opaque)
{
	struct vp_svq_dev *dev = vdpa_to_vp_svq(vdpa);
	u64 last = iova + size - 1;
	bool data;
	int ret;

	if (asid >= VP_SVQ_NAS || !vp_svq_as_range_ok(dev, iova, size) ||
	    pa + size - 1 < pa)
		return -EINVAL;

	mutex_lock(&dev->as_lock);
	data = asid == vp_svq_data_asid(dev);
	if (vhost_iotlb_itree_first(dev->as[asid], iova, last)) {
		ret = -EEXIST;
		goto out_unlock;
	}
	if (data) {
		ret = vp_svq_as_domain_get(dev);
		if (ret)
			goto out_unlock;
	}
	ret = vp_svq_as_get_pages(pa, size);
	if (ret)
		goto err_put_domain;
	ret = vhost_iotlb_add_range_ctx(dev->as[asid], iova, last, pa, perm,
					VP_SVQ_AS_REFS);
	if (ret)
		goto err_put_pages;
	if (data) {
		ret = vp_svq_as_domain_map(dev, iova, size, pa, perm);
		if (ret)
			goto err_del_range;
	}
	mutex_unlock(&dev->as_lock);
	return 0;

err_del_range:
	vhost_iotlb_del_range(dev->as[asid], iova, last);
err_put_pages:
	vp_svq_as_put_pages(pa, size);
err_put_domain:
	if (data)
		vp_svq_as_domain_put(dev, false);
out_unlock:
	mutex_unlock(&dev->as_lock);
	dev_err_ratelimited(dev->parent->dev,
			    "%s: mapping asid %u iova 0x%llx size 0x%llx perm %u failed: %d\n",
			    dev_name(&vdpa->dev), asid, iova, size, perm, ret);
	return ret;
}

/**
 * vp_svq_dma_unmap() - vdpa_config_ops.dma_unmap: unmap client memory
 * @vdpa: the vDPA device
 * @asid: address space
 * @iova: first client address
 * @size: bytes
 *
 * Every mapping that overlaps the range goes, with the driver's references
 * on its pages.
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
	vp_svq_as_del(dev, asid, iova, iova + size - 1);
	mutex_unlock(&dev->as_lock);
	return 0;
}

/**
 * vp_svq_reset_map() - vdpa_config_ops.reset_map: drop every mapping
 * @vdpa: the vDPA device
 * @asid: address space
 *
 * The function's IOMMU domain goes with the data group's mappings, unless
 * the device may run (a user-space client's device keeps it until reset)
 * or a driver-owned ring still needs it.
 *
 * Return: 0, or -EINVAL for a bad address space.
 */
int vp_svq_reset_map(struct vdpa_device *vdpa, unsigned int asid)
{
	struct vp_svq_dev *dev = vdpa_to_vp_svq(vdpa);

	if (asid >= VP_SVQ_NAS)
		return -EINVAL;

	mutex_lock(&dev->as_lock);
	vp_svq_as_del(dev, asid, 0, U64_MAX);
	if (asid == vp_svq_data_asid(dev))
		vp_svq_as_domain_put(dev, false);
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
	if (dev->domain)
		ret = vp_svq_as_domain_load(dev, asid, true);
	else if (!vp_svq_as_empty(dev, asid))
		ret = vp_svq_as_domain_get(dev);
	else
		ret = 0;
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
		return ret;
	}
	vp_svq_as_domain_put(dev, false);
	return 0;
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
 * Return: the vDPA device itself for the CVQ (served in software: its DMA
 * API translates for no IOMMU, and the driver reads the addresses back
 * with dma_to_phys()), the function for the data queues.
 */
struct device *vp_svq_get_vq_dma_dev(struct vdpa_device *vdpa, u16 idx)
{
	struct vp_svq_dev *dev = vdpa_to_vp_svq(vdpa);

	return vp_svq_is_cvq(dev, idx) ? &vdpa->dev : dev->parent->dev;
}

/*
 * Is the vDPA device bound to virtio-vdpa, the one kernel client? Its
 * addresses are DMA API addresses: of the function for the data queues,
 * of the vDPA device itself (physical) for the CVQ. Any other client is
 * user space behind vhost-vdpa: its addresses are translated through its
 * mappings, its device runs only through the driver's IOMMU domain, or it
 * could make the device or the driver touch any memory. No bus driver
 * (a client that has not come yet) counts as user space: the strict case.
 */
static bool vp_svq_as_bound_to_virtio_vdpa(struct vp_svq_dev *dev)
{
	struct device_driver *drv = READ_ONCE(dev->vdpa.dev.driver);

	return drv && !strcmp(drv->name, "virtio_vdpa");
}

/**
 * vp_svq_as_start() - the device is about to run (DRIVER_OK)
 * @dev: the vDPA device
 *
 * A user-space client's device runs only through the driver's IOMMU
 * domain, even while the data group's address space is empty: on the
 * function's DMA API domain the client's ring addresses would mean kernel
 * DMA addresses. The domain stays attached until a reset.
 *
 * Return: 0, or -errno when no domain can be attached.
 */
int vp_svq_as_start(struct vp_svq_dev *dev)
{
	int ret;

	if (dev->kernel_client)
		return 0;
	mutex_lock(&dev->as_lock);
	ret = vp_svq_as_domain_get(dev);
	if (!ret)
		dev->domain_held = true;
	mutex_unlock(&dev->as_lock);
	return ret;
}

/**
 * vp_svq_as_check_client() - may this client drive the device? Checked at
 *	FEATURES_OK
 * @dev: the vDPA device
 *
 * A device without VIRTIO_F_ACCESS_PLATFORM bypasses the IOMMU, and a
 * function without a usable IOMMU has nothing to confine the device with:
 * both are for the kernel client only, since a user-space client could
 * point the device's DMA anywhere.
 *
 * Return: 0; -EPERM for a user-space client on a device without
 * ACCESS_PLATFORM, -EOPNOTSUPP for one on a function without an IOMMU.
 */
int vp_svq_as_check_client(struct vp_svq_dev *dev)
{
	if (dev->kernel_client)
		return 0;
	if (!(dev->parent->device_features &
	      BIT_ULL(VIRTIO_F_ACCESS_PLATFORM))) {
		dev_err_ratelimited(dev->parent->dev,
				    "%s: FEATURES_OK refused: the device lacks VIRTIO_F_ACCESS_PLATFORM, so its DMA bypasses the IOMMU; only virtio-vdpa may drive it\n",
				    dev_name(&dev->vdpa.dev));
		return -EPERM;
	}
	if (dev->iommu_why) {
		dev_err_ratelimited(dev->parent->dev,
				    "%s: FEATURES_OK refused: %s; only virtio-vdpa may drive the device\n",
				    dev_name(&dev->vdpa.dev), dev->iommu_why);
		return -EOPNOTSUPP;
	}
	return 0;
}

/**
 * vp_svq_as_own_features() - device features the driver negotiates for
 *	the sake of translation
 * @dev: the vDPA device
 *
 * Return: VIRTIO_F_ACCESS_PLATFORM when the device offers it and a
 * user-space client drives it, whatever the client negotiated: without it
 * the device may bypass the IOMMU.
 */
u64 vp_svq_as_own_features(struct vp_svq_dev *dev)
{
	if (dev->kernel_client)
		return 0;
	return dev->parent->device_features & BIT_ULL(VIRTIO_F_ACCESS_PLATFORM);
}

/**
 * struct vp_svq_parked - a driver-owned ring kept after a reset that did
 *	not complete: the device may still use it
 * @node: in &vp_svq_dev.parked
 * @ring: the ring
 */
struct vp_svq_parked {
	struct list_head node;
	struct vp_svq_dring ring;
};

/* Unmap and free a driver-owned ring. */
static void vp_svq_as_ring_release(struct vp_svq_dev *dev,
				   struct vp_svq_dring *ring)
{
	lockdep_assert_held(&dev->as_lock);
	if (ring->in_domain) {
		if (dev->domain) {
			vp_svq_as_iommu_unmap(dev->domain, ring->addr,
					      ring->size);
			dev->drings_mapped--;
		}
		free_pages_exact(ring->va, ring->size);
	} else {
		dma_free_coherent(dev->parent->dev, ring->size, ring->va,
				  ring->addr);
		dev->drings_dma_api--;
	}
}

/* Free the parked rings: the device no longer uses them. */
static void vp_svq_as_unpark(struct vp_svq_dev *dev)
{
	struct vp_svq_parked *p, *tmp;

	lockdep_assert_held(&dev->as_lock);
	list_for_each_entry_safe(p, tmp, &dev->parked, node) {
		vp_svq_as_ring_release(dev, &p->ring);
		list_del(&p->node);
		kfree(p);
		dev->nparked--;
	}
}

/**
 * vp_svq_as_reset_done() - note how a reset of the device ended
 * @dev: the vDPA device
 * @ret: what vp_svq_hw_reset() returned
 *
 * A device whose reset did not complete may still read and write the
 * rings it was given: the driver-owned rings freed from then on are kept
 * (mapped, allocated) until a reset completes. Then those are freed.
 */
void vp_svq_as_reset_done(struct vp_svq_dev *dev, int ret)
{
	mutex_lock(&dev->as_lock);
	dev->dma_unsafe = ret != 0;
	if (!ret) {
		vp_svq_as_unpark(dev);
		vp_svq_as_domain_put(dev, false);
	}
	mutex_unlock(&dev->as_lock);
}

/**
 * vp_svq_as_reset() - address spaces after a reset of the client's device
 * @dev: the vDPA device, reset, its rings released
 *
 * Every group goes back to address space 0, as at creation (mlx5_vdpa and
 * vdpa_sim do the same): a client that does not bind groups itself finds
 * everything where it maps it. The mappings stay (vhost-vdpa keeps them
 * across a reset); the data group's are programmed into the domain. The
 * domain goes once nothing needs it. Which client drives the device is
 * learnt here: every client resets the device when it comes (virtio-vdpa
 * when it registers its virtio device, vhost-vdpa at open), and the answer
 * must not change while the device runs.
 */
void vp_svq_as_reset(struct vp_svq_dev *dev)
{
	int ret;

	mutex_lock(&dev->as_lock);
	dev->group_asid[VP_SVQ_GROUP_CVQ] = 0;
	if (vp_svq_data_asid(dev)) {
		ret = vp_svq_as_rebind_data(dev, 0);
		if (ret)
			dev_err_ratelimited(dev->parent->dev,
					    "%s: data group kept in address space %u after reset: %d\n",
					    dev_name(&dev->vdpa.dev),
					    vp_svq_data_asid(dev), ret);
	}
	dev->domain_held = false;
	WRITE_ONCE(dev->kernel_client, vp_svq_as_bound_to_virtio_vdpa(dev));
	vp_svq_as_domain_put(dev, false);
	mutex_unlock(&dev->as_lock);
}

/**
 * vp_svq_as_release() - give the function back its DMA API translation
 * @dev: the vDPA device, being deleted; the device must be reset
 *
 * Every mapping goes, with the driver's page references. Rings parked
 * after a reset that did not complete go too; those in DMA API memory are
 * left allocated, since the device may still write there.
 */
void vp_svq_as_release(struct vp_svq_dev *dev)
{
	struct vp_svq_parked *p, *tmp;
	unsigned int i;

	mutex_lock(&dev->as_lock);
	for (i = 0; i < VP_SVQ_NAS; i++)
		vp_svq_as_del(dev, i, 0, U64_MAX);
	if (dev->dma_unsafe) {
		list_for_each_entry_safe(p, tmp, &dev->parked, node) {
			if (p->ring.in_domain)
				continue;
			dev_warn(dev->parent->dev,
				 "%s: the device did not complete its reset: %zu bytes of ring memory at %pad are left allocated\n",
				 dev_name(&dev->vdpa.dev), p->ring.size,
				 &p->ring.addr);
			list_del(&p->node);
			kfree(p);
			dev->nparked--;
			dev->drings_dma_api--;
		}
	}
	vp_svq_as_unpark(dev);
	vp_svq_as_domain_put(dev, true);
	mutex_unlock(&dev->as_lock);
}

/* ---- access to client memory: the shadow CVQ, ring state, shadow rings ---- */

/*
 * A kernel client's addresses are its own: DMA API addresses, not
 * translated through mappings. Only virtio-vdpa is such a client (see
 * vp_svq_as_reset()).
 */
static bool vp_svq_as_identity(struct vp_svq_dev *dev)
{
	return READ_ONCE(dev->kernel_client);
}

/*
 * Physical address behind kernel-client address @addr of @dma_dev, which
 * translates nothing itself. The virtio ring uses the DMA API only with
 * VIRTIO_F_ACCESS_PLATFORM (vring_use_dma_api()); without it, its
 * addresses are physical already.
 */
static phys_addr_t vp_svq_as_kernel_phys(struct vp_svq_dev *dev,
					 struct device *dma_dev, u64 addr)
{
	if (!(dev->driver_features & BIT_ULL(VIRTIO_F_ACCESS_PLATFORM)))
		return addr;
	return dma_to_phys(dma_dev, addr);
}

/* Copy from or to memory at @pa; -EFAULT for a page that is not memory. */
static int vp_svq_as_copy_pa(u64 pa, void *buf, size_t len, bool write)
{
	size_t off, n;
	void *va;

	while (len) {
		off = offset_in_page(pa);
		n = min_t(size_t, len, PAGE_SIZE - off);
		if (!pfn_valid(PHYS_PFN(pa)))
			return -EFAULT;
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
	return 0;
}

/* Copy between @buf and client memory translated by @iotlb. */
static int vp_svq_as_xfer(struct vhost_iotlb *iotlb, u64 addr, void *buf,
			  size_t len, bool write)
{
	u32 need = write ? VHOST_MAP_WO : VHOST_MAP_RO;
	struct vhost_iotlb_map *map;
	size_t n;
	int ret;

	while (len) {
		map = vhost_iotlb_itree_first(iotlb, addr, addr + len - 1);
		if (!map || map->start > addr)
			return -EFAULT;
		if ((map->perm & need) != need)
			return -EPERM;
		n = min_t(u64, len, map->last - addr + 1);
		ret = vp_svq_as_copy_pa(map->addr + (addr - map->start), buf, n,
					write);
		if (ret)
			return ret;
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
	if (vp_svq_as_identity(dev))
		return vp_svq_as_copy_pa(vp_svq_as_kernel_phys(dev,
							       &dev->vdpa.dev,
							       addr),
					 buf, len, write);

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
		/* Page by page: the bus offset may differ past a region. */
		*pa = vp_svq_as_kernel_phys(dev, dev->parent->dev, addr);
		*len = PAGE_SIZE - offset_in_page(addr);
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
		ret = vp_svq_as_copy_pa(pa, buf, n, false);
		if (ret)
			break;
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
	/* No WARN for memory that takes no reference: the client chose it. */
	return folio_try_get(page_folio(*page)) ? 0 : -EFAULT;
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
 * for the largest data ring with its read-only and writable parts on
 * pages of their own: slot 0 is the device's CVQ, slot 1 + n data queue n.
 */
static u64 vp_svq_as_slot_size(struct vp_svq_dev *dev)
{
	u16 num = max_t(u16, dev->parent->data_queue_max, 1);

	return roundup_pow_of_two(PAGE_ALIGN(vp_svq_ring_ro_bytes(num)) +
				  PAGE_ALIGN(vp_svq_ring_rw_bytes(num)));
}

/* Map a ring into the domain: the device only reads the first part. */
static int vp_svq_as_ring_map(struct vp_svq_dev *dev,
			      struct vp_svq_dring *ring)
{
	phys_addr_t pa = virt_to_phys(ring->va);
	int ret;

	ret = vp_svq_as_iommu_map(dev->domain, ring->addr, pa, ring->ro_size,
				  IOMMU_READ | IOMMU_CACHE);
	if (ret)
		return ret;
	ret = vp_svq_as_iommu_map(dev->domain, ring->addr + ring->ro_size,
				  pa + ring->ro_size,
				  ring->size - ring->ro_size,
				  IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE);
	if (ret)
		vp_svq_as_iommu_unmap(dev->domain, ring->addr, ring->ro_size);
	return ret;
}

/**
 * vp_svq_as_ring_alloc() - memory for a ring the driver drives itself
 * @dev: the vDPA device
 * @ring: filled with the kernel address and the device's address
 * @ro_size: bytes the device only reads (descriptors, avail ring, command
 *	buffers), from the start of the ring
 * @rw_size: bytes the device writes (used ring, acks), from
 *	&vp_svq_dring.ro_size on: the first part, rounded up to pages
 * @slot: which ring of the device this is (0 for its CVQ, 1 + n for data
 *	queue n): where it lives in the reserved IOVA window
 *
 * Zeroed, physically contiguous. Through the function's domain when the
 * driver attached one (at the reserved IOVA window, the first part
 * read-only for the device), through the DMA API otherwise.
 *
 * Return: 0, -ENOSPC when the slot is outside the reserved window, or
 * -errno.
 */
int vp_svq_as_ring_alloc(struct vp_svq_dev *dev, struct vp_svq_dring *ring,
			 size_t ro_size, size_t rw_size, unsigned int slot)
{
	struct device *dma_dev = dev->parent->dev;
	u64 stride = vp_svq_as_slot_size(dev);
	size_t size = PAGE_ALIGN(ro_size) + PAGE_ALIGN(rw_size);
	int ret = 0;

	if (size > stride || (slot + 1) * stride > VP_SVQ_IOVA_RESERVED) {
		dev_err_ratelimited(dma_dev, "%s: no room for ring %u (%zu bytes) in the driver's IOVA window\n",
				    dev_name(&dev->vdpa.dev), slot, size);
		return -ENOSPC;
	}
	ring->size = size;
	ring->ro_size = PAGE_ALIGN(ro_size);
	mutex_lock(&dev->as_lock);
	if (dev->domain) {
		ring->va = alloc_pages_exact(ring->size,
					     GFP_KERNEL | __GFP_ZERO);
		if (!ring->va) {
			ret = -ENOMEM;
			goto out_unlock;
		}
		ring->addr = dev->reserved_iova + slot * stride;
		ret = vp_svq_as_ring_map(dev, ring);
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

/* Keep @ring for the device, which may still use it. */
static void vp_svq_as_park(struct vp_svq_dev *dev, struct vp_svq_dring *ring)
{
	struct vp_svq_parked *p;

	lockdep_assert_held(&dev->as_lock);
	dev_warn_ratelimited(dev->parent->dev,
			     "%s: the device did not complete its reset: its ring at %pad is kept until a reset completes\n",
			     dev_name(&dev->vdpa.dev), &ring->addr);
	p = kmalloc(sizeof(*p), GFP_KERNEL);
	/* Without a record the ring is never freed: better than in use. */
	if (!p)
		return;
	p->ring = *ring;
	list_add_tail(&p->node, &dev->parked);
	dev->nparked++;
}

/**
 * vp_svq_as_ring_free() - release a ring from vp_svq_as_ring_alloc()
 * @dev: the vDPA device; the hardware must no longer use the ring, or its
 *	reset did not complete (vp_svq_as_reset_done()): then the ring is
 *	kept until a reset completes
 * @ring: the ring; emptied
 */
void vp_svq_as_ring_free(struct vp_svq_dev *dev, struct vp_svq_dring *ring)
{
	if (!ring->va)
		return;
	mutex_lock(&dev->as_lock);
	if (dev->dma_unsafe) {
		vp_svq_as_park(dev, ring);
	} else {
		vp_svq_as_ring_release(dev, ring);
		/* The client may have dropped its mappings meanwhile. */
		vp_svq_as_domain_put(dev, false);
	}
	ring->va = NULL;
	mutex_unlock(&dev->as_lock);
}
