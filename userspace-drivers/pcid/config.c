// SPDX-License-Identifier: MIT
/* pcid's config file: parsing and matching (see config.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../uapi/uscheme.h"
#include "config.h"

#define CONFIG_MAX_BYTES	(1 << 20)
#define CONFIG_MAX_RULES	1024
#define ARGS_MAX		64

struct parser {
	const char *name;
	unsigned int line;
	char *err;
	size_t errlen;
};

static int fail(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(p->err, p->errlen, "%s:%u: ", p->name, p->line);
	if (n < 0 || (size_t)n >= p->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* A word of a line: KEY=VALUE or a bare word (the directive). */
struct word {
	char key[32];
	char *value;		/* malloc'd, unquoted; NULL for a bare word */
	bool has_eq;
};

static void words_free(struct word *w, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		free(w[i].value);
}

/*
 * Split one line (without its newline) into words. A word is a run of
 * non-blank characters; after '=' a value may be "quoted". 0 or -1.
 */
#define WORDS_MAX	32

static int split_line(struct parser *p, const char *s, const char *end,
		      struct word *w, unsigned int *nw)
{
	unsigned int n = 0;

	*nw = 0;
	for (;;) {
		const char *k;
		size_t klen, cap = 0, vlen = 0;
		char *v = NULL;

		while (s < end && (*s == ' ' || *s == '\t'))
			s++;
		if (s == end || *s == '#')
			break;
		if (n == WORDS_MAX) {
			words_free(w, n);
			return fail(p, "too many words on one line (at most %d)", WORDS_MAX);
		}
		k = s;
		while (s < end && *s != '=' && *s != ' ' && *s != '\t' && *s != '"')
			s++;
		klen = (size_t)(s - k);
		if (s < end && *s == '"') {
			words_free(w, n);
			return fail(p, "a quote must follow KEY= (near \"%.*s\")", (int)klen, k);
		}
		if (!klen) {
			words_free(w, n);
			return fail(p, "'=' without a key before it");
		}
		if (klen >= sizeof(w[n].key)) {
			words_free(w, n);
			return fail(p, "unknown key '%.*s'", (int)klen, k);
		}
		memcpy(w[n].key, k, klen);
		w[n].key[klen] = 0;
		w[n].has_eq = false;
		w[n].value = NULL;
		if (s < end && *s == '=') {
			bool quoted;

			s++;
			w[n].has_eq = true;
			quoted = s < end && *s == '"';
			if (quoted)
				s++;
			/* The value: at most the rest of the line. */
			cap = (size_t)(end - s) + 1;
			v = malloc(cap);
			if (!v) {
				words_free(w, n);
				return fail(p, "out of memory");
			}
			while (s < end) {
				char c = *s;

				if (quoted && c == '"')
					break;
				if (!quoted && (c == ' ' || c == '\t'))
					break;
				if (!quoted && c == '"') {
					free(v);
					words_free(w, n);
					return fail(p, "a quote inside the unquoted value of %s", w[n].key);
				}
				if (quoted && c == '\\') {
					if (s + 1 == end || (s[1] != '"' && s[1] != '\\')) {
						free(v);
						words_free(w, n);
						return fail(p, "bad escape in the value of %s "
							    "(only \\\" and \\\\)", w[n].key);
					}
					s++;
					c = *s;
				}
				if (c == '\0') {
					free(v);
					words_free(w, n);
					return fail(p, "a NUL byte in the value of %s", w[n].key);
				}
				v[vlen++] = c;
				s++;
			}
			if (quoted) {
				if (s == end) {
					free(v);
					words_free(w, n);
					return fail(p, "unterminated quote in the value of %s", w[n].key);
				}
				s++;	/* the closing quote */
				if (s < end && *s != ' ' && *s != '\t' && *s != '#') {
					free(v);
					words_free(w, n);
					return fail(p, "text right after the closing quote of %s",
						    w[n].key);
				}
			}
			v[vlen] = 0;
			w[n].value = v;
		}
		n++;
	}
	*nw = n;
	return 0;
}

