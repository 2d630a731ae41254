// SPDX-License-Identifier: MIT
/*
 * The daemon framework (libuscheme/daemon.c) without a kernel: a fake
 * scheme ring in anonymous memory, requests handed to us_daemon_dispatch,
 * answers read back from the response array. Covers handle numbering and
 * reuse, notifications, deferral, bounds checks, -ENOSYS and -EBADF. Also
 * the description of an inherited scheme ring (us_ring_describe,
 * us_ring_desc_parse: malformed strings of every kind) and us_ring_attach's
 * refusals that need no kernel.
 *
 * Usage: daemon_test [name-substring]
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "../../lib/tap.h"
#include "../../../userspace-drivers/libuscheme/daemon.h"

#define DATA	(1 << 20)
#define CQ	64

struct calls {
	int opens, reads, closes, cancels, defer;
	uint64_t cancelled, deferred_tag;
	void *last_closed;
};

static void *anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* What us_daemon_init would give, without a kernel (fd -1: never entered). */
static int fake_init(struct us_daemon *d, const struct us_scheme_ops *ops, void *ctx)
{
	memset(d, 0, sizeof(*d));
	d->ring.fd = -1;
	d->ring.scheme = true;
	d->ring.sq_entries = 16;
	d->ring.cq_entries = CQ;
	d->ring.cqe_size = sizeof(struct uscheme_cqe);
	d->ring.ring_size = sizeof(struct uscheme_ring_hdr);
	d->ring.sqes_size = 16 * sizeof(struct uscheme_req);
	d->ring.cqes_size = CQ * sizeof(struct uscheme_cqe);
	d->ring.data_size = DATA;
	d->ring.hdr = anon(d->ring.ring_size);
	d->ring.sqes = anon(d->ring.sqes_size);
	d->ring.cqes = anon(d->ring.cqes_size);
	d->ring.data = anon(DATA);
	d->ops = ops;
	d->ctx = ctx;
	d->max_handles = 4;
	return d->ring.hdr && d->ring.sqes && d->ring.cqes && d->ring.data ? 0 : -1;
}

/* The next answer, consumed as the kernel would; NULL if none. */
static struct uscheme_cqe *answer(struct us_daemon *d)
{
	struct uscheme_ring_hdr *h = d->ring.hdr;
	struct uscheme_cqe *c;

	if (h->cq_head == __atomic_load_n(&h->cq_tail, __ATOMIC_ACQUIRE))
		return NULL;
	c = (struct uscheme_cqe *)d->ring.cqes + (h->cq_head & (CQ - 1));
	h->cq_head++;
	return c;
}

static struct calls *calls_of(struct us_daemon *d)
{
	return d->ctx;
}

static int t_open(struct us_daemon *d, const struct uscheme_req *req,
		  const char *path, void **state)
{
	(void)req;
	calls_of(d)->opens++;
	if (!strcmp(path, "missing"))
		return -ENOENT;
	if (!strcmp(path, "later")) {
		calls_of(d)->deferred_tag = req->tag;
		return US_DEFER;
	}
	*state = strdup(path);
	return *state ? 0 : -ENOMEM;
}

static int t_read(struct us_daemon *d, const struct uscheme_req *req,
		  void *state, void *buf, size_t len, uint64_t off)
{
	const char *s = state;
	size_t n = strlen(s);

	calls_of(d)->reads++;
	if (calls_of(d)->defer) {
		calls_of(d)->deferred_tag = req->tag;
		return US_DEFER;
	}
	if (off >= n)
		return 0;
	if (len > n - off)
		len = n - off;
	memcpy(buf, s + off, len);
	return (int)len;
}

static int t_fstat(struct us_daemon *d, const struct uscheme_req *req,
		   void *state, struct uscheme_stat *st)
{
	(void)d;
	(void)req;
	st->mode = S_IFREG | 0600;
	st->size = strlen(state);
	return 0;
}

static int t_dup(struct us_daemon *d, const struct uscheme_req *req,
		 void *state, const char *suffix, void **new_state)
{
	char *s;

	(void)d;
	(void)req;
	s = malloc(strlen(state) + strlen(suffix) + 1);
	if (!s)
		return -ENOMEM;
	strcpy(s, state);
	strcat(s, suffix);
	*new_state = s;
	return 0;
}

static int t_call(struct us_daemon *d, const struct uscheme_req *req,
		  void *state, void *buf, size_t in_len, size_t out_len)
{
	char *b = buf;
	size_t i;

	(void)d;
	(void)req;
	(void)state;
	for (i = 0; i < in_len && i < out_len; i++)	/* upper-case it in place */
		if (b[i] >= 'a' && b[i] <= 'z')
			b[i] = (char)(b[i] - 'a' + 'A');
	return (int)i;
}

