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
 *   as.c        virtqueue groups, address spaces, the IOMMU domain
 *   cvq.c       the shadow CVQ and the device's own CVQ
 *   net_state.c the CVQ commands understood and the net state they set
 *   state.c     suspend, resume and ring state: through the device's
 *               facilities (SUSPEND, the device-state capability), or
 *               on a plain device by queue resets and the client's ring
 *   shadow.c    ring shadow mode of data queues: the device runs a ring
 *               the driver owns, filled from the client's
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
#include <linux/virtio_ring.h>
#include <linux/workqueue.h>

#include <vp_svq/device_state.h>

#include "net_state.h"

/* Virtqueue groups and address spaces of a vDPA device. */
#define VP_SVQ_GROUP_DATA	0
#define VP_SVQ_GROUP_CVQ	1
#define VP_SVQ_NGROUPS		2
#define VP_SVQ_NAS		2

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
 * @state: the device-state capability, NULL when the device has none
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
	struct vp_svq_device_state __iomem *state;

	struct vdpa_mgmt_dev mgtdev;
	struct mutex lock; /* protects @vdev */
	struct vp_svq_dev *vdev;
};

/**
 * struct vp_svq_kmap - client memory mapped into the kernel
 * @va: kernel address of the first byte asked for
 * @pages: the pages behind it
 * @npages: entries in @pages
 * @refs: the map holds a reference on each page
 */
struct vp_svq_kmap {
	void *va;
	struct page **pages;
	unsigned int npages;
	bool refs;
};

/**
 * struct vp_svq_dring - memory for a ring the driver drives itself
 * @va: kernel address
 * @addr: the device's address (IOVA in the function's domain, or DMA API)
 * @size: bytes
 * @ro_size: bytes from the start that the device only reads; the rest,
 *	from this page boundary on, it writes
 * @in_domain: @addr is in the reserved window of the function's domain
 */
struct vp_svq_dring {
	void *va;
	dma_addr_t addr;
	size_t size;
	size_t ro_size;
	bool in_domain;
};

/*
 * A split ring of @num entries the driver owns, as the device sees it:
 * the part it only reads (descriptor table, then the avail ring with the
 * used event) and the part it writes (the used ring with the avail event).
 */
static inline size_t vp_svq_ring_ro_bytes(unsigned int num)
{
	return num * sizeof(struct vring_desc) +
	       struct_size_t(struct vring_avail, ring, num) + sizeof(__virtio16);
}

static inline size_t vp_svq_ring_rw_bytes(unsigned int num)
{
	return struct_size_t(struct vring_used, ring, num) + sizeof(__virtio16);
}

/* Why a data queue runs in ring shadow mode (shadow.c). */
enum vp_svq_shadow_why {
	VP_SVQ_SHADOW_NONE,	/* passthrough: the device runs the client's ring */
	VP_SVQ_SHADOW_FORCED,	/* module parameter force_shadow */
	VP_SVQ_SHADOW_RESTORED,	/* set_vq_state at a non-initial index */
	VP_SVQ_SHADOW_RESUMED,	/* resumed after a suspend by queue reset */
};

/**
 * struct vp_svq_shadow_stage - one descriptor of a chain being checked
 * @desc: the descriptor as the client's table held it
 * @slot: its index in the table
 */
struct vp_svq_shadow_stage {
	struct vring_desc desc;
	u16 slot;
};

/**
 * struct vp_svq_shadow - ring shadow mode of one data queue
 * @lock: protects everything below; taken by the kick path, the queue's
 *	interrupt handler, and start/stop
 * @why: why the queue is shadowed; VP_SVQ_SHADOW_NONE when it is not
 * @broken: the client's or the device's ring broke the rules: nothing is
 *	forwarded until the next reset
 * @client: the client's ring, mapped (desc, avail, used areas)
 * @cmap: the three mappings behind @client
 * @ring: the ring the device runs, in @dring
 * @dring: memory of @ring
 * @last_avail: next index of the client's avail ring to forward
 * @used_idx: next index of the client's used ring to write
 * @avail_idx: next index of the device's avail ring
 * @last_used: next index of the device's used ring to read
 * @avail: chains forwarded to the device
 * @used: used entries written back to the client
 * @descs: descriptors read from the client's table to be copied
 * @stage: the chain being checked, a ring size of entries; it reaches the
 *	device's table only whole and valid
 */
