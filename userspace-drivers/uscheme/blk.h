/* SPDX-License-Identifier: MIT */
/* uscheme blk attach/detach/list (blk.c); returns an exit status. */
#ifndef USCHEME_BLK_H
#define USCHEME_BLK_H

/* argv: what follows "blk", argc of them. */
int cmd_blk(int argc, char **argv);

#endif /* USCHEME_BLK_H */