static void t_close(struct us_daemon *d, void *state)
{
	calls_of(d)->closes++;
	calls_of(d)->last_closed = state;
	free(state);
}

static void t_cancel(struct us_daemon *d, uint64_t tag)
{
	calls_of(d)->cancels++;
	calls_of(d)->cancelled = tag;
}

static const struct us_scheme_ops test_ops = {
	.open = t_open, .read = t_read, .fstat = t_fstat, .dup = t_dup,
	.call = t_call, .close = t_close, .cancel = t_cancel,
};

static uint64_t next_tag = 100;
static uint64_t next_buf;

/* A request whose buffer (if any) gets the next free chunk of the data area. */
static struct uscheme_req mkreq(uint8_t op, uint64_t id, uint32_t len)
{
	struct uscheme_req r;

	memset(&r, 0, sizeof(r));
	r.opcode = op;
	r.tag = next_tag++;
	r.id = id;
	r.len = len;
	r.buf = next_buf;
	next_buf = (next_buf + len + 4096) & ~4095ULL;
	if (next_buf >= DATA)
		next_buf = 0;
	return r;
}

/* OPEN path as the kernel writes it: len bytes, then a NUL. */
static int open_req(struct us_daemon *d, const char *path, struct uscheme_cqe **c)
{
	struct uscheme_req r = mkreq(USCHEME_OP_OPEN, 0, (uint32_t)strlen(path));

	memcpy((char *)d->ring.data + r.buf, path, strlen(path) + 1);
	us_daemon_dispatch(d, &r);
	*c = answer(d);
	if (!*c || (*c)->user_data != r.tag)
		return -1;
	return 0;
}

static int t_handles(void)
{
	struct calls calls = { 0 };
	struct uscheme_cqe *c;
	struct uscheme_req r;
	struct us_daemon d;
	void *st;
	int i;

	CHECK_EQ(fake_init(&d, &test_ops, &calls), 0);
	for (i = 0; i < 3; i++) {
		CHECK_EQ(open_req(&d, "file", &c), 0);
		CHECK_EQ(c->res, i);	/* ids 0, 1, 2 */
	}
	CHECK_EQ(us_handle_count(&d), 3);
	CHECK_EQ(open_req(&d, "missing", &c), 0);
	CHECK_EQ(c->res, -ENOENT);
	CHECK_EQ(us_handle_count(&d), 3);

	/* CLOSE is a notification: no answer; the id is reused. */
	r = mkreq(USCHEME_OP_CLOSE, 1, 0);
	r.tag = 0;
	r.flags = USCHEME_REQ_F_NOREPLY;
	us_daemon_dispatch(&d, &r);
	CHECK(answer(&d) == NULL);
	CHECK_EQ(calls.closes, 1);
	CHECK_EQ(us_handle_get(&d, 1, &st), -EBADF);
	CHECK_EQ(open_req(&d, "again", &c), 0);
	CHECK_EQ(c->res, 1);
	CHECK_EQ(us_handle_get(&d, 1, &st), 0);
	CHECK(!strcmp(st, "again"));

	/* A repeated CLOSE of a freed id is ignored (and counted). */
	r = mkreq(USCHEME_OP_CLOSE, 3, 0);
	r.flags = USCHEME_REQ_F_NOREPLY;
	us_daemon_dispatch(&d, &r);
	CHECK(answer(&d) == NULL);
	CHECK_EQ(d.stats.bad, 1);

	/* The table is full at max_handles: -ENFILE, the state is released. */
	CHECK_EQ(open_req(&d, "four", &c), 0);
	CHECK_EQ(c->res, 3);
	calls.closes = 0;
	CHECK_EQ(open_req(&d, "five", &c), 0);
	CHECK_EQ(c->res, -ENFILE);
	CHECK_EQ(calls.closes, 1);

	/* Exit closes whatever is still open. */
	calls.closes = 0;
	us_daemon_exit(&d);
	CHECK_EQ(calls.closes, 4);
	return 0;
}

