/* SPDX-License-Identifier: MIT */
/*
 * blkbridge: a disk scheme (disk.*:N, the disk-scheme contract) as a Linux
 * block device. main.c owns the disk handle, the client ring and its
 * reactor, the loop and the lifecycle; a frontend (nbd.c; ublk.c) talks to
 * the kernel's block driver and turns its requests into bb_io's.
 *
 * Single-threaded except where a frontend says otherwise: every function
 * here runs on the loop's thread.
 */
#ifndef BLKBRIDGE_H
#define BLKBRIDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../libuscheme/reactor.h"

struct bb;
struct bb_io;

enum bb_io_kind { BB_READ, BB_WRITE, BB_FSYNC };

/* res: bytes done (READ/WRITE; a short count is an error for the caller) or -errno. */
typedef void (*bb_io_done)(struct bb *b, struct bb_io *io, int res);

/* One request to the disk scheme, at most USCHEME_IO_MAX bytes. */
struct bb_io {
	struct us_op op;	/* the reactor's; op.ctx = this */
	struct bb *b;
	enum bb_io_kind kind;
	void *buf;
	uint32_t len;
	uint64_t off;
	bb_io_done done;
	void *owner;		/* the frontend's */
	uint32_t gen;		/* the disk handle it went to (bb.disk_gen) */
	struct bb_io *next;	/* the wait list, while no SQE is free */
};

/* A frontend: the kernel side. */
struct bb_frontend {
	const char *name;	/* "nbd", "ublk" */
	/* Is it usable on this kernel (module loaded, device node present)? 0 or -errno. */
	int (*probe)(struct bb *b);
	/*
	 * Create the block device; on success b->devname is set. 0 or -errno
	 * (said why). A frontend whose device comes up later, from the loop,
	 * sets b->ready_later and calls bb_ready() then.
	 */
	int (*start)(struct bb *b);
	/* SIGTERM: stop taking requests, let in-flight ones finish, remove the device. */
	void (*stop)(struct bb *b);
	/* After the loop ended: free everything (the device is gone). */
	void (*cleanup)(struct bb *b);
};

/* A watched fd's callback (events: USCHEME_EV_* > 0, or -errno when the watch ended). */
typedef void (*bb_watch_fn)(struct bb *b, int fd, int events, void *ctx);

struct bb {
	/* The disk. */
	const char *path;	/* "disk.ram:0" */
	int disk_fd;
	uint64_t size;
	uint32_t bs;
	bool ro;
	/* The ring. */
	struct us_ring ring;
	struct us_reactor rx;
	uint32_t max_inflight;	/* bb_io's submitted at once (<= the SQ) */
	uint32_t io_inflight;
	struct bb_io *wait_head, *wait_tail;
	/* The frontend. */
	const struct bb_frontend *fe;
	void *fe_priv;
	char devname[64];	/* "nbd0", "ublkb0" */
	int want_dev;		/* --device N, or -1 */
	unsigned int queue_depth;
	bool ready_later;
	int ready_fd;		/* --background: the parent waits for the name here */
	/* Lifecycle. */
	bool stopping;		/* SIGTERM seen: the frontend is winding down */
	bool done;		/* the device is gone: the loop ends */
	int exit_code;
	bool disk_dead;		/* a request failed with the disk's daemon gone */
	uint32_t disk_gen;	/* handles opened since the first */
	int verbose;
	uint64_t n_read, n_write, n_fsync, n_err;
};

extern const struct bb_frontend bb_nbd, bb_ublk;

/* Is the disk there? After its daemon died: tries to reopen it (once a second). */
bool bb_disk_ok(struct bb *b);
/* Submit io (kind, buf, len, off, done, owner filled in); done runs later, never inside. */
void bb_submit(struct bb *b, struct bb_io *io);
/* Watch fd on the ring (multishot FILES_UPDATE); 0 or -errno. */
int bb_watch(struct bb *b, int fd, uint32_t events, bb_watch_fn fn, void *ctx);
/* The device exists: register it, print its name (release a --background parent). */
void bb_ready(struct bb *b);
/* The loop ends (after in-flight bb_io's completed). */
void bb_finish(struct bb *b, int exit_code);
void bb_log(struct bb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* BLKBRIDGE_H */
