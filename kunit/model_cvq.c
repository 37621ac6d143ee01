// SPDX-License-Identifier: GPL-2.0-only
/*
 * vp_svq device model: the device's own control queue. Each command is
 * checked against the negotiated features and its length, applied to
 * &vpm.net and answered with its own ack.
 */

#include <linux/etherdevice.h>
#include <linux/unaligned.h>
#include <linux/virtio_config.h>

#include "vp_svq_model.h"

static bool vpm_cvq_has(struct vpm *m, unsigned int bit)
{
	return m->driver_features & BIT_ULL(bit);
}

static int vpm_cvq_rx(struct vpm *m, u8 cmd, const u8 *d, size_t len)
{
	struct vpm_net_state *n = &m->net;
	bool on;

	if (!vpm_cvq_has(m, VIRTIO_NET_F_CTRL_RX) || len != 1)
		return -EINVAL;
	if (cmd > VIRTIO_NET_CTRL_RX_ALLMULTI &&
	    !vpm_cvq_has(m, VIRTIO_NET_F_CTRL_RX_EXTRA))
		return -EINVAL;
	on = d[0];
	switch (cmd) {
	case VIRTIO_NET_CTRL_RX_PROMISC:
		n->promisc = on;
		return 0;
	case VIRTIO_NET_CTRL_RX_ALLMULTI:
		n->allmulti = on;
		return 0;
	case VIRTIO_NET_CTRL_RX_ALLUNI:
		n->alluni = on;
		return 0;
	case VIRTIO_NET_CTRL_RX_NOMULTI:
		n->nomulti = on;
		return 0;
	case VIRTIO_NET_CTRL_RX_NOUNI:
		n->nouni = on;
		return 0;
	case VIRTIO_NET_CTRL_RX_NOBCAST:
		n->nobcast = on;
		return 0;
	}
	return -EINVAL;
}

/*
 * Two tables, unicast then multicast, each a le32 count and the entries.
 * Each may hold VPM_MAC_TABLE_MAX entries (QEMU's MAC_TABLE_ENTRIES is a
 * limit of its own; the spec sets none).
 */
static int vpm_cvq_mac_table(struct vpm *m, const u8 *d, size_t len)
{
	u8 table[2 * VPM_MAC_TABLE_MAX][ETH_ALEN];
	u32 count[2], total = 0;
	size_t pos = 0;
	int t;

	if (!vpm_cvq_has(m, VIRTIO_NET_F_CTRL_RX))
		return -EINVAL;
	for (t = 0; t < 2; t++) {
		if (len - pos < 4)
			return -EINVAL;
		count[t] = get_unaligned_le32(d + pos);
		pos += 4;
		if (count[t] > VPM_MAC_TABLE_MAX ||
		    len - pos < (size_t)count[t] * ETH_ALEN)
			return -EINVAL;
		memcpy(table[total], d + pos, count[t] * ETH_ALEN);
		pos += count[t] * ETH_ALEN;
		total += count[t];
	}
	if (pos != len)
		return -EINVAL;
	m->net.uc_entries = count[0];
	m->net.mc_entries = count[1];
	memcpy(m->net.mac_table, table, total * ETH_ALEN);
	return 0;
}

static int vpm_cvq_mac(struct vpm *m, u8 cmd, const u8 *d, size_t len)
{
	switch (cmd) {
	case VIRTIO_NET_CTRL_MAC_TABLE_SET:
		return vpm_cvq_mac_table(m, d, len);
	case VIRTIO_NET_CTRL_MAC_ADDR_SET:
		/*
		 * The spec restricts no value here, nor does QEMU
		 * (virtio_net_handle_mac()): any 6 bytes. With
		 * VIRTIO_NET_F_MAC the config space follows ("The device MUST
		 * update mac in config space before it consumes the
		 * VIRTIO_NET_CTRL_MAC_ADDR_SET command").
		 */
		if (!vpm_cvq_has(m, VIRTIO_NET_F_CTRL_MAC_ADDR) ||
		    len != ETH_ALEN)
			return -EINVAL;
		ether_addr_copy(m->net.mac, d);
		if (vpm_cvq_has(m, VIRTIO_NET_F_MAC))
			ether_addr_copy(m->netcfg.mac, d);
		return 0;
	}
	return -EINVAL;
}

static int vpm_cvq_vlan(struct vpm *m, u8 cmd, const u8 *d, size_t len)
{
	u16 vid;

	if (!vpm_cvq_has(m, VIRTIO_NET_F_CTRL_VLAN) || len != 2)
		return -EINVAL;
	vid = get_unaligned_le16(d);
	if (vid >= 4096)
		return -EINVAL;
	switch (cmd) {
	case VIRTIO_NET_CTRL_VLAN_ADD:
		__set_bit(vid, m->net.vlans);
		return 0;
	case VIRTIO_NET_CTRL_VLAN_DEL:
		__clear_bit(vid, m->net.vlans);
		return 0;
	}
	return -EINVAL;
}

static int vpm_cvq_announce(struct vpm *m, u8 cmd, size_t len)
{
	if (!vpm_cvq_has(m, VIRTIO_NET_F_GUEST_ANNOUNCE) ||
	    cmd != VIRTIO_NET_CTRL_ANNOUNCE_ACK || len)
		return -EINVAL;
	m->netcfg.status &= ~cpu_to_le16(VIRTIO_NET_S_ANNOUNCE);
	m->net.announce_acks++;
	return 0;
}

