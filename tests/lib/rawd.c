// SPDX-License-Identifier: MIT
/* The suites' fake daemon on the raw scheme-ring ABI: see rawd.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rawd.h"

void rawd_bad(struct rawd *d, const char *why, const struct uscheme_req *rq)
{
	struct uscheme_req none;

	if (!rq) {
		memset(&none, 0, sizeof(none));
		rq = &none;
	}
	if (INC(&d->ctl->bad) == 1)
		snprintf(d->ctl->why, sizeof(d->ctl->why),
			 "%s (op %u tag %llu id %llu off %llu len %u len2 %u buf %llu)",
			 why, rq->opcode, (unsigned long long)rq->tag,
			 (unsigned long long)rq->id, (unsigned long long)rq->off,
			 rq->len, rq->len2, (unsigned long long)rq->buf);
}

int rawd_enter(struct rawd *d, unsigned int min_complete, unsigned int flags,
	       int64_t timeout_ns)
{
	struct uscheme_enter e;
	int ret;

	memset(&e, 0, sizeof(e));
	e.to_submit = d->unsent;
	e.min_complete = min_complete;
	e.flags = flags;
	e.timeout_ns = timeout_ns;
	ret = ioctl(d->fd, USCHEME_IOC_ENTER, &e) < 0 ? -errno : 0;
	if (e.submitted > d->unsent) {
		STORE(&d->ctl->derr, -10000);
		e.submitted = d->unsent;
	}
	d->unsent -= e.submitted;
	return ret;
}

void rawd_answer(struct rawd *d, uint64_t tag, int32_t res, uint32_t flags)
{
	struct uscheme_cqe *c;
	int tries = 0;

	while (d->resp_tail - LOAD(&d->hdr->cq_head) >= d->cq_entries) {
		int ret = rawd_enter(d, 0, 0, 0);

		if ((ret && ret != -EINTR) || ++tries > 100000) {
			STORE(&d->ctl->derr, ret ? ret : -10001);
			_exit(9);
		}
	}
	c = &d->resp[d->resp_tail & d->cq_mask];
	c->user_data = tag;
	c->res = res;
	c->flags = flags;
	d->resp_tail++;
	STORE(&d->hdr->cq_tail, d->resp_tail);
	d->unsent++;
}

int rawd_take(struct rawd *d, void (*fn)(struct rawd *d, const struct uscheme_req *rq))
{
	uint32_t tail = LOAD(&d->hdr->sq_tail);
	int n = 0;

	if (tail - d->sq_head > d->sq_entries) {
		STORE(&d->ctl->derr, -10002);
		snprintf(d->ctl->why, sizeof(d->ctl->why), "request tail %u beyond head %u + %u",
			 tail, d->sq_head, d->sq_entries);
		INC(&d->ctl->bad);
		return -1;
	}
	while (d->sq_head != tail) {
		struct uscheme_req rq = d->reqs[d->sq_head & d->sq_mask];

		d->sq_head++;
		STORE(&d->hdr->sq_head, d->sq_head);
		fn(d, &rq);
		n++;
	}
	return n;
}

int rawd_cmd_pending(struct rawd *d, uint32_t *seen)
{
	uint32_t seq = LOAD(&d->ctl->cmd_seq);

	if (seq == *seen)
		return 0;
	*seen = seq;
	return 1;
}

void rawd_cmd_done(struct rawd *d, uint32_t seen)
{
	STORE(&d->ctl->cmd_ack, seen);
}

int rawd_setup(struct rawd *d, const char *name, unsigned int sq, uint32_t data_size)
{
	struct uscheme_register reg;
	struct uscheme_params p;

	memset(&p, 0, sizeof(p));
	p.sq_entries = sq;
	p.flags = USCHEME_SETUP_SCHEME;
	p.data_size = data_size;
	d->fd = open(USCHEME_DEVICE, O_RDWR | O_CLOEXEC);
	if (d->fd < 0)
		return -errno;
	if (ioctl(d->fd, USCHEME_IOC_SETUP, &p) < 0)
		return -errno;
	if (p.data_size < data_size)
		return -ENODATA;
	d->ring_size = p.ring_size;
	d->sqes_size = p.sqes_size;
	d->cqes_size = p.cqes_size;
	d->data_size = p.data_size;
	d->hdr = mmap(NULL, p.ring_size, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd,
		      USCHEME_OFF_RING);
	d->reqs = mmap(NULL, p.sqes_size, PROT_READ, MAP_SHARED, d->fd, USCHEME_OFF_SQES);
	d->resp = mmap(NULL, p.cqes_size, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd,
		       USCHEME_OFF_CQES);
	d->data = mmap(NULL, p.data_size, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd,
		       (off_t)USCHEME_OFF_DATA);
	if (d->hdr == MAP_FAILED || d->reqs == MAP_FAILED || d->resp == MAP_FAILED ||
	    d->data == MAP_FAILED)
		return -errno;
	madvise(d->hdr, d->ring_size, MADV_DONTFORK);
	madvise((void *)d->reqs, d->sqes_size, MADV_DONTFORK);
	madvise(d->resp, d->cqes_size, MADV_DONTFORK);
	madvise(d->data, d->data_size, MADV_DONTFORK);
	d->sq_entries = d->hdr->sq_entries;
	d->sq_mask = d->hdr->sq_mask;
	d->cq_entries = d->hdr->cq_entries;
	d->cq_mask = d->hdr->cq_mask;
	d->sq_head = d->hdr->sq_head;
	d->resp_tail = d->hdr->cq_tail;
	memset(&reg, 0, sizeof(reg));
	snprintf(reg.name, sizeof(reg.name), "%s", name);
	if (ioctl(d->fd, USCHEME_IOC_REGISTER, &reg) < 0)
		return -errno;
	return 0;
}

void rawd_teardown(struct rawd *d)
{
	munmap(d->hdr, d->ring_size);
	munmap((void *)d->reqs, d->sqes_size);
	munmap(d->resp, d->cqes_size);
	munmap(d->data, d->data_size);
	close(d->fd);
}

int rawd_spawn(const struct rawd_spec *s, pid_t *pid)
{
	int p[2], err = -1000;
	pid_t child;

	if (pipe(p))
		return -errno;
	child = fork_child();
	if (child < 0)
		return -errno;
	if (child == 0) {
		struct rawd d;
		int fd;

		if (s->keep_fds)
			close(p[0]);
		else
			for (fd = 3; fd < 8192; fd++)
				if (fd != p[1])
					close(fd);
		memset(&d, 0, sizeof(d));
		d.ctl = s->ctl;
		d.shm = s->shm;
		err = rawd_setup(&d, s->name, s->sq ? s->sq : 64,
				 s->data_size ? s->data_size : 4 * MIB);
		if (!err && s->ready)
			s->ready(&d);
		if (write(p[1], &err, sizeof(err)) != sizeof(err) || err)
			_exit(1);
		close(p[1]);
		s->loop(&d);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &err, sizeof(err)) != sizeof(err))
		err = -1001;
	close(p[0]);
	if (err) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		fprintf(stderr, "  daemon %s: setup/register failed: %d\n", s->name, err);
		return err;
	}
	*pid = child;
	return 0;
}

int rawd_stop(pid_t *pid, const char *name, const struct rawd_ctl *ctl)
{
	if (*pid > 0) {
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
		*pid = 0;
	}
	if (ctl && (ctl->bad || ctl->derr)) {
		fprintf(stderr, "  daemon %s: %u bad, enter error %d: %s\n", name,
			ctl->bad, ctl->derr, ctl->why);
		return -1;
	}
	return 0;
}

int rawd_cmd(struct rawd_ctl *ctl, const char *name, uint32_t op, int32_t arg, uint64_t id)
{
	uint32_t seq = ctl->cmd_seq + 1;
	long long end = deadline(5000);

	ctl->cmd_op = op;
	ctl->cmd_arg = arg;
	ctl->cmd_id = id;
	STORE(&ctl->cmd_seq, seq);
	while (LOAD(&ctl->cmd_ack) != seq) {
		if (tap_now_ns() > end) {
			fprintf(stderr, "  daemon %s: command %u not done\n", name, op);
			return -ETIME;
		}
		usleep(500);
	}
	return 0;
}

void *rawd_shm(size_t size)
{
	void *s = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (s == MAP_FAILED)
		return NULL;
	memset(s, 0, size);
	return s;
}

int rawd_client_ring(struct us_ring *r, unsigned int sq, unsigned int cq)
{
	int err = us_ring_init(r, sq, cq, 0);

	if (err)
		return err;
	madvise(r->hdr, r->ring_size, MADV_DONTFORK);
	madvise(r->sqes, r->sqes_size, MADV_DONTFORK);
	madvise(r->cqes, r->cqes_size, MADV_DONTFORK);
	return 0;
}
