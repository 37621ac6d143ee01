/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * vp_svq: the virtio-net control commands the shadow CVQ understands, and
 * the net state they set.
 *
 * A command is the bytes a client put in the driver-readable descriptors of
 * one CVQ request: struct virtio_net_ctrl_hdr (class, command) followed by
 * the command's data. The ack byte is not part of it.
 *
 * Everything here is pure: no locking, no device access. The caller (the
 * shadow CVQ) serialises calls on one state.
 */
#ifndef _VP_SVQ_NET_STATE_H
#define _VP_SVQ_NET_STATE_H

#include <linux/if_ether.h>
#include <linux/types.h>
#include <linux/virtio_net.h>

/* MAC table entries accepted per list (unicast, multicast) in TABLE_SET. */
#define VP_SVQ_MAC_TABLE_MAX	64

/* Largest command the shadow CVQ relays (an RSS config with a full table). */
#define VP_SVQ_CVQ_CMD_MAX	1024

/* VLAN IDs are 12 bits. */
#define VP_SVQ_VLAN_N		4096

/*
 * Device features whose CVQ commands the shadow CVQ does not relay: never
 * offered to a client.
 */
#define VP_SVQ_CVQ_UNRELAYED_FEATURES				\
	(BIT_ULL(VIRTIO_NET_F_VQ_NOTF_COAL) |			\
	 BIT_ULL(VIRTIO_NET_F_NOTF_COAL) |			\
	 BIT_ULL(VIRTIO_NET_F_DEVICE_STATS))

/**
 * struct vp_svq_net_state - net state set through the control queue
 * @mac: the MAC address (VIRTIO_NET_CTRL_MAC_ADDR_SET, or provisioned)
 * @mac_set: @mac was set by a command or provisioned: replay programs it
 * @rx_modes: bit N set: RX mode N (VIRTIO_NET_CTRL_RX_*) is on
 * @n_uni: unicast entries in @uni
 * @n_multi: multicast entries in @multi
 * @uni: unicast MAC filter table
 * @multi: multicast MAC filter table
 * @vlans: VLAN IDs added with VIRTIO_NET_CTRL_VLAN_ADD
 * @vq_pairs: queue pairs in use (VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, or the
 *	max_tx_vq of VIRTIO_NET_CTRL_MQ_RSS_CONFIG)
 * @guest_offloads: VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET value
 * @offloads_set: @guest_offloads was set by a command; when clear, the
 *	device runs with every negotiated GUEST_* offload on (the spec's
 *	default), whatever @guest_offloads says
 * @rss: the last RSS_CONFIG command's data, @rss_len bytes
 * @rss_len: 0 when RSS is not configured: never, or the last MQ command was
 *	another one (the last MQ command defines the steering mode)
 * @hash: the last HASH_CONFIG command's data, @hash_len bytes
 * @hash_len: 0 when hash reporting is not configured (as for @rss_len)
 * @replay_buf: scratch where vp_svq_net_state_replay() builds each command
 *	it sends (not state: never compared, never migrated)
 */
struct vp_svq_net_state {
	u8 mac[ETH_ALEN];
	bool mac_set;
	u8 rx_modes;
	u32 n_uni;
	u32 n_multi;
	u8 uni[VP_SVQ_MAC_TABLE_MAX][ETH_ALEN];
	u8 multi[VP_SVQ_MAC_TABLE_MAX][ETH_ALEN];
	DECLARE_BITMAP(vlans, VP_SVQ_VLAN_N);
	u16 vq_pairs;
	u64 guest_offloads;
	bool offloads_set;
	u8 rss[VP_SVQ_CVQ_CMD_MAX];
	u16 rss_len;
	u8 hash[VP_SVQ_CVQ_CMD_MAX];
	u16 hash_len;
	u8 replay_buf[VP_SVQ_CVQ_CMD_MAX];
};

/**
 * typedef vp_svq_net_send_t - send one command to the device, wait for its ack
 * @ctx: the caller's context
 * @cmd: the command (header and data)
 * @len: its length in bytes
 *
 * Return: the device's ack (VIRTIO_NET_OK or VIRTIO_NET_ERR) as a value
 * >= 0, or -errno when the command could not be delivered.
 */
typedef int (*vp_svq_net_send_t)(void *ctx, const void *cmd, size_t len);

void vp_svq_net_state_init(struct vp_svq_net_state *st, const u8 *config_mac);
int vp_svq_net_cmd_check(u64 features, u16 max_vqp, const void *cmd,
			 size_t len, const char **why);
void vp_svq_net_cmd_apply(struct vp_svq_net_state *st, const void *cmd,
			  size_t len);
int vp_svq_net_state_replay(struct vp_svq_net_state *st, u64 features,
			    vp_svq_net_send_t send, void *ctx);

#endif /* _VP_SVQ_NET_STATE_H */
