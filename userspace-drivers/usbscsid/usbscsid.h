/* SPDX-License-Identifier: MIT */
/*
 * usbscsid's state: one USB mass-storage (Bulk-Only, SCSI) interface,
 * served as disk.*: (diskscheme.h). bot.c is the transport (CBW, data,
 * CSW through xhcid's endpoints on the daemon's client ring, Reset
 * Recovery), main.c the SCSI layer, the scheme and the setup.
 */
#ifndef USBSCSID_H
#define USBSCSID_H

#include <stdbool.h>
#include <stdint.h>

#include "../bench/disktrace.h"
#include "../libuscheme/daemon.h"
#include "../libuscheme/reactor.h"
#include "scsi.h"

/* Attempts of one command through Reset Recovery before it fails -EIO. */
#define BOT_ATTEMPTS		3
/* Sense-driven retries (UNIT ATTENTION, ...) of one command. */
#define SCSI_RETRIES		5
/* Bytes of one command's data at most (xhcid's transfer limit). */
#define USBSCSID_MAX_IO		(1U << 20)

struct dev;
struct cmd;

enum { ST_CBW, ST_DATA, ST_CSW, ST_N };

/*
 * One Bulk-Only command. The caller fills lun, cdb, cdb_len, in, buf, len
 * and done, and submits with bot_submit(); done(cmd) runs once, with
 * err (< 0: the transport failed: -EIO, -ENODEV, ...) or err 0 and
 * status (CSW_GOOD / CSW_FAILED), residue and got (bytes of the data stage).
 */
struct cmd {
	struct us_op op[ST_N];		/* ctx = this cmd */
	uint64_t ud[ST_N];		/* user_data while in flight, else 0 */
	struct cmd *next;		/* the device's queue */
	struct dev *dev;
	uint8_t lun, cdb_len, cdb[16];
	bool in;
	void *buf;
	uint32_t len;
	void (*done)(struct cmd *c);
	void *ctx;
	/* results */
	int err;
	uint8_t status;
	uint32_t residue, got;
	/* transport state */
	uint32_t tag;
	int pending;			/* ops in flight */
	int fail;			/* first error seen in this attempt */
	int attempts;
	int csw_tries;
	bool queued, active;
	bool cbw_sent, data_over;
	uint8_t cbw[BOT_CBW_LEN + 1];
	uint8_t csw[BOT_CSW_LEN + 3];
	uint64_t t_start, t_csw;	/* --trace: attempt started, CSW READ submitted (ns) */
};

struct lun {
	bool present;			/* a direct-access disk with a usable medium */
	int err;			/* why not: -ENODEV, -ENOMEDIUM, -EIO */
	bool ro;
	uint32_t bs;
	uint64_t blocks, size;
	uint32_t max_io;		/* bytes per command */
	char vendor[9], product[17], rev[5];
};

struct dev {
	struct us_daemon *d;
	struct us_reactor *rx;
	int port_fd, in_fd, out_fd;
	uint8_t iface, in_addr, out_addr;
	bool usb3;
	unsigned int nluns;
	struct lun lun[BOT_MAX_LUN + 1];
	uint32_t next_tag;
	struct cmd *head, *tail;	/* queued, not started */
	struct cmd *cur;		/* on the wire (or in recovery) */
	bool dead;			/* the device or xhcid is gone */
	int dead_err;
	bool ready;			/* set up: opens are answered */
	/* Reset Recovery */
	struct us_op rec_op;
	int rec_step;
	struct {
		uint8_t b[16];
	} rec_req;
	uint8_t rec_stat[128];
	uint64_t recoveries, stalls, resets_failed;
	bool reset_asked, port_reset;	/* USB_CALL_PORT_RESET asked; and granted */
	unsigned int inject_stall_every;	/* tests: --inject-stall N */
	unsigned int inject_dir_every;	/* tests: --inject-dir N */
	uint64_t commands, injected, injected_dir;
	struct disktrace *trace;	/* --trace FILE (make bench-disk), else NULL */
};

extern const char *prog;
void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int bot_init(struct dev *dev);
void bot_submit(struct dev *dev, struct cmd *c, bool front);
/* Fail every queued command (not the one on the wire) with err. */
void bot_fail_queued(struct dev *dev, int err);
/* Take a queued (not started) command off the queue: true if it was queued. */
bool bot_unqueue(struct dev *dev, struct cmd *c);
/* The device is gone: called once (main.c). */
void dev_gone(struct dev *dev, int err);

#endif /* USBSCSID_H */
