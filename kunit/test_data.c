// SPDX-License-Identifier: GPL-2.0-only
/*
 * vp_svq KUnit: the data path as the kernel uses it. virtio_vdpa binds the
 * vDPA device and a small virtio driver of the test drives the queues:
 * frames sent on TX come back on RX byte for byte, over split and packed
 * rings, with and without indirect descriptors and event index; control
 * commands go through the shadow CVQ to the device's CVQ and get its ack.
 */

#include <linux/random.h>
#include <linux/scatterlist.h>
#include <linux/unaligned.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "vp_svq_test.h"

#define VPT_HDR		sizeof(struct virtio_net_hdr_mrg_rxbuf)
#define VPT_RXBUF	2048
#define VPT_WAIT_MS	3000

static struct vpt_client *
vpt_data_up_attrs(struct kunit *test, struct vpt_env *e,
		  const struct vpt_add_attrs *a)
{
	struct vpt_client *c;

	KUNIT_ASSERT_EQ(test, vpt_add(e, a), 0);
	c = vpt_client_bind(e);
	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_ASSERT_TRUE(test, e->m->status & VIRTIO_CONFIG_S_DRIVER_OK);
	return c;
}

static struct vpt_client *vpt_data_up(struct kunit *test, struct vpt_env *e)
{
	return vpt_data_up_attrs(test, e, NULL);
}

/*
 * "device_features" offering everything the device has, @drop taken out:
 * what a test of a feature outside the default set asks for.
 */
static struct vpt_client *vpt_data_up_all(struct kunit *test,
					  struct vpt_env *e, u64 drop)
{
	struct vpt_add_attrs a = { .has_features = true };

	a.features = e->parent->supported_features & ~drop;
	return vpt_data_up_attrs(test, e, &a);
}

/* The features a client cannot have with RING_PACKED: the CVQ's. */
#define VPT_CTRL_FEATURES	(BIT_ULL(VIRTIO_NET_F_CTRL_VQ) |	\
				 BIT_ULL(VIRTIO_NET_F_CTRL_RX) |	\
				 BIT_ULL(VIRTIO_NET_F_CTRL_VLAN) |	\
				 BIT_ULL(VIRTIO_NET_F_CTRL_MAC_ADDR))

static void vpt_post_rx(struct kunit *test, struct vpt_client *c, int q,
			unsigned int n)
{
	struct scatterlist sg;
	unsigned int i;
	void *buf;

	for (i = 0; i < n; i++) {
		buf = kunit_kzalloc(test, VPT_RXBUF, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, buf);
		sg_init_one(&sg, buf, VPT_RXBUF);
		KUNIT_ASSERT_EQ(test, virtqueue_add_inbuf(c->vqs[q], &sg, 1, buf,
							  GFP_KERNEL), 0);
	}
	virtqueue_kick(c->vqs[q]);
}

/* Send @len bytes of @frame with a virtio-net header, in @nsg pieces. */
static void vpt_send(struct kunit *test, struct vpt_client *c, int q,
		     const u8 *frame, size_t len, unsigned int nsg)
{
	struct scatterlist sg[4];
	size_t piece, off = 0;
	unsigned int i;
	u8 *buf;

	buf = kunit_kzalloc(test, VPT_HDR + len, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	memcpy(buf + VPT_HDR, frame, len);
	sg_init_table(sg, nsg);
	sg_set_buf(&sg[0], buf, VPT_HDR);
	piece = len / (nsg - 1 ? nsg - 1 : 1);
	for (i = 1; i < nsg; i++) {
		size_t n = i == nsg - 1 ? len - off : piece;

		sg_set_buf(&sg[i], buf + VPT_HDR + off, n);
		off += n;
	}
	if (nsg == 1)
		sg_set_buf(&sg[0], buf, VPT_HDR + len);
	KUNIT_ASSERT_EQ(test, virtqueue_add_outbuf(c->vqs[q], sg, nsg, buf,
						   GFP_KERNEL), 0);
	virtqueue_kick(c->vqs[q]);
}

/* The next used buffer of queue @q, waiting for its interrupt. */
static void *vpt_get(struct vpt_client *c, int q, unsigned int *len)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(VPT_WAIT_MS);
	void *buf;

	for (;;) {
		buf = virtqueue_get_buf(c->vqs[q], len);
		if (buf)
			return buf;
		if (!virtqueue_enable_cb(c->vqs[q]))
			continue;
		if (time_after(jiffies, deadline) ||
		    !wait_for_completion_timeout(&c->done[q],
						 msecs_to_jiffies(VPT_WAIT_MS)))
			return virtqueue_get_buf(c->vqs[q], len);
	}
}

