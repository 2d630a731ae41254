/* SPDX-License-Identifier: MIT */
/*
 * libuscheme's daemon framework: serve a scheme with one handler per op.
 *
 * A daemon owns a scheme ring. The kernel turns each client request on the
 * scheme ("hello:x" opened, a handle read, ...) into a struct uscheme_req
 * on that ring; the framework takes them in order, calls your handler, and
 * answers by tag. Handles are numbered for you: OPEN and DUP handlers only
 * hand back a state pointer, and every later request on that handle brings
 * it back. The whole of a daemon that serves "hello:", where every path
 * reads as "hello\n":
 *
 *   #include <errno.h>
 *   #include <fcntl.h>
 *   #include <string.h>
 *   #include "libuscheme/daemon.h"
 *
 *   static int h_open(struct us_daemon *d, const struct uscheme_req *req,
 *                     const char *path, void **state)
 *   {
 *       if (req->op_flags & O_ACCMODE)
 *           return -EACCES;		// read-only scheme
 *       *state = NULL;			// nothing to remember per handle
 *       return 0;			// the framework answers with a new id
 *   }
 *
 *   static int h_read(struct us_daemon *d, const struct uscheme_req *req,
 *                     void *state, void *buf, size_t len, uint64_t off)
 *   {
 *       static const char text[] = "hello\n";
 *
 *       if (off >= sizeof(text) - 1)
 *           return 0;			// end of file
 *       if (len > sizeof(text) - 1 - off)
 *           len = sizeof(text) - 1 - off;
 *       memcpy(buf, text + off, len);	// buf is in the data area
 *       return (int)len;		// bytes placed at buf
 *   }
 *
 *   static const struct us_scheme_ops ops = { .open = h_open, .read = h_read };
 *
 *   int main(void)
 *   {
 *       struct us_daemon d;
 *       int err = us_daemon_init(&d, "hello", &ops, NULL, NULL);
 *
 *       if (err) {
 *           us_daemon_perror("hello", &d, err);	// "cannot register ..."
 *           return 1;
 *       }
 *       us_daemon_handle_signals(&d);	// SIGINT/SIGTERM stop the loop
 *       err = us_daemon_run(&d);	// until stopped: 0, or -errno
 *       us_daemon_exit(&d);		// closes the ring; the name is free
 *       return err ? 1 : 0;
 *   }
 *
 * Run it as root (registering a name needs CAP_SYS_ADMIN), and
 * "uscheme cat hello:x" prints hello. Ops without a handler answer -ENOSYS;
 * so do opcodes this framework does not know. The example, compiled, is
 * schemes/hellod.c; schemes/ramd.c serves a whole file tree, and
 * schemes/nulld.c serves several schemes from one process (a thread each).
 *
 * Results. A handler returns what the client should get: a value >= 0 in
 * the op's range (uapi/uscheme.h: bytes for READ/WRITE/CALL, 0 for FSTAT,
 * FSYNC, FTRUNCATE), or -errno (-4095..-1), which the client sees unchanged.
 * Or it returns US_DEFER: it keeps req->tag (and the buffer, which stays the
 * request's until answered) and answers later with us_reply(), or, for OPEN
 * and DUP, us_reply_handle().
 *
 * Notifications are never answered: CLOSE (the client's last reference is
 * gone: the framework frees the id and calls .close with its state) and
 * CANCEL (the client gave up on request req->off; .cancel is called, and
 * the cancelled request must still be answered; its answer is discarded).
 *
 * Single-threaded: every function here runs on the daemon's thread, except
 * us_daemon_stop, which is also safe from a signal handler or another
 * thread.
 */
#ifndef LIBUSCHEME_DAEMON_H
#define LIBUSCHEME_DAEMON_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "libuscheme.h"

struct us_daemon;
struct us_daemon_events;
struct us_reactor;

/* A handler's "I will answer later" (outside every legal result). */
#define US_DEFER	INT_MIN

