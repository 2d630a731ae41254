// SPDX-License-Identifier: MIT
/* ramfs: the in-memory file tree behind ramd (see ramfs.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ramfs.h"

#define NAME_LEN_MAX	255
#define FILE_SIZE_MAX	(1ULL << 40)	/* beyond: -EFBIG */

struct ram_node {
	char *name;			/* "" for the root */
	struct ram_node *parent;	/* the root's is itself */
	bool dir;
	uint32_t uid, gid;
	uint64_t atime, mtime, ctime;
	/* Files. */
	char *data;
	size_t size, cap;
	/* Directories: children sorted by name. */
	struct ram_node **kids;
	size_t nkids, kcap;
	uint32_t nsubdirs;
};

struct ramfs {
	struct ram_node *root;
	uint64_t max_bytes, bytes;
	uint64_t max_nodes, nodes;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static struct ram_node *node_new(const char *name, size_t len, bool dir,
				 uint32_t uid, uint32_t gid)
{
	struct ram_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->name = malloc(len + 1);
	if (!n->name) {
		free(n);
		return NULL;
	}
	memcpy(n->name, name, len);
	n->name[len] = '\0';
	n->dir = dir;
	n->uid = uid;
	n->gid = gid;
	n->atime = n->mtime = n->ctime = now_ns();
	return n;
}

static void node_free(struct ram_node *n)
{
	size_t i;

	for (i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n->data);
	free(n->name);
	free(n);
}

struct ramfs *ramfs_new(uint64_t max_bytes, uint64_t max_nodes,
			uint32_t uid, uint32_t gid)
{
	struct ramfs *fs = calloc(1, sizeof(*fs));

	if (!fs)
		return NULL;
	fs->root = node_new("", 0, true, uid, gid);
	if (!fs->root) {
		free(fs);
		return NULL;
	}
	fs->root->parent = fs->root;
	fs->max_bytes = max_bytes;
	fs->max_nodes = max_nodes;
	fs->nodes = 1;
	return fs;
}

void ramfs_free(struct ramfs *fs)
{
	if (!fs)
		return;
	node_free(fs->root);
	free(fs);
}

uint64_t ramfs_bytes(const struct ramfs *fs)
{
	return fs->bytes;
}

uint64_t ramfs_nodes(const struct ramfs *fs)
{
	return fs->nodes;
}

/* Index of name in dir's sorted children, or where it would go (*found false). */
static size_t kid_index(const struct ram_node *dir, const char *name, size_t len,
			bool *found)
{
	size_t lo = 0, hi = dir->nkids;

	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *k = dir->kids[mid]->name;
		int c = strncmp(k, name, len);

		if (!c && k[len])
			c = 1;	/* k is longer: after name */
		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int kid_add(struct ramfs *fs, struct ram_node *dir, size_t at,
		   const char *name, size_t len, bool is_dir, uint32_t uid,
		   uint32_t gid, struct ram_node **out)
{
	struct ram_node *n;

	if (fs->nodes >= fs->max_nodes)
		return -ENOSPC;
	if (dir->nkids == dir->kcap) {
		size_t cap = dir->kcap ? dir->kcap * 2 : 8;
		struct ram_node **k = realloc(dir->kids, cap * sizeof(*k));

		if (!k)
			return -ENOMEM;
		dir->kids = k;
		dir->kcap = cap;
	}
	n = node_new(name, len, is_dir, uid, gid);
	if (!n)
		return -ENOMEM;
	n->parent = dir;
	memmove(&dir->kids[at + 1], &dir->kids[at], (dir->nkids - at) * sizeof(*dir->kids));
	dir->kids[at] = n;
	dir->nkids++;
	if (is_dir)
		dir->nsubdirs++;
	dir->mtime = dir->ctime = n->ctime;
	fs->nodes++;
	*out = n;
	return 0;
}

static int handle_new(struct ram_node *n, int flags, struct ramfs_handle **out)
{
	struct ramfs_handle *h = calloc(1, sizeof(*h));

	if (!h)
		return -ENOMEM;
	h->node = n;
	h->flags = flags & (O_ACCMODE | O_APPEND);
	*out = h;
	return 0;
}

/* Resize a file's data (zero-filling growth) within the limits. */
static int file_resize(struct ramfs *fs, struct ram_node *n, uint64_t size)
{
	if (size > FILE_SIZE_MAX)
		return -EFBIG;
	if (size > n->size && size - n->size > fs->max_bytes - fs->bytes)
		return -ENOSPC;
	if (size > n->cap || (n->cap > 4096 && size < n->cap / 4)) {
		size_t cap = (size_t)size;
		char *d;

		if (size > n->cap && cap < n->cap + n->cap / 2)
			cap = n->cap + n->cap / 2;	/* amortise appends */
		if (cap < 64)
			cap = 64;
		d = realloc(n->data, cap);
		if (!d)
			return -ENOMEM;
		n->data = d;
		n->cap = cap;
	}
	if (size > n->size) {
		memset(n->data + n->size, 0, (size_t)size - n->size);
		fs->bytes += size - n->size;
	} else {
		fs->bytes -= n->size - size;
	}
	n->size = (size_t)size;
	n->mtime = n->ctime = now_ns();
	return 0;
}

/* Open path below start (see ramfs.h for the rules). */
static int open_at(struct ramfs *fs, struct ram_node *start, const char *path,
		   int flags, uint32_t uid, uint32_t gid, struct ramfs_handle **out)
{
	int acc = flags & O_ACCMODE, err;
	bool creat = flags & O_CREAT, excl = flags & O_EXCL;
	bool want_dir = flags & O_DIRECTORY, trunc = flags & O_TRUNC;
	size_t plen = strlen(path);
	bool slash = plen && path[plen - 1] == '/';
	struct ram_node *dir = start, *t = NULL;
	const char *p = path;

	if (acc == O_ACCMODE)
		return -EINVAL;
	for (;;) {
		const char *name, *q;
		size_t len, at;
		bool last, found;

		while (*p == '/')
			p++;
		if (!*p) {
			t = dir;	/* "", "/", "a/..": the directory itself */
			break;
		}
		name = p;
		len = strcspn(p, "/");
		p += len;
		for (q = p; *q == '/'; q++)
			;
		last = !*q;
		if (len > NAME_LEN_MAX)
			return -ENAMETOOLONG;
		if (len == 1 && name[0] == '.') {
			continue;
		} else if (len == 2 && name[0] == '.' && name[1] == '.') {
			if (dir != start)
				dir = dir->parent;	/* never above where we began */
			continue;
		}
		at = kid_index(dir, name, len, &found);
		if (!last) {
			if (!found)
				return -ENOENT;
			if (!dir->kids[at]->dir)
				return -ENOTDIR;
			dir = dir->kids[at];
			continue;
		}
		if (found) {
			t = dir->kids[at];
			break;
		}
		/* The last component is missing: create it, or not. */
		if (!creat)
			return -ENOENT;
		if (want_dir ? acc != O_RDONLY || trunc : slash)
			return -EISDIR;
		err = kid_add(fs, dir, at, name, len, want_dir, uid, gid, &t);
		if (err)
			return err;
		return handle_new(t, flags, out);
	}

	if (creat && excl)
		return -EEXIST;
	if (t->dir) {
		if ((creat && !want_dir) || acc != O_RDONLY || trunc)
			return -EISDIR;
	} else {
		if (want_dir || slash)
			return -ENOTDIR;
		if (trunc && t->size) {
			err = file_resize(fs, t, 0);
			if (err)
				return err;
		}
	}
	return handle_new(t, flags, out);
}

int ramfs_open(struct ramfs *fs, const char *path, int flags,
	       uint32_t uid, uint32_t gid, struct ramfs_handle **out)
{
	return open_at(fs, fs->root, path, flags, uid, gid, out);
}

int ramfs_dup(struct ramfs *fs, struct ramfs_handle *h, const char *suffix,
	      struct ramfs_handle **out)
{
	int err;

	if (!*suffix) {
		err = handle_new(h->node, h->flags, out);
		if (!err)
			(*out)->pos = h->pos;
		return err;
	}
	if (!h->node->dir)
		return -ENOTDIR;
	return open_at(fs, h->node, suffix, h->flags & O_ACCMODE, h->node->uid,
		       h->node->gid, out);
}

void ramfs_close(struct ramfs *fs, struct ramfs_handle *h)
{
	(void)fs;
	if (!h)
		return;
	free(h->list);
	free(h);
}

/* The listing of a directory: each name, then '\n'. */
static int list_dir(const struct ram_node *dir, char **out, size_t *out_len)
{
	size_t len = 0, i;
	char *s, *p;

	for (i = 0; i < dir->nkids; i++)
		len += strlen(dir->kids[i]->name) + 1;
	s = malloc(len + 1);
	if (!s)
		return -ENOMEM;
	p = s;
	for (i = 0; i < dir->nkids; i++) {
		size_t n = strlen(dir->kids[i]->name);

		memcpy(p, dir->kids[i]->name, n);
		p[n] = '\n';
		p += n + 1;
	}
	*p = '\0';
	*out = s;
	*out_len = len;
	return 0;
}

static size_t list_size(const struct ram_node *dir)
{
	size_t len = 0, i;

	for (i = 0; i < dir->nkids; i++)
		len += strlen(dir->kids[i]->name) + 1;
	return len;
}

long ramfs_read(struct ramfs *fs, struct ramfs_handle *h, void *buf,
		size_t len, uint64_t off)
{
	struct ram_node *n = h->node;
	bool cur = off == USCHEME_OFF_CURRENT;
	const char *src;
	size_t size;

	(void)fs;
	if ((h->flags & O_ACCMODE) == O_WRONLY)
		return -EBADF;
	if (cur)
		off = h->pos;
	if (n->dir) {
		/* A fresh listing at offset 0; later offsets read the same one. */
		if (!off || !h->list) {
			free(h->list);
			h->list = NULL;
			if (list_dir(n, &h->list, &h->list_len))
				return -ENOMEM;
		}
		src = h->list;
		size = h->list_len;
	} else {
		src = n->data;
		size = n->size;
	}
	n->atime = now_ns();
	if (off >= size)
		return 0;
	if (len > size - off)
		len = size - (size_t)off;
	if (len > (size_t)LONG_MAX)
		len = LONG_MAX;
	memcpy(buf, src + off, len);
	if (cur)
		h->pos = off + len;
	return (long)len;
}

long ramfs_write(struct ramfs *fs, struct ramfs_handle *h, const void *buf,
		 size_t len, uint64_t off)
{
	struct ram_node *n = h->node;
	bool cur = off == USCHEME_OFF_CURRENT;
	uint64_t end, room;
	int err;

	if ((h->flags & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	if (n->dir)
		return -EISDIR;
	if (h->flags & O_APPEND)
		off = n->size;
	else if (cur)
		off = h->pos;
	if (!len)
		return 0;
	if (off >= FILE_SIZE_MAX || len > FILE_SIZE_MAX - off)
		return -EFBIG;
	end = off + len;
	if (end > n->size) {
		/* Shorten a write that only partly fits. */
		room = n->size + (fs->max_bytes - fs->bytes);
		if (off >= room)
			return -ENOSPC;
		if (end > room)
			end = room;
		err = file_resize(fs, n, end);
		if (err)
			return err;
	}
	len = (size_t)(end - off);
	if (len > (size_t)LONG_MAX)
		len = LONG_MAX;
	memcpy(n->data + off, buf, len);
	n->mtime = n->ctime = now_ns();
	if (cur || (h->flags & O_APPEND))
		h->pos = off + len;
	return (long)len;
}

int ramfs_truncate(struct ramfs *fs, struct ramfs_handle *h, uint64_t length)
{
	if (h->node->dir || (h->flags & O_ACCMODE) == O_RDONLY)
		return -EINVAL;
	return file_resize(fs, h->node, length);
}

int ramfs_stat(struct ramfs *fs, struct ramfs_handle *h, struct uscheme_stat *st)
{
	const struct ram_node *n = h->node;

	(void)fs;
	memset(st, 0, sizeof(*st));
	if (n->dir) {
		st->mode = S_IFDIR | 0755;
		st->nlink = 2 + n->nsubdirs;
		st->size = list_size(n);
	} else {
		st->mode = S_IFREG | 0644;
		st->nlink = 1;
		st->size = n->size;
	}
	st->blocks = (st->size + 511) / 512;
	st->uid = n->uid;
	st->gid = n->gid;
	st->atime_ns = n->atime;
	st->mtime_ns = n->mtime;
	st->ctime_ns = n->ctime;
	return 0;
}
