/* SPDX-License-Identifier: MIT */
/*
 * pcid's own state, shared by its files (pcid.h is the protocol; this is
 * the daemon's inside):
 *
 *   main.c        options, setup, the event loop, startup and shutdown;
 *                 defines P, the logging and the small helpers below
 *   scheme.c      the "pci:" scheme: its handles and ops (scheme.h)
 *   channel.c     a function's channel session and its DUP/CALL (channel.h)
 *   supervisor.c  drivers and their children: start, exit, restart, stop
 *                 (supervisor.h)
 *
 * Rules every file keeps:
 * - One thread. Everything runs from libuscheme's daemon loop (main.c's
 *   us_daemon_run_once): the scheme ops, the reactor's completions on the
 *   client ring (OPENs: channels, pcidev:, children's handles), and the
 *   watched fds (signalfd, pidfds, timerfds). No locks; a callback may
 *   free what another callback's ctx points at only if that one cannot
 *   run again (unwatched, or its op completed).
 * - P owns every struct fn (P.fns, never freed before free_all, so a
 *   pointer to one stays valid for the daemon's life) and the OPENs in
 *   flight (P.pendings). A struct fn owns its session's fds (fn_fd,
 *   bar_fd, irq_fd: closed by channel_release), its driver's pidfd and
 *   timerfd, and its children (fn->children; each freed by child_free).
 * - An fd passed to a client (us_reply_fd) stays open until the kernel has
 *   taken the answer: close_later() queues it, drain_close_later() closes.
 * - P.stopping: no new start and no restart; check_done() ends the loop
 *   once nothing runs and nothing is in flight.
 */
#ifndef PCID_STATE_H
#define PCID_STATE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "../libpcidrv/pcisysfs.h"
#include "../libuscheme/daemon.h"
#include "../libuscheme/reactor.h"
#include "config.h"
#include "pcid.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define DEFAULT_CONFIG		"/etc/uscheme/pcid.conf"
#define STABLE_MS		30000	/* a driver up this long resets its restart count */
#define IRQ_FDS_MAX		2048
#define PCID_SCHEME_SQ_ENTRIES	256	/* a driver's scheme ring (scheme=) */

extern const char *prog;

/* ---- state ---- */

enum drv_state {
	DRV_NONE,		/* no rule, or not started */
	DRV_STARTING,		/* its channel is being opened */
	DRV_RUNNING,
	DRV_BACKOFF,		/* waiting to restart */
	DRV_STOPPED,		/* exited, not restarted by policy (or pcid stopping) */
	DRV_FAILED,		/* gave up: could not bind, or too many restarts */
};

enum ch_state { CH_FREE, CH_OPENING, CH_OPEN };

struct handle;

struct fn {
	char addr[PCID_ADDR_MAX];
	struct pci_func id;		/* when first seen */
	const struct pcid_rule *rule;	/* NULL: not in the config */
	char *driver_path;		/* resolved rule->driver */
	bool managed;			/* pcid binds it and gives it back */

	/* The channel and pcid's files of its session. */
	enum ch_state ch;
	struct handle *chan;		/* the open channel's handle */
	int fn_fd;			/* pcidev:ADDR, -1 */
	int bar_fd[USCHEME_PCI_BARS];
	int *irq_fd;			/* nirq entries, -1 until opened */
	uint32_t nirq;
	struct uscheme_pci_info info;

	/* The driver. */
	enum drv_state drv;
	char scheme[USCHEME_NAME_MAX];	/* the rule's scheme= for this function, or "" */
	struct us_op spawn_op;		/* OPEN SCHEME:ADDR/channel */
	char spawn_path[PCID_ADDR_MAX + 80];
	pid_t pid;
	int pidfd;
	int timerfd;
	unsigned int starts, restarts;
	struct timespec started;
	char last_exit[96];

	/* Children (child-config=): their rules, as loaded at the driver's last start. */
	struct child_cfg *ccfg;
	struct child *children;
	unsigned int nchildren;
	uint64_t child_data;		/* the data areas its children's schemes hold or will */
};

