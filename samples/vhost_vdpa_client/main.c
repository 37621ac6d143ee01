// SPDX-License-Identifier: GPL-2.0
/*
 * vdpa-client: bring up a vhost-vdpa net device the way QEMU does and prove
 * its data path with one ARP exchange.
 *
 *   probe      SET_OWNER, backend features, device id, features, vq count,
 *              config, IOVA range, max queue size
 *   negotiate  ACKNOWLEDGE|DRIVER, SET_FEATURES, FEATURES_OK
 *   map        one DMA region (rings + buffers) through the IOTLB
 *   rings      RX (vq 0) and TX (vq 1): num, addr, base, kick, call, enable
 *   run        DRIVER_OK, RX buffers, ARP request on TX, wait for the reply
 *   teardown   reset (status 0), IOTLB invalidate
 *
 * With --cvq, as QEMU does when it shadows the CVQ: the isolation probe
 * (features, then the vring group of the CVQ and of every data queue, then
 * a reset) before negotiating; SET_GROUP_ASID of the CVQ's group to ASID 1,
 * the CVQ ring and command buffers in a second DMA region mapped in ASID 1;
 * after DRIVER_OK, MAC_ADDR_SET commands (one, a malformed pair, two in
 * flight) that must be acked one by one, then the ARP check in ASID 0.
 *
 * With --reset-base, as QEMU stops a device without SUSPEND: after the ARP
 * exchange and a few more requests, reset the running device and check that
 * VHOST_GET_VRING_BASE of each ring is the used index the device left in it.
 *
 * With --suspend-test (state.c): VHOST_VDPA_SUSPEND with buffers in
 * flight, each ring base against the used index, buffers added while
 * suspended must stay untouched, VHOST_VDPA_RESUME must serve them.
 * With --restore RX,TX (state.c): the rings start at those indexes, set with
 * VHOST_SET_VRING_BASE before DRIVER_OK, and the used indexes must continue
 * from them. With --migrate SRC DST (migrate.c): a stream of ICMP echo
 * requests moves from one device to another, as a live migration moves it.
 *
 * Exit status: 0 reply seen, 1 no reply (data path), 2 any other failure,
 * 3 a CVQ check failed, 4 a ring base was wrong, 5 a suspend, resume or
 * restore check failed, 6 frames lost or duplicated by --migrate.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "util.h"

#define CVQ_QUEUE_SIZE	64	/* capped at the device maximum */
#define CVQ_TIMEOUT	2.0	/* seconds for the acks of one batch */
#define MORE_ARP	3	/* --reset-base: requests after the first reply */
#define MORE_TIMEOUT	3.0	/* seconds for their completions and replies */

/* A CVQ check failed: not an ioctl error. Returned as a positive code. */
#define CVQ_FAILED	EXIT_CVQ

#define SZ_2M		(2ULL << 20)

static const struct option long_opts[] = {
	{ "mac", required_argument, NULL, 'm' },
	{ "ip", required_argument, NULL, 'i' },
	{ "target", required_argument, NULL, 't' },
	{ "timeout", required_argument, NULL, 'T' },
	{ "retries", required_argument, NULL, 'r' },
	{ "queue-size", required_argument, NULL, 'q' },
	{ "iova-base", required_argument, NULL, 'b' },
	{ "late-enable", no_argument, NULL, 'L' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "cvq", no_argument, NULL, 'c' },
	{ "cvq-iova", required_argument, NULL, 'C' },
	{ "reset-base", no_argument, NULL, 'R' },
	{ "suspend-test", no_argument, NULL, 'S' },
	{ "restore", required_argument, NULL, 'B' },
	{ "migrate", no_argument, NULL, 'M' },
	{ "frames", required_argument, NULL, 'n' },
	{ "hold", required_argument, NULL, 'H' },
	{ "hostile", required_argument, NULL, 'x' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [options] /dev/vhost-vdpa-N\n"
		"       %s [options] --migrate /dev/vhost-vdpa-SRC /dev/vhost-vdpa-DST\n"
		"\n"
		"Bring up a vhost-vdpa virtio-net device as QEMU does (owner, backend\n"
		"features, feature negotiation, IOTLB-mapped rings, DRIVER_OK), send an\n"
		"ARP request on TX queue 1 and wait for the reply on RX queue 0, then\n"
		"reset the device and unmap.\n"
		"\n"
		"Options:\n"
		"  -m, --mac XX:XX:XX:XX:XX:XX  source MAC (default: the device config's)\n"
		"  -i, --ip A.B.C.D             sender IPv4 address (default 10.0.2.15)\n"
		"  -t, --target A.B.C.D         address to resolve (default 10.0.2.2)\n"
		"  -T, --timeout SEC            wait this long for the reply (default 5)\n"
		"  -r, --retries N              resend the request up to N times, spread\n"
		"                               over the timeout (default 4)\n"
		"  -q, --queue-size N           ring size, a power of two (default 256,\n"
		"                               capped at the device maximum)\n"
		"  -b, --iova-base ADDR         IOVA of the DMA region (default: start of\n"
		"                               the device's IOVA range rounded up to 2 MiB,\n"
		"                               never 0)\n"
		"  -L, --late-enable            enable the vrings after DRIVER_OK, as\n"
		"                               QEMU >= 8.2 does (default: before)\n"
		"  -v, --verbose                print every received frame\n"
		"  -c, --cvq                    also do what QEMU does to shadow the CVQ:\n"
		"                               isolation probe, CVQ group in ASID 1,\n"
		"                               MAC_ADDR_SET commands checked for their acks\n"
		"  -C, --cvq-iova ADDR          IOVA of the CVQ region in ASID 1 (default:\n"
		"                               after the data region; may overlap it)\n"
		"  -R, --reset-base             after the ARP exchange and %u more\n"
		"                               requests, reset the running device (as\n"
		"                               QEMU stops one without SUSPEND) and check\n"
		"                               that VHOST_GET_VRING_BASE of RX, TX (and\n"
		"                               the CVQ) is the used index of each ring\n"
		"  -S, --suspend-test           after the ARP exchange: VHOST_VDPA_SUSPEND\n"
		"                               with frames in flight, each ring base must\n"
		"                               be its used index, buffers added while\n"
		"                               suspended must stay untouched, and\n"
		"                               VHOST_VDPA_RESUME must serve them\n"
		"  -B, --restore RX,TX          start the RX and TX rings at these indexes\n"
		"                               (VHOST_SET_VRING_BASE before DRIVER_OK) and\n"
		"                               check that the used indexes continue there\n"
		"  -M, --migrate                two devices, SRC and DST: ICMP echo requests\n"
		"                               to --target through SRC, SRC suspended, its\n"
		"                               rings and MAC carried to DST, the stream\n"
		"                               continued there; every reply must arrive\n"
		"                               exactly once (implies the CVQ setup of -c)\n"
		"  -n, --frames N               --migrate: echo requests on each device\n"
		"                               (default 100)\n"
		"  -H, --hold SEC               after the checks, keep the device running\n"
		"                               SEC seconds before the reset (for sysfs)\n"
		"  -x, --hostile CASE           act as a hostile guest and check the\n"
		"                               driver's defence (see README.md): %s\n"
		"  -h, --help                   this text\n"
		"\n"
		"Exit status: 0 ARP reply seen, 1 no reply before the timeout,\n"
		"2 any other failure (the failing ioctl and errno are printed),\n"
		"3 a CVQ check failed (--cvq), 4 a ring base was not the ring's used\n"
		"index (--reset-base, --suspend-test, --restore), 5 a suspend, resume\n"
		"or restore check failed, 6 --migrate lost or duplicated frames,\n"
		"7 a --hostile case's defence did not hold.\n",
		prog, prog, MORE_ARP, hostile_case_names());
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return (errno || end == s || *end || *s == '-') ? -EINVAL : 0;
}

/* An IOVA option: a 4 KiB aligned address. */
static int parse_iova(const char *opt, const char *s, uint64_t *v)
{
	if (parse_u64(s, v) || (*v & 0xfff)) {
		fail("%s: '%s' is not a 4 KiB aligned address\n", opt, s);
		return -EINVAL;
	}
	return 0;
}

