// SPDX-License-Identifier: GPL-2.0-only
/*
 * vp_svq KUnit: test environments (model + parent + management device)
 * and the kernel virtio driver the data suites use through virtio_vdpa.
 */

#include <kunit/device.h>
#include <kunit/static_stub.h>
#include <kunit/test-bug.h>
#include <linux/delay.h>
#include <linux/iommu.h>
#include <linux/dma-mapping.h>
#include <linux/jiffies.h>
#include <linux/kmsg_dump.h>
#include <linux/scatterlist.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>

#include "vp_svq_test.h"

static atomic_t vpt_env_seq = ATOMIC_INIT(0);

/* ---- an IOMMU stand-in: UML has none ---- */

/**
 * struct vpt_iommu - a paging domain the driver attached to a model
 * @domain: what the driver holds
 * @e: the environment of the function
 * @iotlb: what the driver mapped, with VHOST_MAP_* permissions from the
 *	IOMMU_READ/IOMMU_WRITE bits; the model translates through it while
 *	the domain is attached
 * @saved: the model's translation before the domain came
 */
struct vpt_iommu {
	struct iommu_domain domain;
	struct vpt_env *e;
	struct vhost_iotlb *iotlb;
	struct vhost_iotlb *saved;
};

static const char *vpt_iommu_probe(struct device *dma_dev, u64 *first,
				   u64 *last)
{
	struct vpt_env *e = dev_get_drvdata(dma_dev);

	*first = 0;
	*last = U64_MAX;
	if (!e || e->no_iommu)
		return "no IOMMU translates the function's DMA";
	*last = VPT_IOMMU_LAST;
	return NULL;
}

static struct iommu_domain *vpt_iommu_attach(struct device *dma_dev)
{
	struct vpt_env *e = dev_get_drvdata(dma_dev);
	struct vpt_iommu *d;
	unsigned long flags;

	if (!e || e->no_iommu)
		return ERR_PTR(-ENODEV);
	/* One domain per function: a second attach is a driver bug. */
	if (e->iommu) {
		KUNIT_FAIL(e->test, "a second IOMMU domain attached");
		return ERR_PTR(-EBUSY);
	}
	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return ERR_PTR(-ENOMEM);
	d->e = e;
	d->iotlb = vhost_iotlb_alloc(UINT_MAX, 0);
	if (!d->iotlb) {
		kfree(d);
		return ERR_PTR(-ENOMEM);
	}
	spin_lock_irqsave(&e->m->lock, flags);
	d->saved = e->m->dma_iotlb;
	e->m->dma_iotlb = d->iotlb;
	e->m->dma_miss_identity = !e->iommu_strict;
	spin_unlock_irqrestore(&e->m->lock, flags);
	e->iommu = d;
	e->iommu_attaches++;
	return &d->domain;
}

static int vpt_iommu_detach(struct iommu_domain *domain,
			    struct device *dma_dev)
{
	struct vpt_iommu *d = container_of(domain, struct vpt_iommu, domain);
	struct vpt_env *e = d->e;
	unsigned long flags;

	spin_lock_irqsave(&e->m->lock, flags);
	/* A test that dropped its own translation meanwhile keeps none. */
	if (e->m->dma_iotlb == d->iotlb)
		e->m->dma_iotlb = d->saved;
	e->m->dma_miss_identity = false;
	spin_unlock_irqrestore(&e->m->lock, flags);
	vhost_iotlb_free(d->iotlb);
	e->iommu = NULL;
	e->iommu_detaches++;
	kfree(d);
	return 0;
}

static int vpt_iommu_map(struct iommu_domain *domain, u64 iova,
			 phys_addr_t pa, size_t size, int prot)
{
	struct vpt_iommu *d = container_of(domain, struct vpt_iommu, domain);
	u32 perm = (prot & IOMMU_READ ? VHOST_MAP_RO : 0) |
		   (prot & IOMMU_WRITE ? VHOST_MAP_WO : 0);
	unsigned long flags;
	int ret;

	if (!size || iova + size - 1 < iova)
		return -EINVAL;
	spin_lock_irqsave(&d->e->m->lock, flags);
	/* As an IOMMU: a range mapped already is not mapped again. */
	if (vhost_iotlb_itree_first(d->iotlb, iova, iova + size - 1))
		ret = -EEXIST;
	else
		ret = vhost_iotlb_add_range(d->iotlb, iova, iova + size - 1,
					    pa, perm);
	spin_unlock_irqrestore(&d->e->m->lock, flags);
	return ret;
}