struct vp_svq_shadow {
	spinlock_t lock; /* protects the fields below */
	enum vp_svq_shadow_why why;
	bool broken;
	struct vring client;
	struct vp_svq_kmap cmap[3];
	struct vring ring;
	struct vp_svq_dring dring;
	u16 last_avail;
	u16 used_idx;
	u16 avail_idx;
	u16 last_used;
	u64 avail;
	u64 used;
	u64 descs;
	struct vp_svq_shadow_stage *stage;
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
 * @kicks: kicks that reached the driver
 * @irqs: interrupts the driver handled for this queue
 * @irq_pending: an interrupt came while interrupts were held; protected
 *	by &vp_svq_dev.cb_lock
 * @state: ring state set by the client (set_vq_state)
 * @state_set: @state holds what the client set; else the initial state
 * @last: where the ring stood when the device was last reset while it ran
 * @last_kind: whether @last is known, lost, or there is none (the ring did
 *	not run before the last reset)
 * @stopped: the driver reset the queue in the device (suspend of a plain
 *	device, or its state was read while it ran): it runs again only at
 *	resume, in shadow mode
 * @stopping: being stopped by the driver (suspend or state read)
 * @base: where a @stopped queue stands: the client's used index (buffers
 *	the device took but did not use are offered again)
 * @shadow: ring shadow mode
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
	atomic64_t kicks;
	atomic64_t irqs;
	bool irq_pending;
	struct vdpa_vq_state state;
	bool state_set;
	struct vdpa_vq_state last;
	enum vp_svq_last {
		VP_SVQ_LAST_NONE,
		VP_SVQ_LAST_KNOWN,
		VP_SVQ_LAST_LOST,
	} last_kind;
	bool stopped;
	bool stopping;
	u16 base;
	struct vp_svq_shadow shadow;
	u16 vector;
	char irq_name[32];
};

/* Commands the shadow CVQ keeps in flight to the device, at most. */
#define VP_SVQ_CVQ_BATCH	16

/**
 * struct vp_svq_cvq_req - one client request, as found in its descriptors
 * @head: its descriptor chain
 * @len: command bytes gathered in &vp_svq_cvq.cmd
 * @ack_addr: client address of the ack byte
 * @has_ack: the request has a writable buffer for the ack
 * @why: why it is dropped unanswered, or NULL
 * @slot: its slot on the device's CVQ, or -1 when not sent there
 * @ack: the ack it gets when not sent
 */
struct vp_svq_cvq_req {
	u16 head;
	size_t len;
	u64 ack_addr;
	bool has_ack;
	const char *why;
	int slot;
	u8 ack;
};

/**
 * struct vp_svq_cvq - the shadow CVQ and the device's own CVQ
 * @work: serves the client's CVQ
 * @lock: protects everything below; taken by @work, start, stop, replay
 *	and the statistics
 * @idx: the client's index of its CVQ
 * @running: the client's CVQ is served
 * @paused: serving is paused (suspend); the position is kept
 * @broken: the client's ring is unusable; nothing is served until reset
 * @last_avail: next entry of the client's avail ring
 * @used_idx: next index of the client's used ring
 * @cmd: the command being relayed
 * @state: net state the client set through the CVQ
 * @received: requests taken from the client's ring
 * @completed: requests acked VIRTIO_NET_OK
 * @failed: requests acked VIRTIO_NET_ERR or dropped
 * @pending: requests taken from the client's ring, answered once the
 *	device acked the commands in flight
 * @hw: the ring of the device's CVQ
 * @hw_qid: the device's index of its CVQ
 * @hw_num: entries of the device's CVQ ring
 * @hw_slots: commands that can be in flight, @hw_num / 2
 * @hw_avail: avail index of the device's CVQ, up to the commands flushed
 * @hw_inflight: commands posted since the last flush, in slots from 0
 * @hw_cmd_off: where the next command's bytes go in the ring's pages
 * @hw_slot_off: where each slot's command is
 * @hw_slot_len: its length
 * @hw_broken: the device did not answer in time; no command is sent
 */
