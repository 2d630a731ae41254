// SPDX-License-Identifier: MIT
/*
 * The fuzzer's shared helpers: random lengths, offsets and pointers, the
 * scratch area, violations, the pool of fds of every kind, client rings and
 * the CQE checks. See fuzz.h for the invariants.
 */
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"

struct fz_shared *fz;
unsigned char *fz_scratch, *fz_guard, *fz_ro;
struct fz_fd fz_pool[FZ_POOL];
unsigned int fz_npool;

const char *const fz_family_names[FAM_N] = {
	"sqe", "handle", "fu", "daemon", "kerrno", "scribble", "ns", "fork", "opath", "pcidev",
};

long long fz_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

uint32_t rnd_len(struct fz_rng *r)
{
	static const uint32_t edge[] = {
		0, 1, 2, 7, 8, 63, 64, 4095, 4096, 4097,
		USCHEME_IO_MAX - 1, USCHEME_IO_MAX, USCHEME_IO_MAX + 1,
		USCHEME_PATH_MAX - 1, USCHEME_PATH_MAX, USCHEME_PATH_MAX + 1,
		USCHEME_FU_MAX, USCHEME_FU_MAX + 1, INT32_MAX, 0x80000000U, UINT32_MAX,
		sizeof(struct uscheme_stat) - 1, sizeof(struct uscheme_stat),
	};

	switch (rnd_below(r, 6)) {
	case 0:
	case 1:
		return edge[rnd_below(r, sizeof(edge) / sizeof(edge[0]))];
	case 2:
	case 3:
		return rnd_below(r, 256);
	case 4:
		return rnd_below(r, 65536);
	default:
		return (uint32_t)rnd(r);
	}
}

uint64_t rnd_off(struct fz_rng *r)
{
	static const uint64_t edge[] = {
		0, 1, 4095, 4096, USCHEME_OFF_CURRENT, UINT64_MAX - 1, INT64_MAX,
		(uint64_t)INT64_MAX + 1, 1ULL << 32, (1ULL << 32) - 1, UINT32_MAX,
	};

	switch (rnd_below(r, 4)) {
	case 0:
	case 1:
		return edge[rnd_below(r, sizeof(edge) / sizeof(edge[0]))];
	case 2:
		return rnd_below(r, 1 << 22);
	default:
		return rnd(r);
	}
}

