/* SPDX-License-Identifier: MIT */
#ifndef USCHEME_BENCH_H
#define USCHEME_BENCH_H

/* Print the IPC round-trip tables (bench.c); returns an exit status. */
int uscheme_bench(unsigned int ops);

#endif /* USCHEME_BENCH_H */