struct vp_svq_cvq {
	struct work_struct work;
	struct mutex lock; /* protects the fields below */
	u16 idx;
	bool running;
	bool paused;
	bool broken;
	u16 last_avail;
	u16 used_idx;
	u8 cmd[VP_SVQ_CVQ_CMD_MAX];
	struct vp_svq_net_state state;
	u64 received;
	u64 completed;
	u64 failed;

	struct vp_svq_cvq_req pending[VP_SVQ_CVQ_BATCH];

	struct vp_svq_dring hw;
	u16 hw_qid;
	u16 hw_num;
	u16 hw_slots;
	u16 hw_avail;
	u16 hw_inflight;
	u16 hw_cmd_off;
	u16 hw_slot_off[VP_SVQ_CVQ_BATCH];
	u16 hw_slot_len[VP_SVQ_CVQ_BATCH];
	bool hw_broken;
};

/**
 * struct vp_svq_dev - a vDPA device created with "vdpa dev add"
 * @vdpa: the vDPA core's device; must stay first (vdpa_alloc_device())
 * @parent: the function this device runs on
 * @nvqs: virtqueues of the device (data queues, plus the CVQ if offered)
 * @max_vqp: queue pairs exposed to the client
 * @mtu: MTU reported in the config space (with VIRTIO_NET_F_MTU)
 * @mac: the MAC address a reset device uses (with VIRTIO_NET_F_MAC): the
 *	one given at "vdpa dev add", else the last one a client wrote into
 *	the config space before FEATURES_OK, else the device's
 * @mac_provisioned: @mac differs from the device's: the driver programs it
 *	through the device's CVQ
 * @mac_admin: @mac was given at "vdpa dev add": a client's config write
 *	does not change it
 * @offered_features: features offered to the client
 * @driver_features: features the client negotiated
 * @hw_features: features written to the device: the client's, plus those
 *	the driver needs itself (CTRL_VQ and CTRL_MAC_ADDR to provision a MAC)
 * @vqs: the virtqueues, @nvqs of them
 * @config_cb: the client's config-change callback; protected by @cb_lock
 * @config_vector: vector for config changes, or VIRTIO_MSI_NO_VECTOR
 * @nvectors: vectors allocated at DRIVER_OK, 0 when none are
 * @shared_vector: every queue and config changes share vector 0
 * @irq_name: name of the config (or shared) interrupt
 * @config_mac: the MAC the config space shows; protected by @cb_lock
 * @cb_lock: protects the callbacks against the interrupt handlers;
 *	taken by set_vq_cb, set_config_cb, reset and the handlers; also
 *	protects @config_mac (get_config, the shadow CVQ), @irq_held,
 *	@config_pending and &vp_svq_vq.irq_pending
 * @irq_held: interrupts are held, not delivered (while suspended)
 * @config_pending: a config change came while interrupts were held
 * @suspended: suspend() succeeded and neither resume() nor reset came
 * @queues_reset: suspended by resetting the data queues (plain device)
 * @force_shadow: force_shadow as it was at the last creation or reset
 * @config_gen: changes of the MAC the config space shows; protected by
 *	@cb_lock
 * @as: the mappings of each address space
 * @group_asid: the address space of each group
 * @domain: IOMMU domain of the function while a client maps memory
 * @iova_range: what clients may map
 * @reserved_iova: first IOVA of the window for driver-owned rings
 * @iommu_why: why client memory cannot be mapped, NULL if it can
 * @drings_mapped: driver-owned rings mapped in @domain: it stays attached
 * @drings_dma_api: driver-owned rings in DMA API memory: no @domain may be
 *	attached until they are freed
 * @domain_held: a user-space client's device may run: @domain stays
 *	attached until reset
 * @kernel_client: the client is virtio-vdpa (its addresses are DMA API
 *	addresses); learnt at each reset, read without the lock
 * @dma_unsafe: the last reset of the device did not complete: it may
 *	still use its rings, which are parked instead of freed
 * @parked: driver-owned rings kept for a device whose reset did not
 *	complete (struct vp_svq_parked)
 * @nparked: entries of @parked
 * @as_lock: protects @as, @group_asid, @domain and the fields above from
 *	@drings_mapped on; taken by the map ops, set_group_asid, the shadow
 *	CVQ's memory accesses, ring allocation and reset
 * @cvq: the shadow CVQ
 */
