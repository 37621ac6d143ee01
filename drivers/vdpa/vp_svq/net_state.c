// SPDX-License-Identifier: GPL-2.0-only
/*
 * vp_svq: the virtio-net control commands the shadow CVQ relays, and the
 * net state they set.
 *
 * vp_svq_net_cmd_check() decides whether a client's command may reach the
 * device: class and command known, their feature negotiated, the data
 * exactly as long as its layout says, values in range. It never reads past
 * the length it is given. vp_svq_net_cmd_apply() records what an acked
 * command changed, and vp_svq_net_state_replay() sends the commands that
 * bring a device fresh out of reset back to the recorded state, in the
 * order QEMU uses on a migration destination (vhost_vdpa_net_load() in
 * QEMU's net/vhost-vdpa.c).
 *
 * Multi-byte fields are little-endian: the shadow CVQ requires
 * VIRTIO_F_VERSION_1. Section names below are those of the virtio 1.3
 * specification, "Device Types / Network Device / Device Operation /
 * Control Virtqueue".
 */

#include <linux/bitmap.h>
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/stringify.h>
#include <linux/unaligned.h>

#include "net_state.h"

#define VP_SVQ_HDR_LEN		sizeof(struct virtio_net_ctrl_hdr)

/*
 * Fixed parts of the variable-length layouts. offsetof(), not sizeof():
 * the uapi RSS trailer and hash structs are not packed, and their sizeof
 * counts padding that is not on the wire.
 */
#define VP_SVQ_MAC_LIST_HDR	sizeof(struct virtio_net_ctrl_mac)
#define VP_SVQ_RSS_HDR		offsetof(struct virtio_net_rss_config_hdr, \
					 indirection_table)
#define VP_SVQ_RSS_TRAILER	offsetof(struct virtio_net_rss_config_trailer, \
					 hash_key_data)
#define VP_SVQ_HASH_HDR		offsetof(struct virtio_net_hash_config, \
					 hash_key_data)

/*
 * The offloads GUEST_OFFLOADS_SET may switch ("Setting Offloads State"):
 * each needs its own feature negotiated ("A driver MUST NOT enable an
 * offload for which the appropriate feature has not been negotiated").
 * QEMU refuses any other bit too (virtio_net_handle_offloads()).
 */
#define VP_SVQ_GUEST_OFFLOADS					\
	(BIT_ULL(VIRTIO_NET_F_GUEST_CSUM) |			\
	 BIT_ULL(VIRTIO_NET_F_GUEST_TSO4) |			\
	 BIT_ULL(VIRTIO_NET_F_GUEST_TSO6) |			\
	 BIT_ULL(VIRTIO_NET_F_GUEST_ECN) |			\
	 BIT_ULL(VIRTIO_NET_F_GUEST_UFO) |			\
	 BIT_ULL(VIRTIO_NET_F_GUEST_USO4) |			\
	 BIT_ULL(VIRTIO_NET_F_GUEST_USO6))

/*
 * RX modes after a reset: promiscuous on, everything else off. The spec
 * states no default; this is QEMU's virtio_net_reset() ("Reset back to
 * compatibility mode"), which QEMU's replay assumes of every device.
 */
#define VP_SVQ_RX_MODES_RESET	BIT(VIRTIO_NET_CTRL_RX_PROMISC)

#define VP_SVQ_MAC_MAX_STR	__stringify(VP_SVQ_MAC_TABLE_MAX)

static bool vp_svq_has(u64 features, unsigned int bit)
{
	return features & BIT_ULL(bit);
}

/* The feature an RX mode command needs, or -1 for an unknown command. */
static int vp_svq_rx_feature(u8 cmd)
{
	switch (cmd) {
	case VIRTIO_NET_CTRL_RX_PROMISC:
	case VIRTIO_NET_CTRL_RX_ALLMULTI:
		return VIRTIO_NET_F_CTRL_RX;
	case VIRTIO_NET_CTRL_RX_ALLUNI:
	case VIRTIO_NET_CTRL_RX_NOMULTI:
	case VIRTIO_NET_CTRL_RX_NOUNI:
	case VIRTIO_NET_CTRL_RX_NOBCAST:
		return VIRTIO_NET_F_CTRL_RX_EXTRA;
	}
	return -1;
}

