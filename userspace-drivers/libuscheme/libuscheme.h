/* SPDX-License-Identifier: MIT */
/*
 * libuscheme: the userspace side of uscheme rings.
 *
 * Read top to bottom:
 *
 *   struct us_ring ring;
 *   int err = us_ring_init(&ring, 64, 0, 0);	// open /dev/uscheme, set up, mmap
 *   struct uscheme_sqe *sqe = us_get_sqe(&ring);	// NULL when the SQ is full
 *   us_prep_nop(sqe, 42);				// fill it (user_data 42)
 *   err = us_submit_and_wait(&ring, 1);		// submit, wait for one CQE
 *   struct uscheme_cqe *cqe = us_peek_cqe(&ring);	// NULL when the CQ is empty
 *   ... cqe->user_data, cqe->res ...
 *   us_cqe_seen(&ring);				// give the slot back
 *   us_ring_exit(&ring);
 *
 * Scheme ops go the same way: us_prep_open(sqe, "ram:/notes", O_RDONLY, 1)
 * completes with the new handle fd in cqe->res, then us_prep_read(sqe, fd,
 * buf, len, off, 2) and so on. Simple tools skip the ring: us_open() gives
 * a handle fd that plain read(2), write(2), fstat(2), close(2) work on.
 * Serving a scheme (a daemon) is daemon.h.
 *
 * Every function returns 0 (or a count, or an fd) or a negative errno; none
 * sets errno for you to read. The SQ side (us_get_sqe .. us_submit) and the CQ side (us_peek_cqe,
 * us_cqe_seen) are each single-threaded: two threads may share a ring if
 * each side is used by one thread at a time (or under the caller's lock).
 *
 * Ordering: entries are written before the tail that publishes them
 * (release store); the other side's tail is read with an acquire load before
 * the entries it covers.
 */
#ifndef LIBUSCHEME_H
#define LIBUSCHEME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../uapi/uscheme.h"

struct us_ring {
	int fd;
	struct uscheme_ring_hdr *hdr;
	struct uscheme_sqe *sqes;
	void *cqes;
	uint32_t sq_entries, cq_entries, cqe_size;
	uint32_t sq_tail;	/* local: SQEs handed out by us_get_sqe */
	uint32_t sq_flushed;	/* local: SQEs published to the kernel */
	size_t ring_size, sqes_size, cqes_size;
	uint64_t features;
	bool scheme;		/* USCHEME_SETUP_SCHEME: the kernel produces the SQ */
	void *data;		/* scheme rings: the data area (NULL if none) */
	size_t data_size;	/* its length, as the kernel returned it */
};

/* Open /dev/uscheme and set up a ring. cq_entries 0 means 2 * sq_entries. */
int us_ring_init(struct us_ring *ring, unsigned int sq_entries,
		 unsigned int cq_entries, unsigned int flags);
/* Set up and map a ring on an already open /dev/uscheme descriptor. */
int us_ring_init_fd(struct us_ring *ring, int fd, unsigned int sq_entries,
		    unsigned int cq_entries, unsigned int flags);
/*
 * Either of the above with a data area size. fd: an open /dev/uscheme (left
 * open on failure), or -1 to open one here. On a scheme ring, data_size is
 * the area's size (a multiple of 4096 in USCHEME_DATA_MIN..USCHEME_DATA_MAX,
 * or 0 for USCHEME_DATA_DEFAULT); the area the kernel returns is mapped
 * read-write at ring->data (ring->data_size bytes). Client rings: 0.
 * us_ring_init and us_ring_init_fd pass 0.
 */
int us_ring_init_data(struct us_ring *ring, int fd, unsigned int sq_entries,
		      unsigned int cq_entries, unsigned int flags,
		      size_t data_size);
