// SPDX-License-Identifier: GPL-2.0-only
/*
 * vp_svq device model: the registers of a virtio-net PCI function behind
 * logic_iomem, its MSI-X vectors as struct vp_svq_irq_ops, and the knobs.
 *
 * One MMIO window is registered with logic_iomem for the lifetime of the
 * kernel (logic_iomem cannot unregister a region); it is cut into slots,
 * one per live model instance.
 */

#include <linux/bitops.h>
#include <linux/ethtool.h>
#include <linux/hardirq.h>
#include <linux/io.h>
#include <linux/logic_iomem.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/stdarg.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#include "vp_svq_model.h"

/* ISR bit of a queue interrupt (VIRTIO_PCI_ISR_CONFIG is bit 1). */
#define VPM_ISR_QUEUE		0x1

#define VPM_WINDOW_BASE		0x200000000ULL
#define VPM_SLOT_SIZE		0x100000
#define VPM_SLOTS		16

static DEFINE_MUTEX(vpm_slots_lock);
static struct vpm *vpm_slots[VPM_SLOTS];
static bool vpm_window_registered;
static DEFINE_SPINLOCK(vpm_map_lock);

static struct resource vpm_window = {
	.name = "vp_svq kunit model",
	.start = VPM_WINDOW_BASE,
	.end = VPM_WINDOW_BASE + VPM_SLOTS * VPM_SLOT_SIZE - 1,
	.flags = IORESOURCE_MEM,
};

/**
 * vpm_note_violation() - record that the driver broke the virtio rules
 * @m: the model
 * @fmt: what happened, printf style
 *
 * The first description is kept in @m->violation, the last in
 * @m->last_violation; every one is logged.
 */
void vpm_note_violation(struct vpm *m, const char *fmt, ...)
{
	va_list args;
	char buf[128];

	va_start(args, fmt);
	vsnprintf(buf, sizeof(buf), fmt, args);
	va_end(args);
	if (!m->violations++)
		strscpy(m->violation, buf, sizeof(m->violation));
	strscpy(m->last_violation, buf, sizeof(m->last_violation));
	pr_warn("vp_svq model: violation: %s\n", buf);
}

/**
 * vpm_note_bad_buffer() - record a buffer whose descriptors break the rules
 * @m: the model
 * @fmt: what is wrong, printf style
 *
 * A buffer's own descriptors (an indirect table, the order of readable and
 * writable parts, the lengths) come from whoever built the buffer: a
 * client whose chains vp_svq's ring shadow passes through unchanged, by
 * design. They count in @m->bad_buffers, apart from @m->violations, and
 * only the first is logged. The device faults (NEEDS_RESET) either way.
 */
void vpm_note_bad_buffer(struct vpm *m, const char *fmt, ...)
{
	va_list args;
	char buf[128];

	if (m->bad_buffers++)
		return;
	va_start(args, fmt);
	vsnprintf(buf, sizeof(buf), fmt, args);
	va_end(args);
	pr_warn("vp_svq model: bad buffer: %s\n", buf);
}

/* --- common configuration ---------------------------------------------- */

#define CC(f)	offsetof(struct virtio_pci_common_cfg, f)
#define MC(f)	offsetof(struct virtio_pci_modern_common_cfg, f)

static const struct {
	u8 off;
	u8 size;
} vpm_common_regs[] = {
	{ CC(device_feature_select), 4 }, { CC(device_feature), 4 },
	{ CC(guest_feature_select), 4 }, { CC(guest_feature), 4 },
	{ CC(msix_config), 2 }, { CC(num_queues), 2 },
	{ CC(device_status), 1 }, { CC(config_generation), 1 },
	{ CC(queue_select), 2 }, { CC(queue_size), 2 },
	{ CC(queue_msix_vector), 2 }, { CC(queue_enable), 2 },
	{ CC(queue_notify_off), 2 },
	{ CC(queue_desc_lo), 4 }, { CC(queue_desc_hi), 4 },
	{ CC(queue_avail_lo), 4 }, { CC(queue_avail_hi), 4 },
	{ CC(queue_used_lo), 4 }, { CC(queue_used_hi), 4 },
	{ MC(queue_notify_data), 2 }, { MC(queue_reset), 2 },
	{ MC(admin_queue_index), 2 }, { MC(admin_queue_num), 2 },
};

static bool vpm_common_access_ok(struct vpm *m, unsigned int off, int size)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(vpm_common_regs); i++)
		if (vpm_common_regs[i].off == off)
			break;
	if (i < ARRAY_SIZE(vpm_common_regs) && vpm_common_regs[i].size == size)
		return true;
	m->bad_access++;
	pr_warn("vp_svq model: common config access of %d bytes at 0x%x\n",
		size, off);
	return false;
}

static struct vpm_queue *vpm_sel(struct vpm *m)
{
	return m->queue_select < m->num_queues ? &m->q[m->queue_select] : NULL;
}

static void vpm_set_addr(u64 *reg, bool hi, u32 val)
{
	if (hi)
		*reg = (*reg & 0xffffffffULL) | ((u64)val << 32);
	else
		*reg = (*reg & ~0xffffffffULL) | val;
}

