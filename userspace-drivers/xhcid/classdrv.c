// SPDX-License-Identifier: MIT
/*
 * Class drivers: a program per interface of an enumerated device (or per
 * device, for a device with a class of its own), chosen by xhcid.conf,
 * given one handle: its interface's (the owner's O_RDWR handle of
 * usb.X:N/ifI), or for a device-class match its port's (usb.X:N).
 *
 * xhcid.conf has pcid.conf's syntax and parser (pcid/config.c): "match"
 * rules with class=CC[SS[PP]] (a USB interface's class, subclass and
 * protocol, or the device's when it has its own), vendor=, device= or
 * id=VVVV:PPPP (idVendor, idProduct), driver=, args= (with {address}: the
 * port's path "usb.0000-00-04.0:1", and {channel}: the port handle's fd,
 * 3), restart=, max-restarts=, backoff=. user, group and scheme have no
 * effect: a class driver runs as xhcid runs (unprivileged, no_new_privs).
 * A device whose device descriptor has a class (not 00) that a rule
 * matches gets one driver, with the port handle; else each interface of
 * the configuration xhcid set (alternate setting 0) gets the first rule
 * matching it, and its driver the interface's handle (USB_INTERFACE=I).
 *
 * A driver's life (struct classdrv.state):
 *   OPENING (xhcid opens the port O_RDWR on its own scheme, through its
 *   client ring: the open handler lets xhcid's own pid own a port) ->
 *   RUNNING (forked, exec'd; its pidfd watched) -> exited: BACKOFF (a
 *   timerfd watched) -> OPENING again, or GAVE_UP, or gone with its
 *   device (SIGTERM when the device is removed; no restart).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../libuscheme/reactor.h"
#include "../pcid/config.h"
#include "xhcid.h"

enum classdrv_state { CD_OPENING, CD_RUNNING, CD_BACKOFF, CD_GAVE_UP, CD_STOPPING };

struct classdrv {
	struct us_op op;		/* the port's OPEN on our client ring */
	struct hc *hc;
	unsigned int port;
	int iface;			/* its interface, or -1: the port's handle */
	char label[32];			/* "port 2 interface 0", "port 2": what logs say */
	uint32_t generation;		/* the device it was started for */
	const struct pcid_rule *rule;
	enum classdrv_state state;
	pid_t pid;
	int pidfd, timerfd;
	unsigned int restarts;		/* in a row */
	struct timespec started;
	char path[USCHEME_NAME_MAX + 24];	/* the port's or interface's, for the OPEN */
};

static struct pcid_config cfg;
static bool cfg_loaded;
static char cfg_dir[PATH_MAX];
/* by port, then [0] the port's driver, [1 + I] interface I's */
static struct classdrv *drivers[XHCID_MAX_PORTS + 1][XHCID_ACCTS];

int classdrv_load(struct hc *hc, const char *path)
{
	char err[512], exe[PATH_MAX], def[PATH_MAX];
	ssize_t n;
	char *slash;

	if (!path) {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n <= 0)
			return 0;
		exe[n] = 0;
		slash = strrchr(exe, '/');
		if (!slash)
			return 0;
		*slash = 0;
		n = snprintf(def, sizeof(def), "%s/xhcid.conf", exe);
		if (n < 0 || (size_t)n >= sizeof(def) || access(def, R_OK)) {
			hc_log(hc, "no %s: devices get no class drivers", def);
			return 0;
		}
		path = def;
	}
	if (pcid_config_load(path, &cfg, err, sizeof(err))) {
		hc_log(hc, "bad config: %s", err);
		return -EINVAL;
	}
	snprintf(cfg_dir, sizeof(cfg_dir), "%s", path);
	slash = strrchr(cfg_dir, '/');
	if (slash)
		*slash = 0;
	else
		snprintf(cfg_dir, sizeof(cfg_dir), ".");
	cfg_loaded = true;
	hc_log(hc, "class drivers from %s: %u rule%s", path, cfg.nrules, cfg.nrules == 1 ? "" : "s");
	return 0;
}

