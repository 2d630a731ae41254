// SPDX-License-Identifier: MIT
/* blkbridge's ublk frontend: not written yet (README.md); the probe says so. */
#include <errno.h>

#include "blkbridge.h"

static int ublk_probe(struct bb *b)
{
	(void)b;
	return -EOPNOTSUPP;
}

static int ublk_start(struct bb *b)
{
	(void)b;
	return -EOPNOTSUPP;
}

static void ublk_nop(struct bb *b)
{
	(void)b;
}

const struct bb_frontend bb_ublk = {
	.name = "ublk",
	.probe = ublk_probe,
	.start = ublk_start,
	.stop = ublk_nop,
	.cleanup = ublk_nop,
};