/* --restore RX,TX: two ring indexes, 0..65535 each. */
static int parse_restore(const char *s, struct options *o)
{
	unsigned long rx, tx;
	char *end;

	errno = 0;
	rx = strtoul(s, &end, 0);
	if (errno || end == s || *end != ',' || *s == '-' || rx > 0xffff)
		goto bad;
	s = end + 1;
	tx = strtoul(s, &end, 0);
	if (errno || end == s || *end || *s == '-' || tx > 0xffff)
		goto bad;
	o->restore_rx = (uint16_t)rx;
	o->restore_tx = (uint16_t)tx;
	o->restore = true;
	return 0;
bad:
	fail("--restore: want RX,TX ring indexes in 0..65535, e.g. 1000,300\n");
	return -EINVAL;
}

static int parse_ip(const char *s, uint32_t *ip)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*ip = a.s_addr;
	return 0;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	uint64_t v;
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	parse_ip("10.0.2.15", &o->ip);
	parse_ip("10.0.2.2", &o->target);
	o->timeout = 5.0;
	o->retries = 4;
	o->queue_size = 256;
	o->frames = 100;

	while ((c = getopt_long(argc, argv, "m:i:t:T:r:q:b:LvcC:RSB:Mn:H:x:h",
				long_opts,
				NULL)) != -1) {
		switch (c) {
		case 'm':
			if (net_parse_mac(optarg, o->mac)) {
				fail("--mac: bad MAC '%s'\n", optarg);
				return -EINVAL;
			}
			o->have_mac = true;
			break;
		case 'i':
			if (parse_ip(optarg, &o->ip)) {
				fail("--ip: bad address '%s'\n", optarg);
				return -EINVAL;
			}
			break;
		case 't':
			if (parse_ip(optarg, &o->target)) {
				fail("--target: bad address '%s'\n",
				     optarg);
				return -EINVAL;
			}
			break;
		case 'T':
			errno = 0;
			o->timeout = strtod(optarg, &end);
			if (errno || end == optarg || *end || o->timeout <= 0 ||
			    o->timeout > 3600) {
				fail("--timeout: bad value '%s'\n",
				     optarg);
				return -EINVAL;
			}
			break;
		case 'r':
			if (parse_u64(optarg, &v) || v > 1000) {
				fail("--retries: bad value '%s'\n",
				     optarg);
				return -EINVAL;
			}
			o->retries = (unsigned int)v;
			break;
		case 'q':
			if (parse_u64(optarg, &v) || !v || v > 32768 ||
			    (v & (v - 1))) {
				fail("--queue-size: '%s' is not a power of two in 1..32768\n",
				     optarg);
				return -EINVAL;
			}
			o->queue_size = (unsigned int)v;
			break;
		case 'b':
			if (parse_iova("--iova-base", optarg, &v))
				return -EINVAL;
			o->iova_base = v;
			o->have_iova_base = true;
			break;
		case 'L':
			o->late_enable = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'c':
			o->cvq = true;
			break;
		case 'C':
			if (parse_iova("--cvq-iova", optarg, &v))
				return -EINVAL;
			o->cvq_iova = v;
			o->have_cvq_iova = true;
			break;
		case 'R':
			o->reset_base = true;
			break;
		case 'S':
			o->suspend_test = true;
			break;
		case 'B':
			if (parse_restore(optarg, o))
				return -EINVAL;
			break;
		case 'M':
			o->migrate = true;
			break;
		case 'n':
			if (parse_u64(optarg, &v) || !v || v > 30000) {
				fail("--frames: want 1..30000, not '%s'\n",
				     optarg);
				return -EINVAL;
			}
			o->frames = (unsigned int)v;
			break;
		case 'H':
			errno = 0;
			o->hold = strtod(optarg, &end);
			if (errno || end == optarg || *end || o->hold < 0 ||
			    o->hold > 600) {
				fail("--hold: want 0..600 seconds, not '%s'\n",
				     optarg);
				return -EINVAL;
			}
			break;
		case 'x':
			if (!hostile_case_known(optarg)) {
				fail("--hostile: no case '%s' (cases: %s)\n",
				     optarg, hostile_case_names());
				return -EINVAL;
			}
			o->hostile = optarg;
			break;
		case 'h':
			usage(stdout, argv[0]);
			exit(0);
		default:
			usage(stderr, argv[0]);
			return -EINVAL;
		}
	}
	if (optind != argc - (o->migrate ? 2 : 1)) {
		usage(stderr, argv[0]);
		return -EINVAL;
	}
	o->path = argv[optind];
	if (o->migrate) {
		o->dst_path = argv[optind + 1];
		if (o->reset_base || o->suspend_test || o->restore) {
			fail("--migrate does its own suspend and restore: no --reset-base, --suspend-test or --restore with it\n");
			return -EINVAL;
		}
		/* both devices as QEMU sets them up: CVQ isolated in ASID 1 */
		o->cvq = true;
	}
	if (o->hostile && (o->migrate || o->cvq || o->reset_base ||
			   o->suspend_test || o->restore)) {
		fail("--hostile sets a device up its own way: no other mode with it\n");
		return -EINVAL;
	}
	if (o->reset_base && o->suspend_test) {
		fail("--reset-base and --suspend-test each stop the device: pick one\n");
		return -EINVAL;
	}
	return 0;
}

/* Add `bits` to the device status and check that they stuck. */
int status_add(struct client *c, uint8_t bits, const char *what)
{
	char buf[96];
	uint8_t status;
	int ret;

	ret = vdpa_get_status(&c->dev, &status);
	if (ret)
		return ret;
	c->status_touched = true;
	ret = vdpa_set_status(&c->dev, status | bits);
	if (ret)
		return ret;
	ret = vdpa_get_status(&c->dev, &status);
	if (ret)
		return ret;
	say("VHOST_VDPA_SET_STATUS %s: status now 0x%02x (%s)", what, status,
	    vdpa_status_str(status, buf, sizeof(buf)));
	if ((status & bits) != bits) {
		fail("device did not accept status %s (0x%02x): reads 0x%02x\n",
		     what, bits, status);
		return -EIO;
	}
	if (status & (VIRTIO_CONFIG_S_FAILED | VIRTIO_CONFIG_S_NEEDS_RESET)) {
		fail("device status 0x%02x after %s: %s\n", status,
		     what, vdpa_status_str(status, buf, sizeof(buf)));
		return -EIO;
	}
	return 0;
}

/* " (no F_X)" when a config field's feature is not offered */
static const char *no_feature(uint64_t features, unsigned int bit)
{
	if (features & (1ULL << bit))
		return "";
	switch (bit) {
	case VIRTIO_NET_F_MAC:
		return " (no F_MAC)";
	case VIRTIO_NET_F_MQ:
		return " (no F_MQ)";
	case VIRTIO_NET_F_MTU:
		return " (no F_MTU)";
	default:
		return " (feature not offered)";
	}
}

