// SPDX-License-Identifier: MIT
/* pcid: drivers and their children, started, restarted and stopped (supervisor.h). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "supervisor.h"

static void children_config_load(struct fn *f);
static void child_open(struct child *c);

/* ---- drivers ---- */

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

void start_driver(struct fn *f)
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

/* rule->driver's path */

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

char *resolve_driver(const char *drv)
{
	return resolve_driver_in(drv, P.config_path);
}

/* ---- children (child-config=, PCID_CALL_CHILD_START) ---- */

void ccfg_put(struct child_cfg *c)
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

/*
 * sig to a running child and its process group (it is a session and group
 * leader: setsid in exec_child; not reaped yet, so its pid is still its
 * group's). What left the group (its own setsid) is not reached.
 */
void child_kill(struct child *c, int sig)
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
void on_kill_timer(struct us_daemon *d, int fd, int events, void *ctx)
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
int child_start(struct fn *f, const struct pcid_child_req *req, char *name, size_t nlen)
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
	/*
	 * Stopping: its driver was told to stop and may still ask (a class
	 * driver it lost to the SIGTERM, say). A child started now would wait
	 * for a handle its stopping driver may never open, and pcid for it.
	 */
	if (P.stopping)
		return -ESHUTDOWN;
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
unsigned int children_stop(struct fn *f, unsigned int port, const char *why_text)
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

