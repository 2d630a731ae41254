// SPDX-License-Identifier: MIT
/*
 * nulld: the benchmark schemes, from one process (a thread and a scheme
 * ring per scheme):
 *
 *   null:   reads return 0 bytes (end of file), writes take everything
 *   zero:   reads fill the buffer with zeros, writes take everything
 *   echo:   a write appends its bytes to the handle's buffer (up to 4 MiB,
 *           then ENOSPC); a read takes them back out (0 when empty);
 *           CALL returns its input as its output (cut to the output size)
 *
 * Any path opens (the path is ignored; O_DIRECTORY gives ENOTDIR), and DUP
 * gives a new handle (echo: with an empty buffer).
 *
 *   nulld [--name KIND[=SCHEME]]... [--background] [--foreground]
 *
 * e.g. "nulld" serves null:, zero: and echo:; "nulld --name echo=echo2"
 * serves only echo2:.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../libuscheme/daemon.h"
#include "common.h"

#define ECHO_MAX	(4U << 20)

static const char *prog = "nulld";

enum kind { K_NULL, K_ZERO, K_ECHO, K_COUNT };
static const char *const kind_names[K_COUNT] = { "null", "zero", "echo" };

struct echo_buf {
	char *data;
	size_t len, cap;
};

static int n_open(struct us_daemon *d, const struct uscheme_req *req,
		  const char *path, void **state)
{
	struct echo_buf *e;

	(void)path;
	if (req->op_flags & O_DIRECTORY)
		return -ENOTDIR;
	*state = NULL;
	if ((enum kind)(uintptr_t)d->ctx != K_ECHO)
		return 0;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	*state = e;
	return 0;
}

static int n_dup(struct us_daemon *d, const struct uscheme_req *req,
		 void *state, const char *suffix, void **new_state)
{
	(void)state;
	(void)suffix;
	return n_open(d, req, "", new_state);
}

static void n_close(struct us_daemon *d, void *state)
{
	struct echo_buf *e = state;

	(void)d;
	if (e)
		free(e->data);
	free(e);
}

static int n_read(struct us_daemon *d, const struct uscheme_req *req,
		  void *state, void *buf, size_t len, uint64_t off)
{
	struct echo_buf *e = state;

	(void)req;
	(void)off;
	switch ((enum kind)(uintptr_t)d->ctx) {
	case K_NULL:
		return 0;
	case K_ZERO:
		memset(buf, 0, len);
		return (int)len;
	default:
		if (len > e->len)
			len = e->len;
		memcpy(buf, e->data, len);
		memmove(e->data, e->data + len, e->len - len);
		e->len -= len;
		return (int)len;
	}
}

static int n_write(struct us_daemon *d, const struct uscheme_req *req,
		   void *state, const void *buf, size_t len, uint64_t off)
{
	struct echo_buf *e = state;

	(void)req;
	(void)off;
	if ((enum kind)(uintptr_t)d->ctx != K_ECHO || !len)
		return (int)len;
	if (e->len >= ECHO_MAX)
		return -ENOSPC;
	if (len > ECHO_MAX - e->len)
		len = ECHO_MAX - e->len;
	if (e->len + len > e->cap) {
		size_t cap = e->cap ? e->cap : 4096;
		char *n;

		while (cap < e->len + len)
			cap *= 2;
		n = realloc(e->data, cap);
		if (!n)
			return -ENOMEM;
		e->data = n;
		e->cap = cap;
	}
	memcpy(e->data + e->len, buf, len);
	e->len += len;
	return (int)len;
}

static int n_call(struct us_daemon *d, const struct uscheme_req *req,
		  void *state, void *buf, size_t in_len, size_t out_len)
{
	(void)req;
	(void)state;
	(void)buf;
	if ((enum kind)(uintptr_t)d->ctx != K_ECHO)
		return -ENOSYS;
	/* Input and output share buf: the input already is the output. */
	return (int)(in_len < out_len ? in_len : out_len);
}

static int n_fstat(struct us_daemon *d, const struct uscheme_req *req,
		   void *state, struct uscheme_stat *st)
{
	struct echo_buf *e = state;

	(void)req;
	st->mode = S_IFCHR | 0666;
	st->nlink = 1;
	if ((enum kind)(uintptr_t)d->ctx == K_ECHO)
		st->size = e->len;
	return 0;
}

static int n_zero(struct us_daemon *d, const struct uscheme_req *req, void *state)
{
	(void)d;
	(void)req;
	(void)state;
	return 0;
}

static int n_ftruncate(struct us_daemon *d, const struct uscheme_req *req,
		       void *state, uint64_t length)
{
	struct echo_buf *e = state;

	(void)req;
	if ((enum kind)(uintptr_t)d->ctx == K_ECHO && length < e->len)
		e->len = (size_t)length;
	return 0;
}

static const struct us_scheme_ops null_ops = {
	.open = n_open,
	.read = n_read,
	.write = n_write,
	.fstat = n_fstat,
	.fsync = n_zero,
	.ftruncate = n_ftruncate,
	.dup = n_dup,
	.call = n_call,
	.close = n_close,
};

struct server {
	enum kind kind;
	char name[USCHEME_NAME_MAX];
	struct us_daemon d;
	pthread_t thread;
	int err;
};