int probe(struct client *c)
{
	uint64_t want_backend, features;
	uint32_t id, cfg_size;
	uint8_t cfgbuf[sizeof(struct virtio_net_config)];
	char buf[512], mac[18];
	const char *link;
	uint8_t status;
	int ret;

	ret = vdpa_open(&c->dev, c->opt.path);
	if (ret)
		return ret;
	c->opened = true;
	say("open %s: fd %d", c->opt.path, c->dev.fd);

	ret = vdpa_set_owner(&c->dev);
	if (ret)
		return ret;
	say("VHOST_SET_OWNER: ok");

	ret = vdpa_get_backend_features(&c->dev, &c->backend_offered);
	if (ret)
		return ret;
	say("VHOST_GET_BACKEND_FEATURES: 0x%llx (%s)",
	    (unsigned long long)c->backend_offered,
	    vdpa_backend_features_str(c->backend_offered, buf, sizeof(buf)));
	if (!(c->backend_offered & (1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2))) {
		fail("backend does not offer IOTLB_MSG_V2\n");
		return -EOPNOTSUPP;
	}
	want_backend = c->backend_offered &
		       (1ULL << VHOST_BACKEND_F_IOTLB_MSG_V2 |
			1ULL << VHOST_BACKEND_F_IOTLB_BATCH);
	if (c->opt.cvq) {
		/* QEMU probes CVQ isolation only with IOTLB_ASID */
		if (!(c->backend_offered &
		      (1ULL << VHOST_BACKEND_F_IOTLB_ASID))) {
			fail("--cvq: backend does not offer IOTLB_ASID: no address space for the CVQ\n");
			return -EOPNOTSUPP;
		}
		want_backend |= 1ULL << VHOST_BACKEND_F_IOTLB_ASID;
	}
	if (c->opt.suspend_test || c->opt.migrate) {
		uint64_t need = 1ULL << VHOST_BACKEND_F_SUSPEND;

		if (c->opt.suspend_test)
			need |= 1ULL << VHOST_BACKEND_F_RESUME;
		if ((c->backend_offered & need) != need) {
			fail("%s: backend does not offer %s\n",
			     c->opt.migrate ? "--migrate" : "--suspend-test",
			     vdpa_backend_features_str(need & ~c->backend_offered,
						       buf, sizeof(buf)));
			return -EOPNOTSUPP;
		}
		want_backend |= need;
	}
	ret = vdpa_set_backend_features(&c->dev, want_backend);
	if (ret)
		return ret;
	say("VHOST_SET_BACKEND_FEATURES: 0x%llx (%s)",
	    (unsigned long long)want_backend,
	    vdpa_backend_features_str(want_backend, buf, sizeof(buf)));

	ret = vdpa_get_device_id(&c->dev, &id);
	if (ret)
		return ret;
	say("VHOST_VDPA_GET_DEVICE_ID: %u%s", id, id == 1 ? " (net)" : "");
	if (id != 1) {
		fail("device id %u is not virtio-net (1)\n", id);
		return -ENODEV;
	}

	ret = vdpa_get_features(&c->dev, &c->features_offered);
	if (ret)
		return ret;
	say("VHOST_GET_FEATURES: 0x%016llx (%s)",
	    (unsigned long long)c->features_offered,
	    net_features_str(c->features_offered, buf, sizeof(buf)));
	features = c->features_offered;

	ret = vdpa_get_vqs_count(&c->dev, &c->nvqs);
	if (ret)
		return ret;
	ret = vdpa_get_group_num(&c->dev, &c->ngroups);
	if (ret)
		return ret;
	ret = vdpa_get_as_num(&c->dev, &c->nas);
	if (ret)
		return ret;
	say("VHOST_VDPA_GET_VQS_COUNT: %u (groups %u, address spaces %u)",
	    c->nvqs, c->ngroups, c->nas);
	if (c->nvqs < 2) {
		fail("device has %u virtqueues, need RX and TX\n",
		     c->nvqs);
		return -ENODEV;
	}

	/*
	 * The vdpa core takes a config read before SET_FEATURES as a legacy
	 * driver and sets features 0 first; SET_FEATURES below overrides it.
	 */
	ret = vdpa_get_config_size(&c->dev, &cfg_size);
	if (ret)
		return ret;
	if (cfg_size > sizeof(cfgbuf))
		cfg_size = sizeof(cfgbuf);
	if (cfg_size) {
		ret = vdpa_get_config(&c->dev, 0, cfgbuf, cfg_size);
		if (ret)
			return ret;
	}
	net_config_parse(cfgbuf, cfg_size, &c->cfg);
	if (!(features & (1ULL << VIRTIO_NET_F_STATUS)))
		link = " (no F_STATUS)";
	else if (c->cfg.status & VIRTIO_NET_S_LINK_UP)
		link = " (link up)";
	else
		link = " (link down)";
	say("VHOST_VDPA_GET_CONFIG: %u bytes: mac %s%s, status 0x%x%s, max_vq_pairs %u%s, mtu %u%s",
	    cfg_size, net_mac_str(c->cfg.mac, mac, sizeof(mac)),
	    no_feature(features, VIRTIO_NET_F_MAC), c->cfg.status, link,
	    c->cfg.max_virtqueue_pairs, no_feature(features, VIRTIO_NET_F_MQ),
	    c->cfg.mtu, no_feature(features, VIRTIO_NET_F_MTU));

	ret = vdpa_get_iova_range(&c->dev, &c->iova_first, &c->iova_last);
	if (ret)
		return ret;
	say("VHOST_VDPA_GET_IOVA_RANGE: 0x%llx-0x%llx",
	    (unsigned long long)c->iova_first,
	    (unsigned long long)c->iova_last);

	ret = vdpa_get_vring_num(&c->dev, &c->vq_max);
	if (ret)
		return ret;
	say("VHOST_VDPA_GET_VRING_NUM: max queue size %u", c->vq_max);
	if (!c->vq_max) {
		fail("device reports a maximum queue size of 0\n");
		return -ENODEV;
	}

	/* vhost-vdpa resets the device on open; a non-zero status is odd. */
	ret = vdpa_get_status(&c->dev, &status);
	if (ret)
		return ret;
	say("VHOST_VDPA_GET_STATUS: 0x%02x (%s)", status,
	    vdpa_status_str(status, buf, sizeof(buf)));
	if (status) {
		c->status_touched = true;
		ret = vdpa_set_status(&c->dev, 0);
		if (ret)
			return ret;
		say("VHOST_VDPA_SET_STATUS 0: reset a device found running");
	}

	memcpy(c->mac, c->opt.have_mac ? c->opt.mac : c->cfg.mac, 6);
	if (!c->opt.have_mac &&
	    !(c->features_offered & (1ULL << VIRTIO_NET_F_MAC))) {
		/* locally administered, fixed */
		static const uint8_t fallback[6] = {
			0x02, 0x00, 0x00, 0x5e, 0x00, 0x01
		};

		memcpy(c->mac, fallback, 6);
		say("no VIRTIO_NET_F_MAC and no --mac: using 02:00:00:5e:00:01");
	}
	return 0;
}

/*
 * The CVQ's vring index: after the data queues of max_virtqueue_pairs
 * pairs with MQ, of one pair without (virtio-net "Device Types").
 */
static int cvq_index_for(struct client *c, uint64_t features,
			 unsigned int *index)
{
	bool mq = features & (1ULL << VIRTIO_NET_F_MQ);
	unsigned int pairs = mq ? c->cfg.max_virtqueue_pairs : 1;

	if (!pairs || 2 * pairs >= c->nvqs) {
		fail("CVQ index %u (%s max_virtqueue_pairs %u) is not below the vq count %u\n",
		     2 * pairs, mq ? "MQ," : "no MQ, ignoring", pairs,
		     c->nvqs);
		return -ENODEV;
	}
	*index = 2 * pairs;
	return 0;
}

/*
 * Read the vring group of the CVQ and of every data queue before it, as
 * QEMU does; CVQ_FAILED when a data queue shares the CVQ's group, or when
 * the device has no groups (EOPNOTSUPP: QEMU's "not isolated").
 */
static int check_cvq_group(struct client *c, unsigned int index)
{
	char groups[256];
	uint64_t seen = 0;
	bool shared = false;
	unsigned int i;
	uint32_t group;
	size_t used = 0;
	int ret;

	ret = vdpa_get_vring_group(&c->dev, index, &c->cvq_group);
	if (ret == -EOPNOTSUPP) {
		fail("CVQ not isolated: VHOST_VDPA_GET_VRING_GROUP unsupported (QEMU would pass the CVQ through)\n");
		return CVQ_FAILED;
	}
	if (ret)
		return ret;
	say("VHOST_VDPA_GET_VRING_GROUP: vq %u (CVQ) -> group %u", index,
	    c->cvq_group);

	groups[0] = '\0';
	for (i = 0; i < index; i++) {
		ret = vdpa_get_vring_group(&c->dev, i, &group);
		if (ret)
			return ret;
		say("VHOST_VDPA_GET_VRING_GROUP: vq %u (%s) -> group %u", i,
		    i & 1 ? "TX" : "RX", group);
		if (group == c->cvq_group)
			shared = true;
		if (group < 64 && (seen & (1ULL << group)))
			continue;
		if (group < 64)
			seen |= 1ULL << group;
		str_append(groups, sizeof(groups), &used, "%s%u",
			   used ? " " : "", group);
	}
	if (shared) {
		fail("CVQ not isolated: group %u (data groups %s): a data vq shares the CVQ's group\n",
		     c->cvq_group, groups);
		return CVQ_FAILED;
	}
	say("CVQ isolated: group %u (data groups %s)", c->cvq_group, groups);
	return 0;
}

/*
 * QEMU's vhost_vdpa_probe_cvq_isolation(): ACKNOWLEDGE|DRIVER, every
 * offered feature, FEATURES_OK, the groups, then a reset whatever came of
 * it. Returns 0, CVQ_FAILED or a negative errno.
 */