/* RX modes ("Packet Receive Filtering"): one byte, 0 off, else on. */
static const char *vp_svq_check_rx(u64 features, u8 cmd, size_t n)
{
	int bit = vp_svq_rx_feature(cmd);

	if (bit < 0)
		return "RX: unknown command";
	if (!vp_svq_has(features, bit))
		return bit == VIRTIO_NET_F_CTRL_RX ?
		       "VIRTIO_NET_F_CTRL_RX not negotiated" :
		       "VIRTIO_NET_F_CTRL_RX_EXTRA not negotiated";
	if (n != 1)
		return "RX: data length not 1";
	return NULL;
}

/*
 * One struct virtio_net_ctrl_mac at @d + *@pos: a le32 count, then that
 * many addresses. Moves *@pos past it; *@pos <= @n stays true.
 */
static const char *vp_svq_check_mac_list(const u8 *d, size_t n, size_t *pos,
					 bool multi)
{
	u32 entries;

	if (n - *pos < VP_SVQ_MAC_LIST_HDR)
		return multi ? "MAC table: no multicast entry count" :
			       "MAC table: no unicast entry count";
	entries = get_unaligned_le32(d + *pos);
	*pos += VP_SVQ_MAC_LIST_HDR;
	if (entries > VP_SVQ_MAC_TABLE_MAX)
		return multi ?
		       "MAC table: multicast entries > " VP_SVQ_MAC_MAX_STR :
		       "MAC table: unicast entries > " VP_SVQ_MAC_MAX_STR;
	if (n - *pos < entries * ETH_ALEN)
		return multi ? "MAC table: multicast list shorter than its count" :
			       "MAC table: unicast list shorter than its count";
	*pos += entries * ETH_ALEN;
	return NULL;
}

/* MAC_TABLE_SET: a unicast list and a multicast list, back to back. */
static const char *vp_svq_check_mac_table(u64 features, const u8 *d, size_t n)
{
	size_t pos = 0;
	const char *why;

	if (!vp_svq_has(features, VIRTIO_NET_F_CTRL_RX))
		return "VIRTIO_NET_F_CTRL_RX not negotiated";
	why = vp_svq_check_mac_list(d, n, &pos, false);
	if (!why)
		why = vp_svq_check_mac_list(d, n, &pos, true);
	if (!why && pos != n)
		why = "MAC table: bytes after the multicast list";
	return why;
}

/*
 * MAC_ADDR_SET needs only CTRL_MAC_ADDR (uapi virtio_net.h; Linux's
 * virtio_net and QEMU do not ask for CTRL_RX).
 */
static const char *vp_svq_check_mac(u64 features, u8 cmd, const u8 *d,
				    size_t n)
{
	switch (cmd) {
	case VIRTIO_NET_CTRL_MAC_TABLE_SET:
		return vp_svq_check_mac_table(features, d, n);
	case VIRTIO_NET_CTRL_MAC_ADDR_SET:
		if (!vp_svq_has(features, VIRTIO_NET_F_CTRL_MAC_ADDR))
			return "VIRTIO_NET_F_CTRL_MAC_ADDR not negotiated";
		if (n != ETH_ALEN)
			return "MAC_ADDR_SET: data length not 6";
		return NULL;
	}
	return "MAC: unknown command";
}

/* VLAN_ADD, VLAN_DEL: a le16 VLAN id, 12 bits. */
static const char *vp_svq_check_vlan(u64 features, u8 cmd, const u8 *d,
				     size_t n)
{
	if (cmd != VIRTIO_NET_CTRL_VLAN_ADD && cmd != VIRTIO_NET_CTRL_VLAN_DEL)
		return "VLAN: unknown command";
	if (!vp_svq_has(features, VIRTIO_NET_F_CTRL_VLAN))
		return "VIRTIO_NET_F_CTRL_VLAN not negotiated";
	if (n != sizeof(__le16))
		return "VLAN: data length not 2";
	if (get_unaligned_le16(d) >= VP_SVQ_VLAN_N)
		return "VLAN: id >= 4096";
	return NULL;
}

