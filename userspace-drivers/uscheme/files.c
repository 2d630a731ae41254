// SPDX-License-Identifier: MIT
/*
 * uscheme's scheme subcommands: schemes, stats, ls, cat, write, stat.
 * Each returns the process's exit status: 0, 1 (it failed, and said why on
 * stderr), 2 (a usage error).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "../libuscheme/libuscheme.h"
#include "files.h"

#define CHUNK	(128 * 1024)

/* strerror, starting lower-case, as the rest of a message. */
static const char *reason(int err)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "%s", strerror(err < 0 ? -err : err));
	if (buf[0] >= 'A' && buf[0] <= 'Z' && buf[1] >= 'a' && buf[1] <= 'z')
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}

/* Report a failed open of a scheme path: the kernel's -ENOENT or the daemon's? */
static int open_failed(const char *path, int err)
{
	size_t nlen = strcspn(path, ":");

	if (err == -ENOENT && access(USCHEME_DEVICE, F_OK)) {
		fprintf(stderr, "uscheme: %s: no %s (is uscheme.ko loaded?)\n", path,
			USCHEME_DEVICE);
		return 1;
	}
	switch (err) {
	case -ENOENT:
		switch (us_scheme_exists(path)) {
		case 0:
			fprintf(stderr, "uscheme: %s: no such scheme \"%.*s\"\n", path,
				(int)nlen, path);
			break;
		case 1:
			fprintf(stderr, "uscheme: %s: no such file or directory\n", path);
			break;
		default:	/* sys:schemes unreadable: cannot say which */
			fprintf(stderr, "uscheme: %s: no such scheme, file or directory\n", path);
			break;
		}
		return 1;
	case -EACCES:
	case -EPERM:
		fprintf(stderr, "uscheme: %s: permission denied\n", path);
		return 1;
	case -EPIPE:
		fprintf(stderr, "uscheme: %s: the scheme's daemon is gone\n", path);
		return 1;
	case -EINVAL:
		fprintf(stderr, "uscheme: %s: invalid scheme path or flags\n", path);
		return 1;
	}
	fprintf(stderr, "uscheme: %s: %s\n", path, reason(err));
	return 1;
}

/* A SCHEME:PATH argument: a valid-looking scheme name, then ':'. */
static int check_path(const char *path)
{
	size_t n = strcspn(path, ":");

	if (!path[n] || n == 0 || n >= USCHEME_NAME_MAX) {
		fprintf(stderr, "uscheme: '%s' is not SCHEME:PATH\n", path);
		return 2;
	}
	return 0;
}

static int open_path(const char *path, int flags, int *fd)
{
	int r = check_path(path);

	if (r)
		return r;
	*fd = us_open(path, flags | O_CLOEXEC);
	return *fd < 0 ? open_failed(path, *fd) : 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENOSPC;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Copy in to out until the end of in. what: "read" or "write" failed on path. */
static int copy(int in, int out, const char *path, int to_handle)
{
	char *buf = malloc(CHUNK);
	int ret = 0, err;
	ssize_t n;

	if (!buf) {
		fprintf(stderr, "uscheme: out of memory\n");
		return 1;
	}
	for (;;) {
		n = read(in, buf, CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "uscheme: %s: read: %s\n",
				to_handle ? "stdin" : path, reason(errno));
			ret = 1;
			break;
		}
		if (n == 0)
			break;
		err = write_all(out, buf, (size_t)n);
		if (err) {
			fprintf(stderr, "uscheme: %s: write: %s\n",
				to_handle ? path : "stdout", reason(err));
			ret = 1;
			break;
		}
	}
	free(buf);
	return ret;
}


struct scheme_row {
	char name[USCHEME_NAME_MAX];
	long pid;
	uint64_t requests, responses, rejected, queued, inflight;
};

