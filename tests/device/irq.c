// SPDX-License-Identifier: MIT
/*
 * The device suite (device.h): interrupt fds: bad input, a blocking read
 * interrupted, automatic mode.
 */
#include "device.h"

/* ------------------------------------------------------------------ */
/* interrupts                                                          */

int test_irq_bad_input(void)
{
	struct uscheme_irq_setup s;
	struct pollfd pfd;
	uint32_t small;
	int fn, fd;

	NEED(g_msix);
	fn = fn_open(g_msix);
	CHECK(fn >= 0);
	CHECK_EQ(irq_open(fn, 0), -ENOENT);		/* before SETUP */
	CHECK_EQ(irq_setup(fn, 0x80, 1, &s), -EINVAL);
	CHECK_EQ(irq_setup(fn, USCHEME_IRQ_MSIX | USCHEME_IRQ_INTX, 1, &s), -EINVAL);
	CHECK_EQ(irq_setup(fn, USCHEME_IRQ_MSIX, 0, &s), -EINVAL);
	memset(&s, 0, sizeof(s));
	s.mode = USCHEME_IRQ_MSIX;
	s.nvec = 1;
	s.resv = 1;
	CHECK_EQ(xioctl(fn, USCHEME_PIOC_IRQ_SETUP, &s), -EINVAL);
	CHECK_EQ(irq_setup(fn, USCHEME_IRQ_MSI, 1, &s), -EOPNOTSUPP);	/* qemu-xhci: no MSI */
	CHECK_EQ(irq_setup(fn, USCHEME_IRQ_MSIX, 1, &s), 0);
	CHECK_EQ(s.mode, USCHEME_IRQ_MSIX);
	CHECK_EQ(s.nvec, 1);
	CHECK_EQ(irq_setup(fn, USCHEME_IRQ_MSIX, 1, &s), -EBUSY);	/* twice */
	CHECK_EQ(irq_setup(fn, USCHEME_IRQ_INTX, 1, &s), -EBUSY);
	CHECK_EQ(irq_open(fn, 1), -ENOENT);		/* no such vector */
	CHECK_EQ(fn_fd(fn, USCHEME_PIOC_IRQ_OPEN, 0, O_NONBLOCK), -EINVAL);
	fd = irq_open(fn, 0);
	CHECK(fd >= 0);
	CHECK_EQ(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	CHECK_EQ(irq_read(fd), -EAGAIN);		/* nothing pending */
	CHECK_EQ(irq_ack(fd, 1), -EINVAL);		/* nothing to acknowledge */
	CHECK_EQ(irq_ack(fd, 0), -EINVAL);
	errno = 0;
	CHECK(read(fd, &small, sizeof(small)) < 0);
	CHECK_EQ(errno, EINVAL);			/* fewer than 8 bytes */
	pfd.fd = fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	CHECK_EQ(poll(&pfd, 1, 0), 0);
	close(fd);
	close(fn);

	/* the INTx-only function has no MSI-X */
	NEED(g_intx);
	fn = fn_open(g_intx);
	CHECK(fn >= 0);
	CHECK_EQ(irq_setup(fn, USCHEME_IRQ_MSIX, 1, &s), -EOPNOTSUPP);
	CHECK_EQ(irq_setup(fn, USCHEME_IRQ_MSI, 1, &s), -EOPNOTSUPP);
	CHECK_EQ(irq_setup(fn, USCHEME_IRQ_INTX, 1, &s), 0);
	CHECK_EQ(s.nvec, 1);
	CHECK_EQ(irq_open(fn, 1), -ENOENT);
	close(fn);
	return 0;
}

static int g_alarm_pipe = -1;

static void on_alarm(int sig)
{
	(void)sig;
	if (g_alarm_pipe >= 0 && write(g_alarm_pipe, "a", 1) != 1)
		g_alarm_pipe = -1;
}

/*
 * A blocking interrupt read with nothing pending: a signal whose handler
 * has no SA_RESTART ends it with EINTR; with SA_RESTART it keeps waiting
 * (the kernel restarts it); SIGKILL always ends the reader.
 */
int test_irq_read_interrupted(void)
{
	struct uscheme_irq_setup s;
	struct sigaction sa;
	struct itimerval it;
	uint64_t count;
	int fn, fd, status, p[2];
	long long t0;
	ssize_t n;
	pid_t pid;
	char c;

	NEED(g_msix);
	fn = fn_open(g_msix);
	CHECK(fn >= 0);
	CHECK_EQ(irq_setup(fn, USCHEME_IRQ_MSIX, 1, &s), 0);
	fd = irq_open(fn, 0);
	CHECK(fd >= 0);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;		/* no SA_RESTART */
	CHECK_EQ(sigaction(SIGALRM, &sa, NULL), 0);
	memset(&it, 0, sizeof(it));
	it.it_value.tv_usec = 200000;
	t0 = tap_now_ns();
	CHECK_EQ(setitimer(ITIMER_REAL, &it, NULL), 0);
	errno = 0;
	n = read(fd, &count, sizeof(count));
	CHECK_EQ(n, -1);
	CHECK_EQ(errno, EINTR);
	CHECK(tap_now_ns() - t0 >= 150000000LL);	/* it did block */

	/*
	 * SA_RESTART: the read goes on waiting after the handler ran (the
	 * handler tells the parent through a pipe that it did).
	 */
	CHECK_EQ(pipe(p), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		g_alarm_pipe = p[1];
		sa.sa_flags = SA_RESTART;
		sigaction(SIGALRM, &sa, NULL);
		setitimer(ITIMER_REAL, &it, NULL);
		n = read(fd, &count, sizeof(count));
		_exit(n < 0 ? 10 + (errno == EINTR) : 0);
	}
	close(p[1]);
	CHECK_EQ(read(p[0], &c, 1), 1);		/* the handler ran */
	close(p[0]);
	usleep(300000);
	CHECK_EQ(waitpid(pid, &status, WNOHANG), 0);	/* still reading */
	CHECK_EQ(kill(pid, SIGKILL), 0);
	t0 = tap_now_ns();
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CHECK(tap_now_ns() - t0 < 5000000000LL);

	sa.sa_handler = SIG_DFL;
	sa.sa_flags = 0;
	sigaction(SIGALRM, &sa, NULL);
	close(fd);
	close(fn);
	return 0;
}

int test_irq_setup_auto(void)
{
	struct uscheme_irq_setup s;
	int fn;

	NEED(g_msix);
	fn = fn_open(g_msix);
	CHECK(fn >= 0);
	CHECK_EQ(irq_setup(fn, USCHEME_IRQ_AUTO, 4, &s), 0);
	CHECK_EQ(s.mode, USCHEME_IRQ_MSIX);
	CHECK(s.nvec >= 1 && s.nvec <= 4);
	close(fn);
	NEED(g_intx);
	fn = fn_open(g_intx);
	CHECK(fn >= 0);
	CHECK_EQ(irq_setup(fn, USCHEME_IRQ_AUTO, 4, &s), 0);
	CHECK_EQ(s.mode, USCHEME_IRQ_INTX);
	CHECK_EQ(s.nvec, 1);
	close(fn);
	return 0;
}