/* A number (decimal or 0x hex) in [min, max]. */
static int parse_uint(struct parser *p, const struct word *w, unsigned long min,
		      unsigned long max, unsigned long *out)
{
	const char *s = w->value;
	unsigned long v;
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return fail(p, "%s needs a number, not '%s'", w->key, s);
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || end == s)
		return fail(p, "%s needs a number, not '%s'", w->key, s);
	if (v < min || v > max)
		return fail(p, "%s=%s is out of range (%lu..%lu)", w->key, s, min, max);
	*out = v;
	return 0;
}

/* A hex number of exactly ndig digits (an optional 0x first), or -1. */
static int parse_hex_digits(const char *s, unsigned int *ndig, unsigned long *out)
{
	const char *d = s;
	unsigned long v = 0;
	unsigned int n = 0;

	if (d[0] == '0' && (d[1] == 'x' || d[1] == 'X'))
		d += 2;
	for (; *d; d++, n++) {
		int x;

		if (*d >= '0' && *d <= '9')
			x = *d - '0';
		else if (*d >= 'a' && *d <= 'f')
			x = *d - 'a' + 10;
		else if (*d >= 'A' && *d <= 'F')
			x = *d - 'A' + 10;
		else
			return -1;
		if (n >= 8)
			return -1;
		v = v << 4 | (unsigned long)x;
	}
	if (!n)
		return -1;
	*ndig = n;
	*out = v;
	return 0;
}

static int parse_id16(struct parser *p, const char *key, const char *s, uint16_t *out)
{
	unsigned long v;
	unsigned int n;

	if (parse_hex_digits(s, &n, &v) || n > 4)
		return fail(p, "%s needs a 16-bit hex ID (like 1b36), not '%s'", key, s);
	*out = (uint16_t)v;
	return 0;
}

static const char *const rule_keys =
	"class, vendor, device, id, driver, args, user, group, restart, max-restarts, backoff, "
	"scheme, scheme-data, child-config, child-data-max, user-range";
static const char *const set_keys = "user, group, config-read, stop-timeout";

static int check_args(struct parser *p, const char *s)
{
	const char *b = s;

	while ((b = strchr(b, '{'))) {
		if (strncmp(b, "{address}", 9) && strncmp(b, "{channel}", 9))
			return fail(p, "unknown placeholder in args near '%.16s' "
				    "(only {address} and {channel})", b);
		b++;
	}
	return 0;
}

/* A canonical address, as {address} expands in scheme=: "0000-00-04.0". */
#define SCHEME_ADDR_LEN	12

static bool scheme_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
	       c == '-';
}

/*
 * scheme=NAME: characters of scheme names and {address} only, and short
 * enough with an address in each placeholder (addresses are canonical:
 * always SCHEME_ADDR_LEN characters, lower-case hex).
 */
static int check_scheme(struct parser *p, const char *s)
{
	size_t len = 0;
	const char *c;

	if (!*s)
		return fail(p, "scheme is empty");
	for (c = s; *c; c++) {
		if (*c == '{') {
			if (strncmp(c, "{address}", 9))
				return fail(p, "unknown placeholder in scheme near '%.16s' "
					    "(only {address})", c);
			c += 8;
			len += SCHEME_ADDR_LEN;
		} else if (!scheme_char(*c)) {
			return fail(p, "scheme '%s': '%c' is not allowed in a scheme name "
				    "(a-z, 0-9, '.', '_', '-', and {address})", s, *c);
		} else {
			len++;
		}
	}
	if (len >= USCHEME_NAME_MAX)
		return fail(p, "scheme '%s' is too long: %zu characters with the address, "
			    "at most %d", s, len, USCHEME_NAME_MAX - 1);
	if (!strcmp(s, "sys") || !strcmp(s, "pcidev"))
		return fail(p, "scheme '%s' is served by the kernel", s);
	return 0;
}

