/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The virtio-pci device-state capability, as vp_svq and its KUnit device
 * model understand it, and the virtio 1.4 SUSPEND facility.
 *
 * The capability follows the RFC "virtio-pci: introduce device state
 * capability" (virtio-comment, December 2020: per-queue stop and
 * last_avail_idx), extended as "virtqueue state synchronization" (July
 * 2021) suggests: the state of a queue is split into an available state
 * and a used state, and packed rings carry their wrap counters. Neither is
 * part of the virtio specification: devices that have it are vp_svq's
 * model and any device built to this layout. Version 1 is this layout.
 *
 * Shared by the driver (drivers/vdpa/vp_svq) and the model (kunit/).
 */
#ifndef _VP_SVQ_DEVICE_STATE_H
#define _VP_SVQ_DEVICE_STATE_H

#include <linux/types.h>

/*
 * virtio 1.4: status bit SUSPEND and feature VIRTIO_F_SUSPEND. The driver
 * sets SUSPEND while DRIVER_OK is set; the device finishes the buffers it
 * is processing, then clears DRIVER_OK. The driver resumes the device by
 * setting DRIVER_OK again; the device then clears SUSPEND.
 */
#ifndef VIRTIO_CONFIG_S_SUSPEND
#define VIRTIO_CONFIG_S_SUSPEND		0x10
#endif
#ifndef VIRTIO_F_SUSPEND
#define VIRTIO_F_SUSPEND		43
#endif

/*
 * cfg_type of the vendor-specific PCI capability (struct virtio_pci_cap)
 * whose bar, offset and length locate struct vp_svq_device_state.
 */
#define VP_SVQ_PCI_CAP_DEVICE_STATE_CFG	10

/* The layout of struct vp_svq_device_state described here. */
#define VP_SVQ_DEVICE_STATE_VERSION	1

/* queue_status values. */
#define VP_SVQ_QUEUE_STOPPED		0
#define VP_SVQ_QUEUE_RUNNING		1

/* Packed rings: the wrap counter in avail_state and used_state. */
#define VP_SVQ_STATE_WRAP		0x8000
#define VP_SVQ_STATE_INDEX		0x7fff

/**
 * struct vp_svq_device_state - per-queue stop and ring state
 * @version: read-only, VP_SVQ_DEVICE_STATE_VERSION. A driver that does not
 *	know the version must not use the capability.
 * @queue_select: read-write: the queue the fields below refer to, numbered
 *	as in the common configuration's queue_select.
 * @queue_status: read-write. Reads VP_SVQ_QUEUE_RUNNING while the queue is
 *	enabled, the device is DRIVER_OK and the queue was not stopped; reads
 *	VP_SVQ_QUEUE_STOPPED otherwise, also after reset. The driver writes
 *	VP_SVQ_QUEUE_STOPPED to stop the queue: the device stops taking
 *	buffers from the available ring, completes (puts on the used ring)
 *	every buffer it had taken, sends no further notification for the
 *	queue, and only then reads VP_SVQ_QUEUE_STOPPED. Writing
 *	VP_SVQ_QUEUE_RUNNING to a stopped queue makes it continue from
 *	@avail_state and @used_state. Writes to a disabled queue are ignored.
 * @avail_state: read-write. Split ring: the index of the next available
 *	ring entry the device will read (its last_avail_idx). Packed ring:
 *	bits 0-14 the next descriptor the device will read, bit 15 the wrap
 *	counter it expects there. Written by the driver only while the queue
 *	is stopped or before DRIVER_OK (a migration destination); the device
 *	ignores other writes. Read values are exact only while the queue is
 *	stopped.
 * @used_state: read-write, with the same rules. Split ring: the device's
 *	next used index. Packed ring: bits 0-14 the next descriptor the
 *	device will write as used, bit 15 its used wrap counter. With every
 *	taken buffer completed, a stopped split queue has @used_state equal
 *	to @avail_state.
 * @reserved: reads 0; the driver writes 0.
 *
 * Each field is accessed with its own width (16 bits).
 */
struct vp_svq_device_state {
	__le16 version;
	__le16 queue_select;
	__le16 queue_status;
	__le16 avail_state;
	__le16 used_state;
	__le16 reserved;
};

#endif /* _VP_SVQ_DEVICE_STATE_H */