static void vpt_expect_frame(struct kunit *test, struct vpt_client *c, int q,
			     const u8 *frame, size_t len)
{
	struct virtio_net_hdr_mrg_rxbuf *hdr;
	unsigned int got = 0;
	u8 *buf;

	buf = vpt_get(c, q, &got);
	KUNIT_ASSERT_NOT_NULL_MSG(test, buf, "no frame on queue %d", q);
	KUNIT_EXPECT_EQ(test, got, VPT_HDR + len);
	hdr = (void *)buf;
	KUNIT_EXPECT_EQ(test, hdr->hdr.flags, 0);
	KUNIT_EXPECT_EQ(test, hdr->hdr.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	KUNIT_EXPECT_EQ(test, le16_to_cpu((__force __le16)hdr->num_buffers), 1);
	KUNIT_EXPECT_MEMEQ(test, buf + VPT_HDR, frame, len);
}

static u8 *vpt_frame(struct kunit *test, size_t len)
{
	u8 *f = kunit_kmalloc(test, len, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, f);
	get_random_bytes(f, len);
	return f;
}

/* Frames of several sizes, each in @nsg pieces, come back intact. */
static void vpt_loopback(struct kunit *test, struct vpt_env *e,
			 struct vpt_client *c, int pair, unsigned int nsg)
{
	static const size_t sizes[] = { 60, 1514, 333, 1, 1600 };
	unsigned int i, len, frames = e->m->rx_frames;
	u8 *f[ARRAY_SIZE(sizes)];

	vpt_post_rx(test, c, 2 * pair, ARRAY_SIZE(sizes));
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		f[i] = vpt_frame(test, sizes[i]);
		vpt_send(test, c, 2 * pair + 1, f[i], sizes[i],
			 sizes[i] < nsg ? 1 : nsg);
	}
	for (i = 0; i < ARRAY_SIZE(sizes); i++)
		vpt_expect_frame(test, c, 2 * pair, f[i], sizes[i]);
	/* Every TX buffer comes back, with nothing written. */
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		len = U32_MAX;
		KUNIT_EXPECT_NOT_NULL(test, vpt_get(c, 2 * pair + 1, &len));
		KUNIT_EXPECT_EQ(test, len, 0);
	}
	KUNIT_EXPECT_EQ(test, e->m->rx_frames, frames + ARRAY_SIZE(sizes));
	KUNIT_EXPECT_EQ(test, e->m->rx_dropped, 0);
	KUNIT_EXPECT_EQ(test, e->m->violations, 0);
	KUNIT_EXPECT_EQ(test, e->m->dma_faults, 0);
}

static void vpt_data_split(struct kunit *test)
{
	struct vpt_env *e = vpt_env_new(test, NULL);
	struct vpt_client *c = vpt_data_up(test, e);

	KUNIT_EXPECT_FALSE(test, virtio_has_feature(c->vdev, VIRTIO_F_RING_PACKED));
	KUNIT_EXPECT_TRUE(test, virtio_has_feature(c->vdev, VIRTIO_RING_F_EVENT_IDX));
	KUNIT_EXPECT_FALSE(test, virtio_has_feature(c->vdev,
						    VIRTIO_RING_F_INDIRECT_DESC));
	vpt_loopback(test, e, c, 0, 1);
	/* A second round on the same rings. */
	vpt_loopback(test, e, c, 0, 1);
	KUNIT_EXPECT_EQ(test, e->m->indirect_bufs, 0);
	/* Interrupts went through the queues' own vectors. */
	KUNIT_EXPECT_GT(test, e->m->q[0].interrupts, 0);
	KUNIT_EXPECT_EQ(test, e->m->irqs_dropped, 0);
}

/* INDIRECT_DESC is offered only when device_features asks for it. */
static void vpt_data_split_indirect(struct kunit *test)
{
	struct vpt_env *e = vpt_env_new(test, NULL);
	struct vpt_client *c = vpt_data_up_all(test, e, 0);

	KUNIT_EXPECT_TRUE(test, virtio_has_feature(c->vdev, VIRTIO_RING_F_INDIRECT_DESC));
	vpt_loopback(test, e, c, 0, 3);
	KUNIT_EXPECT_GT(test, e->m->indirect_bufs, 0);
}