static int t_ops(void)
{
	struct calls calls = { 0 };
	struct uscheme_stat *st;
	struct uscheme_cqe *c;
	struct uscheme_req r;
	struct us_daemon d;
	char *buf;

	CHECK_EQ(fake_init(&d, &test_ops, &calls), 0);
	CHECK_EQ(open_req(&d, "abcdef", &c), 0);
	CHECK_EQ(c->res, 0);

	r = mkreq(USCHEME_OP_READ, 0, 4);
	r.off = 1;
	us_daemon_dispatch(&d, &r);
	c = answer(&d);
	CHECK(c && c->user_data == r.tag);
	CHECK_EQ(c->res, 4);
	CHECK(!memcmp((char *)d.ring.data + r.buf, "bcde", 4));

	r = mkreq(USCHEME_OP_FSTAT, 0, sizeof(*st));
	us_daemon_dispatch(&d, &r);
	c = answer(&d);
	CHECK(c && c->res == 0);
	st = (struct uscheme_stat *)((char *)d.ring.data + r.buf);
	CHECK_EQ(st->mode, S_IFREG | 0600);
	CHECK_EQ(st->size, 6);

	r = mkreq(USCHEME_OP_DUP, 0, 2);
	memcpy((char *)d.ring.data + r.buf, "gh", 3);
	us_daemon_dispatch(&d, &r);
	c = answer(&d);
	CHECK(c && c->res == 1);
	r = mkreq(USCHEME_OP_DUP, 1, 0);	/* an empty suffix, no buffer read */
	r.buf = DATA * 4ULL;
	us_daemon_dispatch(&d, &r);
	c = answer(&d);
	CHECK(c && c->res == 2);
	{
		void *s;

		CHECK_EQ(us_handle_get(&d, 2, &s), 0);
		CHECK(!strcmp(s, "abcdefgh"));
	}

	r = mkreq(USCHEME_OP_CALL, 0, 5);
	r.len2 = 3;
	memcpy((char *)d.ring.data + r.buf, "hello", 5);
	us_daemon_dispatch(&d, &r);
	c = answer(&d);
	CHECK(c && c->res == 3);
	CHECK(!memcmp((char *)d.ring.data + r.buf, "HEL", 3));

	/* No handler, unknown opcode, unknown id. */
	r = mkreq(USCHEME_OP_WRITE, 0, 1);
	us_daemon_dispatch(&d, &r);
	c = answer(&d);
	CHECK(c && c->res == -ENOSYS);
	r = mkreq(USCHEME_OP_FSYNC, 0, 0);
	us_daemon_dispatch(&d, &r);
	c = answer(&d);
	CHECK(c && c->res == -ENOSYS);
	r = mkreq(USCHEME_OP_LAST + 7, 0, 0);
	us_daemon_dispatch(&d, &r);
	c = answer(&d);
	CHECK(c && c->res == -ENOSYS);
	r = mkreq(USCHEME_OP_READ, 99, 4);
	us_daemon_dispatch(&d, &r);
	c = answer(&d);
	CHECK(c && c->res == -EBADF);
	r = mkreq(USCHEME_OP_READ, 1ULL << 40, 4);
	us_daemon_dispatch(&d, &r);
	c = answer(&d);
	CHECK(c && c->res == -EBADF);

	/* Buffers outside the data area: -EIO, the handler is not called. */
	calls.reads = 0;
	r = mkreq(USCHEME_OP_READ, 0, 4096);
	r.buf = DATA - 100;
	us_daemon_dispatch(&d, &r);
	c = answer(&d);
	CHECK(c && c->res == -EIO);
	r.buf = UINT64_MAX - 10;
	us_daemon_dispatch(&d, &r);
	c = answer(&d);
	CHECK(c && c->res == -EIO);
	CHECK_EQ(calls.reads, 0);
	r = mkreq(USCHEME_OP_FSTAT, 0, 8);	/* too small for a stat */
	us_daemon_dispatch(&d, &r);
	c = answer(&d);
	CHECK(c && c->res == -EIO);
	/* An OPEN path without its NUL, or with one inside. */
	r = mkreq(USCHEME_OP_OPEN, 0, 3);
	buf = (char *)d.ring.data + r.buf;
	memcpy(buf, "abcd", 4);
	us_daemon_dispatch(&d, &r);
	c = answer(&d);
	CHECK(c && c->res == -EIO);
	memcpy(buf, "a\0c\0", 4);
	us_daemon_dispatch(&d, &r);
	c = answer(&d);
	CHECK(c && c->res == -EIO);
	r.len = DATA;
	r.buf = 0;
	us_daemon_dispatch(&d, &r);
	c = answer(&d);
	CHECK(c && c->res == -EIO);
	CHECK_EQ(calls.opens, 1);
	CHECK(d.stats.bad >= 7);
	us_daemon_exit(&d);
	return 0;
}

