// SPDX-License-Identifier: MIT
/*
 * uscheme's fuzzer (see fuzz.h for what it checks). Run as root in a test
 * VM with uscheme.ko loaded:
 *
 *   fuzz_test [--seed N] [--seconds N] [--ops N] [--families a,b,...]
 *             [--skip a,b,...] [--par N] [--avoid-zero-len]
 *
 * It prints its seed first; the same seed, ops and seconds replay the same
 * operations (the interleaving of the parallel children and the daemon is
 * the scheduler's). Families: sqe handle fu daemon kerrno scribble ns fork
 * opath pcidev (all by default). The fuzzing daemon runs whenever any
 * family runs; "daemon" and "kerrno" only add its random answers and its
 * kernel-internal errno answers to what is reported.
 *
 * Output: TAP ("# suite fuzz", one test per family plus the run's own
 * checks), operation counts per family as "#" lines. Exit status 1 on any
 * invariant violation, 0 otherwise: the kernel's own reports (KASAN,
 * lockdep, BUG, WARNING) are read from the console by tests/run-all.sh.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/tap.h"
#include "fuzz.h"

#define PAR_MAX		4
#define GRACE_NS	(30 * 1000000000LL)	/* beyond a child's deadline (debug kernel) */
#define KILL_WAIT_NS	(30 * 1000000000LL)	/* for SIGKILL to take effect */

struct slot {
	pid_t pid;
	int fam;
	long long deadline_ns, killed_ns;
};

static unsigned int enabled;	/* bit per family */
static uint32_t hangs, unkillable, child_deaths;
static char hang_why[FZ_WHY];

static void usage(void)
{
	fprintf(stderr, "usage: fuzz_test [--seed N] [--seconds N] [--ops N] [--families a,b]\n"
		"                 [--skip a,b] [--par N] [--avoid-zero-len]\n");
	exit(2);
}

static unsigned int parse_families(const char *list)
{
	unsigned int mask = 0, i;
	char *copy = strdup(list), *tok, *save = NULL;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < FAM_N; i++)
			if (!strcmp(tok, fz_family_names[i]))
				break;
		if (i == FAM_N) {
			fprintf(stderr, "fuzz_test: no family \"%s\"\n", tok);
			usage();
		}
		mask |= 1U << i;
	}
	free(copy);
	return mask;
}

