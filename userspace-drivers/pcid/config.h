/* SPDX-License-Identifier: MIT */
/*
 * pcid's config file: which functions get which driver, and how it runs.
 * Pure parsing and matching (no I/O but reading the file), unit-tested on
 * the host (tests/drivers/unit/pcid_unit_test.c). The format is in pcid.conf and README.md:
 *
 *   # comment
 *   set user=65534 group=65534 config-read=header stop-timeout=5000
 *   match class=0c0330 driver=pciprobe args="{address}" restart=on-failure
 *   match class=0c0330 driver=xhcid scheme=usb.{address} scheme-data=16M
 *
 * One directive per line: "set" (settings for the whole file, in any
 * order) or "match" (a driver rule; the first rule that matches a function
 * wins). Words are KEY=VALUE, separated by blanks; a value may be
 * double-quoted ("a b", with \" and \\). Every error names its line.
 */
#ifndef PCID_CONFIG_H
#define PCID_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum pcid_restart {
	PCID_RESTART_NEVER,
	PCID_RESTART_ON_FAILURE,
	PCID_RESTART_ALWAYS,
};

enum pcid_config_read {
	PCID_READ_HEADER,	/* non-root: the first 64 bytes (like sysfs) */
	PCID_READ_ALL,		/* everyone reads everything */
	PCID_READ_ROOT,		/* non-root: nothing (-EACCES) */
};

#define PCID_MATCH_CLASS	(1u << 0)
#define PCID_MATCH_VENDOR	(1u << 1)
#define PCID_MATCH_DEVICE	(1u << 2)

struct pcid_rule {
	unsigned int line;		/* in the file, for messages */
	unsigned int match;		/* PCID_MATCH_* */
	uint32_t class_value;		/* class code bits to compare ... */
	uint32_t class_mask;		/* ... under this mask (0xff0000, 0xffff00, 0xffffff) */
	uint16_t vendor, device;
	char *driver;			/* as written: a path, or a bare name */
	char **argv;			/* args, split on blanks, placeholders unexpanded; NULL-ended */
	unsigned int argc;
	uid_t uid;
	gid_t gid;
	enum pcid_restart restart;
	unsigned int max_restarts;	/* restarts in a row before giving up */
	unsigned int backoff_ms;	/* the first restart's delay, doubled each time */
	char *scheme;			/* scheme=: the name, {address} unexpanded; NULL: none */
	size_t scheme_data;		/* scheme-data=: its data area in bytes (0: the default) */
	char *child_config;		/* child-config=: its children's rules (a file); NULL: none */
	uint64_t child_data_max;	/* child-data-max=: its children's data areas together */
	uid_t uid_base;			/* user-range=BASE-COUNT (a child rule): uid and gid ... */
	unsigned int uid_count;		/* ... of child n a free one of BASE..BASE+COUNT-1; 0: none */
};

struct pcid_config {
	uid_t uid;			/* set user=: the default for rules */
	gid_t gid;
	enum pcid_config_read config_read;
	unsigned int stop_timeout_ms;	/* SIGTERM to SIGKILL at shutdown */
	struct pcid_rule *rules;
	unsigned int nrules;
};

#define PCID_DEFAULT_UID		65534
#define PCID_DEFAULT_GID		65534
#define PCID_DEFAULT_STOP_TIMEOUT_MS	5000
#define PCID_DEFAULT_MAX_RESTARTS	5
#define PCID_DEFAULT_BACKOFF_MS		1000
#define PCID_BACKOFF_MAX_MS		30000
/* The kernel memory a driver's children's schemes may pin together (data areas). */
#define PCID_DEFAULT_CHILD_DATA_MAX	(64ULL << 20)
#define PCID_USER_RANGE_MAX		65536

/*
 * Parse text (len bytes; need not end in NUL). 0, or -1 with a message
 * "NAME:LINE: why" in err (errlen bytes). On failure cfg holds nothing.
 */
int pcid_config_parse(const char *name, const char *text, size_t len,
		      struct pcid_config *cfg, char *err, size_t errlen);
/* Read and parse the file path; -1 with err "PATH: why" if it can't be read. */
int pcid_config_load(const char *path, struct pcid_config *cfg, char *err,
		     size_t errlen);
void pcid_config_free(struct pcid_config *cfg);

/* The first rule matching these IDs, or NULL. */
const struct pcid_rule *pcid_config_match(const struct pcid_config *cfg,
					  uint16_t vendor, uint16_t device,
					  uint32_t class_code);

/*
 * The rule's argv with "{address}" and "{channel}" replaced (a malloc'd
 * NULL-ended array of malloc'd strings; argv[0] is driver_path), or NULL
 * when out of memory. Free with pcid_argv_free.
 */
#define PCID_ARG_ADDRESS_MAX	127	/* longest {address} value: NULL beyond */
char **pcid_rule_argv(const struct pcid_rule *r, const char *driver_path,
		      const char *address, int channel_fd);
void pcid_argv_free(char **argv);

/*
 * The rule's scheme name for the function at address: "{address}" replaced
 * by the address with ':' turned into '-' ("usb.{address}" ->
 * "usb.0000-00-04.0"), since scheme names are [a-z0-9._-]. 0, or -EINVAL
 * (no scheme=, or the result is no valid name: an address with other
 * characters, 64 or more characters) with out[0] = 0.
 */
int pcid_rule_scheme(const struct pcid_rule *r, const char *address, char *out,
		     size_t len);

const char *pcid_restart_name(enum pcid_restart r);
const char *pcid_config_read_name(enum pcid_config_read r);

#endif /* PCID_CONFIG_H */
