// SPDX-License-Identifier: MIT
/* libuscheme: ring setup, SQE production, enter, CQE consumption. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "libuscheme.h"

_Static_assert(sizeof(struct uscheme_sqe) == 64, "SQE is 64 bytes");
_Static_assert(sizeof(struct uscheme_req) == 64, "request is 64 bytes");
_Static_assert(sizeof(struct uscheme_cqe) == 16, "CQE is 16 bytes");
_Static_assert(sizeof(struct uscheme_cqe32) == 32, "big CQE is 32 bytes");
_Static_assert(sizeof(struct uscheme_params) == 72, "params");
_Static_assert(sizeof(struct uscheme_enter) == 48, "enter");
_Static_assert(sizeof(struct uscheme_stats) == 128, "stats");
_Static_assert(sizeof(struct uscheme_ring_hdr) == 128, "ring header");

#define load_acquire(p)		__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)

static void *map(int fd, size_t len, int prot, uint64_t off)
{
	return mmap(NULL, len, prot, MAP_SHARED | MAP_POPULATE, fd, (off_t)off);
}

static void unmap_all(struct us_ring *ring)
{
	if (ring->hdr && ring->hdr != MAP_FAILED)
		munmap(ring->hdr, ring->ring_size);
	if (ring->sqes && (void *)ring->sqes != MAP_FAILED)
		munmap(ring->sqes, ring->sqes_size);
	if (ring->cqes && ring->cqes != MAP_FAILED)
		munmap(ring->cqes, ring->cqes_size);
	if (ring->data && ring->data != MAP_FAILED)
		munmap(ring->data, ring->data_size);
}

static int ring_setup(struct us_ring *ring, int fd, unsigned int sq_entries,
		      unsigned int cq_entries, unsigned int flags, size_t data_size)
{
	struct uscheme_params p;
	bool scheme;
	int err;

	memset(ring, 0, sizeof(*ring));
	ring->fd = -1;
	memset(&p, 0, sizeof(p));
	p.sq_entries = sq_entries;
	p.cq_entries = cq_entries;
	p.flags = flags;
	p.data_size = data_size;
	if (ioctl(fd, USCHEME_IOC_SETUP, &p) < 0)
		return -errno;
	if (p.data_size > SIZE_MAX / 2)
		return -EOVERFLOW;

	ring->ring_size = p.ring_size;
	ring->sqes_size = p.sqes_size;
	ring->cqes_size = p.cqes_size;
	ring->data_size = (size_t)p.data_size;
	/* Each entry array is writable only by its producer. */
	scheme = flags & USCHEME_SETUP_SCHEME;
	ring->hdr = map(fd, p.ring_size, PROT_READ | PROT_WRITE, USCHEME_OFF_RING);
	ring->sqes = map(fd, p.sqes_size, PROT_READ | (scheme ? 0 : PROT_WRITE),
			 USCHEME_OFF_SQES);
	ring->cqes = map(fd, p.cqes_size, PROT_READ | (scheme ? PROT_WRITE : 0),
			 USCHEME_OFF_CQES);
	/* The data area: both sides write it; not prefaulted (it may be large). */
	if (ring->data_size)
		ring->data = mmap(NULL, ring->data_size, PROT_READ | PROT_WRITE,
				  MAP_SHARED, fd, (off_t)USCHEME_OFF_DATA);
	if (ring->hdr == MAP_FAILED || (void *)ring->sqes == MAP_FAILED ||
	    ring->cqes == MAP_FAILED || ring->data == MAP_FAILED) {
		err = -errno;
		unmap_all(ring);
		memset(ring, 0, sizeof(*ring));
		ring->fd = -1;
		return err;
	}
	ring->fd = fd;
	ring->sq_entries = p.sq_entries;
	ring->cq_entries = p.cq_entries;
	ring->cqe_size = p.cqe_size;
	ring->features = p.features;
	ring->scheme = scheme;
	ring->sq_tail = ring->hdr->sq_tail;
	ring->sq_flushed = ring->sq_tail;
	return 0;
}

