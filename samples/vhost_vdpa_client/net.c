// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net specifics and the Ethernet/ARP frames of the data-path check.
 * Frames are built and parsed byte by byte: no packed structs, no
 * alignment assumptions about the receive buffer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "compat.h"
#include "net.h"
#include "util.h"

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

void net_config_parse(const uint8_t *buf, uint32_t len, struct net_config *c)
{
	memset(c, 0, sizeof(*c));
	c->len = len;
	if (len >= 6)
		memcpy(c->mac, buf, 6);
	if (len >= 8)
		c->status = get_le16(buf + 6);
	if (len >= 10)
		c->max_virtqueue_pairs = get_le16(buf + 8);
	if (len >= 12)
		c->mtu = get_le16(buf + 10);
}

/*
 * ARP over Ethernet (RFC 826): htype 1, ptype 0x0800, hlen 6, plen 4, op,
 * sha, spa, tha, tpa: 28 bytes after the 14-byte Ethernet header.
 */
#define ARP_LEN		28
#define ARP_OP_REQUEST	1
#define ARP_OP_REPLY	2

size_t net_build_arp_request(uint8_t *frame, size_t cap, const uint8_t mac[6],
			     uint32_t sender_ip, uint32_t target_ip)
{
	uint8_t *arp = frame + ETH_HLEN_;

	if (cap < ETH_FRAME_MIN)
		return 0;
	memset(frame, 0, ETH_FRAME_MIN);

	memset(frame, 0xff, 6);			/* broadcast */
	memcpy(frame + 6, mac, 6);
	put_be16(frame + 12, ETHERTYPE_ARP_);

	put_be16(arp + 0, 1);			/* Ethernet */
	put_be16(arp + 2, 0x0800);		/* IPv4 */
	arp[4] = 6;
	arp[5] = 4;
	put_be16(arp + 6, ARP_OP_REQUEST);
	memcpy(arp + 8, mac, 6);
	memcpy(arp + 14, &sender_ip, 4);
	memset(arp + 18, 0, 6);			/* target MAC: unknown */
	memcpy(arp + 24, &target_ip, 4);

	return ETH_FRAME_MIN;
}

size_t net_build_arp_reply(uint8_t *frame, size_t cap, const uint8_t mac[6],
			   uint32_t ip, const uint8_t tha[6], uint32_t tpa)
{
	uint8_t *arp = frame + ETH_HLEN_;

	if (cap < ETH_FRAME_MIN)
		return 0;
	memset(frame, 0, ETH_FRAME_MIN);

	memcpy(frame, tha, 6);
	memcpy(frame + 6, mac, 6);
	put_be16(frame + 12, ETHERTYPE_ARP_);

	put_be16(arp + 0, 1);
	put_be16(arp + 2, 0x0800);
	arp[4] = 6;
	arp[5] = 4;
	put_be16(arp + 6, ARP_OP_REPLY);
	memcpy(arp + 8, mac, 6);
	memcpy(arp + 14, &ip, 4);
	memcpy(arp + 18, tha, 6);
	memcpy(arp + 24, &tpa, 4);
	return ETH_FRAME_MIN;
}

/* RFC 1071: one's complement of the one's complement sum of 16-bit words. */
static uint16_t inet_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get_be16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

#define IP_HLEN		20
#define ICMP_HLEN	8
#define IPPROTO_ICMP_	1
#define ICMP_ECHO_REPLY_	0
#define ICMP_ECHO_REQUEST_	8

size_t net_build_icmp_echo(uint8_t *frame, size_t cap,
			   const uint8_t src_mac[6], const uint8_t dst_mac[6],
			   uint32_t src_ip, uint32_t dst_ip, uint16_t id,
			   uint16_t seq, size_t payload)
{
	uint8_t *ip = frame + ETH_HLEN_;
	uint8_t *icmp = ip + IP_HLEN;
	size_t len = ETH_HLEN_ + IP_HLEN + ICMP_HLEN + payload;
	size_t i;

	if (len > cap || len > ETH_FRAME_MAX)
		return 0;
	if (len < ETH_FRAME_MIN) {
		memset(frame, 0, ETH_FRAME_MIN);
		len = ETH_FRAME_MIN;	/* padding after the IP packet */
	}

	memcpy(frame, dst_mac, 6);
	memcpy(frame + 6, src_mac, 6);
	put_be16(frame + 12, ETHERTYPE_IPV4_);

	ip[0] = 0x45;				/* version 4, 5 words */
	ip[1] = 0;
	put_be16(ip + 2, (uint16_t)(IP_HLEN + ICMP_HLEN + payload));
	put_be16(ip + 4, seq);			/* identification */
	put_be16(ip + 6, 0x4000);		/* don't fragment */
	ip[8] = 64;				/* TTL */
	ip[9] = IPPROTO_ICMP_;
	put_be16(ip + 10, 0);
	memcpy(ip + 12, &src_ip, 4);
	memcpy(ip + 16, &dst_ip, 4);
	put_be16(ip + 10, inet_csum(ip, IP_HLEN));

	icmp[0] = ICMP_ECHO_REQUEST_;
	icmp[1] = 0;
	put_be16(icmp + 2, 0);
	put_be16(icmp + 4, id);
	put_be16(icmp + 6, seq);
	for (i = 0; i < payload; i++)
		icmp[ICMP_HLEN + i] = (uint8_t)(seq + i);
	put_be16(icmp + 2, inet_csum(icmp, ICMP_HLEN + payload));
	return len;
}

