// SPDX-License-Identifier: MIT
/* Shared helpers of the hardening suite: the test daemon and client calls. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harden.h"

#define LOAD(p)		__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)

int32_t hd_answer_ok(struct hd_shared *sh, const struct uscheme_req *rq, void *chunk)
{
	(void)sh;
	(void)chunk;
	switch (rq->opcode) {
	case USCHEME_OP_OPEN:
		return 7;
	case USCHEME_OP_READ:
	case USCHEME_OP_WRITE:
		return (int32_t)rq->len;
	default:
		return 0;
	}
}

/* The daemon: serve @name until killed or told to stop. Never returns. */
static void hd_serve(struct hd_shared *sh, const char *name, hd_policy policy)
{
	struct us_ring r;
	uint32_t head, tail, ctail, answers;
	int err;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	err = us_scheme_init(&r, name, 64, 0);
	if (err) {
		fprintf(stderr, "  test daemon %s: us_scheme_init: %s\n", name, strerror(-err));
		_exit(1);
	}
	STORE(&sh->ready, 1);
	while (!LOAD(&sh->stop)) {
		err = us_enter(&r, 0, 1, USCHEME_ENTER_GETEVENTS | USCHEME_ENTER_TIMEOUT,
			       100 * 1000000LL, NULL);
		if (err && err != -ETIME && err != -EINTR)
			_exit(2);
		head = r.hdr->sq_head;
		tail = LOAD(&r.hdr->sq_tail);
		ctail = r.hdr->cq_tail;
		answers = 0;
		for (; head != tail; head++) {
			struct uscheme_req rq = ((struct uscheme_req *)r.sqes)[head & (r.sq_entries - 1)];
			struct uscheme_cqe *c;
			uint32_t n = LOAD(&sh->nreq);
			int32_t res;

			if (n < HD_LOG_MAX) {
				sh->rq[n] = rq;
				STORE(&sh->nreq, n + 1);
			}
			if (rq.flags & USCHEME_REQ_F_NOREPLY)
				continue;
			res = policy(sh, &rq, (char *)r.data + rq.buf);
			if (res == HD_NOANSWER)
				continue;
			c = (struct uscheme_cqe *)((char *)r.cqes +
				(size_t)(ctail & (r.cq_entries - 1)) * r.cqe_size);
			c->user_data = rq.tag;
			c->res = res;
			c->flags = 0;
			ctail++;
			answers++;
		}
		STORE(&r.hdr->sq_head, head);
		STORE(&r.hdr->cq_tail, ctail);
		if (answers)
			us_enter(&r, answers, 0, 0, 0, NULL);
	}
	us_ring_exit(&r);
	_exit(0);
}

static int hd_wait_ready(struct hd *d)
{
	int i;

	for (i = 0; i < 500; i++) {
		if (LOAD(&d->sh->ready))
			return 0;
		usleep(10000);
	}
	fprintf(stderr, "  test daemon %s never registered\n", d->name);
	return -1;
}

static int hd_setup(struct hd *d, const char *name)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->sh = mmap(NULL, sizeof(*d->sh), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return d->sh == MAP_FAILED ? -1 : 0;
}

int hd_start(struct hd *d, const char *name, hd_policy policy)
{
	if (hd_setup(d, name))
		return -1;
	d->pid = fork();
	if (d->pid < 0)
		return -1;
	if (d->pid == 0)
		hd_serve(d->sh, d->name, policy);
	return hd_wait_ready(d);
}

int hd_start_pidns(struct hd *d, const char *name, hd_policy policy)
{
	if (hd_setup(d, name))
		return -1;
	d->pid = fork();
	if (d->pid < 0)
		return -1;
	if (d->pid == 0) {
		pid_t inner;
		int st;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (unshare(CLONE_NEWPID)) {
			fprintf(stderr, "  unshare(CLONE_NEWPID): %s\n", strerror(errno));
			_exit(3);
		}
		inner = fork();		/* pid 1 of the new namespace */
		if (inner == 0)
			hd_serve(d->sh, d->name, policy);
		waitpid(inner, &st, 0);
		_exit(0);
	}
	return hd_wait_ready(d);
}

void hd_stop(struct hd *d)
{
	if (d->pid > 0) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, NULL, 0);
		d->pid = 0;
	}
}

unsigned int hd_count(const struct hd *d, uint8_t opcode)
{
	uint32_t i, n = LOAD(&d->sh->nreq), c = 0;

	for (i = 0; i < n; i++)
		c += d->sh->rq[i].opcode == opcode;
	return c;
}

int hd_wait_count(const struct hd *d, uint8_t opcode, unsigned int n)
{
	int i;

	for (i = 0; i < 500; i++) {
		if (hd_count(d, opcode) >= n)
			return 0;
		usleep(10000);
	}
	fprintf(stderr, "  daemon %s: %u requests of op %u, wanted %u\n", d->name,
		hd_count(d, opcode), opcode, n);
	return -1;
}

const struct uscheme_req *hd_last(const struct hd *d, uint8_t opcode)
{
	uint32_t n = LOAD(&d->sh->nreq);

	while (n--)
		if (d->sh->rq[n].opcode == opcode)
			return &d->sh->rq[n];
	return NULL;
}

int hd_open(const struct hd *d, const char *path, int flags)
{
	char spec[256];
	struct uscheme_open o;
	int dev, ret;

	snprintf(spec, sizeof(spec), "%s:%s", d->name, path);
	dev = open(USCHEME_DEVICE, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -errno;
	memset(&o, 0, sizeof(o));
	o.path = (uintptr_t)spec;
	o.flags = flags;
	ret = ioctl(dev, USCHEME_IOC_OPEN, &o) ? -errno : o.fd;
	close(dev);
	return ret;
}

int hd_ring_op(struct us_ring *ring, const struct uscheme_sqe *sqe, int32_t *res)
{
	struct uscheme_sqe *s = us_get_sqe(ring);
	struct uscheme_cqe *cqe;
	int err;

	if (!s)
		return -EBUSY;
	*s = *sqe;
	err = us_submit(ring);
	if (err < 0)
		return err;
	err = us_wait_cqe(ring, &cqe, 5 * 1000000000LL);
	if (err)
		return err;
	*res = cqe->res;
	us_cqe_seen(ring);
	return 0;
}

int hd_as_user(uid_t id, int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(id) || setuid(id))
			_exit(99);
		/* Changing ids made it undumpable: /proc/self would be root's. */
		prctl(PR_SET_DUMPABLE, 1);
		_exit(fn(arg) ? 1 : 0);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