static void vpt_data_split_plain(struct kunit *test)
{
	struct vpm_config cfg;
	struct vpt_client *c;
	struct vpt_env *e;

	vpm_default_config(&cfg);
	cfg.features &= ~(BIT_ULL(VIRTIO_RING_F_EVENT_IDX) |
			  BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC));
	cfg.queue_size = 16;
	e = vpt_env_new(test, &cfg);
	c = vpt_data_up(test, e);
	KUNIT_EXPECT_FALSE(test, virtio_has_feature(c->vdev, VIRTIO_RING_F_EVENT_IDX));
	vpt_loopback(test, e, c, 0, 3);
	vpt_loopback(test, e, c, 0, 2);
	vpt_loopback(test, e, c, 0, 1);
	KUNIT_EXPECT_EQ(test, e->m->indirect_bufs, 0);
}

static void vpt_data_packed(struct kunit *test)
{
	struct vpm_config cfg;
	struct vpt_client *c;
	struct vpt_env *e;

	vpm_default_config(&cfg);
	cfg.features |= BIT_ULL(VIRTIO_F_RING_PACKED);
	cfg.queue_size = 16;
	e = vpt_env_new(test, &cfg);
	/* Packed rings are offered on request, and only without a CVQ. */
	c = vpt_data_up_all(test, e, VPT_CTRL_FEATURES);
	KUNIT_ASSERT_TRUE(test, virtio_has_feature(c->vdev, VIRTIO_F_RING_PACKED));
	KUNIT_EXPECT_EQ(test, c->cvq, -1);
	/* Enough rounds for the wrap counters to flip a few times. */
	vpt_loopback(test, e, c, 0, 1);
	vpt_loopback(test, e, c, 0, 3);
	vpt_loopback(test, e, c, 0, 1);
	vpt_loopback(test, e, c, 0, 2);
	KUNIT_EXPECT_GT(test, e->m->indirect_bufs, 0);
	KUNIT_EXPECT_FALSE(test, e->m->q[0].used_wrap && e->m->q[0].used_idx == 0);
}

static void vpt_data_packed_plain(struct kunit *test)
{
	struct vpm_config cfg;
	struct vpt_client *c;
	struct vpt_env *e;

	vpm_default_config(&cfg);
	cfg.features |= BIT_ULL(VIRTIO_F_RING_PACKED);
	cfg.features &= ~(BIT_ULL(VIRTIO_RING_F_EVENT_IDX) |
			  BIT_ULL(VIRTIO_RING_F_INDIRECT_DESC));
	cfg.queue_size = 16;
	e = vpt_env_new(test, &cfg);
	c = vpt_data_up_all(test, e, VPT_CTRL_FEATURES);
	KUNIT_ASSERT_TRUE(test, virtio_has_feature(c->vdev, VIRTIO_F_RING_PACKED));
	vpt_loopback(test, e, c, 0, 3);
	vpt_loopback(test, e, c, 0, 1);
	vpt_loopback(test, e, c, 0, 2);
	KUNIT_EXPECT_EQ(test, e->m->indirect_bufs, 0);
}

static void vpt_data_multiqueue(struct kunit *test)
{
	struct vpm_config cfg;
	struct vpt_client *c;
	struct vpt_env *e;

	vpm_default_config(&cfg);
	cfg.max_vqp = 3;
	cfg.msix_vectors = 8;
	cfg.features |= BIT_ULL(VIRTIO_NET_F_MQ);
	e = vpt_env_new(test, &cfg);
	c = vpt_data_up(test, e);
	KUNIT_ASSERT_EQ(test, c->pairs, 3);
	KUNIT_EXPECT_EQ(test, c->cvq, 6);
	vpt_loopback(test, e, c, 2, 1);
	vpt_loopback(test, e, c, 0, 1);
	KUNIT_EXPECT_EQ(test, e->m->q[2].completed, 0);
	KUNIT_EXPECT_GT(test, e->m->q[4].completed, 0);
}

/* Not enough vectors for one per queue: everything on one vector. */
static void vpt_data_shared_vector(struct kunit *test)
{
	struct vpm_config cfg;
	struct vpt_client *c;
	struct vpt_env *e;

	vpm_default_config(&cfg);
	cfg.msix_vectors = 1;
	e = vpt_env_new(test, &cfg);
	c = vpt_data_up(test, e);
	KUNIT_EXPECT_EQ(test, e->m->nvectors, 1);
	vpt_loopback(test, e, c, 0, 1);
}