/* An ICMP echo reply in an unfragmented IPv4 packet, checksums verified. */
static void parse_icmp_echo_reply(const uint8_t *ip, size_t len,
				  struct frame_info *fi)
{
	size_t ihl, total;

	if (len < IP_HLEN || ip[0] >> 4 != 4)
		return;
	ihl = (size_t)(ip[0] & 0xf) * 4;
	total = get_be16(ip + 2);
	if (ihl < IP_HLEN || total < ihl + ICMP_HLEN || total > len ||
	    ip[9] != IPPROTO_ICMP_ || (get_be16(ip + 6) & 0x3fff) ||
	    inet_csum(ip, ihl))
		return;
	if (ip[ihl] != ICMP_ECHO_REPLY_ || ip[ihl + 1] ||
	    inet_csum(ip + ihl, total - ihl))
		return;
	fi->icmp_echo_reply = true;
	memcpy(&fi->ip_src, ip + 12, 4);
	memcpy(&fi->ip_dst, ip + 16, 4);
	fi->icmp_id = get_be16(ip + ihl + 4);
	fi->icmp_seq = get_be16(ip + ihl + 6);
}

int net_parse_frame(const uint8_t *frame, size_t len, struct frame_info *fi)
{
	const uint8_t *arp = frame + ETH_HLEN_;

	memset(fi, 0, sizeof(*fi));
	fi->len = len;
	if (len < ETH_HLEN_)
		return -EINVAL;
	memcpy(fi->dst, frame, 6);
	memcpy(fi->src, frame + 6, 6);
	fi->ethertype = get_be16(frame + 12);

	if (fi->ethertype == ETHERTYPE_IPV4_) {
		parse_icmp_echo_reply(frame + ETH_HLEN_, len - ETH_HLEN_, fi);
		return 0;
	}
	if (fi->ethertype != ETHERTYPE_ARP_ || len < ETH_HLEN_ + ARP_LEN)
		return 0;
	if (get_be16(arp) != 1 || get_be16(arp + 2) != 0x0800 ||
	    arp[4] != 6 || arp[5] != 4)
		return 0;
	fi->arp = true;
	fi->arp_op = get_be16(arp + 6);
	memcpy(fi->arp_sha, arp + 8, 6);
	memcpy(&fi->arp_spa, arp + 14, 4);
	memcpy(fi->arp_tha, arp + 18, 6);
	memcpy(&fi->arp_tpa, arp + 24, 4);
	return 0;
}

bool net_is_arp_reply_from(const struct frame_info *fi, uint32_t ip)
{
	return fi->arp && fi->arp_op == ARP_OP_REPLY && fi->arp_spa == ip;
}

bool net_is_arp_request_for(const struct frame_info *fi, uint32_t ip)
{
	return fi->arp && fi->arp_op == ARP_OP_REQUEST && fi->arp_tpa == ip;
}

int net_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;
	int i;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &tail) != 6)
		return -EINVAL;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

