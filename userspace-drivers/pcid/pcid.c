// SPDX-License-Identifier: MIT
/*
 * pcid: enumerates PCI functions, serves "pci:" (pcid.h), and runs the
 * drivers its config file names (config.h), each unprivileged with only its
 * function's channel.
 *
 *   pcid [--config FILE] [--foreground] [--name NAME] [--sysfs DIR] [--check]
 *
 * One thread, one wait: libuscheme's daemon loop serves the scheme ring and
 * a client ring on which pcid opens channels and pcidev: handles (OPEN ops
 * completed by the reactor) and watches its signalfd, each driver's pidfd
 * and the restart timers (FILES_UPDATE). Nothing else is used to talk to
 * anyone: sysfs files for binding, fork/exec for spawning.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../libuscheme/daemon.h"
#include "../libuscheme/reactor.h"
#include "config.h"
#include "pcid.h"
#include "sysfs.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define DEFAULT_CONFIG		"/etc/uscheme/pcid.conf"
#define STABLE_MS		30000	/* a driver up this long resets its restart count */
#define IRQ_FDS_MAX		2048
#define PCID_SCHEME_SQ_ENTRIES	256	/* a driver's scheme ring (scheme=) */

static const char *prog = "pcid";

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

static struct {
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
} P = {
	.sysfs = "/sys",
	.stop_timerfd = -1,
	.kill_timerfd = -1,
	.sigfd = -1,
};

/* ---- logging ---- */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fnsay(const struct fn *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One line, one write(2): pcid's drivers write to the same stderr. */
static void put_line(const char *who, const char *what)
{
	char line[1200];
	int n = snprintf(line, sizeof(line), "%s: %s%s%s\n", prog, who ? who : "",
			 who ? ": " : "", what);

	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = (int)sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

static void say(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	put_line(NULL, buf);
}

static void fnsay(const struct fn *f, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	put_line(f->addr, buf);
}

static const char *errname(int err)
{
	const char *n = strerrorname_np(err < 0 ? -err : err);

	return n ? n : "?";
}

/* "No such file or directory (ENOENT)" */
static const char *why(int err)
{
	static char buf[160];

	snprintf(buf, sizeof(buf), "%s (%s)", strerror(err < 0 ? -err : err), errname(err));
	return buf;
}

/* ---- small helpers ---- */

static long pidfd_open_sys(pid_t pid)
{
	return syscall(SYS_pidfd_open, pid, 0);
}

static long pidfd_signal(int pidfd, int sig)
{
	return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

static int64_t ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)(now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

static void close_later(int fd)
{
	if (fd < 0)
		return;
	if (P.nclose == P.close_cap) {
		unsigned int cap = P.close_cap ? P.close_cap * 2 : 16;
		int *n = realloc(P.close_later, cap * sizeof(*n));

		if (!n) {
			/* Rare: the answer may then fail (-EIO) for the client. */
			close(fd);
			return;
		}
		P.close_later = n;
		P.close_cap = cap;
	}
	P.close_later[P.nclose++] = fd;
}

/* Close what was passed on, once the kernel has taken every answer. */
static void drain_close_later(bool force)
{
	unsigned int i;

	if (!force && us_daemon_answers_pending(&P.d))
		return;
	for (i = 0; i < P.nclose; i++)
		close(P.close_later[i]);
	P.nclose = 0;
}

static struct fn *fn_find(const char *addr)
{
	unsigned int i;

	for (i = 0; i < P.nfns; i++)
		if (!strcmp(P.fns[i]->addr, addr))
			return P.fns[i];
	return NULL;
}

static struct fn *fn_add(const struct pci_func *id)
{
	struct fn **nv, *f = calloc(1, sizeof(*f));
	unsigned int i;

	if (!f)
		return NULL;
	nv = realloc(P.fns, (P.nfns + 1) * sizeof(*nv));
	if (!nv) {
		free(f);
		return NULL;
	}
	P.fns = nv;
	snprintf(f->addr, sizeof(f->addr), "%s", id->addr);
	f->id = *id;
	f->fn_fd = -1;
	f->pidfd = -1;
	f->timerfd = -1;
	for (i = 0; i < USCHEME_PCI_BARS; i++)
		f->bar_fd[i] = -1;
	P.fns[P.nfns++] = f;
	return f;
}

/* The function at addr (canonical) if sysfs shows it now: 0 or -ENOENT. */
static int fn_get(const char *addr, struct fn **out, struct pci_func *now)
{
	struct pci_func tmp;
	struct fn *f;
	int err;

	if (!now)
		now = &tmp;
	err = pci_read_func(P.sysfs, addr, now);
	if (err)
		return err == -ENOENT ? -ENOENT : err;
	f = fn_find(addr);
	if (!f)
		f = fn_add(now);	/* hot-added since we started */
	if (!f)
		return -ENOMEM;
	*out = f;
	return 0;
}

/* ---- text for reads ---- */

struct text {
	char *buf;
	size_t len, cap;
	bool oom;
};

static void tprintf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void tprintf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->buf ? t->buf + t->len : NULL, t->buf ? t->cap - t->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->oom = true;
			return;
		}
		if (t->buf && (size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return;
		}
		{
			size_t cap = (t->cap ? t->cap : 256) * 2 + (size_t)n;
			char *nb = realloc(t->buf, cap);

			if (!nb) {
				t->oom = true;
				return;
			}
			t->buf = nb;
			t->cap = cap;
		}
	}
}

static const char *drv_state_name(enum drv_state s)
{
	switch (s) {
	case DRV_NONE:
		return "none";
	case DRV_STARTING:
		return "starting";
	case DRV_RUNNING:
		return "running";
	case DRV_BACKOFF:
		return "backoff";
	case DRV_STOPPED:
		return "stopped";
	case DRV_FAILED:
		return "failed";
	}
	return "?";
}

static const char *ch_state_name(enum ch_state s)
{
	return s == CH_OPEN ? "open" : s == CH_OPENING ? "opening" : "free";
}

static void status_text(struct text *t, struct fn *f, const struct pci_func *now)
{
	tprintf(t, "address %s\n", f->addr);
	tprintf(t, "id %04x:%04x\n", now->vendor, now->device);
	tprintf(t, "subsystem %04x:%04x\n", now->subvendor, now->subdevice);
	tprintf(t, "class %06x\n", now->class_code);
	tprintf(t, "revision %02x\n", now->revision);
	tprintf(t, "kernel-driver %s\n", now->driver);
	if (f->rule) {
		tprintf(t, "rule %s:%u\n", P.config_path, f->rule->line);
		tprintf(t, "program %s\n", f->driver_path ? f->driver_path : f->rule->driver);
		tprintf(t, "restart %s\n", pcid_restart_name(f->rule->restart));
	} else {
		tprintf(t, "rule -\n");
	}
	tprintf(t, "state %s\n", drv_state_name(f->drv));
	tprintf(t, "pid %d\n", f->drv == DRV_RUNNING ? (int)f->pid : 0);
	tprintf(t, "starts %u\n", f->starts);
	tprintf(t, "restarts %u\n", f->restarts);
	tprintf(t, "last-exit %s\n", f->last_exit[0] ? f->last_exit : "-");
	tprintf(t, "channel %s\n", ch_state_name(f->ch));
	tprintf(t, "scheme %s\n", f->scheme[0] ? f->scheme : "-");
}

static void channel_text(struct text *t, const struct fn *f)
{
	const struct uscheme_pci_info *in = &f->info;
	unsigned int i;

	tprintf(t, "address %s\n", f->addr);
	tprintf(t, "id %04x:%04x\n", in->vendor, in->device);
	tprintf(t, "subsystem %04x:%04x\n", in->subvendor, in->subdevice);
	tprintf(t, "class %06x\n", in->class_code);
	tprintf(t, "revision %02x\n", in->revision);
	tprintf(t, "irq-pin %u\n", in->irq_pin);
	tprintf(t, "irq-modes%s%s%s%s\n", in->irq_modes & USCHEME_IRQ_MSIX ? " msix" : "",
		in->irq_modes & USCHEME_IRQ_MSI ? " msi" : "",
		in->irq_modes & USCHEME_IRQ_INTX ? " intx" : "", in->irq_modes ? "" : " -");
	tprintf(t, "msix-vectors %u\n", in->msix_vectors);
	tprintf(t, "msi-vectors %u\n", in->msi_vectors);
	tprintf(t, "config-size %u\n", in->cfg_size);
	for (i = 0; i < USCHEME_PCI_BARS; i++) {
		const struct uscheme_pci_bar *b = &in->bars[i];

		if (!b->size) {
			tprintf(t, "bar%u -\n", i);
			continue;
		}
		tprintf(t, "bar%u %s%s%s%s size %" PRIu64 "\n", i,
			b->flags & USCHEME_BAR_MEM ? "mem" : "io",
			b->flags & USCHEME_BAR_64 ? "64" : (b->flags & USCHEME_BAR_MEM ? "32" : ""),
			b->flags & USCHEME_BAR_PREFETCH ? " prefetch" : "",
			b->flags & USCHEME_BAR_MSIX ? " msix" : "", (uint64_t)b->size);
	}
}

static int copy_text(const char *text, size_t tlen, void *buf, size_t len, uint64_t off)
{
	if (off >= tlen)
		return 0;
	if (len > tlen - off)
		len = tlen - off;
	memcpy(buf, text + off, len);
	return (int)len;
}

/* ---- the channel's session ---- */

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

/*
 * The channel's last reference is gone: close pcid's files of the session
 * now (so that the kernel ends it before the next request, maybe the next
 * channel's OPEN, is served). An answer written but not yet sent may pass
 * one of them: send those first.
 */
static void channel_release(struct fn *f)
{
	unsigned int i;

	if (!P.exiting && us_daemon_answers_pending(&P.d))
		us_daemon_flush(&P.d);
	if (!P.exiting)
		drain_close_later(false);
	close_fd(f->fn_fd);
	f->fn_fd = -1;
	for (i = 0; i < USCHEME_PCI_BARS; i++) {
		close_fd(f->bar_fd[i]);
		f->bar_fd[i] = -1;
	}
	for (i = 0; i < f->nirq; i++)
		close_fd(f->irq_fd[i]);
	free(f->irq_fd);
	f->irq_fd = NULL;
	f->nirq = 0;
	if (f->ch == CH_OPEN)
		fnsay(f, "channel closed");
	f->ch = CH_FREE;
	f->chan = NULL;
	memset(&f->info, 0, sizeof(f->info));
}

static void handle_free(struct handle *h)
{
	if (!h)
		return;
	if (h->kind == H_CHANNEL && h->fn && h->fn->chan == h)
		channel_release(h->fn);
	if (h->cfg_fd >= 0)
		close(h->cfg_fd);
	free(h->text);
	free(h);
}

static struct handle *handle_new(enum hkind kind, struct fn *f)
{
	struct handle *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->kind = kind;
	h->fn = f;
	h->cfg_fd = -1;
	return h;
}

/* A handle whose reads return the text t; it takes t's buffer, even on failure. */
static int text_handle(enum hkind kind, struct fn *f, struct text *t, struct handle **out)
{
	struct handle *h = t->oom ? NULL : handle_new(kind, f);

	if (!h) {
		free(t->buf);
		return -ENOMEM;
	}
	h->text = t->buf;
	h->len = t->len;
	*out = h;
	return 0;
}

static int submit_open(struct us_op *op, const char *path, int flags)
{
	struct uscheme_sqe *sqe;
	struct us_reactor *rx;
	int err = us_daemon_reactor(&P.d, &rx);

	if (err)
		return err;
	sqe = us_reactor_sqe(rx, op);
	if (!sqe) {
		err = us_submit(us_daemon_client_ring(&P.d));
		if (err < 0 && err != -EBUSY)
			return err;
		sqe = us_reactor_sqe(rx, op);
		if (!sqe)
			return -EAGAIN;
	}
	us_prep_open(sqe, path, flags, sqe->user_data);
	return 0;
}

static void check_done(void);

static void pending_unlink(struct pending *p)
{
	struct pending **pp;

	for (pp = &P.pendings; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			P.pending--;
			return;
		}
	}
}

