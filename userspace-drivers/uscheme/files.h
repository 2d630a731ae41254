/* SPDX-License-Identifier: MIT */
/* uscheme's scheme subcommands (files.c); each returns an exit status. */
#ifndef USCHEME_FILES_H
#define USCHEME_FILES_H

int cmd_schemes(void);
int cmd_stats(const char *name);	/* NULL: every scheme */
int cmd_ls(const char *path);
int cmd_cat(const char *path);
int cmd_write(const char *path);
int cmd_stat(const char *path);

#endif /* USCHEME_FILES_H */
