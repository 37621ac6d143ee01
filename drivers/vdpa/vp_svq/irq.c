// SPDX-License-Identifier: GPL-2.0-only
/*
 * vp_svq: interrupt vectors.
 *
 * At DRIVER_OK every queue that has a client callback gets a vector of its
 * own and config changes get one more (vector 0). When the function cannot
 * give that many, everything shares vector 0 and the handler tells config
 * changes apart through the ISR; no queue then has an irq of its own to
 * hand to irq bypass. Vectors are released at reset.
 */

#include <linux/virtio_pci.h>

#include "vp_svq.h"

static void vp_svq_run_cb(struct vdpa_callback *cb)
{
	if (cb->callback)
		cb->callback(cb->private);
}

/* Call @vq's callback, or remember it while interrupts are held. */
static void vp_svq_deliver_locked(struct vp_svq_vq *vq)
{
	lockdep_assert_held(&vq->dev->cb_lock);
	if (vq->dev->irq_held)
		vq->irq_pending = true;
	else
		vp_svq_run_cb(&vq->cb);
}

static void vp_svq_deliver_config_locked(struct vp_svq_dev *dev)
{
	lockdep_assert_held(&dev->cb_lock);
	if (dev->irq_held)
		dev->config_pending = true;
	else
		vp_svq_run_cb(&dev->config_cb);
}

/**
 * vp_svq_irq_deliver() - signal the client that queue @idx has used buffers
 * @dev: the vDPA device
 * @idx: queue index
 *
 * For queues served in software (the shadow CVQ). Any context.
 */
void vp_svq_irq_deliver(struct vp_svq_dev *dev, u16 idx)
{
	unsigned long flags;

	spin_lock_irqsave(&dev->cb_lock, flags);
	vp_svq_deliver_locked(&dev->vqs[idx]);
	spin_unlock_irqrestore(&dev->cb_lock, flags);
}

/**
 * vp_svq_irq_hold() - hold interrupts back from the client, or release them
 * @dev: the vDPA device
 * @hold: hold (suspend) or deliver what was held (resume)
 *
 * Once it returns with @hold, no callback of the client runs until it is
 * called again without.
 */
void vp_svq_irq_hold(struct vp_svq_dev *dev, bool hold)
{
	unsigned long flags;
	u16 i;

	spin_lock_irqsave(&dev->cb_lock, flags);
	dev->irq_held = hold;
	if (!hold) {
		for (i = 0; i < dev->nvqs; i++) {
			if (dev->vqs[i].irq_pending) {
				dev->vqs[i].irq_pending = false;
				vp_svq_run_cb(&dev->vqs[i].cb);
			}
		}
		if (dev->config_pending) {
			dev->config_pending = false;
			vp_svq_run_cb(&dev->config_cb);
		}
	}
	spin_unlock_irqrestore(&dev->cb_lock, flags);
}

/*
 * A shadowed queue's used entries go to the client first; its callback
 * runs only if the client wants one.
 */
static bool vp_svq_vq_wants_cb(struct vp_svq_vq *vq)
{
	return !vp_svq_shadow_active(vq) || vp_svq_shadow_interrupt(vq);
}

static irqreturn_t vp_svq_vq_interrupt(int irq, void *data)
{
	struct vp_svq_vq *vq = data;

	atomic64_inc(&vq->irqs);
	if (!vp_svq_vq_wants_cb(vq))
		return IRQ_HANDLED;
	spin_lock(&vq->dev->cb_lock);
	vp_svq_deliver_locked(vq);
	spin_unlock(&vq->dev->cb_lock);
	return IRQ_HANDLED;
}

static irqreturn_t vp_svq_config_interrupt(int irq, void *data)
{
	struct vp_svq_dev *dev = data;

	spin_lock(&dev->cb_lock);
	vp_svq_deliver_config_locked(dev);
	spin_unlock(&dev->cb_lock);
	return IRQ_HANDLED;
}

static irqreturn_t vp_svq_shared_interrupt(int irq, void *data)
{
	struct vp_svq_dev *dev = data;
	u8 isr = ioread8(dev->parent->mdev->isr);
	u16 i;

	spin_lock(&dev->cb_lock);
	if (isr & VIRTIO_PCI_ISR_CONFIG)
		vp_svq_deliver_config_locked(dev);
	for (i = 0; i < dev->nvqs; i++)
		if (dev->vqs[i].vector != VIRTIO_MSI_NO_VECTOR &&
		    vp_svq_vq_wants_cb(&dev->vqs[i]))
			vp_svq_deliver_locked(&dev->vqs[i]);
	spin_unlock(&dev->cb_lock);
	return IRQ_HANDLED;
}

/*
 * Every data queue with a callback gets a vector at DRIVER_OK, ready or
 * not: a client may enable it later (QEMU does). So does every ready one:
 * in shadow mode the driver needs the device's interrupts itself.
 */
static bool vp_svq_vq_wants_vector(struct vp_svq_dev *dev, u16 idx)
{
	return vp_svq_data_vq_valid(dev, idx) &&
	       (dev->vqs[idx].cb.callback || dev->vqs[idx].ready);
}

/* Allocate one vector per queue with a callback plus one, else one. */
static int vp_svq_irq_alloc(struct vp_svq_dev *dev)
{
	struct vp_svq_parent *parent = dev->parent;
	unsigned int nvec = 1;
	int ret = -ENOSPC;
	u16 i;

	for (i = 0; i < dev->nvqs; i++)
		if (vp_svq_vq_wants_vector(dev, i))
			nvec++;

	if (nvec <= parent->max_vectors)
		ret = parent->irq_ops->alloc_vectors(parent, nvec);
	if (ret && nvec > 1) {
		dev_info_ratelimited(parent->dev,
				     "%s: %u interrupt vectors unavailable (%d), sharing one\n",
				     dev_name(&dev->vdpa.dev), nvec, ret);
		nvec = 1;
		ret = parent->irq_ops->alloc_vectors(parent, nvec);
	}
	if (ret) {
		dev_err_ratelimited(parent->dev, "%s: cannot allocate an interrupt vector: %d\n",
				    dev_name(&dev->vdpa.dev), ret);
		return ret;
	}
	dev->nvectors = nvec;
	dev->shared_vector = nvec == 1;
	return 0;
}

