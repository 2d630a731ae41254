// SPDX-License-Identifier: MIT
/*
 * pcid without a kernel: the config parser (every setting and key, every
 * error with its line; scheme= and scheme-data=, the name's expansion;
 * the default pcid.conf next to this test), matching, argv expansion,
 * address parsing (libpcidrv's one parser: every bad shape), and
 * enumeration of a fake sysfs tree and binding in it (libpcidrv's one
 * driver_override binder). Also pcid --check against that tree
 * when the pcid binary is next to this test (it is in $(O)).
 *
 * Usage: pcid_unit_test [name-substring]
 */
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <sys/stat.h>

#include "../../lib/tap.h"
#include "../../../uapi/uscheme.h"
#include "../../../userspace-drivers/pcid/config.h"
#include "../../../userspace-drivers/libpcidrv/pcisysfs.h"

static int parse(const char *text, struct pcid_config *cfg, char *err, size_t len)
{
	return pcid_config_parse("t.conf", text, strlen(text), cfg, err, len);
}

/* text must fail with a message containing want. */
static int bad(const char *text, const char *want)
{
	struct pcid_config cfg;
	char err[512];

	if (!parse(text, &cfg, err, sizeof(err))) {
		fprintf(stderr, "  accepted: %s\n", text);
		pcid_config_free(&cfg);
		return -1;
	}
	if (!strstr(err, want)) {
		fprintf(stderr, "  for: %s\n  got: %s\n  want: %s\n", text, err, want);
		return -1;
	}
	CHECK_EQ(cfg.nrules, 0);
	CHECK(cfg.rules == NULL);
	return 0;
}

static int t_config_defaults(void)
{
	struct pcid_config cfg;
	char err[256];

	CHECK_EQ(parse("", &cfg, err, sizeof(err)), 0);
	CHECK_EQ(cfg.nrules, 0);
	CHECK_EQ(cfg.uid, PCID_DEFAULT_UID);
	CHECK_EQ(cfg.gid, PCID_DEFAULT_GID);
	CHECK_EQ(cfg.config_read, PCID_READ_HEADER);
	CHECK_EQ(cfg.stop_timeout_ms, PCID_DEFAULT_STOP_TIMEOUT_MS);
	pcid_config_free(&cfg);
	CHECK_EQ(parse("# only a comment\n\n   \t\n# another\n", &cfg, err, sizeof(err)), 0);
	CHECK_EQ(cfg.nrules, 0);
	pcid_config_free(&cfg);
	return 0;
}

static int t_config_rules(void)
{
	static const char text[] =
		"# rules before the settings still get them\r\n"
		"match class=0c0330 driver=/bin/xhcid\n"
		"match id=1af4:1005 driver=rngd args=\"--x {address} -c {channel}\" user=1000 "
		"group=1001 restart=always max-restarts=0 backoff=0 # trailing comment\n"
		"set user=4242 group=4343 config-read=all stop-timeout=100\n"
		"  match   class=0x0c03 vendor=8086 driver=usb restart=never\n"
		"match class=02 device=ABCD driver=\"/opt/net driver\" args=\"\"\n"
		"match vendor=0x1b36 driver=x args=\"a\\\"b c\\\\d\"";
	struct pcid_config cfg;
	const struct pcid_rule *r;
	char err[256];

	CHECK_EQ(parse(text, &cfg, err, sizeof(err)), 0);
	CHECK_EQ(cfg.nrules, 5);
	CHECK_EQ(cfg.uid, 4242);
	CHECK_EQ(cfg.gid, 4343);
	CHECK_EQ(cfg.config_read, PCID_READ_ALL);
	CHECK_EQ(cfg.stop_timeout_ms, 100);

	r = &cfg.rules[0];
	CHECK_EQ(r->line, 2);
	CHECK_EQ(r->match, PCID_MATCH_CLASS);
	CHECK_EQ(r->class_value, 0x0c0330);
	CHECK_EQ(r->class_mask, 0xffffff);
	CHECK(!strcmp(r->driver, "/bin/xhcid"));
	CHECK_EQ(r->argc, 1);
	CHECK(!strcmp(r->argv[0], "{address}"));
	CHECK(r->argv[1] == NULL);
	CHECK_EQ(r->uid, 4242);	/* the set line, although it came later */
	CHECK_EQ(r->gid, 4343);
	CHECK_EQ(r->restart, PCID_RESTART_ON_FAILURE);
	CHECK_EQ(r->max_restarts, PCID_DEFAULT_MAX_RESTARTS);
	CHECK_EQ(r->backoff_ms, PCID_DEFAULT_BACKOFF_MS);

	r = &cfg.rules[1];
	CHECK_EQ(r->line, 3);
	CHECK_EQ(r->match, PCID_MATCH_VENDOR | PCID_MATCH_DEVICE);
	CHECK_EQ(r->vendor, 0x1af4);
	CHECK_EQ(r->device, 0x1005);
	CHECK_EQ(r->argc, 4);
	CHECK(!strcmp(r->argv[0], "--x"));
	CHECK(!strcmp(r->argv[1], "{address}"));
	CHECK(!strcmp(r->argv[3], "{channel}"));
	CHECK_EQ(r->uid, 1000);
	CHECK_EQ(r->gid, 1001);
	CHECK_EQ(r->restart, PCID_RESTART_ALWAYS);
	CHECK_EQ(r->max_restarts, 0);
	CHECK_EQ(r->backoff_ms, 0);

	r = &cfg.rules[2];
	CHECK_EQ(r->line, 5);
	CHECK_EQ(r->match, PCID_MATCH_CLASS | PCID_MATCH_VENDOR);
	CHECK_EQ(r->class_value, 0x0c0300);
	CHECK_EQ(r->class_mask, 0xffff00);
	CHECK_EQ(r->vendor, 0x8086);
	CHECK_EQ(r->restart, PCID_RESTART_NEVER);

	r = &cfg.rules[3];
	CHECK_EQ(r->class_value, 0x020000);
	CHECK_EQ(r->class_mask, 0xff0000);
	CHECK_EQ(r->device, 0xabcd);
	CHECK(!strcmp(r->driver, "/opt/net driver"));
	CHECK_EQ(r->argc, 0);

	r = &cfg.rules[4];
	CHECK_EQ(r->line, 7);	/* no newline at the end of the file */
	CHECK_EQ(r->argc, 2);
	CHECK(!strcmp(r->argv[0], "a\"b"));
	CHECK(!strcmp(r->argv[1], "c\\d"));
	pcid_config_free(&cfg);
	return 0;
}

