// SPDX-License-Identifier: MIT
/* pcid: a function's channel session, its DUPs and CALLs (channel.h, pcid.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "channel.h"
#include "scheme.h"
#include "supervisor.h"

/* ---- the channel's session ---- */

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

/*
 * The channel's last reference is gone: close pcid's files of the session
 * now (so that the kernel ends it before the next request, maybe the next
 * channel's OPEN, is served). An answer written but not yet sent may pass
 * one of them: send those first.
 */
void channel_release(struct fn *f)
{
	unsigned int i;

	if (!P.exiting && us_daemon_answers_pending(&P.d))
		us_daemon_flush(&P.d);
	if (!P.exiting)
		drain_close_later(false);
	close_fd(f->fn_fd);
	f->fn_fd = -1;
	for (i = 0; i < USCHEME_PCI_BARS; i++) {
		close_fd(f->bar_fd[i]);
		f->bar_fd[i] = -1;
	}
	for (i = 0; i < f->nirq; i++)
		close_fd(f->irq_fd[i]);
	free(f->irq_fd);
	f->irq_fd = NULL;
	f->nirq = 0;
	if (f->ch == CH_OPEN)
		fnsay(f, "channel closed");
	f->ch = CH_FREE;
	f->chan = NULL;
	memset(&f->info, 0, sizeof(f->info));
}

static void pending_unlink(struct pending *p)
{
	struct pending **pp;

	for (pp = &P.pendings; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			P.pending--;
			return;
		}
	}
}

/* pcidev:ADDR opened (or not) for a channel. */
static void pending_complete(struct us_reactor *rx, struct us_op *op,
			     const struct uscheme_cqe *cqe)
{
	struct pending *p = op->ctx;
	struct fn *f = p->fn;
	int res = cqe->res;

	(void)rx;
	pending_unlink(p);
	if (res < 0) {
		fnsay(f, "cannot open pcidev:%s for a channel: %s", f->addr, why(res));
		f->ch = CH_FREE;
		handle_free(p->h);
		us_reply(&P.d, p->tag, res);
	} else {
		f->fn_fd = res;
		if (ioctl(res, USCHEME_PIOC_INFO, &f->info) < 0) {
			int err = -errno;

			fnsay(f, "USCHEME_PIOC_INFO: %s", why(err));
			f->ch = CH_OPEN;	/* so that handle_free releases */
			f->chan = p->h;
			handle_free(p->h);
			us_reply(&P.d, p->tag, err);
		} else {
			f->ch = CH_OPEN;
			f->chan = p->h;
			fnsay(f, "channel opened");
			/* On failure to number it, .close releases it. */
			us_reply_handle(&P.d, p->tag, 0, p->h);
		}
	}
	free(p);
	check_done();
}

int defer_pcidev_open(struct fn *f, const struct uscheme_req *req,
			     struct handle *h)
{
	struct pending *p = calloc(1, sizeof(*p));
	int err;

	if (!p)
		return -ENOMEM;
	p->op.complete = pending_complete;
	p->op.ctx = p;
	p->fn = f;
	p->tag = req->tag;
	p->h = h;
	snprintf(p->path, sizeof(p->path), "pcidev:%s", f->addr);
	err = submit_open(&p->op, p->path, O_RDWR | O_CLOEXEC);
	if (err) {
		free(p);
		return err;
	}
	p->next = P.pendings;
	P.pendings = p;
	P.pending++;
	return US_DEFER;
}

/* "dma/SIZE": decimal or 0x hex, K or M. */
static int parse_dma_size(const char *s, __u64 *out)
{
	unsigned long long v;
	char *end;

	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	if (*end == 'K' || *end == 'k') {
		v <<= 10;
		end++;
	} else if (*end == 'M' || *end == 'm') {
		v <<= 20;
		end++;
	}
	if (*end || !v || v > (1ULL << 40))
		return -EINVAL;
	*out = v;
	return 0;
}