static int t_defer_cancel(void)
{
	struct calls calls = { 0 };
	struct uscheme_cqe *c;
	struct uscheme_req r;
	struct us_daemon d;

	CHECK_EQ(fake_init(&d, &test_ops, &calls), 0);
	CHECK_EQ(open_req(&d, "xyz", &c), 0);
	calls.defer = 1;
	r = mkreq(USCHEME_OP_READ, 0, 8);
	us_daemon_dispatch(&d, &r);
	CHECK(answer(&d) == NULL);
	CHECK_EQ(calls.deferred_tag, r.tag);
	CHECK_EQ(d.stats.deferred, 1);

	/* The client gives up: a CANCEL notification names the tag (in off). */
	{
		struct uscheme_req n = mkreq(USCHEME_OP_CANCEL, 0, 0);

		n.tag = 0;
		n.off = r.tag;
		n.flags = USCHEME_REQ_F_NOREPLY;
		us_daemon_dispatch(&d, &n);
		CHECK(answer(&d) == NULL);
		CHECK_EQ(calls.cancels, 1);
		CHECK_EQ(calls.cancelled, r.tag);
	}
	/* The deferred request is still answered (the kernel discards it). */
	memcpy((char *)d.ring.data + r.buf, "late", 4);
	CHECK_EQ(us_reply(&d, r.tag, 4), 0);
	c = answer(&d);
	CHECK(c && c->user_data == r.tag && c->res == 4);

	/* A deferred OPEN, answered with a handle. */
	CHECK_EQ(open_req(&d, "later", &c), -1);	/* no answer yet */
	CHECK_EQ(us_reply_handle(&d, calls.deferred_tag, 0, strdup("later")), 0);
	c = answer(&d);
	CHECK(c && c->user_data == calls.deferred_tag && c->res == 1);
	CHECK_EQ(open_req(&d, "later", &c), -1);
	CHECK_EQ(us_reply_handle(&d, calls.deferred_tag, -EAGAIN, NULL), 0);
	c = answer(&d);
	CHECK(c && c->res == -EAGAIN);
	us_daemon_exit(&d);
	return 0;
}

/* A deferred OPEN answered with one of the daemon's fds (USCHEME_CQE_F_FD). */
static int t_reply_fd(void)
{
	struct calls calls = { 0 };
	struct uscheme_cqe *c;
	struct us_daemon d;
	uint32_t handles;

	CHECK_EQ(fake_init(&d, &test_ops, &calls), 0);
	handles = us_handle_count(&d);
	CHECK_EQ(open_req(&d, "later", &c), -1);	/* deferred */
	CHECK(us_daemon_answers_pending(&d) == 0);
	CHECK_EQ(us_reply_fd(&d, calls.deferred_tag, 2), 0);
	CHECK(us_daemon_answers_pending(&d) == 1);
	c = answer(&d);
	CHECK(c && c->user_data == calls.deferred_tag);
	CHECK_EQ(c->res, 2);
	CHECK_EQ(c->flags, USCHEME_CQE_F_FD);
	CHECK(us_daemon_answers_pending(&d) == 0);
	CHECK_EQ(us_handle_count(&d), handles);	/* no handle id was taken */
	CHECK_EQ(us_reply_fd(&d, 5, -1), -EBADF);
	CHECK(answer(&d) == NULL);
	/* Plain answers still carry no flags. */
	CHECK_EQ(us_reply(&d, 6, 0), 0);
	c = answer(&d);
	CHECK(c && c->flags == 0);
	us_daemon_exit(&d);
	return 0;
}

/* us_send_event: a USCHEME_CQE_F_EVENT answer naming the handle; us_handle_find. */
static int t_send_event(void)
{
	struct calls calls = { 0 };
	struct uscheme_cqe *c;
	struct us_daemon d;
	int a, b;

	CHECK_EQ(fake_init(&d, &test_ops, &calls), 0);
	a = us_handle_new(&d, &calls);
	b = us_handle_new(&d, &d);
	CHECK(a >= 0 && b >= 0 && a != b);
	CHECK_EQ(us_handle_find(&d, &calls), a);
	CHECK_EQ(us_handle_find(&d, &d), b);
	CHECK_EQ(us_handle_find(&d, &a), -ENOENT);
	CHECK_EQ(us_send_event(&d, (uint64_t)b, USCHEME_EV_READ), 0);
	c = answer(&d);
	CHECK(c && c->user_data == (uint64_t)b);
	CHECK_EQ(c->res, USCHEME_EV_READ);
	CHECK_EQ(c->flags, USCHEME_CQE_F_EVENT);
	CHECK_EQ(us_send_event(&d, (uint64_t)a, 0), 0);
	c = answer(&d);
	CHECK(c && c->res == 0 && c->flags == USCHEME_CQE_F_EVENT);
	/* Only READ and WRITE are a daemon's to set. */
	CHECK_EQ(us_send_event(&d, (uint64_t)a, USCHEME_EV_HUP), -EINVAL);
	CHECK(answer(&d) == NULL);
	{
		void *st;

		/* The states are not the ops' to free at exit. */
		CHECK_EQ(us_handle_free(&d, (uint64_t)a, &st), 0);
		CHECK_EQ(us_handle_free(&d, (uint64_t)b, &st), 0);
		CHECK_EQ(us_handle_find(&d, &d), -ENOENT);
	}
	us_daemon_exit(&d);
	return 0;
}

