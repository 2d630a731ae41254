// SPDX-License-Identifier: MIT
/*
 * uscheme blk: disk schemes as Linux block devices, through blkbridge
 * (userspace-drivers/blkbridge/).
 *
 *   uscheme blk attach [--nbd|--ublk] [--read-only] disk.NAME:LUN
 *       start a bridge for the disk; prints the block device (/dev/nbd0)
 *   uscheme blk detach DEVICE
 *       stop its bridge (SIGTERM: in-flight requests finish, the device is
 *       removed) and wait for it
 *   uscheme blk list
 *       the bridges running: DEVICE PID FRONTEND DISK
 *
 * The bridges register in /run/uscheme/blk/DEVICE ("PID FRONTEND DISK").
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "blk.h"

#define REGISTRY "/run/uscheme/blk"

static int blk_usage(FILE *f)
{
	fprintf(f, "usage: uscheme blk attach [--nbd|--ublk] [--read-only] disk.NAME:LUN\n"
		   "       uscheme blk detach DEVICE      (nbd0, /dev/nbd0, ublkb0, ...)\n"
		   "       uscheme blk list\n");
	return f == stdout ? 0 : 2;
}

static int valid_disk_path(const char *p)
{
	const char *colon = strchr(p, ':'), *c;

	if (strncmp(p, "disk.", 5) || !colon || colon - p < 6 || colon - p > 63 || !colon[1])
		return 0;
	for (c = p; c < colon; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '.' ||
		      *c == '_' || *c == '-'))
			return 0;
	return 1;
}

/* "nbd0", "/dev/nbd0" -> "nbd0"; NULL if it names no device we could have made. */
static const char *dev_name(const char *arg)
{
	const char *n = strncmp(arg, "/dev/", 5) ? arg : arg + 5;
	const char *c;

	if (strncmp(n, "nbd", 3) && strncmp(n, "ublkb", 5))
		return NULL;
	c = n + (n[0] == 'n' ? 3 : 5);
	if (!*c || strlen(c) > 4)
		return NULL;
	for (; *c; c++)
		if (*c < '0' || *c > '9')
			return NULL;
	return n;
}

/* The registry entry of dev: its pid (> 0), 0 when absent or unreadable. */
static int entry(const char *dev, char *fe, size_t felen, char *disk, size_t disklen)
{
	char path[PATH_MAX], f[16], d[128];
	FILE *file;
	int pid = 0;

	snprintf(path, sizeof(path), "%s/%s", REGISTRY, dev);
	file = fopen(path, "re");
	if (!file)
		return 0;
	if (fscanf(file, "%d %15s %127s", &pid, f, d) != 3 || pid <= 0)
		pid = 0;
	fclose(file);
	if (pid) {
		if (fe)
			snprintf(fe, felen, "%s", f);
		if (disk)
			snprintf(disk, disklen, "%s", d);
	}
	return pid;
}