static int rings_alive(void)
{
	FILE *f = fopen("/sys/class/misc/uscheme/rings", "r");
	int n = -1;

	if (f) {
		if (fscanf(f, "%d", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

/* ---- the daemon ---- */

static pid_t daemon_pid;

static void daemon_start(uint64_t seed)
{
	static unsigned int gen;
	int p[2];
	char c;
	pid_t pid;

	/*
	 * A new name per daemon: the old one lives on while a client holds
	 * the old scheme ring (the daemon passes it with USCHEME_CQE_F_FD).
	 * Clients read the name racily; a torn one is just an unknown scheme.
	 */
	snprintf(fz->scheme, sizeof(fz->scheme), "fz-%d.%u", (int)getpid(), gen++);
	if (pipe(p))
		return;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(p[0]);
		dup2(p[1], 1);
		close(p[1]);
		fz_daemon_main(seed);
	}
	close(p[1]);
	if (pid > 0 && read(p[0], &c, 1) == 1)
		daemon_pid = pid;
	else if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fz_violation(FAM_DAEMON, "the fuzzing daemon could not register %s", fz->scheme);
	}
	close(p[0]);
}

static void daemon_stop(void)
{
	long long end = fz_now_ns() + KILL_WAIT_NS;
	int status;

	if (daemon_pid <= 0)
		return;
	if (waitpid(daemon_pid, &status, WNOHANG) == daemon_pid) {
		/* it died on its own: only our SIGKILL ends it */
		fz_violation(FAM_DAEMON, "the daemon exited on its own (status %#x)", status);
		daemon_pid = 0;
		return;
	}
	kill(daemon_pid, SIGKILL);
	while (waitpid(daemon_pid, &status, WNOHANG) == 0) {
		if (fz_now_ns() > end) {
			unkillable++;
			snprintf(hang_why, sizeof(hang_why),
				 "the daemon (pid %d) survived SIGKILL for 30 s", (int)daemon_pid);
			break;
		}
		usleep(10000);
	}
	daemon_pid = 0;
}

/* ---- one child per round ---- */

static pid_t child_start(int fam, uint64_t seed, long long slice_ns, uint64_t max_ops)
{
	struct fz_run run;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	signal(SIGPIPE, SIG_IGN);
	run.rng.s = seed;
	run.deadline_ns = fz_now_ns() + slice_ns;
	/* refusals are quick: a pcidev round would flood the counts */
	run.max_ops = fam == FAM_PCIDEV && max_ops > 500 ? 500 : max_ops;
	/* the unprivileged attacker, or (for some families, half the time) root */
	if (fam == FAM_NS || fam == FAM_PCIDEV || fam == FAM_OPATH || one_in(&run.rng, 2))
		fz_drop_privileges();
	fz_alarm_start(20000 + rnd_below(&run.rng, 30000));
	switch (fam) {
	case FAM_SQE:
	case FAM_FORK:
		gen_sqe(&run, fam);
		break;
	case FAM_HANDLE:
		gen_handle(&run, fam);
		break;
	case FAM_FU:
		gen_fu(&run);
		break;
	case FAM_SCRIBBLE:
		gen_scribble(&run);
		break;
	case FAM_NS:
		gen_ns(&run);
		break;
	case FAM_OPATH:
		gen_opath(&run);
		break;
	case FAM_PCIDEV:
		gen_pcidev(&run);
		break;
	}
	_exit(0);
}

/* Where each thread of a hung child is: its state and kernel stack, as TAP comments. */
static void dump_tasks(pid_t pid)
{
	char path[320], line[256];
	struct dirent *de;
	DIR *d;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", (int)pid, de->d_name);
		f = fopen(path, "r");
		if (f) {
			if (fgets(line, sizeof(line), f))
				printf("#   task %s: %s", de->d_name, line);
			fclose(f);
		}
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stack", (int)pid, de->d_name);
		f = fopen(path, "r");
		if (f) {
			while (fgets(line, sizeof(line), f))
				printf("#     %s", line);
			fclose(f);
		}
	}
	closedir(d);
	fflush(stdout);
}

/*
 * The fork family's children may exit leaving children of their own; as
 * the subreaper this process inherits them. Reap them all (SIGKILL after
 * 5 s) before rings are counted: their rings are theirs until they go.
 */
static void reap_orphans(void)
{
	long long until = fz_now_ns() + 5000000000LL;
	char path[64], buf[256], *p;
	struct dirent *de;
	DIR *d;
	FILE *f;

	for (;;) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD)
			return;
		if (fz_now_ns() < until) {
			usleep(20000);
			continue;
		}
		d = opendir("/proc");
		if (!d)
			return;
		while ((de = readdir(d))) {
			snprintf(path, sizeof(path), "/proc/%.20s/stat", de->d_name);
			f = fopen(path, "r");
			if (!f)
				continue;
			p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
			fclose(f);
			if (p && atoi(p + 4) == (int)getpid())
				kill(atoi(de->d_name), SIGKILL);
		}
		closedir(d);
		until = fz_now_ns() + 5000000000LL;
	}
}

/* Reap or police the children; returns how many slots are busy. */
static unsigned int police(struct slot *s, unsigned int par, int block)
{
	unsigned int i, busy = 0;

	for (i = 0; i < par; i++) {
		int status;
		pid_t w;

		if (!s[i].pid)
			continue;
		w = waitpid(s[i].pid, &status, WNOHANG);
		if (w == s[i].pid) {
			if (!s[i].killed_ns && WIFSIGNALED(status)) {
				child_deaths++;
				fz_violation(s[i].fam, "a %s child died of signal %d",
					     fz_family_names[s[i].fam], WTERMSIG(status));
			}
			s[i].pid = 0;
			continue;
		}
		busy++;
		if (!s[i].killed_ns && fz_now_ns() > s[i].deadline_ns + GRACE_NS) {
			hangs++;
			fz_violation(s[i].fam, "a %s child (pid %d) ran 30 s past its deadline: "
				     "a hang (every blocking call gets SIGALRM each 50 ms)",
				     fz_family_names[s[i].fam], (int)s[i].pid);
			dump_tasks(s[i].pid);
			kill(s[i].pid, SIGKILL);
			s[i].killed_ns = fz_now_ns();
		} else if (s[i].killed_ns && fz_now_ns() > s[i].killed_ns + KILL_WAIT_NS) {
			unkillable++;
			snprintf(hang_why, sizeof(hang_why),
				 "a %s child (pid %d) survived SIGKILL for 30 s (D state?)",
				 fz_family_names[s[i].fam], (int)s[i].pid);
			s[i].pid = 0;	/* give up on it */
		}
	}
	if (block && busy)
		usleep(5000);
	return busy;
}