/* Detach every handler attached so far; vectors stay allocated. */
static void vp_svq_irq_release(struct vp_svq_dev *dev)
{
	struct vp_svq_parent *parent = dev->parent;
	u16 i;

	for (i = 0; i < dev->nvqs; i++) {
		struct vp_svq_vq *vq = &dev->vqs[i];

		if (vq->vector == VIRTIO_MSI_NO_VECTOR)
			continue;
		if (!dev->shared_vector)
			parent->irq_ops->free_vector(parent, vq->vector, vq);
		vq->vector = VIRTIO_MSI_NO_VECTOR;
	}
	if (dev->config_vector != VIRTIO_MSI_NO_VECTOR) {
		parent->irq_ops->free_vector(parent, dev->config_vector, dev);
		dev->config_vector = VIRTIO_MSI_NO_VECTOR;
	}
}

/* Attach the handlers: vector 0 for config (or everything), then queues. */
static int vp_svq_irq_request(struct vp_svq_dev *dev)
{
	struct vp_svq_parent *parent = dev->parent;
	const char *name = dev_name(&dev->vdpa.dev);
	u16 vector = 1, i;
	int ret;

	snprintf(dev->irq_name, sizeof(dev->irq_name), "vp-svq-%s-%s", name,
		 dev->shared_vector ? "shared" : "config");
	ret = parent->irq_ops->request_vector(parent, 0,
			dev->shared_vector ? vp_svq_shared_interrupt :
					     vp_svq_config_interrupt,
			dev, dev->irq_name);
	if (ret)
		return ret;
	dev->config_vector = 0;

	for (i = 0; i < dev->nvqs; i++) {
		struct vp_svq_vq *vq = &dev->vqs[i];

		if (!vp_svq_vq_wants_vector(dev, i))
			continue;
		if (dev->shared_vector) {
			vq->vector = 0;
			continue;
		}
		snprintf(vq->irq_name, sizeof(vq->irq_name), "vp-svq-%s-vq%u",
			 name, i);
		ret = parent->irq_ops->request_vector(parent, vector,
						      vp_svq_vq_interrupt, vq,
						      vq->irq_name);
		if (ret)
			return ret;
		vq->vector = vector++;
	}
	return 0;
}

/* Tell the device which vector each queue and config changes use. */
static int vp_svq_irq_program(struct vp_svq_dev *dev)
{
	struct virtio_pci_modern_device *mdev = dev->parent->mdev;
	u16 i, got;

	got = vp_modern_config_vector(mdev, dev->config_vector);
	if (got != dev->config_vector)
		goto refused;

	for (i = 0; i < dev->nvqs; i++) {
		struct vp_svq_vq *vq = &dev->vqs[i];

		if (!vp_svq_vq_in_hw(dev, i))
			continue;
		got = vp_modern_queue_vector(mdev, i, vq->vector);
		if (got != vq->vector)
			goto refused;
	}
	return 0;

refused:
	dev_err_ratelimited(dev->parent->dev, "%s: device refused an MSI-X vector (read back 0x%x)\n",
			    dev_name(&dev->vdpa.dev), got);
	return -EBUSY;
}

/**
 * vp_svq_irq_setup() - give the queues and config changes their vectors
 * @dev: the vDPA device, at DRIVER_OK
 *
 * Return: 0, or -errno with no vector left allocated.
 */
int vp_svq_irq_setup(struct vp_svq_dev *dev)
{
	int ret;

	ret = vp_svq_irq_alloc(dev);
	if (ret)
		return ret;
	ret = vp_svq_irq_request(dev);
	if (ret) {
		dev_err_ratelimited(dev->parent->dev, "%s: cannot request an interrupt: %d\n",
				    dev_name(&dev->vdpa.dev), ret);
		goto err_release;
	}
	ret = vp_svq_irq_program(dev);
	if (ret)
		goto err_release;
	return 0;

err_release:
	vp_svq_irq_teardown(dev);
	return ret;
}

/**
 * vp_svq_irq_teardown() - release every vector of @dev
 * @dev: the vDPA device
 *
 * Safe to call when no vector is allocated. Waits for running handlers.
 */
void vp_svq_irq_teardown(struct vp_svq_dev *dev)
{
	struct vp_svq_parent *parent = dev->parent;

	if (!dev->nvectors)
		return;
	vp_svq_irq_release(dev);
	parent->irq_ops->free_vectors(parent);
	dev->nvectors = 0;
	dev->shared_vector = false;
}

/**
 * vp_svq_irq_of_vq() - the Linux irq that signals queue @idx alone
 * @dev: the vDPA device
 * @idx: queue index
 *
 * Return: the irq number, or -EINVAL when the queue has no vector of its
 * own (no callback, shared vector, or before DRIVER_OK).
 */
int vp_svq_irq_of_vq(struct vp_svq_dev *dev, u16 idx)
{
	struct vp_svq_vq *vq = &dev->vqs[idx];

	if (dev->shared_vector || vq->vector == VIRTIO_MSI_NO_VECTOR)
		return -EINVAL;
	return dev->parent->irq_ops->vector_irq(dev->parent, vq->vector);
}
