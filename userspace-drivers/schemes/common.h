/* SPDX-License-Identifier: MIT */
/* What the example daemons (ramd, nulld, hellod) share: options, startup. */
#ifndef SCHEMES_COMMON_H
#define SCHEMES_COMMON_H

#include <stdint.h>

/* "4096", "64K", "64M", "1G" (powers of 1024): 0, or -1 if malformed. */
int parse_size(const char *s, uint64_t *out);

/*
 * --background: fork. The parent waits until the child calls
 * daemon_ready() and then prints the child's pid on stdout and exits 0,
 * or exits 1 if the child exits first (it has said why on stderr). The
 * child (in a new session, stdin and stdout on /dev/null, stderr kept) gets
 * the descriptor to pass to daemon_ready.
 */
int daemon_background(const char *prog);
/* Serving now: release a --background parent (fd < 0: nothing to do). */
void daemon_ready(int fd);

#endif /* SCHEMES_COMMON_H */