/*
 * The handlers. req is a private copy of the request (req->pid, req->uid
 * and req->gid name the caller; req->op_flags, req->off, req->len as in
 * uapi/uscheme.h). state is the handle's state, as its OPEN or DUP handler
 * set it. Buffers point into the ring's data area, already bounds-checked
 * (a request whose buffer lies outside the area is answered -EIO without
 * calling you).
 */
struct us_scheme_ops {
	/* path: after "scheme:", NUL-terminated (may be ""). req->op_flags: O_*. */
	int (*open)(struct us_daemon *d, const struct uscheme_req *req,
		    const char *path, void **state);
	/* Fill up to len bytes at buf (zeroed); return the count (0: end of file). */
	int (*read)(struct us_daemon *d, const struct uscheme_req *req,
		    void *state, void *buf, size_t len, uint64_t off);
	/* Take up to len bytes from buf; return the count taken. */
	int (*write)(struct us_daemon *d, const struct uscheme_req *req,
		     void *state, const void *buf, size_t len, uint64_t off);
	/* Fill *st (zeroed; mode must carry a file type, S_IFREG etc.). */
	int (*fstat)(struct us_daemon *d, const struct uscheme_req *req,
		     void *state, struct uscheme_stat *st);
	int (*fsync)(struct us_daemon *d, const struct uscheme_req *req,
		     void *state);
	int (*ftruncate)(struct us_daemon *d, const struct uscheme_req *req,
			 void *state, uint64_t length);
	/* A new handle from this one; suffix NUL-terminated ("": the same resource). */
	int (*dup)(struct us_daemon *d, const struct uscheme_req *req,
		   void *state, const char *suffix, void **new_state);
	/*
	 * buf holds in_len bytes of input; write up to out_len bytes of output
	 * at buf (input and output share it) and return the output's length.
	 */
	int (*call)(struct us_daemon *d, const struct uscheme_req *req,
		    void *state, void *buf, size_t in_len, size_t out_len);
	/*
	 * The handle is gone (its id is already free): release state. Also
	 * called for a state whose OPEN or DUP could not be given an id.
	 */
	void (*close)(struct us_daemon *d, void *state);
	/* The request with this tag was cancelled: answer it soon (any result). */
	void (*cancel)(struct us_daemon *d, uint64_t tag);
};

/* Optional settings for us_daemon_init; NULL or zero fields: the defaults. */
struct us_daemon_config {
	unsigned int sq_entries;	/* requests per ring pass; default 256 */
	size_t data_size;		/* data area bytes; default USCHEME_DATA_DEFAULT */
	uint32_t max_handles;		/* open handles at once; default 1 << 20 */
	unsigned int client_entries;	/* us_daemon_watch's client ring SQ; default 64 */
	uint32_t max_client_ops;	/* its watches + ops in flight; default 4096 */
};

/* Counters since us_daemon_init. */
struct us_daemon_stats {
	uint64_t requests;	/* requests taken from the ring, notifications too */
	uint64_t replies;	/* answers written */
	uint64_t notifications;	/* CLOSE and CANCEL */
	uint64_t deferred;	/* handlers that returned US_DEFER */
	uint64_t bad;		/* answered -EIO/-EBADF for a corrupt buffer or unknown id */
	uint64_t unknown;	/* answered -ENOSYS */
	uint64_t passes;	/* ring passes (enter calls) */
};

/* One handle id's slot. Internal. */
struct us_handle_slot {
	void *state;
	uint32_t next_free;	/* index + 1 of the next free slot; 0 ends the list */
	uint8_t used;
};

struct us_daemon {
	struct us_ring ring;		/* the scheme ring (ring.data: the data area) */
	const struct us_scheme_ops *ops;
	void *ctx;			/* yours: passed to us_daemon_init */
	char name[USCHEME_NAME_MAX];	/* the scheme served */
	struct us_daemon_stats stats;