/* pcidev:ADDR opened (or not) for a channel. */
static void pending_complete(struct us_reactor *rx, struct us_op *op,
			     const struct uscheme_cqe *cqe)
{
	struct pending *p = op->ctx;
	struct fn *f = p->fn;
	int res = cqe->res;

	(void)rx;
	pending_unlink(p);
	if (res < 0) {
		fnsay(f, "cannot open pcidev:%s for a channel: %s", f->addr, why(res));
		f->ch = CH_FREE;
		handle_free(p->h);
		us_reply(&P.d, p->tag, res);
	} else {
		f->fn_fd = res;
		if (ioctl(res, USCHEME_PIOC_INFO, &f->info) < 0) {
			int err = -errno;

			fnsay(f, "USCHEME_PIOC_INFO: %s", why(err));
			f->ch = CH_OPEN;	/* so that handle_free releases */
			f->chan = p->h;
			handle_free(p->h);
			us_reply(&P.d, p->tag, err);
		} else {
			f->ch = CH_OPEN;
			f->chan = p->h;
			fnsay(f, "channel opened");
			/* On failure to number it, .close releases it. */
			us_reply_handle(&P.d, p->tag, 0, p->h);
		}
	}
	free(p);
	check_done();
}

static int defer_pcidev_open(struct fn *f, const struct uscheme_req *req,
			     struct handle *h)
{
	struct pending *p = calloc(1, sizeof(*p));
	int err;

	if (!p)
		return -ENOMEM;
	p->op.complete = pending_complete;
	p->op.ctx = p;
	p->fn = f;
	p->tag = req->tag;
	p->h = h;
	snprintf(p->path, sizeof(p->path), "pcidev:%s", f->addr);
	err = submit_open(&p->op, p->path, O_RDWR | O_CLOEXEC);
	if (err) {
		free(p);
		return err;
	}
	p->next = P.pendings;
	P.pendings = p;
	P.pending++;
	return US_DEFER;
}

/* ---- the scheme ---- */

static int open_root(struct handle **out)
{
	struct pci_func *v;
	struct text t = { 0 };
	unsigned int n, i;
	int err = pci_enumerate(P.sysfs, &v, &n);

	if (err)
		return err;
	for (i = 0; i < n; i++) {
		char line[128];

		pci_func_line(&v[i], line, sizeof(line));
		tprintf(&t, "%s", line);
	}
	free(v);
	return text_handle(H_ROOT, NULL, &t, out);
}

static int open_path(const struct uscheme_req *req, const char *path, uint32_t flags,
		     struct handle **out)
{
	uint32_t acc = flags & O_ACCMODE;
	char addr[PCID_ADDR_MAX];
	struct pci_func now;
	const char *rest;
	struct handle *h;
	struct fn *f;
	size_t alen;
	int err;

	*out = NULL;
	while (*path == '/')
		path++;
	if (!*path) {
		if (acc != O_RDONLY)
			return -EISDIR;
		return open_root(out);
	}
	alen = strcspn(path, "/");
	if (pci_addr_canon(path, alen, addr))
		return -ENOENT;
	rest = path + alen;
	while (*rest == '/')
		rest++;
	err = fn_get(addr, &f, &now);
	if (err)
		return err;

	if (!*rest) {
		struct text t = { 0 };

		if (acc != O_RDONLY)
			return -EISDIR;
		tprintf(&t, "channel\nconfig\nstatus\n");
		return text_handle(H_FNDIR, f, &t, out);
	}
	if (flags & O_DIRECTORY)
		return strcmp(rest, "config") && strcmp(rest, "status") &&
		       strcmp(rest, "channel") ? -ENOENT : -ENOTDIR;

	if (!strcmp(rest, "config")) {
		struct stat st;
		uint32_t limit;
		int fd;

		if (acc != O_RDONLY) {
			if (req->uid != 0) {
				fnsay(f, "config write refused: uid %u is not root", req->uid);
				return -EACCES;
			}
			if (strcmp(now.driver, PCID_STUB_DRIVER)) {
				fnsay(f, "config write refused: not bound to %s (writes go "
				      "through pcidev:, which mediates them)", PCID_STUB_DRIVER);
				return -EACCES;
			}
		}
		fd = pci_config_open(P.sysfs, addr);
		if (fd < 0)
			return fd;
		if (fstat(fd, &st)) {
			err = -errno;
			close(fd);
			return err;
		}
		limit = st.st_size > 4096 ? 4096 : (uint32_t)st.st_size;
		if (req->uid != 0) {
			switch (P.cfg.config_read) {
			case PCID_READ_ALL:
				break;
			case PCID_READ_HEADER:
				if (limit > 64)
					limit = 64;
				break;
			case PCID_READ_ROOT:
				close(fd);
				return -EACCES;
			}
		}
		h = handle_new(H_CONFIG, f);
		if (!h) {
			close(fd);
			return -ENOMEM;
		}
		h->cfg_fd = fd;
		h->cfg_limit = limit;
		*out = h;
		return 0;
	}
	if (!strcmp(rest, "status")) {
		struct text t = { 0 };

		if (acc != O_RDONLY)
			return -EACCES;
		status_text(&t, f, &now);
		return text_handle(H_STATUS, f, &t, out);
	}
	if (!strcmp(rest, "channel")) {
		if (req->uid != 0) {
			fnsay(f, "channel refused: uid %u (pid %u) is not root", req->uid, req->pid);
			return -EACCES;
		}
		if (acc != O_RDWR)
			return -EACCES;
		if (f->ch != CH_FREE) {
			fnsay(f, "channel refused to pid %u: already open", req->pid);
			return -EBUSY;
		}
		if (strcmp(now.driver, PCID_STUB_DRIVER)) {
			fnsay(f, "channel refused: not bound to %s (driver %s)",
			      PCID_STUB_DRIVER, now.driver);
			return -ENODEV;
		}
		h = handle_new(H_CHANNEL, f);
		if (!h)
			return -ENOMEM;
		f->ch = CH_OPENING;
		err = defer_pcidev_open(f, req, h);
		if (err != US_DEFER) {
			f->ch = CH_FREE;
			free(h);
		}
		return err;
	}
	return -ENOENT;
}

static int p_open(struct us_daemon *d, const struct uscheme_req *req,
		  const char *path, void **state)
{
	struct handle *h = NULL;
	int err;

	(void)d;
	err = open_path(req, path, req->op_flags, &h);
	*state = h;
	return err;
}

static int p_read(struct us_daemon *d, const struct uscheme_req *req,
		  void *state, void *buf, size_t len, uint64_t off)
{
	struct handle *h = state;
	ssize_t n;

	(void)d;
	(void)req;
	switch (h->kind) {
	case H_ROOT:
	case H_FNDIR:
	case H_STATUS:
		return copy_text(h->text, h->len, buf, len, off);
	case H_CONFIG:
		if (off >= h->cfg_limit)
			return 0;
		if (len > h->cfg_limit - off)
			len = h->cfg_limit - off;
		n = pread(h->cfg_fd, buf, len, (off_t)off);
		return n < 0 ? -errno : (int)n;
	case H_CHANNEL: {
		struct text t = { 0 };
		int r;

		channel_text(&t, h->fn);
		if (t.oom) {
			free(t.buf);
			return -ENOMEM;
		}
		r = copy_text(t.buf, t.len, buf, len, off);
		free(t.buf);
		return r;
	}
	}
	return -EINVAL;
}

static int p_write(struct us_daemon *d, const struct uscheme_req *req,
		   void *state, const void *buf, size_t len, uint64_t off)
{
	struct handle *h = state;
	struct fn *f = h->fn;
	ssize_t n;

	(void)d;
	if (h->kind != H_CONFIG)
		return -EINVAL;
	if (req->uid != 0)	/* opened by root and passed on: still root's only */
		return -EACCES;
	if (f->fn_fd < 0) {
		/*
		 * No driver session: the kernel restores a function's config
		 * space when a session ends, so a write through a session of
		 * its own would be undone at once. Refused, not lost.
		 */
		fnsay(f, "config write refused: no channel open (writes last as long as "
		      "a driver's session)");
		return -ENOTCONN;
	}
	n = pwrite(f->fn_fd, buf, len, (off_t)off);
	return n < 0 ? -errno : (int)n;
}

