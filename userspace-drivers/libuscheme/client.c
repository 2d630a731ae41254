// SPDX-License-Identifier: MIT
/*
 * libuscheme, the client side of routed ops: SQE helpers for a client ring,
 * and blocking calls (USCHEME_IOC_OPEN and the handle ioctls) for tools.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "libuscheme.h"

_Static_assert(sizeof(struct uscheme_stat) == 64, "uscheme_stat is 64 bytes");
_Static_assert(sizeof(struct uscheme_open) == 32, "uscheme_open");
_Static_assert(sizeof(struct uscheme_dup) == 40, "uscheme_dup");
_Static_assert(sizeof(struct uscheme_call) == 48, "uscheme_call");
_Static_assert(sizeof(struct uscheme_fu_entry) == 32, "uscheme_fu_entry");

static uint64_t ptr(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static void prep(struct uscheme_sqe *sqe, uint8_t opcode, int fd,
		 uint64_t user_data)
{
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = opcode;
	sqe->fd = fd;
	sqe->user_data = user_data;
}

void us_prep_open(struct uscheme_sqe *sqe, const char *path, int flags,
		  uint64_t user_data)
{
	size_t len = strlen(path) + 1;	/* the NUL is within len */

	prep(sqe, USCHEME_OP_OPEN, 0, user_data);
	sqe->addr = ptr(path);
	sqe->len = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
	sqe->op_flags = (uint32_t)flags;
}

void us_prep_read(struct uscheme_sqe *sqe, int fd, void *buf, uint32_t len,
		  uint64_t off, uint64_t user_data)
{
	prep(sqe, USCHEME_OP_READ, fd, user_data);
	sqe->addr = ptr(buf);
	sqe->len = len;
	sqe->off = off;
}

void us_prep_write(struct uscheme_sqe *sqe, int fd, const void *buf,
		   uint32_t len, uint64_t off, uint64_t user_data)
{
	prep(sqe, USCHEME_OP_WRITE, fd, user_data);
	sqe->addr = ptr(buf);
	sqe->len = len;
	sqe->off = off;
}

void us_prep_fstat(struct uscheme_sqe *sqe, int fd, struct uscheme_stat *st,
		   uint64_t user_data)
{
	prep(sqe, USCHEME_OP_FSTAT, fd, user_data);
	sqe->addr = ptr(st);
	sqe->len = sizeof(*st);
}

void us_prep_fsync(struct uscheme_sqe *sqe, int fd, uint64_t user_data)
{
	prep(sqe, USCHEME_OP_FSYNC, fd, user_data);
}

void us_prep_ftruncate(struct uscheme_sqe *sqe, int fd, uint64_t length,
		       uint64_t user_data)
{
	prep(sqe, USCHEME_OP_FTRUNCATE, fd, user_data);
	sqe->off = length;
}

void us_prep_dup(struct uscheme_sqe *sqe, int fd, const char *suffix, int flags,
		 uint64_t user_data)
{
	size_t len = suffix ? strlen(suffix) : 0;

	prep(sqe, USCHEME_OP_DUP, fd, user_data);
	if (len) {
		sqe->addr = ptr(suffix);
		sqe->len = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
	}
	sqe->op_flags = (uint32_t)flags;
}

void us_prep_call(struct uscheme_sqe *sqe, int fd, const void *in,
		  uint32_t in_len, void *out, uint32_t out_len,
		  uint32_t op_flags, uint64_t user_data)
{
	prep(sqe, USCHEME_OP_CALL, fd, user_data);
	sqe->addr = ptr(in);
	sqe->len = in_len;
	sqe->addr2 = ptr(out);
	sqe->len2 = out_len;
	sqe->op_flags = op_flags;
}

void us_prep_close(struct uscheme_sqe *sqe, int fd, uint64_t user_data)
{
	prep(sqe, USCHEME_OP_CLOSE, fd, user_data);
}

void us_prep_cancel(struct uscheme_sqe *sqe, uint64_t target,
		    uint64_t user_data)
{
	prep(sqe, USCHEME_OP_CANCEL, 0, user_data);
	sqe->addr = target;
}

void us_prep_files_update(struct uscheme_sqe *sqe,
			  struct uscheme_fu_entry *entries, unsigned int n,
			  uint64_t user_data)
{
	prep(sqe, USCHEME_OP_FILES_UPDATE, 0, user_data);
	sqe->addr = ptr(entries);
	sqe->len = n;
}

void us_fu_entry(struct uscheme_fu_entry *e, int fd, uint32_t events,
		 uint32_t flags, uint64_t user_data)
{
	memset(e, 0, sizeof(*e));
	e->fd = fd;
	e->events = events;
	e->flags = flags;
	e->user_data = user_data;
}

int us_open(const char *path, int flags)
{
	struct uscheme_open o;
	int dev, err = 0;

	dev = open(USCHEME_DEVICE, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -errno;
	memset(&o, 0, sizeof(o));
	o.path = ptr(path);
	o.flags = (uint32_t)flags;
	o.fd = -1;
	if (ioctl(dev, USCHEME_IOC_OPEN, &o) < 0)
		err = -errno;
	close(dev);
	if (err)
		return err;
	return o.fd >= 0 ? o.fd : -EIO;
}

int us_dup(int fd, const char *suffix, int flags)
{
	struct uscheme_dup d;
	size_t len = suffix ? strlen(suffix) : 0;

	if (len > USCHEME_PATH_MAX)
		return -ENAMETOOLONG;
	memset(&d, 0, sizeof(d));
	d.suffix = len ? ptr(suffix) : 0;
	d.len = (uint32_t)len;
	d.flags = (uint32_t)flags;
	d.fd = -1;
	if (ioctl(fd, USCHEME_HIOC_DUP, &d) < 0)
		return -errno;
	return d.fd >= 0 ? d.fd : -EIO;
}

int us_call(int fd, const void *in, size_t in_len, void *out, size_t out_len,
	    uint32_t op_flags)
{
	struct uscheme_call c;

	if (in_len > USCHEME_IO_MAX || out_len > USCHEME_IO_MAX)
		return -E2BIG;
	memset(&c, 0, sizeof(c));
	c.in = ptr(in);
	c.in_len = (uint32_t)in_len;
	c.op_flags = op_flags;
	c.out = ptr(out);
	c.out_len = (uint32_t)out_len;
	if (ioctl(fd, USCHEME_HIOC_CALL, &c) < 0)
		return -errno;
	return c.result;
}

int us_read_all_max(int fd, size_t max, char **out, size_t *out_len)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap + 1), *nb;
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (len == cap) {
			if (cap > max) {
				free(buf);
				return -EFBIG;
			}
			nb = realloc(buf, cap * 2 + 1);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;

			free(buf);
			return err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > max) {
		free(buf);
		return -EFBIG;
	}
	buf[len] = '\0';
	*out = buf;
	if (out_len)
		*out_len = len;
	return 0;
}

int us_read_all(int fd, char **out, size_t *out_len)
{
	return us_read_all_max(fd, SIZE_MAX, out, out_len);
}

int us_scheme_exists(const char *name)
{
	size_t nlen = strcspn(name, ":");
	char *buf, *line;
	int fd, found;

	if (nlen == 3 && !strncmp(name, "sys", 3))
		return 1;	/* served by the kernel, not listed */
	fd = us_open("sys:schemes", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fd;
	found = us_read_all(fd, &buf, NULL);
	close(fd);
	if (found < 0)
		return found;
	for (line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		size_t w = strcspn(line, " \n");

		if (w == nlen && !strncmp(line, name, nlen)) {
			found = 1;
			break;
		}
	}
	free(buf);
	return found;
}