/* A frame larger than any RX buffer is dropped, never truncated. */
static void vpt_data_oversized_dropped(struct kunit *test)
{
	struct vpt_env *e = vpt_env_new(test, NULL);
	struct vpt_client *c = vpt_data_up(test, e);
	u8 *big = vpt_frame(test, VPT_RXBUF), *small = vpt_frame(test, 100);
	unsigned int len;

	vpt_post_rx(test, c, 0, 1);
	vpt_send(test, c, 1, big, VPT_RXBUF, 1);
	KUNIT_EXPECT_NOT_NULL(test, vpt_get(c, 1, &len));
	KUNIT_EXPECT_EQ(test, e->m->rx_dropped, 1);
	vpt_send(test, c, 1, small, 100, 1);
	vpt_expect_frame(test, c, 0, small, 100);
}

/* Completions held back arrive once the device goes on. */
static void vpt_data_stall(struct kunit *test)
{
	struct vpt_env *e = vpt_env_new(test, NULL);
	struct vpt_client *c = vpt_data_up(test, e);
	u8 *f = vpt_frame(test, 200);
	unsigned int len;

	vpt_post_rx(test, c, 0, 1);
	vpm_set_stall(e->m, true);
	vpt_send(test, c, 1, f, 200, 1);
	KUNIT_EXPECT_EQ(test, e->m->q[1].kicks, 1);
	KUNIT_EXPECT_NULL(test, virtqueue_get_buf(c->vqs[0], &len));
	KUNIT_EXPECT_EQ(test, e->m->q[0].completed, 0);
	vpm_set_stall(e->m, false);
	vpt_expect_frame(test, c, 0, f, 200);
}

/* The device translates through an IOMMU stand-in; unmapped = fault. */
static void vpt_data_dma_iotlb(struct kunit *test)
{
	struct vpt_env *e = vpt_env_new(test, NULL);
	struct vpt_client *c;
	struct vhost_iotlb *iotlb;
	unsigned long flags;
	u8 *f = vpt_frame(test, 64);
	unsigned int len;

	iotlb = vhost_iotlb_alloc(16, 0);
	KUNIT_ASSERT_NOT_NULL(test, iotlb);
	/* Identity over all memory: the kernel client's addresses work. */
	KUNIT_ASSERT_EQ(test, vhost_iotlb_add_range(iotlb, 0, SZ_4G - 1, 0,
						    VHOST_MAP_RW), 0);
	e->m->dma_iotlb = iotlb;
	c = vpt_data_up(test, e);
	vpt_loopback(test, e, c, 0, 1);

	/* The mapping goes away: the device faults and asks for a reset. */
	spin_lock_irqsave(&e->m->lock, flags);
	vhost_iotlb_del_range(iotlb, 0, SZ_4G - 1);
	spin_unlock_irqrestore(&e->m->lock, flags);
	vpt_send(test, c, 1, f, 64, 1);
	flush_workqueue(e->m->wq);
	KUNIT_EXPECT_GT(test, e->m->dma_faults, 0);
	KUNIT_EXPECT_TRUE(test, e->m->status & VIRTIO_CONFIG_S_NEEDS_RESET);
	KUNIT_EXPECT_GT(test, e->m->config_irqs, 0);
	KUNIT_EXPECT_NULL(test, virtqueue_get_buf(c->vqs[1], &len));

	vpt_client_unbind(e);
	spin_lock_irqsave(&e->m->lock, flags);
	e->m->dma_iotlb = NULL;
	spin_unlock_irqrestore(&e->m->lock, flags);
	vhost_iotlb_free(iotlb);
}