/* Answers fill the response array in order and wrap around it. */
static int t_many_answers(void)
{
	struct calls calls = { 0 };
	struct uscheme_cqe *c;
	struct uscheme_req r;
	struct us_daemon d;
	int i, j;

	CHECK_EQ(fake_init(&d, &test_ops, &calls), 0);
	CHECK_EQ(open_req(&d, "x", &c), 0);
	for (j = 0; j < 5; j++) {
		uint64_t first = next_tag;

		for (i = 0; i < CQ; i++) {	/* exactly a full array: no enter */
			r = mkreq(USCHEME_OP_FSTAT, 0, sizeof(struct uscheme_stat));
			us_daemon_dispatch(&d, &r);
		}
		for (i = 0; i < CQ; i++) {
			c = answer(&d);
			CHECK(c && c->user_data == first + (uint64_t)i && c->res == 0);
		}
		CHECK(answer(&d) == NULL);
	}
	us_daemon_exit(&d);
	return 0;
}

static int t_stop(void)
{
	struct calls calls = { 0 };
	struct us_daemon d;

	CHECK_EQ(fake_init(&d, &test_ops, &calls), 0);
	d.enter.flags = USCHEME_ENTER_GETEVENTS;
	CHECK(!us_daemon_stopped(&d));
	us_daemon_stop(&d);
	CHECK(us_daemon_stopped(&d));
	CHECK_EQ(d.enter.flags, 0);	/* an enter about to start will not wait */
	us_daemon_exit(&d);
	return 0;
}

/* ---- inherited scheme rings: the description (libuscheme.h) ---- */

/* Everything after the fd (the first key). */
#define DESC_REST ",name=usb.0000-00-04.0,sq=256,cq=512,cqe=16,ring=4096," \
	"sqes=16384,cqes=8192,data=16777216"
#define GOOD_DESC "fd=4" DESC_REST

/* A ring as us_scheme_init(&r, name, 256, 16M) leaves it (never mapped here). */
static void fake_scheme_ring(struct us_ring *r, void *data)
{
	memset(r, 0, sizeof(*r));
	r->fd = 9;
	r->scheme = true;
	r->sq_entries = 256;
	r->cq_entries = 512;
	r->cqe_size = 16;
	r->ring_size = 4096;
	r->sqes_size = 16384;
	r->cqes_size = 8192;
	r->data = data;
	r->data_size = 16 << 20;
}

static int desc_bad(const char *desc)
{
	struct us_ring_desc d;
	int err = us_ring_desc_parse(desc, &d);

	if (err != -EINVAL) {
		fprintf(stderr, "  accepted (%d): '%s'\n", err, desc ? desc : "(null)");
		return -1;
	}
	if (d.fd != -1 || d.name[0] || d.sq_entries || d.data_size) {
		fprintf(stderr, "  refused but filled in: '%s'\n", desc);
		return -1;
	}
	return 0;
}

static int t_desc_parse(void)
{
	struct us_ring_desc d;

	CHECK_EQ(us_ring_desc_parse(GOOD_DESC, &d), 0);
	CHECK_EQ(d.fd, 4);
	CHECK(!strcmp(d.name, "usb.0000-00-04.0"));
	CHECK_EQ(d.sq_entries, 256);
	CHECK_EQ(d.cq_entries, 512);
	CHECK_EQ(d.cqe_size, 16);
	CHECK_EQ(d.ring_size, 4096);
	CHECK_EQ(d.sqes_size, 16384);
	CHECK_EQ(d.cqes_size, 8192);
	CHECK_EQ(d.data_size, 16 << 20);
	/* Any order; the extremes of each range. */
	CHECK_EQ(us_ring_desc_parse("data=2097152,cqes=4096,sqes=4096,ring=4096,cqe=32,"
				    "cq=1,sq=1,name=a,fd=0", &d), 0);
	CHECK_EQ(d.fd, 0);
	CHECK_EQ(d.cqe_size, 32);
	CHECK(!strcmp(d.name, "a"));
	CHECK_EQ(us_ring_desc_parse("fd=2147483647,name=a-_.9z,sq=4096,cq=8192,cqe=32,"
				    "ring=4096,sqes=262144,cqes=262144,data=268435456", &d), 0);
	CHECK_EQ(d.fd, 2147483647);
	CHECK_EQ(d.data_size, USCHEME_DATA_MAX);
	CHECK_EQ(us_ring_desc_parse("fd=4,name=123456789012345678901234567890123456789012345678"
				    "901234567890123,sq=2,cq=4,cqe=16,ring=4096,sqes=4096,"
				    "cqes=4096,data=8388608", &d), 0);	/* a 63-byte name */
	CHECK_EQ(strlen(d.name), 63);
	return 0;
}

