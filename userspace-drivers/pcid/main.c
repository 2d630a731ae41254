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
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "channel.h"
#include "scheme.h"
#include "state.h"
#include "supervisor.h"

const char *prog = "pcid";

struct pcid_state P = {
	.sysfs = "/sys",
	.stop_timerfd = -1,
	.kill_timerfd = -1,
	.sigfd = -1,
};

/* ---- logging ---- */

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

void say(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	put_line(NULL, buf);
}

void fnsay(const struct fn *f, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	put_line(f->addr, buf);
}

const char *errname(int err)
{
	const char *n = strerrorname_np(err < 0 ? -err : err);

	return n ? n : "?";
}

/* "No such file or directory (ENOENT)" */
const char *why(int err)
{
	static char buf[160];

	snprintf(buf, sizeof(buf), "%s (%s)", strerror(err < 0 ? -err : err), errname(err));
	return buf;
}

/* ---- small helpers ---- */

long pidfd_open_sys(pid_t pid)
{
	return syscall(SYS_pidfd_open, pid, 0);
}

long pidfd_signal(int pidfd, int sig)
{
	return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

int64_t ms_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)(now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

void close_later(int fd)
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
void drain_close_later(bool force)
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
int fn_get(const char *addr, struct fn **out, struct pci_func *now)
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

/* ---- the client ring ---- */

int submit_open(struct us_op *op, const char *path, int flags)
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

int arm_timer(int fd, unsigned int ms)
{
	struct itimerspec its = { 0 };

	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
	if (!ms)
		its.it_value.tv_nsec = 1;	/* 0 would disarm it */
	return timerfd_settime(fd, 0, &its, NULL) ? -errno : 0;
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
		err = pci_bind_stub(P.sysfs, f->addr, PCI_BIND_TAKE, was, sizeof(was));
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

void check_done(void)
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