/* A DUP on the channel: one of pcid's files of the session, passed on. */
int channel_dup(struct fn *f, const struct uscheme_req *req, const char *suffix)
{
	int fd;

	if (f->fn_fd < 0)
		return -ENODEV;
	if (!strcmp(suffix, "function")) {
		fd = f->fn_fd;
	} else if (!strncmp(suffix, "bar", 3) && suffix[3] >= '0' && suffix[3] <= '5' &&
		   !suffix[4]) {
		unsigned int i = (unsigned int)(suffix[3] - '0');

		if (f->bar_fd[i] < 0) {
			struct uscheme_pci_fd a = { .index = i, .flags = O_CLOEXEC };

			if (ioctl(f->fn_fd, USCHEME_PIOC_BAR_OPEN, &a) < 0)
				return -errno;
			f->bar_fd[i] = a.fd;
		}
		fd = f->bar_fd[i];
	} else if (!strncmp(suffix, "irq/", 4)) {
		struct uscheme_pci_fd a = { .flags = O_CLOEXEC };
		unsigned long v;
		char *end;

		if (suffix[4] < '0' || suffix[4] > '9')
			return -ENOENT;
		errno = 0;
		v = strtoul(suffix + 4, &end, 10);
		if (errno || *end || v >= IRQ_FDS_MAX)
			return -ENOENT;
		if (v < f->nirq && f->irq_fd[v] >= 0) {
			fd = f->irq_fd[v];
		} else {
			a.index = (uint32_t)v;
			if (ioctl(f->fn_fd, USCHEME_PIOC_IRQ_OPEN, &a) < 0)
				return -errno;
			if (v < f->nirq) {
				f->irq_fd[v] = a.fd;
			} else {
				close_later(a.fd);	/* not cached: setup happened elsewhere */
			}
			fd = a.fd;
		}
	} else if (!strncmp(suffix, "dma/", 4)) {
		struct uscheme_dma a = { .flags = O_CLOEXEC };

		if (parse_dma_size(suffix + 4, &a.size))
			return -EINVAL;
		if (ioctl(f->fn_fd, USCHEME_PIOC_DMA_ALLOC, &a) < 0)
			return -errno;
		close_later(a.fd);	/* the driver's from now on */
		fd = a.fd;
	} else {
		return -ENOENT;
	}
	return us_reply_fd(&P.d, req->tag, fd) ? -EIO : US_DEFER;
}

/* A CALL on the channel (scheme.c's p_call, for a channel handle). */
int channel_call(struct fn *f, const struct uscheme_req *req, void *buf, size_t in_len,
		 size_t out_len)
{
	if (f->fn_fd < 0)
		return -EINVAL;
	switch (req->op_flags) {
	case PCID_CALL_INFO:
		if (out_len < sizeof(f->info))
			return -EINVAL;
		memcpy(buf, &f->info, sizeof(f->info));
		return (int)sizeof(f->info);
	case PCID_CALL_MASTER: {
		uint32_t on;

		if (in_len != sizeof(on))
			return -EINVAL;
		memcpy(&on, buf, sizeof(on));
		if (on > 1)
			return -EINVAL;
		if (ioctl(f->fn_fd, USCHEME_PIOC_MASTER, (unsigned long)on) < 0)
			return -errno;
		fnsay(f, "bus mastering %s for pid %u", on ? "on" : "off", req->pid);
		return 0;
	}
	case PCID_CALL_IRQ_SETUP: {
		struct uscheme_irq_setup s;
		uint32_t i, n;

		if (in_len != sizeof(s) || out_len < sizeof(s))
			return -EINVAL;
		memcpy(&s, buf, sizeof(s));
		if (ioctl(f->fn_fd, USCHEME_PIOC_IRQ_SETUP, &s) < 0)
			return -errno;
		n = s.nvec < IRQ_FDS_MAX ? s.nvec : IRQ_FDS_MAX;
		if (!f->irq_fd && n) {
			f->irq_fd = malloc(n * sizeof(*f->irq_fd));
			if (f->irq_fd) {
				for (i = 0; i < n; i++)
					f->irq_fd[i] = -1;
				f->nirq = n;
			}
		}
		fnsay(f, "interrupts: %s, %u vector%s, for pid %u",
		      s.mode == USCHEME_IRQ_MSIX ? "MSI-X" : s.mode == USCHEME_IRQ_MSI ? "MSI" :
		      s.mode == USCHEME_IRQ_INTX ? "INTx" : "?", s.nvec, s.nvec == 1 ? "" : "s",
		      req->pid);
		memcpy(buf, &s, sizeof(s));
		return (int)sizeof(s);
	}
	case PCID_CALL_CHILD_START: {
		struct pcid_child_req cr;
		char name[64];
		int err;

		if (in_len != sizeof(cr))
			return -EINVAL;
		memcpy(&cr, buf, sizeof(cr));
		name[0] = 0;
		err = child_start(f, &cr, name, sizeof(name));
		if (err || !out_len)
			return err;
		/* res = the output's bytes: the name with its NUL, cut to the room */
		if (out_len > strlen(name) + 1)
			out_len = strlen(name) + 1;
		memcpy(buf, name, out_len);
		((char *)buf)[out_len - 1] = 0;
		return (int)out_len;
	}
	case PCID_CALL_CHILD_STOP: {
		uint32_t port;

		if (in_len != sizeof(port))
			return -EINVAL;
		memcpy(&port, buf, sizeof(port));
		if (port > 255)
			return -EINVAL;
		return (int)children_stop(f, port, port ? "its device is gone" : "asked to");
	}
	}
	return -EINVAL;
}
