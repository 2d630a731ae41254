// SPDX-License-Identifier: MIT
/*
 * A signal that arrives together with a FILES_UPDATE event never makes
 * an enter spin in the kernel. The events run takes submit_lock
 * interruptibly and skips when a signal is pending and the lock is busy
 * (another thread submitting); the wait must then
 * return to handle the signal, not find the event still pending and
 * loop. The fuzzer found this as a "fu" child that never came back.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "harden.h"

struct spin {
	struct us_ring ring;
	int efd;
	unsigned long progress;
	int stop;
};

/* Another thread keeps submit_lock busy, so that taking it has to wait. */
static void *submitter(void *arg)
{
	struct spin *s = arg;
	struct uscheme_sqe *sqe;

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		sqe = us_get_sqe(&s->ring);
		if (sqe)
			us_prep_nop(sqe, 1);
		us_submit(&s->ring);
	}
	return NULL;
}

static void on_usr1(int sig)
{
	(void)sig;
}

static void *enterer(void *arg)
{
	struct spin *s = arg;

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		us_enter(&s->ring, 0, 8, USCHEME_ENTER_GETEVENTS | USCHEME_ENTER_TIMEOUT,
			 200 * 1000000LL, NULL);
		while (us_peek_cqe(&s->ring))
			us_cqe_seen(&s->ring);
		__atomic_add_fetch(&s->progress, 1, __ATOMIC_ACQ_REL);
	}
	return NULL;
}

int t_signal_with_event_no_spin(void)
{
	struct uscheme_fu_entry fu;
	struct sigaction sa;
	struct spin s;
	unsigned long seen;
	long long last;
	pthread_t t, t2;
	int i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;	/* no SA_RESTART */
	sigaction(SIGUSR1, &sa, NULL);
	memset(&s, 0, sizeof(s));
	CHECK_EQ(us_ring_init(&s.ring, 8, 0, 0), 0);
	s.efd = eventfd(0, EFD_NONBLOCK);
	CHECK(s.efd >= 0);
	us_fu_entry(&fu, s.efd, USCHEME_EV_READ, USCHEME_FU_ADD, 9);
	us_prep_files_update(us_get_sqe(&s.ring), &fu, 1, 1);
	CHECK_EQ(us_submit(&s.ring), 1);
	CHECK_EQ(pthread_create(&t, NULL, enterer, &s), 0);
	CHECK_EQ(pthread_create(&t2, NULL, submitter, &s), 0);
	seen = 0;
	last = tap_now_ns();
	for (i = 0; i < 20000; i++) {
		uint64_t v;

		/* An event and a signal at once; drain the counter for the next edge. */
		eventfd_write(s.efd, 1);
		pthread_kill(t, SIGUSR1);
		if (eventfd_read(s.efd, &v) && errno != EAGAIN)
			return -1;
		if (__atomic_load_n(&s.progress, __ATOMIC_ACQUIRE) != seen) {
			seen = __atomic_load_n(&s.progress, __ATOMIC_ACQUIRE);
			last = tap_now_ns();
		} else if (tap_now_ns() - last > 3000000000LL) {
			fprintf(stderr, "  the entering thread made no progress for 3 s "
				"(round %d): spinning in the kernel?\n", i);
			return -1;
		}
		if (i % 8 == 7)
			usleep(100);
	}
	__atomic_store_n(&s.stop, 1, __ATOMIC_RELEASE);
	pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
	pthread_join(t2, NULL);
	CHECK(seen > 0);
	close(s.efd);
	us_ring_exit(&s.ring);
	return 0;
}