static size_t vpt_iommu_unmap(struct iommu_domain *domain, u64 iova,
			      size_t size)
{
	struct vpt_iommu *d = container_of(domain, struct vpt_iommu, domain);
	unsigned long flags;

	spin_lock_irqsave(&d->e->m->lock, flags);
	vhost_iotlb_del_range(d->iotlb, iova, iova + size - 1);
	spin_unlock_irqrestore(&d->e->m->lock, flags);
	return size;
}

/* The driver's IOMMU calls go to the stand-in for the whole test. */
static void vpt_iommu_activate(struct kunit *test)
{
	if (kunit_hooks.get_static_stub_address(test, vp_svq_as_iommu_probe))
		return;
	kunit_activate_static_stub(test, vp_svq_as_iommu_probe,
				   vpt_iommu_probe);
	kunit_activate_static_stub(test, vp_svq_as_iommu_attach,
				   vpt_iommu_attach);
	kunit_activate_static_stub(test, vp_svq_as_iommu_detach,
				   vpt_iommu_detach);
	kunit_activate_static_stub(test, vp_svq_as_iommu_map, vpt_iommu_map);
	kunit_activate_static_stub(test, vp_svq_as_iommu_unmap,
				   vpt_iommu_unmap);
}

/**
 * vpt_iommu_perm() - how the driver's domain maps a range for the device
 * @e: the environment
 * @iova: first device address
 * @len: bytes
 *
 * Return: the VHOST_MAP_* permission of the one mapping that covers the
 * range, -ENOENT when no domain is attached or none covers it.
 */
int vpt_iommu_perm(struct vpt_env *e, u64 iova, u64 len)
{
	struct vhost_iotlb_map *map;
	unsigned long flags;
	int ret = -ENOENT;

	if (!e->iommu)
		return -ENOENT;
	spin_lock_irqsave(&e->m->lock, flags);
	map = vhost_iotlb_itree_first(e->iommu->iotlb, iova, iova + len - 1);
	if (map && map->start <= iova && map->last >= iova + len - 1)
		ret = map->perm;
	spin_unlock_irqrestore(&e->m->lock, flags);
	return ret;
}

static void vpt_env_cleanup(void *data)
{
	struct vpt_env *e = data;

	if (e->registered) {
		vpt_client_unbind(e);
		vp_svq_mgmt_unregister(e->parent);
		vp_svq_hw_reset(e->parent);
	}
	vpt_nl_close(&e->nl);
	if (e->m)
		vpm_destroy(e->m);
}

/**
 * vpt_env_probe() - a model and a vp_svq parent probed on it
 * @test: the test; cleanup is registered with it
 * @e: the environment, zeroed by the caller
 * @cfg: the model's configuration
 *
 * Registers the management device when the probe succeeds.
 *
 * Return: what vp_svq_hw_probe() or vp_svq_mgmt_register() returned, or
 * -errno when the environment itself could not be built.
 */
int vpt_env_probe(struct kunit *test, struct vpt_env *e,
		  const struct vpm_config *cfg)
{
	char name[16];
	int ret;

	e->test = test;
	snprintf(name, sizeof(name), "vpm%d", atomic_inc_return(&vpt_env_seq));
	snprintf(e->name, sizeof(e->name), "vpt%d", atomic_read(&vpt_env_seq));
	e->dev = kunit_device_register(test, name);
	if (IS_ERR(e->dev))
		return PTR_ERR(e->dev);
	e->dev->coherent_dma_mask = DMA_BIT_MASK(64);
	e->dev->dma_mask = &e->dev->coherent_dma_mask;
	dev_set_drvdata(e->dev, e);
	/* Before the cleanup below: the stand-in outlives every device. */
	vpt_iommu_activate(test);

	e->m = vpm_create(e->dev, cfg);
	if (IS_ERR(e->m)) {
		ret = PTR_ERR(e->m);
		e->m = NULL;
		return ret;
	}
	ret = kunit_add_action_or_reset(test, vpt_env_cleanup, e);
	if (ret)
		return ret;
	e->parent = vpm_attach(e->m);
	ret = vp_svq_hw_probe(e->parent);
	if (ret)
		return ret;
	/* As pci.c: the facilities are checked and logged after the probe. */
	vp_svq_state_probe(e->parent);
	ret = vpt_nl_open(&e->nl);
	if (ret)
		return ret;
	ret = vp_svq_mgmt_register(e->parent);
	if (!ret)
		e->registered = true;
	return ret;
}

/**
 * vpt_env_new() - an environment that must come up, or the test fails
 * @test: the test
 * @cfg: the model's configuration; NULL for vpm_default_config()
 *
 * Return: the environment (test-managed memory).
 */