static int p_fstat(struct us_daemon *d, const struct uscheme_req *req,
		   void *state, struct uscheme_stat *st)
{
	struct handle *h = state;

	(void)d;
	(void)req;
	st->nlink = 1;
	switch (h->kind) {
	case H_ROOT:
	case H_FNDIR:
		st->mode = S_IFDIR | 0555;
		st->size = h->len;
		break;
	case H_STATUS:
		st->mode = S_IFREG | 0444;
		st->size = h->len;
		break;
	case H_CONFIG:
		st->mode = S_IFREG | 0644;
		st->size = h->cfg_limit;
		break;
	case H_CHANNEL:
		st->mode = S_IFCHR | 0600;
		break;
	}
	return 0;
}

/* "dma/SIZE": decimal or 0x hex, K or M. */
static int parse_dma_size(const char *s, __u64 *out)
{
	unsigned long long v;
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	if (*end == 'K' || *end == 'k') {
		v <<= 10;
		end++;
	} else if (*end == 'M' || *end == 'm') {
		v <<= 20;
		end++;
	}
	if (*end || !v || v > (1ULL << 40))
		return -EINVAL;
	*out = v;
	return 0;
}

/* A DUP on the channel: one of pcid's files of the session, passed on. */
static int channel_dup(struct fn *f, const struct uscheme_req *req, const char *suffix)
{
	int fd;

	if (f->fn_fd < 0)
		return -ENODEV;
	if (!strcmp(suffix, "function")) {
		fd = f->fn_fd;
	} else if (!strncmp(suffix, "bar", 3) && suffix[3] >= '0' && suffix[3] <= '5' &&
		   !suffix[4]) {
		unsigned int i = (unsigned int)(suffix[3] - '0');

		if (f->bar_fd[i] < 0) {
			struct uscheme_pci_fd a = { .index = i, .flags = O_CLOEXEC };

			if (ioctl(f->fn_fd, USCHEME_PIOC_BAR_OPEN, &a) < 0)
				return -errno;
			f->bar_fd[i] = a.fd;
		}
		fd = f->bar_fd[i];
	} else if (!strncmp(suffix, "irq/", 4)) {
		struct uscheme_pci_fd a = { .flags = O_CLOEXEC };
		unsigned long v;
		char *end;

		if (suffix[4] < '0' || suffix[4] > '9')
			return -ENOENT;
		errno = 0;
		v = strtoul(suffix + 4, &end, 10);
		if (errno || *end || v >= IRQ_FDS_MAX)
			return -ENOENT;
		if (v < f->nirq && f->irq_fd[v] >= 0) {
			fd = f->irq_fd[v];
		} else {
			a.index = (uint32_t)v;
			if (ioctl(f->fn_fd, USCHEME_PIOC_IRQ_OPEN, &a) < 0)
				return -errno;
			if (v < f->nirq) {
				f->irq_fd[v] = a.fd;
			} else {
				close_later(a.fd);	/* not cached: setup happened elsewhere */
			}
			fd = a.fd;
		}
	} else if (!strncmp(suffix, "dma/", 4)) {
		struct uscheme_dma a = { .flags = O_CLOEXEC };

		if (parse_dma_size(suffix + 4, &a.size))
			return -EINVAL;
		if (ioctl(f->fn_fd, USCHEME_PIOC_DMA_ALLOC, &a) < 0)
			return -errno;
		close_later(a.fd);	/* the driver's from now on */
		fd = a.fd;
	} else {
		return -ENOENT;
	}
	return us_reply_fd(&P.d, req->tag, fd) ? -EIO : US_DEFER;
}

static int p_dup(struct us_daemon *d, const struct uscheme_req *req,
		 void *state, const char *suffix, void **new_state)
{
	struct handle *h = state, *nh = NULL;
	char path[512];
	int err;

	(void)d;
	*new_state = NULL;
	switch (h->kind) {
	case H_CHANNEL:
		return channel_dup(h->fn, req, suffix);
	case H_ROOT:
	case H_FNDIR:
		if (!*suffix)
			break;
		/* Like openat: a path relative to this directory, read-only. */
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", h->fn ? h->fn->addr : "",
				     suffix) >= sizeof(path))
			return -ENAMETOOLONG;
		err = open_path(req, path, O_RDONLY, &nh);
		if (err == US_DEFER)	/* cannot happen read-only; be safe */
			return -EINVAL;
		*new_state = nh;
		return err;
	case H_CONFIG:
	case H_STATUS:
		if (*suffix)
			return -ENOTDIR;
		break;
	}
	/* "": the same resource, a handle of its own. */
	nh = handle_new(h->kind, h->fn);
	if (!nh)
		return -ENOMEM;
	nh->len = h->len;
	nh->cfg_limit = h->cfg_limit;
	if (h->text && !(nh->text = malloc(h->len + 1))) {
		free(nh);
		return -ENOMEM;
	}
	if (h->text)
		memcpy(nh->text, h->text, h->len + 1);
	if (h->cfg_fd >= 0 && (nh->cfg_fd = fcntl(h->cfg_fd, F_DUPFD_CLOEXEC, 0)) < 0) {
		err = -errno;
		free(nh->text);
		free(nh);
		return err;
	}
	*new_state = nh;
	return 0;
}

static int child_start(struct fn *f, const struct pcid_child_req *req, char *name, size_t nlen);
static unsigned int children_stop(struct fn *f, unsigned int port, const char *why_text);

static int p_call(struct us_daemon *d, const struct uscheme_req *req,
		  void *state, void *buf, size_t in_len, size_t out_len)
{
	struct handle *h = state;
	struct fn *f = h->fn;

	(void)d;
	if (h->kind != H_CHANNEL || f->fn_fd < 0)
		return -EINVAL;
	switch (req->op_flags) {
	case PCID_CALL_INFO:
		if (out_len < sizeof(f->info))
			return -EINVAL;
		memcpy(buf, &f->info, sizeof(f->info));
		return (int)sizeof(f->info);
	case PCID_CALL_MASTER: {
		uint32_t on;

		if (in_len != sizeof(on))
			return -EINVAL;
		memcpy(&on, buf, sizeof(on));
		if (on > 1)
			return -EINVAL;
		if (ioctl(f->fn_fd, USCHEME_PIOC_MASTER, (unsigned long)on) < 0)
			return -errno;
		fnsay(f, "bus mastering %s for pid %u", on ? "on" : "off", req->pid);
		return 0;
	}
	case PCID_CALL_IRQ_SETUP: {
		struct uscheme_irq_setup s;
		uint32_t i, n;

		if (in_len != sizeof(s) || out_len < sizeof(s))
			return -EINVAL;
		memcpy(&s, buf, sizeof(s));
		if (ioctl(f->fn_fd, USCHEME_PIOC_IRQ_SETUP, &s) < 0)
			return -errno;
		n = s.nvec < IRQ_FDS_MAX ? s.nvec : IRQ_FDS_MAX;
		if (!f->irq_fd && n) {
			f->irq_fd = malloc(n * sizeof(*f->irq_fd));
			if (f->irq_fd) {
				for (i = 0; i < n; i++)
					f->irq_fd[i] = -1;
				f->nirq = n;
			}
		}
		fnsay(f, "interrupts: %s, %u vector%s, for pid %u",
		      s.mode == USCHEME_IRQ_MSIX ? "MSI-X" : s.mode == USCHEME_IRQ_MSI ? "MSI" :
		      s.mode == USCHEME_IRQ_INTX ? "INTx" : "?", s.nvec, s.nvec == 1 ? "" : "s",
		      req->pid);
		memcpy(buf, &s, sizeof(s));
		return (int)sizeof(s);
	}
	case PCID_CALL_CHILD_START: {
		struct pcid_child_req cr;
		char name[64];
		int err;

		if (in_len != sizeof(cr))
			return -EINVAL;
		memcpy(&cr, buf, sizeof(cr));
		name[0] = 0;
		err = child_start(f, &cr, name, sizeof(name));
		if (err || !out_len)
			return err;
		/* res = the output's bytes: the name with its NUL, cut to the room */
		if (out_len > strlen(name) + 1)
			out_len = strlen(name) + 1;
		memcpy(buf, name, out_len);
		((char *)buf)[out_len - 1] = 0;
		return (int)out_len;
	}
	case PCID_CALL_CHILD_STOP: {
		uint32_t port;

		if (in_len != sizeof(port))
			return -EINVAL;
		memcpy(&port, buf, sizeof(port));
		if (port > 255)
			return -EINVAL;
		return (int)children_stop(f, port, port ? "its device is gone" : "asked to");
	}
	}
	return -EINVAL;
}

static void p_close(struct us_daemon *d, void *state)
{
	(void)d;
	handle_free(state);
}

static const struct us_scheme_ops pci_ops = {
	.open = p_open,
	.read = p_read,
	.write = p_write,
	.fstat = p_fstat,
	.dup = p_dup,
	.call = p_call,
	.close = p_close,
};

/* ---- drivers ---- */

static void start_driver(struct fn *f);

static void on_timer(struct us_daemon *d, int fd, int events, void *ctx)
{
	struct fn *f = ctx;
	uint64_t n;

	(void)d;
	if (events < 0)
		return;
	while (read(fd, &n, sizeof(n)) == (ssize_t)sizeof(n))
		;
	if (f->drv == DRV_BACKOFF && !P.stopping)
		start_driver(f);
}

static int arm_timer(int fd, unsigned int ms)
{
	struct itimerspec its = { 0 };

	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
	if (!ms)
		its.it_value.tv_nsec = 1;	/* 0 would disarm it */
	return timerfd_settime(fd, 0, &its, NULL) ? -errno : 0;
}

