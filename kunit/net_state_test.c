// SPDX-License-Identifier: GPL-2.0-only
/*
 * vp_svq KUnit: net_state.c without a device. The control command checker
 * (every class and command, good and bad, every length around the right
 * one, features missing, values out of range), the net state commands
 * leave, and its replay through a send callback that records.
 *
 * Commands are checked in buffers of exactly their length, so KASAN
 * reports any read past it.
 */

#include <kunit/test.h>
#include <linux/bitmap.h>
#include <linux/etherdevice.h>
#include <linux/string.h>
#include <linux/unaligned.h>
#include <linux/virtio_config.h>

#include "net_state.h"

#define VPT_NS_MAX_VQP		4
#define VPT_NS_REC_MAX		24

#define VPT_F(x)		BIT_ULL(VIRTIO_NET_F_##x)

/* Every feature with a control command, and the guest offloads. */
#define VPT_NS_ALL							\
	(BIT_ULL(VIRTIO_F_VERSION_1) | VPT_F(CTRL_VQ) | VPT_F(CTRL_RX) |\
	 VPT_F(CTRL_RX_EXTRA) | VPT_F(CTRL_VLAN) |			\
	 VPT_F(GUEST_ANNOUNCE) | VPT_F(MQ) | VPT_F(CTRL_MAC_ADDR) |	\
	 VPT_F(RSS) | VPT_F(HASH_REPORT) | VPT_F(CTRL_GUEST_OFFLOADS) |	\
	 VPT_F(GUEST_CSUM) | VPT_F(GUEST_TSO4) | VPT_F(GUEST_TSO6) |	\
	 VPT_F(GUEST_ECN) | VPT_F(GUEST_UFO) | VPT_F(GUEST_USO4) |	\
	 VPT_F(GUEST_USO6) | VPT_F(NOTF_COAL) | VPT_F(VQ_NOTF_COAL) |	\
	 VPT_F(DEVICE_STATS))

#define VPT_NS_BAD		-EINVAL

static const u8 vpt_ns_cfg_mac[ETH_ALEN] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

/*
 * Check @cmd from a buffer of exactly @len bytes (one byte when @len is
 * 0, still passed as 0): KASAN catches a read past the command.
 */
static int vpt_ns_check(struct kunit *test, u64 features, const void *cmd,
			size_t len, const char **why)
{
	void *buf = kunit_kmalloc(test, len ?: 1, GFP_KERNEL);
	int ret;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, buf);
	memcpy(buf, cmd, len);
	ret = vp_svq_net_cmd_check(features, VPT_NS_MAX_VQP, buf, len, why);
	kunit_kfree(test, buf);
	return ret;
}

/* Every proper prefix of a valid command is refused. */
static void vpt_ns_expect_prefixes_bad(struct kunit *test, u64 features,
				       const u8 *cmd, size_t len)
{
	const char *why;
	size_t l;

	for (l = 0; l < len; l++) {
		KUNIT_EXPECT_EQ_MSG(test, vpt_ns_check(test, features, cmd, l,
						       &why),
				    VPT_NS_BAD, "prefix of %zu of %zu bytes",
				    l, len);
		KUNIT_EXPECT_NOT_NULL(test, why);
	}
}

/* ---- the checker, small commands: one table ---------------------------- */

/**
 * struct vpt_ns_case - one command and what the checker must say
 * @name: what it is
 * @features: negotiated features
 * @len: bytes of @cmd
 * @cmd: the command
 * @ret: 0 or -EINVAL
 */
struct vpt_ns_case {
	const char *name;
	u64 features;
	u8 len;
	u8 cmd[24];
	int ret;
};

#define ALL VPT_NS_ALL
#define NO(x) (VPT_NS_ALL & ~VPT_F(x))