int fz_scratch_init(void)
{
	size_t total = FZ_SCRATCH + 2 * 4096;
	unsigned char *p = mmap(NULL, total, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	fz_scratch = p;
	fz_guard = p + FZ_SCRATCH;
	fz_ro = fz_guard + 4096;
	if (mprotect(fz_guard, 4096, PROT_NONE) || mprotect(fz_ro, 4096, PROT_READ))
		return -errno;
	return 0;
}

void *scratch_at(struct fz_rng *r, size_t len)
{
	size_t room = len < FZ_SCRATCH ? FZ_SCRATCH - len : 0;

	return fz_scratch + (room ? rnd_below(r, (uint32_t)room + 1) : 0);
}

uint64_t rnd_ptr(struct fz_rng *r, uint32_t len)
{
	size_t n = len < FZ_SCRATCH ? len : FZ_SCRATCH;

	switch (rnd_below(r, 16)) {
	case 0:
		return 0;				/* NULL */
	case 1:
		return (uintptr_t)fz_guard;		/* unmapped */
	case 2:
		return (uintptr_t)fz_ro;		/* read-only */
	case 3:
		return 0xffff888000000000ULL;		/* kernel */
	case 4:
		return UINT64_MAX - rnd_below(r, 64);	/* wraps */
	case 5:	/* ends in the guard page */
		return (uintptr_t)(fz_guard - (n ? rnd_below(r, (uint32_t)n) : 0));
	case 6:	/* odd alignment */
		return (uintptr_t)scratch_at(r, n + 1) | 1;
	default:
		return (uintptr_t)scratch_at(r, n);
	}
}

void fz_violation(int fam, const char *fmt, ...)
{
	char msg[FZ_WHY];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (ADD(&fz->viol[fam], 1) == 1)
		memcpy(fz->why[fam], msg, sizeof(msg));
	if (LOAD(&fz->viol[fam]) <= 5)
		fprintf(stderr, "# VIOLATION %s: %s\n", fz_family_names[fam], msg);
}

void fz_check_res(int fam, long long res, const char *what)
{
	if (res <= -512 && res >= -529)
		fz_violation(fam, "%s: kernel-internal errno %lld reached userspace", what, -res);
}

long fz_sys(int fam, long ret, const char *what)
{
	if (ret == -1)
		fz_check_res(fam, -errno, what);
	return ret;
}

/* ---- the fd pool ---- */

void pool_add(int fd, int kind)
{
	if (fd < 3)
		return;
	if (fz_npool >= FZ_POOL) {
		/* full: replace a random one (its fd is closed) */
		unsigned int i = (unsigned int)fd % FZ_POOL;

		if (fz_pool[i].fd != fd)
			close(fz_pool[i].fd);
		fz_pool[i].fd = fd;
		fz_pool[i].kind = kind;
		return;
	}
	fz_pool[fz_npool].fd = fd;
	fz_pool[fz_npool].kind = kind;
	fz_npool++;
}

void rnd_path(struct fz_rng *r, char *buf, size_t size)
{
	static const char *const paths[] = {
		"", "a", "file", "dir/x", "../..", "n", "\xff\xfe", "a:b:c", "//", ".",
	};
	size_t n;

	switch (rnd_below(r, 12)) {
	case 0:
		snprintf(buf, size, "sys:schemes");
		return;
	case 1:
		snprintf(buf, size, "sys:%s", one_in(r, 2) ? "" : "nothing");
		return;
	case 2:
		snprintf(buf, size, "pcidev:%s", one_in(r, 2) ? "" : "0000:00:04.0");
		return;
	case 3:
		snprintf(buf, size, "nosuch-%u:x", rnd_below(r, 4));
		return;
	case 4:
		snprintf(buf, size, "%s", one_in(r, 2) ? "noscheme" : ":x");
		return;
	case 5:	/* long: up to beyond USCHEME_PATH_MAX */
		n = rnd_below(r, (uint32_t)size);
		snprintf(buf, size, "%s:", fz->scheme);
		if (n > strlen(buf)) {
			memset(buf + strlen(buf), 'p', n - strlen(buf));
			buf[n] = '\0';
		}
		return;
	default:
		snprintf(buf, size, "%s:%s", fz->scheme,
			 paths[rnd_below(r, sizeof(paths) / sizeof(paths[0]))]);
	}
}

int fz_open_handle(struct fz_rng *r, int fam)
{
	static const int accs[] = { O_RDONLY, O_WRONLY, O_RDWR };
	struct uscheme_open o;
	char path[128];
	int dev, ret, flags;

	if (one_in(r, 6))
		snprintf(path, sizeof(path), "sys:schemes");
	else
		snprintf(path, sizeof(path), "%s:h%u", fz->scheme, rnd_below(r, 8));
	flags = accs[rnd_below(r, 3)] | (one_in(r, 4) ? O_NONBLOCK : 0) | O_CLOEXEC;
	if (!strncmp(path, "sys:", 4))
		flags = O_RDONLY | O_CLOEXEC;
	dev = open(USCHEME_DEVICE, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -errno;
	memset(&o, 0, sizeof(o));
	o.path = (uintptr_t)path;
	o.flags = (uint32_t)flags;
	fz_op(fam);
	ret = (int)fz_sys(fam, ioctl(dev, USCHEME_IOC_OPEN, &o), "ioctl OPEN");
	close(dev);
	if (ret < 0)
		return -errno;
	return o.fd;
}

void pool_make(struct fz_rng *r, int fam)
{
	int fd = -1, p[2], kind = (int)rnd_below(r, K_NKINDS);
	struct uscheme_params prm;
	struct itimerspec its;

	switch (kind) {
	case K_HANDLE:
		fd = fz_open_handle(r, fam);
		break;
	case K_RING:
	case K_RAWRING:
		fd = open(USCHEME_DEVICE, O_RDWR | O_CLOEXEC);
		if (fd >= 0 && kind == K_RING) {
			memset(&prm, 0, sizeof(prm));
			prm.sq_entries = 1U << rnd_below(r, 5);
			if (ioctl(fd, USCHEME_IOC_SETUP, &prm))
				kind = K_RAWRING;
		}
		break;
	case K_SCHEMERING:	/* set up as a scheme ring, never registered */
		fd = open(USCHEME_DEVICE, O_RDWR | O_CLOEXEC);
		if (fd >= 0) {
			memset(&prm, 0, sizeof(prm));
			prm.sq_entries = 4;
			prm.flags = USCHEME_SETUP_SCHEME;
			prm.data_size = USCHEME_DATA_MIN;
			fz_sys(fam, ioctl(fd, USCHEME_IOC_SETUP, &prm), "SETUP scheme");
		}
		break;
	case K_EVENTFD:
		fd = eventfd(rnd_below(r, 2), EFD_NONBLOCK | EFD_CLOEXEC);
		break;
	case K_PIPE_R:
	case K_PIPE_W:
		if (pipe2(p, O_NONBLOCK | O_CLOEXEC))
			return;
		pool_add(p[0], K_PIPE_R);
		fd = p[1];
		kind = K_PIPE_W;
		break;
	case K_SOCK:
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, p))
			return;
		pool_add(p[0], K_SOCK);
		fd = p[1];
		break;
	case K_DEVNULL:
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		break;
	case K_OPATH:
		fd = open(USCHEME_DEVICE, O_PATH | O_CLOEXEC);
		break;
	case K_TIMERFD:
		fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (fd >= 0) {
			memset(&its, 0, sizeof(its));
			its.it_value.tv_nsec = 1000000 + rnd_below(r, 5000000);
			its.it_interval.tv_nsec = one_in(r, 2) ? 3000000 : 0;
			timerfd_settime(fd, 0, &its, NULL);
		}
		break;
	case K_DIR:
		fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		break;
	}
	if (fd >= 3)
		pool_add(fd, kind);
}

