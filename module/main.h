/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The /dev/uscheme device (main.c), as other files need to know it.
 */
#ifndef _USCHEME_MAIN_H
#define _USCHEME_MAIN_H

#include <linux/fs.h>

/* Is @file a ring (an open of /dev/uscheme)? Its private_data is the ring. */
bool uscheme_file_is_ring(const struct file *file);

#endif /* _USCHEME_MAIN_H */