static const struct vpt_ns_case vpt_ns_cases[] = {
	/* header */
	{ "empty", ALL, 0, {}, VPT_NS_BAD },
	{ "one byte", ALL, 1, { 0 }, VPT_NS_BAD },
	/* RX */
	{ "promisc on", ALL, 3, { 0, 0, 1 }, 0 },
	{ "promisc off", ALL, 3, { 0, 0, 0 }, 0 },
	{ "promisc 0xff", ALL, 3, { 0, 0, 0xff }, 0 },
	{ "allmulti", ALL, 3, { 0, 1, 1 }, 0 },
	{ "alluni", ALL, 3, { 0, 2, 1 }, 0 },
	{ "nomulti", ALL, 3, { 0, 3, 1 }, 0 },
	{ "nouni", ALL, 3, { 0, 4, 1 }, 0 },
	{ "nobcast", ALL, 3, { 0, 5, 1 }, 0 },
	{ "promisc without CTRL_RX", NO(CTRL_RX), 3, { 0, 0, 1 }, VPT_NS_BAD },
	{ "allmulti without CTRL_RX", NO(CTRL_RX), 3, { 0, 1, 1 }, VPT_NS_BAD },
	{ "promisc without RX_EXTRA", NO(CTRL_RX_EXTRA), 3, { 0, 0, 1 }, 0 },
	{ "alluni without RX_EXTRA", NO(CTRL_RX_EXTRA), 3, { 0, 2, 1 },
	  VPT_NS_BAD },
	{ "nomulti without RX_EXTRA", NO(CTRL_RX_EXTRA), 3, { 0, 3, 1 },
	  VPT_NS_BAD },
	{ "nouni without RX_EXTRA", NO(CTRL_RX_EXTRA), 3, { 0, 4, 1 },
	  VPT_NS_BAD },
	{ "nobcast without RX_EXTRA", NO(CTRL_RX_EXTRA), 3, { 0, 5, 1 },
	  VPT_NS_BAD },
	{ "promisc no data", ALL, 2, { 0, 0 }, VPT_NS_BAD },
	{ "promisc 2 bytes", ALL, 4, { 0, 0, 1, 0 }, VPT_NS_BAD },
	{ "nobcast 2 bytes", ALL, 4, { 0, 5, 1, 0 }, VPT_NS_BAD },
	{ "RX command 6", ALL, 3, { 0, 6, 1 }, VPT_NS_BAD },
	{ "RX command 255", ALL, 3, { 0, 255, 1 }, VPT_NS_BAD },
	/* MAC */
	{ "addr set", ALL, 8, { 1, 1, 0x52, 0x54, 0, 0xaa, 0xbb, 0xcc }, 0 },
	{ "addr set without CTRL_RX", NO(CTRL_RX), 8,
	  { 1, 1, 0x52, 0x54, 0, 0xaa, 0xbb, 0xcc }, 0 },
	{ "addr set 5 bytes", ALL, 7, { 1, 1, 0x52, 0x54, 0, 0xaa, 0xbb },
	  VPT_NS_BAD },
	{ "addr set 7 bytes", ALL, 9,
	  { 1, 1, 0x52, 0x54, 0, 0xaa, 0xbb, 0xcc, 0 }, VPT_NS_BAD },
	{ "addr set without CTRL_MAC_ADDR", NO(CTRL_MAC_ADDR), 8,
	  { 1, 1, 0x52, 0x54, 0, 0xaa, 0xbb, 0xcc }, VPT_NS_BAD },
	{ "table empty", ALL, 10, { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 0 },
	{ "table empty, 7 bytes", ALL, 9, { 1, 0, 0, 0, 0, 0, 0, 0, 0 },
	  VPT_NS_BAD },
	{ "table empty, 9 bytes", ALL, 11,
	  { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, VPT_NS_BAD },
	{ "table without CTRL_RX", NO(CTRL_RX), 10,
	  { 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, VPT_NS_BAD },
	{ "table 1+1", ALL, 22,
	  { 1, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 1,
	    1, 0, 0, 0, 1, 0, 0x5e, 0, 0, 1 }, 0 },
	{ "table 1+1, count 2+1", ALL, 22,
	  { 1, 0, 2, 0, 0, 0, 2, 0, 0, 0, 0, 1,
	    1, 0, 0, 0, 1, 0, 0x5e, 0, 0, 1 }, VPT_NS_BAD },
	{ "table 1+1, count 1+2", ALL, 22,
	  { 1, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 1,
	    2, 0, 0, 0, 1, 0, 0x5e, 0, 0, 1 }, VPT_NS_BAD },
	{ "table 1+1, count 1+0", ALL, 22,
	  { 1, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 1,
	    0, 0, 0, 0, 1, 0, 0x5e, 0, 0, 1 }, VPT_NS_BAD },
	{ "table, count 2^32-1", ALL, 10,
	  { 1, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0 }, VPT_NS_BAD },
	{ "table, multicast count 2^32-1", ALL, 10,
	  { 1, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff }, VPT_NS_BAD },
	{ "MAC command 2", ALL, 8, { 1, 2, 0x52, 0x54, 0, 0xaa, 0xbb, 0xcc },
	  VPT_NS_BAD },
	/* VLAN */
	{ "vlan add 0", ALL, 4, { 2, 0, 0, 0 }, 0 },
	{ "vlan add 4095", ALL, 4, { 2, 0, 0xff, 0x0f }, 0 },
	{ "vlan add 4096", ALL, 4, { 2, 0, 0x00, 0x10 }, VPT_NS_BAD },
	{ "vlan del 100", ALL, 4, { 2, 1, 100, 0 }, 0 },
	{ "vlan del 0xffff", ALL, 4, { 2, 1, 0xff, 0xff }, VPT_NS_BAD },
	{ "vlan add 1 byte", ALL, 3, { 2, 0, 1 }, VPT_NS_BAD },
	{ "vlan add 3 bytes", ALL, 5, { 2, 0, 1, 0, 0 }, VPT_NS_BAD },
	{ "vlan add without CTRL_VLAN", NO(CTRL_VLAN), 4, { 2, 0, 1, 0 },
	  VPT_NS_BAD },
	{ "vlan del without CTRL_VLAN", NO(CTRL_VLAN), 4, { 2, 1, 1, 0 },
	  VPT_NS_BAD },
	{ "VLAN command 2", ALL, 4, { 2, 2, 1, 0 }, VPT_NS_BAD },
	/* ANNOUNCE */
	{ "announce ack", ALL, 2, { 3, 0 }, 0 },
	{ "announce ack 1 byte", ALL, 3, { 3, 0, 0 }, VPT_NS_BAD },
	{ "announce without GUEST_ANNOUNCE", NO(GUEST_ANNOUNCE), 2, { 3, 0 },
	  VPT_NS_BAD },
	{ "ANNOUNCE command 1", ALL, 2, { 3, 1 }, VPT_NS_BAD },
	/* MQ */
	{ "pairs 1", ALL, 4, { 4, 0, 1, 0 }, 0 },
	{ "pairs 4", ALL, 4, { 4, 0, 4, 0 }, 0 },
	{ "pairs 0", ALL, 4, { 4, 0, 0, 0 }, VPT_NS_BAD },
	{ "pairs 5", ALL, 4, { 4, 0, 5, 0 }, VPT_NS_BAD },
	{ "pairs 0x8000", ALL, 4, { 4, 0, 0, 0x80 }, VPT_NS_BAD },
	{ "pairs 1 byte", ALL, 3, { 4, 0, 1 }, VPT_NS_BAD },
	{ "pairs 3 bytes", ALL, 5, { 4, 0, 1, 0, 0 }, VPT_NS_BAD },
	{ "pairs without MQ", NO(MQ), 4, { 4, 0, 1, 0 }, VPT_NS_BAD },
	{ "MQ command 3", ALL, 4, { 4, 3, 1, 0 }, VPT_NS_BAD },
	/* GUEST_OFFLOADS */
	{ "offloads none", ALL, 10, { 5, 0 }, 0 },
	{ "offloads csum", ALL, 10, { 5, 0, 0x02 }, 0 },
	{ "offloads all seven", ALL, 10,
	  { 5, 0, 0x82, 0x07, 0, 0, 0, 0, 0xc0, 0 }, 0 },
	{ "offloads tso4 not negotiated", NO(GUEST_TSO4), 10,
	  { 5, 0, 0x82 }, VPT_NS_BAD },
	{ "offloads uso6 not negotiated", NO(GUEST_USO6), 10,
	  { 5, 0, 0, 0, 0, 0, 0, 0, 0x80, 0 }, VPT_NS_BAD },
	{ "offloads bit 0 (CSUM)", ALL, 10, { 5, 0, 0x01 }, VPT_NS_BAD },
	{ "offloads bit 2", ALL, 10, { 5, 0, 0x04 }, VPT_NS_BAD },
	{ "offloads bit 63", ALL, 10, { 5, 0, 0, 0, 0, 0, 0, 0, 0, 0x80 },
	  VPT_NS_BAD },
	{ "offloads 7 bytes", ALL, 9, { 5, 0 }, VPT_NS_BAD },
	{ "offloads 9 bytes", ALL, 11, { 5, 0 }, VPT_NS_BAD },
	{ "offloads without CTRL_GUEST_OFFLOADS", NO(CTRL_GUEST_OFFLOADS), 10,
	  { 5, 0 }, VPT_NS_BAD },
	{ "OFFLOADS command 1", ALL, 10, { 5, 1 }, VPT_NS_BAD },
	/* never relayed, unknown */
	{ "NOTF_COAL tx set", ALL, 10, { 6, 0 }, VPT_NS_BAD },
	{ "NOTF_COAL vq get", ALL, 14, { 6, 3 }, VPT_NS_BAD },
	{ "class 7", ALL, 2, { 7, 0 }, VPT_NS_BAD },
	{ "STATS query", ALL, 2, { 8, 0 }, VPT_NS_BAD },
	{ "STATS get", ALL, 18, { 8, 1 }, VPT_NS_BAD },
	{ "class 9", ALL, 2, { 9, 0 }, VPT_NS_BAD },
	{ "class 255", ALL, 3, { 255, 0, 1 }, VPT_NS_BAD },
};

#undef ALL
#undef NO

static void vpt_ns_case_desc(const struct vpt_ns_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(vpt_ns_cases, vpt_ns_cases, vpt_ns_case_desc);

static void vpt_ns_check_table(struct kunit *test)
{
	const struct vpt_ns_case *c = test->param_value;
	const char *why = "unset";
	int ret;

	ret = vpt_ns_check(test, c->features, c->cmd, c->len, &why);
	KUNIT_EXPECT_EQ_MSG(test, ret, c->ret, "why: %s", why ?: "(none)");
	if (c->ret)
		KUNIT_EXPECT_NOT_NULL(test, why);
	else
		KUNIT_EXPECT_NULL(test, why);
}

/* The reasons name the problem. */
static void vpt_ns_check_why(struct kunit *test)
{
	static const struct {
		u64 features;
		u8 len;
		u8 cmd[12];
		const char *why;
	} c[] = {
		{ VPT_NS_ALL, 1, { 0 }, "short header" },
		{ VPT_NS_ALL, 2, { 9, 0 }, "unknown class" },
		{ VPT_NS_ALL & ~VPT_F(CTRL_RX_EXTRA), 3, { 0, 2, 1 },
		  "VIRTIO_NET_F_CTRL_RX_EXTRA not negotiated" },
		{ VPT_NS_ALL, 10, { 1, 0, 65, 0, 0, 0, 0, 0, 0, 0 },
		  "MAC table: unicast entries > 64" },
		{ VPT_NS_ALL, 4, { 4, 0, 5, 0 },
		  "VQ_PAIRS_SET: pairs outside 1..max_virtqueue_pairs" },
		{ VPT_NS_ALL, 4, { 2, 0, 0, 0x10 }, "VLAN: id >= 4096" },
		{ VPT_NS_ALL, 11, { 5, 0 },
		  "GUEST_OFFLOADS_SET: data length not 8" },
		{ VPT_NS_ALL, 2, { 6, 0 }, "NOTF_COAL: not relayed" },
		{ VPT_NS_ALL, 2, { 8, 0 }, "STATS: not relayed" },
	};
	const char *why;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(c); i++) {
		KUNIT_EXPECT_EQ(test, vpt_ns_check(test, c[i].features,
						   c[i].cmd, c[i].len, &why),
				VPT_NS_BAD);
		KUNIT_EXPECT_STREQ(test, why, c[i].why);
	}
	/* @why may be NULL */
	KUNIT_EXPECT_EQ(test, vpt_ns_check(test, VPT_NS_ALL, c[0].cmd, 1,
					   NULL), VPT_NS_BAD);
}

/* ---- the checker, variable layouts --------------------------------------- */

static size_t vpt_ns_mac_table_len(u32 uni, u32 multi)
{
	return 2 * sizeof(struct virtio_net_ctrl_mac) + (uni + multi) * ETH_ALEN;
}

/* @n addresses @first:00:00:00:i at @d; returns the bytes written. */
static size_t vpt_ns_fill_macs(u8 *d, u8 first, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++, d += ETH_ALEN) {
		memset(d, 0, ETH_ALEN);
		d[0] = first;
		d[ETH_ALEN - 1] = i;
	}
	return n * ETH_ALEN;
}

/* MAC_TABLE_SET data: unicast 02:..:i, multicast 01:..:i. */
static size_t vpt_ns_fill_mac_table(u8 *d, u32 uni, u32 multi)
{
	size_t pos = 0;

	put_unaligned_le32(uni, d);
	pos += 4;
	pos += vpt_ns_fill_macs(d + pos, 0x02, uni);
	put_unaligned_le32(multi, d + pos);
	pos += 4;
	pos += vpt_ns_fill_macs(d + pos, 0x01, multi);
	return pos;
}

/* A whole MAC_TABLE_SET command in @buf; returns its length. */
static size_t vpt_ns_mac_table_cmd(u8 *buf, u32 uni, u32 multi)
{
	buf[0] = VIRTIO_NET_CTRL_MAC;
	buf[1] = VIRTIO_NET_CTRL_MAC_TABLE_SET;
	return 2 + vpt_ns_fill_mac_table(buf + 2, uni, multi);
}

static void vpt_ns_check_mac_table(struct kunit *test)
{
	u8 *buf = kunit_kzalloc(test, 2048, GFP_KERNEL);
	const char *why;
	size_t len;

	KUNIT_ASSERT_NOT_NULL(test, buf);

	len = vpt_ns_mac_table_cmd(buf, 64, 64);
	KUNIT_EXPECT_EQ(test, len, 778);
	KUNIT_EXPECT_EQ(test, vpt_ns_check(test, VPT_NS_ALL, buf, len, &why), 0);
	vpt_ns_expect_prefixes_bad(test, VPT_NS_ALL, buf, len);
	KUNIT_EXPECT_EQ(test, vpt_ns_check(test, VPT_NS_ALL, buf, len + 1,
					   &why), VPT_NS_BAD);
	KUNIT_EXPECT_STREQ(test, why, "MAC table: bytes after the multicast list");

	len = vpt_ns_mac_table_cmd(buf, 65, 0);
	KUNIT_EXPECT_EQ(test, vpt_ns_check(test, VPT_NS_ALL, buf, len, &why),
			VPT_NS_BAD);
	KUNIT_EXPECT_STREQ(test, why, "MAC table: unicast entries > 64");

	len = vpt_ns_mac_table_cmd(buf, 0, 65);
	KUNIT_EXPECT_EQ(test, vpt_ns_check(test, VPT_NS_ALL, buf, len, &why),
			VPT_NS_BAD);
	KUNIT_EXPECT_STREQ(test, why, "MAC table: multicast entries > 64");

	len = vpt_ns_mac_table_cmd(buf, 64, 0);
	KUNIT_EXPECT_EQ(test, vpt_ns_check(test, VPT_NS_ALL, buf, len, &why), 0);
	len = vpt_ns_mac_table_cmd(buf, 0, 64);
	KUNIT_EXPECT_EQ(test, vpt_ns_check(test, VPT_NS_ALL, buf, len, &why), 0);
	len = vpt_ns_mac_table_cmd(buf, 3, 5);
	KUNIT_EXPECT_EQ(test, len, 2 + vpt_ns_mac_table_len(3, 5));
	KUNIT_EXPECT_EQ(test, vpt_ns_check(test, VPT_NS_ALL, buf, len, &why), 0);
	vpt_ns_expect_prefixes_bad(test, VPT_NS_ALL, buf, len);
	KUNIT_EXPECT_EQ(test, vpt_ns_check(test, VPT_NS_ALL & ~VPT_F(CTRL_RX),
					   buf, len, &why), VPT_NS_BAD);
}

/*
 * An RSS_CONFIG command in @buf: hash types 0x3f, table entry i is
 * i % @max_tx, unclassified queue 0, key bytes i. Returns its length.
 */
static size_t vpt_ns_rss_cmd(u8 *buf, u16 mask, u16 max_tx, u8 key_len)
{
	size_t pos = 2, i;

	buf[0] = VIRTIO_NET_CTRL_MQ;
	buf[1] = VIRTIO_NET_CTRL_MQ_RSS_CONFIG;
	put_unaligned_le32(0x3f, buf + pos);
	put_unaligned_le16(mask, buf + pos + 4);
	put_unaligned_le16(0, buf + pos + 6);
	pos += 8;
	for (i = 0; i <= mask; i++, pos += 2)
		put_unaligned_le16(i % max_tx, buf + pos);
	put_unaligned_le16(max_tx, buf + pos);
	buf[pos + 2] = key_len;
	pos += 3;
	for (i = 0; i < key_len; i++)
		buf[pos++] = i;
	return pos;
}

/* Offsets in an RSS_CONFIG command of vpt_ns_rss_cmd(). */
#define VPT_RSS_UNCLASSIFIED		(2 + 6)
#define VPT_RSS_ENTRY(i)		(2 + 8 + 2 * (i))
#define VPT_RSS_MAX_TX(mask)		VPT_RSS_ENTRY((mask) + 1)

static int vpt_ns_rss_check(struct kunit *test, const u8 *buf, size_t len,
			    const char **why)
{
	return vpt_ns_check(test, VPT_NS_ALL, buf, len, why);
}

static void vpt_ns_check_rss_good(struct kunit *test)
{
	static const struct { u16 mask; u16 max_tx; u8 key; } g[] = {
		{ 0, 1, 0 }, { 0, 4, 40 }, { 1, 2, 40 }, { 127, 4, 40 },
		{ 255, 4, 40 }, { 255, 3, 255 },
	};
	u8 *buf = kunit_kzalloc(test, 2048, GFP_KERNEL);
	const char *why;
	unsigned int i;
	size_t len;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	for (i = 0; i < ARRAY_SIZE(g); i++) {
		len = vpt_ns_rss_cmd(buf, g[i].mask, g[i].max_tx, g[i].key);
		KUNIT_EXPECT_EQ_MSG(test, vpt_ns_rss_check(test, buf, len, &why),
				    0, "mask %u: %s", g[i].mask, why);
		KUNIT_EXPECT_EQ(test, vpt_ns_check(test,
						   VPT_NS_ALL & ~VPT_F(RSS),
						   buf, len, &why), VPT_NS_BAD);
		KUNIT_EXPECT_EQ(test, vpt_ns_rss_check(test, buf, len + 1,
						       &why), VPT_NS_BAD);
	}
	/* every shorter length, with a table and a key */
	len = vpt_ns_rss_cmd(buf, 7, 4, 40);
	vpt_ns_expect_prefixes_bad(test, VPT_NS_ALL, buf, len);
}

static void vpt_ns_check_rss_bad(struct kunit *test)
{
	u8 *buf = kunit_kzalloc(test, 2048, GFP_KERNEL);
	const char *why;
	size_t len;

	KUNIT_ASSERT_NOT_NULL(test, buf);

	/* table sizes that are not a power of two */
	len = vpt_ns_rss_cmd(buf, 6, 4, 40);
	KUNIT_EXPECT_EQ(test, vpt_ns_rss_check(test, buf, len, &why),
			VPT_NS_BAD);
	KUNIT_EXPECT_STREQ(test, why, "RSS: indirection_table_mask not 2^n-1");
	len = vpt_ns_rss_cmd(buf, 2, 4, 40);
	KUNIT_EXPECT_EQ(test, vpt_ns_rss_check(test, buf, len, &why),
			VPT_NS_BAD);

	/* 512 entries: 1077 bytes, more than the shadow CVQ relays */
	len = vpt_ns_rss_cmd(buf, 511, 4, 40);
	KUNIT_EXPECT_GT(test, len, VP_SVQ_CVQ_CMD_MAX);
	KUNIT_EXPECT_EQ(test, vpt_ns_rss_check(test, buf, len, &why),
			VPT_NS_BAD);
	KUNIT_EXPECT_STREQ(test, why, "longer than 1024 bytes");

	/* a 65536-entry mask over a short buffer */
	len = vpt_ns_rss_cmd(buf, 0, 4, 40);
	put_unaligned_le16(0xffff, buf + 2 + 4);
	KUNIT_EXPECT_EQ(test, vpt_ns_rss_check(test, buf, len, &why),
			VPT_NS_BAD);
	KUNIT_EXPECT_STREQ(test, why,
			   "RSS: data shorter than its table and trailer");

	/* queue ids: 0..3 only */
	len = vpt_ns_rss_cmd(buf, 7, 4, 40);
	put_unaligned_le16(VPT_NS_MAX_VQP, buf + VPT_RSS_ENTRY(5));
	KUNIT_EXPECT_EQ(test, vpt_ns_rss_check(test, buf, len, &why),
			VPT_NS_BAD);
	KUNIT_EXPECT_STREQ(test, why,
			   "RSS: indirection table entry >= max_virtqueue_pairs");
	put_unaligned_le16(VPT_NS_MAX_VQP - 1, buf + VPT_RSS_ENTRY(5));
	KUNIT_EXPECT_EQ(test, vpt_ns_rss_check(test, buf, len, &why), 0);
	put_unaligned_le16(VPT_NS_MAX_VQP, buf + VPT_RSS_UNCLASSIFIED);
	KUNIT_EXPECT_EQ(test, vpt_ns_rss_check(test, buf, len, &why),
			VPT_NS_BAD);
	KUNIT_EXPECT_STREQ(test, why,
			   "RSS: unclassified_queue >= max_virtqueue_pairs");
	put_unaligned_le16(VPT_NS_MAX_VQP - 1, buf + VPT_RSS_UNCLASSIFIED);
	KUNIT_EXPECT_EQ(test, vpt_ns_rss_check(test, buf, len, &why), 0);

	/* max_tx_vq: 1..4 */
	put_unaligned_le16(0, buf + VPT_RSS_MAX_TX(7));
	KUNIT_EXPECT_EQ(test, vpt_ns_rss_check(test, buf, len, &why),
			VPT_NS_BAD);
	KUNIT_EXPECT_STREQ(test, why,
			   "RSS: max_tx_vq outside 1..max_virtqueue_pairs");
	put_unaligned_le16(VPT_NS_MAX_VQP + 1, buf + VPT_RSS_MAX_TX(7));
	KUNIT_EXPECT_EQ(test, vpt_ns_rss_check(test, buf, len, &why),
			VPT_NS_BAD);
	put_unaligned_le16(VPT_NS_MAX_VQP, buf + VPT_RSS_MAX_TX(7));
	KUNIT_EXPECT_EQ(test, vpt_ns_rss_check(test, buf, len, &why), 0);

	/* hash_key_length and the length disagree, both ways */
	buf[VPT_RSS_MAX_TX(7) + 2] = 41;
	KUNIT_EXPECT_EQ(test, vpt_ns_rss_check(test, buf, len, &why),
			VPT_NS_BAD);
	KUNIT_EXPECT_STREQ(test, why,
			   "RSS: length does not match hash_key_length");
	buf[VPT_RSS_MAX_TX(7) + 2] = 39;
	KUNIT_EXPECT_EQ(test, vpt_ns_rss_check(test, buf, len, &why),
			VPT_NS_BAD);
}

/* HASH_CONFIG in @buf: hash types 0x3f, reserved @res, @key_len bytes. */
static size_t vpt_ns_hash_cmd(u8 *buf, u16 res, u8 key_len)
{
	size_t pos = 2, i;

	buf[0] = VIRTIO_NET_CTRL_MQ;
	buf[1] = VIRTIO_NET_CTRL_MQ_HASH_CONFIG;
	put_unaligned_le32(0x3f, buf + pos);
	pos += 4;
	for (i = 0; i < 4; i++, pos += 2)
		put_unaligned_le16(res, buf + pos);
	buf[pos++] = key_len;
	for (i = 0; i < key_len; i++)
		buf[pos++] = 0xa0 + i;
	return pos;
}

static void vpt_ns_check_hash(struct kunit *test)
{
	u64 no_hash = VPT_NS_ALL & ~VPT_F(HASH_REPORT);
	u8 *buf = kunit_kzalloc(test, 512, GFP_KERNEL);
	const char *why;
	size_t len;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	len = vpt_ns_hash_cmd(buf, 0, 40);
	KUNIT_EXPECT_EQ(test, len, 2 + 13 + 40);
	KUNIT_EXPECT_EQ(test, vpt_ns_check(test, VPT_NS_ALL, buf, len, &why), 0);
	KUNIT_EXPECT_EQ(test, vpt_ns_check(test, no_hash, buf, len, &why),
			VPT_NS_BAD);
	KUNIT_EXPECT_STREQ(test, why, "VIRTIO_NET_F_HASH_REPORT not negotiated");
	KUNIT_EXPECT_EQ(test, vpt_ns_check(test, VPT_NS_ALL, buf, len + 1, &why),
			VPT_NS_BAD);
	KUNIT_EXPECT_STREQ(test, why,
			   "HASH_CONFIG: length does not match hash_key_length");
	vpt_ns_expect_prefixes_bad(test, VPT_NS_ALL, buf, len);

	/* without a key; with Linux's one-entry RSS layout in "reserved" */
	len = vpt_ns_hash_cmd(buf, 0, 0);
	KUNIT_EXPECT_EQ(test, vpt_ns_check(test, VPT_NS_ALL, buf, len, &why), 0);
	len = vpt_ns_hash_cmd(buf, 3, 40);
	KUNIT_EXPECT_EQ(test, vpt_ns_check(test, VPT_NS_ALL, buf, len, &why), 0);
}

/* ---- the state ------------------------------------------------------------ */

static struct vp_svq_net_state *vpt_ns_new(struct kunit *test)
{
	struct vp_svq_net_state *st = kunit_kmalloc(test, sizeof(*st),
						    GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, st);
	memset(st, 0xa5, sizeof(*st));
	vp_svq_net_state_init(st, vpt_ns_cfg_mac);
	return st;
}

/* Two states are the same (the replay scratch aside). */
static bool vpt_ns_same(const struct vp_svq_net_state *a,
			const struct vp_svq_net_state *b)
{
	return !memcmp(a, b, offsetof(struct vp_svq_net_state, replay_buf));
}

/* Check @cmd as the shadow CVQ would, then apply it. */
static void vpt_ns_apply(struct kunit *test, struct vp_svq_net_state *st,
			 const void *cmd, size_t len)
{
	const char *why;

	KUNIT_ASSERT_EQ_MSG(test, vpt_ns_check(test, VPT_NS_ALL, cmd, len, &why),
			    0, "why: %s", why);
	vp_svq_net_cmd_apply(st, cmd, len);
}

static void vpt_ns_init(struct kunit *test)
{
	struct vp_svq_net_state *st = vpt_ns_new(test);

	KUNIT_EXPECT_MEMEQ(test, st->mac, vpt_ns_cfg_mac, ETH_ALEN);
	KUNIT_EXPECT_FALSE(test, st->mac_set);
	KUNIT_EXPECT_EQ(test, st->rx_modes, BIT(VIRTIO_NET_CTRL_RX_PROMISC));
	KUNIT_EXPECT_EQ(test, st->n_uni, 0);
	KUNIT_EXPECT_EQ(test, st->n_multi, 0);
	KUNIT_EXPECT_TRUE(test, bitmap_empty(st->vlans, VP_SVQ_VLAN_N));
	KUNIT_EXPECT_EQ(test, st->vq_pairs, 1);
	KUNIT_EXPECT_FALSE(test, st->offloads_set);
	KUNIT_EXPECT_EQ(test, st->guest_offloads, 0);
	KUNIT_EXPECT_EQ(test, st->rss_len, 0);
	KUNIT_EXPECT_EQ(test, st->hash_len, 0);

	vp_svq_net_state_init(st, NULL);
	KUNIT_EXPECT_TRUE(test, is_zero_ether_addr(st->mac));
}

static void vpt_ns_apply_rx(struct kunit *test)
{
	struct vp_svq_net_state *st = vpt_ns_new(test);

	vpt_ns_apply(test, st, (u8 []){ 0, VIRTIO_NET_CTRL_RX_PROMISC, 0 }, 3);
	KUNIT_EXPECT_EQ(test, st->rx_modes, 0);
	vpt_ns_apply(test, st, (u8 []){ 0, VIRTIO_NET_CTRL_RX_NOBCAST, 0xff }, 3);
	KUNIT_EXPECT_EQ(test, st->rx_modes, BIT(VIRTIO_NET_CTRL_RX_NOBCAST));
	vpt_ns_apply(test, st, (u8 []){ 0, VIRTIO_NET_CTRL_RX_ALLMULTI, 1 }, 3);
	vpt_ns_apply(test, st, (u8 []){ 0, VIRTIO_NET_CTRL_RX_NOBCAST, 0 }, 3);
	KUNIT_EXPECT_EQ(test, st->rx_modes, BIT(VIRTIO_NET_CTRL_RX_ALLMULTI));
}

static void vpt_ns_apply_mac(struct kunit *test)
{
	static const u8 addr[] = { 1, 1, 0x52, 0x54, 0, 0xaa, 0xbb, 0xcc };
	struct vp_svq_net_state *st = vpt_ns_new(test);
	u8 *buf = kunit_kzalloc(test, 1024, GFP_KERNEL);
	size_t len;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	vpt_ns_apply(test, st, addr, sizeof(addr));
	KUNIT_EXPECT_MEMEQ(test, st->mac, addr + 2, ETH_ALEN);
	KUNIT_EXPECT_TRUE(test, st->mac_set);

	len = vpt_ns_mac_table_cmd(buf, 3, 64);
	vpt_ns_apply(test, st, buf, len);
	KUNIT_EXPECT_EQ(test, st->n_uni, 3);
	KUNIT_EXPECT_EQ(test, st->n_multi, 64);
	KUNIT_EXPECT_MEMEQ(test, st->uni, buf + 2 + 4, 3 * ETH_ALEN);
	KUNIT_EXPECT_MEMEQ(test, st->multi, buf + 2 + 4 + 18 + 4,
			   64 * ETH_ALEN);

	len = vpt_ns_mac_table_cmd(buf, 0, 0);
	vpt_ns_apply(test, st, buf, len);
	KUNIT_EXPECT_EQ(test, st->n_uni, 0);
	KUNIT_EXPECT_EQ(test, st->n_multi, 0);
	KUNIT_EXPECT_MEMEQ(test, st->mac, addr + 2, ETH_ALEN);
}

static void vpt_ns_apply_vlan(struct kunit *test)
{
	struct vp_svq_net_state *st = vpt_ns_new(test);

	vpt_ns_apply(test, st, (u8 []){ 2, VIRTIO_NET_CTRL_VLAN_ADD, 5, 0 }, 4);
	vpt_ns_apply(test, st,
		     (u8 []){ 2, VIRTIO_NET_CTRL_VLAN_ADD, 0xff, 0x0f }, 4);
	vpt_ns_apply(test, st, (u8 []){ 2, VIRTIO_NET_CTRL_VLAN_ADD, 5, 0 }, 4);
	KUNIT_EXPECT_EQ(test, bitmap_weight(st->vlans, VP_SVQ_VLAN_N), 2);
	vpt_ns_apply(test, st, (u8 []){ 2, VIRTIO_NET_CTRL_VLAN_DEL, 5, 0 }, 4);
	vpt_ns_apply(test, st, (u8 []){ 2, VIRTIO_NET_CTRL_VLAN_DEL, 6, 0 }, 4);
	KUNIT_EXPECT_EQ(test, bitmap_weight(st->vlans, VP_SVQ_VLAN_N), 1);
	KUNIT_EXPECT_TRUE(test, test_bit(4095, st->vlans));
}

/* The last MQ command sets the steering mode; RSS sets the queue pairs. */
static void vpt_ns_apply_mq(struct kunit *test)
{
	struct vp_svq_net_state *st = vpt_ns_new(test);
	u8 *buf = kunit_kzalloc(test, 1024, GFP_KERNEL);
	size_t len;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	vpt_ns_apply(test, st, (u8 []){ 4, 0, 3, 0 }, 4);
	KUNIT_EXPECT_EQ(test, st->vq_pairs, 3);

	len = vpt_ns_rss_cmd(buf, 15, 2, 40);
	vpt_ns_apply(test, st, buf, len);
	KUNIT_EXPECT_EQ(test, st->rss_len, len - 2);
	KUNIT_EXPECT_MEMEQ(test, st->rss, buf + 2, len - 2);
	KUNIT_EXPECT_EQ(test, st->vq_pairs, 2);
	KUNIT_EXPECT_EQ(test, st->hash_len, 0);

	len = vpt_ns_hash_cmd(buf, 0, 40);
	vpt_ns_apply(test, st, buf, len);
	KUNIT_EXPECT_EQ(test, st->hash_len, len - 2);
	KUNIT_EXPECT_MEMEQ(test, st->hash, buf + 2, len - 2);
	KUNIT_EXPECT_EQ(test, st->rss_len, 0);
	KUNIT_EXPECT_EQ(test, st->vq_pairs, 2);

	len = vpt_ns_rss_cmd(buf, 0, 4, 0);
	vpt_ns_apply(test, st, buf, len);
	KUNIT_EXPECT_EQ(test, st->rss_len, len - 2);
	KUNIT_EXPECT_EQ(test, st->hash_len, 0);
	KUNIT_EXPECT_EQ(test, st->vq_pairs, 4);

	vpt_ns_apply(test, st, (u8 []){ 4, 0, 1, 0 }, 4);
	KUNIT_EXPECT_EQ(test, st->vq_pairs, 1);
	KUNIT_EXPECT_EQ(test, st->rss_len, 0);
	KUNIT_EXPECT_EQ(test, st->hash_len, 0);
}

static void vpt_ns_apply_other(struct kunit *test)
{
	struct vp_svq_net_state *st = vpt_ns_new(test);
	struct vp_svq_net_state *copy;

	vpt_ns_apply(test, st, (u8 []){ 5, 0, 0x82, 0x01, 0, 0, 0, 0, 0, 0 },
		     10);
	KUNIT_EXPECT_TRUE(test, st->offloads_set);
	KUNIT_EXPECT_EQ(test, st->guest_offloads,
			VPT_F(GUEST_CSUM) | VPT_F(GUEST_TSO4) |
			VPT_F(GUEST_TSO6));

	copy = kunit_kmalloc(test, sizeof(*copy), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, copy);
	memcpy(copy, st, sizeof(*st));
	/* ANNOUNCE_ACK leaves nothing to restore */
	vpt_ns_apply(test, st, (u8 []){ 3, 0 }, 2);
	KUNIT_EXPECT_TRUE(test, vpt_ns_same(st, copy));
	/* a command with a broken layout changes nothing */
	vp_svq_net_cmd_apply(st, (u8 []){ 1, 0, 2, 0, 0, 0, 0, 0, 0, 0 }, 10);
	vp_svq_net_cmd_apply(st, (u8 []){ 0, 0 }, 2);
	vp_svq_net_cmd_apply(st, (u8 []){ 4, 0, 1 }, 3);
	vp_svq_net_cmd_apply(st, (u8 []){ 4 }, 1);
	KUNIT_EXPECT_TRUE(test, vpt_ns_same(st, copy));
}

/* ---- replay ----------------------------------------------------------------- */

/**
 * struct vpt_ns_rec - a send callback that records and acks
 * @test: the test
 * @features: features every replayed command must pass the checker with
 * @n: commands sent
 * @len: their lengths
 * @cmd: copies of the first %VPT_NS_REC_MAX
 * @fail_at: index of the command answered @fail_ret; -1 for none
 * @fail_ret: the answer
 */
struct vpt_ns_rec {
	struct kunit *test;
	u64 features;
	unsigned int n;
	size_t len[VPT_NS_REC_MAX];
	u8 cmd[VPT_NS_REC_MAX][VP_SVQ_CVQ_CMD_MAX];
	int fail_at;
	int fail_ret;
};

static int vpt_ns_rec_send(void *ctx, const void *cmd, size_t len)
{
	struct vpt_ns_rec *rec = ctx;
	unsigned int i = rec->n++;
	const char *why;

	KUNIT_EXPECT_EQ_MSG(rec->test, vpt_ns_check(rec->test, rec->features,
						    cmd, len, &why), 0,
			    "replayed command %u: %s", i, why);
	if (i < VPT_NS_REC_MAX) {
		rec->len[i] = min_t(size_t, len, VP_SVQ_CVQ_CMD_MAX);
		memcpy(rec->cmd[i], cmd, rec->len[i]);
	}
	return i == rec->fail_at ? rec->fail_ret : VIRTIO_NET_OK;
}

static struct vpt_ns_rec *vpt_ns_rec_new(struct kunit *test, u64 features)
{
	struct vpt_ns_rec *rec = kunit_kzalloc(test, sizeof(*rec), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, rec);
	rec->test = test;
	rec->features = features;
	rec->fail_at = -1;
	return rec;
}

/**
 * struct vpt_ns_script - commands in the order replay sends them
 * @n: how many
 * @feature: the feature each needs
 * @len: their lengths
 * @cmd: the commands
 */
struct vpt_ns_script {
	unsigned int n;
	unsigned int feature[VPT_NS_REC_MAX];
	size_t len[VPT_NS_REC_MAX];
	u8 cmd[VPT_NS_REC_MAX][VP_SVQ_CVQ_CMD_MAX];
};

static u8 *vpt_ns_push(struct vpt_ns_script *s, unsigned int feature,
		       size_t len)
{
	s->feature[s->n] = feature;
	s->len[s->n] = len;
	return s->cmd[s->n++];
}

static void vpt_ns_push_small(struct vpt_ns_script *s, unsigned int feature,
			      const u8 *cmd, size_t len)
{
	memcpy(vpt_ns_push(s, feature, len), cmd, len);
}

/*
 * Everything set, in replay order: MAC, table, pairs, RSS, offloads, every
 * RX mode away from its default, three VLANs.
 */
static struct vpt_ns_script *vpt_ns_script_rss(struct kunit *test)
{
	struct vpt_ns_script *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	u8 *c;

	KUNIT_ASSERT_NOT_NULL(test, s);
	vpt_ns_push_small(s, VIRTIO_NET_F_CTRL_MAC_ADDR,
			  (u8 []){ 1, 1, 0x52, 0x54, 0, 0xaa, 0xbb, 0xcc }, 8);
	c = vpt_ns_push(s, VIRTIO_NET_F_CTRL_RX, 2 + vpt_ns_mac_table_len(2, 3));
	vpt_ns_mac_table_cmd(c, 2, 3);
	vpt_ns_push_small(s, VIRTIO_NET_F_MQ, (u8 []){ 4, 0, 4, 0 }, 4);
	c = vpt_ns_push(s, VIRTIO_NET_F_RSS, 0);
	s->len[s->n - 1] = vpt_ns_rss_cmd(c, 127, 4, 40);
	vpt_ns_push_small(s, VIRTIO_NET_F_CTRL_GUEST_OFFLOADS,
			  (u8 []){ 5, 0, 0x82, 0, 0, 0, 0, 0, 0, 0 }, 10);
	vpt_ns_push_small(s, VIRTIO_NET_F_CTRL_RX, (u8 []){ 0, 0, 0 }, 3);
	vpt_ns_push_small(s, VIRTIO_NET_F_CTRL_RX, (u8 []){ 0, 1, 1 }, 3);
	vpt_ns_push_small(s, VIRTIO_NET_F_CTRL_RX_EXTRA, (u8 []){ 0, 2, 1 }, 3);
	vpt_ns_push_small(s, VIRTIO_NET_F_CTRL_RX_EXTRA, (u8 []){ 0, 3, 1 }, 3);
	vpt_ns_push_small(s, VIRTIO_NET_F_CTRL_RX_EXTRA, (u8 []){ 0, 4, 1 }, 3);
	vpt_ns_push_small(s, VIRTIO_NET_F_CTRL_RX_EXTRA, (u8 []){ 0, 5, 1 }, 3);
	vpt_ns_push_small(s, VIRTIO_NET_F_CTRL_VLAN, (u8 []){ 2, 0, 1, 0 }, 4);
	vpt_ns_push_small(s, VIRTIO_NET_F_CTRL_VLAN, (u8 []){ 2, 0, 100, 0 }, 4);
	vpt_ns_push_small(s, VIRTIO_NET_F_CTRL_VLAN,
			  (u8 []){ 2, 0, 0xff, 0x0f }, 4);
	return s;
}

/* Hash reporting instead of RSS; promiscuous left on; offloads all off. */
static struct vpt_ns_script *vpt_ns_script_hash(struct kunit *test)
{
	struct vpt_ns_script *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	u8 *c;

	KUNIT_ASSERT_NOT_NULL(test, s);
	vpt_ns_push_small(s, VIRTIO_NET_F_CTRL_MAC_ADDR,
			  (u8 []){ 1, 1, 0x02, 0, 0, 0, 0, 0x01 }, 8);
	vpt_ns_push_small(s, VIRTIO_NET_F_MQ, (u8 []){ 4, 0, 2, 0 }, 4);
	c = vpt_ns_push(s, VIRTIO_NET_F_HASH_REPORT, 0);
	s->len[s->n - 1] = vpt_ns_hash_cmd(c, 0, 40);
	vpt_ns_push_small(s, VIRTIO_NET_F_CTRL_GUEST_OFFLOADS,
			  (u8 []){ 5, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, 10);
	vpt_ns_push_small(s, VIRTIO_NET_F_CTRL_RX, (u8 []){ 0, 1, 1 }, 3);
	vpt_ns_push_small(s, VIRTIO_NET_F_CTRL_VLAN, (u8 []){ 2, 0, 7, 0 }, 4);
	return s;
}

static struct vp_svq_net_state *vpt_ns_play(struct kunit *test,
					    const struct vpt_ns_script *s)
{
	struct vp_svq_net_state *st = vpt_ns_new(test);
	unsigned int i;

	for (i = 0; i < s->n; i++)
		vpt_ns_apply(test, st, s->cmd[i], s->len[i]);
	return st;
}

/* Replay with @features sends exactly the commands of @s they allow. */
static void vpt_ns_expect_replay(struct kunit *test,
				 const struct vpt_ns_script *s, u64 features)
{
	struct vp_svq_net_state *st = vpt_ns_play(test, s);
	struct vpt_ns_rec *rec = vpt_ns_rec_new(test, features);
	unsigned int i, j = 0;

	KUNIT_ASSERT_EQ(test, vp_svq_net_state_replay(st, features,
						      vpt_ns_rec_send, rec), 0);
	for (i = 0; i < s->n; i++) {
		if (!(features & BIT_ULL(s->feature[i])))
			continue;
		KUNIT_ASSERT_LT(test, j, rec->n);
		KUNIT_EXPECT_EQ_MSG(test, rec->len[j], s->len[i], "command %u", i);
		KUNIT_EXPECT_MEMEQ_MSG(test, rec->cmd[j], s->cmd[i], s->len[i],
				       "command %u", i);
		j++;
	}
	KUNIT_EXPECT_EQ(test, rec->n, j);
}

static void vpt_ns_replay_fresh(struct kunit *test)
{
	struct vp_svq_net_state *st = vpt_ns_new(test);
	struct vpt_ns_rec *rec = vpt_ns_rec_new(test, VPT_NS_ALL);

	KUNIT_EXPECT_EQ(test, vp_svq_net_state_replay(st, VPT_NS_ALL,
						      vpt_ns_rec_send, rec), 0);
	KUNIT_EXPECT_EQ(test, rec->n, 0);
}

static void vpt_ns_replay_sequence(struct kunit *test)
{
	struct vpt_ns_script *s = vpt_ns_script_rss(test);

	KUNIT_EXPECT_EQ(test, s->n, 14);
	vpt_ns_expect_replay(test, s, VPT_NS_ALL);
	vpt_ns_expect_replay(test, vpt_ns_script_hash(test), VPT_NS_ALL);
}

/* Each command is left out when its feature is not negotiated. */
static void vpt_ns_replay_features(struct kunit *test)
{
	static const unsigned int f[] = {
		VIRTIO_NET_F_CTRL_MAC_ADDR, VIRTIO_NET_F_CTRL_RX,
		VIRTIO_NET_F_MQ, VIRTIO_NET_F_RSS,
		VIRTIO_NET_F_CTRL_GUEST_OFFLOADS, VIRTIO_NET_F_CTRL_RX_EXTRA,
		VIRTIO_NET_F_CTRL_VLAN, VIRTIO_NET_F_HASH_REPORT,
	};
	struct vpt_ns_script *rss = vpt_ns_script_rss(test);
	struct vpt_ns_script *hash = vpt_ns_script_hash(test);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(f); i++) {
		vpt_ns_expect_replay(test, rss, VPT_NS_ALL & ~BIT_ULL(f[i]));
		vpt_ns_expect_replay(test, hash, VPT_NS_ALL & ~BIT_ULL(f[i]));
	}
	vpt_ns_expect_replay(test, rss, BIT_ULL(VIRTIO_F_VERSION_1));
}

/* Applying what replay sent to a fresh state gives the same state. */
static void vpt_ns_replay_round_trip(struct kunit *test)
{
	struct vp_svq_net_state *st = vpt_ns_play(test, vpt_ns_script_rss(test));
	struct vp_svq_net_state *again = vpt_ns_new(test);
	struct vpt_ns_rec *rec = vpt_ns_rec_new(test, VPT_NS_ALL);
	unsigned int i;

	KUNIT_ASSERT_EQ(test, vp_svq_net_state_replay(st, VPT_NS_ALL,
						      vpt_ns_rec_send, rec), 0);
	KUNIT_ASSERT_LE(test, rec->n, VPT_NS_REC_MAX);
	for (i = 0; i < rec->n; i++)
		vpt_ns_apply(test, again, rec->cmd[i], rec->len[i]);
	KUNIT_EXPECT_TRUE(test, vpt_ns_same(st, again));
}

/* Replay stops at the first ERR ack or error, and says which. */
static void vpt_ns_replay_stops(struct kunit *test)
{
	static const struct { int ack; int ret; } fail[] = {
		{ VIRTIO_NET_ERR, -EIO }, { 2, -EIO }, { 255, -EIO },
		{ -ETIMEDOUT, -ETIMEDOUT }, { -ENOMEM, -ENOMEM },
	};
	struct vp_svq_net_state *st = vpt_ns_play(test, vpt_ns_script_rss(test));
	struct vpt_ns_rec *rec;
	unsigned int i, at;

	for (i = 0; i < ARRAY_SIZE(fail); i++) {
		for (at = 0; at < 14; at++) {
			rec = vpt_ns_rec_new(test, VPT_NS_ALL);
			rec->fail_at = at;
			rec->fail_ret = fail[i].ack;
			KUNIT_EXPECT_EQ(test,
					vp_svq_net_state_replay(st, VPT_NS_ALL,
								vpt_ns_rec_send,
								rec),
					fail[i].ret);
			KUNIT_EXPECT_EQ(test, rec->n, at + 1);
			kunit_kfree(test, rec);
		}
	}
}

/* A state no command could have produced is refused, not sent. */
static void vpt_ns_replay_corrupt(struct kunit *test)
{
	struct vp_svq_net_state *st = vpt_ns_new(test);
	struct vpt_ns_rec *rec = vpt_ns_rec_new(test, VPT_NS_ALL);

	st->n_uni = VP_SVQ_MAC_TABLE_MAX + 1;
	KUNIT_EXPECT_EQ(test, vp_svq_net_state_replay(st, VPT_NS_ALL,
						      vpt_ns_rec_send, rec),
			-EINVAL);
	st->n_uni = 0;
	st->rss_len = VP_SVQ_CVQ_CMD_MAX;
	KUNIT_EXPECT_EQ(test, vp_svq_net_state_replay(st, VPT_NS_ALL,
						      vpt_ns_rec_send, rec),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, rec->n, 0);
}

static struct kunit_case vpt_ns_cases_list[] = {
	KUNIT_CASE_PARAM(vpt_ns_check_table, vpt_ns_cases_gen_params),
	KUNIT_CASE(vpt_ns_check_why),
	KUNIT_CASE(vpt_ns_check_mac_table),
	KUNIT_CASE(vpt_ns_check_rss_good),
	KUNIT_CASE(vpt_ns_check_rss_bad),
	KUNIT_CASE(vpt_ns_check_hash),
	KUNIT_CASE(vpt_ns_init),
	KUNIT_CASE(vpt_ns_apply_rx),
	KUNIT_CASE(vpt_ns_apply_mac),
	KUNIT_CASE(vpt_ns_apply_vlan),
	KUNIT_CASE(vpt_ns_apply_mq),
	KUNIT_CASE(vpt_ns_apply_other),
	KUNIT_CASE(vpt_ns_replay_fresh),
	KUNIT_CASE(vpt_ns_replay_sequence),
	KUNIT_CASE(vpt_ns_replay_features),
	KUNIT_CASE(vpt_ns_replay_round_trip),
	KUNIT_CASE(vpt_ns_replay_stops),
	KUNIT_CASE(vpt_ns_replay_corrupt),
	{}
};

static struct kunit_suite vpt_ns_suite = {
	.name = "vp_svq_net_state",
	.test_cases = vpt_ns_cases_list,
};

kunit_test_suite(vpt_ns_suite);