/* The driver program: absolute; with a '/', relative to the config; else next to us, then PATH. */
static int driver_path(const char *driver, char *out, size_t len)
{
	char exe[PATH_MAX];
	const char *path;
	ssize_t n;
	char *slash;

	if (driver[0] == '/') {
		snprintf(out, len, "%s", driver);
		return access(out, X_OK) ? -ENOENT : 0;
	}
	if (strchr(driver, '/')) {
		int m = snprintf(out, len, "%s/%s", cfg_dir, driver);

		return m < 0 || (size_t)m >= len || access(out, X_OK) ? -ENOENT : 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = 0;
		slash = strrchr(exe, '/');
		if (slash) {
			int m;

			*slash = 0;
			m = snprintf(out, len, "%s/%s", exe, driver);
			if (m > 0 && (size_t)m < len && !access(out, X_OK))
				return 0;
		}
	}
	path = getenv("PATH");
	while (path && *path) {
		const char *e = strchr(path, ':');
		size_t l = e ? (size_t)(e - path) : strlen(path);

		snprintf(out, len, "%.*s/%s", (int)l, path, driver);
		if (l && !access(out, X_OK))
			return 0;
		path = e ? e + 1 : NULL;
	}
	return -ENOENT;
}

/* The first rule matching the class triple cls (and the device's IDs). */
static const struct pcid_rule *rule_for(const struct usb_dev *dev, const uint8_t cls[3])
{
	uint16_t vid = (uint16_t)(dev->desc[8] | dev->desc[9] << 8);
	uint16_t pid = (uint16_t)(dev->desc[10] | dev->desc[11] << 8);

	return pcid_config_match(&cfg, vid, pid, (uint32_t)cls[0] << 16 | cls[1] << 8 | cls[2]);
}

static void cd_free(struct us_daemon *d, struct classdrv *cd)
{
	if (cd->pidfd >= 0) {
		us_daemon_unwatch(d, cd->pidfd);
		close(cd->pidfd);
	}
	if (cd->timerfd >= 0) {
		us_daemon_unwatch(d, cd->timerfd);
		close(cd->timerfd);
	}
	if (drivers[cd->port][cd->iface + 1] == cd)
		drivers[cd->port][cd->iface + 1] = NULL;
	free(cd);
}

static void cd_open(struct classdrv *cd);

static void on_backoff(struct us_daemon *d, int fd, int events, void *ctx)
{
	struct classdrv *cd = ctx;
	uint64_t n;

	(void)d;
	if (events < 0)
		return;
	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return;
	if (cd->state == CD_BACKOFF)
		cd_open(cd);
}

static void exit_text(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "ended");
}

static void on_exit_fd(struct us_daemon *d, int fd, int events, void *ctx)
{
	struct classdrv *cd = ctx;
	struct hc *hc = cd->hc;
	struct usb_dev *dev = hc->dev[cd->port];
	struct timespec now;
	unsigned int delay;
	int status = 0;
	char how[96];
	bool failed;

	(void)fd;
	if (events < 0)
		return;
	if (waitpid(cd->pid, &status, WNOHANG) != cd->pid)
		return;
	exit_text(status, how, sizeof(how));
	failed = !WIFEXITED(status) || WEXITSTATUS(status);
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec - cd->started.tv_sec >= 30)
		cd->restarts = 0;
	hc_log(hc, "%s: class driver %s (pid %d) %s", cd->label, cd->rule->driver,
	       (int)cd->pid, how);
	us_daemon_unwatch(d, cd->pidfd);
	close(cd->pidfd);
	cd->pidfd = -1;
	cd->pid = 0;
	if (cd->state == CD_STOPPING || !dev || dev->state != USB_PORT_READY ||
	    dev->generation != cd->generation ||
	    cd->rule->restart == PCID_RESTART_NEVER ||
	    (cd->rule->restart == PCID_RESTART_ON_FAILURE && !failed)) {
		cd_free(d, cd);
		return;
	}
	if (cd->restarts >= cd->rule->max_restarts) {
		hc_log(hc, "%s: class driver %s failed %u times in a row: giving up", cd->label,
		       cd->rule->driver, cd->restarts);
		cd->state = CD_GAVE_UP;
		return;
	}
	delay = cd->rule->backoff_ms << (cd->restarts < 15 ? cd->restarts : 15);
	if (delay > PCID_BACKOFF_MAX_MS)
		delay = PCID_BACKOFF_MAX_MS;
	cd->restarts++;
	cd->state = CD_BACKOFF;
	hc_log(hc, "%s: restarting %s in %u ms", cd->label, cd->rule->driver, delay);
	if (cd->timerfd < 0) {
		cd->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
		if (cd->timerfd < 0 || us_daemon_watch(d, cd->timerfd, USCHEME_EV_READ,
							on_backoff, cd)) {
			cd_free(d, cd);
			return;
		}
	}
	{
		struct itimerspec its = { .it_value = { delay / 1000,
						       (long)(delay % 1000) * 1000000L + 1 } };

		timerfd_settime(cd->timerfd, 0, &its, NULL);
	}
}

