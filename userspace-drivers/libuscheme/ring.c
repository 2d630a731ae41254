// SPDX-License-Identifier: MIT
/* libuscheme: ring setup, SQE production, enter, CQE consumption. */
#include <errno.h>
#include <fcntl.h>
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
