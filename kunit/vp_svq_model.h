/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A software virtio-net PCI function for the vp_svq KUnit suites.
 *
 * The model's registers live in one emulated BAR reached through
 * logic_iomem (UML's emulated MMIO): common config at VPM_COMMON_OFF, ISR
 * at VPM_ISR_OFF, device config at VPM_DEVICE_OFF and the doorbells at
 * VPM_NOTIFY_OFF. A worker ("the device") serves the rings: a buffer sent
 * on TX queue 2n + 1 is copied into a buffer of RX queue 2n, and the
 * control queue is served by the model itself. Interrupts call the handler
 * the driver attached through struct vp_svq_irq_ops, in hard interrupt
 * context. See kunit/README for the knobs.
 */
#ifndef _VP_SVQ_MODEL_H
#define _VP_SVQ_MODEL_H

#include <linux/completion.h>
#include <linux/if_ether.h>
#include <linux/interrupt.h>
#include <linux/spinlock.h>
#include <linux/vhost_iotlb.h>
#include <linux/virtio_net.h>
#include <linux/virtio_pci_modern.h>
#include <linux/workqueue.h>

#include "vp_svq.h"

#define VPM_COMMON_OFF		0x0000
#define VPM_ISR_OFF		0x1000
#define VPM_DEVICE_OFF		0x2000
#define VPM_NOTIFY_OFF		0x3000
/* The device-state capability (struct vp_svq_device_state), if present. */
#define VPM_STATE_OFF		0x1800

/* 32 pairs for the suspend benchmark (bench_suspend.c). */
#define VPM_MAX_VQP		32
#define VPM_MAX_QUEUES		(2 * VPM_MAX_VQP + 1)
#define VPM_MAX_VECTORS		(VPM_MAX_QUEUES + 1)
#define VPM_MAC_TABLE_MAX	64
#define VPM_RSS_KEY_MAX		40
#define VPM_RSS_TABLE_MAX	128
/* Fake Linux irq numbers the model reports for its vectors. */
#define VPM_IRQ_BASE		0x4000
/* The vendor ID the model reports (it is no PCI function). */
#define VPM_VENDOR_ID		0x1af4

/**
 * struct vpm_config - what the model looks like, chosen per test
 * @max_vqp: queue pairs (1..VPM_MAX_VQP); the CVQ comes on top
 * @features: device features offered (VIRTIO_F_VERSION_1 is not implied)
 * @queue_size: maximum size of every queue
 * @cvq_queue_size: maximum size of the control queue (0: @queue_size)
 * @msix_vectors: MSI-X vectors of the function
 * @mtu: MTU in the config space
 * @mac: MAC address in the config space
 * @notify_mult: notify_off_multiplier: distance between doorbells
 * @num_queues: override of the queue count the device reports (0: the
 *	natural 2 * @max_vqp, + 1 with VIRTIO_NET_F_CTRL_VQ)
 * @cfg_max_vqp: override of max_virtqueue_pairs in the config space (0:
 *	@max_vqp), for devices that report more pairs than they have
 * @state_cap: the function has the device-state capability of
 *	<vp_svq/device_state.h> at VPM_STATE_OFF; vpm_attach() hands it to
 *	the parent as &vp_svq_parent.state
 * @state_version: the version the capability reports (0: the one
 *	<vp_svq/device_state.h> describes)
 *
 * VIRTIO_F_SUSPEND in @features gives the device the virtio 1.4 SUSPEND
 * status bit.
 */
struct vpm_config {
	u16 max_vqp;
	u64 features;
	u16 queue_size;
	u16 cvq_queue_size;
	u16 msix_vectors;
	u16 mtu;
	u8 mac[ETH_ALEN];
	u32 notify_mult;
	u16 num_queues;
	u16 cfg_max_vqp;
	bool state_cap;
	u16 state_version;
};

/**
 * struct vpm_net_state - what the control queue has set
 * @mac: VIRTIO_NET_CTRL_MAC_ADDR_SET
 * @uc_entries: unicast entries of the last MAC_TABLE_SET
 * @mc_entries: multicast entries of the last MAC_TABLE_SET
 * @mac_table: the entries, unicast first (up to VPM_MAC_TABLE_MAX each)
 * @promisc: VIRTIO_NET_CTRL_RX_PROMISC (on after reset, as in QEMU)
 * @allmulti: VIRTIO_NET_CTRL_RX_ALLMULTI
 * @alluni: VIRTIO_NET_CTRL_RX_ALLUNI
 * @nomulti: VIRTIO_NET_CTRL_RX_NOMULTI
 * @nouni: VIRTIO_NET_CTRL_RX_NOUNI
 * @nobcast: VIRTIO_NET_CTRL_RX_NOBCAST
 * @vlans: VLAN filter, one bit per VLAN ID
 * @curr_qp: VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET (1 after reset)
 * @rss: RSS is on: the last MQ command was RSS_CONFIG
 * @hash: hash reporting is on: the last MQ command was HASH_CONFIG
 * @hash_types: hash types of the last RSS_CONFIG or HASH_CONFIG (0 when
 *	neither is on: VQ_PAIRS_SET turns both off)
 * @rss_table_len: indirection table entries of the last RSS_CONFIG
 * @rss_table: the indirection table
 * @rss_max_tx_vq: max_tx_vq of the last RSS_CONFIG
 * @rss_key_len: hash key length
 * @rss_key: hash key
 * @guest_offloads: VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET
 * @announce_acks: VIRTIO_NET_CTRL_ANNOUNCE_ACK commands seen
 * @commands: commands processed
 * @errors: commands answered VIRTIO_NET_ERR
 * @last_class: class of the last command
 * @last_cmd: command of the last command
 */
struct vpm_net_state {
	u8 mac[ETH_ALEN];
	u32 uc_entries;
	u32 mc_entries;
	u8 mac_table[2 * VPM_MAC_TABLE_MAX][ETH_ALEN];
	bool promisc, allmulti, alluni, nomulti, nouni, nobcast;
	DECLARE_BITMAP(vlans, 4096);
	u16 curr_qp;
	bool rss;
	bool hash;
	u32 hash_types;
	u16 rss_table_len;
	u16 rss_table[VPM_RSS_TABLE_MAX];
	u16 rss_max_tx_vq;
	u8 rss_key_len;
	u8 rss_key[VPM_RSS_KEY_MAX];
	u64 guest_offloads;
	unsigned int announce_acks;
	unsigned int commands;
	unsigned int errors;
	u8 last_class;
	u8 last_cmd;
};

/**
 * struct vpm_queue - the device side of one virtqueue
 * @size: queue_size as the driver set it
 * @msix_vector: queue_msix_vector
 * @enabled: queue_enable
 * @reset_pending: the driver wrote queue_reset; the worker completes it
 * @kicked: a doorbell was rung since the worker last served the queue
 * @desc: queue_desc
 * @driver: queue_driver (avail ring or driver event suppression)
 * @device: queue_device (used ring or device event suppression)
 * @last_avail: split: next avail index to read; packed: next descriptor
 * @used_idx: split: used index; packed: next used descriptor
 * @avail_wrap: packed: driver ring wrap counter the device expects
 * @used_wrap: packed: wrap counter of the next used descriptor
 * @stop_pending: the driver wrote VP_SVQ_QUEUE_STOPPED; the worker stops
 *	the queue once it has nothing in hand
 * @stopped: stopped through the device-state capability: the queue takes
 *	no buffer and raises no interrupt
 * @kicks: doorbells rung
 * @completed: buffers completed (used entries written)
 * @interrupts: interrupts raised for this queue
 */
struct vpm_queue {
	u16 size;
	u16 msix_vector;
	bool enabled;
	bool reset_pending;
	bool kicked;
	u64 desc, driver, device;
	u16 last_avail;
	u16 used_idx;
	bool avail_wrap;
	bool used_wrap;
	bool stop_pending;
	bool stopped;
	unsigned int kicks;
	unsigned int completed;
	unsigned int interrupts;
};

#define VPM_MAX_SEGS		64
#define VPM_BOUNCE		2048

/**
 * struct vpm_seg - one descriptor of a buffer
 * @addr: address as the driver wrote it (translated at each access)
 * @len: length
 * @write: device-writable
 */
struct vpm_seg {
	u64 addr;
	u32 len;
	bool write;
};

/**
 * struct vpm_chain - a buffer the driver made available
 * @seg: its descriptors, readable ones first
 * @nseg: how many
 * @out_len: bytes readable by the device
 * @in_len: bytes writable by the device
 * @id: split: head index; packed: buffer ID
 * @ndesc: packed: ring descriptors the buffer takes
 * @next: position in the ring after the buffer
 * @next_wrap: packed: wrap counter at @next
 */
struct vpm_chain {
	struct vpm_seg seg[VPM_MAX_SEGS];
	unsigned int nseg;
	u32 out_len;
	u32 in_len;
	u16 id;
	u16 ndesc;
	u16 next;
	bool next_wrap;
};

/**
 * struct vpm_vector - an MSI-X vector and the handler attached to it
 * @handler: the handler, NULL when none
 * @data: its argument
 * @name: the name the driver gave it
 */
struct vpm_vector {
	irq_handler_t handler;
	void *data;
	char name[32];
};

/**
 * struct vpm - one model instance
 * @cfg: its configuration
 * @dev: the device the parent hangs off (a kunit device)
 * @mdev: register access for vp_svq, pointers into the emulated BAR
 * @parent: what vpm_attach() fills for vp_svq
 * @notify: doorbells handed to vp_svq
 * @base: the emulated BAR as ioremap()ed
 * @slot: slot in the emulated MMIO window
 * @res_start: physical address of the BAR
 * @lock: protects every register below and @queue state seen by the
 *	driver; taken in register access (any context) and by the worker
 * @dfselect: device_feature_select
 * @gfselect: driver_feature_select
 * @driver_features: the features the driver wrote
 * @status: device_status
 * @generation: config_generation
 * @msix_config: msix_config
 * @queue_select: queue_select
 * @isr: ISR status
 * @reset_pending: 0 was written to status; the worker completes it
 * @suspending: the driver set SUSPEND; the worker finishes what it has in
 *	hand, then clears DRIVER_OK
 * @config_held: the config changed while SUSPEND was set; signalled at
 *	resume
 * @config_irq_due: the worker raises a config interrupt on its next run
 * @state_select: queue_select of the device-state capability
 * @num_queues: queues the device reports
 * @q: the queues
 * @netcfg: device config space (little endian, as the driver reads it)
 * @net: what the control queue has set
 * @vectors: the MSI-X vectors, @nvectors of them allocated
 * @nvectors: vectors allocated through vp_svq_irq_ops, 0 when none
 * @vector_allocs: alloc_vectors calls that succeeded
 * @vector_frees: free_vectors calls
 * @wq: the worker's queue
 * @work: the worker
 * @dma_iotlb: DMA translation; NULL for identity (physical addresses)
 * @dma_miss_identity: an address @dma_iotlb does not map at all is taken
 *	as physical (an IOMMU stand-in for clients that give physical
 *	addresses, see struct vpt_env)
 * @stall: knob: the worker takes no buffer (completions are held back)
 * @reset_delay: knob: reads of device_status before a reset completes
 *	(U32_MAX: never)
 * @drop_irqs: knob: interrupts to drop
 * @fail_cvq: knob: answer VIRTIO_NET_ERR to the next command of
 *	@fail_class / @fail_cmd
 * @fail_class: class for @fail_cvq
 * @fail_cmd: command for @fail_cvq
 * @cvq_stall: knob: the control queue takes no buffer (the other queues
 *	run); unlike @stall it survives a device reset
 * @refuse_vectors: knob: msix_config and queue_msix_vector read back
 *	VIRTIO_MSI_NO_VECTOR
 * @fail_alloc_vectors: knob: alloc_vectors fails with -ENOSPC
 * @gone: knob: surprise removal; reads return all ones, writes vanish
 * @suspend_hang: knob: SUSPEND is never completed (DRIVER_OK stays set);
 *	the device takes no further buffer
 * @suspend_fail: knob: the device fails to suspend: DEVICE_NEEDS_RESET and
 *	a config interrupt instead of clearing DRIVER_OK
 * @resume_refuse: knob: DRIVER_OK written to resume is ignored: SUSPEND
 *	stays set
 * @stop_hang: knob: a queue stop (device-state capability) never
 *	completes: queue_status keeps reading VP_SVQ_QUEUE_RUNNING
 * @violations: driver actions the virtio spec forbids, see @violation
 * @violation: description of the first one
 * @bad_access: register accesses of a wrong width or offset
 * @cfg_odd_access: device config reads whose width is not that of the
 *	field at their offset (virtio 4.1.3.1); the model serves them
 * @resets: device resets completed
 * @rx_frames: frames delivered to an RX queue
 * @rx_dropped: frames dropped for want of an RX buffer that fits
 * @dma_faults: descriptors or rings whose address did not translate
 * @indirect_bufs: buffers that came in an indirect descriptor table
 * @irqs_dropped: interrupts dropped by @drop_irqs
 * @config_irqs: config change interrupts raised
 * @suspends: suspensions completed (SUSPEND presented, DRIVER_OK cleared)
 * @resumes: resumes completed (SUSPEND cleared)
 * @queue_stops: queue stops completed through the device-state capability
 * @irq_done: completed after every interrupt delivered
 * @tx_chain: scratch space of the worker: the TX buffer in hand
 * @rx_chain: scratch space of the worker: the RX buffer in hand
 * @bounce: scratch space of the worker: bytes being copied
 */
struct vpm {
	struct vpm_config cfg;
	struct device *dev;
	struct virtio_pci_modern_device mdev;
	struct vp_svq_parent parent;
	struct vp_svq_notify notify[VPM_MAX_QUEUES];
	void __iomem *base;
	int slot;
	resource_size_t res_start;

	spinlock_t lock; /* registers, see above */
	u32 dfselect;
	u32 gfselect;
	u64 driver_features;
	u8 status;
	u8 generation;
	u16 msix_config;
	u16 queue_select;
	u8 isr;
	bool reset_pending;
	bool suspending;
	bool config_held;
	bool config_irq_due;
	u16 state_select;
	u16 num_queues;
	struct vpm_queue q[VPM_MAX_QUEUES];
	struct virtio_net_config netcfg;
	struct vpm_net_state net;

	struct vpm_vector vectors[VPM_MAX_VECTORS];
	unsigned int nvectors;
	unsigned int vector_allocs;
	unsigned int vector_frees;

	struct workqueue_struct *wq;
	struct work_struct work;
	struct vhost_iotlb *dma_iotlb;
	bool dma_miss_identity;

	bool stall;
	u32 reset_delay;
	unsigned int drop_irqs;
	bool fail_cvq;
	u8 fail_class, fail_cmd;
	bool cvq_stall;
	bool refuse_vectors;
	bool fail_alloc_vectors;
	bool gone;
	bool suspend_hang;
	bool suspend_fail;
	bool resume_refuse;
	bool stop_hang;

	unsigned int violations;
	char violation[128];
	unsigned int bad_access;
	unsigned int cfg_odd_access;
	unsigned int resets;
	unsigned int rx_frames;
	unsigned int rx_dropped;
	unsigned int dma_faults;
	unsigned int indirect_bufs;
	unsigned int irqs_dropped;
	unsigned int config_irqs;
	unsigned int suspends;
	unsigned int resumes;
	unsigned int queue_stops;
	struct completion irq_done;

	struct vpm_chain tx_chain;
	struct vpm_chain rx_chain;
	u8 bounce[VPM_BOUNCE];
};

/* model.c */
void vpm_default_config(struct vpm_config *cfg);
struct vpm *vpm_create(struct device *dev, const struct vpm_config *cfg);
void vpm_destroy(struct vpm *m);
struct vp_svq_parent *vpm_attach(struct vpm *m);
void vpm_set_stall(struct vpm *m, bool stall);
void vpm_set_needs_reset(struct vpm *m);
void vpm_config_changed(struct vpm *m);
void vpm_surprise_removal(struct vpm *m);
void vpm_fail_next_cvq(struct vpm *m, u8 class, u8 cmd);
void vpm_set_cvq_stall(struct vpm *m, bool stall);
void vpm_note_violation(struct vpm *m, const char *fmt, ...);
void vpm_raise_vq_irq(struct vpm *m, u16 qid);
void vpm_signal_config(struct vpm *m);
unsigned int vpm_attached_handlers(struct vpm *m);

/* model_ring.c */
void vpm_work(struct work_struct *work);
void *vpm_dma(struct vpm *m, u64 addr, u32 len, bool write);

/* model_cvq.c */
u8 vpm_cvq_command(struct vpm *m, const u8 *cmd, size_t len);

#endif /* _VP_SVQ_MODEL_H */