/* ANNOUNCE_ACK carries no data. */
static const char *vp_svq_check_announce(u64 features, u8 cmd, size_t n)
{
	if (cmd != VIRTIO_NET_CTRL_ANNOUNCE_ACK)
		return "ANNOUNCE: unknown command";
	if (!vp_svq_has(features, VIRTIO_NET_F_GUEST_ANNOUNCE))
		return "VIRTIO_NET_F_GUEST_ANNOUNCE not negotiated";
	if (n)
		return "ANNOUNCE_ACK: data not empty";
	return NULL;
}

static const char *vp_svq_check_vq_pairs(u64 features, u16 max_vqp,
					 const u8 *d, size_t n)
{
	u16 pairs;

	if (!vp_svq_has(features, VIRTIO_NET_F_MQ))
		return "VIRTIO_NET_F_MQ not negotiated";
	if (n != sizeof(struct virtio_net_ctrl_mq))
		return "VQ_PAIRS_SET: data length not 2";
	pairs = get_unaligned_le16(d);
	if (pairs < VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN || pairs > max_vqp)
		return "VQ_PAIRS_SET: pairs outside 1..max_virtqueue_pairs";
	return NULL;
}

/*
 * Where the trailer of an RSS_CONFIG starts, from its header (which must
 * be there): the indirection table has indirection_table_mask + 1 entries.
 */
static size_t vp_svq_rss_table_end(const u8 *d)
{
	u16 mask = get_unaligned_le16(d + offsetof(struct virtio_net_rss_config_hdr,
						   indirection_table_mask));

	return VP_SVQ_RSS_HDR + ((size_t)mask + 1) * sizeof(__le16);
}

/*
 * Receive queue ids ("Receive-side scaling (RSS)": bits 1 to 16 of a
 * receive virtqueue index, that is the queue pair) of the table and of
 * unclassified_queue.
 */
static const char *vp_svq_check_rss_queues(u16 max_vqp, const u8 *d,
					   size_t table_end)
{
	size_t pos;

	if (get_unaligned_le16(d + offsetof(struct virtio_net_rss_config_hdr,
					    unclassified_queue)) >= max_vqp)
		return "RSS: unclassified_queue >= max_virtqueue_pairs";
	for (pos = VP_SVQ_RSS_HDR; pos < table_end; pos += sizeof(__le16))
		if (get_unaligned_le16(d + pos) >= max_vqp)
			return "RSS: indirection table entry >= max_virtqueue_pairs";
	return NULL;
}

/*
 * RSS_CONFIG: struct virtio_net_rss_config_hdr, the indirection table,
 * struct virtio_net_rss_config_trailer, the key. The hash types and the
 * key length are left to the device, which knows what it supports.
 */
static const char *vp_svq_check_rss(u64 features, u16 max_vqp, const u8 *d,
				    size_t n)
{
	size_t table_end;
	u16 mask, max_tx;
	u8 key_len;

	if (!vp_svq_has(features, VIRTIO_NET_F_RSS))
		return "VIRTIO_NET_F_RSS not negotiated";
	if (n < VP_SVQ_RSS_HDR)
		return "RSS: data shorter than its header";
	mask = get_unaligned_le16(d + offsetof(struct virtio_net_rss_config_hdr,
					       indirection_table_mask));
	if (mask & (mask + 1))
		return "RSS: indirection_table_mask not 2^n-1";
	table_end = vp_svq_rss_table_end(d);
	if (n < table_end + VP_SVQ_RSS_TRAILER)
		return "RSS: data shorter than its table and trailer";
	key_len = d[table_end + offsetof(struct virtio_net_rss_config_trailer,
					 hash_key_length)];
	if (n != table_end + VP_SVQ_RSS_TRAILER + key_len)
		return "RSS: length does not match hash_key_length";
	max_tx = get_unaligned_le16(d + table_end);
	if (!max_tx || max_tx > max_vqp)
		return "RSS: max_tx_vq outside 1..max_virtqueue_pairs";
	return vp_svq_check_rss_queues(max_vqp, d, table_end);
}