	/* Internal from here on. */
	const char *failed;		/* the step us_daemon_init failed at */
	struct us_handle_slot *handles;
	uint32_t nhandles, handles_used, free_head, max_handles;
	uint32_t req_head;		/* next request to take (our sq_head) */
	uint32_t resp_tail;		/* next response slot (our cq_tail) */
	int stop;			/* us_daemon_stop was called (atomic) */
	struct uscheme_enter enter;	/* the enter argument (us_daemon_stop edits it) */
	struct us_daemon_events *ev;	/* us_daemon_watch's client ring, or NULL */
	unsigned int client_entries;
	uint32_t max_client_ops;
};

/*
 * Set up a scheme ring (us_scheme_init), register name and get ready to
 * serve. ops and ctx are kept; config may be NULL. Returns 0 or -errno;
 * on failure d->failed names the step and us_daemon_perror explains it
 * (-EEXIST: the name is taken; -EPERM: needs CAP_SYS_ADMIN; -ENOENT: no
 * /dev/uscheme; -EINVAL: a bad name). Nothing is left open on failure.
 */
int us_daemon_init(struct us_daemon *d, const char *name,
		   const struct us_scheme_ops *ops, void *ctx,
		   const struct us_daemon_config *config);
/*
 * The same, for a daemon without CAP_SYS_ADMIN whose privileged parent set
 * up and registered its scheme ring and passed it across exec (libuscheme.h,
 * "Inherited scheme rings"; pcid does so for rules with scheme=): serve the
 * ring desc describes (NULL: getenv(USCHEME_SCHEME)). d->name is the name
 * from the description. config's sq_entries and data_size are ignored (the
 * ring exists); its other fields apply. Returns 0 or -errno, with d->failed
 * set for us_daemon_perror: -ENOENT (desc NULL and USCHEME_SCHEME unset),
 * or us_ring_attach's errors (-EINVAL: malformed, or not that ring; -EBADF,
 * -ENOTTY, -EBADFD). The ring's fd gets FD_CLOEXEC; us_daemon_exit closes
 * it, which frees the name (if no other process holds the ring).
 * USCHEME_SCHEME stays in the environment: a daemon that spawns programs
 * should give them an environment of their own.
 *
 *   int err = us_daemon_init_inherited(&d, NULL, &ops, ctx, NULL);
 *
 *   if (err) {
 *       us_daemon_perror("xhcid", &d, err);
 *       return 1;
 *   }
 *   ... us_daemon_run(&d) ... us_daemon_exit(&d);
 */
int us_daemon_init_inherited(struct us_daemon *d, const char *desc,
			     const struct us_scheme_ops *ops, void *ctx,
			     const struct us_daemon_config *config);
/*
 * Close the ring (the name is free again; the kernel fails whatever was
 * still pending with -EPIPE) and free every handle, calling .close for each.
 */
void us_daemon_exit(struct us_daemon *d);
/* Print "prog: cannot <step> <name>: <why>" to stderr for an init error. */
void us_daemon_perror(const char *prog, const struct us_daemon *d, int err);

/*
 * Serve until us_daemon_stop: wait for requests (enter, GETEVENTS,
 * min_complete 1), dispatch them, send the answers with the next enter.
 * Returns 0 once stopped, or -errno if the ring failed.
 */
int us_daemon_run(struct us_daemon *d);
/*
 * One pass, for daemons with a loop of their own: dispatch the requests
 * waiting, send every answer written so far, and if none was waiting,
 * wait up to timeout_ns (negative: until a request or a signal) for one
 * and dispatch it. Returns the requests dispatched (>= 0), or -errno
 * (-EINTR: a signal; -ETIME: the timeout passed). The ring fd polls
 * readable (POLLIN) while requests wait. With watches (us_daemon_watch)
 * the wait is on the client ring, and the count includes the completions
 * and events dispatched.
 */
int us_daemon_run_once(struct us_daemon *d, int64_t timeout_ns);
/*
 * Make us_daemon_run return: async-signal-safe, race-free when called from
 * a signal handler on the daemon's thread. From another thread, also send
 * the daemon's thread a signal with a handler (pthread_kill) to interrupt
 * a wait already begun.
 */