static int t_desc_malformed(void)
{
	static const char *const keys[] = {
		"fd=", "name=", "sq=", "cq=", "cqe=", "ring=", "sqes=", "cqes=", "data=",
	};
	static const char *const bad[] = {
		/* shape */
		"", ",", ",,", "fd", "fd=", "=4", "fd=4", GOOD_DESC ",", "," GOOD_DESC,
		"fd=4," DESC_REST, GOOD_DESC ",fd=4", GOOD_DESC ",extra=1",
		GOOD_DESC ",name=usb", "FD=4" DESC_REST, "fd =4" DESC_REST,
		"fd= 4" DESC_REST, "fd=4 " DESC_REST, " " GOOD_DESC, GOOD_DESC " ",
		GOOD_DESC "\n", "fd=4;name=a,sq=256,cq=512,cqe=16,ring=4096,sqes=16384,"
		"cqes=8192,data=16777216", "fd==4" DESC_REST, "name" DESC_REST,
		"=" DESC_REST, "fd=4,name" DESC_REST,
		/* numbers: signs, zeros, hex, overflow */
		"fd=-1" DESC_REST, "fd=+4" DESC_REST, "fd=04" DESC_REST, "fd=00" DESC_REST,
		"fd=0x4" DESC_REST, "fd=4x" DESC_REST, "fd=2147483648" DESC_REST,
		"fd=99999999999999999999999" DESC_REST, "fd=4\t" DESC_REST,
		"fd=4,name=usb.0000-00-04.0,sq=256,cq=512,cqe=16,ring=4096,sqes=16384,"
		"cqes=8192,data=18446744073709568000",
		"fd=4,name=usb.0000-00-04.0,sq=4294967552,cq=512,cqe=16,ring=4096,"
		"sqes=16384,cqes=8192,data=16777216",
		"fd=4,name=usb.0000-00-04.0,sq=-256,cq=512,cqe=16,ring=4096,sqes=16384,"
		"cqes=8192,data=16777216",
		"fd=4,name=usb.0000-00-04.0,sq=256,cq=512,cqe=16,ring=4096,sqes=16384,"
		"cqes=8192,data=16M",
		/* names */
		"fd=4,name=,sq=256,cq=512,cqe=16,ring=4096,sqes=16384,cqes=8192,data=16777216",
		"fd=4,name=USB,sq=256,cq=512,cqe=16,ring=4096,sqes=16384,cqes=8192,data=16777216",
		"fd=4,name=a:b,sq=256,cq=512,cqe=16,ring=4096,sqes=16384,cqes=8192,data=16777216",
		"fd=4,name=a b,sq=256,cq=512,cqe=16,ring=4096,sqes=16384,cqes=8192,data=16777216",
		"fd=4,name=a=b,sq=256,cq=512,cqe=16,ring=4096,sqes=16384,cqes=8192,data=16777216",
		"fd=4,name=a/b,sq=256,cq=512,cqe=16,ring=4096,sqes=16384,cqes=8192,data=16777216",
		"fd=4,name=1234567890123456789012345678901234567890123456789012345678901234,sq=2,"
		"cq=4,cqe=16,ring=4096,sqes=4096,cqes=4096,data=8388608",
		/* entries: powers of two, cq >= sq, the maxima */
		"fd=4,name=u,sq=0,cq=512,cqe=16,ring=4096,sqes=4096,cqes=8192,data=16777216",
		"fd=4,name=u,sq=255,cq=512,cqe=16,ring=4096,sqes=16384,cqes=8192,data=16777216",
		"fd=4,name=u,sq=256,cq=500,cqe=16,ring=4096,sqes=16384,cqes=8192,data=16777216",
		"fd=4,name=u,sq=512,cq=256,cqe=16,ring=4096,sqes=32768,cqes=4096,data=16777216",
		"fd=4,name=u,sq=8192,cq=8192,cqe=16,ring=4096,sqes=524288,cqes=131072,data=16777216",
		"fd=4,name=u,sq=256,cq=16384,cqe=16,ring=4096,sqes=16384,cqes=262144,data=16777216",
		/* sizes the counts do not imply */
		"fd=4,name=u,sq=256,cq=512,cqe=24,ring=4096,sqes=16384,cqes=12288,data=16777216",
		"fd=4,name=u,sq=256,cq=512,cqe=32,ring=4096,sqes=16384,cqes=8192,data=16777216",
		"fd=4,name=u,sq=256,cq=512,cqe=16,ring=8192,sqes=16384,cqes=8192,data=16777216",
		"fd=4,name=u,sq=256,cq=512,cqe=16,ring=128,sqes=16384,cqes=8192,data=16777216",
		"fd=4,name=u,sq=256,cq=512,cqe=16,ring=4096,sqes=16383,cqes=8192,data=16777216",
		"fd=4,name=u,sq=256,cq=512,cqe=16,ring=4096,sqes=16384,cqes=16384,data=16777216",
		/* the data area */
		"fd=4,name=u,sq=256,cq=512,cqe=16,ring=4096,sqes=16384,cqes=8192,data=0",
		"fd=4,name=u,sq=256,cq=512,cqe=16,ring=4096,sqes=16384,cqes=8192,data=1048576",
		"fd=4,name=u,sq=256,cq=512,cqe=16,ring=4096,sqes=16384,cqes=8192,data=2093056",
		"fd=4,name=u,sq=256,cq=512,cqe=16,ring=4096,sqes=16384,cqes=8192,data=16777217",
		"fd=4,name=u,sq=256,cq=512,cqe=16,ring=4096,sqes=16384,cqes=8192,data=268439552",
		"fd=4,name=u,sq=256,cq=512,cqe=16,ring=4096,sqes=16384,cqes=8192,data=536870912",
	};
	char buf[400], *p;
	size_t i, k;

	CHECK(!desc_bad(NULL));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(!desc_bad(bad[i]));
	/* Each key left out in turn. */
	for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		const char *at;
		size_t len;

		snprintf(buf, sizeof(buf), "%s", GOOD_DESC);
		at = strstr(buf, keys[k]);
		while (at && at != buf && at[-1] != ',')	/* "sq=" inside "sqes="? no: a key */
			at = strstr(at + 1, keys[k]);
		CHECK(at);
		len = strcspn(at, ",");
		p = (char *)at;
		if (p[len] == ',')
			len++;
		else if (p != buf)
			p--, len++;	/* the last key: drop its comma instead */
		memmove(p, p + len, strlen(p + len) + 1);
		CHECK(!desc_bad(buf));
	}
	/* Longer than US_RING_DESC_MAX - 1 (a valid one padded is still too long). */
	memset(buf, 'a', sizeof(buf));
	buf[sizeof(buf) - 1] = 0;
	CHECK(!desc_bad(buf));
	snprintf(buf, sizeof(buf), "%s,name=%0300d", GOOD_DESC, 0);
	CHECK(!desc_bad(buf));
	return 0;
}