int us_ring_init_data(struct us_ring *ring, int fd, unsigned int sq_entries,
		      unsigned int cq_entries, unsigned int flags, size_t data_size)
{
	int own = -1, err;

	if (fd < 0) {
		own = fd = open(USCHEME_DEVICE, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			err = -errno;
			memset(ring, 0, sizeof(*ring));
			ring->fd = -1;
			return err;
		}
	}
	err = ring_setup(ring, fd, sq_entries, cq_entries, flags, data_size);
	if (err && own >= 0)
		close(own);
	return err;
}

int us_ring_init_fd(struct us_ring *ring, int fd, unsigned int sq_entries,
		    unsigned int cq_entries, unsigned int flags)
{
	if (fd < 0)
		return -EBADF;
	return ring_setup(ring, fd, sq_entries, cq_entries, flags, 0);
}

int us_ring_init(struct us_ring *ring, unsigned int sq_entries,
		 unsigned int cq_entries, unsigned int flags)
{
	return us_ring_init_data(ring, -1, sq_entries, cq_entries, flags, 0);
}

int us_scheme_init(struct us_ring *ring, const char *name,
		   unsigned int sq_entries, size_t data_size)
{
	int err = us_ring_init_data(ring, -1, sq_entries, 0,
				    USCHEME_SETUP_SCHEME, data_size);

	if (err)
		return err;
	err = us_register(ring, name);
	if (err)
		us_ring_exit(ring);
	return err;
}

/* ---- inherited scheme rings (libuscheme.h) ---- */

