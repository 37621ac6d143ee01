/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vp_svq: what differs between the vDPA cores the driver builds against.
 *
 * The driver's Makefile (compat.mk) probes the kernel's headers and defines
 * a VP_SVQ_HAVE_* macro for each interface it finds, so that a distribution
 * kernel carrying a backport gets the interface it has, whatever its
 * version number says. This is the only file that tests those macros.
 *
 * VP_SVQ_HAVE_VIRTIO_MAP: the vDPA core describes how a virtqueue's buffers
 * are mapped by a union virtio_map (vdpa_device.vmap, get_vq_map) plus
 * optional map operations given to vdpa_alloc_device(), instead of a bare
 * DMA device (vdpa_device.dma_dev, get_vq_dma_dev). The driver maps through
 * the DMA API of a device in both cases, so it passes no map operations and
 * its get_vq_map reports the device vp_svq_get_vq_dma_dev() names.
 *
 * VP_SVQ_HAVE_KUNIT_GEN_PARAMS_TEST (KUnit suites): a parameterised case's
 * generator gets the test as its first argument.
 */
#ifndef _VP_SVQ_COMPAT_H
#define _VP_SVQ_COMPAT_H

#include "vp_svq.h"

#ifdef VP_SVQ_HAVE_VIRTIO_MAP

static inline union virtio_map vp_svq_get_vq_map(struct vdpa_device *vdpa,
						 u16 idx)
{
	return (union virtio_map){ .dma_dev = vp_svq_get_vq_dma_dev(vdpa, idx) };
}

/* The vdpa_config_ops entry that reports a queue's DMA device. */
#define VP_SVQ_VQ_MAP_OP	.get_vq_map = vp_svq_get_vq_map

/* The DMA device @ops report for queue @idx, through that entry. */
static inline struct device *
vp_svq_ops_vq_dma_dev(const struct vdpa_config_ops *ops,
		      struct vdpa_device *vdpa, u16 idx)
{
	return ops->get_vq_map(vdpa, idx).dma_dev;
}

static inline void vp_svq_vdpa_set_dma_dev(struct vdpa_device *vdpa,
					   struct device *dma_dev)
{
	vdpa->vmap.dma_dev = dma_dev;
}

#define vp_svq_vdpa_alloc_device(dev_struct, member, parent, config,	\
				 ngroups, nas, name, use_va)		\
	vdpa_alloc_device(dev_struct, member, parent, config, NULL,	\
			  ngroups, nas, name, use_va)

#else /* !VP_SVQ_HAVE_VIRTIO_MAP */

#define VP_SVQ_VQ_MAP_OP	.get_vq_dma_dev = vp_svq_get_vq_dma_dev

static inline struct device *
vp_svq_ops_vq_dma_dev(const struct vdpa_config_ops *ops,
		      struct vdpa_device *vdpa, u16 idx)
{
	return ops->get_vq_dma_dev(vdpa, idx);
}

static inline void vp_svq_vdpa_set_dma_dev(struct vdpa_device *vdpa,
					   struct device *dma_dev)
{
	vdpa->dma_dev = dma_dev;
}

#define vp_svq_vdpa_alloc_device(dev_struct, member, parent, config,	\
				 ngroups, nas, name, use_va)		\
	vdpa_alloc_device(dev_struct, member, parent, config,		\
			  ngroups, nas, name, use_va)

#endif /* VP_SVQ_HAVE_VIRTIO_MAP */

/* Declares a KUnit parameter generator @name(prev, desc). */
#ifdef VP_SVQ_HAVE_KUNIT_GEN_PARAMS_TEST
#define VP_SVQ_KUNIT_GEN_PARAMS(name)					\
	const void *(name)(struct kunit *test, const void *prev, char *desc)
#else
#define VP_SVQ_KUNIT_GEN_PARAMS(name)					\
	const void *(name)(const void *prev, char *desc)
#endif

#endif /* _VP_SVQ_COMPAT_H */