static void cd_exec(struct classdrv *cd, int port_fd)
{
	struct hc *hc = cd->hc;
	char path[PATH_MAX], where[96], **argv, env_port[128], env_fd[32], env_path[512];
	char env_if[32];
	char *envp[8];
	int n = 0, fd;
	pid_t pid;

	snprintf(where, sizeof(where), "%s:%u", hc->d->name, cd->port);
	if (driver_path(cd->rule->driver, path, sizeof(path))) {
		hc_log(hc, "%s: class driver '%s' is not an executable file: not started",
		       cd->label, cd->rule->driver);
		cd->state = CD_GAVE_UP;
		return;
	}
	argv = pcid_rule_argv(cd->rule, path, where, 3);
	if (!argv) {
		hc_log(hc, "%s: cannot build %s's arguments: not started", cd->label,
		       cd->rule->driver);
		cd->state = CD_GAVE_UP;
		return;
	}
	snprintf(env_port, sizeof(env_port), "USB_PORT=%s", where);
	snprintf(env_fd, sizeof(env_fd), "USB_PORT_FD=3");
	envp[n++] = env_port;
	envp[n++] = env_fd;
	if (cd->iface >= 0) {
		snprintf(env_if, sizeof(env_if), "USB_INTERFACE=%d", cd->iface);
		envp[n++] = env_if;
	}
	if (getenv("PATH")) {
		snprintf(env_path, sizeof(env_path), "PATH=%s", getenv("PATH"));
		envp[n++] = env_path;
	}
	envp[n] = NULL;
	pid = fork();
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		setsid();
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		if (port_fd != 3) {
			if (dup2(port_fd, 3) < 0)
				_exit(127);
		} else {
			fcntl(3, F_SETFD, 0);
		}
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0 && fd != STDIN_FILENO) {
			dup2(fd, STDIN_FILENO);
			close(fd);
		}
		syscall(SYS_close_range, 4, ~0U, 0);
		unsetenv(USCHEME_SCHEME);
		execve(argv[0], argv, envp);
		_exit(127);
	}
	pcid_argv_free(argv);
	if (pid < 0) {
		hc_log(hc, "%s: fork: %s", cd->label, strerror(errno));
		cd->state = CD_GAVE_UP;
		return;
	}
	cd->pid = pid;
	cd->state = CD_RUNNING;
	clock_gettime(CLOCK_MONOTONIC, &cd->started);
	cd->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (cd->pidfd < 0 || us_daemon_watch(hc->d, cd->pidfd, USCHEME_EV_READ, on_exit_fd, cd))
		hc_log(hc, "%s: cannot watch class driver pid %d", cd->label, (int)pid);
	hc_log(hc, "%s: started class driver %s (pid %d): %s", cd->label, cd->rule->driver,
	       (int)pid, path);
}

static void on_port_open(struct us_reactor *rx, struct us_op *op, const struct uscheme_cqe *cqe)
{
	struct classdrv *cd = (struct classdrv *)op;
	struct usb_dev *dev = cd->hc->dev[cd->port];

	(void)rx;
	/*
	 * Its device went away meanwhile (classdrv_device_gone left it to us):
	 * free it whatever the open answered, or a GAVE_UP left in drivers[]
	 * would keep the next device on this port from its driver.
	 */
	if (cd->state == CD_STOPPING || !dev || dev->generation != cd->generation) {
		if (cqe->res >= 0)
			close(cqe->res);
		cd_free(cd->hc->d, cd);
		return;
	}
	if (cqe->res < 0) {
		hc_log(cd->hc, "%s: cannot open %s for its class driver: %s", cd->label, cd->path,
		       strerror(-cqe->res));
		cd->state = CD_GAVE_UP;
		return;
	}
	cd_exec(cd, cqe->res);
	close(cqe->res);	/* the driver's copy is the owner now */
}

