/* SPDX-License-Identifier: MIT */
/*
 * ramfs: the file tree behind ramd (the ram: scheme), kept apart from the
 * daemon so it can be tested without a kernel.
 *
 * Files and directories in memory. Paths are relative to the root (or, for
 * ramfs_dup, to a directory handle): "a/b", "/a/b", "a//b/" are the same;
 * "." and ".." work (".." never climbs above the root, or above the
 * directory handle a ramfs_dup suffix starts from). Opening follows open(2):
 *
 *   exists, O_CREAT|O_EXCL            -EEXIST
 *   missing, no O_CREAT               -ENOENT (a missing or file parent:
 *                                     -ENOENT, -ENOTDIR)
 *   missing, O_CREAT                  a new file (mode 0644)
 *   missing, O_CREAT|O_DIRECTORY      a new directory (mode 0755)
 *   directory opened for writing, with O_TRUNC, or O_CREAT without
 *   O_DIRECTORY                       -EISDIR
 *   file, with O_DIRECTORY or a trailing "/"   -ENOTDIR
 *   file, O_TRUNC                     emptied
 *
 * A directory reads as its entries' names, one per line, sorted; the
 * offset is a byte offset into that listing (taken afresh at offset 0).
 * File data (the sum of file sizes) is limited to max_bytes, and the number
 * of files and directories to max_nodes: beyond them -ENOSPC (a write that
 * fits partly is shortened). Nothing is ever removed (the ABI has no
 * unlink). Single-threaded.
 */
#ifndef RAMFS_H
#define RAMFS_H

#include <stddef.h>
#include <stdint.h>

#include "../../uapi/uscheme.h"

struct ramfs;
struct ram_node;

/* An open file or directory. */
struct ramfs_handle {
	struct ram_node *node;
	int flags;		/* O_ACCMODE | O_APPEND of the open */
	uint64_t pos;		/* for USCHEME_OFF_CURRENT */
	char *list;		/* directories: the listing being read */
	size_t list_len;
};

/* Files get the creator's uid/gid; the root gets uid/gid. NULL: no memory. */
struct ramfs *ramfs_new(uint64_t max_bytes, uint64_t max_nodes,
			uint32_t uid, uint32_t gid);
void ramfs_free(struct ramfs *fs);

/* 0 and *out, or -errno (table above; -EINVAL for a bad O_ACCMODE). */
int ramfs_open(struct ramfs *fs, const char *path, int flags,
	       uint32_t uid, uint32_t gid, struct ramfs_handle **out);
/*
 * A new handle: "" for the same file (same access mode), else suffix is a
 * path below the directory h names (-ENOTDIR for a file), opened with h's
 * access mode.
 */
int ramfs_dup(struct ramfs *fs, struct ramfs_handle *h, const char *suffix,
	      struct ramfs_handle **out);
void ramfs_close(struct ramfs *fs, struct ramfs_handle *h);

/* Bytes read (0 at the end), or -errno. off: USCHEME_OFF_CURRENT allowed. */
long ramfs_read(struct ramfs *fs, struct ramfs_handle *h, void *buf,
		size_t len, uint64_t off);
/* Bytes written, or -EBADF (read-only), -EISDIR, -ENOSPC, -EFBIG, -ENOMEM. */
long ramfs_write(struct ramfs *fs, struct ramfs_handle *h, const void *buf,
		 size_t len, uint64_t off);
/* 0, or -EINVAL (a directory, a read-only handle), -ENOSPC, -EFBIG. */
int ramfs_truncate(struct ramfs *fs, struct ramfs_handle *h, uint64_t length);
int ramfs_stat(struct ramfs *fs, struct ramfs_handle *h, struct uscheme_stat *st);

/* File data bytes in use, files and directories in use (the root too). */
uint64_t ramfs_bytes(const struct ramfs *fs);
uint64_t ramfs_nodes(const struct ramfs *fs);

#endif /* RAMFS_H */