/* Mangled descriptions: refused or accepted whole, never a crash or a half. */
static int t_desc_fuzz(void)
{
	unsigned int seed = 4242, i, j, accepted = 0;
	char buf[sizeof(GOOD_DESC)];
	struct us_ring_desc d;

	for (i = 0; i < 50000; i++) {
		memcpy(buf, GOOD_DESC, sizeof(buf));
		for (j = 0; j < 1 + i % 3; j++) {
			seed = seed * 1103515245 + 12345;
			buf[(seed >> 8) % (sizeof(buf) - 1)] = (char)(seed >> 16);
		}
		if (us_ring_desc_parse(buf, &d)) {
			CHECK_EQ(d.fd, -1);
			continue;
		}
		accepted++;
		CHECK(d.fd >= 0);
		CHECK(d.sq_entries && !(d.sq_entries & (d.sq_entries - 1)));
		CHECK(d.cq_entries >= d.sq_entries && !(d.cq_entries & (d.cq_entries - 1)));
		CHECK(d.cqes_size >= (size_t)d.cq_entries * d.cqe_size);
		CHECK(d.data_size >= USCHEME_DATA_MIN && d.data_size <= USCHEME_DATA_MAX);
		CHECK(strlen(d.name) > 0);
	}
	printf("# %u of 50000 mangled descriptions still valid (a digit of fd or a name)\n",
	       accepted);
	return 0;
}

