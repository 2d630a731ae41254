// SPDX-License-Identifier: MIT
/* pcid: the "pci:" scheme (scheme.h; its paths and ops: pcid.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "channel.h"
#include "scheme.h"

/* ---- text for reads ---- */

struct text {
	char *buf;
	size_t len, cap;
	bool oom;
};

static void tprintf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void tprintf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->buf ? t->buf + t->len : NULL, t->buf ? t->cap - t->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->oom = true;
			return;
		}
		if (t->buf && (size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return;
		}
		{
			size_t cap = (t->cap ? t->cap : 256) * 2 + (size_t)n;
			char *nb = realloc(t->buf, cap);

			if (!nb) {
				t->oom = true;
				return;
			}
			t->buf = nb;
			t->cap = cap;
		}
	}
}

static const char *drv_state_name(enum drv_state s)
{
	switch (s) {
	case DRV_NONE:
		return "none";
	case DRV_STARTING:
		return "starting";
	case DRV_RUNNING:
		return "running";
	case DRV_BACKOFF:
		return "backoff";
	case DRV_STOPPED:
		return "stopped";
	case DRV_FAILED:
		return "failed";
	}
	return "?";
}

static const char *ch_state_name(enum ch_state s)
{
	return s == CH_OPEN ? "open" : s == CH_OPENING ? "opening" : "free";
}

static void status_text(struct text *t, struct fn *f, const struct pci_func *now)
{
	tprintf(t, "address %s\n", f->addr);
	tprintf(t, "id %04x:%04x\n", now->vendor, now->device);
	tprintf(t, "subsystem %04x:%04x\n", now->subvendor, now->subdevice);
	tprintf(t, "class %06x\n", now->class_code);
	tprintf(t, "revision %02x\n", now->revision);
	tprintf(t, "kernel-driver %s\n", now->driver);
	if (f->rule) {
		tprintf(t, "rule %s:%u\n", P.config_path, f->rule->line);
		tprintf(t, "program %s\n", f->driver_path ? f->driver_path : f->rule->driver);
		tprintf(t, "restart %s\n", pcid_restart_name(f->rule->restart));
	} else {
		tprintf(t, "rule -\n");
	}
	tprintf(t, "state %s\n", drv_state_name(f->drv));
	tprintf(t, "pid %d\n", f->drv == DRV_RUNNING ? (int)f->pid : 0);
	tprintf(t, "starts %u\n", f->starts);
	tprintf(t, "restarts %u\n", f->restarts);
	tprintf(t, "last-exit %s\n", f->last_exit[0] ? f->last_exit : "-");
	tprintf(t, "channel %s\n", ch_state_name(f->ch));
	tprintf(t, "scheme %s\n", f->scheme[0] ? f->scheme : "-");
}

static void channel_text(struct text *t, const struct fn *f)
{
	const struct uscheme_pci_info *in = &f->info;
	unsigned int i;

	tprintf(t, "address %s\n", f->addr);
	tprintf(t, "id %04x:%04x\n", in->vendor, in->device);
	tprintf(t, "subsystem %04x:%04x\n", in->subvendor, in->subdevice);
	tprintf(t, "class %06x\n", in->class_code);
	tprintf(t, "revision %02x\n", in->revision);
	tprintf(t, "irq-pin %u\n", in->irq_pin);
	tprintf(t, "irq-modes%s%s%s%s\n", in->irq_modes & USCHEME_IRQ_MSIX ? " msix" : "",
		in->irq_modes & USCHEME_IRQ_MSI ? " msi" : "",
		in->irq_modes & USCHEME_IRQ_INTX ? " intx" : "", in->irq_modes ? "" : " -");
	tprintf(t, "msix-vectors %u\n", in->msix_vectors);
	tprintf(t, "msi-vectors %u\n", in->msi_vectors);
	tprintf(t, "config-size %u\n", in->cfg_size);
	for (i = 0; i < USCHEME_PCI_BARS; i++) {
		const struct uscheme_pci_bar *b = &in->bars[i];

		if (!b->size) {
			tprintf(t, "bar%u -\n", i);
			continue;
		}
		tprintf(t, "bar%u %s%s%s%s size %" PRIu64 "\n", i,
			b->flags & USCHEME_BAR_MEM ? "mem" : "io",
			b->flags & USCHEME_BAR_64 ? "64" : (b->flags & USCHEME_BAR_MEM ? "32" : ""),
			b->flags & USCHEME_BAR_PREFETCH ? " prefetch" : "",
			b->flags & USCHEME_BAR_MSIX ? " msix" : "", (uint64_t)b->size);
	}
}

static int copy_text(const char *text, size_t tlen, void *buf, size_t len, uint64_t off)
{
	if (off >= tlen)
		return 0;
	if (len > tlen - off)
		len = tlen - off;
	memcpy(buf, text + off, len);
	return (int)len;
}

void handle_free(struct handle *h)
{
	if (!h)
		return;
	if (h->kind == H_CHANNEL && h->fn && h->fn->chan == h)
		channel_release(h->fn);
	if (h->cfg_fd >= 0)
		close(h->cfg_fd);
	free(h->text);
	free(h);
}