/* scheme-data=SIZE: decimal bytes, or K or M (x1024, x1048576). */
static int parse_scheme_data(struct parser *p, const char *s, size_t *out)
{
	unsigned long long v = 0;
	const char *c = s;

	if (*c < '0' || *c > '9')
		return fail(p, "scheme-data needs a size in bytes, or with K or M "
			    "(16M), not '%s'", s);
	for (; *c >= '0' && *c <= '9'; c++) {
		v = v * 10 + (unsigned long long)(*c - '0');
		if (v > USCHEME_DATA_MAX)
			return fail(p, "scheme-data=%s is out of range (%uK..%uM)", s,
				    USCHEME_DATA_MIN >> 10, USCHEME_DATA_MAX >> 20);
	}
	if (*c == 'K' || *c == 'k') {
		v <<= 10;
		c++;
	} else if (*c == 'M' || *c == 'm') {
		v <<= 20;
		c++;
	}
	if (*c)
		return fail(p, "scheme-data needs a size in bytes, or with K or M "
			    "(16M), not '%s'", s);
	if (v < USCHEME_DATA_MIN || v > USCHEME_DATA_MAX)
		return fail(p, "scheme-data=%s is out of range (%uK..%uM)", s,
			    USCHEME_DATA_MIN >> 10, USCHEME_DATA_MAX >> 20);
	if (v % 4096)
		return fail(p, "scheme-data=%s is not a multiple of 4096 bytes", s);
	*out = (size_t)v;
	return 0;
}

/* child-data-max=SIZE: decimal bytes, or K, M or G; at most 64G. */
static int parse_child_data_max(struct parser *p, const char *s, uint64_t *out)
{
	unsigned long long v = 0, max = 64ULL << 30;
	const char *c = s;

	if (*c < '0' || *c > '9')
		return fail(p, "child-data-max needs a size in bytes, or with K, M or G "
			    "(64M), not '%s'", s);
	for (; *c >= '0' && *c <= '9'; c++) {
		v = v * 10 + (unsigned long long)(*c - '0');
		if (v > max)
			return fail(p, "child-data-max=%s is out of range (at most 64G)", s);
	}
	if (*c == 'K' || *c == 'k') {
		v <<= 10;
		c++;
	} else if (*c == 'M' || *c == 'm') {
		v <<= 20;
		c++;
	} else if (*c == 'G' || *c == 'g') {
		v <<= 30;
		c++;
	}
	if (*c)
		return fail(p, "child-data-max needs a size in bytes, or with K, M or G "
			    "(64M), not '%s'", s);
	if (v > max)
		return fail(p, "child-data-max=%s is out of range (at most 64G)", s);
	*out = v;
	return 0;
}

/* Split args on blanks into r->argv (placeholders kept). */
static int split_args(struct parser *p, struct pcid_rule *r, const char *s)
{
	char **argv = calloc(ARGS_MAX + 1, sizeof(*argv));
	unsigned int n = 0;

	if (!argv)
		return fail(p, "out of memory");
	for (;;) {
		const char *b;

		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		if (n == ARGS_MAX) {
			pcid_argv_free(argv);
			return fail(p, "too many args (at most %d)", ARGS_MAX);
		}
		b = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
		argv[n] = strndup(b, (size_t)(s - b));
		if (!argv[n]) {
			pcid_argv_free(argv);
			return fail(p, "out of memory");
		}
		n++;
	}
	r->argv = argv;
	r->argc = n;
	return 0;
}

static void rule_free(struct pcid_rule *r)
{
	free(r->driver);
	pcid_argv_free(r->argv);
	free(r->scheme);
	free(r->child_config);
	r->driver = NULL;
	r->argv = NULL;
	r->scheme = NULL;
	r->child_config = NULL;
}

static int seen_key(struct parser *p, unsigned int *seen, unsigned int bit, const char *key)
{
	if (*seen & bit)
		return fail(p, "%s given twice", key);
	*seen |= bit;
	return 0;
}