static int t_config_match(void)
{
	static const char text[] =
		"match id=1b36:000d driver=a\n"
		"match class=0c0330 driver=b\n"
		"match class=0c03 driver=c\n"
		"match class=0c driver=d\n"
		"match vendor=8086 driver=e\n"
		"match device=1234 driver=f\n";
	struct pcid_config cfg;
	const struct pcid_rule *r;
	char err[256];

	CHECK_EQ(parse(text, &cfg, err, sizeof(err)), 0);
	r = pcid_config_match(&cfg, 0x1b36, 0x000d, 0x0c0330);
	CHECK(r && !strcmp(r->driver, "a"));	/* the first rule wins */
	r = pcid_config_match(&cfg, 0x1033, 0x0194, 0x0c0330);
	CHECK(r && !strcmp(r->driver, "b"));
	r = pcid_config_match(&cfg, 0x1033, 0x0194, 0x0c0320);
	CHECK(r && !strcmp(r->driver, "c"));
	r = pcid_config_match(&cfg, 0x1033, 0x0194, 0x0c0500);
	CHECK(r && !strcmp(r->driver, "d"));
	r = pcid_config_match(&cfg, 0x8086, 0x0194, 0x020000);
	CHECK(r && !strcmp(r->driver, "e"));
	r = pcid_config_match(&cfg, 0x10ec, 0x1234, 0x020000);
	CHECK(r && !strcmp(r->driver, "f"));
	CHECK(pcid_config_match(&cfg, 0x1af4, 0x1005, 0x00ff00) == NULL);
	CHECK(pcid_config_match(&cfg, 0x1b36, 0x000e, 0x0b0330) == NULL);
	pcid_config_free(&cfg);
	return 0;
}

static int t_config_argv(void)
{
	static const char text[] =
		"match class=0c driver=p args=\"--channel {channel} {address}/x {address}{channel}\"\n";
	struct pcid_config cfg;
	char err[256], **argv;

	CHECK_EQ(parse(text, &cfg, err, sizeof(err)), 0);
	argv = pcid_rule_argv(&cfg.rules[0], "/bin/p", "0000:00:04.0", 3);
	CHECK(argv);
	CHECK(!strcmp(argv[0], "/bin/p"));
	CHECK(!strcmp(argv[1], "--channel"));
	CHECK(!strcmp(argv[2], "3"));
	CHECK(!strcmp(argv[3], "0000:00:04.0/x"));
	CHECK(!strcmp(argv[4], "0000:00:04.03"));
	CHECK(argv[5] == NULL);
	pcid_argv_free(argv);
	/* xhcid's {address}: a USB port's path, every placeholder expanded in full. */
	argv = pcid_rule_argv(&cfg.rules[0], "/bin/p", "usb.0000-00-04.0:12", 3);
	CHECK(argv);
	CHECK(!strcmp(argv[3], "usb.0000-00-04.0:12/x"));
	CHECK(!strcmp(argv[4], "usb.0000-00-04.0:123"));
	pcid_argv_free(argv);
	{
		char longest[PCID_ARG_ADDRESS_MAX + 2];

		memset(longest, 'a', sizeof(longest) - 1);
		longest[PCID_ARG_ADDRESS_MAX] = 0;
		argv = pcid_rule_argv(&cfg.rules[0], "/bin/p", longest, 3);
		CHECK(argv);
		CHECK_EQ(strlen(argv[3]), PCID_ARG_ADDRESS_MAX + 2);
		CHECK_EQ(strlen(argv[4]), PCID_ARG_ADDRESS_MAX + 1);
		pcid_argv_free(argv);
		longest[PCID_ARG_ADDRESS_MAX] = 'a';
		longest[PCID_ARG_ADDRESS_MAX + 1] = 0;
		CHECK(pcid_rule_argv(&cfg.rules[0], "/bin/p", longest, 3) == NULL);
	}
	pcid_config_free(&cfg);
	return 0;
}