void us_daemon_stop(struct us_daemon *d);
/* Has us_daemon_stop been called? */
int us_daemon_stopped(const struct us_daemon *d);
/*
 * Install SIGINT and SIGTERM handlers that call us_daemon_stop(d) (one
 * daemon per process; without SA_RESTART). Returns 0 or -errno.
 * us_daemon_signal() is the signal that stopped it, or 0.
 */
int us_daemon_handle_signals(struct us_daemon *d);
int us_daemon_signal(void);

/*
 * The request's buffer in the data area, or NULL if it does not fit there
 * (a corrupt request). It covers the op's bytes: len (+1 for OPEN and
 * DUP's NUL), max(len, len2) for CALL, 0 for ops without data.
 */
void *us_req_buf(struct us_daemon *d, const struct uscheme_req *req);

/*
 * Answer request tag with res (after US_DEFER). The answer goes out with
 * the next ring pass (us_daemon_run does it; or us_daemon_flush). Returns
 * 0 or -errno (the ring failed).
 */
int us_reply(struct us_daemon *d, uint64_t tag, int32_t res);
/*
 * Answer a deferred OPEN or DUP: err < 0 answers err; otherwise state gets
 * a new handle id, which is the answer (if no id is free, .close(state)
 * is called and the answer is -ENFILE or -ENOMEM).
 */
int us_reply_handle(struct us_daemon *d, uint64_t tag, int err, void *state);
/*
 * Answer a deferred OPEN or DUP with one of the daemon's own open files
 * (USCHEME_CQE_F_FD): the client gets a new fd for the same open file (as
 * if passed with SCM_RIGHTS), and no handle id of this scheme is involved
 * (no CLOSE ever comes for it). fd stays the daemon's; it must stay open
 * until the kernel has taken the answer (us_daemon_answers_pending() is 0,
 * after the pass or us_daemon_flush that sent it). 0 or -errno.
 */
int us_reply_fd(struct us_daemon *d, uint64_t tag, int fd);
/* Answers written but not yet taken by the kernel? 1 or 0. */
int us_daemon_answers_pending(const struct us_daemon *d);
/* Send the answers written so far now, without waiting. 0 or -errno. */
int us_daemon_flush(struct us_daemon *d);

/*
 * The handle table (the framework uses it for OPEN, DUP and CLOSE; a daemon
 * rarely needs it). Ids are small non-negative ints; freed ids are reused.
 */
/* A new id for state, or -ENFILE (max_handles reached) or -ENOMEM. */
int us_handle_new(struct us_daemon *d, void *state);
/* The state of id: 0, or -EBADF for an id not in use. */
int us_handle_get(const struct us_daemon *d, uint64_t id, void **state);
/* Free id (without calling .close); its state in *state. 0 or -EBADF. */
int us_handle_free(struct us_daemon *d, uint64_t id, void **state);
/* Handles open now. */
uint32_t us_handle_count(const struct us_daemon *d);
/* The id whose state is state (a linear search), or -ENOENT. */
int us_handle_find(const struct us_daemon *d, const void *state);

/*
 * Set handle id's readiness to mask (USCHEME_EV_READ | USCHEME_EV_WRITE,
 * or 0) with a USCHEME_CQE_F_EVENT answer (uapi/uscheme.h, "Events"):
 * every client watching the handle is woken (FILES_UPDATE posts an event
 * CQE, even for the mask it had). Sent with the next pass, like answers.
 * 0 or -errno (-EINVAL: another bit in mask).
 */
int us_send_event(struct us_daemon *d, uint64_t id, uint32_t mask);

/*
 * Dispatch one request (a private copy) as the loop does: call its handler
 * and write the answer. For tests and for daemons that read their ring
 * themselves.
 */
void us_daemon_dispatch(struct us_daemon *d, const struct uscheme_req *req);