/*
 * HASH_CONFIG: struct virtio_net_hash_config, then the key. The reserved
 * fields are not checked: Linux's virtio_net sends the RSS layout with a
 * one-entry table there (virtnet_commit_rss_command()), so they carry the
 * table entry and max_tx_vq.
 */
static const char *vp_svq_check_hash(u64 features, const u8 *d, size_t n)
{
	u8 key_len;

	if (!vp_svq_has(features, VIRTIO_NET_F_HASH_REPORT))
		return "VIRTIO_NET_F_HASH_REPORT not negotiated";
	if (n < VP_SVQ_HASH_HDR)
		return "HASH_CONFIG: data shorter than its header";
	key_len = d[offsetof(struct virtio_net_hash_config, hash_key_length)];
	if (n != VP_SVQ_HASH_HDR + key_len)
		return "HASH_CONFIG: length does not match hash_key_length";
	return NULL;
}

static const char *vp_svq_check_mq(u64 features, u16 max_vqp, u8 cmd,
				   const u8 *d, size_t n)
{
	switch (cmd) {
	case VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET:
		return vp_svq_check_vq_pairs(features, max_vqp, d, n);
	case VIRTIO_NET_CTRL_MQ_RSS_CONFIG:
		return vp_svq_check_rss(features, max_vqp, d, n);
	case VIRTIO_NET_CTRL_MQ_HASH_CONFIG:
		return vp_svq_check_hash(features, d, n);
	}
	return "MQ: unknown command";
}

/* GUEST_OFFLOADS_SET: a le64 mask of VIRTIO_NET_F_GUEST_* bits. */
static const char *vp_svq_check_offloads(u64 features, u8 cmd, const u8 *d,
					 size_t n)
{
	if (cmd != VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET)
		return "GUEST_OFFLOADS: unknown command";
	if (!vp_svq_has(features, VIRTIO_NET_F_CTRL_GUEST_OFFLOADS))
		return "VIRTIO_NET_F_CTRL_GUEST_OFFLOADS not negotiated";
	if (n != sizeof(__le64))
		return "GUEST_OFFLOADS_SET: data length not 8";
	if (get_unaligned_le64(d) & ~(features & VP_SVQ_GUEST_OFFLOADS))
		return "GUEST_OFFLOADS_SET: offload not negotiated";
	return NULL;
}

static const char *vp_svq_check_class(u64 features, u16 max_vqp, u8 class,
				      u8 cmd, const u8 *d, size_t n)
{
	switch (class) {
	case VIRTIO_NET_CTRL_RX:
		return vp_svq_check_rx(features, cmd, n);
	case VIRTIO_NET_CTRL_MAC:
		return vp_svq_check_mac(features, cmd, d, n);
	case VIRTIO_NET_CTRL_VLAN:
		return vp_svq_check_vlan(features, cmd, d, n);
	case VIRTIO_NET_CTRL_ANNOUNCE:
		return vp_svq_check_announce(features, cmd, n);
	case VIRTIO_NET_CTRL_MQ:
		return vp_svq_check_mq(features, max_vqp, cmd, d, n);
	case VIRTIO_NET_CTRL_GUEST_OFFLOADS:
		return vp_svq_check_offloads(features, cmd, d, n);
	case VIRTIO_NET_CTRL_NOTF_COAL:
		return "NOTF_COAL: not relayed";
	case VIRTIO_NET_CTRL_STATS:
		return "STATS: not relayed";
	}
	return "unknown class";
}