struct vp_svq_dev {
	struct vdpa_device vdpa;
	struct vp_svq_parent *parent;
	u16 nvqs;
	u16 max_vqp;
	u16 mtu;
	u8 mac[ETH_ALEN];
	bool mac_provisioned;
	bool mac_admin;
	u64 offered_features;
	u64 driver_features;
	u64 hw_features;
	struct vp_svq_vq *vqs;

	struct vdpa_callback config_cb;
	u8 config_mac[ETH_ALEN];
	u16 config_vector;
	unsigned int nvectors;
	bool shared_vector;
	char irq_name[32];
	spinlock_t cb_lock; /* protects the callbacks */
	bool irq_held;
	bool config_pending;
	bool suspended;
	bool queues_reset;
	bool force_shadow;
	u32 config_gen;

	struct vhost_iotlb *as[VP_SVQ_NAS];
	u32 group_asid[VP_SVQ_NGROUPS];
	struct iommu_domain *domain;
	struct vdpa_iova_range iova_range;
	u64 reserved_iova;
	const char *iommu_why;
	unsigned int drings_mapped;
	unsigned int drings_dma_api;
	bool domain_held;
	bool kernel_client;
	bool dma_unsafe;
	struct list_head parked;
	unsigned int nparked;
	struct mutex as_lock; /* protects the address spaces */

	struct vp_svq_cvq cvq;
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
	 BIT_ULL(VIRTIO_F_ADMIN_VQ) |				\
	 BIT_ULL(VIRTIO_F_SUSPEND) |				\
	 VP_SVQ_CVQ_UNRELAYED_FEATURES)

/* Negotiated by the driver for itself when the device offers them. */
#define VP_SVQ_FEATURES_OWN					\
	(BIT_ULL(VIRTIO_F_SUSPEND) | BIT_ULL(VIRTIO_F_RING_RESET))

/*
 * Offered by default: what lets QEMU shadow the CVQ (its SVQ-valid set:
 * no transport feature but VERSION_1, ACCESS_PLATFORM and EVENT_IDX).
 * "vdpa dev add ... device_features" may offer more.
 */