struct vpt_env *vpt_env_new(struct kunit *test, const struct vpm_config *cfg)
{
	struct vpt_env *e = kunit_kzalloc(test, sizeof(*e), GFP_KERNEL);
	struct vpm_config def;

	KUNIT_ASSERT_NOT_NULL(test, e);
	if (!cfg) {
		vpm_default_config(&def);
		cfg = &def;
	}
	KUNIT_ASSERT_EQ(test, vpt_env_probe(test, e, cfg), 0);
	return e;
}

/**
 * vpt_add() - "vdpa dev add name @e->name mgmtdev kunit/<dev> ..."
 * @e: the environment
 * @attrs: attributes, NULL for none
 *
 * The new device is left without a bus driver (vhost-vdpa or virtio-vdpa
 * may have taken it at registration, and virtio-vdpa leaves ACKNOWLEDGE
 * set when it lets go) and reset, as a client starts, so the test can
 * drive its ops.
 *
 * Return: the netlink ack's error.
 */
int vpt_add(struct vpt_env *e, const struct vpt_add_attrs *attrs)
{
	int ret = vpt_nl_dev_add(&e->nl, dev_name(e->dev), e->name, attrs);
	struct vdpa_device *vdpa;

	if (ret)
		return ret;
	vpt_detach_client(e);
	vdpa = vpt_vdpa(e);
	if (vdpa)
		ret = vdpa->config->reset(vdpa);
	return ret;
}

/**
 * vpt_del() - "vdpa dev del @e->name"
 * @e: the environment
 *
 * Return: the netlink ack's error.
 */
int vpt_del(struct vpt_env *e)
{
	vpt_client_unbind(e);
	return vpt_nl_dev_del(&e->nl, e->name);
}

/**
 * vpt_vdpa() - the vDPA device on the parent, if any
 * @e: the environment
 *
 * Return: the device or NULL.
 */
struct vdpa_device *vpt_vdpa(struct vpt_env *e)
{
	struct vdpa_device *vdpa = NULL;

	/* Without a management device there is no device, nor a lock. */
	if (!e->registered)
		return NULL;
	mutex_lock(&e->parent->lock);
	if (e->parent->vdev)
		vdpa = &e->parent->vdev->vdpa;
	mutex_unlock(&e->parent->lock);
	return vdpa;
}

/**
 * vpt_detach_client() - unbind vhost-vdpa or virtio-vdpa from the device
 * @e: the environment
 */
void vpt_detach_client(struct vpt_env *e)
{
	struct vdpa_device *vdpa = vpt_vdpa(e);

	if (vdpa && vdpa->dev.driver)
		device_release_driver(&vdpa->dev);
}

/**
 * vpt_attach_driver() - bind the vDPA device to one bus driver
 * @e: the environment
 * @drv: "virtio_vdpa" or "vhost_vdpa"
 *
 * Return: 0 when bound, else -errno.
 */
int vpt_attach_driver(struct vpt_env *e, const char *drv)
{
	struct vdpa_device *vdpa = vpt_vdpa(e);
	int ret;

	if (!vdpa)
		return -ENODEV;
	vpt_detach_client(e);
	ret = device_set_driver_override(&vdpa->dev, drv);
	if (ret)
		return ret;
	ret = device_attach(&vdpa->dev);
	device_set_driver_override(&vdpa->dev, NULL);
	return ret == 1 ? 0 : (ret ?: -ENODEV);
}

/* --- client memory --------------------------------------------------------- */

struct vpt_client_mem {
	void *va;
	size_t size;
};

static void vpt_client_mem_free(void *data)
{
	struct vpt_client_mem *m = data;

	free_pages_exact(m->va, m->size);
}

/**
 * vpt_client_mem() - zeroed memory a test hands the driver as a client's
 * @test: the test; the memory is freed when it ends
 * @size: bytes
 *
 * The driver takes a reference on every page of a client's mapping, as
 * vhost-vdpa's clients' pages have, so the memory comes from the page
 * allocator, split into pages that each carry a reference count. A large
 * kmalloc() buffer does not: its pages may have no reference count at all.
 *
 * Return: the memory, page-aligned, or NULL.
 */
void *vpt_client_mem(struct kunit *test, size_t size)
{
	struct vpt_client_mem *m;

	m = kunit_kzalloc(test, sizeof(*m), GFP_KERNEL);
	if (!m)
		return NULL;
	m->size = size;
	m->va = alloc_pages_exact(size, GFP_KERNEL | __GFP_ZERO);
	if (!m->va)
		return NULL;
	if (kunit_add_action_or_reset(test, vpt_client_mem_free, m))
		return NULL;
	return m->va;
}