/*
 * A daemon's scheme ring in one call: open /dev/uscheme, set up a scheme
 * ring (USCHEME_SETUP_SCHEME, CQ twice the SQ), map it and its data area,
 * and register name (needs CAP_SYS_ADMIN). Returns 0 or -errno; nothing is
 * left open on failure. The daemon framework (daemon.h) builds on this.
 */
int us_scheme_init(struct us_ring *ring, const char *name,
		   unsigned int sq_entries, size_t data_size);
/* Unmap (the data area too) and close. */
void us_ring_exit(struct us_ring *ring);

/*
 * Inherited scheme rings: a privileged parent sets up and registers a
 * scheme ring (us_scheme_init: both need CAP_SYS_ADMIN), and an
 * unprivileged child it execs serves it. The ring crosses exec as an open
 * fd; its layout crosses in one environment variable, USCHEME_SCHEME:
 *
 *   fd=4,name=usb.0000-00-04.0,sq=256,cq=512,cqe=16,ring=4096,sqes=16384,cqes=8192,data=16777216
 *
 * (comma-separated KEY=VALUE, every key exactly once, in any order, no
 * blanks; numbers in decimal without sign or leading zeros; the four sizes
 * are the mmap lengths in bytes). pcid does this for the drivers of rules
 * with scheme= (fd 4). In the parent:
 *
 *   us_scheme_init(&ring, "usb.0000-00-04.0", 256, 16 << 20);
 *   us_ring_describe(&ring, 4, "usb.0000-00-04.0", desc, sizeof(desc));
 *   fork(); child: dup2(ring.fd, 4), fd 4 without FD_CLOEXEC,
 *     USCHEME_SCHEME=desc in the environment, exec;
 *   parent: us_ring_exit(&ring)	// else the name outlives the child
 *
 * In the child, us_daemon_init_inherited (daemon.h) does it all, or:
 *
 *   us_ring_attach(&ring, getenv(USCHEME_SCHEME), name, sizeof(name));
 *
 * The kernel checks no privilege to map or enter a ring: whoever holds the
 * fd serves the scheme. The name stays registered while any process holds
 * the ring's fd (or a mapping of it), so the parent must close its copy.
 */
#define USCHEME_SCHEME		"USCHEME_SCHEME"
/* Room for any description, with its NUL. */
#define US_RING_DESC_MAX	256

/* A parsed description (us_ring_desc_parse). */
struct us_ring_desc {
	int fd;
	char name[USCHEME_NAME_MAX];
	uint32_t sq_entries, cq_entries, cqe_size;
	size_t ring_size, sqes_size, cqes_size, data_size;
};

/*
 * Describe ring (a set-up scheme ring with a data area, as us_scheme_init
 * leaves it) for a child that will find it at fd child_fd, serving name.
 * Writes the NUL-terminated description to buf (len bytes; US_RING_DESC_MAX
 * is enough). Returns its length, or -EINVAL (not a scheme ring, child_fd
 * < 0, a bad name) or -ENOSPC (buf too small).
 */
int us_ring_describe(const struct us_ring *ring, int child_fd, const char *name,
		     char *buf, size_t len);
/*
 * Parse and check a description without touching any fd: every key present
 * once, nothing else; fd >= 0; name 1..USCHEME_NAME_MAX-1 characters from
 * [a-z0-9._-]; sq a power of two <= USCHEME_MAX_SQ_ENTRIES; cq a power of
 * two in sq..USCHEME_MAX_CQ_ENTRIES; cqe 16 or 32; ring, sqes and cqes the
 * page-rounded sizes those imply; data a multiple of the page size in
 * USCHEME_DATA_MIN..USCHEME_DATA_MAX. 0 or -EINVAL (also for NULL and for
 * more than US_RING_DESC_MAX - 1 characters).
 */