static uint64_t ops_total(void)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < FAM_N; i++)
		n += LOAD(&fz->ops[i]);
	return n;
}

/* After the run: a NOP round trip on a fresh ring. */
static int module_serves(void)
{
	struct us_ring r;
	struct uscheme_cqe *c;
	int ok;

	if (us_ring_init(&r, 4, 0, 0))
		return 0;
	us_prep_nop(us_get_sqe(&r), 4242);
	ok = us_submit_and_wait(&r, 1) == 1 && (c = us_peek_cqe(&r)) && c->user_data == 4242 &&
	     c->res == 0;
	us_ring_exit(&r);
	return ok;
}

int main(int argc, char **argv)
{
	static const int child_fams[] = {
		FAM_SQE, FAM_HANDLE, FAM_FU, FAM_SCRIBBLE, FAM_NS, FAM_FORK, FAM_OPATH, FAM_PCIDEV,
	};
	uint64_t seed = 0, max_ops = UINT64_MAX;
	unsigned int seconds = 60, par = 2, skip = 0, i, n = 0, failed = 0, round = 0;
	int have_seed = 0, baseline, after = -1, avoid = 0;
	long long start, end, next_restart;
	struct slot slots[PAR_MAX];
	struct fz_rng r;

	/* orphaned grandchildren (the fork family) come back to us: reap_orphans() */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	enabled = (1U << FAM_N) - 1;
	for (i = 1; i < (unsigned int)argc; i++) {
		const char *a = argv[i], *v = i + 1 < (unsigned int)argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--avoid-zero-len")) {
			avoid = 1;
			continue;
		}
		if (!v)
			usage();
		i++;
		if (!strcmp(a, "--seed")) {
			seed = strtoull(v, NULL, 0);
			have_seed = 1;
		} else if (!strcmp(a, "--seconds")) {
			seconds = (unsigned int)strtoul(v, NULL, 0);
		} else if (!strcmp(a, "--ops")) {
			max_ops = strtoull(v, NULL, 0);
		} else if (!strcmp(a, "--families")) {
			enabled = parse_families(v);
		} else if (!strcmp(a, "--skip")) {
			skip |= parse_families(v);
		} else if (!strcmp(a, "--par")) {
			par = (unsigned int)strtoul(v, NULL, 0);
			if (!par || par > PAR_MAX)
				usage();
		} else {
			usage();
		}
	}
	enabled &= ~skip;
	if (!have_seed)
		seed = (uint64_t)fz_now_ns() ^ ((uint64_t)getpid() << 32);
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	printf("TAP version 13\n# suite fuzz%s\n", TAP_SUITE_SUFFIX);
	printf("# fuzz: seed %llu (replay: fuzz_test --seed %llu --seconds %u", (unsigned long long)seed,
	       (unsigned long long)seed, seconds);
	if (max_ops != UINT64_MAX)
		printf(" --ops %llu", (unsigned long long)max_ops);
	printf("%s, same families)\n", avoid ? " --avoid-zero-len" : "");
	if (geteuid() != 0 || access(USCHEME_DEVICE, R_OK | W_OK)) {
		printf("1..0 # SKIP needs root and %s\n", USCHEME_DEVICE);
		return 0;
	}
	fz = mmap(NULL, sizeof(*fz), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (fz == MAP_FAILED || fz_scratch_init()) {
		printf("1..1\nnot ok 1 - setup: %s\n", strerror(errno));
		return 1;
	}
	memset(fz, 0, sizeof(*fz));
	fz->daemon_kerrno = !!(enabled & (1U << FAM_KERRNO));
	fz->avoid_zero_len = (uint32_t)avoid;
	printf("# fuzz: families");
	for (i = 0; i < FAM_N; i++)
		if (enabled & (1U << i))
			printf(" %s", fz_family_names[i]);
	printf("; %u in parallel; schemes fz-%d.N\n", par, (int)getpid());
	baseline = rings_alive();

	r.s = seed;
	memset(slots, 0, sizeof(slots));
	start = fz_now_ns();
	end = start + (long long)seconds * 1000000000LL;
	daemon_start(fz_mix(seed, 0xdae));
	next_restart = fz_now_ns() + 1000000000LL + rnd_below(&r, 3000) * 1000000LL;
	while (fz_now_ns() < end && ops_total() < max_ops && !unkillable) {
		unsigned int busy = police(slots, par, 0);

		if (fz_now_ns() > next_restart) {
			/* a daemon killed mid-request, and a new one under the same name */
			daemon_stop();
			daemon_start(fz_mix(seed, 0xdae + round));
			next_restart = fz_now_ns() + 1000000000LL + rnd_below(&r, 3000) * 1000000LL;
		}
		if (busy < par) {
			unsigned int tries = 0;
			int fam;

			do {
				fam = child_fams[rnd_below(&r, sizeof(child_fams) / sizeof(int))];
			} while (!(enabled & (1U << fam)) && ++tries < 1000);
			if (!(enabled & (1U << fam))) {
				/* only the daemon families: clients of the plain sqe kind */
				fam = FAM_SQE;
			}
			for (i = 0; i < par; i++) {
				if (slots[i].pid)
					continue;
				slots[i].fam = fam;
				slots[i].killed_ns = 0;
				slots[i].deadline_ns = fz_now_ns() + 200000000LL +
						       rnd_below(&r, 600) * 1000000LL;
				slots[i].pid = child_start(fam, fz_mix(seed, ++round),
							   slots[i].deadline_ns - fz_now_ns(),
							   max_ops - ops_total());
				if (slots[i].pid < 0)
					slots[i].pid = 0;
				break;
			}
		} else {
			usleep(5000);
		}
	}
	while (police(slots, par, 1) && !unkillable)
		;
	daemon_stop();
	reap_orphans();

	/* every ring freed once its processes are gone (release may lag a little) */
	if (baseline >= 0) {
		long long until = fz_now_ns() + 10000000000LL;

		while ((after = rings_alive()) > baseline && fz_now_ns() < until)
			usleep(20000);
	}

	printf("# fuzz: %llu operations tried in %.1f s, %u rounds\n",
	       (unsigned long long)ops_total(), (double)(fz_now_ns() - start) / 1e9, round);
	for (i = 0; i < FAM_N; i++) {
		if (!(enabled & (1U << i)))
			continue;
		n++;
		printf("# family %-8s %10llu operations, %u violations\n", fz_family_names[i],
		       (unsigned long long)fz->ops[i], fz->viol[i]);
		if (fz->viol[i]) {
			printf("not ok %u - %s (%llu ops): %u violations\n", n, fz_family_names[i],
			       (unsigned long long)fz->ops[i], fz->viol[i]);
			printf("  first: %s\n", fz->why[i]);
			failed++;
		} else {
			printf("ok %u - %s (%llu ops)\n", n, fz_family_names[i],
			       (unsigned long long)fz->ops[i]);
		}
	}
	n++;
	if (hangs || unkillable || child_deaths) {
		printf("not ok %u - no hang, no unkillable process, no child killed by a signal "
		       "(%u hangs, %u unkillable, %u signal deaths)\n", n, hangs, unkillable,
		       child_deaths);
		if (hang_why[0])
			printf("  %s\n", hang_why);
		failed++;
	} else {
		printf("ok %u - no hang, no unkillable process, no child killed by a signal\n", n);
	}
	n++;
	if (enabled & (1U << FAM_NS) && !LOAD(&fz->ns_seen))
		printf("# fuzz: the daemon saw no OPEN from a namespace (user namespaces off?)\n");
	if (baseline >= 0 && after > baseline) {
		printf("not ok %u - every ring freed after the run (%d alive, %d before)\n", n,
		       after, baseline);
		failed++;
	} else {
		printf("ok %u - every ring freed after the run\n", n);
	}
	n++;
	if (module_serves()) {
		printf("ok %u - the module still serves (a NOP round trip)\n", n);
	} else {
		printf("not ok %u - the module still serves (a NOP round trip)\n", n);
		failed++;
	}
	printf("1..%u\n# fuzz%s: %u passed, %u failed (seed %llu)\n", n, TAP_SUITE_SUFFIX,
	       n - failed, failed, (unsigned long long)seed);
	return failed ? 1 : 0;
}