/* The driver is gone (or never came up): restart it by its rule's policy. */
static void driver_ended(struct fn *f, bool failed)
{
	const struct pcid_rule *r = f->rule;
	unsigned int delay;
	int err;

	if (P.stopping) {
		f->drv = DRV_STOPPED;
		check_done();
		return;
	}
	if (r->restart == PCID_RESTART_NEVER ||
	    (r->restart == PCID_RESTART_ON_FAILURE && !failed)) {
		f->drv = DRV_STOPPED;
		fnsay(f, "not restarting it (restart=%s)", pcid_restart_name(r->restart));
		return;
	}
	if (f->restarts >= r->max_restarts) {
		f->drv = DRV_FAILED;
		fnsay(f, "giving up: %u restart%s in a row (max-restarts=%u)", f->restarts,
		      f->restarts == 1 ? "" : "s", r->max_restarts);
		return;
	}
	delay = r->backoff_ms;
	if (f->restarts) {
		unsigned int i;

		for (i = 0; i < f->restarts && delay < PCID_BACKOFF_MAX_MS; i++)
			delay *= 2;
		if (delay > PCID_BACKOFF_MAX_MS)
			delay = PCID_BACKOFF_MAX_MS;
	}
	f->restarts++;
	if (f->timerfd < 0) {
		f->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (f->timerfd < 0) {
			err = -errno;
			goto fail;
		}
		err = us_daemon_watch(&P.d, f->timerfd, USCHEME_EV_READ, on_timer, f);
		if (err) {
			close(f->timerfd);
			f->timerfd = -1;
			goto fail;
		}
	}
	err = arm_timer(f->timerfd, delay);
	if (err)
		goto fail;
	f->drv = DRV_BACKOFF;
	fnsay(f, "restarting it in %u ms (restart %u of at most %u, restart=%s)", delay,
	      f->restarts, r->max_restarts, pcid_restart_name(r->restart));
	return;
fail:
	f->drv = DRV_FAILED;
	fnsay(f, "cannot schedule a restart: %s", why(err));
}

static void describe_exit(const siginfo_t *si, char *buf, size_t len, bool *failed)
{
	if (si->si_code == CLD_EXITED) {
		snprintf(buf, len, "exited with status %d", si->si_status);
		*failed = si->si_status != 0;
	} else {
		snprintf(buf, len, "killed by signal %d (%s)%s", si->si_status,
			 strsignal(si->si_status), si->si_code == CLD_DUMPED ? ", core dumped" : "");
		*failed = true;
	}
}

static void on_child(struct us_daemon *d, int fd, int events, void *ctx)
{
	struct fn *f = ctx;
	siginfo_t si;
	bool failed;
	int64_t ran;

	if (events < 0)
		return;		/* unwatched: nothing more comes */
	memset(&si, 0, sizeof(si));
	if (waitid((idtype_t)P_PIDFD, (id_t)fd, &si, WEXITED | WNOHANG) < 0) {
		fnsay(f, "waitid on pid %d: %s", (int)f->pid, why(-errno));
		if (errno != ECHILD)
			return;
		si.si_code = CLD_KILLED;
		si.si_status = 0;
	} else if (si.si_pid == 0) {
		return;		/* not yet */
	}
	us_daemon_unwatch(d, fd);
	close(fd);
	f->pidfd = -1;
	ran = ms_since(&f->started);
	describe_exit(&si, f->last_exit, sizeof(f->last_exit), &failed);
	fnsay(f, "driver %s (pid %d) %s after %" PRId64 ".%03d s", f->driver_path,
	      (int)f->pid, f->last_exit, ran / 1000, (int)(ran % 1000));
	f->pid = 0;
	if (ran >= STABLE_MS)
		f->restarts = 0;
	children_stop(f, 0, "its driver ended");
	driver_ended(f, failed);
}

/*
 * The environment a driver gets: a few of ours, its channel and address,
 * and the description of its scheme ring (scheme_desc, or NULL).
 */
static char **driver_env(const struct fn *f, const char *scheme_desc)
{
	static const char *const keep[] = {
		"PATH", "TERM", "TZ", "LANG", "ASAN_OPTIONS", "UBSAN_OPTIONS",
		"LSAN_OPTIONS", NULL,
	};
	char **env = calloc(16, sizeof(*env));
	unsigned int n = 0, i;

	if (!env)
		return NULL;
	for (i = 0; keep[i]; i++) {
		const char *v = getenv(keep[i]);

		if (v && asprintf(&env[n], "%s=%s", keep[i], v) >= 0)
			n++;
	}
	if (!getenv("PATH") && asprintf(&env[n], "PATH=/usr/bin:/bin") >= 0)
		n++;
	if (asprintf(&env[n], "%s=%d", PCID_ENV_CHANNEL, PCID_CHANNEL_FD_NUM) >= 0)
		n++;
	if (asprintf(&env[n], "%s=%s", PCID_ENV_ADDRESS, f->addr) >= 0)
		n++;
	if (scheme_desc && asprintf(&env[n], "%s=%s", USCHEME_SCHEME, scheme_desc) < 0) {
		pcid_argv_free(env);	/* the driver cannot serve without it */
		return NULL;
	}
	return env;
}

/*
 * In a child about to exec a driver (a PCI function's, or a class driver):
 * signals back to their defaults, a session of its own; fd 3 = fd3, fd 4 =
 * fd4 when not -1, stdin on /dev/null, 1 and 2 kept, nothing else open
 * (both moved above 3 and 4 first: either may sit there now, where a dup2
 * would close it; dup2 leaves the copies inheritable); then groups, gid and
 * uid (which drops every capability), checked, and no_new_privs.
 * 0, or -1 with errno set.
 */
static int child_become(int fd3, int fd4, uid_t uid, gid_t gid)
{
	int top = fd4 >= 0 ? 4 : 3;
	sigset_t none;
	int nul;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setsid();
	fd3 = fcntl(fd3, F_DUPFD_CLOEXEC, top + 1);
	if (fd3 < 0)
		return -1;
	if (fd4 >= 0) {
		fd4 = fcntl(fd4, F_DUPFD_CLOEXEC, top + 1);
		if (fd4 < 0)
			return -1;
	}
	if (dup2(fd3, 3) < 0 || (fd4 >= 0 && dup2(fd4, 4) < 0))
		return -1;
	nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (nul >= 0 && nul != STDIN_FILENO)
		dup2(nul, STDIN_FILENO);
	if (syscall(SYS_close_range, top + 1, ~0U, 0) < 0) {
		int fd;

		for (fd = top + 1; fd < 65536; fd++)
			close(fd);
	}
	if (setgroups(0, NULL) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid))
		return -1;
	if (getuid() != uid || geteuid() != uid || getegid() != gid) {
		errno = EPERM;
		return -1;
	}
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

/*
 * In the child: become the driver, its channel at fd 3 and its scheme ring
 * (ringfd; else -1) at fd 4. Never returns.
 */
static void __attribute__((noreturn)) exec_driver(const struct fn *f, int chfd, int ringfd,
						   char **argv, char **env)
{
	if (child_become(chfd, ringfd, f->rule->uid, f->rule->gid) == 0)
		execve(argv[0], argv, env);
	fprintf(stderr, "%s: %s: cannot start driver %s: %s\n", prog, f->addr, argv[0],
		why(-errno));
	_exit(127);
}

static void spawn_complete(struct us_reactor *rx, struct us_op *op,
			   const struct uscheme_cqe *cqe)
{
	struct fn *f = op->ctx;
	char **argv = NULL, **env = NULL, cmd[512], desc[US_RING_DESC_MAX], sch[160];
	int chfd = cqe->res, err, pidfd;
	struct us_ring ring = { .fd = -1 };
	unsigned int i;
	size_t clen = 0;
	pid_t pid;

	(void)rx;
	if (P.stopping) {
		if (chfd >= 0)
			close(chfd);
		f->drv = DRV_STOPPED;
		check_done();
		return;
	}
	if (chfd < 0) {
		snprintf(f->last_exit, sizeof(f->last_exit), "cannot open its channel: %s",
			 errname(chfd));
		fnsay(f, "cannot open %s: %s", f->spawn_path, why(chfd));
		driver_ended(f, true);
		return;
	}
	sch[0] = 0;
	if (f->scheme[0]) {
		/*
		 * Its scheme: set up and registered here (the driver could not:
		 * CAP_SYS_ADMIN), served there. A name still taken (by a driver
		 * that is not quite gone, or anyone) fails this start.
		 */
		err = us_scheme_init(&ring, f->scheme, PCID_SCHEME_SQ_ENTRIES,
				     f->rule->scheme_data);
		if (err) {
			close(chfd);
			snprintf(f->last_exit, sizeof(f->last_exit),
				 "cannot register scheme %s: %s", f->scheme, errname(err));
			fnsay(f, "cannot register scheme %s for its driver: %s%s", f->scheme,
			      why(err), err == -EEXIST ? " (the name is taken)" : "");
			driver_ended(f, true);
			return;
		}
		err = us_ring_describe(&ring, PCID_SCHEME_FD_NUM, f->scheme, desc, sizeof(desc));
		if (err < 0)
			goto fail;
		snprintf(sch, sizeof(sch), ", scheme %s on fd %d", f->scheme, PCID_SCHEME_FD_NUM);
	}
	argv = pcid_rule_argv(f->rule, f->driver_path, f->addr, PCID_CHANNEL_FD_NUM);
	env = driver_env(f, f->scheme[0] ? desc : NULL);
	if (!argv || !env) {
		err = -ENOMEM;
		goto fail;
	}
	cmd[0] = 0;
	for (i = 0; argv[i] && clen < sizeof(cmd); i++)
		clen += (size_t)snprintf(cmd + clen, sizeof(cmd) - clen, "%s%s", i ? " " : "",
					 argv[i]);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		err = -errno;
		goto fail;
	}
	if (pid == 0)
		exec_driver(f, chfd, ring.fd, argv, env);
	close(chfd);
	chfd = -1;
	/* The driver's now: with our copy closed, its death frees the name. */
	us_ring_exit(&ring);
	f->pid = pid;
	f->starts++;
	clock_gettime(CLOCK_MONOTONIC, &f->started);
	pidfd = (int)pidfd_open_sys(pid);
	if (pidfd < 0) {
		err = -errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		goto fail;
	}
	fcntl(pidfd, F_SETFD, FD_CLOEXEC);
	f->pidfd = pidfd;
	f->drv = DRV_RUNNING;
	err = us_daemon_watch(&P.d, pidfd, USCHEME_EV_READ, on_child, f);
	if (err) {
		pidfd_signal(pidfd, SIGKILL);
		waitid((idtype_t)P_PIDFD, (id_t)pidfd, &(siginfo_t){ 0 }, WEXITED);
		close(pidfd);
		f->pidfd = -1;
		goto fail;
	}
	fnsay(f, "started driver (pid %d, uid %u, gid %u%s): %s", (int)pid,
	      (unsigned int)f->rule->uid, (unsigned int)f->rule->gid, sch, cmd);
	pcid_argv_free(argv);
	pcid_argv_free(env);
	return;