int us_ring_desc_parse(const char *desc, struct us_ring_desc *out);
/*
 * Serve an inherited scheme ring: parse desc (us_ring_desc_parse), check
 * that its fd is a set-up uscheme scheme ring of that layout, and map it
 * (header, request and answer arrays, data area) into ring, which then
 * owns the fd (us_ring_exit closes it). The fd gets FD_CLOEXEC, so that
 * the server's own children do not inherit (and keep alive) its scheme.
 * name (may be NULL): receives the scheme name (namelen bytes). Needs no
 * privilege. Returns 0, or -errno with nothing mapped and the fd left as
 * it was: -EINVAL (a malformed description, or the fd is no scheme ring
 * of that layout: a client ring, other sizes), -EBADF (the fd is not
 * open), -ENOTTY (not a uscheme fd), -EBADFD (a ring never set up),
 * -ENAMETOOLONG (namelen too small), -ENOMEM.
 */
int us_ring_attach(struct us_ring *ring, const char *desc, char *name, size_t namelen);

/*
 * A free SQE, zeroed, or NULL when the SQ is full (submit, then retry), or
 * always on a scheme ring, whose SQ the kernel writes.
 */
struct uscheme_sqe *us_get_sqe(struct us_ring *ring);
/* SQEs obtained but not yet consumed by the kernel. */
unsigned int us_sq_pending(const struct us_ring *ring);
void us_prep_nop(struct uscheme_sqe *sqe, uint64_t user_data);

/*
 * Routed ops (USCHEME_FEAT_SCHEME), one helper per op of uapi/uscheme.h:
 * each fills the whole SQE (other fields zero) and takes user_data last.
 * "fd" is a handle fd (an OPEN result); buffers must stay valid until the
 * op's CQE arrives. off for read/write: a file offset, or
 * USCHEME_OFF_CURRENT for the file position.
 */
/* path "scheme:path", NUL-terminated; flags O_*. res = the new fd. */
void us_prep_open(struct uscheme_sqe *sqe, const char *path, int flags,
		  uint64_t user_data);
void us_prep_read(struct uscheme_sqe *sqe, int fd, void *buf, uint32_t len,
		  uint64_t off, uint64_t user_data);
void us_prep_write(struct uscheme_sqe *sqe, int fd, const void *buf,
		   uint32_t len, uint64_t off, uint64_t user_data);
void us_prep_fstat(struct uscheme_sqe *sqe, int fd, struct uscheme_stat *st,
		   uint64_t user_data);
void us_prep_fsync(struct uscheme_sqe *sqe, int fd, uint64_t user_data);
void us_prep_ftruncate(struct uscheme_sqe *sqe, int fd, uint64_t length,
		       uint64_t user_data);
/* suffix may be NULL or "" (same resource, a new handle); flags 0 or O_CLOEXEC. */
void us_prep_dup(struct uscheme_sqe *sqe, int fd, const char *suffix, int flags,
		 uint64_t user_data);
/* res = bytes of output written to out. */
void us_prep_call(struct uscheme_sqe *sqe, int fd, const void *in,
		  uint32_t in_len, void *out, uint32_t out_len,
		  uint32_t op_flags, uint64_t user_data);
void us_prep_close(struct uscheme_sqe *sqe, int fd, uint64_t user_data);
/* Cancel the routed op of this ring whose user_data is target. */
void us_prep_cancel(struct uscheme_sqe *sqe, uint64_t target,
		    uint64_t user_data);

/*
 * Events (USCHEME_FEAT_FILES_UPDATE; uapi/uscheme.h, "Events"): add, change
 * or remove interest in n fds (1..USCHEME_FU_MAX). The kernel writes each
 * entry's res back (0 or -errno), so entries must stay valid until this
 * SQE's CQE arrives; its res is the number of entries that succeeded.
 * Readiness then comes as CQEs with USCHEME_CQE_F_EVENT set (user_data =
 * the entry's user_data, res = USCHEME_EV_* mask, USCHEME_CQE_F_MORE while
 * the registration stays armed; a final one with res -EBADF when the
 * watched fd was closed). Tell them from this op's own CQE by that flag.
 */