int pool_pick_kind(struct fz_rng *r, int kind)
{
	unsigned int i, n = 0, pick;

	for (i = 0; i < fz_npool; i++)
		n += fz_pool[i].kind == kind;
	if (!n)
		return -1;
	pick = rnd_below(r, n);
	for (i = 0; i < fz_npool; i++)
		if (fz_pool[i].kind == kind && !pick--)
			return fz_pool[i].fd;
	return -1;
}

int rnd_fd(struct fz_rng *r)
{
	static const int edge[] = { -1, INT32_MIN, INT32_MAX, 1023, 4095, 1 << 20, 0, 2 };

	if (fz_npool && !one_in(r, 6))
		return fz_pool[rnd_below(r, fz_npool)].fd;
	if (one_in(r, 2))
		return 3 + (int)rnd_below(r, 64);	/* maybe open, maybe closed */
	return edge[rnd_below(r, sizeof(edge) / sizeof(edge[0]))];
}

void pool_close_one(struct fz_rng *r, int keep)
{
	unsigned int i;

	if (!fz_npool)
		return;
	i = rnd_below(r, fz_npool);
	if (fz_pool[i].fd == keep)
		return;
	close(fz_pool[i].fd);
	fz_pool[i] = fz_pool[--fz_npool];
}

/* ---- client rings ---- */

static uint8_t ud_state[UD_MAX], ud_op[UD_MAX];
static uint32_t ud_next = 1;

/*
 * user_data of watches registered from memory the fuzzer did not fill for
 * that FILES_UPDATE (gen_fu.c: an array at a random address reads stale
 * entries, torn across two old ones or with the kernel's res writes of an
 * earlier misaligned array over their user_data). Open addressing; 0 is
 * "empty", so a user_data of 0 has its own flag.
 */
#define UD_FOREIGN	8192
static uint64_t ud_foreign[UD_FOREIGN];
static unsigned int ud_nforeign;
static int ud_foreign_zero, ud_foreign_full;

