// SPDX-License-Identifier: MIT
/* The driver's side of a pcid channel (pcidrv.h): libpcidrv. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../libuscheme/libuscheme.h"
#include "pcidrv.h"

int pcidrv_channel(const char *arg)
{
	const char *s = arg ? arg : getenv(PCID_ENV_CHANNEL);
	unsigned long v;
	char *end;

	if (!s || !*s)
		return -EBADF;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > 65535)
		return -EBADF;
	if (fcntl((int)v, F_GETFD) < 0)
		return -EBADF;
	return (int)v;
}

int pcidrv_info(int ch, struct uscheme_pci_info *info)
{
	int r = us_call(ch, NULL, 0, info, sizeof(*info), PCID_CALL_INFO);

	if (r < 0)
		return r;
	return r == (int)sizeof(*info) ? 0 : -EIO;
}

int pcidrv_master(int ch, int on)
{
	uint32_t v = on ? 1 : 0;
	int r = us_call(ch, &v, sizeof(v), NULL, 0, PCID_CALL_MASTER);

	return r < 0 ? r : 0;
}

int pcidrv_irq_setup(int ch, uint32_t mode, uint32_t nvec, struct uscheme_irq_setup *out)
{
	struct uscheme_irq_setup s;
	int r;

	memset(&s, 0, sizeof(s));
	s.mode = mode;
	s.nvec = nvec;
	r = us_call(ch, &s, sizeof(s), out, sizeof(*out), PCID_CALL_IRQ_SETUP);
	if (r < 0)
		return r;
	return r == (int)sizeof(*out) ? 0 : -EIO;
}

int pcidrv_function(int ch)
{
	return us_dup(ch, "function", O_CLOEXEC);
}

int pcidrv_bar(int ch, unsigned int index)
{
	char s[8];

	if (index >= USCHEME_PCI_BARS)
		return -EINVAL;
	snprintf(s, sizeof(s), "bar%u", index);
	return us_dup(ch, s, O_CLOEXEC);
}

int pcidrv_irq(int ch, unsigned int vector)
{
	char s[24];

	snprintf(s, sizeof(s), "irq/%u", vector);
	return us_dup(ch, s, O_CLOEXEC);
}

void *pcidrv_map_bar(int ch, unsigned int index, size_t off, size_t *len, int *fdp)
{
	struct stat st;
	size_t n;
	void *p;
	int fd = pcidrv_bar(ch, index), e;

	if (fd < 0) {
		errno = -fd;
		return NULL;
	}
	if (fstat(fd, &st)) {
		e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
	if (st.st_size <= 0 || off >= (size_t)st.st_size) {
		close(fd);
		errno = st.st_size <= 0 ? ENODEV : EINVAL;
		return NULL;
	}
	n = *len ? *len : (size_t)st.st_size - off;
	p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)off);
	if (p == MAP_FAILED) {
		e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
	*len = n;
	if (fdp)
		*fdp = fd;
	else
		close(fd);
	return p;
}

int pcidrv_dma_alloc(int ch, size_t size, struct pcidrv_dma *out)
{
	struct uscheme_dma info;
	char s[40];
	int fd, err;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	snprintf(s, sizeof(s), "dma/%zu", size);
	fd = us_dup(ch, s, O_CLOEXEC);
	if (fd < 0)
		return fd;
	memset(&info, 0, sizeof(info));
	if (ioctl(fd, USCHEME_PIOC_DMA_INFO, &info) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	out->map = mmap(NULL, (size_t)info.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (out->map == MAP_FAILED) {
		err = -errno;
		out->map = NULL;
		close(fd);
		return err;
	}
	out->fd = fd;
	out->size = (size_t)info.size;
	out->bus = info.bus_addr;
	return 0;
}

void pcidrv_dma_free(struct pcidrv_dma *buf)
{
	if (buf->map)
		munmap(buf->map, buf->size);
	if (buf->fd >= 0)
		close(buf->fd);
	buf->map = NULL;
	buf->fd = -1;
}

int pcidrv_child_start(int ch, const struct pcid_child_req *req, char *name, size_t nlen)
{
	int r;

	if (name && nlen)
		name[0] = 0;
	r = us_call(ch, req, sizeof(*req), nlen ? name : NULL, nlen, PCID_CALL_CHILD_START);
	if (r < 0)
		return r;
	if (name && nlen)
		name[(size_t)r < nlen ? (size_t)r : nlen - 1] = 0;
	return 0;
}

int pcidrv_child_stop(int ch, uint32_t port)
{
	return us_call(ch, &port, sizeof(port), NULL, 0, PCID_CALL_CHILD_STOP);
}

void pcidrv_prep_child_start(struct uscheme_sqe *sqe, int ch, const struct pcid_child_req *req,
			     char *name, uint32_t nlen, uint64_t user_data)
{
	us_prep_call(sqe, ch, req, sizeof(*req), nlen ? name : NULL, nlen, PCID_CALL_CHILD_START,
		     user_data);
}

void pcidrv_prep_child_stop(struct uscheme_sqe *sqe, int ch, const uint32_t *port,
			    uint64_t user_data)
{
	us_prep_call(sqe, ch, port, sizeof(*port), NULL, 0, PCID_CALL_CHILD_STOP, user_data);
}