static int t_desc_describe(void)
{
	char buf[US_RING_DESC_MAX], small[40], data;
	char name[64], longname[80];
	struct us_ring_desc d;
	struct us_ring r;

	fake_scheme_ring(&r, &data);
	CHECK_EQ(us_ring_describe(&r, 4, "usb.0000-00-04.0", buf, sizeof(buf)),
		 (int)strlen(GOOD_DESC));
	CHECK(!strcmp(buf, GOOD_DESC));
	CHECK_EQ(us_ring_desc_parse(buf, &d), 0);
	/* Refusals: a client ring, no data area, a bad fd or name, no room. */
	CHECK_EQ(us_ring_describe(&r, -1, "usb", buf, sizeof(buf)), -EINVAL);
	CHECK_EQ(us_ring_describe(&r, 4, "USB", buf, sizeof(buf)), -EINVAL);
	CHECK_EQ(us_ring_describe(&r, 4, "", buf, sizeof(buf)), -EINVAL);
	CHECK_EQ(us_ring_describe(&r, 4, NULL, buf, sizeof(buf)), -EINVAL);
	memset(name, 'a', 63);
	name[63] = 0;
	CHECK(us_ring_describe(&r, 4, name, buf, sizeof(buf)) > 0);
	memset(longname, 'a', 64);	/* one too many */
	longname[64] = 0;
	CHECK_EQ(us_ring_describe(&r, 4, longname, buf, sizeof(buf)), -EINVAL);
	CHECK_EQ(us_ring_describe(&r, 4, "usb", small, sizeof(small)), -ENOSPC);
	CHECK_EQ(us_ring_describe(&r, 4, "usb.0000-00-04.0", buf, strlen(GOOD_DESC)), -ENOSPC);
	CHECK_EQ(us_ring_describe(&r, 4, "usb.0000-00-04.0", buf, strlen(GOOD_DESC) + 1),
		 (int)strlen(GOOD_DESC));
	r.cqe_size = 32;	/* inconsistent with cqes_size: never described */
	CHECK_EQ(us_ring_describe(&r, 4, "usb", buf, sizeof(buf)), -EINVAL);
	fake_scheme_ring(&r, NULL);
	CHECK_EQ(us_ring_describe(&r, 4, "usb", buf, sizeof(buf)), -EINVAL);
	fake_scheme_ring(&r, &data);
	r.scheme = false;
	CHECK_EQ(us_ring_describe(&r, 4, "usb", buf, sizeof(buf)), -EINVAL);
	return 0;
}

/* us_ring_attach without a kernel: every refusal before a mapping. */
static int t_desc_attach(void)
{
	char desc[US_RING_DESC_MAX], name[64], small[4];
	const struct us_daemon_config cfg = { .max_handles = 7 };
	struct us_daemon d;
	struct us_ring r;
	int fd, fl;

	r.fd = 123;
	CHECK_EQ(us_ring_attach(&r, "fd=4,name=x", name, sizeof(name)), -EINVAL);
	CHECK_EQ(r.fd, -1);
	CHECK(r.hdr == NULL && r.data == NULL);
	/* An fd that is not open. */
	snprintf(desc, sizeof(desc), "fd=%d%s", 1000, DESC_REST);
	close(1000);
	CHECK_EQ(us_ring_attach(&r, desc, name, sizeof(name)), -EBADF);
	/* An open fd that is no uscheme ring: left as it was. */
	fd = open("/dev/null", O_RDWR);
	CHECK(fd >= 0);
	fl = fcntl(fd, F_GETFD);
	snprintf(desc, sizeof(desc), "fd=%d%s", fd, DESC_REST);
	CHECK_EQ(us_ring_attach(&r, desc, name, sizeof(name)), -ENOTTY);
	CHECK_EQ(fcntl(fd, F_GETFD), fl);
	CHECK_EQ(r.fd, -1);
	/* The name does not fit the caller's buffer. */
	CHECK_EQ(us_ring_attach(&r, desc, small, sizeof(small)), -ENAMETOOLONG);
	/* The daemon's way: the environment, then the same errors. */
	unsetenv(USCHEME_SCHEME);
	CHECK_EQ(us_daemon_init_inherited(&d, NULL, &test_ops, NULL, &cfg), -ENOENT);
	CHECK(d.failed && !strncmp(d.failed, "find", 4));
	CHECK_EQ(d.ring.fd, -1);
	CHECK_EQ(d.max_handles, 7);
	setenv(USCHEME_SCHEME, desc, 1);
	CHECK_EQ(us_daemon_init_inherited(&d, NULL, &test_ops, NULL, NULL), -ENOTTY);
	CHECK(d.failed && !strncmp(d.failed, "attach", 6));
	CHECK_EQ(us_daemon_init_inherited(&d, "fd=3", &test_ops, NULL, NULL), -EINVAL);
	CHECK_EQ(d.ring.fd, -1);
	us_daemon_exit(&d);	/* safe after a failed init */
	CHECK_EQ(fcntl(fd, F_GETFD), fl);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct tap_test tests[] = {
		{ "unit_handles", t_handles, 0 },
		{ "unit_ops", t_ops, 0 },
		{ "unit_defer_cancel", t_defer_cancel, 0 },
		{ "unit_reply_fd", t_reply_fd, 0 },
		{ "unit_send_event", t_send_event, 0 },
		{ "unit_many_answers", t_many_answers, 0 },
		{ "unit_stop", t_stop, 0 },
		{ "unit_desc_parse", t_desc_parse, 0 },
		{ "unit_desc_malformed", t_desc_malformed, 0 },
		{ "unit_desc_fuzz", t_desc_fuzz, 0 },
		{ "unit_desc_describe", t_desc_describe, 0 },
		{ "unit_desc_attach", t_desc_attach, 0 },
	};

	return tap_run("daemon", tests, sizeof(tests) / sizeof(tests[0]),
		       argc > 1 ? argv[1] : NULL);
}