/* sys:schemes, one row per scheme: "name pid requests responses rejected queued inflight". */
static int read_schemes(struct scheme_row **rows, size_t *nrows)
{
	char *text, *line, *next;
	size_t len, n = 0;
	int fd, err;

	fd = us_open("sys:schemes", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return open_failed("sys:schemes", fd);
	err = us_read_all(fd, &text, &len);
	close(fd);
	if (err) {
		fprintf(stderr, "uscheme: sys:schemes: read: %s\n", reason(err));
		return 1;
	}
	*rows = calloc(len / 8 + 1, sizeof(**rows));	/* a row is > 8 bytes */
	if (!*rows) {
		free(text);
		fprintf(stderr, "uscheme: out of memory\n");
		return 1;
	}
	for (line = text; *line; line = next) {
		struct scheme_row *r = &(*rows)[n];
		unsigned long long req, resp, rej, q, inf;
		char fmt[64];

		next = strchr(line, '\n');
		next = next ? next + 1 : line + strlen(line);
		snprintf(fmt, sizeof(fmt), "%%%ds %%ld %%llu %%llu %%llu %%llu %%llu",
			 USCHEME_NAME_MAX - 1);
		if (sscanf(line, fmt, r->name, &r->pid, &req, &resp, &rej, &q, &inf) != 7) {
			fprintf(stderr, "uscheme: sys:schemes: unexpected line: %.*s\n",
				(int)(next - line), line);
			continue;
		}
		r->requests = req;
		r->responses = resp;
		r->rejected = rej;
		r->queued = q;
		r->inflight = inf;
		n++;
	}
	free(text);
	*nrows = n;
	return 0;
}

int cmd_schemes(void)
{
	struct scheme_row *rows;
	size_t n, i;
	int r = read_schemes(&rows, &n);

	if (r)
		return r;
	printf("%-20s %8s %12s %12s %9s %7s %9s\n", "NAME", "PID", "REQUESTS",
	       "RESPONSES", "REJECTED", "QUEUED", "INFLIGHT");
	for (i = 0; i < n; i++)
		printf("%-20s %8ld %12" PRIu64 " %12" PRIu64 " %9" PRIu64 " %7" PRIu64
		       " %9" PRIu64 "\n", rows[i].name, rows[i].pid, rows[i].requests,
		       rows[i].responses, rows[i].rejected, rows[i].queued,
		       rows[i].inflight);
	free(rows);
	return 0;
}

int cmd_stats(const char *name)
{
	struct scheme_row *rows;
	size_t n, i, shown = 0;
	int r = read_schemes(&rows, &n);

	if (r)
		return r;
	for (i = 0; i < n; i++) {
		const struct scheme_row *s = &rows[i];

		if (name && strcmp(name, s->name))
			continue;
		printf("%s%s: (daemon pid %ld)\n", shown ? "\n" : "", s->name, s->pid);
		printf("  requests   %12" PRIu64 "  client requests admitted\n", s->requests);
		printf("  responses  %12" PRIu64 "  answers the daemon gave and the kernel accepted\n",
		       s->responses);
		printf("  rejected   %12" PRIu64 "  answers dropped (unknown, stale, repeated tag) or refused (illegal result)\n",
		       s->rejected);
		printf("  queued     %12" PRIu64 "  requests waiting for room in the daemon's ring\n",
		       s->queued);
		printf("  inflight   %12" PRIu64 "  requests with the daemon, not yet answered\n",
		       s->inflight);
		shown++;
	}
	free(rows);
	if (name && !shown) {
		fprintf(stderr, "uscheme: %s: no such scheme\n", name);
		return 1;
	}
	if (!shown)
		printf("no schemes are served\n");
	return 0;
}

int cmd_ls(const char *path)
{
	char *text;
	size_t len;
	int fd, r, err;

	r = open_path(path, O_RDONLY | O_DIRECTORY, &fd);
	if (r)
		return r;
	err = us_read_all(fd, &text, &len);
	close(fd);
	if (err) {
		fprintf(stderr, "uscheme: %s: read: %s\n", path, reason(err));
		return 1;
	}
	err = write_all(STDOUT_FILENO, text, len);
	if (!err && len && text[len - 1] != '\n')
		err = write_all(STDOUT_FILENO, "\n", 1);
	free(text);
	if (err) {
		fprintf(stderr, "uscheme: stdout: %s\n", reason(err));
		return 1;
	}
	return 0;
}

int cmd_cat(const char *path)
{
	int fd, r;

	r = open_path(path, O_RDONLY, &fd);
	if (r)
		return r;
	r = copy(fd, STDOUT_FILENO, path, 0);
	close(fd);
	return r;
}

int cmd_write(const char *path)
{
	int fd, r;

	r = open_path(path, O_WRONLY | O_CREAT | O_TRUNC, &fd);
	if (r)
		return r;
	r = copy(STDIN_FILENO, fd, path, 1);
	if (close(fd) && !r) {
		fprintf(stderr, "uscheme: %s: close: %s\n", path, reason(errno));
		r = 1;
	}
	return r;
}

static const char *type_name(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG: return "regular file";
	case S_IFDIR: return "directory";
	case S_IFCHR: return "character device";
	case S_IFBLK: return "block device";
	case S_IFIFO: return "fifo";
	case S_IFSOCK: return "socket";
	case S_IFLNK: return "symbolic link";
	}
	return "unknown type";
}

