// SPDX-License-Identifier: GPL-2.0-only
/*
 * vp_svq: the vdpa management device of a function, and the attributes
 * of "vdpa dev add". One vDPA device per function.
 */

#include <linux/etherdevice.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>
#include <uapi/linux/vdpa.h>

#include "compat.h"
#include "vp_svq.h"

static struct virtio_device_id vp_svq_id_table[] = {
	{ VIRTIO_ID_NET, VIRTIO_DEV_ANY_ID },
	{ 0 },
};

/**
 * struct vp_svq_dev_params - what a new vDPA device exposes
 * @features: features offered to the client
 * @max_vqp: queue pairs
 * @mtu: MTU in the config space
 * @mac: MAC address in the config space
 * @mac_given: @mac came with the request
 */
struct vp_svq_dev_params {
	u64 features;
	u16 max_vqp;
	u16 mtu;
	u8 mac[ETH_ALEN];
	bool mac_given;
};

static int vp_svq_check_features(struct vp_svq_parent *parent,
				 const char *name, u64 features)
{
	u64 extra = features & ~parent->supported_features;
	u64 platform = BIT_ULL(VIRTIO_F_ACCESS_PLATFORM);

	if (extra) {
		dev_err(parent->dev,
			"%s: device_features 0x%llx: bits 0x%llx are not offered by the device (supported 0x%llx)\n",
			name, features, extra, parent->supported_features);
		return -EINVAL;
	}
	if (!(features & BIT_ULL(VIRTIO_F_VERSION_1))) {
		dev_err(parent->dev,
			"%s: device_features 0x%llx lack VIRTIO_F_VERSION_1 (bit 32)\n",
			name, features);
		return -EINVAL;
	}
	if ((parent->device_features & platform) && !(features & platform)) {
		dev_err(parent->dev,
			"%s: device_features 0x%llx lack VIRTIO_F_ACCESS_PLATFORM (bit 33), which the device needs\n",
			name, features);
		return -EINVAL;
	}
	if ((features & BIT_ULL(VIRTIO_NET_F_MQ)) &&
	    !(features & BIT_ULL(VIRTIO_NET_F_CTRL_VQ))) {
		dev_err(parent->dev,
			"%s: device_features 0x%llx: VIRTIO_NET_F_MQ needs VIRTIO_NET_F_CTRL_VQ\n",
			name, features);
		return -EINVAL;
	}
	if ((features & BIT_ULL(VIRTIO_F_RING_PACKED)) &&
	    (features & BIT_ULL(VIRTIO_NET_F_CTRL_VQ))) {
		dev_err(parent->dev,
			"%s: device_features 0x%llx: RING_PACKED with CTRL_VQ: the shadow CVQ serves split rings only\n",
			name, features);
		return -EOPNOTSUPP;
	}
	return 0;
}

static int vp_svq_check_max_vqp(struct vp_svq_parent *parent,
				const char *name, u64 features, u16 max_vqp)
{
	if (max_vqp > parent->max_vqp) {
		dev_err(parent->dev,
			"%s: max_vqp %u exceeds the device's %u queue pairs\n",
			name, max_vqp, parent->max_vqp);
		return -EINVAL;
	}
	if (max_vqp > 1 && !(features & BIT_ULL(VIRTIO_NET_F_MQ))) {
		dev_err(parent->dev,
			"%s: max_vqp %u needs VIRTIO_NET_F_MQ, which is not offered\n",
			name, max_vqp);
		return -EINVAL;
	}
	return 0;
}

static int vp_svq_check_mtu(struct vp_svq_parent *parent, const char *name,
			    u16 mtu)
{
	if (mtu < ETH_MIN_MTU || mtu > parent->mtu) {
		dev_err(parent->dev,
			"%s: mtu %u is outside %u..%u (the device's MTU)\n",
			name, mtu, ETH_MIN_MTU, parent->mtu);
		return -EINVAL;
	}
	return 0;
}

/* A MAC other than the device's is programmed through the device's CVQ. */
static int vp_svq_check_mac(struct vp_svq_parent *parent, const char *name,
			    const u8 *mac)
{
	u64 needed = BIT_ULL(VIRTIO_NET_F_CTRL_VQ) |
		     BIT_ULL(VIRTIO_NET_F_CTRL_MAC_ADDR);

	if (!is_valid_ether_addr(mac)) {
		dev_err(parent->dev, "%s: mac %pM is not a unicast address\n",
			name, mac);
		return -EINVAL;
	}
	if (!ether_addr_equal(mac, parent->mac) &&
	    (parent->device_features & needed) != needed) {
		dev_err(parent->dev,
			"%s: mac %pM differs from the device's %pM, and the device lacks VIRTIO_NET_F_CTRL_MAC_ADDR to set it\n",
			name, mac, parent->mac);
		return -EOPNOTSUPP;
	}
	return 0;
}