static int t_config_scheme(void)
{
	static const char text[] =
		"match class=0c0330 driver=xhcid scheme=usb.{address} scheme-data=16M\n"
		"match class=0c driver=a scheme={address}\n"
		"match class=02 driver=b scheme=x{address}{address}y scheme-data=2048K\n"
		"match class=03 driver=c scheme=fixed.name_1-2 scheme-data=8388608\n"
		"match class=04 driver=d\n"
		"match class=05 driver=e scheme=123456789012345678901234567890123456789012345678901{address}\n"
		"match class=06 driver=f scheme=a scheme-data=2m\n"
		"match class=07 driver=f scheme=a scheme-data=256M\n";
	struct pcid_config cfg;
	char err[256], name[64], tiny[8];

	CHECK_EQ(parse(text, &cfg, err, sizeof(err)), 0);
	CHECK_EQ(cfg.nrules, 8);
	CHECK(!strcmp(cfg.rules[0].scheme, "usb.{address}"));
	CHECK_EQ(cfg.rules[0].scheme_data, 16 << 20);
	CHECK_EQ(cfg.rules[1].scheme_data, 0);	/* the kernel's default */
	CHECK_EQ(cfg.rules[2].scheme_data, 2 << 20);
	CHECK_EQ(cfg.rules[3].scheme_data, 8 << 20);
	CHECK(cfg.rules[4].scheme == NULL);
	CHECK_EQ(cfg.rules[6].scheme_data, USCHEME_DATA_MIN);
	CHECK_EQ(cfg.rules[7].scheme_data, USCHEME_DATA_MAX);

	CHECK_EQ(pcid_rule_scheme(&cfg.rules[0], "0000:00:04.0", name, sizeof(name)), 0);
	CHECK(!strcmp(name, "usb.0000-00-04.0"));
	CHECK_EQ(pcid_rule_scheme(&cfg.rules[1], "abcd:ef:1f.7", name, sizeof(name)), 0);
	CHECK(!strcmp(name, "abcd-ef-1f.7"));
	CHECK_EQ(pcid_rule_scheme(&cfg.rules[2], "0000:00:04.0", name, sizeof(name)), 0);
	CHECK(!strcmp(name, "x0000-00-04.00000-00-04.0y"));
	CHECK_EQ(pcid_rule_scheme(&cfg.rules[3], "0000:00:04.0", name, sizeof(name)), 0);
	CHECK(!strcmp(name, "fixed.name_1-2"));
	CHECK_EQ(pcid_rule_scheme(&cfg.rules[5], "0000:00:04.0", name, sizeof(name)), 0);
	CHECK_EQ(strlen(name), 63);	/* the longest name */
	/* What the parser cannot know: the address itself. */
	CHECK_EQ(pcid_rule_scheme(&cfg.rules[5], "10000:00:04.0", name, sizeof(name)), -EINVAL);
	CHECK_EQ(name[0], 0);
	CHECK_EQ(pcid_rule_scheme(&cfg.rules[0], "0000:00:0A.0", name, sizeof(name)), -EINVAL);
	CHECK_EQ(pcid_rule_scheme(&cfg.rules[0], "0000:00:04.0/x", name, sizeof(name)), -EINVAL);
	CHECK_EQ(pcid_rule_scheme(&cfg.rules[0], "0000:00:04.0", tiny, sizeof(tiny)), -EINVAL);
	CHECK_EQ(tiny[0], 0);
	CHECK_EQ(pcid_rule_scheme(&cfg.rules[4], "0000:00:04.0", name, sizeof(name)), -EINVAL);
	pcid_config_free(&cfg);

	/* Errors, each naming its line. */
	CHECK(!bad("\n\nmatch class=0c driver=x scheme=\n", "t.conf:3: scheme is empty"));
	CHECK(!bad("match class=0c driver=x scheme=USB\n", "'U' is not allowed in a scheme name"));
	CHECK(!bad("match class=0c driver=x scheme=usb:{address}\n", "':' is not allowed"));
	CHECK(!bad("match class=0c driver=x scheme=\"usb {address}\"\n", "' ' is not allowed"));
	CHECK(!bad("match class=0c driver=x scheme=usb/x\n", "'/' is not allowed"));
	CHECK(!bad("match class=0c driver=x scheme=usb.{adress}\n",
		   "unknown placeholder in scheme near '{adress}'"));
	CHECK(!bad("match class=0c driver=x scheme=usb.{channel}\n", "unknown placeholder"));
	CHECK(!bad("match class=0c driver=x scheme=usb.{address\n", "unknown placeholder"));
	CHECK(!bad("match class=0c driver=x scheme=1234567890123456789012345678901234567890123456789012{address}\n",
		   "is too long: 64 characters with the address, at most 63"));
	CHECK(!bad("match class=0c driver=x scheme=1234567890123456789012345678901234567890123456789012345678901234\n",
		   "is too long"));
	CHECK(!bad("match class=0c driver=x scheme=sys\n", "scheme 'sys' is served by the kernel"));
	CHECK(!bad("match class=0c driver=x scheme=pcidev\n", "served by the kernel"));
	CHECK(!bad("match class=0c driver=x scheme=a scheme=b\n", "scheme given twice"));
	CHECK(!bad("match class=0c driver=x scheme=a scheme-data=4M scheme-data=4M\n",
		   "scheme-data given twice"));
	CHECK(!bad("\nmatch class=0c driver=x scheme-data=16M\n",
		   "t.conf:2: scheme-data needs scheme="));
	CHECK(!bad("match class=0c driver=x scheme=a scheme-data=1M\n",
		   "scheme-data=1M is out of range (2048K..256M)"));
	CHECK(!bad("match class=0c driver=x scheme=a scheme-data=2093056\n", "out of range"));
	CHECK(!bad("match class=0c driver=x scheme=a scheme-data=257M\n", "out of range"));
	CHECK(!bad("match class=0c driver=x scheme=a scheme-data=99999999999999999999999\n",
		   "out of range"));
	CHECK(!bad("match class=0c driver=x scheme=a scheme-data=16777217\n",
		   "scheme-data=16777217 is not a multiple of 4096 bytes"));
	CHECK(!bad("match class=0c driver=x scheme=a scheme-data=4097K\n", "not a multiple of 4096"));
	CHECK(!bad("match class=0c driver=x scheme=a scheme-data=-16M\n",
		   "scheme-data needs a size in bytes, or with K or M"));
	CHECK(!bad("match class=0c driver=x scheme=a scheme-data=16G\n", "needs a size"));
	CHECK(!bad("match class=0c driver=x scheme=a scheme-data=16MB\n", "needs a size"));
	CHECK(!bad("match class=0c driver=x scheme=a scheme-data=0x1000000\n", "needs a size"));
	CHECK(!bad("match class=0c driver=x scheme=a scheme-data=\n", "needs a size"));
	CHECK(!bad("match class=0c driver=x scheme=a scheme-data=M\n", "needs a size"));
	CHECK(!bad("match class=0c driver=x scheme=a scheme-data=\" 16M\"\n", "needs a size"));
	/* child-config=: the rules of the children the driver asks for; needs scheme= */
	{
		static const char ct[] =
			"match class=0c driver=x scheme=a child-config=xhcid.conf\n"
			"match class=0d driver=y scheme=b child-config=/etc/c.conf\n"
			"match class=0e driver=z\n";

		CHECK_EQ(parse(ct, &cfg, err, sizeof(err)), 0);
		CHECK(cfg.rules[0].child_config && !strcmp(cfg.rules[0].child_config, "xhcid.conf"));
		CHECK(!strcmp(cfg.rules[1].child_config, "/etc/c.conf"));
		CHECK(cfg.rules[2].child_config == NULL);
		pcid_config_free(&cfg);
	}
	CHECK(!bad("\nmatch class=0c driver=x child-config=c.conf\n",
		   "t.conf:2: child-config needs scheme="));
	CHECK(!bad("match class=0c driver=x scheme=a child-config=\n",
		   "child-config needs a file name"));
	CHECK(!bad("match class=0c driver=x scheme=a child-config=a child-config=b\n",
		   "child-config given twice"));
	return 0;
}