/*
 * RSS_CONFIG (with an indirection table) or HASH_CONFIG (without): each
 * replaces the other.
 */
static int vpm_cvq_rss(struct vpm *m, bool rss, const u8 *d, size_t len)
{
	struct vpm_net_state *n = &m->net;
	u16 entries = 0, i, max_tx = 0;
	/* HASH_CONFIG: hash_types, 4 reserved le16, then the key */
	size_t pos = 10;
	u8 key_len;

	if (rss ? !vpm_cvq_has(m, VIRTIO_NET_F_RSS) :
		  !vpm_cvq_has(m, VIRTIO_NET_F_HASH_REPORT))
		return -EINVAL;
	if (len < 13)
		return -EINVAL;
	if (rss) {
		entries = get_unaligned_le16(d + 4) + 1;
		if (!is_power_of_2(entries) || entries > VPM_RSS_TABLE_MAX ||
		    len < 8 + 2 * entries + 3)
			return -EINVAL;
		pos = 8 + 2 * entries;
		max_tx = get_unaligned_le16(d + pos);
		if (!max_tx || max_tx > m->cfg.max_vqp)
			return -EINVAL;
		for (i = 0; i < entries; i++)
			/* Receive queue ids are queue pair numbers. */
			if (get_unaligned_le16(d + 8 + 2 * i) >= m->cfg.max_vqp)
				return -EINVAL;
	}
	key_len = d[pos + 2];
	if (key_len > VPM_RSS_KEY_MAX || len != pos + 3 + key_len)
		return -EINVAL;

	n->rss = rss;
	n->hash = !rss;
	n->hash_types = get_unaligned_le32(d);
	n->rss_table_len = entries;
	for (i = 0; i < entries; i++)
		n->rss_table[i] = get_unaligned_le16(d + 8 + 2 * i);
	/* HASH_CONFIG leaves the queue pairs as they are. */
	n->rss_max_tx_vq = max_tx;
	if (rss)
		n->curr_qp = max_tx;
	n->rss_key_len = key_len;
	memcpy(n->rss_key, d + pos + 3, key_len);
	return 0;
}

static int vpm_cvq_mq(struct vpm *m, u8 cmd, const u8 *d, size_t len)
{
	u16 pairs;

	switch (cmd) {
	case VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET:
		if (!vpm_cvq_has(m, VIRTIO_NET_F_MQ) || len != 2)
			return -EINVAL;
		pairs = get_unaligned_le16(d);
		if (pairs < VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN ||
		    pairs > m->cfg.max_vqp)
			return -EINVAL;
		/* As in QEMU's virtio_net_handle_mq(): RSS and hashing off. */
		m->net.curr_qp = pairs;
		m->net.rss = false;
		m->net.hash = false;
		m->net.hash_types = 0;
		m->net.rss_table_len = 0;
		m->net.rss_max_tx_vq = 0;
		m->net.rss_key_len = 0;
		return 0;
	case VIRTIO_NET_CTRL_MQ_RSS_CONFIG:
		return vpm_cvq_rss(m, true, d, len);
	case VIRTIO_NET_CTRL_MQ_HASH_CONFIG:
		return vpm_cvq_rss(m, false, d, len);
	}
	return -EINVAL;
}

static int vpm_cvq_offloads(struct vpm *m, u8 cmd, const u8 *d, size_t len)
{
	if (!vpm_cvq_has(m, VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) ||
	    cmd != VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET || len != 8)
		return -EINVAL;
	m->net.guest_offloads = get_unaligned_le64(d);
	return 0;
}

/**
 * vpm_cvq_command() - execute one control command
 * @m: the model; &m->lock held
 * @buf: class, command, then the command's data
 * @len: bytes in @buf, at least 2
 *
 * Return: VIRTIO_NET_OK or VIRTIO_NET_ERR, the ack the driver gets.
 */
u8 vpm_cvq_command(struct vpm *m, const u8 *buf, size_t len)
{
	u8 class = buf[0], cmd = buf[1];
	const u8 *d = buf + 2;
	int ret = -EINVAL;

	len -= 2;
	m->net.commands++;
	m->net.last_class = class;
	m->net.last_cmd = cmd;
	if (m->fail_cvq && m->fail_class == class && m->fail_cmd == cmd) {
		m->fail_cvq = false;
		m->net.errors++;
		return VIRTIO_NET_ERR;
	}
	switch (class) {
	case VIRTIO_NET_CTRL_RX:
		ret = vpm_cvq_rx(m, cmd, d, len);
		break;
	case VIRTIO_NET_CTRL_MAC:
		ret = vpm_cvq_mac(m, cmd, d, len);
		break;
	case VIRTIO_NET_CTRL_VLAN:
		ret = vpm_cvq_vlan(m, cmd, d, len);
		break;
	case VIRTIO_NET_CTRL_ANNOUNCE:
		ret = vpm_cvq_announce(m, cmd, len);
		break;
	case VIRTIO_NET_CTRL_MQ:
		ret = vpm_cvq_mq(m, cmd, d, len);
		break;
	case VIRTIO_NET_CTRL_GUEST_OFFLOADS:
		ret = vpm_cvq_offloads(m, cmd, d, len);
		break;
	}
	if (ret) {
		m->net.errors++;
		return VIRTIO_NET_ERR;
	}
	return VIRTIO_NET_OK;
}