/* --- the test virtio driver ----------------------------------------------- */

static DEFINE_MUTEX(vpt_client_lock);
static struct vpt_client *vpt_client_armed;

static void vpt_client_cb(struct virtqueue *vq)
{
	struct vpt_client *c = vq->vdev->priv;

	atomic_inc(&c->calls[vq->index]);
	complete(&c->done[vq->index]);
}

static int vpt_client_probe(struct virtio_device *vdev)
{
	struct virtqueue_info info[VPT_MAX_VQS] = {};
	static const char * const names[] = {
		"rx0", "tx0", "rx1", "tx1", "rx2", "tx2", "rx3", "tx3",
		"rx4", "tx4", "rx5", "tx5", "rx6", "tx6", "rx7", "tx7",
	};
	struct vpt_client *c;
	u16 max_vqp = 1;
	unsigned int i;
	int ret;

	mutex_lock(&vpt_client_lock);
	c = vpt_client_armed;
	vpt_client_armed = NULL;
	mutex_unlock(&vpt_client_lock);
	if (!c)
		return -ENODEV;

	if (virtio_has_feature(vdev, VIRTIO_NET_F_MQ))
		max_vqp = virtio_cread16(vdev, offsetof(struct virtio_net_config,
							max_virtqueue_pairs));
	if (!max_vqp || max_vqp > VPT_MAX_VQP)
		return -EINVAL;
	c->pairs = max_vqp;
	c->nvqs = 2 * max_vqp;
	c->cvq = -1;
	if (virtio_has_feature(vdev, VIRTIO_NET_F_CTRL_VQ))
		c->cvq = c->nvqs++;
	for (i = 0; i < c->nvqs; i++) {
		info[i].name = (int)i == c->cvq ? "cvq" : names[i];
		info[i].callback = vpt_client_cb;
	}
	c->vdev = vdev;
	vdev->priv = c;
	ret = virtio_find_vqs(vdev, c->nvqs, c->vqs, info, NULL);
	if (ret) {
		c->vdev = NULL;
		return ret;
	}
	virtio_device_ready(vdev);
	complete(&c->probed);
	return 0;
}

static void vpt_client_remove(struct virtio_device *vdev)
{
	struct vpt_client *c = vdev->priv;
	struct virtqueue *vq;
	unsigned int i;
	void *buf;

	virtio_reset_device(vdev);
	for (i = 0; i < c->nvqs; i++) {
		vq = c->vqs[i];
		while (vq && (buf = virtqueue_detach_unused_buf(vq)))
			;
	}
	vdev->config->del_vqs(vdev);
	c->vdev = NULL;
}

static unsigned int vpt_client_features[] = {
	VIRTIO_NET_F_MAC, VIRTIO_NET_F_MTU, VIRTIO_NET_F_STATUS,
	VIRTIO_NET_F_CTRL_VQ, VIRTIO_NET_F_CTRL_RX, VIRTIO_NET_F_CTRL_VLAN,
	VIRTIO_NET_F_CTRL_RX_EXTRA, VIRTIO_NET_F_GUEST_ANNOUNCE,
	VIRTIO_NET_F_MQ, VIRTIO_NET_F_CTRL_MAC_ADDR, VIRTIO_NET_F_RSS,
	VIRTIO_NET_F_CTRL_GUEST_OFFLOADS, VIRTIO_NET_F_MRG_RXBUF,
	VIRTIO_NET_F_GUEST_CSUM,
};

static const struct virtio_device_id vpt_client_ids[] = {
	{ VIRTIO_ID_NET, VIRTIO_DEV_ANY_ID },
	{ 0 },
};

static struct virtio_driver vpt_client_driver = {
	.driver.name = "vp_svq_kunit_client",
	.id_table = vpt_client_ids,
	.feature_table = vpt_client_features,
	.feature_table_size = ARRAY_SIZE(vpt_client_features),
	.probe = vpt_client_probe,
	.remove = vpt_client_remove,
};

/**
 * vpt_client_register() - register the test virtio driver
 *
 * It takes a device only while a test has armed it (vpt_client_bind()).
 *
 * Return: 0 or -errno.
 */
int vpt_client_register(void)
{
	return register_virtio_driver(&vpt_client_driver);
}

/**
 * vpt_client_unregister() - unregister the test virtio driver
 */