static u64 vpm_common_read(struct vpm *m, unsigned int off)
{
	struct vpm_queue *q = vpm_sel(m);

	switch (off) {
	case CC(device_feature_select):
		return m->dfselect;
	case CC(device_feature):
		return m->dfselect < 2 ? (u32)(m->cfg.features >> (32 * m->dfselect)) : 0;
	case CC(guest_feature_select):
		return m->gfselect;
	case CC(guest_feature):
		return m->gfselect < 2 ? (u32)(m->driver_features >> (32 * m->gfselect)) : 0;
	case CC(msix_config):
		return m->msix_config;
	case CC(num_queues):
		return m->num_queues;
	case CC(device_status):
		if (m->reset_pending) {
			if (m->reset_delay == U32_MAX)
				return m->status;
			if (m->reset_delay) {
				m->reset_delay--;
				return m->status;
			}
			m->reset_pending = false;
			m->status = 0;
		}
		return m->status;
	case CC(config_generation):
		return m->generation;
	case CC(queue_select):
		return m->queue_select;
	case CC(queue_size):
		return q ? q->size : 0;
	case CC(queue_msix_vector):
		return q ? q->msix_vector : VIRTIO_MSI_NO_VECTOR;
	case CC(queue_enable):
		return q ? q->enabled : 0;
	case CC(queue_notify_off):
		return m->queue_select;
	case CC(queue_desc_lo):
		return q ? lower_32_bits(q->desc) : 0;
	case CC(queue_desc_hi):
		return q ? upper_32_bits(q->desc) : 0;
	case CC(queue_avail_lo):
		return q ? lower_32_bits(q->driver) : 0;
	case CC(queue_avail_hi):
		return q ? upper_32_bits(q->driver) : 0;
	case CC(queue_used_lo):
		return q ? lower_32_bits(q->device) : 0;
	case CC(queue_used_hi):
		return q ? upper_32_bits(q->device) : 0;
	case MC(queue_notify_data):
		return m->queue_select;
	case MC(queue_reset):
		return q ? q->reset_pending : 0;
	default:
		return 0;
	}
}

static void vpm_queue_clear(struct vpm_queue *q, u16 size)
{
	memset(q, 0, sizeof(*q));
	q->size = size;
	q->msix_vector = VIRTIO_MSI_NO_VECTOR;
	q->avail_wrap = true;
	q->used_wrap = true;
}

/* Device reset; the ring worker runs under the same lock, so it is done. */
/* Largest size of queue @qid: the CVQ (the last queue) may differ. */
static u16 vpm_queue_max(struct vpm *m, unsigned int qid)
{
	bool cvq = (m->cfg.features & BIT_ULL(VIRTIO_NET_F_CTRL_VQ)) &&
		   qid == m->num_queues - 1;

	return cvq && m->cfg.cvq_queue_size ? m->cfg.cvq_queue_size :
					      m->cfg.queue_size;
}

static void vpm_reset_locked(struct vpm *m)
{
	u16 i;

	m->driver_features = 0;
	m->dfselect = 0;
	m->gfselect = 0;
	m->msix_config = VIRTIO_MSI_NO_VECTOR;
	m->queue_select = 0;
	m->isr = 0;
	m->suspending = false;
	m->config_held = false;
	m->config_irq_due = false;
	m->state_select = 0;
	for (i = 0; i < VPM_MAX_QUEUES; i++)
		vpm_queue_clear(&m->q[i], vpm_queue_max(m, i));
	memset(&m->net, 0, sizeof(m->net));
	m->net.curr_qp = 1;
	/* QEMU's virtio_net_reset(): promiscuous, the configured MAC. */
	m->net.promisc = true;
	ether_addr_copy(m->net.mac, m->cfg.mac);
	ether_addr_copy(m->netcfg.mac, m->cfg.mac);
	m->resets++;
}

static bool vpm_negotiated(struct vpm *m, unsigned int bit)
{
	return m->driver_features & BIT_ULL(bit);
}

/*
 * virtio 1.4 SUSPEND: the status the device takes when the driver writes
 * @val, SUSPEND among it. Setting it starts a suspension the worker
 * completes; DRIVER_OK written while suspended resumes.
 */
static u8 vpm_write_suspend(struct vpm *m, u8 old, u8 val)
{
	if (!vpm_negotiated(m, VIRTIO_F_SUSPEND) ||
	    !(old & VIRTIO_CONFIG_S_FEATURES_OK)) {
		/* The device ignores it. */
		vpm_note_violation(m, "SUSPEND set without VIRTIO_F_SUSPEND negotiated");
		return val & ~VIRTIO_CONFIG_S_SUSPEND;
	}
	if (!(old & VIRTIO_CONFIG_S_SUSPEND)) {
		if (!(old & VIRTIO_CONFIG_S_DRIVER_OK)) {
			vpm_note_violation(m, "SUSPEND set without DRIVER_OK (0x%x)", val);
			return val & ~VIRTIO_CONFIG_S_SUSPEND;
		}
		m->suspending = true;
		queue_work(m->wq, &m->work);
		return val;
	}
	if ((old & VIRTIO_CONFIG_S_DRIVER_OK) ||
	    !(val & VIRTIO_CONFIG_S_DRIVER_OK))
		return val;
	/* Resume: DRIVER_OK again; the device clears SUSPEND. */
	if (m->resume_refuse)
		return val & ~VIRTIO_CONFIG_S_DRIVER_OK;
	m->resumes++;
	m->config_irq_due = m->config_held;
	m->config_held = false;
	return val & ~VIRTIO_CONFIG_S_SUSPEND;
}