static int parse_rule(struct parser *p, const struct pcid_config *cfg,
		      const struct word *w, unsigned int nw, struct pcid_rule *r)
{
	unsigned int i, seen = 0;
	const char *args = NULL;
	unsigned long v;

	memset(r, 0, sizeof(*r));
	r->line = p->line;
	r->uid = cfg->uid;
	r->gid = cfg->gid;
	r->restart = PCID_RESTART_ON_FAILURE;
	r->max_restarts = PCID_DEFAULT_MAX_RESTARTS;
	r->backoff_ms = PCID_DEFAULT_BACKOFF_MS;
	r->child_data_max = PCID_DEFAULT_CHILD_DATA_MAX;
	for (i = 1; i < nw; i++) {
		const char *k = w[i].key, *s = w[i].value;

		if (!w[i].has_eq)
			return fail(p, "'%s' is not KEY=VALUE (keys: %s)", k, rule_keys);
		if (!strcmp(k, "class")) {
			unsigned int n;

			if (seen_key(p, &seen, 1u << 0, k))
				return -1;
			if (parse_hex_digits(s, &n, &v) || (n != 2 && n != 4 && n != 6))
				return fail(p, "class needs 2, 4 or 6 hex digits (class, "
					    "+ subclass, + prog-if: 0c, 0c03, 0c0330), not '%s'", s);
			r->class_value = (uint32_t)(v << (4 * (6 - n)));
			r->class_mask = 0xffffffu & ~((1u << (4 * (6 - n))) - 1);
			r->match |= PCID_MATCH_CLASS;
		} else if (!strcmp(k, "vendor")) {
			if (seen & (1u << 10))
				return fail(p, "id and vendor given together");
			if (seen_key(p, &seen, 1u << 1, k) || parse_id16(p, k, s, &r->vendor))
				return -1;
			r->match |= PCID_MATCH_VENDOR;
		} else if (!strcmp(k, "device")) {
			if (seen & (1u << 10))
				return fail(p, "id and device given together");
			if (seen_key(p, &seen, 1u << 2, k) || parse_id16(p, k, s, &r->device))
				return -1;
			r->match |= PCID_MATCH_DEVICE;
		} else if (!strcmp(k, "id")) {
			const char *colon = strchr(s, ':');
			char ven[16];

			if (seen & ((1u << 1) | (1u << 2)))
				return fail(p, "id and vendor/device given together");
			if (seen_key(p, &seen, 1u << 10, k))
				return -1;
			if (!colon || (size_t)(colon - s) >= sizeof(ven))
				return fail(p, "id needs VENDOR:DEVICE in hex (like 1b36:000d), "
					    "not '%s'", s);
			memcpy(ven, s, (size_t)(colon - s));
			ven[colon - s] = 0;
			if (parse_id16(p, "id", ven, &r->vendor) ||
			    parse_id16(p, "id", colon + 1, &r->device))
				return -1;
			r->match |= PCID_MATCH_VENDOR | PCID_MATCH_DEVICE;
		} else if (!strcmp(k, "driver")) {
			if (seen_key(p, &seen, 1u << 3, k))
				return -1;
			if (!*s)
				return fail(p, "driver is empty");
			if (strlen(s) >= PATH_MAX)
				return fail(p, "driver path too long");
			r->driver = strdup(s);
			if (!r->driver)
				return fail(p, "out of memory");
		} else if (!strcmp(k, "args")) {
			if (seen_key(p, &seen, 1u << 4, k) || check_args(p, s))
				return -1;
			args = s;
		} else if (!strcmp(k, "user")) {
			if (seen_key(p, &seen, 1u << 5, k) || parse_uint(p, &w[i], 1, 0xfffffffe, &v))
				return -1;
			r->uid = (uid_t)v;
		} else if (!strcmp(k, "group")) {
			if (seen_key(p, &seen, 1u << 6, k) || parse_uint(p, &w[i], 1, 0xfffffffe, &v))
				return -1;
			r->gid = (gid_t)v;
		} else if (!strcmp(k, "restart")) {
			if (seen_key(p, &seen, 1u << 7, k))
				return -1;
			if (!strcmp(s, "never"))
				r->restart = PCID_RESTART_NEVER;
			else if (!strcmp(s, "on-failure"))
				r->restart = PCID_RESTART_ON_FAILURE;
			else if (!strcmp(s, "always"))
				r->restart = PCID_RESTART_ALWAYS;
			else
				return fail(p, "restart must be never, on-failure or always, not '%s'", s);
		} else if (!strcmp(k, "max-restarts")) {
			if (seen_key(p, &seen, 1u << 8, k) || parse_uint(p, &w[i], 0, 1000000, &v))
				return -1;
			r->max_restarts = (unsigned int)v;
		} else if (!strcmp(k, "backoff")) {
			if (seen_key(p, &seen, 1u << 9, k) ||
			    parse_uint(p, &w[i], 0, PCID_BACKOFF_MAX_MS, &v))
				return -1;
			r->backoff_ms = (unsigned int)v;
		} else if (!strcmp(k, "scheme")) {
			if (seen_key(p, &seen, 1u << 11, k) || check_scheme(p, s))
				return -1;
			r->scheme = strdup(s);
			if (!r->scheme)
				return fail(p, "out of memory");
		} else if (!strcmp(k, "scheme-data")) {
			if (seen_key(p, &seen, 1u << 12, k) ||
			    parse_scheme_data(p, s, &r->scheme_data))
				return -1;
		} else if (!strcmp(k, "child-config")) {
			if (seen_key(p, &seen, 1u << 13, k))
				return -1;
			if (!*s)
				return fail(p, "child-config needs a file name");
			r->child_config = strdup(s);
			if (!r->child_config)
				return fail(p, "out of memory");
		} else if (!strcmp(k, "user-range")) {
			/* BASE-COUNT: a uid (and the same gid) of its own for each child */
			unsigned long long base, count;
			char *end;

			if (seen_key(p, &seen, 1u << 15, k))
				return -1;
			errno = 0;
			base = *s >= '0' && *s <= '9' ? strtoull(s, &end, 10) : 0;
			if (errno || *s < '0' || *s > '9' || *end != '-' || end[1] < '0' || end[1] > '9')
				return fail(p, "user-range needs BASE-COUNT (decimal: 70000-64), not '%s'", s);
			count = strtoull(end + 1, &end, 10);
			if (errno || *end)
				return fail(p, "user-range needs BASE-COUNT (decimal: 70000-64), not '%s'", s);
			if (!base || !count || count > PCID_USER_RANGE_MAX || base > 0xfffffffeULL ||
			    base + count - 1 > 0xfffffffeULL)
				return fail(p, "user-range=%s is out of range (BASE 1.., COUNT 1..%u, "
					    "below 4294967295)", s, PCID_USER_RANGE_MAX);
			if (base <= PCID_DEFAULT_UID && base + count > PCID_DEFAULT_UID)
				return fail(p, "user-range=%s holds 65534 (nobody, the overflow uid: "
					    "any local user's)", s);
			r->uid_base = (uid_t)base;
			r->uid_count = (unsigned int)count;
		} else if (!strcmp(k, "child-data-max")) {
			if (seen_key(p, &seen, 1u << 14, k) ||
			    parse_child_data_max(p, s, &r->child_data_max))
				return -1;
		} else {
			return fail(p, "unknown key '%s' (keys: %s)", k, rule_keys);
		}
	}
	if (!r->match)
		return fail(p, "match needs class=, vendor=, device= or id=");
	if (!r->driver)
		return fail(p, "match needs driver=");
	if (r->scheme_data && !r->scheme)
		return fail(p, "scheme-data needs scheme= (the scheme whose data area it sizes)");
	if (r->child_config && !r->scheme)
		return fail(p, "child-config needs scheme= (its children get handles of that scheme)");
	if ((seen & (1u << 15)) && (seen & ((1u << 5) | (1u << 6))))
		return fail(p, "user-range and user/group given together (a child's gid is its uid)");
	if ((seen & (1u << 14)) && !r->child_config)
		return fail(p, "child-data-max needs child-config= (the children whose data areas it bounds)");
	return split_args(p, r, args ? args : "{address}");
}