/* Turn "vdpa dev add" attributes into device parameters, or refuse them. */
static int vp_svq_dev_params(struct vp_svq_parent *parent, const char *name,
			     const struct vdpa_dev_set_config *config,
			     struct vp_svq_dev_params *params)
{
	u64 mask = config->mask;
	int ret;

	params->features = parent->supported_features & VP_SVQ_DEFAULT_FEATURES;
	if (mask & BIT_ULL(VDPA_ATTR_DEV_FEATURES)) {
		ret = vp_svq_check_features(parent, name,
					    config->device_features);
		if (ret)
			return ret;
		params->features = config->device_features;
	}

	params->max_vqp = params->features & BIT_ULL(VIRTIO_NET_F_MQ) ?
			  parent->max_vqp : 1;
	if (mask & BIT_ULL(VDPA_ATTR_DEV_NET_CFG_MAX_VQP)) {
		ret = vp_svq_check_max_vqp(parent, name, params->features,
					   config->net.max_vq_pairs);
		if (ret)
			return ret;
		params->max_vqp = config->net.max_vq_pairs;
	}

	params->mtu = parent->mtu;
	if (mask & BIT_ULL(VDPA_ATTR_DEV_NET_CFG_MTU)) {
		ret = vp_svq_check_mtu(parent, name, config->net.mtu);
		if (ret)
			return ret;
		params->mtu = config->net.mtu;
	}

	ether_addr_copy(params->mac, parent->mac);
	params->mac_given = false;
	if (mask & BIT_ULL(VDPA_ATTR_DEV_NET_CFG_MACADDR)) {
		ret = vp_svq_check_mac(parent, name, config->net.mac);
		if (ret)
			return ret;
		ether_addr_copy(params->mac, config->net.mac);
		params->mac_given = true;
	}
	return 0;
}

static struct vp_svq_dev *
vp_svq_dev_alloc(struct vp_svq_parent *parent, const char *name,
		 const struct vp_svq_dev_params *params)
{
	struct vp_svq_dev *dev;
	int ret;
	u16 i;

	dev = vp_svq_vdpa_alloc_device(struct vp_svq_dev, vdpa, parent->dev,
				       &vp_svq_vdpa_ops, VP_SVQ_NGROUPS,
				       VP_SVQ_NAS, name, false);
	if (IS_ERR(dev))
		return dev;

	dev->parent = parent;
	vp_svq_vdpa_set_dma_dev(&dev->vdpa, parent->dev);
	dev->vdpa.mdev = &parent->mgtdev;
	dev->offered_features = params->features;
	dev->max_vqp = params->max_vqp;
	dev->mtu = params->mtu;
	ether_addr_copy(dev->mac, params->mac);
	dev->mac_provisioned = !ether_addr_equal(params->mac, parent->mac);
	dev->mac_admin = params->mac_given;
	dev->config_vector = VIRTIO_MSI_NO_VECTOR;
	spin_lock_init(&dev->cb_lock);
	vp_svq_cvq_init(dev);

	dev->nvqs = 2 * params->max_vqp;
	if (params->features & BIT_ULL(VIRTIO_NET_F_CTRL_VQ))
		dev->nvqs++;
	dev->vqs = kcalloc(dev->nvqs, sizeof(*dev->vqs), GFP_KERNEL);
	ret = dev->vqs ? vp_svq_as_init(dev) : -ENOMEM;
	if (ret) {
		put_device(&dev->vdpa.dev);
		return ERR_PTR(ret);
	}
	for (i = 0; i < dev->nvqs; i++) {
		dev->vqs[i].dev = dev;
		dev->vqs[i].vector = VIRTIO_MSI_NO_VECTOR;
		vp_svq_shadow_init(&dev->vqs[i]);
	}
	vp_svq_shadow_latch_forced(dev);
	return dev;
}