const char *net_mac_str(const uint8_t mac[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
	return buf;
}

const char *net_ip_str(uint32_t ip, char *buf, size_t len)
{
	struct in_addr a = { .s_addr = ip };

	if (!inet_ntop(AF_INET, &a, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

const char *net_ethertype_name(uint16_t ethertype)
{
	switch (ethertype) {
	case 0x0800:
		return "IPv4";
	case 0x0806:
		return "ARP";
	case 0x86dd:
		return "IPv6";
	case 0x8100:
		return "VLAN";
	case 0x88cc:
		return "LLDP";
	default:
		return ethertype < 0x0600 ? "802.3 length" : "other";
	}
}

struct feature_name {
	unsigned int bit;
	const char *name;
};

static const struct feature_name net_feature_names[] = {
	{ VIRTIO_NET_F_CSUM, "CSUM" },
	{ VIRTIO_NET_F_GUEST_CSUM, "GUEST_CSUM" },
	{ VIRTIO_NET_F_CTRL_GUEST_OFFLOADS, "CTRL_GUEST_OFFLOADS" },
	{ VIRTIO_NET_F_MTU, "MTU" },
	{ VIRTIO_NET_F_MAC, "MAC" },
	{ VIRTIO_NET_F_GUEST_TSO4, "GUEST_TSO4" },
	{ VIRTIO_NET_F_GUEST_TSO6, "GUEST_TSO6" },
	{ VIRTIO_NET_F_GUEST_ECN, "GUEST_ECN" },
	{ VIRTIO_NET_F_GUEST_UFO, "GUEST_UFO" },
	{ VIRTIO_NET_F_HOST_TSO4, "HOST_TSO4" },
	{ VIRTIO_NET_F_HOST_TSO6, "HOST_TSO6" },
	{ VIRTIO_NET_F_HOST_ECN, "HOST_ECN" },
	{ VIRTIO_NET_F_HOST_UFO, "HOST_UFO" },
	{ VIRTIO_NET_F_MRG_RXBUF, "MRG_RXBUF" },
	{ VIRTIO_NET_F_STATUS, "STATUS" },
	{ VIRTIO_NET_F_CTRL_VQ, "CTRL_VQ" },
	{ VIRTIO_NET_F_CTRL_RX, "CTRL_RX" },
	{ VIRTIO_NET_F_CTRL_VLAN, "CTRL_VLAN" },
	{ VIRTIO_NET_F_CTRL_RX_EXTRA, "CTRL_RX_EXTRA" },
	{ VIRTIO_NET_F_GUEST_ANNOUNCE, "GUEST_ANNOUNCE" },
	{ VIRTIO_NET_F_MQ, "MQ" },
	{ VIRTIO_NET_F_CTRL_MAC_ADDR, "CTRL_MAC_ADDR" },
	{ 24, "NOTIFY_ON_EMPTY" },
	{ 27, "ANY_LAYOUT" },
	{ 28, "RING_INDIRECT_DESC" },
	{ 29, "RING_EVENT_IDX" },
	{ VIRTIO_F_VERSION_1, "VERSION_1" },
	{ VIRTIO_F_ACCESS_PLATFORM, "ACCESS_PLATFORM" },
	{ VIRTIO_F_RING_PACKED, "RING_PACKED" },
	{ 35, "IN_ORDER" },
	{ 36, "ORDER_PLATFORM" },
	{ 37, "SR_IOV" },
	{ VIRTIO_F_NOTIFICATION_DATA, "NOTIFICATION_DATA" },
	{ VIRTIO_F_NOTIF_CONFIG_DATA, "NOTIF_CONFIG_DATA" },
	{ VIRTIO_F_RING_RESET, "RING_RESET" },
	{ VIRTIO_F_ADMIN_VQ, "ADMIN_VQ" },
	{ VIRTIO_F_SUSPEND, "SUSPEND" },
	{ 50, "DEVICE_STATS" },
	{ 52, "VQ_NOTF_COAL" },
	{ 53, "NOTF_COAL" },
	{ 54, "GUEST_USO4" },
	{ 55, "GUEST_USO6" },
	{ 56, "HOST_USO" },
	{ 57, "HASH_REPORT" },
	{ 59, "GUEST_HDRLEN" },
	{ 60, "RSS" },
	{ 61, "RSC_EXT" },
	{ 62, "STANDBY" },
	{ 63, "SPEED_DUPLEX" },
};

const char *net_features_str(uint64_t features, char *buf, size_t len)
{
	size_t n = ARRAY_SIZE(net_feature_names);
	size_t used = 0;
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		uint64_t bit = 1ULL << net_feature_names[i].bit;

		if (!(features & bit))
			continue;
		features &= ~bit;
		str_append(buf, len, &used, "%s%s", used ? "|" : "",
			   net_feature_names[i].name);
	}
	for (i = 0; i < 64; i++) {
		if (!(features & (1ULL << i)))
			continue;
		str_append(buf, len, &used, "%sbit%zu", used ? "|" : "", i);
	}
	if (!used)
		str_append(buf, len, &used, "none");
	return buf;
}
