/* SPDX-License-Identifier: GPL-2.0 */
/* The op table (opdef.c). */
#ifndef _USCHEME_OPDEF_H
#define _USCHEME_OPDEF_H

#include "../uapi/uscheme.h"

int uscheme_sqe_check(const struct uscheme_sqe *sqe);
int uscheme_sqe_check_args(const struct uscheme_sqe *sqe);

#endif /* _USCHEME_OPDEF_H */