static int parse_set(struct parser *p, struct pcid_config *cfg,
		     const struct word *w, unsigned int nw)
{
	unsigned int i;
	unsigned long v;

	if (nw < 2)
		return fail(p, "set needs KEY=VALUE (keys: %s)", set_keys);
	for (i = 1; i < nw; i++) {
		const char *k = w[i].key, *s = w[i].value;

		if (!w[i].has_eq)
			return fail(p, "'%s' is not KEY=VALUE (keys: %s)", k, set_keys);
		if (!strcmp(k, "user")) {
			if (parse_uint(p, &w[i], 1, 0xfffffffe, &v))
				return -1;
			cfg->uid = (uid_t)v;
		} else if (!strcmp(k, "group")) {
			if (parse_uint(p, &w[i], 1, 0xfffffffe, &v))
				return -1;
			cfg->gid = (gid_t)v;
		} else if (!strcmp(k, "config-read")) {
			if (!strcmp(s, "header"))
				cfg->config_read = PCID_READ_HEADER;
			else if (!strcmp(s, "all"))
				cfg->config_read = PCID_READ_ALL;
			else if (!strcmp(s, "root"))
				cfg->config_read = PCID_READ_ROOT;
			else
				return fail(p, "config-read must be header, all or root, not '%s'", s);
		} else if (!strcmp(k, "stop-timeout")) {
			if (parse_uint(p, &w[i], 0, 600000, &v))
				return -1;
			cfg->stop_timeout_ms = (unsigned int)v;
		} else {
			return fail(p, "unknown setting '%s' (settings: %s)", k, set_keys);
		}
	}
	return 0;
}