static unsigned int ud_foreign_slot(uint64_t ud)
{
	return (unsigned int)(fz_mix(ud, 0xf0) % UD_FOREIGN);
}

void ud_watch_read(uint64_t ud)
{
	uint32_t n = (uint32_t)(ud & 0xffffffffffULL);
	unsigned int i;

	if ((ud & ~0xffffffffffULL) == UD_MAGIC && n && n < UD_MAX && ud_state[n] == UD_WATCH)
		return;		/* an entry's own: check_cqe() knows it */
	if (!ud) {
		ud_foreign_zero = 1;
		return;
	}
	if (ud_nforeign >= UD_FOREIGN / 2) {
		ud_foreign_full = 1;	/* from now on, unknown events are not judged */
		return;
	}
	for (i = ud_foreign_slot(ud); ud_foreign[i]; i = (i + 1) % UD_FOREIGN)
		if (ud_foreign[i] == ud)
			return;
	ud_foreign[i] = ud;
	ud_nforeign++;
}

static int ud_foreign_has(uint64_t ud)
{
	unsigned int i;

	if (!ud)
		return ud_foreign_zero;
	for (i = ud_foreign_slot(ud); ud_foreign[i]; i = (i + 1) % UD_FOREIGN)
		if (ud_foreign[i] == ud)
			return 1;
	return ud_foreign_full;
}

uint64_t ud_new(int op, int state)
{
	uint32_t n;

	if (ud_next >= UD_MAX)
		return 0;
	n = ud_next++;
	ud_state[n] = (uint8_t)state;
	ud_op[n] = (uint8_t)op;
	return UD_MAGIC | n;
}

int fz_ring_setup(struct fz_ring *fr, struct fz_rng *r, int fam)
{
	struct uscheme_params p;
	void *m;

	memset(fr, 0, sizeof(*fr));
	fr->fd = open(USCHEME_DEVICE, O_RDWR | O_CLOEXEC);
	if (fr->fd < 0)
		return -errno;
	memset(&p, 0, sizeof(p));
	p.sq_entries = 1U << rnd_below(r, 7);
	p.cq_entries = one_in(r, 2) ? 0 : p.sq_entries << rnd_below(r, 3);
	p.flags = one_in(r, 3) ? USCHEME_SETUP_CQE32 : 0;
	fz_op(fam);
	if (fz_sys(fam, ioctl(fr->fd, USCHEME_IOC_SETUP, &p), "SETUP")) {
		close(fr->fd);
		fr->fd = -1;
		return -errno;
	}
	fr->ring_size = p.ring_size;
	fr->sqes_size = p.sqes_size;
	fr->cqes_size = p.cqes_size;
	m = mmap(NULL, p.ring_size, PROT_READ | PROT_WRITE, MAP_SHARED, fr->fd, USCHEME_OFF_RING);
	fr->hdr = m == MAP_FAILED ? NULL : m;
	m = mmap(NULL, p.sqes_size, PROT_READ | PROT_WRITE, MAP_SHARED, fr->fd, USCHEME_OFF_SQES);
	fr->sqes = m == MAP_FAILED ? NULL : m;
	m = mmap(NULL, p.cqes_size, PROT_READ, MAP_SHARED, fr->fd, USCHEME_OFF_CQES);
	fr->cqes = m == MAP_FAILED ? NULL : m;
	if (!fr->hdr || !fr->sqes || !fr->cqes) {
		fz_violation(fam, "mmap of a ring set up as %u/%u failed: %s", p.sq_entries,
			     p.cq_entries, strerror(errno));
		fz_ring_close(fr);
		return -ENOMEM;
	}
	fr->sq_entries = fr->hdr->sq_entries;
	fr->cq_entries = fr->hdr->cq_entries;
	fr->cqe_size = p.cqe_size;
	if (fr->sq_entries != p.sq_entries || fr->cq_entries != p.cq_entries ||
	    fr->hdr->sq_mask != fr->sq_entries - 1 || fr->hdr->cq_mask != fr->cq_entries - 1)
		fz_violation(fam, "ring header sizes %u/%u differ from SETUP's %u/%u",
			     fr->sq_entries, fr->cq_entries, p.sq_entries, p.cq_entries);
	pool_add(fr->fd, K_RING);
	return 0;
}