#define VP_SVQ_DEFAULT_FEATURES					\
	(BIT_ULL(VIRTIO_NET_F_CSUM) |				\
	 BIT_ULL(VIRTIO_NET_F_GUEST_CSUM) |			\
	 BIT_ULL(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) |		\
	 BIT_ULL(VIRTIO_NET_F_MTU) |				\
	 BIT_ULL(VIRTIO_NET_F_MAC) |				\
	 BIT_ULL(VIRTIO_NET_F_GUEST_TSO4) |			\
	 BIT_ULL(VIRTIO_NET_F_GUEST_TSO6) |			\
	 BIT_ULL(VIRTIO_NET_F_GUEST_ECN) |			\
	 BIT_ULL(VIRTIO_NET_F_GUEST_UFO) |			\
	 BIT_ULL(VIRTIO_NET_F_HOST_TSO4) |			\
	 BIT_ULL(VIRTIO_NET_F_HOST_TSO6) |			\
	 BIT_ULL(VIRTIO_NET_F_HOST_ECN) |			\
	 BIT_ULL(VIRTIO_NET_F_HOST_UFO) |			\
	 BIT_ULL(VIRTIO_NET_F_MRG_RXBUF) |			\
	 BIT_ULL(VIRTIO_NET_F_STATUS) |				\
	 BIT_ULL(VIRTIO_NET_F_CTRL_VQ) |			\
	 BIT_ULL(VIRTIO_NET_F_CTRL_RX) |			\
	 BIT_ULL(VIRTIO_NET_F_CTRL_VLAN) |			\
	 BIT_ULL(VIRTIO_NET_F_CTRL_RX_EXTRA) |			\
	 BIT_ULL(VIRTIO_NET_F_MQ) |				\
	 BIT_ULL(VIRTIO_F_ANY_LAYOUT) |				\
	 BIT_ULL(VIRTIO_NET_F_CTRL_MAC_ADDR) |			\
	 BIT_ULL(VIRTIO_NET_F_HASH_REPORT) |			\
	 BIT_ULL(VIRTIO_NET_F_RSS) |				\
	 BIT_ULL(VIRTIO_NET_F_RSC_EXT) |			\
	 BIT_ULL(VIRTIO_NET_F_STANDBY) |			\
	 BIT_ULL(VIRTIO_NET_F_SPEED_DUPLEX) |			\
	 BIT_ULL(VIRTIO_F_VERSION_1) |				\
	 BIT_ULL(VIRTIO_F_ACCESS_PLATFORM) |			\
	 BIT_ULL(VIRTIO_RING_F_EVENT_IDX))

/* hw.c */

/**
 * struct vp_svq_poll - one wait for the device, in vp_svq_poll_timeout()
 * @spin_end: until then, look again without sleeping
 * @end: the device is late from then on
 * @sleep_us: the next sleep between looks
 */
struct vp_svq_poll {
	ktime_t spin_end;
	ktime_t end;
	unsigned int sleep_us;
};

void vp_svq_poll_start(struct vp_svq_poll *p, u64 timeout_us);
bool vp_svq_poll_wait(struct vp_svq_poll *p);

/**
 * vp_svq_poll_timeout() - read_poll_timeout() that looks often at first
 * @op: read the device, called with @args
 * @val: receives what @op returns
 * @cond: stop once true (may use @val)
 * @timeout_us: how long the device may take
 * @args: arguments of @op
 *
 * See vp_svq_poll_wait() for when it looks. May sleep.
 *
 * Return: 0, or -ETIMEDOUT with @val as last read.
 */
#define vp_svq_poll_timeout(op, val, cond, timeout_us, args...)	\
({									\
	struct vp_svq_poll __poll;					\
	int __ret = -ETIMEDOUT;						\
	bool __late = false;						\
									\
	vp_svq_poll_start(&__poll, timeout_us);				\
	for (;;) {							\
		(val) = op(args);					\
		if (cond) {						\
			__ret = 0;					\
			break;						\
		}							\
		/* One more look once late: the wait may have slept. */	\
		if (__late)						\
			break;						\
		__late = !vp_svq_poll_wait(&__poll);			\
	}								\
	__ret;								\
})

int vp_svq_hw_probe(struct vp_svq_parent *parent);
int vp_svq_hw_reset(struct vp_svq_parent *parent);
int vp_svq_hw_queue_reset(struct vp_svq_parent *parent, u16 qid);
void vp_svq_hw_read_config(struct vp_svq_parent *parent, unsigned int offset,
			   void *buf, unsigned int len);