static int probe_isolation(struct client *c)
{
	char buf[512];
	unsigned int index;
	uint8_t status;
	int ret, ret2;

	if (!(c->features_offered & (1ULL << VIRTIO_NET_F_CTRL_VQ))) {
		fail("--cvq: device does not offer VIRTIO_NET_F_CTRL_VQ\n");
		return CVQ_FAILED;
	}
	say("CVQ isolation probe: all offered features, then the vring groups");
	ret = status_add(c, VIRTIO_CONFIG_S_ACKNOWLEDGE, "ACKNOWLEDGE");
	if (!ret)
		ret = status_add(c, VIRTIO_CONFIG_S_DRIVER, "DRIVER");
	if (!ret)
		ret = vdpa_set_features(&c->dev, c->features_offered);
	if (!ret) {
		say("VHOST_SET_FEATURES: 0x%016llx (%s) (probe: all offered)",
		    (unsigned long long)c->features_offered,
		    net_features_str(c->features_offered, buf, sizeof(buf)));
		ret = status_add(c, VIRTIO_CONFIG_S_FEATURES_OK, "FEATURES_OK");
	}
	if (!ret)
		ret = cvq_index_for(c, c->features_offered, &index);
	if (!ret)
		ret = check_cvq_group(c, index);

	ret2 = vdpa_set_status(&c->dev, 0);
	if (!ret2)
		ret2 = vdpa_get_status(&c->dev, &status);
	if (!ret2) {
		say("VHOST_VDPA_SET_STATUS 0 (end of the probe): status now 0x%02x",
		    status);
		if (status) {
			fail("device status 0x%02x after the probe's reset, expected 0\n",
			     status);
			ret2 = -EIO;
		}
	}
	return ret ? ret : ret2;
}

int negotiate(struct client *c)
{
	uint64_t required = 1ULL << VIRTIO_F_VERSION_1 |
			    1ULL << VIRTIO_F_ACCESS_PLATFORM;
	const uint64_t optional = 1ULL << VIRTIO_NET_F_MAC |
				  1ULL << VIRTIO_NET_F_STATUS;
	char buf[512];
	int ret;

	if (c->opt.cvq)
		required |= 1ULL << VIRTIO_NET_F_CTRL_VQ |
			    1ULL << VIRTIO_NET_F_CTRL_MAC_ADDR;
	if ((c->features_offered & required) != required) {
		fail("device lacks required features: %s\n",
		     net_features_str(required & ~c->features_offered, buf,
				      sizeof(buf)));
		return -EOPNOTSUPP;
	}

	ret = status_add(c, VIRTIO_CONFIG_S_ACKNOWLEDGE, "ACKNOWLEDGE");
	if (ret)
		return ret;
	ret = status_add(c, VIRTIO_CONFIG_S_DRIVER, "DRIVER");
	if (ret)
		return ret;

	c->features = required |
		      (c->features_offered & (optional | c->features_extra));
	ret = vdpa_set_features(&c->dev, c->features);
	if (ret)
		return ret;
	say("VHOST_SET_FEATURES: 0x%016llx (%s)",
	    (unsigned long long)c->features,
	    net_features_str(c->features, buf, sizeof(buf)));

	ret = status_add(c, VIRTIO_CONFIG_S_FEATURES_OK, "FEATURES_OK");
	if (ret || !c->opt.cvq)
		return ret;

	/* QEMU looks the group up again at every start */
	ret = cvq_index_for(c, c->features, &c->cvq_index);
	if (ret)
		return ret;
	ret = check_cvq_group(c, c->cvq_index);
	if (ret || !c->cvq_mem.mapped)
		return ret;
	/* and binds it again: a reset put every group back in ASID 0 */
	ret = vdpa_set_group_asid(&c->dev, c->cvq_group, CVQ_ASID);
	if (!ret)
		say("VHOST_VDPA_SET_GROUP_ASID: group %u (CVQ, vq %u) -> asid %u",
		    c->cvq_group, c->cvq_index, CVQ_ASID);
	return ret;
}

static size_t ring_footprint(unsigned int num)
{
	/* desc + avail + used of a split ring, plus alignment slack */
	return 16 * num + (6 + 2 * num) + (6 + 8 * num) + 3 * 64;
}

static int check_iova(struct client *c, uint64_t base, size_t size)
{
	if (base < c->iova_first || base > c->iova_last ||
	    size - 1 > c->iova_last - base) {
		fail("IOVA 0x%llx+0x%zx is outside the device range 0x%llx-0x%llx\n",
		     (unsigned long long)base, size,
		     (unsigned long long)c->iova_first,
		     (unsigned long long)c->iova_last);
		return -ERANGE;
	}
	return 0;
}

int map_memory(struct client *c, unsigned int num)
{
	/* two rings, then RX and TX buffers each page aligned */
	size_t size = 2 * ring_footprint(num) + 2 * 4096 +
		      2 * (size_t)num * BUF_SLOT + c->mem_extra;
	uint64_t base;
	int ret;

	size = (size + 4095) & ~(size_t)4095;
	if (c->opt.have_iova_base) {
		base = c->opt.iova_base;
	} else {
		base = (c->iova_first + SZ_2M - 1) & ~(SZ_2M - 1);
		if (base < c->iova_first)	/* wrapped */
			base = c->iova_first;
		if (!base)
			base = SZ_2M;	/* keep IOVA 0 unmapped */
	}
	ret = check_iova(c, base, size);
	if (ret)
		return ret;

	/* --migrate: both devices pin the region, and each its CVQ region */
	ret = dma_reserve_memlock((c->opt.migrate ? 2 : 1) * size + 4 * 65536);
	if (ret < 0)
		return ret;
	if (ret > 0)
		say("RLIMIT_MEMLOCK raised to %zu bytes (vhost-vdpa pins mapped pages)",
		    (c->opt.migrate ? 2 : 1) * size + 4 * 65536);

	ret = dma_region_create(&c->mem, size, base);
	if (ret)
		return ret;

	ret = dma_region_map(&c->dev, &c->mem, DATA_ASID);
	if (ret)
		return ret;
	say("VHOST_IOTLB_UPDATE%s: asid %u iova 0x%llx-0x%llx -> va %p (%zu KiB, RW)",
	    c->dev.backend_features & (1ULL << VHOST_BACKEND_F_IOTLB_BATCH) ?
	    " (in BATCH_BEGIN/END)" : "", DATA_ASID,
	    (unsigned long long)c->mem.iova,
	    (unsigned long long)(c->mem.iova + c->mem.size - 1),
	    (void *)c->mem.va, c->mem.size >> 10);
	return 0;
}

/*
 * The CVQ's group goes to CVQ_ASID, then the CVQ region (ring + command
 * slots) is mapped there in a batch of its own, as QEMU maps its shadow
 * CVQ buffers. By default the region follows the data region; with
 * --cvq-iova it may sit at the same IOVAs as data memory in ASID 0, which
 * only works if the device really translates the CVQ through ASID 1.
 */
static int map_cvq_memory(struct client *c, unsigned int num)
{
	size_t size = (cvq_footprint((uint16_t)num) + 4095) & ~(size_t)4095;
	uint64_t base;
	bool overlap;
	int ret;

	if (c->nas <= CVQ_ASID) {
		fail("--cvq: device has %u address space(s), need ASID %u\n",
		     c->nas, CVQ_ASID);
		return -EOPNOTSUPP;
	}
	ret = vdpa_set_group_asid(&c->dev, c->cvq_group, CVQ_ASID);
	if (ret)
		return ret;
	say("VHOST_VDPA_SET_GROUP_ASID: group %u (CVQ, vq %u) -> asid %u",
	    c->cvq_group, c->cvq_index, CVQ_ASID);

	if (c->opt.have_cvq_iova)
		base = c->opt.cvq_iova;
	else
		base = (c->mem.iova + c->mem.size + SZ_2M - 1) & ~(SZ_2M - 1);
	ret = check_iova(c, base, size);
	if (ret)
		return ret;
	ret = dma_reserve_memlock((c->opt.migrate ? 2 : 1) * c->mem.size +
				  4 * 65536);
	if (ret < 0)
		return ret;
	ret = dma_region_create(&c->cvq_mem, size, base);
	if (ret)
		return ret;
	ret = dma_region_map(&c->dev, &c->cvq_mem, CVQ_ASID);
	if (ret)
		return ret;
	overlap = base < c->mem.iova + c->mem.size &&
		  c->mem.iova < base + size;
	say("VHOST_IOTLB_UPDATE%s: asid %u iova 0x%llx-0x%llx -> va %p (%zu KiB, RW): CVQ ring + %u command slots%s",
	    c->dev.backend_features & (1ULL << VHOST_BACKEND_F_IOTLB_BATCH) ?
	    " (in BATCH_BEGIN/END)" : "", CVQ_ASID,
	    (unsigned long long)c->cvq_mem.iova,
	    (unsigned long long)(c->cvq_mem.iova + c->cvq_mem.size - 1),
	    (void *)c->cvq_mem.va, c->cvq_mem.size >> 10, CVQ_SLOTS,
	    overlap ? " (overlaps the data region's IOVAs in asid 0)" : "");
	return 0;
}