/**
 * vp_svq_net_cmd_check() - may a client's command be relayed to the device
 * @features: the features the client negotiated
 * @max_vqp: max_virtqueue_pairs of the device (1 without MQ and RSS)
 * @cmd: the command: struct virtio_net_ctrl_hdr, then its data
 * @len: bytes at @cmd; nothing past them is read
 * @why: when not NULL, set to NULL on success, else to a short static
 *	string naming the problem (no values: the caller logs class,
 *	command and length next to it)
 *
 * A command passes when its class and command are known and relayed,
 * their feature is in @features, its data is exactly as long as its layout
 * says and its values are in range (VLAN ids, queue pairs, RSS queue ids
 * and table mask, offloads negotiated), and it is at most
 * %VP_SVQ_CVQ_CMD_MAX bytes long. NOTF_COAL and STATS are never relayed.
 *
 * Return: 0 if the command may be relayed, -EINVAL if not.
 */
int vp_svq_net_cmd_check(u64 features, u16 max_vqp, const void *cmd,
			 size_t len, const char **why)
{
	const struct virtio_net_ctrl_hdr *hdr = cmd;
	const char *err;

	if (len < VP_SVQ_HDR_LEN)
		err = "short header";
	else if (len > VP_SVQ_CVQ_CMD_MAX)
		err = "longer than " __stringify(VP_SVQ_CVQ_CMD_MAX) " bytes";
	else
		err = vp_svq_check_class(features, max_vqp, hdr->class,
					 hdr->cmd, (const u8 *)cmd + VP_SVQ_HDR_LEN,
					 len - VP_SVQ_HDR_LEN);
	if (why)
		*why = err;
	return err ? -EINVAL : 0;
}

/**
 * vp_svq_net_state_init() - the net state of a device just out of reset
 * @st: the state
 * @config_mac: the MAC address in the device's config space, or NULL when
 *	the device has none (the address is then all zeroes)
 *
 * The defaults, and where they come from:
 *  - MAC: the config space address, not "set" (a reset device filters on
 *    its config space MAC: "Setting MAC Address Filtering");
 *  - MAC filter table empty ("The device MUST have an empty MAC filtering
 *    table on reset");
 *  - RX modes: promiscuous on, the others off (the spec states none; this
 *    is QEMU's virtio_net_reset(), which QEMU's own replay assumes);
 *  - VLAN filter table empty ("the device starts with an empty VLAN filter
 *    table");
 *  - one queue pair ("Multiqueue is disabled by default", "After
 *    initialization of reset, the device MUST queue packets only on
 *    receiveq1");
 *  - no RSS and no hash calculation ("Initially the device has all hash
 *    types disabled");
 *  - guest offloads not set: every negotiated GUEST_* offload is on
 *    ("Upon feature negotiation corresponding offload gets enabled").
 */
void vp_svq_net_state_init(struct vp_svq_net_state *st, const u8 *config_mac)
{
	memset(st, 0, sizeof(*st));
	if (config_mac)
		memcpy(st->mac, config_mac, ETH_ALEN);
	st->rx_modes = VP_SVQ_RX_MODES_RESET;
	st->vq_pairs = 1;
}

static void vp_svq_apply_rx(struct vp_svq_net_state *st, u8 cmd, const u8 *d)
{
	if (d[0])
		st->rx_modes |= BIT(cmd);
	else
		st->rx_modes &= ~BIT(cmd);
}

static void vp_svq_apply_mac_table(struct vp_svq_net_state *st, const u8 *d)
{
	size_t pos = VP_SVQ_MAC_LIST_HDR;

	st->n_uni = get_unaligned_le32(d);
	memcpy(st->uni, d + pos, st->n_uni * ETH_ALEN);
	pos += st->n_uni * ETH_ALEN;
	st->n_multi = get_unaligned_le32(d + pos);
	pos += VP_SVQ_MAC_LIST_HDR;
	memcpy(st->multi, d + pos, st->n_multi * ETH_ALEN);
}

static void vp_svq_apply_mac(struct vp_svq_net_state *st, u8 cmd,
			     const u8 *d)
{
	if (cmd == VIRTIO_NET_CTRL_MAC_TABLE_SET) {
		vp_svq_apply_mac_table(st, d);
		return;
	}
	memcpy(st->mac, d, ETH_ALEN);
	st->mac_set = true;
}

