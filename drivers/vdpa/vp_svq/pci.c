// SPDX-License-Identifier: GPL-2.0-only
/*
 * vp_svq: PCI glue. Binds a modern virtio-net PCI function (through
 * driver_override or new_id: the driver has no static ID table, so it
 * never takes a function from virtio-pci by itself), maps its registers
 * and doorbells, provides MSI-X vectors, and registers the function as a
 * vdpa management device named pci/<BDF>.
 */

#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_pci.h>

#include "vp_svq.h"

/**
 * struct vp_svq_pci - a PCI function bound to vp_svq
 * @parent: the transport-independent part; first, see vp_svq_pci_of()
 * @mdev: register mappings of the function
 * @pdev: the PCI function
 * @state_map: the mapping of the device-state capability, if any; kept
 *	even when vp_svq_state_probe() declines to use it
 */
struct vp_svq_pci {
	struct vp_svq_parent parent;
	struct virtio_pci_modern_device mdev;
	struct pci_dev *pdev;
	void __iomem *state_map;
};

static struct vp_svq_pci *vp_svq_pci_of(struct vp_svq_parent *parent)
{
	return container_of(parent, struct vp_svq_pci, parent);
}

static int vp_svq_pci_alloc_vectors(struct vp_svq_parent *parent,
				    unsigned int nvec)
{
	int ret = pci_alloc_irq_vectors(vp_svq_pci_of(parent)->pdev, nvec,
					nvec, PCI_IRQ_MSIX);

	return ret < 0 ? ret : 0;
}

static void vp_svq_pci_free_vectors(struct vp_svq_parent *parent)
{
	pci_free_irq_vectors(vp_svq_pci_of(parent)->pdev);
}

static int vp_svq_pci_request_vector(struct vp_svq_parent *parent,
				     unsigned int vector,
				     irq_handler_t handler, void *data,
				     const char *name)
{
	int irq = pci_irq_vector(vp_svq_pci_of(parent)->pdev, vector);

	if (irq < 0)
		return irq;
	return request_irq(irq, handler, 0, name, data);
}

static void vp_svq_pci_free_vector(struct vp_svq_parent *parent,
				   unsigned int vector, void *data)
{
	free_irq(pci_irq_vector(vp_svq_pci_of(parent)->pdev, vector), data);
}

static int vp_svq_pci_vector_irq(struct vp_svq_parent *parent,
				 unsigned int vector)
{
	return pci_irq_vector(vp_svq_pci_of(parent)->pdev, vector);
}

static const struct vp_svq_irq_ops vp_svq_pci_irq_ops = {
	.alloc_vectors = vp_svq_pci_alloc_vectors,
	.free_vectors = vp_svq_pci_free_vectors,
	.request_vector = vp_svq_pci_request_vector,
	.free_vector = vp_svq_pci_free_vector,
	.vector_irq = vp_svq_pci_vector_irq,
};

/* vp_modern_probe() callback: accept virtio-net, refuse anything else. */
static int vp_svq_pci_device_id(struct pci_dev *pdev)
{
	int id;

	if (pdev->vendor != PCI_VENDOR_ID_REDHAT_QUMRANET ||
	    pdev->device < 0x1000 || pdev->device > 0x107f) {
		dev_err(&pdev->dev, "%04x:%04x is not a virtio PCI function\n",
			pdev->vendor, pdev->device);
		return -ENODEV;
	}
	/* Transitional functions carry the virtio ID in the subsystem ID. */
	id = pdev->device < 0x1040 ? pdev->subsystem_device :
				     pdev->device - 0x1040;
	if (id != VIRTIO_ID_NET) {
		dev_err(&pdev->dev,
			"virtio device type %d is not a network device: vp_svq drives net only\n",
			id);
		return -ENODEV;
	}
	return id;
}

/* The first virtio vendor capability of type @cfg_type, or 0. */
static u8 vp_svq_pci_find_cap(struct pci_dev *pdev, u8 cfg_type)
{
	u8 pos, type;

	for (pos = pci_find_capability(pdev, PCI_CAP_ID_VNDR); pos;
	     pos = pci_find_next_capability(pdev, pos, PCI_CAP_ID_VNDR)) {
		pci_read_config_byte(pdev,
				     pos + offsetof(struct virtio_pci_cap, cfg_type),
				     &type);
		if (type == cfg_type)
			return pos;
	}
	return 0;
}

/* Does the function have a virtio 1.x common configuration capability? */
static bool vp_svq_pci_is_modern(struct pci_dev *pdev)
{
	return vp_svq_pci_find_cap(pdev, VIRTIO_PCI_CAP_COMMON_CFG);
}