static struct handle *handle_new(enum hkind kind, struct fn *f)
{
	struct handle *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->kind = kind;
	h->fn = f;
	h->cfg_fd = -1;
	return h;
}

/* A handle whose reads return the text t; it takes t's buffer, even on failure. */
static int text_handle(enum hkind kind, struct fn *f, struct text *t, struct handle **out)
{
	struct handle *h = t->oom ? NULL : handle_new(kind, f);

	if (!h) {
		free(t->buf);
		return -ENOMEM;
	}
	h->text = t->buf;
	h->len = t->len;
	*out = h;
	return 0;
}

/* ---- the scheme ---- */

static int open_root(struct handle **out)
{
	struct pci_func *v;
	struct text t = { 0 };
	unsigned int n, i;
	int err = pci_enumerate(P.sysfs, &v, &n);

	if (err)
		return err;
	for (i = 0; i < n; i++) {
		char line[128];

		pci_func_line(&v[i], line, sizeof(line));
		tprintf(&t, "%s", line);
	}
	free(v);
	return text_handle(H_ROOT, NULL, &t, out);
}

static int open_path(const struct uscheme_req *req, const char *path, uint32_t flags,
		     struct handle **out)
{
	uint32_t acc = flags & O_ACCMODE;
	char addr[PCID_ADDR_MAX];
	struct pci_func now;
	const char *rest;
	struct handle *h;
	struct fn *f;
	size_t alen;
	int err;

	*out = NULL;
	while (*path == '/')
		path++;
	if (!*path) {
		if (acc != O_RDONLY)
			return -EISDIR;
		return open_root(out);
	}
	alen = strcspn(path, "/");
	if (pci_addr_canon(path, alen, addr))
		return -ENOENT;
	rest = path + alen;
	while (*rest == '/')
		rest++;
	err = fn_get(addr, &f, &now);
	if (err)
		return err;

	if (!*rest) {
		struct text t = { 0 };

		if (acc != O_RDONLY)
			return -EISDIR;
		tprintf(&t, "channel\nconfig\nstatus\n");
		return text_handle(H_FNDIR, f, &t, out);
	}
	if (flags & O_DIRECTORY)
		return strcmp(rest, "config") && strcmp(rest, "status") &&
		       strcmp(rest, "channel") ? -ENOENT : -ENOTDIR;

	if (!strcmp(rest, "config")) {
		struct stat st;
		uint32_t limit;
		int fd;

		if (acc != O_RDONLY) {
			if (req->uid != 0) {
				fnsay(f, "config write refused: uid %u is not root", req->uid);
				return -EACCES;
			}
			if (strcmp(now.driver, PCID_STUB_DRIVER)) {
				fnsay(f, "config write refused: not bound to %s (writes go "
				      "through pcidev:, which mediates them)", PCID_STUB_DRIVER);
				return -EACCES;
			}
		}
		fd = pci_config_open(P.sysfs, addr);
		if (fd < 0)
			return fd;
		if (fstat(fd, &st)) {
			err = -errno;
			close(fd);
			return err;
		}
		limit = st.st_size > 4096 ? 4096 : (uint32_t)st.st_size;
		if (req->uid != 0) {
			switch (P.cfg.config_read) {
			case PCID_READ_ALL:
				break;
			case PCID_READ_HEADER:
				if (limit > 64)
					limit = 64;
				break;
			case PCID_READ_ROOT:
				close(fd);
				return -EACCES;
			}
		}
		h = handle_new(H_CONFIG, f);
		if (!h) {
			close(fd);
			return -ENOMEM;
		}
		h->cfg_fd = fd;
		h->cfg_limit = limit;
		*out = h;
		return 0;
	}
	if (!strcmp(rest, "status")) {
		struct text t = { 0 };

		if (acc != O_RDONLY)
			return -EACCES;
		status_text(&t, f, &now);
		return text_handle(H_STATUS, f, &t, out);
	}
	if (!strcmp(rest, "channel")) {
		if (req->uid != 0) {
			fnsay(f, "channel refused: uid %u (pid %u) is not root", req->uid, req->pid);
			return -EACCES;
		}
		if (acc != O_RDWR)
			return -EACCES;
		if (f->ch != CH_FREE) {
			fnsay(f, "channel refused to pid %u: already open", req->pid);
			return -EBUSY;
		}
		if (strcmp(now.driver, PCID_STUB_DRIVER)) {
			fnsay(f, "channel refused: not bound to %s (driver %s)",
			      PCID_STUB_DRIVER, now.driver);
			return -ENODEV;
		}
		h = handle_new(H_CHANNEL, f);
		if (!h)
			return -ENOMEM;
		f->ch = CH_OPENING;
		err = defer_pcidev_open(f, req, h);
		if (err != US_DEFER) {
			f->ch = CH_FREE;
			free(h);
		}
		return err;
	}
	return -ENOENT;
}