void pcid_config_free(struct pcid_config *cfg)
{
	unsigned int i;

	for (i = 0; i < cfg->nrules; i++)
		rule_free(&cfg->rules[i]);
	free(cfg->rules);
	cfg->rules = NULL;
	cfg->nrules = 0;
}

int pcid_config_parse(const char *name, const char *text, size_t len,
		      struct pcid_config *cfg, char *err, size_t errlen)
{
	struct parser p = { .name = name, .line = 0, .err = err, .errlen = errlen };
	const char *s = text, *end = text + len;
	/*
	 * "set" lines apply to the whole file, rules after or before them:
	 * rules are parsed in a second pass, once the settings are known.
	 */
	int pass;

	memset(cfg, 0, sizeof(*cfg));
	if (errlen)
		err[0] = 0;
	cfg->uid = PCID_DEFAULT_UID;
	cfg->gid = PCID_DEFAULT_GID;
	cfg->config_read = PCID_READ_HEADER;
	cfg->stop_timeout_ms = PCID_DEFAULT_STOP_TIMEOUT_MS;
	if (len > CONFIG_MAX_BYTES) {
		snprintf(err, errlen, "%s: too large (more than %d bytes)", name, CONFIG_MAX_BYTES);
		return -1;
	}
	for (pass = 0; pass < 2; pass++) {
		s = text;
		p.line = 0;
		while (s < end) {
			const char *eol = memchr(s, '\n', (size_t)(end - s));
			struct word w[WORDS_MAX];
			unsigned int nw;
			int r = 0;

			if (!eol)
				eol = end;
			p.line++;
			if (memchr(s, '\0', (size_t)(eol - s))) {
				fail(&p, "a NUL byte (not a text file?)");
				goto bad;
			}
			if (split_line(&p, s, eol > s && eol[-1] == '\r' ? eol - 1 : eol, w, &nw))
				goto bad;
			s = eol < end ? eol + 1 : end;
			if (!nw)
				continue;
			if (w[0].has_eq) {
				r = fail(&p, "a line starts with set or match, not '%s='", w[0].key);
			} else if (!strcmp(w[0].key, "set")) {
				if (pass == 0)
					r = parse_set(&p, cfg, w, nw);
			} else if (!strcmp(w[0].key, "match")) {
				if (pass == 1) {
					struct pcid_rule *nr;

					if (cfg->nrules == CONFIG_MAX_RULES) {
						r = fail(&p, "too many match lines (at most %d)",
							 CONFIG_MAX_RULES);
					} else if (!(nr = realloc(cfg->rules, (cfg->nrules + 1) *
								  sizeof(*nr)))) {
						r = fail(&p, "out of memory");
					} else {
						cfg->rules = nr;
						r = parse_rule(&p, cfg, w, nw, &nr[cfg->nrules]);
						if (r)
							rule_free(&nr[cfg->nrules]);
						else
							cfg->nrules++;
					}
				}
			} else {
				r = fail(&p, "unknown directive '%s' (set or match)", w[0].key);
			}
			words_free(w, nw);
			if (r)
				goto bad;
		}
	}
	return 0;
bad:
	pcid_config_free(cfg);
	return -1;
}

int pcid_config_load(const char *path, struct pcid_config *cfg, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int fd, r;

	memset(cfg, 0, sizeof(*cfg));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nb;

			if (cap > CONFIG_MAX_BYTES) {
				snprintf(err, errlen, "%s: too large (more than %d bytes)",
					 path, CONFIG_MAX_BYTES);
				goto out_fail;
			}
			cap = cap ? cap * 2 : 4096;
			nb = realloc(buf, cap);
			if (!nb) {
				snprintf(err, errlen, "%s: out of memory", path);
				goto out_fail;
			}
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out_fail;
		}
		if (!n)
			break;
		len += (size_t)n;
	}
	close(fd);
	r = pcid_config_parse(path, buf ? buf : "", len, cfg, err, errlen);
	free(buf);
	return r;