static void vp_svq_apply_vlan(struct vp_svq_net_state *st, u8 cmd,
			      const u8 *d)
{
	u16 vid = get_unaligned_le16(d);

	if (cmd == VIRTIO_NET_CTRL_VLAN_ADD)
		__set_bit(vid, st->vlans);
	else
		__clear_bit(vid, st->vlans);
}

/*
 * Every MQ command replaces the steering mode ("If more than one multiqueue
 * mode is negotiated, the resulting device configuration is defined by the
 * last command sent by the driver"; QEMU's virtio_net_handle_mq() disables
 * RSS and hashing first). RSS_CONFIG also sets the queue pairs to its
 * max_tx_vq, HASH_CONFIG leaves them.
 */
static void vp_svq_apply_mq(struct vp_svq_net_state *st, u8 cmd,
			    const u8 *d, size_t n)
{
	st->rss_len = 0;
	st->hash_len = 0;
	switch (cmd) {
	case VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET:
		st->vq_pairs = get_unaligned_le16(d);
		break;
	case VIRTIO_NET_CTRL_MQ_RSS_CONFIG:
		memcpy(st->rss, d, n);
		st->rss_len = n;
		st->vq_pairs = get_unaligned_le16(d + vp_svq_rss_table_end(d));
		break;
	case VIRTIO_NET_CTRL_MQ_HASH_CONFIG:
		memcpy(st->hash, d, n);
		st->hash_len = n;
		break;
	}
}

/**
 * vp_svq_net_cmd_apply() - record what a command the device acked changed
 * @st: the state
 * @cmd: the command: struct virtio_net_ctrl_hdr, then its data
 * @len: bytes at @cmd
 *
 * Call only for a command that vp_svq_net_cmd_check() passed and the device
 * acked with VIRTIO_NET_OK. A command whose layout is wrong whatever the
 * features is ignored, so nothing past @len is read even then.
 * ANNOUNCE_ACK changes nothing a reset would have to restore.
 */
void vp_svq_net_cmd_apply(struct vp_svq_net_state *st, const void *cmd,
			  size_t len)
{
	const struct virtio_net_ctrl_hdr *hdr = cmd;
	const u8 *d = (const u8 *)cmd + VP_SVQ_HDR_LEN;

	if (vp_svq_net_cmd_check(U64_MAX, U16_MAX, cmd, len, NULL))
		return;
	switch (hdr->class) {
	case VIRTIO_NET_CTRL_RX:
		vp_svq_apply_rx(st, hdr->cmd, d);
		break;
	case VIRTIO_NET_CTRL_MAC:
		vp_svq_apply_mac(st, hdr->cmd, d);
		break;
	case VIRTIO_NET_CTRL_VLAN:
		vp_svq_apply_vlan(st, hdr->cmd, d);
		break;
	case VIRTIO_NET_CTRL_MQ:
		vp_svq_apply_mq(st, hdr->cmd, d, len - VP_SVQ_HDR_LEN);
		break;
	case VIRTIO_NET_CTRL_GUEST_OFFLOADS:
		st->guest_offloads = get_unaligned_le64(d);
		st->offloads_set = true;
		break;
	}
}

/**
 * struct vp_svq_replay - one run of vp_svq_net_state_replay()
 * @st: the state replayed; commands are built in @st->replay_buf
 * @features: the features the client negotiated
 * @send: sends one command, returns its ack or -errno
 * @ctx: @send's context
 */
struct vp_svq_replay {
	struct vp_svq_net_state *st;
	u64 features;
	vp_svq_net_send_t send;
	void *ctx;
};

static bool vp_svq_replay_has(const struct vp_svq_replay *r, unsigned int bit)
{
	return vp_svq_has(r->features, bit);
}

/* Write a command header in the replay buffer; return where data goes. */
static u8 *vp_svq_replay_start(struct vp_svq_replay *r, u8 class, u8 cmd)
{
	struct virtio_net_ctrl_hdr *hdr = (void *)r->st->replay_buf;

	hdr->class = class;
	hdr->cmd = cmd;
	return r->st->replay_buf + VP_SVQ_HDR_LEN;
}