/* The tree's pcid.conf (next to this test in $(O)): xHCI to xhcid, with its scheme. */
/* child-data-max=: the budget of a driver's children's data areas (an attack: 256 x 16M). */
static int t_config_child_data(void)
{
	static const char text[] =
		"match class=0c0330 driver=xhcid scheme=usb.{address} child-config=x.conf\n"
		"match class=0c0320 driver=xhcid scheme=usb.{address} child-config=x.conf child-data-max=16M\n"
		"match class=0c0310 driver=xhcid scheme=usb.{address} child-config=x.conf child-data-max=0\n"
		"match class=0c0300 driver=xhcid scheme=usb.{address} child-config=x.conf child-data-max=2g\n"
		"match class=0c driver=xhcid scheme=usb.{address} child-config=x.conf child-data-max=4096K\n"
		"match class=0d driver=xhcid scheme=usb.{address} child-config=x.conf child-data-max=12345\n";
	struct pcid_config cfg;
	char err[256];

	CHECK_EQ(parse(text, &cfg, err, sizeof(err)), 0);
	CHECK_EQ(cfg.nrules, 6);
	CHECK_EQ(cfg.rules[0].child_data_max, 64ULL << 20);	/* the default */
	CHECK_EQ(cfg.rules[0].child_data_max, PCID_DEFAULT_CHILD_DATA_MAX);
	CHECK_EQ(cfg.rules[1].child_data_max, 16ULL << 20);
	CHECK_EQ(cfg.rules[2].child_data_max, 0);		/* no child may have a scheme */
	CHECK_EQ(cfg.rules[3].child_data_max, 2ULL << 30);
	CHECK_EQ(cfg.rules[4].child_data_max, 4ULL << 20);
	CHECK_EQ(cfg.rules[5].child_data_max, 12345);
	pcid_config_free(&cfg);
	CHECK(!bad("\nmatch class=0c driver=x scheme=a child-data-max=16M\n",
		   "t.conf:2: child-data-max needs child-config="));
	CHECK(!bad("match class=0c driver=x child-data-max=16M\n", "child-data-max needs child-config="));
	CHECK(!bad("match class=0c driver=x scheme=a child-config=c child-data-max=1M child-data-max=2M\n",
		   "child-data-max given twice"));
	CHECK(!bad("match class=0c driver=x scheme=a child-config=c child-data-max=65G\n",
		   "child-data-max=65G is out of range (at most 64G)"));
	CHECK(!bad("match class=0c driver=x scheme=a child-config=c child-data-max=99999999999999999999999\n",
		   "out of range"));
	CHECK(!bad("match class=0c driver=x scheme=a child-config=c child-data-max=68719476737\n",
		   "out of range"));
	CHECK(!bad("match class=0c driver=x scheme=a child-config=c child-data-max=-1\n",
		   "child-data-max needs a size in bytes, or with K, M or G"));
	CHECK(!bad("match class=0c driver=x scheme=a child-config=c child-data-max=16MB\n",
		   "needs a size"));
	CHECK(!bad("match class=0c driver=x scheme=a child-config=c child-data-max=\n",
		   "needs a size"));
	CHECK(!bad("match class=0c driver=x scheme=a child-config=c child-data-max=G\n",
		   "needs a size"));
	return 0;
}

/* user-range=BASE-COUNT: a uid of its own for each child (an attack: every usbscsid was 65532). */
static int t_config_user_range(void)
{
	static const char text[] =
		"set user=65532 group=65532\n"
		"match class=080650 driver=usbscsid user-range=65400-128\n"
		"match class=03 driver=usbprobe user-range=70000-1\n"
		"match class=02 driver=x user-range=1-65533\n"
		"match class=01 driver=y user-range=65535-65536\n"
		"match class=04 driver=z\n";
	struct pcid_config cfg;
	char err[256];

	CHECK_EQ(parse(text, &cfg, err, sizeof(err)), 0);
	CHECK_EQ(cfg.nrules, 5);
	CHECK_EQ(cfg.rules[0].uid_base, 65400);
	CHECK_EQ(cfg.rules[0].uid_count, 128);
	CHECK_EQ(cfg.rules[1].uid_base, 70000);
	CHECK_EQ(cfg.rules[1].uid_count, 1);
	CHECK_EQ(cfg.rules[2].uid_count, 65533);
	CHECK_EQ(cfg.rules[3].uid_base, 65535);
	CHECK_EQ(cfg.rules[4].uid_count, 0);	/* none: the rule's user */
	CHECK_EQ(cfg.rules[4].uid, 65532);
	pcid_config_free(&cfg);
	CHECK(!bad("\nmatch class=0c driver=x user-range=65500-35\n",
		   "t.conf:2: user-range=65500-35 holds 65534 (nobody"));
	CHECK(!bad("match class=0c driver=x user-range=65534-1\n", "holds 65534"));
	CHECK(!bad("match class=0c driver=x user-range=1-65534\n", "holds 65534"));
	CHECK(!bad("match class=0c driver=x user-range=0-10\n", "user-range=0-10 is out of range"));
	CHECK(!bad("match class=0c driver=x user-range=100-0\n", "out of range"));
	CHECK(!bad("match class=0c driver=x user-range=100-65537\n", "out of range"));
	CHECK(!bad("match class=0c driver=x user-range=4294967294-2\n", "out of range"));
	CHECK(!bad("match class=0c driver=x user-range=4294967295-1\n", "out of range"));
	CHECK(!bad("match class=0c driver=x user-range=99999999999999999999999-1\n",
		   "user-range needs BASE-COUNT"));
	CHECK(!bad("match class=0c driver=x user-range=100\n", "user-range needs BASE-COUNT"));
	CHECK(!bad("match class=0c driver=x user-range=100-\n", "needs BASE-COUNT"));
	CHECK(!bad("match class=0c driver=x user-range=-100-1\n", "needs BASE-COUNT"));
	CHECK(!bad("match class=0c driver=x user-range=100--1\n", "needs BASE-COUNT"));
	CHECK(!bad("match class=0c driver=x user-range=100-1x\n", "needs BASE-COUNT"));
	CHECK(!bad("match class=0c driver=x user-range=0x100-1\n", "needs BASE-COUNT"));
	CHECK(!bad("match class=0c driver=x user-range=100-1 user-range=200-1\n",
		   "user-range given twice"));
	CHECK(!bad("match class=0c driver=x user-range=100-1 user=5\n",
		   "user-range and user/group given together"));
	CHECK(!bad("match class=0c driver=x group=5 user-range=100-1\n", "given together"));
	return 0;
}

static int t_default_config(void)
{
	char self[PATH_MAX], path[PATH_MAX + 16], err[512], name[64], *slash;
	const struct pcid_rule *r;
	struct pcid_config cfg;
	ssize_t n;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	CHECK(n > 0);
	self[n] = 0;
	slash = strrchr(self, '/');
	CHECK(slash);
	*slash = 0;
	snprintf(path, sizeof(path), "%s/pcid.conf", self);
	if (access(path, R_OK)) {
		printf("# no %s: the default config not tried\n", path);
		return 0;
	}
	if (pcid_config_load(path, &cfg, err, sizeof(err))) {
		fprintf(stderr, "  %s\n", err);
		return -1;
	}
	r = pcid_config_match(&cfg, 0x1b36, 0x000d, 0x0c0330);
	CHECK(r);
	CHECK(!strcmp(r->driver, "xhcid"));
	CHECK_EQ(r->argc, 1);
	CHECK(!strcmp(r->argv[0], "{address}"));
	CHECK(r->scheme && !strcmp(r->scheme, "usb.{address}"));
	CHECK_EQ(r->scheme_data, 16 << 20);
	CHECK_EQ(r->restart, PCID_RESTART_ON_FAILURE);
	CHECK_EQ(r->max_restarts, 5);
	CHECK_EQ(r->backoff_ms, 1000);
	CHECK_EQ(pcid_rule_scheme(r, "0000:00:04.0", name, sizeof(name)), 0);
	CHECK(!strcmp(name, "usb.0000-00-04.0"));
	/* its class drivers: xhcid.conf next to it, run as a uid that is not xhcid's */
	CHECK(r->child_config && !strcmp(r->child_config, "xhcid.conf"));
	CHECK(pcid_config_match(&cfg, 0x1af4, 0x1005, 0x00ff00) == NULL);
	{
		struct pcid_config xc;
		const struct pcid_rule *u;

		snprintf(path, sizeof(path), "%s/xhcid.conf", self);
		if (!access(path, R_OK)) {
			if (pcid_config_load(path, &xc, err, sizeof(err))) {
				fprintf(stderr, "  %s\n", err);
				return -1;
			}
			u = pcid_config_match(&xc, 0x46f4, 0x0001, 0x080650);
			CHECK(u && !strcmp(u->driver, "usbscsid"));
			CHECK(u->uid != r->uid && u->uid != 0 && u->uid != 65534);
			CHECK(u->gid != r->gid);
			pcid_config_free(&xc);
		}
	}
	pcid_config_free(&cfg);
	return 0;
}