void vpt_client_unregister(void)
{
	unregister_virtio_driver(&vpt_client_driver);
}

static void vpt_client_unbind_action(void *data)
{
	vpt_client_unbind(data);
}

/**
 * vpt_client_bind() - bind virtio_vdpa and the test driver to the device
 * @e: the environment, with a vDPA device added
 *
 * Return: the client with its queues set up and DRIVER_OK set, or NULL.
 */
struct vpt_client *vpt_client_bind(struct vpt_env *e)
{
	struct vpt_client *c;
	unsigned int i;
	int ret;

	c = kunit_kzalloc(e->test, sizeof(*c), GFP_KERNEL);
	if (!c)
		return NULL;
	for (i = 0; i < VPT_MAX_VQS; i++)
		init_completion(&c->done[i]);
	init_completion(&c->probed);
	mutex_lock(&vpt_client_lock);
	vpt_client_armed = c;
	mutex_unlock(&vpt_client_lock);
	ret = vpt_attach_driver(e, "virtio_vdpa");
	mutex_lock(&vpt_client_lock);
	vpt_client_armed = NULL;
	mutex_unlock(&vpt_client_lock);
	if (ret || !completion_done(&c->probed))
		return NULL;
	/* Unbind before @c goes back to kunit (its resources free in reverse). */
	if (kunit_add_action_or_reset(e->test, vpt_client_unbind_action, e))
		return NULL;
	return c;
}

/**
 * vpt_client_unbind() - undo vpt_client_bind()
 * @e: the environment
 */
void vpt_client_unbind(struct vpt_env *e)
{
	vpt_detach_client(e);
}

/**
 * vpt_client_cvq() - one command on the test client's CVQ
 * @c: the client, with a CVQ
 * @cmd: class, command and data
 * @len: bytes at @cmd
 * @ack: the ack byte the device wrote (0xee if none)
 *
 * Waits up to 3 s for the buffer to come back.
 *
 * Return: the used length, or -errno (-ETIMEDOUT: not returned).
 */
int vpt_client_cvq(struct vpt_client *c, const void *cmd, size_t len, u8 *ack)
{
	struct scatterlist out, in, *sgs[2] = { &out, &in };
	unsigned long deadline = jiffies + msecs_to_jiffies(3000);
	unsigned int got = 0;
	struct virtqueue *vq;
	u8 *buf;
	int ret;

	if (c->cvq < 0)
		return -ENODEV;
	vq = c->vqs[c->cvq];
	buf = kmalloc(len + 1, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, cmd, len);
	buf[len] = 0xee;
	sg_init_one(&out, buf, len);
	sg_init_one(&in, buf + len, 1);
	ret = virtqueue_add_sgs(vq, sgs, 1, 1, buf, GFP_KERNEL);
	if (ret) {
		kfree(buf);
		return ret;
	}
	virtqueue_kick(vq);
	while (virtqueue_get_buf(vq, &got) != buf) {
		if (time_after(jiffies, deadline))
			return -ETIMEDOUT;	/* @buf stays the ring's */
		usleep_range(500, 1000);
	}
	*ack = buf[len];
	kfree(buf);
	return got;
}

/**
 * vpt_log_mark() - put a unique line into the kernel log
 * @test: the test; the mark names it
 * @mark: filled with the line's text, VPT_LOG_MARK bytes
 *
 * vpt_log_count() counts what comes after it.
 */
void vpt_log_mark(struct kunit *test, char *mark)
{
	static atomic_t seq = ATOMIC_INIT(0);

	snprintf(mark, VPT_LOG_MARK, "vpt log mark %d %s",
		 atomic_inc_return(&seq), test->name);
	pr_info("%s\n", mark);
}

/**
 * vpt_log_count() - kernel log lines holding @needle after @mark
 * @mark: from vpt_log_mark()
 * @needle: text to look for
 *
 * Return: how many lines after the last line equal to @mark hold
 * @needle; 0 when the mark is no longer in the log buffer.
 */
unsigned int vpt_log_count(const char *mark, const char *needle)
{
	struct kmsg_dump_iter iter;
	unsigned int n = 0;
	bool seen = false;
	char *line;
	size_t len;

	line = kmalloc(1024, GFP_KERNEL);
	if (!line)
		return 0;
	kmsg_dump_rewind(&iter);
	while (kmsg_dump_get_line(&iter, false, line, 1023, &len)) {
		line[len] = 0;
		if (strstr(line, mark)) {
			seen = true;
			n = 0;
		} else if (seen && strstr(line, needle)) {
			n++;
		}
	}
	kfree(line);
	return n;
}