/* Send the command in the replay buffer, @n bytes of data. */
static int vp_svq_replay_send(struct vp_svq_replay *r, size_t n)
{
	int ack = r->send(r->ctx, r->st->replay_buf, VP_SVQ_HDR_LEN + n);

	if (ack < 0)
		return ack;
	return ack == VIRTIO_NET_OK ? 0 : -EIO;
}

static int vp_svq_replay_cmd(struct vp_svq_replay *r, u8 class, u8 cmd,
			     const void *data, size_t n)
{
	memcpy(vp_svq_replay_start(r, class, cmd), data, n);
	return vp_svq_replay_send(r, n);
}

static int vp_svq_replay_mac(struct vp_svq_replay *r)
{
	if (!r->st->mac_set ||
	    !vp_svq_replay_has(r, VIRTIO_NET_F_CTRL_MAC_ADDR))
		return 0;
	return vp_svq_replay_cmd(r, VIRTIO_NET_CTRL_MAC,
				 VIRTIO_NET_CTRL_MAC_ADDR_SET, r->st->mac,
				 ETH_ALEN);
}

static int vp_svq_replay_mac_table(struct vp_svq_replay *r)
{
	const struct vp_svq_net_state *st = r->st;
	size_t pos;
	u8 *d;

	if ((!st->n_uni && !st->n_multi) ||
	    !vp_svq_replay_has(r, VIRTIO_NET_F_CTRL_RX))
		return 0;
	if (st->n_uni > VP_SVQ_MAC_TABLE_MAX ||
	    st->n_multi > VP_SVQ_MAC_TABLE_MAX)
		return -EINVAL;
	d = vp_svq_replay_start(r, VIRTIO_NET_CTRL_MAC,
				VIRTIO_NET_CTRL_MAC_TABLE_SET);
	put_unaligned_le32(st->n_uni, d);
	pos = VP_SVQ_MAC_LIST_HDR;
	memcpy(d + pos, st->uni, st->n_uni * ETH_ALEN);
	pos += st->n_uni * ETH_ALEN;
	put_unaligned_le32(st->n_multi, d + pos);
	pos += VP_SVQ_MAC_LIST_HDR;
	memcpy(d + pos, st->multi, st->n_multi * ETH_ALEN);
	pos += st->n_multi * ETH_ALEN;
	return vp_svq_replay_send(r, pos);
}

static int vp_svq_replay_vq_pairs(struct vp_svq_replay *r)
{
	u8 *d;

	if (r->st->vq_pairs == 1 || !vp_svq_replay_has(r, VIRTIO_NET_F_MQ))
		return 0;
	d = vp_svq_replay_start(r, VIRTIO_NET_CTRL_MQ,
				VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET);
	put_unaligned_le16(r->st->vq_pairs, d);
	return vp_svq_replay_send(r, sizeof(__le16));
}

static int vp_svq_replay_rss(struct vp_svq_replay *r)
{
	const struct vp_svq_net_state *st = r->st;

	if (!st->rss_len || !vp_svq_replay_has(r, VIRTIO_NET_F_RSS))
		return 0;
	if (st->rss_len > VP_SVQ_CVQ_CMD_MAX - VP_SVQ_HDR_LEN)
		return -EINVAL;
	return vp_svq_replay_cmd(r, VIRTIO_NET_CTRL_MQ,
				 VIRTIO_NET_CTRL_MQ_RSS_CONFIG, st->rss,
				 st->rss_len);
}

static int vp_svq_replay_hash(struct vp_svq_replay *r)
{
	const struct vp_svq_net_state *st = r->st;

	if (!st->hash_len || !vp_svq_replay_has(r, VIRTIO_NET_F_HASH_REPORT))
		return 0;
	if (st->hash_len > VP_SVQ_CVQ_CMD_MAX - VP_SVQ_HDR_LEN)
		return -EINVAL;
	return vp_svq_replay_cmd(r, VIRTIO_NET_CTRL_MQ,
				 VIRTIO_NET_CTRL_MQ_HASH_CONFIG, st->hash,
				 st->hash_len);
}