static int t_config_errors(void)
{
	CHECK(!bad("bogus\n", "t.conf:1: unknown directive 'bogus'"));
	CHECK(!bad("\n\nmatch driver=x\n", "t.conf:3: match needs class="));
	CHECK(!bad("match class=0c\n", "t.conf:1: match needs driver="));
	CHECK(!bad("match class=0c0 driver=x\n", "class needs 2, 4 or 6 hex digits"));
	CHECK(!bad("match class=0c033000 driver=x\n", "class needs 2, 4 or 6"));
	CHECK(!bad("match class=zz driver=x\n", "class needs 2, 4 or 6"));
	CHECK(!bad("match class= driver=x\n", "class needs 2, 4 or 6"));
	CHECK(!bad("match clas=0c driver=x\n", "unknown key 'clas'"));
	CHECK(!bad("match class=0c driver=x frobnicate\n", "'frobnicate' is not KEY=VALUE"));
	CHECK(!bad("match class=0c class=0c driver=x\n", "class given twice"));
	CHECK(!bad("match class=0c driver=x driver=y\n", "driver given twice"));
	CHECK(!bad("match class=0c driver=\n", "driver is empty"));
	CHECK(!bad("match vendor=12345 driver=x\n", "vendor needs a 16-bit hex ID"));
	CHECK(!bad("match device=xyz driver=x\n", "device needs a 16-bit hex ID"));
	CHECK(!bad("match id=1b36 driver=x\n", "id needs VENDOR:DEVICE"));
	CHECK(!bad("match id=1b36:zz driver=x\n", "id needs a 16-bit hex ID"));
	CHECK(!bad("match id=1b36:000d vendor=1b36 driver=x\n", "id and vendor given together"));
	CHECK(!bad("match vendor=1b36 id=1b36:000d driver=x\n", "id and vendor/device given"));
	CHECK(!bad("match class=0c driver=x user=0\n", "user=0 is out of range"));
	CHECK(!bad("match class=0c driver=x user=-1\n", "user needs a number"));
	CHECK(!bad("match class=0c driver=x user=abc\n", "user needs a number"));
	CHECK(!bad("match class=0c driver=x group=99999999999\n", "out of range"));
	CHECK(!bad("match class=0c driver=x restart=sometimes\n",
		   "restart must be never, on-failure or always"));
	CHECK(!bad("match class=0c driver=x max-restarts=lots\n", "max-restarts needs a number"));
	CHECK(!bad("match class=0c driver=x backoff=99999999\n", "backoff=99999999 is out of range"));
	CHECK(!bad("match class=0c driver=x args=\"{adress}\"\n", "unknown placeholder"));
	CHECK(!bad("match class=0c driver=x args=\"abc\n", "unterminated quote"));
	CHECK(!bad("match class=0c driver=x args=\"a\"b\n", "text right after the closing quote"));
	CHECK(!bad("match class=0c driver=x args=a\"b\"\n", "a quote inside the unquoted value"));
	CHECK(!bad("match class=0c driver=x args=\"a\\nb\"\n", "bad escape"));
	CHECK(!bad("match class=0c driver=x \"args\"=1\n", "a quote must follow KEY="));
	CHECK(!bad("match class=0c driver=x =1\n", "'=' without a key"));
	CHECK(!bad("set\n", "set needs KEY=VALUE"));
	CHECK(!bad("set frob=1\n", "unknown setting 'frob'"));
	CHECK(!bad("set user\n", "'user' is not KEY=VALUE"));
	CHECK(!bad("set config-read=some\n", "config-read must be header, all or root"));
	CHECK(!bad("set stop-timeout=-5\n", "stop-timeout needs a number"));
	CHECK(!bad("class=0c driver=x\n", "a line starts with set or match"));
	CHECK(!bad("match class=0c driver=x\nmatch oops\n", "t.conf:2:"));
	CHECK(!bad("match class=0c driver=x args=\"a\0b\"\n", "unterminated quote"));
	{
		/* A NUL in the file: not text. */
		static const char nul[] = "match class=0c driver=x\nmat\0ch\n";
		struct pcid_config cfg;
		char err[256];

		CHECK(pcid_config_parse("t.conf", nul, sizeof(nul) - 1, &cfg, err, sizeof(err)));
		CHECK(strstr(err, "t.conf:2: a NUL byte"));
	}
	{
		/* Too many words, too many args. */
		char line[4096];
		size_t n = 0;
		int i;

		n += (size_t)snprintf(line + n, sizeof(line) - n, "match class=0c driver=x");
		for (i = 0; i < 40; i++)
			n += (size_t)snprintf(line + n, sizeof(line) - n, " user=%d", i + 1);
		CHECK(!bad(line, "too many words"));
		n = (size_t)snprintf(line, sizeof(line), "match class=0c driver=x args=\"");
		for (i = 0; i < 70; i++)
			n += (size_t)snprintf(line + n, sizeof(line) - n, " a%d", i);
		snprintf(line + n, sizeof(line) - n, "\"");
		CHECK(!bad(line, "too many args"));
	}
	return 0;
}

/* Random bytes and mangled good files: an answer, never a crash or leak. */
static int t_config_fuzz(void)
{
	static const char good[] =
		"set user=10 config-read=root\nmatch class=0c0330 driver=p args=\"{address} x\" "
		"restart=always\nmatch id=1b36:000d driver=/q\n";
	unsigned int seed = 12345, i, j;
	char buf[sizeof(good)], err[256];
	struct pcid_config cfg;

	for (i = 0; i < 20000; i++) {
		size_t len = sizeof(good) - 1;

		memcpy(buf, good, sizeof(good));
		for (j = 0; j < 1 + i % 4; j++) {
			seed = seed * 1103515245 + 12345;
			buf[(seed >> 8) % len] = (char)(seed >> 16);
		}
		seed = seed * 1103515245 + 12345;
		if (i % 7 == 0)
			len = (seed >> 8) % len;
		if (!pcid_config_parse("f", buf, len, &cfg, err, sizeof(err)))
			pcid_config_free(&cfg);
		else
			CHECK(!strncmp(err, "f:", 2));
	}
	return 0;
}