/* A child-config file, shared by the children started under it (refs). */
struct child_cfg {
	struct pcid_config cfg;
	char path[PATH_MAX];
	unsigned int refs;
};

/* A driver's child (PCID_CALL_CHILD_START): one object of its scheme, one program. */
struct child {
	struct child *next;		/* fn->children */
	struct fn *fn;
	struct child_cfg *ccfg;		/* a reference: rule lives in it */
	const struct pcid_rule *rule;
	char *driver_path;
	unsigned int port;
	int iface;
	enum drv_state st;		/* STARTING (opening), RUNNING, BACKOFF */
	bool stop;			/* stopped: no restart (its device, its driver, pcid) */
	struct us_op op;		/* OPEN SCHEME:PORT[/ifN] */
	char path[USCHEME_NAME_MAX + 24];
	char address[USCHEME_NAME_MAX + 8];	/* SCHEME:PORT */
	char label[48];			/* "port 2 interface 0": logs */
	pid_t pid;
	int pidfd, timerfd;
	unsigned int restarts;
	struct timespec started;
	uint64_t data;			/* its scheme's data area, charged to fn->child_data */
	uid_t uid;			/* its own: no other child's, no driver's */
	gid_t gid;
	bool stopping;			/* SIGTERM sent at stopped: SIGKILL after stop-timeout */
	struct timespec stopped;
};

enum hkind { H_ROOT, H_FNDIR, H_CONFIG, H_STATUS, H_CHANNEL };

struct handle {
	enum hkind kind;
	struct fn *fn;
	char *text;			/* H_ROOT, H_FNDIR, H_STATUS */
	size_t len;
	int cfg_fd;			/* H_CONFIG: sysfs config, -1 */
	uint32_t cfg_limit;		/* bytes this opener may read */
};

/* An OPEN of pcidev:ADDR that a channel's OPEN waits for. */
struct pending {
	struct us_op op;
	struct pending *next;		/* P.pendings */
	struct fn *fn;
	uint64_t tag;			/* the request to answer */
	struct handle *h;		/* the channel being opened */
	char path[PCID_ADDR_MAX + 16];
};

struct pcid_state {
	struct us_daemon d;
	struct pcid_config cfg;
	const char *config_path;
	const char *sysfs;
	char exe_dir[PATH_MAX];
	struct fn **fns;
	unsigned int nfns;
	int *close_later;		/* fds passed with F_FD, closed once sent */
	unsigned int nclose, close_cap;
	struct pending *pendings;	/* in flight */
	unsigned int pending;
	bool stopping;
	bool exiting;			/* the scheme ring is gone (us_daemon_exit) */
	int stop_timerfd;
	int kill_timerfd;		/* stopped children's stop-timeout */
	int stop_signal;
	int sigfd;
};

extern struct pcid_state P;

/* ---- main.c: logging (one line, one write(2): drivers share pcid's stderr) ---- */

void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fnsay(const struct fn *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *errname(int err);
/* "No such file or directory (ENOENT)": a static buffer, valid until the next call. */
const char *why(int err);

/* ---- main.c: small helpers ---- */

long pidfd_open_sys(pid_t pid);
long pidfd_signal(int pidfd, int sig);
int64_t ms_since(const struct timespec *t);
/* fd (passed in an answer) closed once the kernel has taken every answer. */
void close_later(int fd);
void drain_close_later(bool force);
/* The function at addr (canonical) if sysfs shows it now: 0 or -ENOENT. */
int fn_get(const char *addr, struct fn **out, struct pci_func *now);
/* An OPEN of path on pcid's client ring; op->complete gets its CQE. 0 or -errno. */
int submit_open(struct us_op *op, const char *path, int flags);
/* A one-shot timerfd armed for ms (0: at once). */
int arm_timer(int fd, unsigned int ms);
/* Stopping, and nothing runs or is in flight: end the loop. */
void check_done(void);

#endif /* PCID_STATE_H */
