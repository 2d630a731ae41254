/* SPDX-License-Identifier: MIT */
#ifndef USCHEME_BENCH_H
#define USCHEME_BENCH_H

#include <stdbool.h>

/* Print the IPC round-trip tables (bench.c); returns an exit status. */
int uscheme_bench(unsigned int ops);
/* One cell of the tables alone (for profiling); returns an exit status. */
int uscheme_bench_cell(const char *mech, unsigned int len, unsigned int depth,
		       unsigned int ops, bool pin);

#endif /* USCHEME_BENCH_H */