/*
 * One wait for everything: events (FilesUpdate, USCHEME_FEAT_FILES_UPDATE).
 *
 * A daemon often waits on more than its scheme ring: an eventfd another
 * thread kicks, a socket, a timerfd, an interrupt handle, the replies of
 * other schemes it is a client of. us_daemon_watch gives the daemon a
 * client ring of its own (created on first use) on which its scheme ring
 * is registered for READ with FILES_UPDATE, and then each fd watched; from
 * then on us_daemon_run and us_daemon_run_once wait on that client ring
 * only, and one wait returns for a request, a watched fd, or a reply:
 *
 *   static void on_kick(struct us_daemon *d, int fd, int events, void *ctx)
 *   {
 *       uint64_t n;
 *
 *       if (events < 0)		// final call: fd was closed (-EBADF)
 *           return;
 *       if (read(fd, &n, sizeof(n)) == sizeof(n))	// edge-triggered:
 *           ...				// consume what made it ready
 *   }
 *
 *   int efd = eventfd(0, EFD_NONBLOCK);
 *   us_daemon_watch(&d, efd, USCHEME_EV_READ, on_kick, NULL);
 *   struct us_reactor *rx;
 *   us_daemon_reactor(&d, &rx);		// the client ring's reactor
 *   struct uscheme_sqe *sqe = us_reactor_sqe(rx, &op);	// a client op of ours
 *   us_prep_open(sqe, "other:file", O_RDONLY, sqe->user_data);
 *   us_daemon_run(&d);	// serves requests, calls on_kick, op.complete
 *
 * Events are edge-triggered (uapi/uscheme.h): the callback runs once per
 * change, so it must consume the fd's readiness (read the eventfd, drain the
 * socket) or it will not run again for the state it left. events is the
 * USCHEME_EV_* mask that was ready (> 0), or a negative errno on a final
 * call, after which the watch is gone (-EBADF: the fd was closed without
 * us_daemon_unwatch). A callback may call us_daemon_watch, us_daemon_unwatch
 * (its own fd too), us_reply and submit client ops.
 *
 * The reactor (reactor.h) is in tag mode: submit ops with us_reactor_sqe;
 * they are submitted by the next pass and their completions come to their
 * struct us_op callbacks from within us_daemon_run/us_daemon_run_once.
 * Single-threaded like the rest of the framework; us_daemon_stop still
 * stops the loop, us_daemon_exit closes the client ring (every watch ends;
 * callbacks are not called) and frees it.
 */
typedef void (*us_watch_fn)(struct us_daemon *d, int fd, int events, void *ctx);

/*
 * Watch fd for events (USCHEME_EV_READ and/or USCHEME_EV_WRITE; ERR and HUP
 * always come) with a multishot registration; fn(d, fd, mask, ctx) runs
 * from the daemon's loop, possibly before this returns (fd ready now).
 * Returns 0 or -errno: -EEXIST (fd is watched already), -EBADF, -EINVAL
 * (bad events, or the daemon's own ring), -EOPNOTSUPP (a module without
 * FilesUpdate), -ENOMEM, or an error creating the client ring.
 */
int us_daemon_watch(struct us_daemon *d, int fd, uint32_t events,
		    us_watch_fn fn, void *ctx);
/*
 * Stop watching fd: its fn is not called again, not even for an event
 * that arrives while the DEL is under way. 0 or -ENOENT.
 */
int us_daemon_unwatch(struct us_daemon *d, int fd);
/*
 * The reactor of the daemon's client ring (created on first use, the
 * scheme ring registered on it), for client ops the loop completes.
 * 0 or -errno.
 */
int us_daemon_reactor(struct us_daemon *d, struct us_reactor **rx);
/* The client ring itself (NULL before us_daemon_watch/us_daemon_reactor). */
struct us_ring *us_daemon_client_ring(struct us_daemon *d);

#endif /* LIBUSCHEME_DAEMON_H */