void fz_ring_close(struct fz_ring *fr)
{
	unsigned int i;

	if (fr->hdr)
		munmap(fr->hdr, fr->ring_size);
	if (fr->sqes)
		munmap(fr->sqes, fr->sqes_size);
	if (fr->cqes)
		munmap(fr->cqes, fr->cqes_size);
	if (fr->fd >= 0) {
		for (i = 0; i < fz_npool; i++)
			if (fz_pool[i].fd == fr->fd)
				fz_pool[i] = fz_pool[--fz_npool];
		close(fr->fd);
	}
	memset(fr, 0, sizeof(*fr));
	fr->fd = -1;
}

int fz_ring_push(struct fz_ring *fr, const struct uscheme_sqe *sqe)
{
	if (fr->sq_tail - LOAD(&fr->hdr->sq_head) >= fr->sq_entries && !fr->relaxed)
		return -1;
	memcpy(&fr->sqes[fr->sq_tail & (fr->sq_entries - 1)], sqe, sizeof(*sqe));
	fr->sq_tail++;
	STORE(&fr->hdr->sq_tail, fr->sq_tail);
	return 0;
}

int fz_ring_enter(struct fz_ring *fr, struct fz_rng *r, int fam, int wait)
{
	struct uscheme_enter e;
	int ret;

	memset(&e, 0, sizeof(e));
	e.to_submit = one_in(r, 8) ? (uint32_t)rnd(r) : fr->sq_tail - LOAD(&fr->hdr->sq_head);
	if (wait) {
		e.flags = USCHEME_ENTER_GETEVENTS | USCHEME_ENTER_TIMEOUT;
		e.min_complete = 1 + rnd_below(r, 2);
		e.timeout_ns = 1000000 + rnd_below(r, 10000000);
	}
	if (one_in(r, 40)) {	/* odd enter arguments */
		switch (rnd_below(r, 6)) {
		case 0:
			e.flags = (uint32_t)rnd(r);
			break;
		case 1:
			e.resv0 = 1;
			break;
		case 2:
			e.timeout_ns = -(int64_t)rnd_below(r, 1000);
			e.flags |= USCHEME_ENTER_TIMEOUT;
			break;
		case 3:
			e.timeout_ns = INT64_MAX - (int64_t)rnd_below(r, 3);
			e.flags |= USCHEME_ENTER_TIMEOUT | USCHEME_ENTER_GETEVENTS;
			break;
		case 4:
			e.min_complete = fr->cq_entries + rnd_below(r, 3);
			e.flags |= USCHEME_ENTER_GETEVENTS;
			break;
		default:
			e.resv[1] = rnd(r);
		}
	}
	fz_op(fam);
	ret = ioctl(fr->fd, USCHEME_IOC_ENTER, &e) ? -errno : 0;
	fz_check_res(fam, ret, "ENTER");
	if (!fr->relaxed && e.submitted > fr->sq_entries)
		fz_violation(fam, "ENTER submitted %u from a %u-entry SQ", e.submitted,
			     fr->sq_entries);
	return ret;
}

