/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-net specifics: header, config space, feature names, and the
 * Ethernet/ARP frames the client sends and recognises.
 */
#ifndef VDPA_CLIENT_NET_H
#define VDPA_CLIENT_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/virtio_net.h>

#define NET_HDR_LEN	sizeof(struct virtio_net_hdr_v1)	/* 12 */
#define ETH_HLEN_	14
#define ETH_FRAME_MAX	1514	/* without FCS */
#define ETH_FRAME_MIN	60	/* without FCS; shorter frames are padded */
#define ETHERTYPE_ARP_	0x0806
#define ETHERTYPE_IPV4_	0x0800

/* The part of struct virtio_net_config the client reads (12 bytes). */
struct net_config {
	uint8_t mac[6];
	uint16_t status;
	uint16_t max_virtqueue_pairs;
	uint16_t mtu;
	uint32_t len;		/* bytes actually read from the device */
};

/* Parse the first bytes of the config space (little endian, VERSION_1). */
void net_config_parse(const uint8_t *buf, uint32_t len, struct net_config *c);

struct frame_info {
	size_t len;
	uint8_t dst[6];
	uint8_t src[6];
	uint16_t ethertype;
	bool arp;		/* a well-formed Ethernet/IPv4 ARP packet */
	uint16_t arp_op;	/* 1 request, 2 reply */
	uint8_t arp_sha[6];
	uint32_t arp_spa;	/* network byte order */
	uint8_t arp_tha[6];
	uint32_t arp_tpa;	/* network byte order */
	bool icmp_echo_reply;	/* a well-formed IPv4 ICMP echo reply */
	uint32_t ip_src;	/* network byte order, with icmp_echo_reply */
	uint32_t ip_dst;
	uint16_t icmp_id;
	uint16_t icmp_seq;
};

/* Build an ARP request (broadcast) padded to 60 bytes; returns its length. */
size_t net_build_arp_request(uint8_t *frame, size_t cap, const uint8_t mac[6],
			     uint32_t sender_ip, uint32_t target_ip);

/* An ARP reply "ip is-at mac" to (tha, tpa), padded to 60 bytes. */
size_t net_build_arp_reply(uint8_t *frame, size_t cap, const uint8_t mac[6],
			   uint32_t ip, const uint8_t tha[6], uint32_t tpa);

/*
 * An IPv4 ICMP echo request from (src_mac, src_ip) to (dst_mac, dst_ip)
 * with identifier `id`, sequence `seq` and `payload` bytes of a pattern
 * derived from seq; both checksums computed. Returns the frame length, 0
 * when it does not fit in `cap`.
 */
size_t net_build_icmp_echo(uint8_t *frame, size_t cap,
			   const uint8_t src_mac[6], const uint8_t dst_mac[6],
			   uint32_t src_ip, uint32_t dst_ip, uint16_t id,
			   uint16_t seq, size_t payload);

/* Returns 0, or -EINVAL when the frame is shorter than an Ethernet header. */
int net_parse_frame(const uint8_t *frame, size_t len, struct frame_info *fi);

bool net_is_arp_reply_from(const struct frame_info *fi, uint32_t ip);
bool net_is_arp_request_for(const struct frame_info *fi, uint32_t ip);

int net_parse_mac(const char *s, uint8_t mac[6]);
const char *net_mac_str(const uint8_t mac[6], char *buf, size_t len);
const char *net_ip_str(uint32_t ip, char *buf, size_t len);
const char *net_ethertype_name(uint16_t ethertype);

/* "VERSION_1|ACCESS_PLATFORM|MAC|..." for a virtio-net feature word. */
const char *net_features_str(uint64_t features, char *buf, size_t len);

#endif /* VDPA_CLIENT_NET_H */