fail:
	if (chfd >= 0)
		close(chfd);
	if (ring.fd >= 0)
		us_ring_exit(&ring);
	pcid_argv_free(argv);
	pcid_argv_free(env);
	snprintf(f->last_exit, sizeof(f->last_exit), "could not be started: %s", errname(err));
	fnsay(f, "cannot start driver %s: %s", f->driver_path, why(err));
	f->drv = DRV_FAILED;
}

static void children_config_load(struct fn *f);

static void start_driver(struct fn *f)
{
	int err;

	children_config_load(f);
	f->drv = DRV_STARTING;
	f->spawn_op.complete = spawn_complete;
	f->spawn_op.ctx = f;
	snprintf(f->spawn_path, sizeof(f->spawn_path), "%s:%s/channel", P.d.name, f->addr);
	err = submit_open(&f->spawn_op, f->spawn_path, O_RDWR | O_CLOEXEC);
	if (err) {
		fnsay(f, "cannot open %s: %s", f->spawn_path, why(err));
		driver_ended(f, true);
	}
}

/* ---- startup and shutdown ---- */

/* rule->driver as a path: absolute; relative to the config file; next to pcid; in PATH. */
static char *resolve_driver_in(const char *drv, const char *config_path)
{
	char buf[PATH_MAX];
	const char *path;

	if (drv[0] == '/')
		return access(drv, X_OK) ? NULL : strdup(drv);
	if (strchr(drv, '/')) {
		const char *slash = strrchr(config_path, '/');

		if (slash)
			snprintf(buf, sizeof(buf), "%.*s/%s", (int)(slash - config_path),
				 config_path, drv);
		else
			snprintf(buf, sizeof(buf), "%s", drv);
		if (buf[0] != '/') {
			char cwd[PATH_MAX], full[PATH_MAX];

			if (getcwd(cwd, sizeof(cwd)) &&
			    (size_t)snprintf(full, sizeof(full), "%s/%s", cwd, buf) < sizeof(full))
				return access(full, X_OK) ? NULL : strdup(full);
		}
		return access(buf, X_OK) ? NULL : strdup(buf);
	}
	if (P.exe_dir[0] &&
	    (size_t)snprintf(buf, sizeof(buf), "%s/%s", P.exe_dir, drv) < sizeof(buf) &&
	    !access(buf, X_OK))
		return strdup(buf);
	path = getenv("PATH");
	while (path && *path) {
		size_t n = strcspn(path, ":");

		if (n && (size_t)snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, path, drv) <
			 sizeof(buf) && !access(buf, X_OK))
			return strdup(buf);
		path += n;
		if (*path == ':')
			path++;
	}
	return NULL;
}

static char *resolve_driver(const char *drv)
{
	return resolve_driver_in(drv, P.config_path);
}

/* ---- children (child-config=, PCID_CALL_CHILD_START) ---- */

static void ccfg_put(struct child_cfg *c)
{
	if (c && !--c->refs) {
		pcid_config_free(&c->cfg);
		free(c);
	}
}

/* At each start of f's driver: its rule's child-config, read anew. */
static void children_config_load(struct fn *f)
{
	const char *file = f->rule->child_config;
	struct child_cfg *c;
	char err[512];

	ccfg_put(f->ccfg);
	f->ccfg = NULL;
	if (!file)
		return;
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	if (file[0] == '/') {
		snprintf(c->path, sizeof(c->path), "%s", file);
	} else {
		const char *slash = strrchr(P.config_path, '/');

		snprintf(c->path, sizeof(c->path), "%.*s%s%s",
			 slash ? (int)(slash - P.config_path) : 0, P.config_path, slash ? "/" : "",
			 file);
	}
	if (pcid_config_load(c->path, &c->cfg, err, sizeof(err))) {
		fnsay(f, "bad child-config: %s: its driver's children are refused", err);
		free(c);
		return;
	}
	c->refs = 1;
	f->ccfg = c;
	fnsay(f, "children's rules from %s: %u rule%s", c->path, c->cfg.nrules,
	      c->cfg.nrules == 1 ? "" : "s");
}

static void child_free(struct child *c)
{
	struct fn *f = c->fn;
	struct child **pp;

	for (pp = &f->children; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			f->nchildren--;
			f->child_data -= c->data;
			break;
		}
	}
	if (c->pidfd >= 0) {
		us_daemon_unwatch(&P.d, c->pidfd);
		close(c->pidfd);
	}
	if (c->timerfd >= 0) {
		us_daemon_unwatch(&P.d, c->timerfd);
		close(c->timerfd);
	}
	free(c->driver_path);
	ccfg_put(c->ccfg);
	free(c);
	check_done();
}

static void child_open(struct child *c);

/*
 * sig to a running child and its process group (it is a session and group
 * leader: setsid in exec_child; not reaped yet, so its pid is still its
 * group's). What left the group (its own setsid) is not reached.
 */
static void child_kill(struct child *c, int sig)
{
	if (c->pid <= 0)
		return;
	if (c->pidfd >= 0)
		pidfd_signal(c->pidfd, sig);
	kill(-c->pid, sig);
}

/*
 * The stop-timeout: a stopped child still running then gets SIGKILL. One
 * timer for all (P.kill_timerfd, watched from the start: a watch added
 * here, inside a callback, could run other callbacks that free c).
 */
static void child_stop_timer(struct child *c)
{
	struct itimerspec cur;

	clock_gettime(CLOCK_MONOTONIC, &c->stopped);
	c->stopping = true;
	/* armed already: for an earlier child, whose turn re-arms it for this one */
	if (P.kill_timerfd >= 0 && !timerfd_gettime(P.kill_timerfd, &cur) &&
	    (cur.it_value.tv_sec || cur.it_value.tv_nsec))
		return;
	if (P.kill_timerfd < 0 || arm_timer(P.kill_timerfd, P.cfg.stop_timeout_ms)) {
		fnsay(c->fn, "%s: no stop timer for class driver %s: SIGKILL now", c->label,
		      c->rule->driver);
		child_kill(c, SIGKILL);
	}
}

/* Stopped children still running stop-timeout after SIGTERM: SIGKILL to their groups. */
static void on_kill_timer(struct us_daemon *d, int fd, int events, void *ctx)
{
	int64_t next = -1;
	unsigned int i;
	uint64_t n;

	(void)d;
	(void)ctx;
	if (events < 0)
		return;
	while (read(fd, &n, sizeof(n)) == (ssize_t)sizeof(n))
		;
	for (i = 0; i < P.nfns; i++) {
		struct child *c;

		for (c = P.fns[i]->children; c; c = c->next) {
			int64_t ran, left;

			if (!c->stopping || c->st != DRV_RUNNING || c->pid <= 0)
				continue;
			ran = ms_since(&c->stopped);
			left = (int64_t)P.cfg.stop_timeout_ms - ran;
			if (left > 0) {
				if (next < 0 || left < next)
					next = left;
				continue;
			}
			fnsay(c->fn, "%s: class driver %s (pid %d) still running %u ms after SIGTERM: "
			      "SIGKILL to its process group", c->label, c->rule->driver, (int)c->pid,
			      P.cfg.stop_timeout_ms);
			child_kill(c, SIGKILL);
			c->stopping = false;
		}
	}
	if (next >= 0)
		arm_timer(fd, (unsigned int)next);
}

static void on_child_timer(struct us_daemon *d, int fd, int events, void *ctx)
{
	struct child *c = ctx;
	uint64_t n;

	(void)d;
	if (events < 0)
		return;
	while (read(fd, &n, sizeof(n)) == (ssize_t)sizeof(n))
		;
	if (c->st == DRV_BACKOFF && !c->stop && !P.stopping)
		child_open(c);
}

/* The child is gone (or never came up): restart it by its rule, or let it go. */
static void child_ended(struct child *c, bool failed)
{
	const struct pcid_rule *r = c->rule;
	unsigned int delay, i;
	int err;

	if (c->stop || P.stopping || c->fn->drv != DRV_RUNNING ||
	    r->restart == PCID_RESTART_NEVER || (r->restart == PCID_RESTART_ON_FAILURE && !failed)) {
		child_free(c);
		return;
	}
	if (c->restarts >= r->max_restarts) {
		fnsay(c->fn, "%s: giving up on class driver %s: %u restart%s in a row", c->label,
		      r->driver, c->restarts, c->restarts == 1 ? "" : "s");
		child_free(c);
		return;
	}
	delay = r->backoff_ms;
	for (i = 0; i < c->restarts && delay < PCID_BACKOFF_MAX_MS; i++)
		delay *= 2;
	if (delay > PCID_BACKOFF_MAX_MS)
		delay = PCID_BACKOFF_MAX_MS;
	c->restarts++;
	if (c->timerfd < 0) {
		c->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (c->timerfd < 0 ||
		    us_daemon_watch(&P.d, c->timerfd, USCHEME_EV_READ, on_child_timer, c)) {
			if (c->timerfd >= 0)
				close(c->timerfd);
			c->timerfd = -1;
			fnsay(c->fn, "%s: cannot schedule a restart of %s", c->label, r->driver);
			child_free(c);
			return;
		}
	}
	err = arm_timer(c->timerfd, delay);
	if (err) {
		fnsay(c->fn, "%s: cannot schedule a restart of %s: %s", c->label, r->driver, why(err));
		child_free(c);
		return;
	}
	c->st = DRV_BACKOFF;
	fnsay(c->fn, "%s: restarting class driver %s in %u ms", c->label, r->driver, delay);
}