out_fail:
	close(fd);
	free(buf);
	return -1;
}

const struct pcid_rule *pcid_config_match(const struct pcid_config *cfg,
					  uint16_t vendor, uint16_t device,
					  uint32_t class_code)
{
	unsigned int i;

	for (i = 0; i < cfg->nrules; i++) {
		const struct pcid_rule *r = &cfg->rules[i];

		if ((r->match & PCID_MATCH_CLASS) &&
		    (class_code & r->class_mask) != r->class_value)
			continue;
		if ((r->match & PCID_MATCH_VENDOR) && vendor != r->vendor)
			continue;
		if ((r->match & PCID_MATCH_DEVICE) && device != r->device)
			continue;
		return r;
	}
	return NULL;
}

void pcid_argv_free(char **argv)
{
	char **a;

	if (!argv)
		return;
	for (a = argv; *a; a++)
		free(*a);
	free(argv);
}

/* s with every {address} and {channel} replaced. */
static char *expand(const char *s, const char *address, const char *channel)
{
	size_t cap = strlen(s) + 1, len = 0;
	char *out;
	size_t al = strlen(address), cl = strlen(channel);

	/* Each placeholder is 9 bytes; its value at most the longer of the two. */
	cap += (strlen(s) / 9 + 1) * (al > cl ? al : cl);
	out = malloc(cap);
	if (!out)
		return NULL;
	while (*s) {
		const char *v = NULL;

		if (!strncmp(s, "{address}", 9))
			v = address;
		else if (!strncmp(s, "{channel}", 9))
			v = channel;
		if (v) {
			size_t vl = strlen(v);

			memcpy(out + len, v, vl);
			len += vl;
			s += 9;
		} else {
			out[len++] = *s++;
		}
	}
	out[len] = 0;
	return out;
}

char **pcid_rule_argv(const struct pcid_rule *r, const char *driver_path,
		      const char *address, int channel_fd)
{
	char chan[16], **argv;
	unsigned int i;

	/* A PCI address (pcid), or a USB port's path (xhcid: usb.0000-00-04.0:1). */
	if (strlen(address) > PCID_ARG_ADDRESS_MAX)
		return NULL;
	snprintf(chan, sizeof(chan), "%d", channel_fd);
	argv = calloc(r->argc + 2, sizeof(*argv));
	if (!argv)
		return NULL;
	argv[0] = strdup(driver_path);
	if (!argv[0])
		goto nomem;
	for (i = 0; i < r->argc; i++) {
		argv[i + 1] = expand(r->argv[i], address, chan);
		if (!argv[i + 1])
			goto nomem;
	}
	return argv;
nomem:
	pcid_argv_free(argv);
	return NULL;
}

int pcid_rule_scheme(const struct pcid_rule *r, const char *address, char *out,
		     size_t len)
{
	const char *c;
	size_t n = 0;

	if (len)
		out[0] = 0;
	if (!r->scheme || !len)
		return -EINVAL;
	for (c = r->scheme; *c; c++) {
		const char *v = c, *end = c + 1;

		if (!strncmp(c, "{address}", 9)) {
			v = address;
			end = address + strlen(address);
			c += 8;
		}
		for (; v < end; v++) {
			char ch = *v == ':' ? '-' : *v;

			if (!scheme_char(ch) || n + 1 >= len || n + 1 >= USCHEME_NAME_MAX) {
				out[0] = 0;
				return -EINVAL;
			}
			out[n++] = ch;
		}
	}
	out[n] = 0;
	return n ? 0 : -EINVAL;
}

const char *pcid_restart_name(enum pcid_restart r)
{
	switch (r) {
	case PCID_RESTART_NEVER:
		return "never";
	case PCID_RESTART_ON_FAILURE:
		return "on-failure";
	case PCID_RESTART_ALWAYS:
		return "always";
	}
	return "?";
}

const char *pcid_config_read_name(enum pcid_config_read r)
{
	switch (r) {
	case PCID_READ_HEADER:
		return "header";
	case PCID_READ_ALL:
		return "all";
	case PCID_READ_ROOT:
		return "root";
	}
	return "?";
}