static int p_open(struct us_daemon *d, const struct uscheme_req *req,
		  const char *path, void **state)
{
	struct handle *h = NULL;
	int err;

	(void)d;
	err = open_path(req, path, req->op_flags, &h);
	*state = h;
	return err;
}

static int p_read(struct us_daemon *d, const struct uscheme_req *req,
		  void *state, void *buf, size_t len, uint64_t off)
{
	struct handle *h = state;
	ssize_t n;

	(void)d;
	(void)req;
	switch (h->kind) {
	case H_ROOT:
	case H_FNDIR:
	case H_STATUS:
		return copy_text(h->text, h->len, buf, len, off);
	case H_CONFIG:
		if (off >= h->cfg_limit)
			return 0;
		if (len > h->cfg_limit - off)
			len = h->cfg_limit - off;
		n = pread(h->cfg_fd, buf, len, (off_t)off);
		return n < 0 ? -errno : (int)n;
	case H_CHANNEL: {
		struct text t = { 0 };
		int r;

		channel_text(&t, h->fn);
		if (t.oom) {
			free(t.buf);
			return -ENOMEM;
		}
		r = copy_text(t.buf, t.len, buf, len, off);
		free(t.buf);
		return r;
	}
	}
	return -EINVAL;
}

static int p_write(struct us_daemon *d, const struct uscheme_req *req,
		   void *state, const void *buf, size_t len, uint64_t off)
{
	struct handle *h = state;
	struct fn *f = h->fn;
	ssize_t n;

	(void)d;
	if (h->kind != H_CONFIG)
		return -EINVAL;
	if (req->uid != 0)	/* opened by root and passed on: still root's only */
		return -EACCES;
	if (f->fn_fd < 0) {
		/*
		 * No driver session: the kernel restores a function's config
		 * space when a session ends, so a write through a session of
		 * its own would be undone at once. Refused, not lost.
		 */
		fnsay(f, "config write refused: no channel open (writes last as long as "
		      "a driver's session)");
		return -ENOTCONN;
	}
	n = pwrite(f->fn_fd, buf, len, (off_t)off);
	return n < 0 ? -errno : (int)n;
}

static int p_fstat(struct us_daemon *d, const struct uscheme_req *req,
		   void *state, struct uscheme_stat *st)
{
	struct handle *h = state;

	(void)d;
	(void)req;
	st->nlink = 1;
	switch (h->kind) {
	case H_ROOT:
	case H_FNDIR:
		st->mode = S_IFDIR | 0555;
		st->size = h->len;
		break;
	case H_STATUS:
		st->mode = S_IFREG | 0444;
		st->size = h->len;
		break;
	case H_CONFIG:
		st->mode = S_IFREG | 0644;
		st->size = h->cfg_limit;
		break;
	case H_CHANNEL:
		st->mode = S_IFCHR | 0600;
		break;
	}
	return 0;
}

static int p_dup(struct us_daemon *d, const struct uscheme_req *req,
		 void *state, const char *suffix, void **new_state)
{
	struct handle *h = state, *nh = NULL;
	char path[512];
	int err;

	(void)d;
	*new_state = NULL;
	switch (h->kind) {
	case H_CHANNEL:
		return channel_dup(h->fn, req, suffix);
	case H_ROOT:
	case H_FNDIR:
		if (!*suffix)
			break;
		/* Like openat: a path relative to this directory, read-only. */
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", h->fn ? h->fn->addr : "",
				     suffix) >= sizeof(path))
			return -ENAMETOOLONG;
		err = open_path(req, path, O_RDONLY, &nh);
		if (err == US_DEFER)	/* cannot happen read-only; be safe */
			return -EINVAL;
		*new_state = nh;
		return err;
	case H_CONFIG:
	case H_STATUS:
		if (*suffix)
			return -ENOTDIR;
		break;
	}
	/* "": the same resource, a handle of its own. */
	nh = handle_new(h->kind, h->fn);
	if (!nh)
		return -ENOMEM;
	nh->len = h->len;
	nh->cfg_limit = h->cfg_limit;
	if (h->text && !(nh->text = malloc(h->len + 1))) {
		free(nh);
		return -ENOMEM;
	}
	if (h->text)
		memcpy(nh->text, h->text, h->len + 1);
	if (h->cfg_fd >= 0 && (nh->cfg_fd = fcntl(h->cfg_fd, F_DUPFD_CLOEXEC, 0)) < 0) {
		err = -errno;
		free(nh->text);
		free(nh);
		return err;
	}
	*new_state = nh;
	return 0;
}

static int p_call(struct us_daemon *d, const struct uscheme_req *req,
		  void *state, void *buf, size_t in_len, size_t out_len)
{
	struct handle *h = state;

	(void)d;
	if (h->kind != H_CHANNEL)
		return -EINVAL;
	return channel_call(h->fn, req, buf, in_len, out_len);
}

static void p_close(struct us_daemon *d, void *state)
{
	(void)d;
	handle_free(state);
}

const struct us_scheme_ops pci_ops = {
	.open = p_open,
	.read = p_read,
	.write = p_write,
	.fstat = p_fstat,
	.dup = p_dup,
	.call = p_call,
	.close = p_close,
};