void us_prep_files_update(struct uscheme_sqe *sqe,
			  struct uscheme_fu_entry *entries, unsigned int n,
			  uint64_t user_data);
/* Fill one entry: flags USCHEME_FU_ADD/MOD/DEL (| USCHEME_FU_ONESHOT). */
void us_fu_entry(struct uscheme_fu_entry *e, int fd, uint32_t events,
		 uint32_t flags, uint64_t user_data);

/*
 * The enter call, as the kernel sees it: submit up to to_submit published
 * SQEs; with USCHEME_ENTER_GETEVENTS, wait for min_complete CQEs (with
 * USCHEME_ENTER_TIMEOUT, at most timeout_ns). *submitted (may be NULL)
 * receives the count also when the call fails.
 */
int us_enter(struct us_ring *ring, unsigned int to_submit,
	     unsigned int min_complete, unsigned int flags, int64_t timeout_ns,
	     unsigned int *submitted);
/* Publish every SQE obtained so far and submit them; returns the count or -errno. */
int us_submit(struct us_ring *ring);
/* us_submit, then wait for at least wait_nr CQEs. Returns submitted or -errno. */
int us_submit_and_wait(struct us_ring *ring, unsigned int wait_nr);
/* Wait up to timeout_ns (negative: forever) for one CQE; 0, -ETIME, -EINTR. */
int us_wait_cqe(struct us_ring *ring, struct uscheme_cqe **cqe, int64_t timeout_ns);

/* The oldest unconsumed CQE, or NULL. */
struct uscheme_cqe *us_peek_cqe(struct us_ring *ring);
/* CQEs ready to consume. */
unsigned int us_cq_ready(const struct us_ring *ring);
/* Consume n CQEs (release: the slots may be reused by the kernel). */
void us_cq_advance(struct us_ring *ring, unsigned int n);
static inline void us_cqe_seen(struct us_ring *ring)
{
	us_cq_advance(ring, 1);
}

int us_ring_stats(struct us_ring *ring, struct uscheme_stats *st);
/*
 * Scheme rings (us_ring_init with USCHEME_SETUP_SCHEME): the kernel produces
 * requests (struct uscheme_req) in ring->sqes, the daemon answers in
 * ring->cqes. Name the scheme served (needs CAP_SYS_ADMIN):
 */
int us_register(struct us_ring *ring, const char *name);
/* Module features without a ring (opens and closes /dev/uscheme). */
int us_features(uint64_t *features);

/*
 * Blocking calls for simple tools, without a ring. Each returns its result
 * (>= 0) or -errno, and leaves errno alone. A handle fd also takes plain
 * read(2), write(2), pread(2), lseek(2), fstat(2), fsync(2), ftruncate(2),
 * poll(2) and close(2).
 *
 * us_open: open "scheme:path" (flags O_*: O_ACCMODE, O_CREAT, O_EXCL,
 * O_TRUNC, O_APPEND, O_DIRECTORY, O_NONBLOCK, O_CLOEXEC). Returns the
 * handle fd. -ENOENT means either "no such scheme" or the daemon's "no such
 * path": us_scheme_exists tells them apart.
 */
int us_open(const char *path, int flags);
/* A new handle from fd and a suffix (NULL or "" for the same resource). */
int us_dup(int fd, const char *suffix, int flags);
/* A scheme-specific control message. Returns the bytes of output. */
int us_call(int fd, const void *in, size_t in_len, void *out, size_t out_len,
	    uint32_t op_flags);
/* Read fd to its end into a malloc'd, NUL-terminated buffer; 0 or -errno. */
int us_read_all(int fd, char **out, size_t *len);
/* The same, at most max bytes (a daemon may stream without end): -EFBIG beyond. */
int us_read_all_max(int fd, size_t max, char **out, size_t *len);
/* Is a scheme of this name served now (per sys:schemes)? 1, 0 or -errno. */
int us_scheme_exists(const char *name);

#endif /* LIBUSCHEME_H */