static int vp_svq_dev_add(struct vdpa_mgmt_dev *mgtdev, const char *name,
			  const struct vdpa_dev_set_config *config)
{
	struct vp_svq_parent *parent =
		container_of(mgtdev, struct vp_svq_parent, mgtdev);
	struct vp_svq_dev_params params;
	struct vp_svq_dev *dev;
	int ret;

	mutex_lock(&parent->lock);
	if (parent->vdev) {
		dev_err(parent->dev,
			"%s: the function already carries vDPA device %s (one per function)\n",
			name, dev_name(&parent->vdev->vdpa.dev));
		ret = -ENOSPC;
		goto out_unlock;
	}

	ret = vp_svq_dev_params(parent, name, config, &params);
	if (ret)
		goto out_unlock;

	dev = vp_svq_dev_alloc(parent, name, &params);
	if (IS_ERR(dev)) {
		ret = PTR_ERR(dev);
		goto out_unlock;
	}

	ret = vp_svq_hw_reset(parent);
	if (ret)
		goto err_put_device;
	ret = _vdpa_register_device(&dev->vdpa, dev->nvqs);
	if (ret) {
		dev_err(parent->dev, "%s: cannot register the vDPA device: %d\n",
			name, ret);
		goto err_put_device;
	}
	parent->vdev = dev;
	dev_info(parent->dev,
		 "%s: %u queue pairs%s, mtu %u, mac %pM, features 0x%llx; doorbells %u bytes apart%s\n",
		 name, dev->max_vqp,
		 params.features & BIT_ULL(VIRTIO_NET_F_CTRL_VQ) ? " + cvq" : "",
		 dev->mtu, dev->mac, dev->offered_features, parent->notify_size,
		 parent->notify_size == PAGE_SIZE ?
			", mappable into a guest" :
			" (not one page: guest kicks trap to the host)");
	mutex_unlock(&parent->lock);
	return 0;

err_put_device:
	put_device(&dev->vdpa.dev);
out_unlock:
	mutex_unlock(&parent->lock);
	return ret;
}

static void vp_svq_dev_del(struct vdpa_mgmt_dev *mgtdev,
			   struct vdpa_device *vdpa)
{
	struct vp_svq_parent *parent =
		container_of(mgtdev, struct vp_svq_parent, mgtdev);
	struct vp_svq_dev *dev = vdpa_to_vp_svq(vdpa);

	mutex_lock(&parent->lock);
	/* Keep @dev alive until the hardware is quiet, whoever held it. */
	get_device(&vdpa->dev);
	_vdpa_unregister_device(vdpa);
	/* Clients reset the device when they go; this is for those that did not. */
	vp_svq_cvq_stop(dev);
	vp_svq_as_reset_done(dev, vp_svq_hw_reset(parent));
	vp_svq_shadow_stop_all(dev);
	vp_svq_hwcvq_stop(dev);
	vp_svq_irq_teardown(dev);
	vp_svq_as_release(dev);
	parent->vdev = NULL;
	put_device(&vdpa->dev);
	mutex_unlock(&parent->lock);
}

static const struct vdpa_mgmtdev_ops vp_svq_mgmt_ops = {
	.dev_add = vp_svq_dev_add,
	.dev_del = vp_svq_dev_del,
};

/**
 * vp_svq_mgmt_register() - offer "vdpa dev add" on a probed function
 * @parent: the function, after vp_svq_hw_probe()
 *
 * Return: 0 or -errno from the vDPA core.
 */
int vp_svq_mgmt_register(struct vp_svq_parent *parent)
{
	struct vdpa_mgmt_dev *mgtdev = &parent->mgtdev;
	int ret;

	mutex_init(&parent->lock);
	mgtdev->device = parent->dev;
	mgtdev->ops = &vp_svq_mgmt_ops;
	mgtdev->id_table = vp_svq_id_table;
	mgtdev->supported_features = parent->supported_features;
	mgtdev->max_supported_vqs = parent->num_queues;
	mgtdev->config_attr_mask = BIT_ULL(VDPA_ATTR_DEV_NET_CFG_MACADDR) |
				   BIT_ULL(VDPA_ATTR_DEV_NET_CFG_MAX_VQP) |
				   BIT_ULL(VDPA_ATTR_DEV_FEATURES);
	if (parent->device_features & BIT_ULL(VIRTIO_NET_F_MTU))
		mgtdev->config_attr_mask |= BIT_ULL(VDPA_ATTR_DEV_NET_CFG_MTU);

	ret = vdpa_mgmtdev_register(mgtdev);
	if (ret)
		mutex_destroy(&parent->lock);
	return ret;
}

/**
 * vp_svq_mgmt_unregister() - withdraw the management device
 * @parent: the function
 *
 * Deletes the vDPA device of the function first, if there is one; its
 * client is detached by the vDPA core.
 */
void vp_svq_mgmt_unregister(struct vp_svq_parent *parent)
{
	vdpa_mgmtdev_unregister(&parent->mgtdev);
	mutex_destroy(&parent->lock);
}