static int vp_svq_replay_offloads(struct vp_svq_replay *r)
{
	u8 *d;

	if (!r->st->offloads_set ||
	    !vp_svq_replay_has(r, VIRTIO_NET_F_CTRL_GUEST_OFFLOADS))
		return 0;
	d = vp_svq_replay_start(r, VIRTIO_NET_CTRL_GUEST_OFFLOADS,
				VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET);
	put_unaligned_le64(r->st->guest_offloads, d);
	return vp_svq_replay_send(r, sizeof(__le64));
}

/* The RX modes that differ from the reset defaults, in command order. */
static int vp_svq_replay_rx(struct vp_svq_replay *r)
{
	u8 differ = r->st->rx_modes ^ VP_SVQ_RX_MODES_RESET;
	u8 mode, on;
	int ret;

	for (mode = VIRTIO_NET_CTRL_RX_PROMISC;
	     mode <= VIRTIO_NET_CTRL_RX_NOBCAST; mode++) {
		if (!(differ & BIT(mode)) ||
		    !vp_svq_replay_has(r, vp_svq_rx_feature(mode)))
			continue;
		on = !!(r->st->rx_modes & BIT(mode));
		ret = vp_svq_replay_cmd(r, VIRTIO_NET_CTRL_RX, mode, &on, 1);
		if (ret)
			return ret;
	}
	return 0;
}

static int vp_svq_replay_vlans(struct vp_svq_replay *r)
{
	unsigned long vid;
	int ret;
	u8 *d;

	if (!vp_svq_replay_has(r, VIRTIO_NET_F_CTRL_VLAN))
		return 0;
	for_each_set_bit(vid, r->st->vlans, VP_SVQ_VLAN_N) {
		d = vp_svq_replay_start(r, VIRTIO_NET_CTRL_VLAN,
					VIRTIO_NET_CTRL_VLAN_ADD);
		put_unaligned_le16(vid, d);
		ret = vp_svq_replay_send(r, sizeof(__le16));
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * vp_svq_net_state_replay() - bring a device fresh out of reset to a state
 * @st: the state; only @st->replay_buf is written
 * @features: the features the client negotiated: a command is sent only
 *	when its feature is in them
 * @send: sends one command to the device and returns its ack
 * @ctx: @send's context
 *
 * Sends, in QEMU's order (vhost_vdpa_net_load()): MAC_ADDR_SET if the MAC
 * was set, MAC_TABLE_SET if the table has an entry, VQ_PAIRS_SET if more
 * than one pair is in use, RSS_CONFIG or HASH_CONFIG if configured,
 * GUEST_OFFLOADS_SET if set, the RX modes that differ from the reset
 * defaults (PROMISC first), and VLAN_ADD for each VLAN, lowest id first.
 * Each command is built in @st->replay_buf and handed to @send, which must
 * not keep the pointer. A fresh state sends nothing.
 *
 * Return: 0 when every command was acked VIRTIO_NET_OK; else it stops at
 * the first failure and returns what @send returned if < 0, -EIO for any
 * other ack, -EINVAL for a state no command could have produced.
 */
int vp_svq_net_state_replay(struct vp_svq_net_state *st, u64 features,
			    vp_svq_net_send_t send, void *ctx)
{
	static int (* const steps[])(struct vp_svq_replay *r) = {
		vp_svq_replay_mac,
		vp_svq_replay_mac_table,
		vp_svq_replay_vq_pairs,
		vp_svq_replay_rss,
		vp_svq_replay_hash,
		vp_svq_replay_offloads,
		vp_svq_replay_rx,
		vp_svq_replay_vlans,
	};
	struct vp_svq_replay r = {
		.st = st,
		.features = features,
		.send = send,
		.ctx = ctx,
	};
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		ret = steps[i](&r);
		if (ret)
			return ret;
	}
	return 0;
}
