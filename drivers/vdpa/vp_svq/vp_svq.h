/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vp_svq: vDPA parent driver for virtio-pci functions.
 *
 * Internal interfaces between the layers of the driver:
 *
 *   pci.c       binds the PCI function, maps its registers, owns MSI-X
 *   hw.c        register access beyond the vp_modern_* helpers
 *   irq.c       which vq gets which interrupt vector, and the handlers
 *   vdpa_ops.c  struct vdpa_config_ops
 *   mgmt.c      the vdpa management device and "vdpa dev add/del"
 *
 * Nothing below pci.c knows about struct pci_dev: a struct vp_svq_parent
 * can be built over any struct virtio_pci_modern_device whose register
 * pointers are set (the KUnit device model does exactly that).
 */
#ifndef _VP_SVQ_H
#define _VP_SVQ_H

#include <linux/interrupt.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/vdpa.h>
#include <linux/virtio_pci_modern.h>

struct vp_svq_parent;

/**
 * struct vp_svq_irq_ops - interrupt vectors of the transport
 * @alloc_vectors: allocate exactly @nvec vectors; 0 or -errno
 * @free_vectors: release every vector allocated by @alloc_vectors
 * @request_vector: attach @handler(@data) to vector @vector
 * @free_vector: detach the handler attached with @data from @vector
 * @vector_irq: Linux irq number of @vector, or -errno when the transport
 *	has none that another subsystem may use (irq bypass)
 *
 * The PCI glue implements these over MSI-X; the KUnit device model
 * implements them by remembering the handler and calling it itself.
 */
struct vp_svq_irq_ops {
	int (*alloc_vectors)(struct vp_svq_parent *parent, unsigned int nvec);
	void (*free_vectors)(struct vp_svq_parent *parent);
	int (*request_vector)(struct vp_svq_parent *parent, unsigned int vector,
			      irq_handler_t handler, void *data,
			      const char *name);
	void (*free_vector)(struct vp_svq_parent *parent, unsigned int vector,
			    void *data);
	int (*vector_irq)(struct vp_svq_parent *parent, unsigned int vector);
};

/**
 * struct vp_svq_notify - doorbell of one hardware queue
 * @addr: kernel mapping of the doorbell
 * @pa: physical address of the doorbell, for mapping it into a guest
 */
struct vp_svq_notify {
	void __iomem *addr;
	resource_size_t pa;
};

/**
 * struct vp_svq_parent - one virtio function driven by vp_svq
 * @mdev: register access; its pointers are set up by the transport
 * @dev: the function's device: parent of the vDPA device, DMA device,
 *	and the device that messages are logged against
 * @irq_ops: interrupt vectors of the transport
 * @max_vectors: interrupt vectors the function has (MSI-X table size)
 * @notify: doorbells, one per hardware queue
 * @notify_size: distance between two doorbells in bytes
 * @device_features: features the device offers
 * @supported_features: features vp_svq offers to vDPA devices
 * @num_queues: hardware queues, control queue included
 * @data_queue_max: largest size every data queue accepts
 * @cvq_queue_max: largest size of the control queue, 0 without one
 * @max_vqp: queue pairs of the device (1 without VIRTIO_NET_F_MQ)
 * @mtu: the device's MTU (VIRTIO_NET_F_MTU), else 0
 * @mac: the device's MAC address (VIRTIO_NET_F_MAC), else zero
 * @mgtdev: the vdpa management device registered for this function
 * @lock: protects @vdev; taken by dev_add, dev_del and removal
 * @vdev: the vDPA device created on this function, if any
 */
struct vp_svq_parent {
	struct virtio_pci_modern_device *mdev;
	struct device *dev;
	const struct vp_svq_irq_ops *irq_ops;
	unsigned int max_vectors;
	struct vp_svq_notify *notify;
	u32 notify_size;

	u64 device_features;
	u64 supported_features;
	u16 num_queues;
	u16 data_queue_max;
	u16 cvq_queue_max;
	u16 max_vqp;
	u16 mtu;
	u8 mac[ETH_ALEN];

	struct vdpa_mgmt_dev mgtdev;
	struct mutex lock; /* protects @vdev */
	struct vp_svq_dev *vdev;
};