static int setup_cvq(struct client *c)
{
	struct vdpa_vring_cfg cfg;
	unsigned int num = CVQ_QUEUE_SIZE;
	int ret;

	while (num > c->vq_max)
		num >>= 1;
	ret = map_cvq_memory(c, num);
	if (ret)
		return ret;
	ret = cvq_init(&c->cvq, &c->cvq_mem, c->cvq_index, (uint16_t)num);
	if (ret)
		return ret;
	split_vq_vring_cfg(&c->cvq.vq, &cfg);
	ret = vdpa_vring_setup(&c->dev, &cfg);
	if (ret)
		return ret;
	say("vq %u CVQ: VHOST_SET_VRING_NUM/ADDR/BASE/KICK/CALL: num %u, desc 0x%llx avail 0x%llx used 0x%llx (asid %u), base %u, kick fd %d, call fd %d",
	    cfg.index, cfg.num, (unsigned long long)cfg.desc_iova,
	    (unsigned long long)cfg.driver_iova,
	    (unsigned long long)cfg.device_iova, CVQ_ASID, cfg.base,
	    cfg.kick_fd, cfg.call_fd);
	return 0;
}

/* VHOST_SET_VRING_* for a ring already laid out in c->mem. */
static int attach_vq(struct client *c, struct split_vq *vq, const char *name)
{
	struct vdpa_vring_cfg cfg;
	unsigned int index = vq->index;
	int ret;

	split_vq_vring_cfg(vq, &cfg);
	ret = vdpa_vring_setup(&c->dev, &cfg);
	if (ret)
		return ret;
	say("vq %u %s: VHOST_SET_VRING_NUM/ADDR/BASE/KICK/CALL: num %u, desc 0x%llx avail 0x%llx used 0x%llx, base %u, kick fd %d, call fd %d",
	    index, name, cfg.num, (unsigned long long)cfg.desc_iova,
	    (unsigned long long)cfg.driver_iova,
	    (unsigned long long)cfg.device_iova, cfg.base, cfg.kick_fd,
	    cfg.call_fd);
	return 0;
}

static int enable_vqs(struct client *c)
{
	int ret;

	/* QEMU enables the CVQ first, to replay the device state on it */
	if (c->opt.cvq) {
		ret = vdpa_set_vring_enable(&c->dev, c->cvq_index, true);
		if (ret)
			return ret;
		say("VHOST_VDPA_SET_VRING_ENABLE 1: vq %u (CVQ)",
		    c->cvq_index);
	}

	ret = vdpa_set_vring_enable(&c->dev, RX_VQ, true);
	if (ret)
		return ret;
	ret = vdpa_set_vring_enable(&c->dev, TX_VQ, true);
	if (ret)
		return ret;
	say("VHOST_VDPA_SET_VRING_ENABLE 1: vq %u, vq %u", RX_VQ, TX_VQ);
	return 0;
}

/* The data ring size: --queue-size capped at the device maximum. */
unsigned int ring_size(struct client *c)
{
	unsigned int num = c->opt.queue_size;

	while (num > c->vq_max)
		num >>= 1;
	if (num != c->opt.queue_size)
		say("queue size %u capped to %u (device max %u)",
		    c->opt.queue_size, num, c->vq_max);
	/* each request gets its own TX slot: never reuse one in flight */
	if (c->opt.retries > num - 1) {
		say("retries %u capped to %u by the queue size",
		    c->opt.retries, num - 1);
		c->opt.retries = num - 1;
	}
	return num;
}

/* RX and TX rings (at the --restore bases) and their buffers in c->mem. */
int init_rings(struct client *c, unsigned int num)
{
	uint16_t rx_base = c->opt.restore ? c->opt.restore_rx : 0;
	uint16_t tx_base = c->opt.restore ? c->opt.restore_tx : 0;
	int ret;

	c->num = num;
	ret = split_vq_init(&c->rx, &c->mem, RX_VQ, (uint16_t)num, rx_base);
	if (ret)
		return ret;
	ret = split_vq_init(&c->tx, &c->mem, TX_VQ, (uint16_t)num, tx_base);
	if (ret)
		return ret;
	c->rx_bufs = dma_alloc(&c->mem, (size_t)num * BUF_SLOT, 4096);
	c->tx_bufs = dma_alloc(&c->mem, (size_t)num * BUF_SLOT, 4096);
	if (!c->rx_bufs || !c->tx_bufs) {
		fail("DMA region too small for packet buffers\n");
		return -ENOMEM;
	}
	return 0;
}

/*
 * Attach the rings (c->rx, c->tx, and the CVQ with --cvq), enable them
 * before or after DRIVER_OK (--late-enable), set DRIVER_OK.
 */
int start_queues(struct client *c)
{
	int ret;

	ret = attach_vq(c, &c->rx, "RX");
	if (ret)
		return ret;
	ret = attach_vq(c, &c->tx, "TX");
	if (ret)
		return ret;
	if (c->rx.base || c->tx.base) {
		ret = check_restore_setup(c);
		if (ret)
			return ret;
	}
	if (c->opt.cvq) {
		ret = setup_cvq(c);
		if (ret)
			return ret;
	}

	if (!c->opt.late_enable) {
		ret = enable_vqs(c);
		if (ret)
			return ret;
	}
	ret = status_add(c, VIRTIO_CONFIG_S_DRIVER_OK, "DRIVER_OK");
	if (ret)
		return ret;
	if (c->opt.late_enable)
		ret = enable_vqs(c);
	return ret;
}

int setup_queues(struct client *c)
{
	unsigned int num = ring_size(c);
	int ret;

	ret = map_memory(c, num);
	if (ret)
		return ret;
	ret = init_rings(c, num);
	if (ret)
		return ret;
	return start_queues(c);
}

int post_rx(struct client *c, uint8_t *slot)
{
	struct vq_buf b = {
		.iova = dma_iova(&c->mem, slot),
		.len = RX_BUF_LEN,
		.device_writable = true,
	};

	return split_vq_add(&c->rx, &b, 1, slot);
}

int fill_rx(struct client *c)
{
	unsigned int i;
	int ret;

	for (i = 0; i + c->rx_held < c->rx.num; i++) {
		ret = post_rx(c, c->rx_bufs + (size_t)i * BUF_SLOT);
		if (ret) {
			fail("RX buffer %u: %s\n", i, strerror(-ret));
			return ret;
		}
	}
	ret = split_vq_kick(&c->rx);
	if (ret < 0)
		return ret;
	say("RX: posted %u buffers of %u bytes (virtio_net_hdr_v1 + %u)%s, %s",
	    i, (unsigned int)RX_BUF_LEN, ETH_FRAME_MAX,
	    c->rx_held ? " (the last slots held back)" : "",
	    ret ? "kicked" : "kick suppressed (VRING_USED_F_NO_NOTIFY)");
	return 0;
}

/* The TX slot of the next frame: the ring never has more in flight. */
static uint8_t *tx_slot(struct client *c)
{
	return c->tx_bufs + (size_t)(c->tx_sent % c->tx.num) * BUF_SLOT;
}

/*
 * Publish the frame of `len` bytes built in `slot` after an all-zero
 * virtio_net_hdr_v1 (no offloads), and kick. 1 kicked, 0 kick suppressed,
 * negative errno.
 */
static int tx_queue(struct client *c, uint8_t *slot, size_t len,
		    const char *what)
{
	struct vq_buf b;
	int ret;

	memset(slot, 0, NET_HDR_LEN);
	b.iova = dma_iova(&c->mem, slot);
	b.len = (uint32_t)(NET_HDR_LEN + len);
	b.device_writable = false;
	ret = split_vq_add(&c->tx, &b, 1, slot);
	if (ret) {
		fail("TX: no room for %s (%u in flight)\n", what,
		     split_vq_in_flight(&c->tx));
		return ret;
	}
	ret = split_vq_kick(&c->tx);
	if (ret < 0)
		return ret;
	c->tx_sent++;
	return ret;
}