static void on_usr1(int sig)
{
	(void)sig;	/* only interrupts a wait: us_daemon_stop did the rest */
}

static void *serve(void *arg)
{
	struct server *s = arg;

	s->err = us_daemon_run(&s->d);
	if (s->err) {
		fprintf(stderr, "%s: %s: scheme ring failed: %s\n", prog, s->name,
			strerror(-s->err));
		kill(getpid(), SIGTERM);	/* wake main: stop the others too */
	}
	return NULL;
}

static int usage(FILE *f)
{
	fprintf(f,
		"usage: %s [--name KIND[=SCHEME]]... [--background] [--foreground]\n"
		"Serve the benchmark schemes (KIND null, zero or echo; SCHEME defaults to\n"
		"KIND; without --name all three):\n"
		"  null:   reads return end of file, writes take everything\n"
		"  zero:   reads return zeros, writes take everything\n"
		"  echo:   a read returns what the handle's writes stored; CALL echoes\n"
		"  --background   return once serving, printing the daemon's pid\n"
		"  --foreground   stay in the foreground (the default)\n"
		"  --help, -h     this text\n"
		"Needs CAP_SYS_ADMIN (registering scheme names). SIGINT or SIGTERM: exit 0.\n",
		prog);
	return f == stdout ? 0 : 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "background", no_argument, NULL, 'B' },
		{ "foreground", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct server srv[8];
	unsigned int nsrv = 0, i, started;
	int background = 0, ready = -1, c, err, sig = 0, failed = 0;
	struct sigaction sa;
	sigset_t stop_set;

	while ((c = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': {
			const char *eq = strchr(optarg, '=');
			size_t klen = eq ? (size_t)(eq - optarg) : strlen(optarg);
			int k;

			for (k = 0; k < K_COUNT; k++)
				if (strlen(kind_names[k]) == klen &&
				    !strncmp(optarg, kind_names[k], klen))
					break;
			if (k == K_COUNT || nsrv == sizeof(srv) / sizeof(srv[0]) ||
			    (eq && (!eq[1] || strlen(eq + 1) >= USCHEME_NAME_MAX))) {
				fprintf(stderr, "%s: bad --name '%s' (null, zero or echo, "
					"optionally =SCHEME)\n", prog, optarg);
				return 2;
			}
			memset(&srv[nsrv], 0, sizeof(srv[nsrv]));
			srv[nsrv].kind = (enum kind)k;
			snprintf(srv[nsrv].name, sizeof(srv[nsrv].name), "%s",
				 eq ? eq + 1 : kind_names[k]);
			nsrv++;
			break;
		}
		case 'B':
			background = 1;
			break;
		case 'F':
			background = 0;
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
	if (!nsrv) {
		for (i = 0; i < K_COUNT; i++) {
			memset(&srv[i], 0, sizeof(srv[i]));
			srv[i].kind = (enum kind)i;
			snprintf(srv[i].name, sizeof(srv[i].name), "%s", kind_names[i]);
		}
		nsrv = K_COUNT;
	}

	if (background)
		ready = daemon_background(prog);

	/*
	 * Signals: SIGINT and SIGTERM are blocked everywhere and taken by main
	 * with sigwait; main then stops each server and interrupts its wait
	 * with SIGUSR1 (a handler without SA_RESTART).
	 */
	sigemptyset(&stop_set);
	sigaddset(&stop_set, SIGINT);
	sigaddset(&stop_set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop_set, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	for (i = 0; i < nsrv; i++) {
		err = us_daemon_init(&srv[i].d, srv[i].name, &null_ops,
				     (void *)(uintptr_t)srv[i].kind, NULL);
		if (err) {
			us_daemon_perror(prog, &srv[i].d, err);
			while (i--)
				us_daemon_exit(&srv[i].d);
			return 1;
		}
	}
	for (started = 0; started < nsrv; started++) {
		err = pthread_create(&srv[started].thread, NULL, serve, &srv[started]);
		if (err) {
			fprintf(stderr, "%s: pthread_create: %s\n", prog, strerror(err));
			failed = 1;
			break;
		}
	}
	if (!failed) {
		fprintf(stderr, "%s: serving", prog);
		for (i = 0; i < nsrv; i++)
			fprintf(stderr, " %s: (%s)", srv[i].name, kind_names[srv[i].kind]);
		fprintf(stderr, ", pid %d\n", (int)getpid());
		daemon_ready(ready);
		sigwait(&stop_set, &sig);
	}

	/* Stop the server threads (see above), then close the rings. */
	for (i = 0; i < started; i++) {
		us_daemon_stop(&srv[i].d);
		pthread_kill(srv[i].thread, SIGUSR1);
	}
	for (i = 0; i < started; i++) {
		pthread_join(srv[i].thread, NULL);
		if (srv[i].err)
			failed = 1;
		else
			fprintf(stderr, "%s: %s: %" PRIu64 " requests\n", prog,
				srv[i].name, srv[i].d.stats.requests);
	}
	for (i = 0; i < nsrv; i++)
		us_daemon_exit(&srv[i].d);
	if (!failed)
		fprintf(stderr, "%s: stopped on %s\n", prog, strsignal(sig));
	return failed ? 1 : 0;
}