static void on_child_exit(struct us_daemon *d, int fd, int events, void *ctx)
{
	struct child *c = ctx;
	char how[96];
	siginfo_t si;
	bool failed;
	int64_t ran;

	if (events < 0)
		return;
	memset(&si, 0, sizeof(si));
	/*
	 * Exited, not reaped yet: what is left in its process group (a
	 * grandchild keeping its handle or its scheme ring) goes too.
	 */
	if (c->pid > 0 && !waitid((idtype_t)P_PIDFD, (id_t)fd, &si, WEXITED | WNOHANG | WNOWAIT) &&
	    si.si_pid)
		kill(-c->pid, SIGKILL);
	memset(&si, 0, sizeof(si));
	if (waitid((idtype_t)P_PIDFD, (id_t)fd, &si, WEXITED | WNOHANG) < 0) {
		if (errno != ECHILD)
			return;
		si.si_code = CLD_KILLED;
		si.si_status = 0;
	} else if (si.si_pid == 0) {
		return;
	}
	us_daemon_unwatch(d, fd);
	close(fd);
	c->pidfd = -1;
	ran = ms_since(&c->started);
	describe_exit(&si, how, sizeof(how), &failed);
	fnsay(c->fn, "%s: class driver %s (pid %d) %s after %" PRId64 ".%03d s", c->label,
	      c->rule->driver, (int)c->pid, how, ran / 1000, (int)(ran % 1000));
	c->pid = 0;
	if (ran >= STABLE_MS)
		c->restarts = 0;
	child_ended(c, failed);
}

/*
 * In the child: become the class driver, its handle at fd 3 and, for a rule
 * with scheme=, its scheme ring at fd 4 (ringfd; else -1). Never returns.
 */
static void __attribute__((noreturn)) exec_child(const struct child *c, int hfd, int ringfd,
						  char **argv, char **env)
{
	if (child_become(hfd, ringfd, c->uid, c->gid) == 0)
		execve(argv[0], argv, env);
	fprintf(stderr, "%s: %s: %s: cannot start class driver %s: %s\n", prog, c->fn->addr,
		c->label, argv[0], why(-errno));
	_exit(127);
}

static char **child_env(const struct child *c, const char *scheme_desc)
{
	static const char *const keep[] = {
		"PATH", "TERM", "TZ", "LANG", "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", NULL,
	};
	char **env = calloc(16, sizeof(*env));
	unsigned int n = 0, i;

	if (!env)
		return NULL;
	for (i = 0; keep[i]; i++) {
		const char *v = getenv(keep[i]);

		if (v && asprintf(&env[n], "%s=%s", keep[i], v) >= 0)
			n++;
	}
	if (!getenv("PATH") && asprintf(&env[n], "PATH=/usr/bin:/bin") >= 0)
		n++;
	if (asprintf(&env[n], "USB_PORT_FD=3") >= 0)
		n++;
	if (asprintf(&env[n], "USB_PORT=%s", c->address) >= 0)
		n++;
	if (c->iface >= 0 && asprintf(&env[n], "USB_INTERFACE=%d", c->iface) >= 0)
		n++;
	if (scheme_desc && asprintf(&env[n], "%s=%s", USCHEME_SCHEME, scheme_desc) >= 0)
		n++;
	return env;
}

static void child_opened(struct us_reactor *rx, struct us_op *op, const struct uscheme_cqe *cqe)
{
	struct child *c = op->ctx;
	struct fn *f = c->fn;
	char **argv = NULL, **env = NULL;
	char sname[USCHEME_NAME_MAX] = "", desc[US_RING_DESC_MAX];
	struct us_ring ring = { .fd = -1 };
	int hfd = cqe->res, pidfd;
	pid_t pid;

	(void)rx;
	if (c->stop || P.stopping || f->drv != DRV_RUNNING) {
		if (hfd >= 0)
			close(hfd);
		child_free(c);
		return;
	}
	if (hfd < 0) {
		fnsay(f, "%s: cannot open %s for class driver %s: %s", c->label, c->path,
		      c->rule->driver, why(hfd));
		if (hfd == -ENODEV || hfd == -ENOENT || hfd == -ESTALE) {
			child_free(c);	/* its device is gone */
			return;
		}
		child_ended(c, true);
		return;
	}
	if (c->rule->scheme) {
		/*
		 * A rule with scheme=: its scheme, set up and registered here (the
		 * class driver could not: CAP_SYS_ADMIN), {address} the child's
		 * (usb.0000-00-04.0:1, ':' as '-'), ".iN" after it for an
		 * interface other than 0; served there, inherited at fd 4.
		 */
		int err = pcid_rule_scheme(c->rule, c->address, sname, sizeof(sname));

		if (!err && c->iface > 0) {
			size_t l = strlen(sname);
			int m = snprintf(sname + l, sizeof(sname) - l, ".i%d", c->iface);

			if (m < 0 || (size_t)m >= sizeof(sname) - l || l + (size_t)m >= USCHEME_NAME_MAX)
				err = -EINVAL;
		}
		if (!err)
			err = us_scheme_init(&ring, sname, PCID_SCHEME_SQ_ENTRIES,
					     c->rule->scheme_data);
		if (err) {
			fnsay(f, "%s: cannot register scheme %s for class driver %s: %s%s", c->label,
			      sname[0] ? sname : c->rule->scheme, c->rule->driver, why(err),
			      err == -EEXIST ? " (the name is taken)" : "");
			close(hfd);
			child_ended(c, true);
			return;
		}
		if (us_ring_describe(&ring, PCID_SCHEME_FD_NUM, sname, desc, sizeof(desc)) < 0)
			goto fail;
	}
	argv = pcid_rule_argv(c->rule, c->driver_path, c->address, 3);
	env = child_env(c, ring.fd >= 0 ? desc : NULL);
	if (!argv || !env)
		goto fail;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		goto fail;
	if (pid == 0)
		exec_child(c, hfd, ring.fd, argv, env);
	close(hfd);
	hfd = -1;
	/* The class driver's now: with our copy closed, its death frees the name. */
	if (ring.fd >= 0)
		us_ring_exit(&ring);
	pcid_argv_free(argv);
	pcid_argv_free(env);
	c->pid = pid;
	clock_gettime(CLOCK_MONOTONIC, &c->started);
	pidfd = (int)pidfd_open_sys(pid);
	if (pidfd < 0 || us_daemon_watch(&P.d, pidfd, USCHEME_EV_READ, on_child_exit, c)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		if (pidfd >= 0)
			close(pidfd);
		fnsay(f, "%s: cannot watch class driver %s (pid %d): stopped", c->label,
		      c->rule->driver, (int)pid);
		child_free(c);
		return;
	}
	fcntl(pidfd, F_SETFD, FD_CLOEXEC);
	c->pidfd = pidfd;
	c->st = DRV_RUNNING;
	fnsay(f, "%s: started class driver %s (pid %d, uid %u, gid %u) with %s%s%s: %s", c->label,
	      c->rule->driver, (int)pid, (unsigned int)c->uid, (unsigned int)c->gid,
	      c->path, sname[0] ? ", scheme " : "", sname, c->driver_path);
	return;
fail:
	if (hfd >= 0)
		close(hfd);
	if (ring.fd >= 0)
		us_ring_exit(&ring);
	pcid_argv_free(argv);
	pcid_argv_free(env);
	fnsay(f, "%s: cannot start class driver %s: %s", c->label, c->rule->driver,
	      why(-ENOMEM));
	child_ended(c, true);
}

static void child_open(struct child *c)
{
	int err;

	c->st = DRV_STARTING;
	c->op.complete = child_opened;
	c->op.ctx = c;
	err = submit_open(&c->op, c->path, O_RDWR | O_CLOEXEC);
	if (err) {
		fnsay(c->fn, "%s: cannot open %s: %s", c->label, c->path, why(err));
		child_ended(c, true);
	}
}

/* Does a driver (of any function, not stopped) or a child (of any driver) run as uid? */
static bool uid_taken(uid_t uid)
{
	unsigned int i;

	for (i = 0; i < P.nfns; i++) {
		const struct fn *f = P.fns[i];
		const struct child *c;

		if (f->rule && f->rule->uid == uid &&
		    (f->drv == DRV_STARTING || f->drv == DRV_RUNNING || f->drv == DRV_BACKOFF))
			return true;
		for (c = f->children; c; c = c->next)
			if (c->uid == uid)
				return true;
	}
	return false;
}