static int t_config_load(void)
{
	char dir[] = "/tmp/pcid-unit-XXXXXX", path[256], err[512];
	struct pcid_config cfg;
	int fd;

	CHECK(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/none.conf", dir);
	CHECK_EQ(pcid_config_load(path, &cfg, err, sizeof(err)), -1);
	CHECK(strstr(err, "none.conf: No such file or directory"));
	snprintf(path, sizeof(path), "%s/p.conf", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "match class=0c driver=x\nmatch\n", 30), 30);
	close(fd);
	CHECK_EQ(pcid_config_load(path, &cfg, err, sizeof(err)), -1);
	CHECK(strstr(err, "p.conf:2: match needs class="));
	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK_EQ(write(fd, "match class=0c driver=x\n", 24), 24);
	close(fd);
	CHECK_EQ(pcid_config_load(path, &cfg, err, sizeof(err)), 0);
	CHECK_EQ(cfg.nrules, 1);
	pcid_config_free(&cfg);
	CHECK_EQ(pcid_config_load(dir, &cfg, err, sizeof(err)), -1);	/* a directory */
	CHECK(strstr(err, "Is a directory"));
	unlink(path);
	rmdir(dir);
	return 0;
}

static int t_addr(void)
{
	char out[PCID_ADDR_MAX];

	CHECK_EQ(pci_addr_canon("0000:00:04.0", 12, out), 0);
	CHECK(!strcmp(out, "0000:00:04.0"));
	CHECK_EQ(pci_addr_canon("00:1F.7", 7, out), 0);
	CHECK(!strcmp(out, "0000:00:1f.7"));
	CHECK_EQ(pci_addr_canon("ABCD:ef:1f.7/config", 12, out), 0);
	CHECK(!strcmp(out, "abcd:ef:1f.7"));
	CHECK_EQ(pci_addr_canon("0000:00:20.0", 12, out), -EINVAL);	/* slot > 1f */
	CHECK_EQ(pci_addr_canon("0000:00:04.8", 12, out), -EINVAL);	/* function > 7 */
	CHECK_EQ(pci_addr_canon("0000-00:04.0", 12, out), -EINVAL);
	CHECK_EQ(pci_addr_canon("0000:00:04:0", 12, out), -EINVAL);
	CHECK_EQ(pci_addr_canon("000g:00:04.0", 12, out), -EINVAL);
	CHECK_EQ(pci_addr_canon("0:0:4.0", 7, out), -EINVAL);
	CHECK_EQ(pci_addr_canon("", 0, out), -EINVAL);
	CHECK_EQ(pci_addr_canon("..", 2, out), -EINVAL);
	CHECK_EQ(pci_addr_canon("0000:00:04.00", 13, out), -EINVAL);
	return 0;
}

/* The tree's one address parser (libpcidrv/pcisysfs.c) refuses every other shape. */
static int t_addr_strict(void)
{
	static const char *const bad[] = {
		"10000:00:04.0",	/* domain overflows 4 digits */
		"0000:100:04.0",	/* bus overflows 2 */
		"0000:00:004.0",	/* slot overflows 2 */
		"0000:00:04.10",	/* function overflows 1 */
		"0000:00:ff.0",		/* slot > 1f */
		"0000:00:1f.f",		/* function > 7 */
		"0000:00:04",		/* missing parts */
		"0000:00:.0",
		"00:04",
		"0000::04.0",
		":00:04.0",
		"0000:00:04.",
		"4.0",
		"0000:00:04.0x",	/* trailing junk */
		"0000:00:04.0\n",
		"0000:00:04.0/",
		"00:04.0 ",
		" 00:04.0",		/* leading junk */
		"+000:00:04.0",
		"-000:00:04.0",
		"0x00:00:04.0",
		"0000.00:04.0",		/* wrong separators */
		"0000:00.04:0",
		"0000-00-04.0",		/* the scheme form is not this parser's */
		"0000:00:04.0000000000000000000000000000000000000000000000000000000000000000",
	};
	char out[PCID_ADDR_MAX], buf[80];
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(out, 'x', sizeof(out));
		if (pci_addr_canon(bad[i], strlen(bad[i]), out) != -EINVAL) {
			fprintf(stderr, "  accepted: '%s'\n", bad[i]);
			return -1;
		}
	}
	/* A NUL inside the length: refused, not cut short. */
	CHECK_EQ(pci_addr_canon("0000:00\0004.0", 12, out), -EINVAL);
	/* Upper and lower case in: lower case out; both lengths. */
	CHECK_EQ(pci_addr_canon("FFFF:FF:1F.7", 12, out), 0);
	CHECK(!strcmp(out, "ffff:ff:1f.7"));
	CHECK_EQ(pci_addr_canon("aB:1c.3", 7, out), 0);
	CHECK(!strcmp(out, "0000:ab:1c.3"));
	/* Every domain/bus/slot/function at its limits round-trips. */
	for (i = 0; i < 0x20 * 8; i++) {
		snprintf(buf, sizeof(buf), "%04x:%02x:%02x.%x", 0xffffu - i, i & 0xff, i >> 3, i & 7);
		CHECK_EQ(pci_addr_canon(buf, strlen(buf), out), 0);
		CHECK(!strcmp(out, buf));
	}
	/* The scheme-name form: full, '-' as the separators, lower case only. */
	CHECK_EQ(pci_addr_from_scheme("0000-00-04.0", 12, out), 0);
	CHECK(!strcmp(out, "0000:00:04.0"));
	CHECK_EQ(pci_addr_from_scheme("abcd-ef-1f.7", 12, out), 0);
	CHECK(!strcmp(out, "abcd:ef:1f.7"));
	CHECK_EQ(pci_addr_from_scheme("ABCD-EF-1F.7", 12, out), -EINVAL);
	CHECK_EQ(pci_addr_from_scheme("0000:00:04.0", 12, out), -EINVAL);
	CHECK_EQ(pci_addr_from_scheme("0000-00:04.0", 12, out), -EINVAL);
	CHECK_EQ(pci_addr_from_scheme("00-04.0", 7, out), -EINVAL);
	CHECK_EQ(pci_addr_from_scheme("0000-00-20.0", 12, out), -EINVAL);
	CHECK_EQ(pci_addr_from_scheme("0000-00-04.0-1", 14, out), -EINVAL);
	CHECK_EQ(pci_addr_from_scheme("", 0, out), -EINVAL);
	return 0;
}