/* Map the device-state capability, if the function has one. */
static void vp_svq_pci_map_state(struct vp_svq_pci *vpci)
{
	struct pci_dev *pdev = vpci->pdev;
	u8 pos = vp_svq_pci_find_cap(pdev, VP_SVQ_PCI_CAP_DEVICE_STATE_CFG);
	u32 offset, length;
	u8 bar;

	if (!pos)
		return;
	pci_read_config_byte(pdev, pos + offsetof(struct virtio_pci_cap, bar),
			     &bar);
	pci_read_config_dword(pdev,
			      pos + offsetof(struct virtio_pci_cap, offset),
			      &offset);
	pci_read_config_dword(pdev,
			      pos + offsetof(struct virtio_pci_cap, length),
			      &length);
	if (bar >= PCI_STD_NUM_BARS ||
	    length < sizeof(struct vp_svq_device_state) ||
	    (u64)offset + length > pci_resource_len(pdev, bar)) {
		dev_warn(&pdev->dev,
			 "device-state capability out of range (bar %u offset %u length %u): not used\n",
			 bar, offset, length);
		return;
	}
	vpci->state_map = pci_iomap_range(pdev, bar, offset, length);
	if (!vpci->state_map)
		dev_warn(&pdev->dev, "cannot map the device-state capability: not used\n");
	vpci->parent.state = vpci->state_map;
}

static void vp_svq_pci_unmap_state(struct vp_svq_pci *vpci)
{
	if (vpci->state_map)
		pci_iounmap(vpci->pdev, vpci->state_map);
}

static void vp_svq_pci_unmap_notify(struct vp_svq_pci *vpci)
{
	struct vp_svq_parent *parent = &vpci->parent;
	u16 i;

	/* Without a whole notify BAR mapping, each doorbell was mapped alone. */
	if (!vpci->mdev.notify_base)
		for (i = 0; i < parent->num_queues; i++)
			if (parent->notify[i].addr)
				pci_iounmap(vpci->pdev, parent->notify[i].addr);
	kfree(parent->notify);
	parent->notify = NULL;
}

static int vp_svq_pci_map_notify(struct vp_svq_pci *vpci)
{
	struct vp_svq_parent *parent = &vpci->parent;
	struct vp_svq_notify *n;
	u16 i;

	parent->notify = kcalloc(parent->num_queues, sizeof(*parent->notify),
				 GFP_KERNEL);
	if (!parent->notify)
		return -ENOMEM;
	parent->notify_size = max_t(u32, vpci->mdev.notify_offset_multiplier,
				    sizeof(u16));

	for (i = 0; i < parent->num_queues; i++) {
		n = &parent->notify[i];
		n->addr = vp_modern_map_vq_notify(&vpci->mdev, i, &n->pa);
		if (!n->addr) {
			dev_err(&vpci->pdev->dev,
				"cannot map the doorbell of queue %u\n", i);
			vp_svq_pci_unmap_notify(vpci);
			return -EINVAL;
		}
	}
	return 0;
}

static int vp_svq_pci_probe(struct pci_dev *pdev,
			    const struct pci_device_id *id)
{
	struct vp_svq_parent *parent;
	struct vp_svq_pci *vpci;
	int ret;

	vpci = kzalloc(sizeof(*vpci), GFP_KERNEL);
	if (!vpci)
		return -ENOMEM;
	vpci->pdev = pdev;
	parent = &vpci->parent;

	ret = pci_enable_device(pdev);
	if (ret)
		goto err_free;

	if (!vp_svq_pci_is_modern(pdev)) {
		dev_err(&pdev->dev,
			"legacy-only virtio function (no virtio 1.x common config capability): not supported\n");
		ret = -ENODEV;
		goto err_disable;
	}

	vpci->mdev.pci_dev = pdev;
	vpci->mdev.device_id_check = vp_svq_pci_device_id;
	ret = vp_modern_probe(&vpci->mdev);
	if (ret)
		goto err_disable;
	pci_set_master(pdev);

	ret = pci_msix_vec_count(pdev);
	if (ret < 1) {
		dev_err(&pdev->dev, "function has no MSI-X capability: not supported\n");
		ret = -ENODEV;
		goto err_clear_master;
	}
	parent->max_vectors = ret;
	parent->mdev = &vpci->mdev;
	parent->dev = &pdev->dev;
	parent->irq_ops = &vp_svq_pci_irq_ops;

	ret = vp_svq_hw_probe(parent);
	if (ret)
		goto err_clear_master;
	vp_svq_pci_map_state(vpci);
	vp_svq_state_probe(parent);
	ret = vp_svq_pci_map_notify(vpci);
	if (ret)
		goto err_unmap_state;

	pci_set_drvdata(pdev, vpci);
	ret = vp_svq_mgmt_register(parent);
	if (ret) {
		dev_err(&pdev->dev, "cannot register the vdpa management device: %d\n",
			ret);
		goto err_unmap_notify;
	}

	dev_info(&pdev->dev,
		 "virtio-net: %u queue pairs, %u queues (data up to %u entries, cvq %u), %u MSI-X vectors, features 0x%llx; mgmtdev pci/%s\n",
		 parent->max_vqp, parent->num_queues, parent->data_queue_max,
		 parent->cvq_queue_max,
		 parent->max_vectors, parent->device_features, pci_name(pdev));
	return 0;

err_unmap_notify:
	vp_svq_pci_unmap_notify(vpci);
err_unmap_state:
	vp_svq_pci_unmap_state(vpci);
err_clear_master:
	pci_clear_master(pdev);
	vp_modern_remove(&vpci->mdev);
err_disable:
	pci_disable_device(pdev);
err_free:
	kfree(vpci);
	return ret;
}