/* PCID_CALL_CHILD_START from f's driver. */
static int child_start(struct fn *f, const struct pcid_child_req *req, char *name, size_t nlen)
{
	const struct pcid_rule *r;
	struct child *c, *o;
	uint64_t data;
	uid_t uid;
	gid_t gid;
	char *path;

	if (req->resv[0] || req->resv[1] || !req->port || req->port > 255 || req->iface < -1 ||
	    req->iface > 31 || req->class_code > 0xffffff)
		return -EINVAL;
	if (!f->ccfg || !f->scheme[0] || f->drv != DRV_RUNNING)
		return -EPERM;
	r = pcid_config_match(&f->ccfg->cfg, req->vendor, req->device, req->class_code);
	if (!r)
		return -ENOENT;
	if (name && nlen)
		snprintf(name, nlen, "%s", r->driver);
	for (o = f->children; o; o = o->next)
		if (o->port == req->port && o->iface == req->iface && !o->stop)
			return -EEXIST;
	/*
	 * A uid of its own: a driver's would let the child signal it (or
	 * ptrace it), another child's the same; 65534 is any local user's.
	 */
	if (r->uid_count) {
		unsigned int i;

		for (i = 0; i < r->uid_count && uid_taken(r->uid_base + i); i++)
			;
		if (i == r->uid_count) {
			fnsay(f, "port %u: child rule %s:%u: every uid of its user-range (%u-%u) is "
			      "taken: refused", req->port, f->ccfg->path, r->line,
			      (unsigned int)r->uid_base, r->uid_count);
			return -EBUSY;
		}
		uid = r->uid_base + i;
		gid = (gid_t)uid;
	} else {
		uid = r->uid;
		gid = r->gid;
		if (uid == PCID_DEFAULT_UID || gid == PCID_DEFAULT_GID) {
			fnsay(f, "port %u: child rule %s:%u runs as uid/gid %u/%u, nobody's (any "
			      "local user's): refused (give it user-range=)", req->port,
			      f->ccfg->path, r->line, (unsigned int)uid, (unsigned int)gid);
			return -EPERM;
		}
		if (uid == f->rule->uid) {
			fnsay(f, "port %u: child rule %s:%u runs as uid %u, its driver's own: refused",
			      req->port, f->ccfg->path, r->line, (unsigned int)uid);
			return -EPERM;
		}
		if (uid_taken(uid)) {
			fnsay(f, "port %u: child rule %s:%u runs as uid %u, which a driver or another "
			      "child runs as: refused (give it user-range=)", req->port,
			      f->ccfg->path, r->line, (unsigned int)uid);
			return -EBUSY;
		}
	}
	if (f->nchildren >= PCID_CHILDREN_MAX)
		return -ENOSPC;
	/*
	 * Its scheme's data area is kernel memory pcid (root) pins for it, at
	 * the driver's asking: within the driver's child-data-max, together.
	 */
	data = r->scheme ? (r->scheme_data ? r->scheme_data : USCHEME_DATA_DEFAULT) : 0;
	if (data && (f->child_data + data > f->rule->child_data_max)) {
		fnsay(f, "port %u: class driver %s: its scheme's data area (%" PRIu64 " KiB) would "
		      "take its children's over child-data-max (%" PRIu64 " of %" PRIu64
		      " KiB in use): refused", req->port, r->driver, data >> 10,
		      f->child_data >> 10, f->rule->child_data_max >> 10);
		return -ENOSPC;
	}
	path = resolve_driver_in(r->driver, f->ccfg->path);
	if (!path) {
		fnsay(f, "port %u: class driver '%s' (%s:%u) is not an executable file: not started",
		      req->port, r->driver, f->ccfg->path, r->line);
		return -ENOEXEC;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		free(path);
		return -ENOMEM;
	}
	c->fn = f;
	c->uid = uid;
	c->gid = gid;
	c->data = data;
	f->child_data += data;
	c->ccfg = f->ccfg;
	c->ccfg->refs++;
	c->rule = r;
	c->driver_path = path;
	c->port = req->port;
	c->iface = req->iface;
	c->pidfd = -1;
	c->timerfd = -1;
	snprintf(c->address, sizeof(c->address), "%s:%u", f->scheme, c->port);
	if (c->iface < 0) {
		snprintf(c->path, sizeof(c->path), "%s", c->address);
		snprintf(c->label, sizeof(c->label), "port %u", c->port);
	} else {
		snprintf(c->path, sizeof(c->path), "%s/if%d", c->address, c->iface);
		snprintf(c->label, sizeof(c->label), "port %u interface %d", c->port, c->iface);
	}
	c->next = f->children;
	f->children = c;
	f->nchildren++;
	child_open(c);
	return 0;
}

/* SIGTERM to f's children of port (0: all), none restarted. How many were told. */
static unsigned int children_stop(struct fn *f, unsigned int port, const char *why_text)
{
	struct child *c, *next;
	unsigned int n = 0;

	for (c = f->children; c; c = next) {
		next = c->next;
		if ((port && c->port != port) || c->stop)
			continue;
		c->stop = true;
		n++;
		switch (c->st) {
		case DRV_RUNNING:
			fnsay(f, "%s: %s: stopping class driver %s (pid %d)", c->label, why_text,
			      c->rule->driver, (int)c->pid);
			child_kill(c, SIGTERM);
			child_stop_timer(c);
			break;
		case DRV_STARTING:
			break;		/* freed when its open completes */
		default:
			child_free(c);
			break;
		}
	}
	return n;
}


/* Match every function against the config: fns[], with rule and driver path. */
static int load_functions(bool quiet)
{
	struct pci_func *v;
	unsigned int n, i;
	int err = pci_enumerate(P.sysfs, &v, &n);

	if (err) {
		say("cannot list PCI functions in %s/bus/pci/devices: %s", P.sysfs, why(err));
		return err;
	}
	for (i = 0; i < n; i++) {
		struct fn *f = fn_add(&v[i]);

		if (!f) {
			free(v);
			return -ENOMEM;
		}
		f->rule = pcid_config_match(&P.cfg, v[i].vendor, v[i].device, v[i].class_code);
		if (f->rule && f->rule->scheme &&
		    pcid_rule_scheme(f->rule, f->addr, f->scheme, sizeof(f->scheme)) && !quiet)
			fnsay(f, "scheme '%s' of %s:%u gives no valid scheme name for it",
			      f->rule->scheme, P.config_path, f->rule->line);
		if (f->rule) {
			f->driver_path = resolve_driver(f->rule->driver);
			if (!f->driver_path && !quiet)
				fnsay(f, "%04x:%04x %06x matches %s:%u, but its driver '%s' is not "
				      "an executable file (absolute, relative to the config, next "
				      "to pcid, or in PATH)", v[i].vendor, v[i].device,
				      v[i].class_code, P.config_path, f->rule->line, f->rule->driver);
		}
	}
	free(v);
	return 0;
}

static void start_all(void)
{
	unsigned int i;

	for (i = 0; i < P.nfns; i++) {
		struct fn *f = P.fns[i];
		char was[64];
		int err;

		if (!f->rule)
			continue;
		if (!f->driver_path) {
			f->drv = DRV_FAILED;
			snprintf(f->last_exit, sizeof(f->last_exit), "driver not found");
			continue;
		}
		if (f->rule->scheme && !f->scheme[0]) {
			f->drv = DRV_FAILED;
			snprintf(f->last_exit, sizeof(f->last_exit), "bad scheme name");
			continue;
		}
		err = pci_bind_stub(P.sysfs, f->addr, was, sizeof(was));
		if (err) {
			f->drv = DRV_FAILED;
			snprintf(f->last_exit, sizeof(f->last_exit), "cannot bind: %s", errname(err));
			if (err == -ENODEV)
				fnsay(f, "cannot bind to %s: no such PCI driver (does this "
				      "uscheme.ko have device services?)", PCID_STUB_DRIVER);
			else
				fnsay(f, "cannot bind to %s (it had driver %s): %s",
				      PCID_STUB_DRIVER, was, why(err));
			continue;
		}
		f->managed = true;
		if (!strcmp(was, PCID_STUB_DRIVER))
			fnsay(f, "%04x:%04x %06x: already bound to %s (config line %u)", f->id.vendor,
			      f->id.device, f->id.class_code, PCID_STUB_DRIVER, f->rule->line);
		else
			fnsay(f, "%04x:%04x %06x: bound to %s (had driver %s; config line %u)",
			      f->id.vendor, f->id.device, f->id.class_code, PCID_STUB_DRIVER, was,
			      f->rule->line);
		start_driver(f);
	}
}

static bool busy(void)
{
	unsigned int i;

	if (P.pending)
		return true;
	for (i = 0; i < P.nfns; i++)
		if (P.fns[i]->drv == DRV_RUNNING || P.fns[i]->drv == DRV_STARTING ||
		    P.fns[i]->children)
			return true;
	return false;
}

static void check_done(void)
{
	if (P.stopping && !busy())
		us_daemon_stop(&P.d);
}

static void on_stop_timer(struct us_daemon *d, int fd, int events, void *ctx)
{
	uint64_t n;
	unsigned int i;

	(void)d;
	(void)ctx;
	if (events < 0)
		return;
	while (read(fd, &n, sizeof(n)) == (ssize_t)sizeof(n))
		;
	for (i = 0; i < P.nfns; i++) {
		struct fn *f = P.fns[i];
		struct child *c;

		if (f->drv == DRV_RUNNING && f->pidfd >= 0) {
			fnsay(f, "driver (pid %d) still running after %u ms: SIGKILL", (int)f->pid,
			      P.cfg.stop_timeout_ms);
			pidfd_signal(f->pidfd, SIGKILL);
		}
		for (c = f->children; c; c = c->next) {
			if (c->st == DRV_RUNNING && c->pidfd >= 0) {
				fnsay(f, "%s: class driver (pid %d) still running after %u ms: SIGKILL",
				      c->label, (int)c->pid, P.cfg.stop_timeout_ms);
				child_kill(c, SIGKILL);
			}
		}
	}
}

static void stop_all(int sig)
{
	unsigned int i, n = 0;

	if (P.stopping) {
		say("%s again: still waiting for drivers to stop", strsignal(sig));
		return;
	}
	P.stopping = true;
	P.stop_signal = sig;
	for (i = 0; i < P.nfns; i++) {
		struct fn *f = P.fns[i];

		if (f->drv == DRV_BACKOFF) {
			f->drv = DRV_STOPPED;
			if (f->timerfd >= 0)	/* disarm */
				timerfd_settime(f->timerfd, 0, &(struct itimerspec){ 0 }, NULL);
		}
		if (f->drv == DRV_RUNNING && f->pidfd >= 0) {
			pidfd_signal(f->pidfd, SIGTERM);
			n++;
		}
		n += children_stop(f, 0, "pcid is stopping");
	}
	say("stopping on %s: %u driver%s to stop", strsignal(sig), n, n == 1 ? "" : "s");
	if (busy()) {
		P.stop_timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (P.stop_timerfd >= 0 &&
		    (us_daemon_watch(&P.d, P.stop_timerfd, USCHEME_EV_READ, on_stop_timer, NULL) ||
		     arm_timer(P.stop_timerfd, P.cfg.stop_timeout_ms))) {
			close(P.stop_timerfd);
			P.stop_timerfd = -1;
		}
		if (P.stop_timerfd < 0)
			on_stop_timer(&P.d, -1, -1, NULL);
	}
	check_done();
}

static void on_signalfd(struct us_daemon *d, int fd, int events, void *ctx)
{
	struct signalfd_siginfo si;

	(void)d;
	(void)ctx;
	if (events < 0)
		return;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		stop_all((int)si.ssi_signo);
}

static int watch_signals(void)
{
	sigset_t set;
	int err;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	P.sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (P.sigfd < 0)
		return -errno;
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	err = us_daemon_watch(&P.d, P.sigfd, USCHEME_EV_READ, on_signalfd, NULL);
	if (err)
		return err;
	P.kill_timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (P.kill_timerfd < 0)
		return -errno;
	return us_daemon_watch(&P.d, P.kill_timerfd, USCHEME_EV_READ, on_kill_timer, NULL);
}