static void check_cqe(struct fz_ring *fr, int fam, const struct uscheme_cqe *c)
{
	uint64_t ud = c->user_data;
	uint32_t n = (uint32_t)(ud & 0xffffffffffULL);
	int known = (ud & ~0xffffffffffULL) == UD_MAGIC && n && n < UD_MAX;

	fz_check_res(fam, c->res, "CQE res");
	if (c->flags & ~(uint32_t)(USCHEME_CQE_F_EVENT | USCHEME_CQE_F_MORE))
		fz_violation(fam, "CQE flags %#x (user_data %#llx)", c->flags,
			     (unsigned long long)ud);
	if (fr->relaxed) {
		/*
		 * A ring shared across fork has two unsynchronized producers:
		 * their SQEs tear each other, so any user_data may come back
		 * (the kernel copies each SQE once and judges that copy).
		 */
		return;
	}
	if ((c->flags & USCHEME_CQE_F_EVENT) && ud_foreign_has(ud)) {
		if (c->res >= 0 && (c->res & ~(USCHEME_EV_READ | USCHEME_EV_WRITE |
					       USCHEME_EV_ERR | USCHEME_EV_HUP)))
			fz_violation(fam, "event CQE mask %#x", c->res);
		return;
	}
	if (!known) {
		fz_violation(fam, "CQE user_data %#llx was never submitted (res %d flags %#x)",
			     (unsigned long long)ud, c->res, c->flags);
		return;
	}
	if (c->flags & USCHEME_CQE_F_EVENT) {
		if (ud_state[n] != UD_WATCH)
			fz_violation(fam, "event CQE for user_data %#llx that no FILES_UPDATE entry had",
				     (unsigned long long)ud);
		if (c->res >= 0 && (c->res & ~(USCHEME_EV_READ | USCHEME_EV_WRITE |
					       USCHEME_EV_ERR | USCHEME_EV_HUP)))
			fz_violation(fam, "event CQE mask %#x", c->res);
		return;
	}
	if (ud_state[n] == UD_DONE)
		fz_violation(fam, "a second CQE for user_data %#llx (op %u, res %d)",
			     (unsigned long long)ud, ud_op[n], c->res);
	else if (ud_state[n] != UD_INFLIGHT)
		fz_violation(fam, "CQE for user_data %#llx that was never submitted as an op",
			     (unsigned long long)ud);
	ud_state[n] = UD_DONE;
	if ((ud_op[n] == USCHEME_OP_OPEN || ud_op[n] == USCHEME_OP_DUP) && c->res >= 0)
		pool_add(c->res, K_HANDLE);
}

void fz_ring_reap(struct fz_ring *fr, int fam)
{
	uint32_t tail = LOAD(&fr->hdr->cq_tail), avail = tail - fr->cq_head, i;

	if (avail > fr->cq_entries) {
		if (!fr->relaxed)
			fz_violation(fam, "CQ tail %u is %u beyond head %u (CQ of %u)", tail,
				     avail, fr->cq_head, fr->cq_entries);
		avail = fr->cq_entries;
	}
	for (i = 0; i < avail; i++) {
		const struct uscheme_cqe *c = (const void *)(fr->cqes + (size_t)((fr->cq_head + i) &
						(fr->cq_entries - 1)) * fr->cqe_size);
		struct uscheme_cqe copy;

		memcpy(&copy, c, sizeof(copy));
		check_cqe(fr, fam, &copy);
	}
	fr->cq_head = fr->relaxed ? tail : fr->cq_head + avail;
	STORE(&fr->hdr->cq_head, fr->cq_head);
}

/* ---- privileges and alarms ---- */

void fz_drop_privileges(void)
{
	if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
	    setresuid(65534, 65534, 65534)) {
		fprintf(stderr, "# fuzz: cannot drop privileges: %s\n", strerror(errno));
		_exit(97);
	}
	/* setuid made us non-dumpable: /proc/self/uid_map would be root's */
	prctl(PR_SET_DUMPABLE, 1);
}

static void on_alarm(int sig)
{
	(void)sig;
}

static unsigned int alarm_usec = 30000;

void fz_alarm_start(unsigned int usec)
{
	struct sigaction sa;
	struct itimerval it;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART: blocking calls end with EINTR */
	sigaction(SIGALRM, &sa, NULL);
	alarm_usec = usec;
	memset(&it, 0, sizeof(it));
	it.it_value.tv_usec = usec;
	it.it_interval.tv_usec = usec;
	setitimer(ITIMER_REAL, &it, NULL);
}

pid_t fz_fork(void)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fz_alarm_start(alarm_usec);	/* itimers are not inherited */
	}
	return pid;
}

void fz_alarm_stop(void)
{
	struct itimerval it;

	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
}