static void cd_open(struct classdrv *cd)
{
	struct hc *hc = cd->hc;
	struct uscheme_sqe *sqe;
	struct us_reactor *rx;

	cd->state = CD_OPENING;
	if (cd->iface < 0)
		snprintf(cd->path, sizeof(cd->path), "%s:%u", hc->d->name, cd->port);
	else
		snprintf(cd->path, sizeof(cd->path), "%s:%u/if%d", hc->d->name, cd->port, cd->iface);
	if (us_daemon_reactor(hc->d, &rx) || !(sqe = us_reactor_sqe(rx, &cd->op))) {
		hc_log(hc, "%s: no room to open the port for its class driver", cd->label);
		cd->state = CD_GAVE_UP;
		return;
	}
	/* cd->path stays valid until the kernel copied it (at submission). */
	us_prep_open(sqe, cd->path, O_RDWR | O_CLOEXEC, sqe->user_data);
}

static void cd_start(struct hc *hc, struct usb_dev *dev, int iface, const struct pcid_rule *r)
{
	struct classdrv *cd;

	if (drivers[dev->port][iface + 1])
		return;
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return;
	cd->op.complete = on_port_open;
	cd->hc = hc;
	cd->port = dev->port;
	cd->iface = iface;
	if (iface < 0)
		snprintf(cd->label, sizeof(cd->label), "port %u", dev->port);
	else
		snprintf(cd->label, sizeof(cd->label), "port %u interface %d", dev->port, iface);
	cd->generation = dev->generation;
	cd->rule = r;
	cd->pidfd = -1;
	cd->timerfd = -1;
	drivers[dev->port][iface + 1] = cd;
	cd_open(cd);
}

void classdrv_device_ready(struct hc *hc, struct usb_dev *dev)
{
	struct if_desc ifs[XHCID_IFACES];
	const struct pcid_rule *r;
	const uint8_t *c;
	size_t clen;
	int n, i;

	if (!cfg_loaded)
		return;
	/* A device with a class of its own: one driver, the port's. */
	if (dev->desc[4]) {
		r = rule_for(dev, &dev->desc[4]);
		if (r)
			cd_start(hc, dev, -1, r);
		return;
	}
	/* Else a driver per interface a rule matches, each with its interface's handle. */
	c = desc_config_find(dev->desc, dev->desc_len, dev->config, &clen);
	n = c && dev->config ? desc_interfaces(c, clen, dev->alt, ifs, XHCID_IFACES) : 0;
	for (i = 0; i < n; i++) {
		r = rule_for(dev, ifs[i].cls);
		if (r)
			cd_start(hc, dev, ifs[i].number, r);
	}
}

void classdrv_device_gone(struct hc *hc, unsigned int port)
{
	unsigned int i;

	for (i = 0; i < XHCID_ACCTS; i++) {
		struct classdrv *cd = drivers[port][i];

		if (!cd)
			continue;
		switch (cd->state) {
		case CD_RUNNING:
			cd->state = CD_STOPPING;
			hc_log(hc, "%s: device gone: stopping class driver %s (pid %d)", cd->label,
			       cd->rule->driver, (int)cd->pid);
			kill(cd->pid, SIGTERM);
			break;
		case CD_OPENING:
			cd->state = CD_STOPPING;	/* freed when its open completes */
			break;
		default:
			cd_free(hc->d, cd);
			break;
		}
	}
}

/* At exit: SIGTERM to every driver (they also lose their port handles). */
void classdrv_stop_all(struct hc *hc)
{
	unsigned int p, i;

	for (p = 1; p <= XHCID_MAX_PORTS; p++)
	for (i = 0; i < XHCID_ACCTS; i++) {
		struct classdrv *cd = drivers[p][i];

		if (!cd)
			continue;
		if (cd->state == CD_RUNNING && cd->pid > 0) {
			struct pollfd pfd = { .fd = cd->pidfd, .events = POLLIN };

			kill(cd->pid, SIGTERM);
			if (cd->pidfd < 0 || poll(&pfd, 1, 2000) != 1) {
				hc_log(hc, "%s: class driver pid %d ignores SIGTERM: SIGKILL",
				       cd->label, (int)cd->pid);
				kill(cd->pid, SIGKILL);
			}
			waitpid(cd->pid, NULL, 0);
		}
		cd_free(hc->d, cd);
	}
	if (cfg_loaded)
		pcid_config_free(&cfg);
	cfg_loaded = false;
}