/* Is pid a running process (not gone, not a zombie)? */
static int alive(int pid)
{
	char path[64], buf[256], *p;
	FILE *f;
	size_t n;

	if (kill(pid, 0) && errno == ESRCH)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	return !(p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'));
}

static int attach(int argc, char **argv)
{
	char self[PATH_MAX], bridge[PATH_MAX + 16], *slash;
	const char *args[8];
	int i, n = 0, status;
	const char *disk = NULL;
	ssize_t len;
	pid_t pid;

	args[n++] = "blkbridge";
	args[n++] = "--background";
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--nbd") || !strcmp(argv[i], "--ublk") ||
		    !strcmp(argv[i], "--read-only")) {
			if (n >= 5) {
				fprintf(stderr, "uscheme: blk attach: too many options\n");
				return 2;
			}
			args[n++] = argv[i];
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "uscheme: blk attach: unknown option '%s'\n", argv[i]);
			return blk_usage(stderr);
		} else if (disk) {
			fprintf(stderr, "uscheme: blk attach: one disk at a time ('%s', '%s')\n",
				disk, argv[i]);
			return 2;
		} else {
			disk = argv[i];
		}
	}
	if (!disk) {
		fprintf(stderr, "uscheme: blk attach: which disk? (disk.NAME:LUN, e.g. disk.ram:0)\n");
		return blk_usage(stderr);
	}
	if (!valid_disk_path(disk)) {
		fprintf(stderr, "uscheme: blk attach: '%s' is not a disk scheme path "
			"(disk.NAME:LUN, e.g. disk.ram:0)\n", disk);
		return 2;
	}
	args[n++] = "--";
	args[n++] = disk;
	args[n] = NULL;
	/* blkbridge next to this program, else on PATH. */
	len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	bridge[0] = 0;
	if (len > 0) {
		self[len] = 0;
		slash = strrchr(self, '/');
		if (slash) {
			*slash = 0;
			snprintf(bridge, sizeof(bridge), "%s/blkbridge", self);
			if (access(bridge, X_OK))
				bridge[0] = 0;
		}
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("uscheme: fork");
		return 1;
	}
	if (pid == 0) {
		if (bridge[0])
			execv(bridge, (char **)args);
		execvp("blkbridge", (char **)args);
		fprintf(stderr, "uscheme: blk attach: cannot run blkbridge: %s\n", strerror(errno));
		_exit(1);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	/* blkbridge printed the device's name (or why not) itself. */
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static int detach(const char *arg)
{
	const char *dev = dev_name(arg);
	char path[PATH_MAX];
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	int pid, i;

	if (!dev) {
		fprintf(stderr, "uscheme: blk detach: '%s' is not a device blkbridge makes "
			"(nbdN or ublkbN, with or without /dev/)\n", arg);
		return 2;
	}
	pid = entry(dev, NULL, 0, NULL, 0);
	snprintf(path, sizeof(path), "%s/%s", REGISTRY, dev);
	if (!pid) {
		fprintf(stderr, "uscheme: blk detach: /dev/%s is not attached (uscheme blk list)\n",
			dev);
		return 1;
	}
	if (!alive(pid)) {
		unlink(path);
		fprintf(stderr, "uscheme: blk detach: /dev/%s: its bridge (pid %d) is gone already\n",
			dev, pid);
		return 0;
	}
	if (kill(pid, SIGTERM)) {
		fprintf(stderr, "uscheme: blk detach: /dev/%s: kill %d: %s\n", dev, pid,
			strerror(errno));
		return 1;
	}
	/* The bridge removes its entry once the device is gone, then exits. */
	for (i = 0; i < 60 * 20; i++) {
		if (!alive(pid))
			break;
		nanosleep(&ts, NULL);
	}
	if (alive(pid)) {
		fprintf(stderr, "uscheme: blk detach: /dev/%s: its bridge (pid %d) is still "
			"running after 60 s\n", dev, pid);
		return 1;
	}
	unlink(path);	/* if it died without removing it */
	return 0;
}

static int list(void)
{
	DIR *dir = opendir(REGISTRY);
	struct dirent *de;
	char fe[16], disk[128], path[PATH_MAX];
	int pid;

	printf("%-10s %7s %-8s %s\n", "DEVICE", "PID", "FRONTEND", "DISK");
	if (!dir)
		return 0;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.' || !dev_name(de->d_name))
			continue;
		pid = entry(de->d_name, fe, sizeof(fe), disk, sizeof(disk));
		if (!pid)
			continue;
		if (!alive(pid)) {
			/* A bridge that was killed: the kernel removed its device. */
			snprintf(path, sizeof(path), "%s/%s", REGISTRY, de->d_name);
			unlink(path);
			continue;
		}
		printf("/dev/%-5s %7d %-8s %s\n", de->d_name, pid, fe, disk);
	}
	closedir(dir);
	return 0;
}

int cmd_blk(int argc, char **argv)
{
	if (argc < 1)
		return blk_usage(stderr);
	if (!strcmp(argv[0], "-h") || !strcmp(argv[0], "--help"))
		return blk_usage(stdout);
	if (!strcmp(argv[0], "attach"))
		return attach(argc - 1, argv + 1);
	if (!strcmp(argv[0], "detach")) {
		if (argc != 2) {
			fprintf(stderr, "uscheme: blk detach: which device? (one)\n");
			return blk_usage(stderr);
		}
		return detach(argv[1]);
	}
	if (!strcmp(argv[0], "list")) {
		if (argc != 1) {
			fprintf(stderr, "uscheme: blk list takes no arguments\n");
			return 2;
		}
		return list();
	}
	fprintf(stderr, "uscheme: blk: unknown command '%s'\n", argv[0]);
	return blk_usage(stderr);
}