/**
 * struct vp_svq_vq - one virtqueue as the vDPA client configures it
 * @dev: the vDPA device this queue belongs to
 * @desc_addr: descriptor area (client address space)
 * @driver_addr: driver area (client address space)
 * @device_addr: device area (client address space)
 * @num: queue size
 * @ready: the client enabled the queue
 * @cb: the client's callback; protected by &vp_svq_dev.cb_lock
 * @vector: the interrupt vector used for this queue, or
 *	VIRTIO_MSI_NO_VECTOR
 * @irq_name: name of the interrupt, seen in /proc/interrupts
 */
struct vp_svq_vq {
	struct vp_svq_dev *dev;
	u64 desc_addr;
	u64 driver_addr;
	u64 device_addr;
	u32 num;
	bool ready;
	struct vdpa_callback cb;
	u16 vector;
	char irq_name[32];
};

/**
 * struct vp_svq_dev - a vDPA device created with "vdpa dev add"
 * @vdpa: the vDPA core's device; must stay first (vdpa_alloc_device())
 * @parent: the function this device runs on
 * @nvqs: virtqueues of the device (data queues, plus the CVQ if offered)
 * @max_vqp: queue pairs exposed to the client
 * @mtu: MTU reported in the config space (with VIRTIO_NET_F_MTU)
 * @mac: MAC address reported in the config space (with VIRTIO_NET_F_MAC)
 * @offered_features: features offered to the client
 * @driver_features: features the client negotiated
 * @vqs: the virtqueues, @nvqs of them
 * @config_cb: the client's config-change callback; protected by @cb_lock
 * @config_vector: vector for config changes, or VIRTIO_MSI_NO_VECTOR
 * @nvectors: vectors allocated at DRIVER_OK, 0 when none are
 * @shared_vector: every queue and config changes share vector 0
 * @irq_name: name of the config (or shared) interrupt
 * @cb_lock: protects the callbacks against the interrupt handlers;
 *	taken by set_vq_cb, set_config_cb, reset and the handlers
 */
struct vp_svq_dev {
	struct vdpa_device vdpa;
	struct vp_svq_parent *parent;
	u16 nvqs;
	u16 max_vqp;
	u16 mtu;
	u8 mac[ETH_ALEN];
	u64 offered_features;
	u64 driver_features;
	struct vp_svq_vq *vqs;

	struct vdpa_callback config_cb;
	u16 config_vector;
	unsigned int nvectors;
	bool shared_vector;
	char irq_name[32];
	spinlock_t cb_lock; /* protects the callbacks */
};

static inline struct vp_svq_dev *vdpa_to_vp_svq(struct vdpa_device *vdpa)
{
	return container_of(vdpa, struct vp_svq_dev, vdpa);
}

/* Features that vp_svq never passes to a client. */
#define VP_SVQ_FEATURES_NEVER_OFFERED				\
	(BIT_ULL(VIRTIO_F_RING_RESET) |				\
	 BIT_ULL(VIRTIO_F_NOTIFICATION_DATA) |			\
	 BIT_ULL(VIRTIO_F_NOTIF_CONFIG_DATA) |			\
	 BIT_ULL(VIRTIO_F_SR_IOV) |				\
	 BIT_ULL(VIRTIO_F_ADMIN_VQ))

/* hw.c */
int vp_svq_hw_probe(struct vp_svq_parent *parent);
int vp_svq_hw_reset(struct vp_svq_parent *parent);
void vp_svq_hw_read_config(struct vp_svq_parent *parent, unsigned int offset,
			   void *buf, unsigned int len);
void vp_svq_hw_write_config(struct vp_svq_parent *parent, unsigned int offset,
			    const void *buf, unsigned int len);
u16 vp_svq_hw_cvq_index(u64 features, u16 max_vqp);

/* irq.c */
int vp_svq_irq_setup(struct vp_svq_dev *dev);
void vp_svq_irq_teardown(struct vp_svq_dev *dev);
int vp_svq_irq_of_vq(struct vp_svq_dev *dev, u16 idx);

/* vdpa_ops.c */
extern const struct vdpa_config_ops vp_svq_vdpa_ops;
u16 vp_svq_hw_qid(struct vp_svq_dev *dev, u16 idx);
bool vp_svq_is_cvq(struct vp_svq_dev *dev, u16 idx);

/* mgmt.c */
int vp_svq_mgmt_register(struct vp_svq_parent *parent);
void vp_svq_mgmt_unregister(struct vp_svq_parent *parent);

#endif /* _VP_SVQ_H */