u16 vp_svq_hw_cvq_index(u64 features, u16 max_vqp);

/* irq.c */
int vp_svq_irq_setup(struct vp_svq_dev *dev);
void vp_svq_irq_teardown(struct vp_svq_dev *dev);
int vp_svq_irq_of_vq(struct vp_svq_dev *dev, u16 idx);
void vp_svq_irq_hold(struct vp_svq_dev *dev, bool hold);
void vp_svq_irq_deliver(struct vp_svq_dev *dev, u16 idx);

/* vdpa_ops.c */
extern const struct vdpa_config_ops vp_svq_vdpa_ops;
bool vp_svq_is_cvq(struct vp_svq_dev *dev, u16 idx);
bool vp_svq_data_vq_valid(struct vp_svq_dev *dev, u16 idx);
bool vp_svq_vq_in_hw(struct vp_svq_dev *dev, u16 idx);
bool vp_svq_driver_ok(struct vp_svq_dev *dev);
int vp_svq_put_stat(struct sk_buff *msg, const char *name, u64 val);
int vp_svq_vq_start_late(struct vp_svq_dev *dev, u16 idx);
int vp_svq_restart_device(struct vp_svq_dev *dev);

/* as.c */
int vp_svq_as_init(struct vp_svq_dev *dev);
void vp_svq_as_release(struct vp_svq_dev *dev);
void vp_svq_as_free(struct vp_svq_dev *dev);
int vp_svq_as_access(struct vp_svq_dev *dev, u64 addr, void *buf, size_t len,
		     bool write);
int vp_svq_as_read_data(struct vp_svq_dev *dev, u64 addr, void *buf,
			size_t len);
int vp_svq_as_ring_alloc(struct vp_svq_dev *dev, struct vp_svq_dring *ring,
			 size_t ro_size, size_t rw_size, unsigned int slot);
int vp_svq_as_kmap_data(struct vp_svq_dev *dev, u64 addr, size_t len,
			bool write, struct vp_svq_kmap *map);
void vp_svq_as_kunmap(struct vp_svq_kmap *map);
void vp_svq_as_ring_free(struct vp_svq_dev *dev, struct vp_svq_dring *ring);
int vp_svq_dma_map(struct vdpa_device *vdpa, unsigned int asid, u64 iova,
		   u64 size, u64 pa, u32 perm, void *opaque);
int vp_svq_dma_unmap(struct vdpa_device *vdpa, unsigned int asid, u64 iova,
		     u64 size);
int vp_svq_reset_map(struct vdpa_device *vdpa, unsigned int asid);
int vp_svq_set_group_asid(struct vdpa_device *vdpa, unsigned int group,
			  unsigned int asid);
struct vdpa_iova_range vp_svq_get_iova_range(struct vdpa_device *vdpa);
struct device *vp_svq_get_vq_dma_dev(struct vdpa_device *vdpa, u16 idx);
int vp_svq_as_start(struct vp_svq_dev *dev);
int vp_svq_as_check_client(struct vp_svq_dev *dev);
u64 vp_svq_as_own_features(struct vp_svq_dev *dev);
void vp_svq_as_reset_done(struct vp_svq_dev *dev, int ret);
void vp_svq_as_reset(struct vp_svq_dev *dev);
const char *vp_svq_as_iommu_probe(struct device *dma_dev, u64 *first,
				  u64 *last);
struct iommu_domain *vp_svq_as_iommu_attach(struct device *dma_dev);
int vp_svq_as_iommu_detach(struct iommu_domain *domain, struct device *dma_dev);
int vp_svq_as_iommu_map(struct iommu_domain *domain, u64 iova, phys_addr_t pa,
			size_t size, int prot);
size_t vp_svq_as_iommu_unmap(struct iommu_domain *domain, u64 iova,
			     size_t size);