/* A fake sysfs: ROOT/bus/pci/devices/ADDR/{attrs, config}, driver links. */
static int put(const char *root, const char *rel, const char *text, size_t len)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	if (write(fd, text, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int mkdirs(const char *root, const char *rel)
{
	char path[PATH_MAX], *p;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = 0;
		if (mkdir(path, 0755) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(path, 0755) && errno != EEXIST ? -1 : 0;
}

static int fake_fn(const char *root, const char *addr, const char *ven, const char *dev,
		   const char *cls, const char *driver)
{
	char rel[256], cfg[256];
	unsigned int i;

	snprintf(rel, sizeof(rel), "bus/pci/devices/%s", addr);
	if (mkdirs(root, rel))
		return -1;
#define PUT(name, text) do {							\
		snprintf(rel, sizeof(rel), "bus/pci/devices/%s/%s", addr, name);	\
		if (put(root, rel, text, strlen(text)))				\
			return -1;						\
	} while (0)
	PUT("vendor", ven);
	PUT("device", dev);
	PUT("class", cls);
	PUT("subsystem_vendor", "0x1af4\n");
	PUT("subsystem_device", "0x1100\n");
	PUT("revision", "0x01\n");
	PUT("driver_override", "(null)\n");
	for (i = 0; i < sizeof(cfg); i++)
		cfg[i] = (char)(i ^ 0x5a);
	snprintf(rel, sizeof(rel), "bus/pci/devices/%s/config", addr);
	if (put(root, rel, cfg, sizeof(cfg)))
		return -1;
	if (driver) {
		char target[256], link[PATH_MAX];

		snprintf(rel, sizeof(rel), "bus/pci/drivers/%s", driver);
		if (mkdirs(root, rel))
			return -1;
		snprintf(target, sizeof(target), "../../../../bus/pci/drivers/%s", driver);
		snprintf(link, sizeof(link), "%s/bus/pci/devices/%s/driver", root, addr);
		if (symlink(target, link))
			return -1;
	}
	return 0;
}

static int make_tree(char *root)
{
	if (!mkdtemp(root))
		return -1;
	if (fake_fn(root, "0000:00:04.0", "0x1b36\n", "0x000d\n", "0x0c0330\n", NULL) ||
	    fake_fn(root, "0000:00:02.0", "0x1234\n", "0x1111\n", "0x030000\n", "bochs-drm") ||
	    fake_fn(root, "0000:00:06.0", "0x1af4\n", "0x1005\n", "0x00ff00\n", "virtio-pci") ||
	    fake_fn(root, "0000:00:00.0", "0x8086\n", "0x1237\n", "0x060000\n", NULL) ||
	    mkdirs(root, "bus/pci/devices/not-a-function"))
		return -1;
	return 0;
}

static void rm_tree(const char *root)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		fprintf(stderr, "  could not remove %s\n", root);
}

static int t_enumerate(void)
{
	char root[] = "/tmp/pcid-sysfs-XXXXXX", line[128];
	struct pci_func *v, f;
	unsigned int n;
	int fd, ret = -1;
	uint8_t b[4];

	CHECK_EQ(make_tree(root), 0);
	if (pci_enumerate(root, &v, &n) || n != 4)
		goto out;
	if (strcmp(v[0].addr, "0000:00:00.0") || strcmp(v[1].addr, "0000:00:02.0") ||
	    strcmp(v[2].addr, "0000:00:04.0") || strcmp(v[3].addr, "0000:00:06.0"))
		goto out_free;
	pci_func_line(&v[2], line, sizeof(line));
	if (strcmp(line, "0000:00:04.0 1b36:000d 0c0330 -\n"))
		goto out_free;
	pci_func_line(&v[1], line, sizeof(line));
	if (strcmp(line, "0000:00:02.0 1234:1111 030000 bochs-drm\n"))
		goto out_free;
	if (v[3].subvendor != 0x1af4 || v[3].subdevice != 0x1100 || v[3].revision != 1 ||
	    v[3].override[0] || strcmp(v[3].driver, "virtio-pci"))
		goto out_free;
	if (pci_read_func(root, "0000:00:06.0", &f) || f.class_code != 0x00ff00)
		goto out_free;
	if (pci_read_func(root, "0000:00:07.0", &f) != -ENOENT ||
	    pci_read_func(root, "00:06.0", &f) != -ENOENT ||	/* not canonical */
	    pci_read_func(root, "../../x", &f) != -ENOENT)
		goto out_free;
	fd = pci_config_open(root, "0000:00:04.0");
	if (fd < 0 || pread(fd, b, 4, 1) != 4 || b[0] != (1 ^ 0x5a) || b[3] != (4 ^ 0x5a)) {
		if (fd >= 0)
			close(fd);
		goto out_free;
	}
	close(fd);
	if (pci_stub_present(root))
		goto out_free;
	/* No stub driver: binding says so and leaves the override alone. */
	if (pci_bind_stub(root, "0000:00:04.0", PCI_BIND_TAKE, line, sizeof(line)) != -ENODEV ||
	    strcmp(line, "-"))
		goto out_free;
	if (pci_read_func(root, "0000:00:04.0", &f) || f.override[0])
		goto out_free;
	ret = 0;
out_free:
	free(v);
out:
	rm_tree(root);
	return ret;
}

/* read ROOT/rel into buf (NUL-terminated): 0 or -1 */
static int get(const char *root, const char *rel, char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

/*
 * The one driver_override binder (libpcidrv) in a fake tree, where no
 * driver ever binds: what it refuses, what it undoes.
 */
static int t_bind(void)
{
	char root[] = "/tmp/pcid-bind-XXXXXX", was[64], buf[128];
	struct pci_func f;
	int ret = -1;

	CHECK_EQ(make_tree(root), 0);
	if (mkdirs(root, "bus/pci/drivers/" PCID_STUB_DRIVER) ||
	    fake_fn(root, "0000:00:07.0", "0x1b36\n", "0x000d\n", "0x0c0330\n", PCID_STUB_DRIVER) ||
	    put(root, "bus/pci/devices/0000:00:04.0/driver_override", "oldname\n", 8) ||
	    put(root, "bus/pci/drivers/virtio-pci/unbind", "", 0) ||
	    put(root, "bus/pci/drivers/" PCID_STUB_DRIVER "/unbind", "", 0) ||
	    put(root, "bus/pci/drivers_probe", "", 0))
		goto out;
	CHECK(pci_stub_present(root));
	/* Already the stub's: 0 at once, nothing written. */
	if (pci_bind_stub(root, "0000:00:07.0", 0, was, sizeof(was)) || strcmp(was, PCID_STUB_DRIVER))
		goto out;
	/* Another driver has it: -EBUSY without PCI_BIND_TAKE, the override untouched. */
	if (pci_bind_stub(root, "0000:00:06.0", 0, was, sizeof(was)) != -EBUSY ||
	    strcmp(was, "virtio-pci") || pci_read_func(root, "0000:00:06.0", &f) || f.override[0])
		goto out;
	/* With it: unbound (written to its unbind), the stub never takes it: -EIO, undone. */
	if (pci_bind_stub(root, "0000:00:06.0", PCI_BIND_TAKE, was, sizeof(was)) != -EIO ||
	    strcmp(was, "virtio-pci") || get(root, "bus/pci/drivers/virtio-pci/unbind", buf,
					      sizeof(buf)) || strcmp(buf, "0000:00:06.0"))
		goto out;
	if (get(root, "bus/pci/drivers_probe", buf, sizeof(buf)) || strcmp(buf, "0000:00:06.0"))
		goto out;
	/* No driver, an override of its own: -EIO, the old override written back. */
	if (pci_bind_stub(root, "0000:00:04.0", PCI_BIND_TAKE, was, sizeof(was)) != -EIO ||
	    strcmp(was, "-") || pci_read_func(root, "0000:00:04.0", &f) ||
	    strcmp(f.override, "oldname"))
		goto out;
	/* Giving back: unbound from the stub, the override cleared. */
	if (pci_release_stub(root, "0000:00:07.0", was, sizeof(was)) ||
	    get(root, "bus/pci/drivers/" PCID_STUB_DRIVER "/unbind", buf, sizeof(buf)) ||
	    strcmp(buf, "0000:00:07.0") ||
	    get(root, "bus/pci/devices/0000:00:07.0/driver_override", buf, sizeof(buf)) ||
	    buf[0] != '\n')
		goto out;
	/* Not a canonical address: -EINVAL, no path built from it. */
	CHECK_EQ(pci_bind_stub(root, "../../../x", PCI_BIND_TAKE, was, sizeof(was)), -EINVAL);
	CHECK_EQ(pci_bind_stub(root, "00:04.0", PCI_BIND_TAKE, was, sizeof(was)), -EINVAL);
	CHECK_EQ(pci_release_stub(root, "0000:00:04.0/..", was, sizeof(was)), -EINVAL);
	/* No such function: an error, nothing created. */
	if (pci_bind_stub(root, "0000:00:09.0", PCI_BIND_TAKE, was, sizeof(was)) >= 0)
		goto out;
	ret = 0;
out:
	rm_tree(root);
	return ret;
}

/* pcid --check on the fake tree, if the pcid binary sits next to this test. */
static int t_pcid_check(void)
{
	char self[PATH_MAX], pcid[PATH_MAX + 8], root[] = "/tmp/pcid-check-XXXXXX";
	char conf[PATH_MAX], cmd[4 * PATH_MAX], out[PATH_MAX], *slash;
	char text[4096];
	ssize_t n;
	int fd, st, ret = -1;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	CHECK(n > 0);
	self[n] = 0;
	slash = strrchr(self, '/');
	CHECK(slash);
	*slash = 0;
	snprintf(pcid, sizeof(pcid), "%s/pcid", self);
	if (access(pcid, X_OK)) {
		printf("# no %s: --check not tried\n", pcid);
		return 0;
	}
	CHECK_EQ(make_tree(root), 0);
	snprintf(conf, sizeof(conf), "%s/pcid.conf", root);
	snprintf(out, sizeof(out), "%s/out", root);
	{
		static const char conf_text[] =
			"match class=0c0330 driver=/bin/sh args=\"-c x\" scheme=usb.{address}\n"
			"match id=1af4:1005 driver=nonexistent-driver user=77\n";

		if (put(root, "pcid.conf", conf_text, sizeof(conf_text) - 1))
			goto out;
	}
	snprintf(cmd, sizeof(cmd), "'%s' --check --sysfs '%s' --config '%s' >'%s' 2>&1",
		 pcid, root, conf, out);
	st = system(cmd);
	fd = open(out, O_RDONLY);
	n = fd >= 0 ? read(fd, text, sizeof(text) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n < 0)
		goto out;
	text[n] = 0;
	if (st != 0 ||
	    !strstr(text, "0000:00:04.0 1b36:000d 0c0330 -: line 1: /bin/sh") ||
	    !strstr(text, "(uid 65534, restart=on-failure, scheme usb.0000-00-04.0)") ||
	    !strstr(text, "0000:00:06.0 1af4:1005 00ff00 virtio-pci: line 2: nonexistent-driver (NOT FOUND) (uid 77, restart=on-failure)") ||
	    !strstr(text, "0000:00:02.0 1234:1111 030000 bochs-drm: no rule") ||
	    !strstr(text, "2 of 4 functions matched")) {
		fprintf(stderr, "  status %d, output:\n%s", st, text);
		goto out;
	}
	/* A malformed config: exit 2, the line named. */
	if (put(root, "pcid.conf", "match class=0c0330\n", 19))
		goto out;
	st = system(cmd);
	fd = open(out, O_RDONLY);
	n = fd >= 0 ? read(fd, text, sizeof(text) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n < 0)
		goto out;
	text[n] = 0;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 2 ||
	    !strstr(text, "pcid: bad config: ") || !strstr(text, "pcid.conf:1: match needs driver=")) {
		fprintf(stderr, "  status %d, output:\n%s", st, text);
		goto out;
	}
	ret = 0;
out:
	rm_tree(root);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct tap_test tests[] = {
		{ "config_defaults", t_config_defaults, 0 },
		{ "config_rules", t_config_rules, 0 },
		{ "config_match", t_config_match, 0 },
		{ "config_argv", t_config_argv, 0 },
		{ "config_scheme", t_config_scheme, 0 },
		{ "config_child_data", t_config_child_data, 0 },
		{ "config_user_range", t_config_user_range, 0 },
		{ "default_config", t_default_config, 0 },
		{ "config_errors", t_config_errors, 0 },
		{ "config_fuzz", t_config_fuzz, 120 },
		{ "config_load", t_config_load, 0 },
		{ "addr", t_addr, 0 },
		{ "addr_strict", t_addr_strict, 0 },
		{ "enumerate", t_enumerate, 0 },
		{ "bind", t_bind, 0 },
		{ "pcid_check", t_pcid_check, 0 },
	};

	return tap_run("pcid_unit", tests, sizeof(tests) / sizeof(tests[0]),
		       argc > 1 ? argv[1] : NULL);
}