static bool desc_name_ok(const char *s, size_t n)
{
	size_t i;

	if (!n || n >= USCHEME_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* Decimal digits only, no sign, no leading zero (but "0"), at most max. */
static int desc_number(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (!n || (n > 1 && s[0] == '0'))
		return -EINVAL;
	for (i = 0; i < n; i++) {
		unsigned int d;

		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		d = (unsigned int)(s[i] - '0');
		if (v > (max - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static bool pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

static size_t page_round(size_t v)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t p = page > 0 ? (size_t)page : 4096;

	return (v + p - 1) & ~(p - 1);
}

enum { D_FD, D_NAME, D_SQ, D_CQ, D_CQE, D_RING, D_SQES, D_CQES, D_DATA, D_KEYS };
static const char *const desc_keys[D_KEYS] = {
	"fd", "name", "sq", "cq", "cqe", "ring", "sqes", "cqes", "data",
};

int us_ring_desc_parse(const char *desc, struct us_ring_desc *out)
{
	uint64_t v[D_KEYS] = { 0 };
	unsigned int seen = 0, k;
	const char *p = desc;
	size_t page = page_round(1);
	char name[USCHEME_NAME_MAX];

	/* out is written once, whole, at the end: a refusal leaves it empty. */
	memset(out, 0, sizeof(*out));
	out->fd = -1;
	if (!desc || strnlen(desc, US_RING_DESC_MAX) >= US_RING_DESC_MAX || !*desc)
		return -EINVAL;
	for (;;) {
		const char *end = strchr(p, ','), *eq;
		size_t klen;

		if (!end)
			end = p + strlen(p);
		eq = memchr(p, '=', (size_t)(end - p));
		if (!eq)
			return -EINVAL;
		klen = (size_t)(eq - p);
		for (k = 0; k < D_KEYS; k++)
			if (strlen(desc_keys[k]) == klen && !memcmp(p, desc_keys[k], klen))
				break;
		if (k == D_KEYS || (seen & (1u << k)))
			return -EINVAL;	/* unknown or repeated */
		seen |= 1u << k;
		eq++;
		if (k == D_NAME) {
			if (!desc_name_ok(eq, (size_t)(end - eq)))
				return -EINVAL;
			memcpy(name, eq, (size_t)(end - eq));
			name[end - eq] = 0;
		} else if (desc_number(eq, (size_t)(end - eq),
				       k == D_FD ? INT32_MAX : UINT32_MAX, &v[k])) {
			return -EINVAL;
		}
		if (!*end)
			break;
		p = end + 1;
		if (!*p)
			return -EINVAL;	/* a trailing comma */
	}
	if (seen != (1u << D_KEYS) - 1)
		return -EINVAL;		/* a key missing */
	if (!pow2(v[D_SQ]) || v[D_SQ] > USCHEME_MAX_SQ_ENTRIES ||
	    !pow2(v[D_CQ]) || v[D_CQ] < v[D_SQ] || v[D_CQ] > USCHEME_MAX_CQ_ENTRIES)
		return -EINVAL;
	if (v[D_CQE] != sizeof(struct uscheme_cqe) && v[D_CQE] != sizeof(struct uscheme_cqe32))
		return -EINVAL;
	if (v[D_RING] != page_round(sizeof(struct uscheme_ring_hdr)) ||
	    v[D_SQES] != page_round((size_t)v[D_SQ] * sizeof(struct uscheme_req)) ||
	    v[D_CQES] != page_round((size_t)(v[D_CQ] * v[D_CQE])))
		return -EINVAL;
	if (v[D_DATA] < USCHEME_DATA_MIN || v[D_DATA] > USCHEME_DATA_MAX ||
	    v[D_DATA] % 4096 || v[D_DATA] % page)
		return -EINVAL;
	memcpy(out->name, name, sizeof(name));
	out->fd = (int)v[D_FD];
	out->sq_entries = (uint32_t)v[D_SQ];
	out->cq_entries = (uint32_t)v[D_CQ];
	out->cqe_size = (uint32_t)v[D_CQE];
	out->ring_size = (size_t)v[D_RING];
	out->sqes_size = (size_t)v[D_SQES];
	out->cqes_size = (size_t)v[D_CQES];
	out->data_size = (size_t)v[D_DATA];
	return 0;
}

int us_ring_describe(const struct us_ring *ring, int child_fd, const char *name,
		     char *buf, size_t len)
{
	struct us_ring_desc check;
	int n;

	if (!ring->scheme || !ring->data || ring->fd < 0 || child_fd < 0 || !name ||
	    !desc_name_ok(name, strnlen(name, USCHEME_NAME_MAX)))
		return -EINVAL;
	n = snprintf(buf, len, "fd=%d,name=%s,sq=%u,cq=%u,cqe=%u,ring=%zu,sqes=%zu,"
		     "cqes=%zu,data=%zu", child_fd, name, ring->sq_entries,
		     ring->cq_entries, ring->cqe_size, ring->ring_size, ring->sqes_size,
		     ring->cqes_size, ring->data_size);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= len)
		return -ENOSPC;
	/* Never hand a child what us_ring_attach would refuse. */
	if (us_ring_desc_parse(buf, &check))
		return -EINVAL;
	return n;
}

/* Does a mapping one page longer than len at off fail, as it must at a region's end? */
static bool region_ends_at(int fd, uint64_t off, size_t len)
{
	size_t more = len + page_round(1);
	void *p = mmap(NULL, more, PROT_READ, MAP_SHARED, fd, (off_t)off);

	if (p == MAP_FAILED)
		return true;
	munmap(p, more);
	return false;
}

int us_ring_attach(struct us_ring *ring, const char *desc, char *name, size_t namelen)
{
	struct uscheme_stats st;
	struct us_ring_desc d;
	uint64_t features = 0;
	struct us_ring r;
	int fl, err;

	memset(ring, 0, sizeof(*ring));
	ring->fd = -1;
	err = us_ring_desc_parse(desc, &d);
	if (err)
		return err;
	if (name && strlen(d.name) >= namelen)
		return -ENAMETOOLONG;
	fl = fcntl(d.fd, F_GETFD);
	if (fl < 0)
		return -errno;
	/* -ENOTTY: not /dev/uscheme; -EBADFD: a ring never set up. */
	if (ioctl(d.fd, USCHEME_IOC_STATS, &st) < 0 ||
	    ioctl(d.fd, USCHEME_IOC_FEATURES, &features) < 0)
		return -errno;

	memset(&r, 0, sizeof(r));
	r.fd = -1;
	r.ring_size = d.ring_size;
	r.sqes_size = d.sqes_size;
	r.cqes_size = d.cqes_size;
	r.data_size = d.data_size;
	/* As a scheme ring maps: requests read-only, answers and data writable. */
	r.hdr = map(d.fd, r.ring_size, PROT_READ | PROT_WRITE, USCHEME_OFF_RING);
	if (r.hdr == MAP_FAILED)
		goto fail;
	r.sqes = map(d.fd, r.sqes_size, PROT_READ, USCHEME_OFF_SQES);
	if ((void *)r.sqes == MAP_FAILED)
		goto fail;
	/* A client ring's CQE array is read-only (-EPERM) and it has no data. */
	r.cqes = map(d.fd, r.cqes_size, PROT_READ | PROT_WRITE, USCHEME_OFF_CQES);
	if (r.cqes == MAP_FAILED)
		goto fail;
	r.data = mmap(NULL, r.data_size, PROT_READ | PROT_WRITE, MAP_SHARED, d.fd,
		      (off_t)USCHEME_OFF_DATA);
	if (r.data == MAP_FAILED)
		goto fail;
	/* The layout is the description's: entry counts, and no region longer. */
	if (r.hdr->sq_entries != d.sq_entries || r.hdr->cq_entries != d.cq_entries ||
	    r.hdr->sq_mask != d.sq_entries - 1 || r.hdr->cq_mask != d.cq_entries - 1 ||
	    !region_ends_at(d.fd, USCHEME_OFF_RING, r.ring_size) ||
	    !region_ends_at(d.fd, USCHEME_OFF_SQES, r.sqes_size) ||
	    !region_ends_at(d.fd, USCHEME_OFF_CQES, r.cqes_size) ||
	    !region_ends_at(d.fd, USCHEME_OFF_DATA, r.data_size)) {
		errno = EINVAL;
		goto fail;
	}
	if (!(fl & FD_CLOEXEC) && fcntl(d.fd, F_SETFD, fl | FD_CLOEXEC) < 0)
		goto fail;
	r.fd = d.fd;
	r.sq_entries = d.sq_entries;
	r.cq_entries = d.cq_entries;
	r.cqe_size = d.cqe_size;
	r.features = features;
	r.scheme = true;
	r.sq_tail = r.hdr->sq_tail;
	r.sq_flushed = r.sq_tail;
	*ring = r;
	if (name)
		strcpy(name, d.name);
	return 0;
fail:
	err = errno == EPERM ? -EINVAL : -errno;
	unmap_all(&r);
	return err;
}

void us_ring_exit(struct us_ring *ring)
{
	unmap_all(ring);
	if (ring->fd >= 0)
		close(ring->fd);
	memset(ring, 0, sizeof(*ring));
	ring->fd = -1;
}

struct uscheme_sqe *us_get_sqe(struct us_ring *ring)
{
	uint32_t head = load_acquire(&ring->hdr->sq_head);
	struct uscheme_sqe *sqe;

	if (ring->scheme || ring->sq_tail - head >= ring->sq_entries)
		return NULL;
	sqe = &ring->sqes[ring->sq_tail & (ring->sq_entries - 1)];
	ring->sq_tail++;
	memset(sqe, 0, sizeof(*sqe));
	return sqe;
}

unsigned int us_sq_pending(const struct us_ring *ring)
{
	return ring->sq_tail - load_acquire(&ring->hdr->sq_head);
}

void us_prep_nop(struct uscheme_sqe *sqe, uint64_t user_data)
{
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = USCHEME_OP_NOP;
	sqe->user_data = user_data;
}

int us_enter(struct us_ring *ring, unsigned int to_submit,
	     unsigned int min_complete, unsigned int flags, int64_t timeout_ns,
	     unsigned int *submitted)
{
	struct uscheme_enter e;
	int ret;

	memset(&e, 0, sizeof(e));
	e.to_submit = to_submit;
	e.min_complete = min_complete;
	e.flags = flags;
	e.timeout_ns = timeout_ns;
	ret = ioctl(ring->fd, USCHEME_IOC_ENTER, &e);
	if (submitted)
		*submitted = e.submitted;
	return ret < 0 ? -errno : 0;
}

/* Publish locally produced SQEs: entries first, then the tail (release). */
static unsigned int us_flush_sq(struct us_ring *ring)
{
	if (ring->sq_flushed != ring->sq_tail) {
		store_release(&ring->hdr->sq_tail, ring->sq_tail);
		ring->sq_flushed = ring->sq_tail;
	}
	return us_sq_pending(ring);
}

int us_submit(struct us_ring *ring)
{
	unsigned int n = us_flush_sq(ring), done = 0;
	int err = n ? us_enter(ring, n, 0, 0, 0, &done) : 0;

	return err ? err : (int)done;
}

int us_submit_and_wait(struct us_ring *ring, unsigned int wait_nr)
{
	unsigned int n = us_flush_sq(ring), done = 0;
	int err = us_enter(ring, n, wait_nr, wait_nr ? USCHEME_ENTER_GETEVENTS : 0,
			   0, &done);

	/* The kernel may end a wait early after submitting: wait on. */
	while (!err && wait_nr && us_cq_ready(ring) < wait_nr)
		err = us_enter(ring, 0, wait_nr, USCHEME_ENTER_GETEVENTS, 0, NULL);
	return err ? err : (int)done;
}

unsigned int us_cq_ready(const struct us_ring *ring)
{
	return load_acquire(&ring->hdr->cq_tail) - ring->hdr->cq_head;
}

struct uscheme_cqe *us_peek_cqe(struct us_ring *ring)
{
	uint32_t head = ring->hdr->cq_head;

	if (load_acquire(&ring->hdr->cq_tail) == head)
		return NULL;
	return (struct uscheme_cqe *)((char *)ring->cqes +
		(size_t)(head & (ring->cq_entries - 1)) * ring->cqe_size);
}

void us_cq_advance(struct us_ring *ring, unsigned int n)
{
	store_release(&ring->hdr->cq_head, ring->hdr->cq_head + n);
}

int us_wait_cqe(struct us_ring *ring, struct uscheme_cqe **cqe, int64_t timeout_ns)
{
	unsigned int flags = USCHEME_ENTER_GETEVENTS;
	int err;

	*cqe = us_peek_cqe(ring);
	if (*cqe)
		return 0;
	if (timeout_ns >= 0)
		flags |= USCHEME_ENTER_TIMEOUT;
	/* A wait that submits nothing restarts in the kernel; no early return. */
	err = us_enter(ring, 0, 1, flags, timeout_ns >= 0 ? timeout_ns : 0, NULL);
	if (err)
		return err;
	*cqe = us_peek_cqe(ring);
	return *cqe ? 0 : -EAGAIN;
}

int us_ring_stats(struct us_ring *ring, struct uscheme_stats *st)
{
	return ioctl(ring->fd, USCHEME_IOC_STATS, st) < 0 ? -errno : 0;
}

int us_features(uint64_t *features)
{
	int fd = open(USCHEME_DEVICE, O_RDWR | O_CLOEXEC);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, USCHEME_IOC_FEATURES, features) < 0)
		err = -errno;
	close(fd);
	return err;
}

int us_register(struct us_ring *ring, const char *name)
{
	struct uscheme_register reg;

	memset(&reg, 0, sizeof(reg));
	if (strlen(name) >= sizeof(reg.name))
		return -ENAMETOOLONG;
	strcpy(reg.name, name);
	return ioctl(ring->fd, USCHEME_IOC_REGISTER, &reg) < 0 ? -errno : 0;
}