static void vpm_write_status(struct vpm *m, u8 val)
{
	u8 old = m->status;

	if (!val) {
		vpm_reset_locked(m);
		m->reset_pending = true;
		if (!m->reset_delay) {
			m->reset_pending = false;
			m->status = 0;
		}
		return;
	}
	if (m->reset_pending) {
		vpm_note_violation(m, "status 0x%x written before the reset completed", val);
		return;
	}
	if (old & ~val & ~VIRTIO_CONFIG_S_NEEDS_RESET)
		vpm_note_violation(m, "status 0x%x -> 0x%x clears bits without a reset",
				   old, val);
	if ((val & VIRTIO_CONFIG_S_FEATURES_OK) && !(val & VIRTIO_CONFIG_S_DRIVER))
		vpm_note_violation(m, "FEATURES_OK without DRIVER (0x%x)", val);
	if ((val & VIRTIO_CONFIG_S_DRIVER_OK) && !(val & VIRTIO_CONFIG_S_FEATURES_OK))
		vpm_note_violation(m, "DRIVER_OK without FEATURES_OK (0x%x)", val);

	if (val & VIRTIO_CONFIG_S_SUSPEND)
		val = vpm_write_suspend(m, old, val);

	if ((val & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !(old & VIRTIO_CONFIG_S_FEATURES_OK)) {
		u64 extra = m->driver_features & ~m->cfg.features;

		if (extra || !vpm_negotiated(m, VIRTIO_F_VERSION_1)) {
			/* The device does not accept them: FEATURES_OK stays clear. */
			val &= ~VIRTIO_CONFIG_S_FEATURES_OK;
		}
	}
	m->status = val | (old & VIRTIO_CONFIG_S_NEEDS_RESET);
	if ((val & VIRTIO_CONFIG_S_DRIVER_OK) && !(old & VIRTIO_CONFIG_S_DRIVER_OK))
		queue_work(m->wq, &m->work);
}

static void vpm_write_queue_enable(struct vpm *m, struct vpm_queue *q, u16 val)
{
	bool packed = vpm_negotiated(m, VIRTIO_F_RING_PACKED);

	if (val != 1) {
		vpm_note_violation(m, "queue_enable written with %u", val);
		return;
	}
	if ((m->status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	    !vpm_negotiated(m, VIRTIO_F_RING_RESET)) {
		vpm_note_violation(m, "queue %u enabled after DRIVER_OK",
				   m->queue_select);
		return;
	}
	if (!q->size || q->size > vpm_queue_max(m, m->queue_select) ||
	    (!packed && !is_power_of_2(q->size)))
		vpm_note_violation(m, "queue %u enabled with size %u",
				   m->queue_select, q->size);
	if (!q->desc || !q->driver || !q->device)
		vpm_note_violation(m, "queue %u enabled without addresses",
				   m->queue_select);
	/*
	 * The ring starts where reset left it (0, wrap counters set) or where
	 * the driver put it through the device-state capability.
	 */
	q->enabled = true;
	if (m->status & VIRTIO_CONFIG_S_DRIVER_OK)
		queue_work(m->wq, &m->work);
}

static void vpm_queue_reg_write(struct vpm *m, struct vpm_queue *q,
				unsigned int off, u32 val)
{
	if (q->enabled && off != CC(queue_msix_vector)) {
		vpm_note_violation(m, "queue %u register 0x%x written while enabled",
				   m->queue_select, off);
		return;
	}
	switch (off) {
	case CC(queue_size):
		q->size = val;
		break;
	case CC(queue_msix_vector):
		if (m->refuse_vectors ||
		    (val != VIRTIO_MSI_NO_VECTOR && val >= m->cfg.msix_vectors))
			val = VIRTIO_MSI_NO_VECTOR;
		q->msix_vector = val;
		break;
	case CC(queue_enable):
		vpm_write_queue_enable(m, q, val);
		break;
	case CC(queue_desc_lo):
	case CC(queue_desc_hi):
		vpm_set_addr(&q->desc, off == CC(queue_desc_hi), val);
		break;
	case CC(queue_avail_lo):
	case CC(queue_avail_hi):
		vpm_set_addr(&q->driver, off == CC(queue_avail_hi), val);
		break;
	case CC(queue_used_lo):
	case CC(queue_used_hi):
		vpm_set_addr(&q->device, off == CC(queue_used_hi), val);
		break;
	}
}

static void vpm_common_write(struct vpm *m, unsigned int off, u32 val)
{
	struct vpm_queue *q = vpm_sel(m);

	switch (off) {
	case CC(device_feature_select):
		m->dfselect = val;
		return;
	case CC(guest_feature_select):
		m->gfselect = val;
		return;
	case CC(guest_feature):
		if (m->status & VIRTIO_CONFIG_S_FEATURES_OK) {
			vpm_note_violation(m, "features written after FEATURES_OK");
			return;
		}
		if (m->gfselect < 2) {
			u64 mask = 0xffffffffULL << (32 * m->gfselect);

			m->driver_features = (m->driver_features & ~mask) |
					     ((u64)val << (32 * m->gfselect));
		}
		return;
	case CC(msix_config):
		if (m->refuse_vectors ||
		    (val != VIRTIO_MSI_NO_VECTOR && val >= m->cfg.msix_vectors))
			val = VIRTIO_MSI_NO_VECTOR;
		m->msix_config = val;
		return;
	case CC(device_status):
		vpm_write_status(m, val);
		return;
	case CC(queue_select):
		m->queue_select = val;
		return;
	case MC(queue_reset):
		if (!q || val != 1)
			return;
		if (!vpm_negotiated(m, VIRTIO_F_RING_RESET)) {
			vpm_note_violation(m, "queue_reset without VIRTIO_F_RING_RESET");
			return;
		}
		/* Served by the worker, which alone touches the ring. */
		q->reset_pending = true;
		queue_work(m->wq, &m->work);
		return;
	case CC(device_feature):
	case CC(num_queues):
	case CC(config_generation):
	case CC(queue_notify_off):
	case MC(queue_notify_data):
	case MC(admin_queue_index):
	case MC(admin_queue_num):
		vpm_note_violation(m, "read-only register 0x%x written", off);
		return;
	}
	if (!q) {
		vpm_note_violation(m, "register 0x%x of absent queue %u written",
				   off, m->queue_select);
		return;
	}
	vpm_queue_reg_write(m, q, off, val);
}

/* --- the device-state capability ------------------------------------------ */

#define VPM_DS(f)	offsetof(struct vp_svq_device_state, f)

static struct vpm_queue *vpm_state_sel(struct vpm *m)
{
	return m->state_select < m->num_queues ? &m->q[m->state_select] : NULL;
}

/* What queue_status reads. */
static bool vpm_queue_running(struct vpm *m, struct vpm_queue *q)
{
	return q->enabled && (m->status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	       !q->stopped;
}

/* avail_state or used_state of @q. */
static u16 vpm_state_word(struct vpm *m, struct vpm_queue *q, bool used)
{
	u16 idx = used ? q->used_idx : q->last_avail;
	bool wrap = used ? q->used_wrap : q->avail_wrap;

	if (!vpm_negotiated(m, VIRTIO_F_RING_PACKED))
		return idx;
	return (idx & VP_SVQ_STATE_INDEX) | (wrap ? VP_SVQ_STATE_WRAP : 0);
}

static u16 vpm_state_read(struct vpm *m, unsigned int off)
{
	struct vpm_queue *q = vpm_state_sel(m);

	switch (off) {
	case VPM_DS(version):
		return m->cfg.state_version ?: VP_SVQ_DEVICE_STATE_VERSION;
	case VPM_DS(queue_select):
		return m->state_select;
	case VPM_DS(queue_status):
		return q && vpm_queue_running(m, q) ? VP_SVQ_QUEUE_RUNNING :
						      VP_SVQ_QUEUE_STOPPED;
	case VPM_DS(avail_state):
		return q ? vpm_state_word(m, q, false) : 0;
	case VPM_DS(used_state):
		return q ? vpm_state_word(m, q, true) : 0;
	default:
		return 0;
	}
}

static void vpm_state_write_status(struct vpm *m, struct vpm_queue *q,
				   u16 val)
{
	if (!q->enabled)
		return;
	switch (val) {
	case VP_SVQ_QUEUE_STOPPED:
		if (q->stopped || q->stop_pending)
			return;
		if (!(m->status & VIRTIO_CONFIG_S_DRIVER_OK)) {
			q->stopped = true;
			return;
		}
		/* The worker stops it once it has nothing of it in hand. */
		q->stop_pending = true;
		queue_work(m->wq, &m->work);
		return;
	case VP_SVQ_QUEUE_RUNNING:
		q->stop_pending = false;
		q->stopped = false;
		if (m->status & VIRTIO_CONFIG_S_DRIVER_OK)
			queue_work(m->wq, &m->work);
		return;
	default:
		vpm_note_violation(m, "queue_status written with %u", val);
	}
}

static void vpm_state_write(struct vpm *m, unsigned int off, u16 val)
{
	struct vpm_queue *q = vpm_state_sel(m);
	bool packed = vpm_negotiated(m, VIRTIO_F_RING_PACKED);

	switch (off) {
	case VPM_DS(queue_select):
		m->state_select = val;
		return;
	case VPM_DS(version):
		vpm_note_violation(m, "device-state version written");
		return;
	case VPM_DS(reserved):
		if (val)
			vpm_note_violation(m, "device-state reserved written with %u",
					   val);
		return;
	}
	if (!q) {
		vpm_note_violation(m, "device-state of absent queue %u written",
				   m->state_select);
		return;
	}
	if (off == VPM_DS(queue_status)) {
		vpm_state_write_status(m, q, val);
		return;
	}
	if (vpm_queue_running(m, q) || q->stop_pending) {
		/* The device ignores it; the driver should not have. */
		vpm_note_violation(m, "state of running queue %u written",
				   m->state_select);
		return;
	}
	if (off == VPM_DS(avail_state)) {
		q->last_avail = packed ? val & VP_SVQ_STATE_INDEX : val;
		q->avail_wrap = packed ? !!(val & VP_SVQ_STATE_WRAP) : true;
	} else {
		q->used_idx = packed ? val & VP_SVQ_STATE_INDEX : val;
		q->used_wrap = packed ? !!(val & VP_SVQ_STATE_WRAP) : true;
	}
	if (packed && (q->last_avail >= q->size || q->used_idx >= q->size))
		vpm_note_violation(m, "packed state of queue %u beyond its size %u",
				   m->state_select, q->size);
}

/* Is @offset inside the capability, if the device has one? */
static bool vpm_is_state(struct vpm *m, unsigned int offset)
{
	return m->cfg.state_cap && offset >= VPM_STATE_OFF &&
	       offset < VPM_STATE_OFF + sizeof(struct vp_svq_device_state);
}

/* Every field is 16 bits wide and accessed as such. */
static bool vpm_state_access_ok(struct vpm *m, unsigned int off, int size)
{
	if (size == 2 && !(off & 1))
		return true;
	m->bad_access++;
	pr_warn("vp_svq model: device-state access of %d bytes at 0x%x\n",
		size, off);
	return false;
}

/* --- the BAR as logic_iomem sees it --------------------------------------- */

#define NC(f)	offsetof(struct virtio_net_config, f)

/* virtio 4.1.3.1: each config field is accessed with its own width. */
static bool vpm_netcfg_width_ok(unsigned int off, int size)
{
	static const struct {
		u8 off;
		u8 size;
	} fields[] = {
		{ NC(status), 2 }, { NC(max_virtqueue_pairs), 2 },
		{ NC(mtu), 2 }, { NC(speed), 4 }, { NC(duplex), 1 },
		{ NC(rss_max_key_size), 1 },
		{ NC(rss_max_indirection_table_length), 2 },
		{ NC(supported_hash_types), 4 },
	};
	unsigned int i;

	if (off < ETH_ALEN)
		return size == 1;
	for (i = 0; i < ARRAY_SIZE(fields); i++)
		if (fields[i].off == off)
			return fields[i].size == size;
	return false;
}

static unsigned long vpm_mmio_read(void *priv, unsigned int offset, int size)
{
	struct vpm *m = priv;
	unsigned long flags, val = 0;
	unsigned int off;

	spin_lock_irqsave(&m->lock, flags);
	if (m->gone) {
		val = size == 8 ? ~0UL : (1UL << (8 * size)) - 1;
	} else if (offset < VPM_ISR_OFF) {
		if (vpm_common_access_ok(m, offset, size))
			val = vpm_common_read(m, offset);
	} else if (offset == VPM_ISR_OFF && size == 1) {
		/* Reading the ISR acknowledges it. */
		val = m->isr;
		m->isr = 0;
	} else if (vpm_is_state(m, offset)) {
		off = offset - VPM_STATE_OFF;
		if (vpm_state_access_ok(m, off, size))
			val = vpm_state_read(m, off);
	} else if (offset >= VPM_DEVICE_OFF &&
		   offset + size <= VPM_DEVICE_OFF + sizeof(m->netcfg)) {
		off = offset - VPM_DEVICE_OFF;
		if (!vpm_netcfg_width_ok(off, size))
			m->cfg_odd_access++;
		memcpy(&val, (u8 *)&m->netcfg + off, size);
		val = le64_to_cpu((__force __le64)val);
	} else {
		m->bad_access++;
	}
	spin_unlock_irqrestore(&m->lock, flags);
	return val;
}

static void vpm_mmio_write(void *priv, unsigned int offset, int size,
			   unsigned long val)
{
	struct vpm *m = priv;
	unsigned long flags;
	unsigned int off;
	u16 qid;

	spin_lock_irqsave(&m->lock, flags);
	if (m->gone)
		goto out;
	if (offset < VPM_ISR_OFF) {
		if (vpm_common_access_ok(m, offset, size))
			vpm_common_write(m, offset, val);
	} else if (vpm_is_state(m, offset)) {
		off = offset - VPM_STATE_OFF;
		if (vpm_state_access_ok(m, off, size))
			vpm_state_write(m, off, val);
	} else if (offset >= VPM_DEVICE_OFF &&
		   offset + size <= VPM_DEVICE_OFF + sizeof(m->netcfg)) {
		/* The modern net config space is read-only. */
		off = offset - VPM_DEVICE_OFF;
		vpm_note_violation(m, "device config written at %u", off);
	} else if (offset >= VPM_NOTIFY_OFF && size == 2 &&
		   !((offset - VPM_NOTIFY_OFF) % m->cfg.notify_mult)) {
		qid = (offset - VPM_NOTIFY_OFF) / m->cfg.notify_mult;
		if (qid >= m->num_queues || val != qid) {
			vpm_note_violation(m, "doorbell of queue %u rung with %lu",
					   qid, val);
		} else {
			m->q[qid].kicks++;
			m->q[qid].kicked = true;
			queue_work(m->wq, &m->work);
		}
	} else {
		m->bad_access++;
	}
out:
	spin_unlock_irqrestore(&m->lock, flags);
}

static const struct logic_iomem_ops vpm_mmio_ops = {
	.read = vpm_mmio_read,
	.write = vpm_mmio_write,
};

static long vpm_window_map(unsigned long offset, size_t size,
			   const struct logic_iomem_ops **ops, void **priv)
{
	unsigned int slot = offset / VPM_SLOT_SIZE;
	long ret = -ENODEV;

	spin_lock(&vpm_map_lock);
	if (slot < VPM_SLOTS && vpm_slots[slot] &&
	    offset + size <= (slot + 1) * VPM_SLOT_SIZE) {
		*ops = &vpm_mmio_ops;
		*priv = vpm_slots[slot];
		ret = offset - slot * VPM_SLOT_SIZE;
	}
	spin_unlock(&vpm_map_lock);
	return ret;
}

static const struct logic_iomem_region_ops vpm_window_ops = {
	.map = vpm_window_map,
};

static int vpm_slot_get(struct vpm *m)
{
	int i, ret = -EBUSY;

	mutex_lock(&vpm_slots_lock);
	if (!vpm_window_registered) {
		ret = logic_iomem_add_region(&vpm_window, &vpm_window_ops);
		if (ret)
			goto out;
		vpm_window_registered = true;
		ret = -EBUSY;
	}
	for (i = 0; i < VPM_SLOTS; i++) {
		if (vpm_slots[i])
			continue;
		spin_lock(&vpm_map_lock);
		vpm_slots[i] = m;
		spin_unlock(&vpm_map_lock);
		m->slot = i;
		m->res_start = VPM_WINDOW_BASE + i * VPM_SLOT_SIZE;
		ret = 0;
		break;
	}
out:
	mutex_unlock(&vpm_slots_lock);
	return ret;
}

static void vpm_slot_put(struct vpm *m)
{
	mutex_lock(&vpm_slots_lock);
	spin_lock(&vpm_map_lock);
	vpm_slots[m->slot] = NULL;
	spin_unlock(&vpm_map_lock);
	mutex_unlock(&vpm_slots_lock);
}

/* --- interrupts ------------------------------------------------------------ */

static struct vpm *vpm_of_parent(struct vp_svq_parent *parent)
{
	return container_of(parent, struct vpm, parent);
}

static int vpm_alloc_vectors(struct vp_svq_parent *parent, unsigned int nvec)
{
	struct vpm *m = vpm_of_parent(parent);

	if (m->nvectors) {
		vpm_note_violation(m, "vectors allocated twice");
		return -EBUSY;
	}
	if (m->fail_alloc_vectors || !nvec || nvec > m->cfg.msix_vectors)
		return -ENOSPC;
	m->nvectors = nvec;
	m->vector_allocs++;
	return 0;
}

static void vpm_free_vectors(struct vp_svq_parent *parent)
{
	struct vpm *m = vpm_of_parent(parent);

	if (vpm_attached_handlers(m))
		vpm_note_violation(m, "vectors freed with handlers attached");
	m->nvectors = 0;
	m->vector_frees++;
}

static int vpm_request_vector(struct vp_svq_parent *parent, unsigned int vector,
			      irq_handler_t handler, void *data,
			      const char *name)
{
	struct vpm *m = vpm_of_parent(parent);
	struct vpm_vector *v = &m->vectors[vector];
	unsigned long flags;

	if (vector >= m->nvectors)
		return -EINVAL;
	if (v->handler)
		return -EBUSY;
	spin_lock_irqsave(&m->lock, flags);
	v->handler = handler;
	v->data = data;
	strscpy(v->name, name, sizeof(v->name));
	spin_unlock_irqrestore(&m->lock, flags);
	return 0;
}

static void vpm_free_vector(struct vp_svq_parent *parent, unsigned int vector,
			    void *data)
{
	struct vpm *m = vpm_of_parent(parent);
	struct vpm_vector *v = &m->vectors[vector];
	unsigned long flags;

	if (vector >= m->nvectors || !v->handler || v->data != data) {
		vpm_note_violation(m, "vector %u freed but not requested", vector);
		return;
	}
	spin_lock_irqsave(&m->lock, flags);
	v->handler = NULL;
	v->data = NULL;
	spin_unlock_irqrestore(&m->lock, flags);
	/* Like free_irq(): a handler that is running completes first. */
	flush_workqueue(m->wq);
}

static int vpm_vector_irq(struct vp_svq_parent *parent, unsigned int vector)
{
	return VPM_IRQ_BASE + vector;
}

static const struct vp_svq_irq_ops vpm_irq_ops = {
	.alloc_vectors = vpm_alloc_vectors,
	.free_vectors = vpm_free_vectors,
	.request_vector = vpm_request_vector,
	.free_vector = vpm_free_vector,
	.vector_irq = vpm_vector_irq,
};

/**
 * vpm_attached_handlers() - how many vectors have a handler attached
 * @m: the model
 *
 * Return: the count.
 */
unsigned int vpm_attached_handlers(struct vpm *m)
{
	unsigned int i, n = 0;

	for (i = 0; i < VPM_MAX_VECTORS; i++)
		if (m->vectors[i].handler)
			n++;
	return n;
}

/*
 * Deliver an MSI-X message: call the handler attached to @vector in hard
 * interrupt context, as the irq core would. Called by the worker only, so
 * free_vector() can wait for it by flushing the worker.
 */
static void vpm_deliver(struct vpm *m, u16 vector)
{
	irq_handler_t handler = NULL;
	unsigned long flags;
	void *data = NULL;

	spin_lock_irqsave(&m->lock, flags);
	if (m->drop_irqs) {
		m->drop_irqs--;
		m->irqs_dropped++;
	} else if (vector < m->nvectors && m->vectors[vector].handler) {
		handler = m->vectors[vector].handler;
		data = m->vectors[vector].data;
	}
	spin_unlock_irqrestore(&m->lock, flags);
	if (!handler)
		return;

	local_irq_save(flags);
	irq_enter();
	handler(VPM_IRQ_BASE + vector, data);
	irq_exit();
	local_irq_restore(flags);
	complete(&m->irq_done);
}

/**
 * vpm_raise_vq_irq() - signal queue @qid, from the worker
 * @m: the model
 * @qid: the queue
 */
void vpm_raise_vq_irq(struct vpm *m, u16 qid)
{
	unsigned long flags;
	u16 vector;

	spin_lock_irqsave(&m->lock, flags);
	vector = m->q[qid].msix_vector;
	m->q[qid].interrupts++;
	m->isr |= VPM_ISR_QUEUE;
	spin_unlock_irqrestore(&m->lock, flags);
	if (vector != VIRTIO_MSI_NO_VECTOR)
		vpm_deliver(m, vector);
}

struct vpm_config_irq {
	struct work_struct work;
	struct vpm *m;
};

/**
 * vpm_signal_config() - raise a config change interrupt, from the worker
 * @m: the model
 */
void vpm_signal_config(struct vpm *m)
{
	unsigned long flags;
	u16 vector;

	spin_lock_irqsave(&m->lock, flags);
	vector = m->msix_config;
	m->isr |= VIRTIO_PCI_ISR_CONFIG;
	m->config_irqs++;
	spin_unlock_irqrestore(&m->lock, flags);
	if (vector != VIRTIO_MSI_NO_VECTOR)
		vpm_deliver(m, vector);
}

static void vpm_config_irq_work(struct work_struct *work)
{
	struct vpm_config_irq *ci = container_of(work, struct vpm_config_irq,
						 work);

	vpm_signal_config(ci->m);
	kfree(ci);
}

/* Raise a config interrupt from the worker's queue. */
static void vpm_raise_config_irq(struct vpm *m)
{
	struct vpm_config_irq *ci = kzalloc(sizeof(*ci), GFP_KERNEL);

	if (WARN_ON(!ci))
		return;
	ci->m = m;
	INIT_WORK(&ci->work, vpm_config_irq_work);
	queue_work(m->wq, &ci->work);
	flush_workqueue(m->wq);
}

/* --- knobs ----------------------------------------------------------------- */

/**
 * vpm_set_stall() - hold back (or resume) every completion
 * @m: the model
 * @stall: true: the device takes no buffer until called with false
 */
void vpm_set_stall(struct vpm *m, bool stall)
{
	unsigned long flags;

	spin_lock_irqsave(&m->lock, flags);
	m->stall = stall;
	spin_unlock_irqrestore(&m->lock, flags);
	if (!stall)
		queue_work(m->wq, &m->work);
	flush_workqueue(m->wq);
}

/**
 * vpm_config_changed() - bump config_generation and raise a config irq
 * @m: the model
 *
 * While SUSPEND is set the interrupt is raised at resume instead.
 */
void vpm_config_changed(struct vpm *m)
{
	unsigned long flags;

	bool held;

	spin_lock_irqsave(&m->lock, flags);
	m->generation++;
	/* virtio 1.4: while SUSPEND is set, signalled only at resume. */
	held = m->status & VIRTIO_CONFIG_S_SUSPEND;
	if (held)
		m->config_held = true;
	spin_unlock_irqrestore(&m->lock, flags);
	if (!held)
		vpm_raise_config_irq(m);
}

/**
 * vpm_set_needs_reset() - the device failed: DEVICE_NEEDS_RESET, config irq
 * @m: the model
 */
void vpm_set_needs_reset(struct vpm *m)
{
	unsigned long flags;

	spin_lock_irqsave(&m->lock, flags);
	m->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	spin_unlock_irqrestore(&m->lock, flags);
	vpm_raise_config_irq(m);
}

/**
 * vpm_surprise_removal() - the function is gone: registers read all ones
 * @m: the model
 */
void vpm_surprise_removal(struct vpm *m)
{
	unsigned long flags;

	spin_lock_irqsave(&m->lock, flags);
	m->gone = true;
	spin_unlock_irqrestore(&m->lock, flags);
	flush_workqueue(m->wq);
}

/**
 * vpm_fail_next_cvq() - answer VIRTIO_NET_ERR to the next such command
 * @m: the model
 * @class: command class
 * @cmd: command
 */
void vpm_fail_next_cvq(struct vpm *m, u8 class, u8 cmd)
{
	unsigned long flags;

	spin_lock_irqsave(&m->lock, flags);
	m->fail_cvq = true;
	m->fail_class = class;
	m->fail_cmd = cmd;
	spin_unlock_irqrestore(&m->lock, flags);
}

/**
 * vpm_set_cvq_stall() - the control queue stops (or resumes) taking buffers
 * @m: the model
 * @stall: true: commands stay unanswered until called with false
 */
void vpm_set_cvq_stall(struct vpm *m, bool stall)
{
	unsigned long flags;

	spin_lock_irqsave(&m->lock, flags);
	m->cvq_stall = stall;
	spin_unlock_irqrestore(&m->lock, flags);
	if (!stall)
		queue_work(m->wq, &m->work);
	flush_workqueue(m->wq);
}

/* --- life cycle -------------------------------------------------------------- */

/**
 * vpm_default_config() - one queue pair, 256 entries, every net feature,
 *	ACCESS_PLATFORM (a user-space client needs it)
 * @cfg: filled in
 */
void vpm_default_config(struct vpm_config *cfg)
{
	static const u8 mac[ETH_ALEN] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

	memset(cfg, 0, sizeof(*cfg));
	cfg->max_vqp = 1;
	cfg->features = BIT_ULL(VIRTIO_F_VERSION_1) |
			BIT_ULL(VIRTIO_F_ACCESS_PLATFORM) |
			BIT_ULL(VIRTIO_NET_F_MAC) | BIT_ULL(VIRTIO_NET_F_MTU) |
			BIT_ULL(VIRTIO_NET_F_STATUS) |
			BIT_ULL(VIRTIO_NET_F_CTRL_VQ) |
			BIT_ULL(VIRTIO_NET_F_CTRL_RX) |
			BIT_ULL(VIRTIO_NET_F_CTRL_VLAN) |
			BIT_ULL(VIRTIO_NET_F_CTRL_MAC_ADDR) |
			BIT_ULL(VIRTIO_RING_F_EVENT_IDX) |
			BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC);
	cfg->queue_size = 256;
	cfg->msix_vectors = 4;
	cfg->mtu = 1500;
	memcpy(cfg->mac, mac, ETH_ALEN);
	cfg->notify_mult = 4;
}

static void vpm_init_netcfg(struct vpm *m)
{
	struct virtio_net_config *c = &m->netcfg;

	ether_addr_copy(c->mac, m->cfg.mac);
	c->status = cpu_to_le16(VIRTIO_NET_S_LINK_UP);
	c->max_virtqueue_pairs = cpu_to_le16(m->cfg.cfg_max_vqp ?:
					     m->cfg.max_vqp);
	c->mtu = cpu_to_le16(m->cfg.mtu);
	c->speed = cpu_to_le32(SPEED_UNKNOWN);
	c->duplex = DUPLEX_UNKNOWN;
	c->rss_max_key_size = VPM_RSS_KEY_MAX;
	c->rss_max_indirection_table_length = cpu_to_le16(VPM_RSS_TABLE_MAX);
	c->supported_hash_types = cpu_to_le32(VIRTIO_NET_RSS_HASH_TYPE_IPv4 |
					      VIRTIO_NET_RSS_HASH_TYPE_TCPv4);
}

/**
 * vpm_create() - a model instance with its registers mapped
 * @dev: the device to hang the vp_svq parent off
 * @cfg: its configuration, copied
 *
 * Return: the model or an ERR_PTR().
 */
struct vpm *vpm_create(struct device *dev, const struct vpm_config *cfg)
{
	struct vpm *m;
	int ret;

	if (!cfg->max_vqp || cfg->max_vqp > VPM_MAX_VQP || !cfg->notify_mult ||
	    cfg->msix_vectors > VPM_MAX_VECTORS ||
	    cfg->num_queues > VPM_MAX_QUEUES)
		return ERR_PTR(-EINVAL);

	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return ERR_PTR(-ENOMEM);
	m->cfg = *cfg;
	m->dev = dev;
	spin_lock_init(&m->lock);
	init_completion(&m->irq_done);
	INIT_WORK(&m->work, vpm_work);
	m->num_queues = cfg->num_queues;
	if (!m->num_queues)
		m->num_queues = 2 * cfg->max_vqp +
			!!(cfg->features & BIT_ULL(VIRTIO_NET_F_CTRL_VQ));
	vpm_init_netcfg(m);
	vpm_reset_locked(m);
	m->resets = 0;

	/*
	 * A device works beside the CPU: high priority gets the model the
	 * CPU as soon as a doorbell wakes it, however busy the caller is.
	 */
	m->wq = alloc_ordered_workqueue("vpm%p", WQ_HIGHPRI, m);
	if (!m->wq) {
		ret = -ENOMEM;
		goto err_free;
	}
	ret = vpm_slot_get(m);
	if (ret)
		goto err_wq;
	m->base = ioremap(m->res_start, VPM_NOTIFY_OFF +
			  m->num_queues * cfg->notify_mult);
	if (!m->base) {
		ret = -ENOMEM;
		goto err_slot;
	}
	return m;

err_slot:
	vpm_slot_put(m);
err_wq:
	destroy_workqueue(m->wq);
err_free:
	kfree(m);
	return ERR_PTR(ret);
}

/**
 * vpm_destroy() - stop the device and free the model
 * @m: the model; the vp_svq parent on it must be gone
 */
void vpm_destroy(struct vpm *m)
{
	unsigned long flags;

	spin_lock_irqsave(&m->lock, flags);
	m->gone = true;
	spin_unlock_irqrestore(&m->lock, flags);
	destroy_workqueue(m->wq);
	iounmap(m->base);
	vpm_slot_put(m);
	kfree(m);
}

/**
 * vpm_attach() - fill a vp_svq parent for this model
 * @m: the model
 *
 * Return: the parent, ready for vp_svq_hw_probe().
 */
struct vp_svq_parent *vpm_attach(struct vpm *m)
{
	struct vp_svq_parent *parent = &m->parent;
	u16 i;

	m->mdev.common = m->base + VPM_COMMON_OFF;
	m->mdev.common_len = sizeof(struct virtio_pci_modern_common_cfg);
	m->mdev.isr = m->base + VPM_ISR_OFF;
	m->mdev.device = m->base + VPM_DEVICE_OFF;
	m->mdev.device_len = sizeof(struct virtio_net_config);
	m->mdev.notify_base = m->base + VPM_NOTIFY_OFF;
	m->mdev.notify_len = m->num_queues * m->cfg.notify_mult;
	m->mdev.notify_pa = m->res_start + VPM_NOTIFY_OFF;
	m->mdev.notify_offset_multiplier = m->cfg.notify_mult;
	m->mdev.id.vendor = VPM_VENDOR_ID;
	m->mdev.id.device = VIRTIO_ID_NET;

	for (i = 0; i < m->num_queues; i++) {
		m->notify[i].addr = m->mdev.notify_base + i * m->cfg.notify_mult;
		m->notify[i].pa = m->mdev.notify_pa + i * m->cfg.notify_mult;
	}
	memset(parent, 0, sizeof(*parent));
	parent->mdev = &m->mdev;
	parent->dev = m->dev;
	parent->irq_ops = &vpm_irq_ops;
	parent->max_vectors = m->cfg.msix_vectors;
	parent->notify = m->notify;
	parent->notify_size = max_t(u32, m->cfg.notify_mult, sizeof(u16));
	if (m->cfg.state_cap)
		parent->state = m->base + VPM_STATE_OFF;
	return parent;
}
