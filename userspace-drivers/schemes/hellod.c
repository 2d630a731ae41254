// SPDX-License-Identifier: MIT
/*
 * hellod: the example at the top of libuscheme/daemon.h, compiled (with
 * the casts -Wextra wants for unused parameters). Serves "hello:" (or the
 * name given as its one argument), where every path reads as "hello\n".
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "../libuscheme/daemon.h"

static int h_open(struct us_daemon *d, const struct uscheme_req *req,
		  const char *path, void **state)
{
	(void)d;
	(void)path;
	if (req->op_flags & O_ACCMODE)
		return -EACCES;		/* read-only scheme */
	*state = NULL;			/* nothing to remember per handle */
	return 0;			/* the framework answers with a new id */
}

static int h_read(struct us_daemon *d, const struct uscheme_req *req,
		  void *state, void *buf, size_t len, uint64_t off)
{
	static const char text[] = "hello\n";

	(void)d;
	(void)req;
	(void)state;
	if (off >= sizeof(text) - 1)
		return 0;		/* end of file */
	if (len > sizeof(text) - 1 - off)
		len = sizeof(text) - 1 - off;
	memcpy(buf, text + off, len);	/* buf is in the data area */
	return (int)len;		/* bytes placed at buf */
}

static const struct us_scheme_ops ops = { .open = h_open, .read = h_read };

int main(int argc, char **argv)
{
	struct us_daemon d;
	int err = us_daemon_init(&d, argc > 1 ? argv[1] : "hello", &ops, NULL, NULL);

	if (err) {
		us_daemon_perror("hello", &d, err);	/* "cannot register ..." */
		return 1;
	}
	us_daemon_handle_signals(&d);	/* SIGINT/SIGTERM stop the loop */
	err = us_daemon_run(&d);	/* until stopped: 0, or -errno */
	us_daemon_exit(&d);		/* closes the ring; the name is free */
	return err ? 1 : 0;
}