/* Send one command on the client's CVQ; return the device's ack. */
static u8 vpt_cvq(struct kunit *test, struct vpt_client *c, u8 class, u8 cmd,
		  const void *data, size_t len)
{
	struct scatterlist out, in, *sgs[2] = { &out, &in };
	unsigned int got;
	u8 *buf, *ack;

	buf = kunit_kzalloc(test, 2 + len, GFP_KERNEL);
	ack = kunit_kzalloc(test, 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_NOT_NULL(test, ack);
	buf[0] = class;
	buf[1] = cmd;
	memcpy(buf + 2, data, len);
	*ack = 0xee;
	sg_init_one(&out, buf, 2 + len);
	sg_init_one(&in, ack, 1);
	KUNIT_ASSERT_EQ(test, virtqueue_add_sgs(c->vqs[c->cvq], sgs, 1, 1, buf,
						GFP_KERNEL), 0);
	virtqueue_kick(c->vqs[c->cvq]);
	KUNIT_ASSERT_PTR_EQ(test, vpt_get(c, c->cvq, &got), (void *)buf);
	KUNIT_EXPECT_EQ(test, got, 1);
	return *ack;
}

static void vpt_data_cvq(struct kunit *test)
{
	static const u8 mac[ETH_ALEN] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	struct vpm_config cfg;
	struct vpt_client *c;
	struct vpt_env *e;
	struct vp_svq_dev *dev;
	u8 on = 1, off = 0, table[4 + 6 + 4 + 12];
	__le16 vid = cpu_to_le16(100);
	__le64 offloads = cpu_to_le64(BIT_ULL(VIRTIO_NET_F_GUEST_CSUM));

	vpm_default_config(&cfg);
	cfg.max_vqp = 2;
	cfg.msix_vectors = 6;
	cfg.features |= BIT_ULL(VIRTIO_NET_F_MQ) |
			BIT_ULL(VIRTIO_NET_F_CTRL_RX_EXTRA) |
			BIT_ULL(VIRTIO_NET_F_GUEST_ANNOUNCE) |
			BIT_ULL(VIRTIO_NET_F_GUEST_CSUM) |
			BIT_ULL(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS);
	e = vpt_env_new(test, &cfg);
	/* GUEST_ANNOUNCE is outside the default set. */
	c = vpt_data_up_all(test, e, 0);
	KUNIT_ASSERT_EQ(test, c->cvq, 4);
	dev = e->parent->vdev;
	/*
	 * The shadow serves the client's CVQ: the device's CVQ (4 here too)
	 * runs on the driver's ring, not on the client's.
	 */
	KUNIT_EXPECT_TRUE(test, e->m->q[4].enabled);
	KUNIT_EXPECT_EQ(test, e->m->q[4].size, 32);
	KUNIT_EXPECT_NE(test, e->m->q[4].desc,
			virtqueue_get_desc_addr(c->vqs[c->cvq]));
	KUNIT_EXPECT_EQ(test, e->m->q[4].desc, dev->cvq.hw.addr);

	KUNIT_EXPECT_EQ(test, vpt_cvq(test, c, VIRTIO_NET_CTRL_MAC,
				      VIRTIO_NET_CTRL_MAC_ADDR_SET, mac, ETH_ALEN),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_MEMEQ(test, e->m->net.mac, mac, ETH_ALEN);

	/* Promiscuous is on after reset: turn it off. */
	KUNIT_EXPECT_TRUE(test, e->m->net.promisc);
	KUNIT_EXPECT_EQ(test, vpt_cvq(test, c, VIRTIO_NET_CTRL_RX,
				      VIRTIO_NET_CTRL_RX_PROMISC, &off, 1),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_EQ(test, vpt_cvq(test, c, VIRTIO_NET_CTRL_RX,
				      VIRTIO_NET_CTRL_RX_NOBCAST, &on, 1),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_FALSE(test, e->m->net.promisc);
	KUNIT_EXPECT_TRUE(test, e->m->net.nobcast);
	KUNIT_EXPECT_FALSE(test, e->m->net.allmulti);

	KUNIT_EXPECT_EQ(test, vpt_cvq(test, c, VIRTIO_NET_CTRL_VLAN,
				      VIRTIO_NET_CTRL_VLAN_ADD, &vid, 2),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_TRUE(test, test_bit(100, e->m->net.vlans));

	/* One unicast entry, two multicast ones. */
	put_unaligned_le32(1, table);
	memcpy(table + 4, mac, ETH_ALEN);
	put_unaligned_le32(2, table + 10);
	memset(table + 14, 0x01, 12);
	KUNIT_EXPECT_EQ(test, vpt_cvq(test, c, VIRTIO_NET_CTRL_MAC,
				      VIRTIO_NET_CTRL_MAC_TABLE_SET, table,
				      sizeof(table)), VIRTIO_NET_OK);
	KUNIT_EXPECT_EQ(test, e->m->net.uc_entries, 1);
	KUNIT_EXPECT_EQ(test, e->m->net.mc_entries, 2);
	/* A table that claims more entries than it carries. */
	put_unaligned_le32(3, table + 10);
	KUNIT_EXPECT_EQ(test, vpt_cvq(test, c, VIRTIO_NET_CTRL_MAC,
				      VIRTIO_NET_CTRL_MAC_TABLE_SET, table,
				      sizeof(table)), VIRTIO_NET_ERR);
	KUNIT_EXPECT_EQ(test, e->m->net.mc_entries, 2);

	vid = cpu_to_le16(2);
	KUNIT_EXPECT_EQ(test, vpt_cvq(test, c, VIRTIO_NET_CTRL_MQ,
				      VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &vid, 2),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_EQ(test, e->m->net.curr_qp, 2);
	vid = cpu_to_le16(3);
	KUNIT_EXPECT_EQ(test, vpt_cvq(test, c, VIRTIO_NET_CTRL_MQ,
				      VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &vid, 2),
			VIRTIO_NET_ERR);

	KUNIT_EXPECT_EQ(test, vpt_cvq(test, c, VIRTIO_NET_CTRL_GUEST_OFFLOADS,
				      VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET,
				      &offloads, 8), VIRTIO_NET_OK);
	KUNIT_EXPECT_EQ(test, e->m->net.guest_offloads,
			BIT_ULL(VIRTIO_NET_F_GUEST_CSUM));
	KUNIT_EXPECT_EQ(test, vpt_cvq(test, c, VIRTIO_NET_CTRL_ANNOUNCE,
				      VIRTIO_NET_CTRL_ANNOUNCE_ACK, NULL, 0),
			VIRTIO_NET_OK);
	KUNIT_EXPECT_EQ(test, e->m->net.announce_acks, 1);

	/* The device fails a command: the client gets that ack, not OK. */
	vpm_fail_next_cvq(e->m, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_ALLMULTI);
	KUNIT_EXPECT_EQ(test, vpt_cvq(test, c, VIRTIO_NET_CTRL_RX,
				      VIRTIO_NET_CTRL_RX_ALLMULTI, &on, 1),
			VIRTIO_NET_ERR);
	KUNIT_EXPECT_FALSE(test, e->m->net.allmulti);
	/* Unknown class. */
	KUNIT_EXPECT_EQ(test, vpt_cvq(test, c, 99, 0, NULL, 0), VIRTIO_NET_ERR);
	/*
	 * The shadow refused the short table, the 3 pairs and the unknown
	 * class itself: only the injected failure reached the device.
	 */
	KUNIT_EXPECT_EQ(test, e->m->net.errors, 1);
	KUNIT_EXPECT_EQ(test, e->m->net.commands, 9);
	KUNIT_EXPECT_EQ(test, dev->cvq.received, 12);
	KUNIT_EXPECT_EQ(test, dev->cvq.completed, 8);
	KUNIT_EXPECT_EQ(test, dev->cvq.failed, 4);
	KUNIT_EXPECT_EQ(test, e->m->violations, 0);

	/* Data still flows on the second pair. */
	vpt_loopback(test, e, c, 1, 1);
}

/* "vdpa dev del" with a live kernel client: it is detached, nothing leaks. */
static void vpt_data_del_with_client(struct kunit *test)
{
	struct vpt_env *e = vpt_env_new(test, NULL);
	struct vpt_client *c = vpt_data_up(test, e);

	vpt_post_rx(test, c, 0, 4);
	KUNIT_EXPECT_EQ(test, vpt_nl_dev_del(&e->nl, e->name), 0);
	KUNIT_EXPECT_NULL(test, vpt_vdpa(e));
	KUNIT_EXPECT_NULL(test, c->vdev);
	KUNIT_EXPECT_EQ(test, e->m->status, 0);
	KUNIT_EXPECT_EQ(test, vpm_attached_handlers(e->m), 0);
	KUNIT_EXPECT_EQ(test, e->m->nvectors, 0);
	KUNIT_EXPECT_EQ(test, e->m->violations, 0);
}

/*
 * A kernel client's data rings use the function's DMA addresses (physical
 * addresses here, no IOMMU), which the driver reads: when the client lets
 * go of the running device (remove resets it), each data queue stands at
 * the client's used index, read before the rings are freed. The CVQ's is
 * the shadow's. A new start forgets them.
 */
static void vpt_data_reset_running_state(struct kunit *test)
{
	u8 on = 1;
	struct vpt_env *e = vpt_env_new(test, NULL);
	struct vpt_client *c = vpt_data_up(test, e);
	struct vdpa_device *vdpa = vpt_vdpa(e);
	const struct vdpa_config_ops *ops = vdpa->config;
	struct vdpa_vq_state st;
	u16 used[2];
	unsigned int i;

	KUNIT_ASSERT_EQ(test, c->cvq, 2);
	vpt_loopback(test, e, c, 0, 1);
	KUNIT_EXPECT_EQ(test, vpt_cvq(test, c, VIRTIO_NET_CTRL_RX,
				      VIRTIO_NET_CTRL_RX_PROMISC, &on, 1),
			VIRTIO_NET_OK);
	/* Running, without RING_RESET: a queue cannot be stopped to be read. */
	KUNIT_EXPECT_EQ(test, ops->get_vq_state(vdpa, 0, &st), -EOPNOTSUPP);

	for (i = 0; i < 2; i++)
		used[i] = e->m->q[i].used_idx;
	KUNIT_EXPECT_EQ(test, used[0], 5);
	KUNIT_EXPECT_EQ(test, used[1], 5);
	vpt_client_unbind(e);
	KUNIT_EXPECT_NULL(test, vdpa->dev.driver);
	KUNIT_EXPECT_FALSE(test, ops->get_status(vdpa) &
			   VIRTIO_CONFIG_S_DRIVER_OK);
	for (i = 0; i < 2; i++) {
		memset(&st, 0xff, sizeof(st));
		KUNIT_ASSERT_EQ_MSG(test, ops->get_vq_state(vdpa, i, &st), 0,
				    "vq %u", i);
		KUNIT_EXPECT_EQ_MSG(test, st.split.avail_index, used[i], "vq %u", i);
	}
	memset(&st, 0xff, sizeof(st));
	KUNIT_ASSERT_EQ(test, ops->get_vq_state(vdpa, 2, &st), 0);
	KUNIT_EXPECT_EQ(test, st.split.avail_index, 1);

	/* Bound again: a new DRIVER_OK, new rings; let go of again. */
	c = vpt_client_bind(e);
	KUNIT_ASSERT_NOT_NULL(test, c);
	vpt_loopback(test, e, c, 0, 1);
	vpt_loopback(test, e, c, 0, 1);
	vpt_client_unbind(e);
	for (i = 0; i < 2; i++) {
		memset(&st, 0xff, sizeof(st));
		KUNIT_ASSERT_EQ_MSG(test, ops->get_vq_state(vdpa, i, &st), 0,
				    "vq %u", i);
		KUNIT_EXPECT_EQ_MSG(test, st.split.avail_index, 10, "vq %u", i);
	}
	/* The new client sent no command: its CVQ stood at 0. */
	memset(&st, 0xff, sizeof(st));
	KUNIT_ASSERT_EQ(test, ops->get_vq_state(vdpa, 2, &st), 0);
	KUNIT_EXPECT_EQ(test, st.split.avail_index, 0);
	KUNIT_EXPECT_EQ(test, e->m->violations, 0);
}

static int vpt_data_suite_init(struct kunit_suite *suite)
{
	return vpt_client_register();
}

static void vpt_data_suite_exit(struct kunit_suite *suite)
{
	vpt_client_unregister();
}

static struct kunit_case vpt_data_cases[] = {
	KUNIT_CASE(vpt_data_split),
	KUNIT_CASE(vpt_data_split_indirect),
	KUNIT_CASE(vpt_data_split_plain),
	KUNIT_CASE(vpt_data_packed),
	KUNIT_CASE(vpt_data_packed_plain),
	KUNIT_CASE(vpt_data_multiqueue),
	KUNIT_CASE(vpt_data_shared_vector),
	KUNIT_CASE(vpt_data_oversized_dropped),
	KUNIT_CASE(vpt_data_stall),
	KUNIT_CASE(vpt_data_dma_iotlb),
	KUNIT_CASE(vpt_data_cvq),
	KUNIT_CASE(vpt_data_del_with_client),
	KUNIT_CASE(vpt_data_reset_running_state),
	{}
};

static struct kunit_suite vpt_data_suite = {
	.name = "vp_svq_data",
	.suite_init = vpt_data_suite_init,
	.suite_exit = vpt_data_suite_exit,
	.test_cases = vpt_data_cases,
};

kunit_test_suite(vpt_data_suite);
