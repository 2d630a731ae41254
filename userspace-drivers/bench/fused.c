// SPDX-License-Identifier: MIT
/*
 * bench-fused: the FUSE side of `uscheme bench`, a libfuse3 low-level
 * daemon (single-threaded session loop, like the uscheme bench daemon)
 * serving one file, /file, 1 GiB of zeros, opened with direct I/O so every
 * read goes to the daemon (no page cache). A read of N bytes is answered
 * with N bytes from a ready buffer; fsync is answered at once (the bench's
 * 0-byte "null request"). Runs until SIGTERM/SIGINT, then unmounts.
 *
 *   bench-fused MOUNTPOINT
 */
#define FUSE_USE_VERSION 35
#include <errno.h>
#include <fuse_lowlevel.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define FILE_INO	2
#define FILE_SIZE	(1ULL << 30)
#define MAX_READ	(1U << 20)

static char zeros[MAX_READ];

static void fill_attr(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	if (ino == FUSE_ROOT_ID) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | 0444;
		st->st_nlink = 1;
		st->st_size = (off_t)FILE_SIZE;
	}
}

static void b_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;

	if (parent != FUSE_ROOT_ID || strcmp(name, "file")) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	memset(&e, 0, sizeof(e));
	e.ino = FILE_INO;
	e.attr_timeout = 3600;
	e.entry_timeout = 3600;
	fill_attr(FILE_INO, &e.attr);
	fuse_reply_entry(req, &e);
}

static void b_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct stat st;

	(void)fi;
	if (ino != FUSE_ROOT_ID && ino != FILE_INO) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill_attr(ino, &st);
	fuse_reply_attr(req, &st, 3600);
}

static void b_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (ino != FILE_INO) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	fi->direct_io = 1;	/* every read reaches the daemon */
	fuse_reply_open(req, fi);
}

static void b_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		   struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	if ((unsigned long long)off >= FILE_SIZE)
		size = 0;
	if (size > MAX_READ)
		size = MAX_READ;
	fuse_reply_buf(req, zeros, size);
}

static void b_fsync(fuse_req_t req, fuse_ino_t ino, int datasync,
		    struct fuse_file_info *fi)
{
	(void)ino;
	(void)datasync;
	(void)fi;
	fuse_reply_err(req, 0);
}

static const struct fuse_lowlevel_ops ops = {
	.lookup = b_lookup,
	.getattr = b_getattr,
	.open = b_open,
	.read = b_read,
	.fsync = b_fsync,
};

int main(int argc, char **argv)
{
	char *fargv[] = { argv[0], NULL };
	struct fuse_args args = FUSE_ARGS_INIT(1, fargv);
	struct fuse_session *se;
	int err = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: bench-fused MOUNTPOINT\n");
		return 2;
	}
	se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	if (!se)
		return 1;
	if (fuse_set_signal_handlers(se) == 0) {
		if (fuse_session_mount(se, argv[1]) == 0) {
			err = fuse_session_loop(se) ? 1 : 0;
			fuse_session_unmount(se);
		}
		fuse_remove_signal_handlers(se);
	}
	fuse_session_destroy(se);
	fuse_opt_free_args(&args);
	return err;
}