/* cvq.c */
void vp_svq_cvq_init(struct vp_svq_dev *dev);
void vp_svq_cvq_reset_state(struct vp_svq_dev *dev);
int vp_svq_cvq_start(struct vp_svq_dev *dev);
void vp_svq_cvq_stop(struct vp_svq_dev *dev);
void vp_svq_cvq_kick(struct vp_svq_dev *dev);
void vp_svq_cvq_pause(struct vp_svq_dev *dev);
void vp_svq_cvq_unpause(struct vp_svq_dev *dev);
u16 vp_svq_cvq_position(struct vp_svq_dev *dev);
void vp_svq_cvq_set_position(struct vp_svq_dev *dev, u16 avail);
int vp_svq_cvq_replay(struct vp_svq_dev *dev);
int vp_svq_cvq_stats(struct vp_svq_dev *dev, struct sk_buff *msg);
int vp_svq_hwcvq_start(struct vp_svq_dev *dev, u16 qid);
void vp_svq_hwcvq_stop(struct vp_svq_dev *dev);
int vp_svq_hwcvq_send(void *ctx, const void *cmd, size_t len);

/* state.c */
void vp_svq_state_probe(struct vp_svq_parent *parent);
ssize_t vp_svq_state_facilities(struct vp_svq_parent *parent, char *buf);
bool vp_svq_state_can_suspend(struct vp_svq_dev *dev);
int vp_svq_state_hold_queue(struct vp_svq_dev *dev, u16 qid);
int vp_svq_state_park_queue(struct vp_svq_dev *dev, u16 qid);
void vp_svq_state_write(struct vp_svq_dev *dev, u16 qid,
			const struct vdpa_vq_state *state);
void vp_svq_state_save_before_reset(struct vp_svq_dev *dev);
void vp_svq_state_save_after_reset(struct vp_svq_dev *dev);
void vp_svq_state_forget(struct vp_svq_dev *dev);
int vp_svq_suspend(struct vdpa_device *vdpa);
int vp_svq_resume(struct vdpa_device *vdpa);
int vp_svq_set_vq_state(struct vdpa_device *vdpa, u16 idx,
			const struct vdpa_vq_state *state);
int vp_svq_get_vq_state(struct vdpa_device *vdpa, u16 idx,
			struct vdpa_vq_state *state);

/* shadow.c */
void vp_svq_shadow_init(struct vp_svq_vq *vq);
int vp_svq_shadow_setup(struct vp_svq_dev *dev, u16 idx);
int vp_svq_shadow_start(struct vp_svq_dev *dev, u16 idx, u16 base,
			enum vp_svq_shadow_why why);
void vp_svq_shadow_stop(struct vp_svq_dev *dev, u16 idx);
bool vp_svq_shadow_active(struct vp_svq_vq *vq);
void vp_svq_shadow_latch_forced(struct vp_svq_dev *dev);
void vp_svq_shadow_kick(struct vp_svq_dev *dev, u16 idx);
bool vp_svq_shadow_interrupt(struct vp_svq_vq *vq);
void vp_svq_shadow_stop_all(struct vp_svq_dev *dev);
void vp_svq_shadow_kick_all(struct vp_svq_dev *dev);
bool vp_svq_shadow_possible(struct vp_svq_dev *dev);
bool vp_svq_shadow_drained(struct vp_svq_vq *vq);
u16 vp_svq_shadow_position(struct vp_svq_vq *vq);
void vp_svq_shadow_addrs(struct vp_svq_vq *vq, u64 *desc, u64 *driver,
			 u64 *device);
ssize_t vp_svq_shadow_show(struct vp_svq_dev *dev, char *buf);
int vp_svq_shadow_stats(struct vp_svq_vq *vq, struct sk_buff *msg);

/* mgmt.c */
int vp_svq_mgmt_register(struct vp_svq_parent *parent);
void vp_svq_mgmt_unregister(struct vp_svq_parent *parent);

#endif /* _VP_SVQ_H */