int send_frame(struct client *c, const uint8_t *frame, size_t len)
{
	uint8_t *slot = tx_slot(c);
	int ret;

	if (len > BUF_SLOT - NET_HDR_LEN)
		return -EINVAL;
	memcpy(slot + NET_HDR_LEN, frame, len);
	ret = tx_queue(c, slot, len, "a frame");
	return ret < 0 ? ret : 0;
}

int send_arp(struct client *c)
{
	uint8_t *slot = tx_slot(c);
	char ip[INET_ADDRSTRLEN], tgt[INET_ADDRSTRLEN], mac[18];
	size_t len;
	int ret;

	len = net_build_arp_request(slot + NET_HDR_LEN,
				    BUF_SLOT - NET_HDR_LEN, c->mac, c->opt.ip,
				    c->opt.target);
	ret = tx_queue(c, slot, len, "the ARP request");
	if (ret < 0)
		return ret;
	say("TX: ARP request #%u who-has %s tell %s (%s), %zu bytes + header, %s",
	    c->tx_sent, net_ip_str(c->opt.target, tgt, sizeof(tgt)),
	    net_ip_str(c->opt.ip, ip, sizeof(ip)),
	    net_mac_str(c->mac, mac, sizeof(mac)), len,
	    ret ? "kicked" : "kick suppressed (VRING_USED_F_NO_NOTIFY)");
	return 0;
}

static void print_frame(struct client *c, const struct frame_info *fi)
{
	char src[18], dst[18], sha[18], spa[INET_ADDRSTRLEN], tpa[INET_ADDRSTRLEN];
	char arp[128] = "";

	if (c->rx_frames > MAX_PRINTED && !c->opt.verbose) {
		if (c->rx_frames == MAX_PRINTED + 1)
			say("RX: further frames not printed (use --verbose)");
		return;
	}
	/* "ARP reply" is kept for the final line the harness greps for */
	if (fi->arp && fi->arp_op == 1)
		snprintf(arp, sizeof(arp), ", ARP who-has %s tell %s",
			 net_ip_str(fi->arp_tpa, tpa, sizeof(tpa)),
			 net_ip_str(fi->arp_spa, spa, sizeof(spa)));
	else if (fi->arp && fi->arp_op == 2)
		snprintf(arp, sizeof(arp), ", ARP %s is-at %s (to %s)",
			 net_ip_str(fi->arp_spa, spa, sizeof(spa)),
			 net_mac_str(fi->arp_sha, sha, sizeof(sha)),
			 net_ip_str(fi->arp_tpa, tpa, sizeof(tpa)));
	else if (fi->arp)
		snprintf(arp, sizeof(arp), ", ARP op %u", fi->arp_op);
	say("RX frame %u: %zu bytes, %s -> %s, ethertype 0x%04x (%s)%s",
	    c->rx_frames, fi->len, net_mac_str(fi->src, src, sizeof(src)),
	    net_mac_str(fi->dst, dst, sizeof(dst)), fi->ethertype,
	    net_ethertype_name(fi->ethertype), arp);
}