/* Every function pcid bound: its files closed, given back to the kernel. */
static void release_all(void)
{
	unsigned int i;

	drain_close_later(true);
	for (i = 0; i < P.nfns; i++) {
		struct fn *f = P.fns[i];
		char now[64];
		int err;

		if (f->fn_fd >= 0 || f->ch != CH_FREE)
			channel_release(f);
		drain_close_later(true);
		if (!f->managed)
			continue;
		err = pci_release_stub(P.sysfs, f->addr, now, sizeof(now));
		if (err)
			fnsay(f, "cannot give it back: %s (driver now %s)", why(err), now);
		else
			fnsay(f, "given back (driver now %s)", now);
	}
}

/* After a failed loop: no driver may outlive pcid's bookkeeping. */
static void kill_all(void)
{
	unsigned int i;

	for (i = 0; i < P.nfns; i++) {
		struct fn *f = P.fns[i];
		struct child *c;

		if (f->pidfd >= 0) {
			pidfd_signal(f->pidfd, SIGKILL);
			waitid((idtype_t)P_PIDFD, (id_t)f->pidfd, &(siginfo_t){ 0 }, WEXITED);
		}
		for (c = f->children; c; c = c->next) {
			if (c->pidfd >= 0) {
				pidfd_signal(c->pidfd, SIGKILL);
				waitid((idtype_t)P_PIDFD, (id_t)c->pidfd, &(siginfo_t){ 0 }, WEXITED);
			}
		}
	}
}

static void free_all(void)
{
	unsigned int i;

	for (i = 0; i < P.nfns; i++) {
		struct fn *f = P.fns[i];

		if (f->pidfd >= 0)
			close(f->pidfd);
		if (f->timerfd >= 0)
			close(f->timerfd);
		while (f->children) {	/* only after a failed loop, or ended ones' leftovers */
			struct child *c = f->children;

			f->children = c->next;
			if (c->pidfd >= 0)
				close(c->pidfd);
			if (c->timerfd >= 0)
				close(c->timerfd);
			free(c->driver_path);
			ccfg_put(c->ccfg);
			free(c);
		}
		ccfg_put(f->ccfg);
		free(f->irq_fd);
		free(f->driver_path);
		free(f);
	}
	free(P.fns);
	P.fns = NULL;
	P.nfns = 0;
	free(P.close_later);
	P.close_later = NULL;
	while (P.pendings) {	/* only after a failed loop: their ring is gone */
		struct pending *p = P.pendings;

		P.pendings = p->next;
		if (p->h)
			free(p->h);
		free(p);
	}
	if (P.stop_timerfd >= 0)
		close(P.stop_timerfd);
	if (P.kill_timerfd >= 0)
		close(P.kill_timerfd);
	if (P.sigfd >= 0)
		close(P.sigfd);
	pcid_config_free(&P.cfg);
}

/* --check: what pcid would do, without serving or binding anything. */
static int check(void)
{
	unsigned int i, n = 0;

	printf("config %s: %u match rule%s, drivers run as uid %u gid %u by default, "
	       "config-read=%s, stop-timeout=%u ms\n", P.config_path, P.cfg.nrules,
	       P.cfg.nrules == 1 ? "" : "s", (unsigned int)P.cfg.uid, (unsigned int)P.cfg.gid,
	       pcid_config_read_name(P.cfg.config_read), P.cfg.stop_timeout_ms);
	for (i = 0; i < P.nfns; i++) {
		const struct fn *f = P.fns[i];
		char line[128];

		pci_func_line(&f->id, line, sizeof(line));
		line[strlen(line) - 1] = 0;
		if (!f->rule) {
			printf("%s: no rule\n", line);
			continue;
		}
		n++;
		printf("%s: line %u: %s %s (uid %u, restart=%s%s%s)\n", line, f->rule->line,
		       f->driver_path ? f->driver_path : f->rule->driver,
		       f->driver_path ? "" : "(NOT FOUND)", (unsigned int)f->rule->uid,
		       pcid_restart_name(f->rule->restart), f->rule->scheme ? ", scheme " : "",
		       !f->rule->scheme ? "" : f->scheme[0] ? f->scheme : "(INVALID)");
	}
	printf("%u of %u function%s matched\n", n, P.nfns, P.nfns == 1 ? "" : "s");
	return 0;
}

static int usage(FILE *f)
{
	fprintf(f,
		"usage: %s [OPTIONS]\n"
		"The PCI daemon: serves \"pci:\" (the functions the kernel sees, their config\n"
		"space, and a channel per function), binds the functions its config file\n"
		"matches to uscheme's stub PCI driver, and runs their drivers unprivileged,\n"
		"each with only its function's channel; restarts them by policy.\n"
		"\n"
		"  --config FILE   the config file (default %s, else pcid.conf\n"
		"                  next to the pcid binary)\n"
		"  --foreground    stay in the foreground (default: go to the background once\n"
		"                  serving, printing the daemon's pid)\n"
		"  --name NAME     the scheme name (default %s)\n"
		"  --sysfs DIR     where sysfs is (default /sys; for tests)\n"
		"  --check         print what each function would get, and exit (no binding)\n"
		"  --help, -h      this text\n"
		"Logs go to stderr. SIGTERM or SIGINT: stop the drivers (SIGTERM, then SIGKILL\n"
		"after stop-timeout), give the functions back to the kernel, exit 0.\n"
		"Exit status: 0 stopped cleanly, 1 failed, 2 bad usage or config file.\n",
		prog, DEFAULT_CONFIG, PCID_SCHEME);
	return f == stdout ? 0 : 2;
}

/* --background: fork; the parent returns once the child serves (sys:schemes). */
static void background(const char *name)
{
	char want[USCHEME_NAME_MAX + 16];
	pid_t pid;
	int i;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		say("fork: %s", why(-errno));
		exit(1);
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);

		setsid();
		if (nul >= 0) {
			dup2(nul, STDIN_FILENO);
			dup2(nul, STDOUT_FILENO);
			if (nul > STDERR_FILENO)
				close(nul);
		}
		return;
	}
	snprintf(want, sizeof(want), "%s %d ", name, (int)pid);
	for (i = 0; i < 6000; i++) {	/* 60 s */
		char *text = NULL;
		size_t len;
		int status, fd;

		if (waitpid(pid, &status, WNOHANG) == pid)
			exit(1);	/* it said why */
		fd = us_open("sys:schemes", O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			bool found = false;

			if (!us_read_all(fd, &text, &len)) {
				char *line = text;

				while (line && *line) {
					if (!strncmp(line, want, strlen(want)))
						found = true;
					line = strchr(line, '\n');
					if (line)
						line++;
				}
			}
			free(text);
			close(fd);
			if (found) {
				printf("%d\n", (int)pid);
				exit(0);
			}
		}
		usleep(10000);
	}
	say("the daemon (pid %d) did not come up within 60 s", (int)pid);
	exit(1);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'F' },
		{ "background", no_argument, NULL, 'B' },
		{ "name", required_argument, NULL, 'n' },
		{ "sysfs", required_argument, NULL, 's' },
		{ "check", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct us_daemon_config dcfg = { 0 };
	const char *name = PCID_SCHEME;
	char err[512], cfgbuf[PATH_MAX];
	bool fg = false, do_check = false;
	ssize_t n;
	int c, r, ret = 0;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			P.config_path = optarg;
			break;
		case 'F':
			fg = true;
			break;
		case 'B':
			fg = false;
			break;
		case 'n':
			name = optarg;
			break;
		case 's':
			P.sysfs = optarg;
			break;
		case 'C':
			do_check = true;
			break;
		case 'h':
			return usage(stdout);
		default:
			return usage(stderr);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
		return usage(stderr);
	}
	/* 0, 1 and 2 open, so that no file of ours lands there (and in a driver). */
	for (c = 0; c < 3; c++)
		if (fcntl(c, F_GETFD) < 0 && open("/dev/null", O_RDWR) < 0)
			return 1;

	n = readlink("/proc/self/exe", P.exe_dir, sizeof(P.exe_dir) - 1);
	if (n > 0) {
		char *slash;

		P.exe_dir[n] = 0;
		slash = strrchr(P.exe_dir, '/');
		if (slash)
			*slash = 0;
	} else {
		P.exe_dir[0] = 0;
	}
	if (!P.config_path) {
		P.config_path = DEFAULT_CONFIG;
		if (access(DEFAULT_CONFIG, F_OK) && P.exe_dir[0]) {
			snprintf(cfgbuf, sizeof(cfgbuf), "%s/pcid.conf", P.exe_dir);
			P.config_path = cfgbuf;
		}
	}
	if (pcid_config_load(P.config_path, &P.cfg, err, sizeof(err))) {
		fprintf(stderr, "%s: bad config: %s\n", prog, err);
		return 2;
	}
	if (load_functions(do_check)) {
		free_all();
		return 1;
	}
	if (do_check) {
		check();
		free_all();
		return 0;
	}
	if (!fg)
		background(name);

	dcfg.max_handles = 65536;
	r = us_daemon_init(&P.d, name, &pci_ops, NULL, &dcfg);
	if (r) {
		us_daemon_perror(prog, &P.d, r);
		free_all();
		return 1;
	}
	r = watch_signals();
	if (r) {
		say("cannot watch signals: %s%s", why(r), r == -EOPNOTSUPP ?
		    " (this uscheme.ko lacks FILES_UPDATE)" : "");
		us_daemon_exit(&P.d);
		free_all();
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	say("serving %s: (pid %d, config %s: %u rule%s, %u PCI function%s)", P.d.name,
	    (int)getpid(), P.config_path, P.cfg.nrules, P.cfg.nrules == 1 ? "" : "s", P.nfns,
	    P.nfns == 1 ? "" : "s");
	start_all();

	while (!us_daemon_stopped(&P.d)) {
		r = us_daemon_run_once(&P.d, -1);
		drain_close_later(false);
		if (r < 0 && r != -EINTR && r != -ETIME) {
			say("scheme ring failed: %s", why(r));
			ret = 1;
			break;
		}
	}
	if (ret)
		kill_all();
	drain_close_later(false);
	P.exiting = true;
	us_daemon_exit(&P.d);	/* every handle closed: channels released */
	release_all();
	say("stopped%s%s", P.stop_signal ? " on " : "", P.stop_signal ? strsignal(P.stop_signal) : "");
	free_all();
	return ret;
}