static void vp_svq_pci_remove(struct pci_dev *pdev)
{
	struct vp_svq_pci *vpci = pci_get_drvdata(pdev);

	vp_svq_mgmt_unregister(&vpci->parent);
	vp_svq_hw_reset(&vpci->parent);
	vp_svq_pci_unmap_notify(vpci);
	vp_svq_pci_unmap_state(vpci);
	vp_modern_remove(&vpci->mdev);
	pci_disable_device(pdev);
	kfree(vpci);
}

/*
 * Reboot or kexec: the function stops all DMA before the memory a client
 * gave it belongs to someone else. A client still attached sees the reset
 * as a device that went away.
 */
static void vp_svq_pci_shutdown(struct pci_dev *pdev)
{
	struct vp_svq_pci *vpci = pci_get_drvdata(pdev);

	vp_svq_hw_reset(&vpci->parent);
	pci_clear_master(pdev);
}

/* Empty: functions are handed over explicitly (driver_override, new_id). */
static const struct pci_device_id vp_svq_pci_ids[] = {
	{ 0 },
};

/* /sys/bus/pci/devices/BDF/vp_svq_facilities: what suspend and state use. */
static ssize_t vp_svq_facilities_show(struct device *dev,
				      struct device_attribute *attr, char *buf)
{
	struct vp_svq_pci *vpci = pci_get_drvdata(to_pci_dev(dev));

	return vp_svq_state_facilities(&vpci->parent, buf);
}

static struct device_attribute dev_attr_vp_svq_facilities =
	__ATTR(vp_svq_facilities, 0444, vp_svq_facilities_show, NULL);

/*
 * /sys/bus/pci/devices/BDF/vp_svq_queues: how each queue of the vDPA
 * device runs (passthrough, shadow and why, cvq); empty without a device.
 */
static ssize_t vp_svq_queues_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	struct vp_svq_pci *vpci = pci_get_drvdata(to_pci_dev(dev));
	struct vp_svq_parent *parent = &vpci->parent;
	ssize_t len = 0;

	mutex_lock(&parent->lock);
	if (parent->vdev)
		len = vp_svq_shadow_show(parent->vdev, buf);
	mutex_unlock(&parent->lock);
	return len;
}

static struct device_attribute dev_attr_vp_svq_queues =
	__ATTR(vp_svq_queues, 0444, vp_svq_queues_show, NULL);

static struct attribute *vp_svq_pci_attrs[] = {
	&dev_attr_vp_svq_facilities.attr,
	&dev_attr_vp_svq_queues.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vp_svq_pci);

static struct pci_driver vp_svq_pci_driver = {
	.name = "vp_svq",
	.id_table = vp_svq_pci_ids,
	.dev_groups = vp_svq_pci_groups,
	.probe = vp_svq_pci_probe,
	.remove = vp_svq_pci_remove,
	.shutdown = vp_svq_pci_shutdown,
};
module_pci_driver(vp_svq_pci_driver);

MODULE_AUTHOR("The vp_svq developers");
MODULE_DESCRIPTION("vDPA parent for modern virtio-net PCI functions; bind with: echo vp_svq > /sys/bus/pci/devices/BDF/driver_override, then create devices with 'vdpa dev add name NAME mgmtdev pci/BDF'");
MODULE_LICENSE("GPL");