/* Drain the RX used ring, look at each frame, give the buffer back. */
int handle_rx(struct client *c)
{
	unsigned int reposted = 0;
	struct frame_info fi;
	void *cookie;
	uint32_t len;
	int ret;

	while ((ret = split_vq_get_used(&c->rx, &cookie, &len)) > 0) {
		uint8_t *slot = cookie;

		c->rx_frames++;
		if (len < NET_HDR_LEN + ETH_HLEN_ || len > RX_BUF_LEN) {
			c->rx_bad++;
			say("RX frame %u: used length %u out of range %zu..%u",
			    c->rx_frames, len, NET_HDR_LEN + ETH_HLEN_,
			    (unsigned int)RX_BUF_LEN);
		} else {
			net_parse_frame(slot + NET_HDR_LEN, len - NET_HDR_LEN,
					&fi);
			if (c->nseen < MAX_SEEN)
				c->seen[c->nseen++] = fi;
			print_frame(c, &fi);
			if (net_is_arp_reply_from(&fi, c->opt.target)) {
				c->arp_replies++;
				if (!c->got_reply)
					memcpy(c->reply_mac, fi.arp_sha, 6);
				c->got_reply = true;
			}
			if (c->on_frame)
				c->on_frame(c, &fi);
		}
		ret = post_rx(c, slot);
		if (ret)
			return ret;
		reposted++;
	}
	if (ret < 0)
		return ret;
	if (reposted) {
		ret = split_vq_kick(&c->rx);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int handle_tx(struct client *c)
{
	void *cookie;
	uint32_t len;
	int ret;

	while ((ret = split_vq_get_used(&c->tx, &cookie, &len)) > 0) {
		c->tx_done++;
		if (c->tx_done <= MAX_PRINTED || c->opt.verbose)
			say("TX: used entry %u (buffer at iova 0x%llx, len %u)",
			    c->tx_done,
			    (unsigned long long)dma_iova(&c->mem, cookie), len);
		else if (c->tx_done == MAX_PRINTED + 1)
			say("TX: further used entries not printed (use --verbose)");
	}
	return ret;
}

static void mac_addr_set(struct cvq_cmd *cmd, const uint8_t mac[6],
			 uint32_t len)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->class = VIRTIO_NET_CTRL_MAC;
	cmd->cmd = VIRTIO_NET_CTRL_MAC_ADDR_SET;
	memcpy(cmd->data, mac, 6);
	cmd->data_len = len;
}

/*
 * Post `n` commands, kick once, wait for every used entry and check that
 * each command was acked `want`. 0, CVQ_FAILED or a negative errno.
 */
static int cvq_batch(struct client *c, struct cvq_cmd *cmds, unsigned int n,
		     uint8_t want, const char *what)
{
	char name[32], ack[32], exp[32];
	unsigned int i, bad = 0;
	int ret;

	for (i = 0; i < n; i++) {
		ret = cvq_post(&c->cvq, &cmds[i]);
		if (ret) {
			fail("CVQ %s: posting command %u: %s\n", what, i + 1,
			     strerror(-ret));
			return ret;
		}
	}
	ret = cvq_kick(&c->cvq);
	if (ret < 0)
		return ret;
	say("CVQ %s: %u command%s posted in asid %u, %s", what, n,
	    n == 1 ? "" : "s", CVQ_ASID,
	    ret ? "one kick" : "kick suppressed (VRING_USED_F_NO_NOTIFY)");

	ret = cvq_wait(&c->cvq, CVQ_TIMEOUT);
	if (ret == -ETIMEDOUT) {
		fail("CVQ %s: %u of %u command(s) got no used entry within %.1f s (used idx %u, used flags 0x%x, kicks %lu, calls %lu)\n",
		     what, cvq_in_flight(&c->cvq), n, CVQ_TIMEOUT,
		     split_vq_used_idx(&c->cvq.vq),
		     split_vq_used_flags(&c->cvq.vq), c->cvq.vq.kicks,
		     c->cvq.vq.calls);
		return CVQ_FAILED;
	}
	if (ret)
		return ret;

	cvq_ack_name(want, exp, sizeof(exp));
	for (i = 0; i < n; i++) {
		struct cvq_cmd *cmd = &cmds[i];

		say("CVQ %s: command %u/%u (%s, %u data bytes): used entry #%u, len %u%s, ack %s",
		    what, i + 1, n,
		    cvq_cmd_name(cmd->class, cmd->cmd, name, sizeof(name)),
		    cmd->data_len, cmd->order, cmd->used_len,
		    cmd->used_len == 1 ? "" : " (expected 1: the ack byte)",
		    cvq_ack_name(cmd->ack, ack, sizeof(ack)));
		if (cmd->ack != want) {
			fail("CVQ %s: command %u acked %s, expected %s\n",
			     what, i + 1, ack, exp);
			bad++;
		}
	}
	return bad ? CVQ_FAILED : 0;
}

/*
 * The CVQ checks, after DRIVER_OK: one MAC_ADDR_SET; two malformed
 * commands, one at a time; two identical MAC_ADDR_SET in flight together.
 */
static int run_cvq(struct client *c)
{
	struct cvq_cmd cmds[2];
	char mac[18];
	int ret;

	net_mac_str(c->mac, mac, sizeof(mac));

	mac_addr_set(&cmds[0], c->mac, 6);
	ret = cvq_batch(c, cmds, 1, VIRTIO_NET_OK, "MAC_ADDR_SET");
	if (ret)
		return ret;
	say("CVQ MAC_ADDR_SET acked OK (mac %s, vq %u, group %u, asid %u)",
	    mac, c->cvq_index, c->cvq_group, CVQ_ASID);

	memset(&cmds[0], 0, sizeof(cmds[0]));
	cmds[0].class = 9;	/* no such class in virtio 1.3 */
	cmds[0].cmd = 0;
	cmds[0].data_len = 1;
	ret = cvq_batch(c, cmds, 1, VIRTIO_NET_ERR, "unknown class 9");
	if (ret)
		return ret;
	mac_addr_set(&cmds[0], c->mac, 5);
	ret = cvq_batch(c, cmds, 1, VIRTIO_NET_ERR, "short MAC_ADDR_SET");
	if (ret)
		return ret;
	say("CVQ malformed commands acked VIRTIO_NET_ERR (class 9; MAC_ADDR_SET with 5 bytes)");

	mac_addr_set(&cmds[0], c->mac, 6);
	mac_addr_set(&cmds[1], c->mac, 6);
	ret = cvq_batch(c, cmds, 2, VIRTIO_NET_OK, "2 x MAC_ADDR_SET");
	if (ret)
		return ret;
	say("CVQ two identical MAC_ADDR_SET in flight: used entries #%u and #%u, both acked OK",
	    cmds[0].order, cmds[1].order);
	say("CVQ: kicks %lu, calls %lu", c->cvq.vq.kicks, c->cvq.vq.calls);
	return 0;
}

static void report_timeout(struct client *c)
{
	char ip[INET_ADDRSTRLEN], buf[96];
	uint8_t status = 0;
	unsigned int i;

	fprintf(stderr, "no ARP reply from %s within %.1f s\n",
		net_ip_str(c->opt.target, ip, sizeof(ip)), c->opt.timeout);
	fprintf(stderr,
		"  TX: sent %u, completed %u (used idx %u, used flags 0x%x, kicks %lu, calls %lu)\n",
		c->tx_sent, c->tx_done, split_vq_used_idx(&c->tx),
		split_vq_used_flags(&c->tx), c->tx.kicks, c->tx.calls);
	fprintf(stderr,
		"  RX: %u frames, %u malformed (used idx %u, used flags 0x%x, kicks %lu, calls %lu)\n",
		c->rx_frames, c->rx_bad, split_vq_used_idx(&c->rx),
		split_vq_used_flags(&c->rx), c->rx.kicks, c->rx.calls);
	for (i = 0; i < c->nseen; i++)
		fprintf(stderr, "  RX frame %u: %zu bytes, ethertype 0x%04x (%s)%s\n",
			i + 1, c->seen[i].len, c->seen[i].ethertype,
			net_ethertype_name(c->seen[i].ethertype),
			!c->seen[i].arp ? "" : c->seen[i].arp_op == 2 ?
			" ARP is-at" : " ARP who-has");
	if (!vdpa_get_status(&c->dev, &status))
		fprintf(stderr, "  device status 0x%02x (%s)\n", status,
			vdpa_status_str(status, buf, sizeof(buf)));
}

/* Returns 0 on a reply, EXIT_NO_REPLY on timeout, negative errno on error. */
int run(struct client *c)
{
	double interval = c->opt.timeout / (c->opt.retries + 1);
	double start = now_sec();
	double deadline = start + c->opt.timeout;
	double next_send = start;
	char ip[INET_ADDRSTRLEN], mac[18];
	struct pollfd pfd[2];
	int ret;

	ret = fill_rx(c);
	if (ret)
		return ret;

	pfd[0].fd = c->rx.call_fd;
	pfd[1].fd = c->tx.call_fd;
	pfd[0].events = POLLIN;
	pfd[1].events = POLLIN;

	for (;;) {
		double now = now_sec();
		double wait;

		if (c->got_reply && c->tx_done)
			break;
		if (now >= deadline) {
			report_timeout(c);
			return EXIT_NO_REPLY;
		}
		if (!c->got_reply && now >= next_send &&
		    c->tx_sent <= c->opt.retries) {
			ret = send_arp(c);
			if (ret)
				return ret;
			next_send = now + interval;
		}

		/*
		 * Sleep until a call or 20 ms, whichever first; the used rings
		 * are looked at either way, as notifications may be
		 * suppressed or coalesced.
		 */
		wait = deadline - now;
		if (wait > 0.02)
			wait = 0.02;
		if (poll(pfd, 2, (int)(wait * 1000) + 1) < 0 && errno != EINTR) {
			ret = -errno;
			fail("poll: %s\n", strerror(-ret));
			return ret;
		}
		split_vq_ack_call(&c->rx);
		split_vq_ack_call(&c->tx);

		ret = handle_tx(c);
		if (ret)
			return ret;
		ret = handle_rx(c);
		if (ret)
			return ret;
	}

	say("calls: RX %lu, TX %lu; kicks: RX %lu, TX %lu",
	    c->rx.calls, c->tx.calls, c->rx.kicks, c->tx.kicks);
	say("ARP reply from %s is at %s",
	    net_ip_str(c->opt.target, ip, sizeof(ip)),
	    net_mac_str(c->reply_mac, mac, sizeof(mac)));
	return 0;
}

/*
 * --reset-base: MORE_ARP more requests after the reply, each completed
 * (TX used index past 1) and RX frames received, so no base below could
 * pass for the initial one.
 */
static int more_traffic(struct client *c)
{
	unsigned int sent = c->tx_sent, rx = c->rx_frames, i;
	double deadline;
	struct pollfd pfd[2];
	int ret;

	for (i = 0; i < MORE_ARP; i++) {
		ret = send_arp(c);
		if (ret)
			return ret;
	}
	pfd[0].fd = c->rx.call_fd;
	pfd[1].fd = c->tx.call_fd;
	pfd[0].events = POLLIN;
	pfd[1].events = POLLIN;
	deadline = now_sec() + MORE_TIMEOUT;
	while (c->tx_done < c->tx_sent || c->rx_frames < rx + MORE_ARP) {
		if (now_sec() >= deadline)
			break;
		if (poll(pfd, 2, 20) < 0 && errno != EINTR) {
			ret = -errno;
			fail("poll: %s\n", strerror(-ret));
			return ret;
		}
		split_vq_ack_call(&c->rx);
		split_vq_ack_call(&c->tx);
		ret = handle_tx(c);
		if (ret)
			return ret;
		ret = handle_rx(c);
		if (ret)
			return ret;
	}
	say("reset-base: %u more ARP requests: TX sent %u, completed %u; RX frames %u (%u new)",
	    c->tx_sent - sent, c->tx_sent, c->tx_done, c->rx_frames,
	    c->rx_frames - rx);
	if (c->tx_done < c->tx_sent) {
		fail("reset-base: %u TX buffers not completed within %.1f s\n",
		     c->tx_sent - c->tx_done, MORE_TIMEOUT);
		return EXIT_BASE;
	}
	return 0;
}

/*
 * One ring after the reset: its base must be the used index the device
 * left in the ring (the buffers it took and never used are offered again).
 * 1 when they differ, 0 when equal, negative errno.
 */
static int check_base(struct client *c, const struct split_vq *vq,
		      const char *name)
{
	uint16_t used = split_vq_used_idx(vq);
	uint32_t base;
	int ret;

	ret = vdpa_get_vring_base(&c->dev, vq->index, &base);
	if (ret)
		return ret;
	say("reset-base: vq %u %s: VHOST_GET_VRING_BASE %u, used idx %u (avail idx %u, consumed %u): %s",
	    vq->index, name, base, used, vq->avail_idx, vq->last_used,
	    base == used ? "equal" : "DIFFERENT");
	if (base != used) {
		fail("reset-base: vq %u %s: base %u is not the used index %u\n",
		     vq->index, name, base, used);
		return 1;
	}
	return 0;
}

/*
 * QEMU stops a device without SUSPEND by resetting it, then reads each
 * ring's base: after more traffic, reset the running device, then compare
 * each base with the used index in the ring (read after the reset, when
 * the device no longer writes). Then a base set before the next DRIVER_OK
 * reads back as set. 0, EXIT_BASE or a negative errno.
 */
static int check_reset_base(struct client *c)
{
	uint8_t status;
	uint32_t base;
	unsigned int bad = 0;
	int ret;

	ret = more_traffic(c);
	if (ret)
		return ret;
	ret = vdpa_set_status(&c->dev, 0);
	if (!ret)
		ret = vdpa_get_status(&c->dev, &status);
	if (ret)
		return ret;
	say("reset-base: VHOST_VDPA_SET_STATUS 0 on the running device: status now 0x%02x",
	    status);
	if (status) {
		fail("reset-base: status 0x%02x after reset, expected 0\n",
		     status);
		return -EIO;
	}
	if (split_vq_used_idx(&c->tx) < 2 || !split_vq_used_idx(&c->rx)) {
		fail("reset-base: too little traffic to tell a base from the initial one (TX used idx %u, RX used idx %u)\n",
		     split_vq_used_idx(&c->tx), split_vq_used_idx(&c->rx));
		bad++;
	}
	ret = check_base(c, &c->rx, "RX");
	if (ret < 0)
		return ret;
	bad += ret;
	ret = check_base(c, &c->tx, "TX");
	if (ret < 0)
		return ret;
	bad += ret;
	if (c->opt.cvq) {
		ret = check_base(c, &c->cvq.vq, "CVQ");
		if (ret < 0)
			return ret;
		bad += ret;
	}
	if (bad)
		return EXIT_BASE;
	say("reset-base: every ring base equals its used index");

	/* What the client sets before DRIVER_OK wins over what was saved. */
	ret = vdpa_set_vring_base(&c->dev, TX_VQ, 0);
	if (!ret)
		ret = vdpa_get_vring_base(&c->dev, TX_VQ, &base);
	if (ret)
		return ret;
	say("reset-base: vq %u TX: VHOST_SET_VRING_BASE 0, VHOST_GET_VRING_BASE %u",
	    TX_VQ, base);
	if (base) {
		fail("reset-base: vq %u: base %u after VHOST_SET_VRING_BASE 0\n",
		     TX_VQ, base);
		return EXIT_BASE;
	}
	return 0;
}

/*
 * Wait up to `timeout_ms` for a call on RX or TX, then take what the used
 * rings hold (notifications may be suppressed: they are read either way).
 */
int poll_calls(struct client *c, int timeout_ms)
{
	struct pollfd pfd[2] = {
		{ .fd = c->rx.call_fd, .events = POLLIN },
		{ .fd = c->tx.call_fd, .events = POLLIN },
	};
	int ret;

	if (poll(pfd, 2, timeout_ms) < 0 && errno != EINTR) {
		ret = -errno;
		fail("poll: %s\n", strerror(-ret));
		return ret;
	}
	split_vq_ack_call(&c->rx);
	split_vq_ack_call(&c->tx);
	ret = handle_tx(c);
	if (ret)
		return ret;
	return handle_rx(c);
}

/* One MAC_ADDR_SET on the CVQ, which must be acked VIRTIO_NET_OK. */
int run_cvq_mac(struct client *c, const uint8_t mac[6])
{
	struct cvq_cmd cmd;

	mac_addr_set(&cmd, mac, 6);
	return cvq_batch(c, &cmd, 1, VIRTIO_NET_OK, "MAC_ADDR_SET");
}

/*
 * --hold: keep the device running (buffers taken and given back) so that
 * sysfs and "vdpa dev vstats" can be read from outside meanwhile.
 */
int hold_running(struct client *c, double secs)
{
	double end = now_sec() + secs;
	int ret;

	if (secs <= 0)
		return 0;
	say("holding the device running for %.1f s", secs);
	while (now_sec() < end) {
		ret = poll_calls(c, 50);
		if (ret)
			return ret;
	}
	say("hold over: RX frames %u, TX completed %u", c->rx_frames,
	    c->tx_done);
	return 0;
}

void client_init(struct client *c, const struct options *opt,
		 const char *path, const char *label)
{
	memset(c, 0, sizeof(*c));
	c->opt = *opt;
	c->opt.path = path;
	c->label = label;
	c->dev.fd = -1;
	c->rx.kick_fd = -1;
	c->rx.call_fd = -1;
	c->tx.kick_fd = -1;
	c->tx.call_fd = -1;
	c->cvq.vq.kick_fd = -1;
	c->cvq.vq.call_fd = -1;
}

/* Reset, check, unmap, free. Returns 0 or the first error. */
int teardown(struct client *c)
{
	char buf[96];
	uint8_t status;
	int err = 0;
	int ret;

	if (c->opened && c->status_touched) {
		ret = vdpa_set_status(&c->dev, 0);
		if (!ret)
			ret = vdpa_get_status(&c->dev, &status);
		if (!ret) {
			say("VHOST_VDPA_SET_STATUS 0 (reset): status now 0x%02x (%s)",
			    status, vdpa_status_str(status, buf, sizeof(buf)));
			if (status) {
				fail("device status 0x%02x after reset, expected 0\n",
				     status);
				ret = -EIO;
			}
		}
		if (ret && !err)
			err = ret;
	}

	if (c->opened && c->mem.mapped) {
		ret = dma_region_unmap(&c->dev, &c->mem);
		if (!ret)
			say("VHOST_IOTLB_INVALIDATE: asid %u iova 0x%llx-0x%llx",
			    c->mem.asid, (unsigned long long)c->mem.iova,
			    (unsigned long long)(c->mem.iova + c->mem.size - 1));
		else if (!err)
			err = ret;
	}

	if (c->opened && c->cvq_mem.mapped) {
		ret = dma_region_unmap(&c->dev, &c->cvq_mem);
		if (!ret)
			say("VHOST_IOTLB_INVALIDATE: asid %u iova 0x%llx-0x%llx",
			    c->cvq_mem.asid,
			    (unsigned long long)c->cvq_mem.iova,
			    (unsigned long long)(c->cvq_mem.iova +
						 c->cvq_mem.size - 1));
		else if (!err)
			err = ret;
	}

	split_vq_fini(&c->rx);
	split_vq_fini(&c->tx);
	cvq_fini(&c->cvq);
	if (!c->borrowed_mem)
		dma_region_destroy(&c->mem);
	dma_region_destroy(&c->cvq_mem);
	if (c->opened)
		vdpa_close(&c->dev);
	c->opened = false;
	return err;
}

static const char *result_name(int result, const struct options *o)
{
	switch (result) {
	case 0:
		return o->hostile ? "defence held" :
		       o->migrate ? "migration ok" :
		       o->cvq ? "cvq ok, data path ok" : "data path ok";
	case EXIT_NO_REPLY:
		return "no reply";
	case EXIT_CVQ:
		return "CVQ check failed";
	case EXIT_BASE:
		return "ring base check failed";
	case EXIT_STATE:
		return "suspend/resume/restore check failed";
	case EXIT_MIGRATE:
		return "frames lost or duplicated";
	case EXIT_HOSTILE:
		return "defence did not hold";
	default:
		return "error";
	}
}

int main(int argc, char **argv)
{
	struct options opt;
	struct client c, d;
	int result, ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	now_sec();

	if (parse_options(argc, argv, &opt))
		return EXIT_ERROR;
	client_init(&c, &opt, opt.path, opt.migrate ? "A: " : "");
	client_init(&d, &opt, opt.dst_path, "B: ");

	if (opt.hostile) {
		ret = run_hostile(&c);
	} else if (opt.migrate) {
		ret = run_migrate(&c, &d);
	} else {
		if (opt.suspend_test)
			c.rx_held = 8;	/* posted while suspended */
		ret = probe(&c);
		if (!ret && c.opt.cvq)
			ret = probe_isolation(&c);
		if (!ret)
			ret = negotiate(&c);
		if (!ret)
			ret = setup_queues(&c);
		if (!ret && c.opt.cvq)
			ret = run_cvq(&c);
		if (!ret)
			ret = run(&c);
		if (!ret && c.opt.restore)
			ret = check_restore(&c);
		if (!ret && c.opt.reset_base)
			ret = check_reset_base(&c);
		if (!ret && c.opt.suspend_test)
			ret = check_suspend(&c);
		if (!ret)
			ret = hold_running(&c, c.opt.hold);
	}

	if (ret < 0)
		result = EXIT_ERROR;
	else
		result = ret;

	if (opt.migrate) {
		log_prefix(d.label);
		ret = teardown(&d);
		if (ret && result != EXIT_ERROR)
			result = EXIT_ERROR;
		log_prefix(c.label);
	}
	ret = teardown(&c);
	if (ret && result != EXIT_ERROR)
		result = EXIT_ERROR;

	log_prefix("");
	say("exit %d (%s%s%s%s)", result, result_name(result, &opt),
	    result == 0 && opt.reset_base ? ", ring bases ok" : "",
	    result == 0 && opt.restore ? ", restored bases ok" : "",
	    result == 0 && opt.suspend_test ? ", suspend/resume ok" : "");
	return result;
}