static void print_time(const char *what, const struct timespec *ts)
{
	char buf[64];
	struct tm tm;
	time_t t = ts->tv_sec;

	if (gmtime_r(&t, &tm) && strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm))
		printf("  %-8s %s.%09ld UTC\n", what, buf, (long)ts->tv_nsec);
	else
		printf("  %-8s %lld.%09ld\n", what, (long long)ts->tv_sec, (long)ts->tv_nsec);
}

int cmd_stat(const char *path)
{
	struct stat st;
	char perms[11];
	int fd, r;

	r = open_path(path, O_RDONLY, &fd);
	if (r)
		return r;
	if (fstat(fd, &st)) {
		fprintf(stderr, "uscheme: %s: fstat: %s\n", path, reason(errno));
		close(fd);
		return 1;
	}
	close(fd);
	snprintf(perms, sizeof(perms), "%c%c%c%c%c%c%c%c%c%c",
		 S_ISDIR(st.st_mode) ? 'd' : S_ISCHR(st.st_mode) ? 'c' :
		 S_ISREG(st.st_mode) ? '-' : '?',
		 st.st_mode & S_IRUSR ? 'r' : '-', st.st_mode & S_IWUSR ? 'w' : '-',
		 st.st_mode & S_IXUSR ? 'x' : '-', st.st_mode & S_IRGRP ? 'r' : '-',
		 st.st_mode & S_IWGRP ? 'w' : '-', st.st_mode & S_IXGRP ? 'x' : '-',
		 st.st_mode & S_IROTH ? 'r' : '-', st.st_mode & S_IWOTH ? 'w' : '-',
		 st.st_mode & S_IXOTH ? 'x' : '-');
	printf("%s (fstat(2) on the handle fd returned:)\n", path);
	printf("  %-8s %s\n", "type", type_name(st.st_mode));
	printf("  %-8s %lld\n", "size", (long long)st.st_size);
	printf("  %-8s 0%o (%s)\n", "mode", (unsigned int)(st.st_mode & 07777), perms);
	printf("  %-8s %lu\n", "nlink", (unsigned long)st.st_nlink);
	printf("  %-8s %lu\n", "uid", (unsigned long)st.st_uid);
	printf("  %-8s %lu\n", "gid", (unsigned long)st.st_gid);
	printf("  %-8s %lld\n", "blocks", (long long)st.st_blocks);
	printf("  %-8s %ld\n", "blksize", (long)st.st_blksize);
	print_time("atime", &st.st_atim);
	print_time("mtime", &st.st_mtim);
	print_time("ctime", &st.st_ctim);
	printf("  %-8s %u:%u, inode %llu\n", "device", major(st.st_dev), minor(st.st_dev),
	       (unsigned long long)st.st_ino);
	return 0;
}
