/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The client's state and the bring-up steps main.c implements, shared with
 * the ring-state checks (state.c: --suspend-test, --restore) and the
 * migration between two devices (migrate.c: --migrate).
 */
#ifndef VDPA_CLIENT_CLIENT_H
#define VDPA_CLIENT_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "cvq.h"
#include "mem.h"
#include "net.h"
#include "ring.h"
#include "vhost.h"

#define EXIT_NO_REPLY	1
#define EXIT_ERROR	2
#define EXIT_CVQ	3
#define EXIT_BASE	4	/* a ring base was not what it must be */
#define EXIT_STATE	5	/* suspend, resume or restore misbehaved */
#define EXIT_MIGRATE	6	/* frames lost or duplicated across a migration */
#define EXIT_HOSTILE	7	/* a --hostile case's defence did not hold */

#define RX_VQ		0
#define TX_VQ		1
#define DATA_ASID	0
#define CVQ_ASID	1

#define BUF_SLOT	2048	/* one packet buffer, header included */
#define RX_BUF_LEN	(NET_HDR_LEN + ETH_FRAME_MAX)	/* 1526 */
#define MAX_SEEN	8	/* RX frames remembered for the timeout report */
#define MAX_PRINTED	16	/* RX frames / TX completions printed */

struct options {
	const char *path;
	const char *dst_path;	/* --migrate: the destination device */
	uint8_t mac[6];
	bool have_mac;
	uint32_t ip;		/* network byte order */
	uint32_t target;	/* network byte order */
	double timeout;		/* seconds */
	unsigned int retries;
	unsigned int queue_size;
	uint64_t iova_base;
	bool have_iova_base;
	bool late_enable;
	bool verbose;
	bool cvq;
	uint64_t cvq_iova;
	bool have_cvq_iova;
	bool reset_base;
	bool suspend_test;
	bool restore;
	uint16_t restore_rx;	/* --restore: ring bases before DRIVER_OK */
	uint16_t restore_tx;
	bool migrate;
	unsigned int frames;	/* --migrate: echo requests per device */
	double hold;		/* --hold: seconds to keep running at the end */
	const char *hostile;	/* --hostile: the case to run */
};

struct client;
typedef void (*frame_hook)(struct client *c, const struct frame_info *fi);

struct client {
	struct options opt;
	const char *label;	/* "" or "A: " / "B: " in log lines */
	struct vdpa_dev dev;
	bool opened;
	bool status_touched;	/* reset needed before exit */
	bool borrowed_mem;	/* mem belongs to another client: no munmap */

	uint64_t backend_offered;
	uint64_t features_offered;
	uint64_t features;
	uint64_t features_extra;	/* negotiate() takes these too, if offered */
	uint32_t nvqs;
	uint32_t ngroups;
	uint32_t nas;
	uint16_t vq_max;
	uint64_t iova_first;
	uint64_t iova_last;
	struct net_config cfg;
	uint8_t mac[6];

	struct dma_region mem;
	size_t mem_extra;	/* bytes map_memory() adds for other users */
	unsigned int num;	/* data ring size */
	struct split_vq rx;
	struct split_vq tx;
	uint8_t *rx_bufs;	/* num slots of BUF_SLOT bytes */
	uint8_t *tx_bufs;
	unsigned int rx_held;	/* RX slots fill_rx() leaves unposted */

	unsigned int cvq_index;		/* vring index of the CVQ */
	uint32_t cvq_group;
	struct dma_region cvq_mem;	/* mapped in CVQ_ASID */
	struct ctrl_vq cvq;

	unsigned int tx_sent;
	unsigned int tx_done;
	unsigned int rx_frames;
	unsigned int rx_bad;
	unsigned int arp_replies;
	struct frame_info seen[MAX_SEEN];
	unsigned int nseen;
	bool got_reply;
	uint8_t reply_mac[6];

	frame_hook on_frame;	/* every well-formed RX frame, if set */
	void *priv;		/* for on_frame */
};

/* main.c */
int probe(struct client *c);
int negotiate(struct client *c);
int status_add(struct client *c, uint8_t bits, const char *what);
unsigned int ring_size(struct client *c);
int map_memory(struct client *c, unsigned int num);
int init_rings(struct client *c, unsigned int num);
int start_queues(struct client *c);
int setup_queues(struct client *c);
int post_rx(struct client *c, uint8_t *slot);
int fill_rx(struct client *c);
int send_arp(struct client *c);
int send_frame(struct client *c, const uint8_t *frame, size_t len);
int handle_rx(struct client *c);
int handle_tx(struct client *c);
int poll_calls(struct client *c, int timeout_ms);
int run(struct client *c);
int run_cvq_mac(struct client *c, const uint8_t mac[6]);
int hold_running(struct client *c, double secs);
int teardown(struct client *c);
void client_init(struct client *c, const struct options *opt,
		 const char *path, const char *label);

/* state.c */
int check_restore_setup(struct client *c);
int check_restore(struct client *c);
int check_suspend(struct client *c);

/* hostile.c */
bool hostile_case_known(const char *name);
const char *hostile_case_names(void);
int run_hostile(struct client *c);

/* migrate.c */
size_t migrate_extra_memory(void);
int run_migrate(struct client *a, struct client *b);

#endif /* VDPA_CLIENT_CLIENT_H */
