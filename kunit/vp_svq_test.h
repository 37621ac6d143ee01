/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vp_svq KUnit: what the suites share. A test environment is one device
 * model with a vp_svq parent probed on it and its management device
 * registered; vDPA devices are added and deleted over netlink.
 */
#ifndef _VP_SVQ_TEST_H
#define _VP_SVQ_TEST_H

#include <kunit/test.h>
#include <linux/virtio.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "vp_svq_model.h"

/**
 * struct vpt_nl - a generic netlink socket speaking to the vdpa family
 * @sock: the socket
 * @file: its file (netlink admin checks look at the file's credentials)
 * @family: the vdpa family's id
 * @seq: last sequence number used
 */
struct vpt_nl {
	struct socket *sock;
	struct file *file;
	u16 family;
	u32 seq;
};

/**
 * struct vpt_add_attrs - optional attributes of "vdpa dev add"
 * @has_mac: send @mac
 * @mac: VDPA_ATTR_DEV_NET_CFG_MACADDR
 * @mtu: VDPA_ATTR_DEV_NET_CFG_MTU, when not 0
 * @max_vqp: VDPA_ATTR_DEV_NET_CFG_MAX_VQP, when not 0
 * @has_features: send @features
 * @features: VDPA_ATTR_DEV_FEATURES
 */
struct vpt_add_attrs {
	bool has_mac;
	u8 mac[ETH_ALEN];
	u16 mtu;
	u16 max_vqp;
	bool has_features;
	u64 features;
};

int vpt_nl_open(struct vpt_nl *nl);
void vpt_nl_close(struct vpt_nl *nl);
int vpt_nl_dev_add(struct vpt_nl *nl, const char *mgmtdev, const char *name,
		   const struct vpt_add_attrs *attrs);
int vpt_nl_dev_del(struct vpt_nl *nl, const char *name);

struct vpt_iommu;

/**
 * struct vpt_env - a model, a vp_svq parent on it, a netlink socket
 * @test: the test
 * @dev: the kunit device the parent hangs off
 * @m: the model
 * @parent: the vp_svq parent
 * @registered: the management device is registered
 * @nl: netlink socket for dev add / dev del
 * @name: name of the vDPA device vpt_add() creates
 * @no_iommu: set before vpt_add(): the function has no IOMMU (UML's truth)
 * @iommu_strict: while the driver's domain is attached, the model reaches
 *	only what the driver mapped there; else (the default, for tests whose
 *	clients give physical addresses) an address the domain does not map
 *	is taken as physical
 * @iommu: the IOMMU stand-in's domain while the driver has one attached
 * @iommu_attaches: domains the driver attached
 * @iommu_detaches: domains the driver detached
 */
struct vpt_env {
	struct kunit *test;
	struct device *dev;
	struct vpm *m;
	struct vp_svq_parent *parent;
	bool registered;
	struct vpt_nl nl;
	char name[16];
	bool no_iommu;
	bool iommu_strict;
	struct vpt_iommu *iommu;
	unsigned int iommu_attaches;
	unsigned int iommu_detaches;
};

/* Last IOVA of the IOMMU stand-in: 48 bits, as VT-d's 4-level tables. */
#define VPT_IOMMU_LAST	(BIT_ULL(48) - 1)

int vpt_iommu_perm(struct vpt_env *e, u64 iova, u64 len);

int vpt_env_probe(struct kunit *test, struct vpt_env *e,
		  const struct vpm_config *cfg);
struct vpt_env *vpt_env_new(struct kunit *test, const struct vpm_config *cfg);
int vpt_add(struct vpt_env *e, const struct vpt_add_attrs *attrs);
int vpt_del(struct vpt_env *e);
struct vdpa_device *vpt_vdpa(struct vpt_env *e);
void vpt_detach_client(struct vpt_env *e);
int vpt_attach_driver(struct vpt_env *e, const char *drv);
void *vpt_client_mem(struct kunit *test, size_t size);

/* The test virtio driver (bound through virtio_vdpa): up to 8 pairs. */
#define VPT_MAX_VQP	8
#define VPT_MAX_VQS	(2 * VPT_MAX_VQP + 1)

/**
 * struct vpt_client - the kernel virtio driver the data suites drive
 * @vdev: the virtio device, once probed
 * @vqs: its virtqueues, NULL where not set up
 * @nvqs: entries of @vqs
 * @pairs: queue pairs set up
 * @cvq: index of the control queue, or -1
 * @done: one per queue, completed by its callback
 * @calls: callbacks seen per queue
 * @probed: completed by probe
 */
struct vpt_client {
	struct virtio_device *vdev;
	struct virtqueue *vqs[VPT_MAX_VQS];
	unsigned int nvqs;
	unsigned int pairs;
	int cvq;
	struct completion done[VPT_MAX_VQS];
	atomic_t calls[VPT_MAX_VQS];
	struct completion probed;
};

int vpt_client_register(void);
void vpt_client_unregister(void);
struct vpt_client *vpt_client_bind(struct vpt_env *e);
void vpt_client_unbind(struct vpt_env *e);
int vpt_client_cvq(struct vpt_client *c, const void *cmd, size_t len, u8 *ack);

/* The CVQ and every feature that needs it: left out by clients without one. */
#define VPT_CVQ_FEATURES	(BIT_ULL(VIRTIO_NET_F_CTRL_VQ) |	\
				 BIT_ULL(VIRTIO_NET_F_CTRL_RX) |	\
				 BIT_ULL(VIRTIO_NET_F_CTRL_VLAN) |	\
				 BIT_ULL(VIRTIO_NET_F_CTRL_MAC_ADDR) |	\
				 BIT_ULL(VIRTIO_NET_F_CTRL_RX_EXTRA) |	\
				 BIT_ULL(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) | \
				 BIT_ULL(VIRTIO_NET_F_MQ) |		\
				 BIT_ULL(VIRTIO_NET_F_RSS) |		\
				 BIT_ULL(VIRTIO_NET_F_HASH_REPORT) |	\
				 BIT_ULL(VIRTIO_NET_F_GUEST_ANNOUNCE))

/* Left out by the ring-shadow clients: no CVQ, one RX buffer per frame. */
#define VPT_SHADOW_FEATURES_OFF	(VPT_CVQ_FEATURES |			\
				 BIT_ULL(VIRTIO_NET_F_MRG_RXBUF))

/* Bytes of a mark of vpt_log_mark(). */
#define VPT_LOG_MARK	64

void vpt_log_mark(struct kunit *test, char *mark);
unsigned int vpt_log_count(const char *mark, const char *needle);

/* Fill split ring descriptor @d, as a client writes it (little endian). */
static inline void vpt_set_desc(struct vring_desc *d, u64 addr, u32 len,
				u16 flags, u16 next)
{
	d->addr = __cpu_to_virtio64(true, addr);
	d->len = __cpu_to_virtio32(true, len);
	d->flags = __cpu_to_virtio16(true, flags);
	d->next = __cpu_to_virtio16(true, next);
}

#ifdef CONFIG_GCOV
/*
 * UML's CONFIG_GCOV links libgcov into the binary. Its exit handler lands
 * in .fini_array.00100 (gcc 7 and later), which UML's linker script does
 * not collect, so the .gcda files are never written at exit: the last test
 * dumps them itself.
 */
void __gcov_dump(void);
#endif

#endif /* _VP_SVQ_TEST_H */
