/* SPDX-License-Identifier: MIT */
/* uscheme bind / unbind (bind.c); each returns an exit status. */
#ifndef USCHEME_BIND_H
#define USCHEME_BIND_H

int cmd_bind(const char *addr);
int cmd_unbind(const char *addr);

#endif /* USCHEME_BIND_H */
