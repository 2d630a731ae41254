/* SPDX-License-Identifier: MIT */
/*
 * The driver's side of a pcid channel (pcid.h): what a driver pcid spawned
 * (pciprobe, xhcid) calls to reach its device. Every call is a blocking
 * uscheme op on the channel handle (DUP or CALL) and returns >= 0 or -errno;
 * -EPIPE means pcid is gone.
 *
 *   int ch = pcidrv_channel(argv_channel);	// --channel FD, else $PCID_CHANNEL_FD
 *   struct uscheme_pci_info info;
 *   pcidrv_info(ch, &info);
 *   size_t len = 4096;
 *   volatile uint32_t *regs = pcidrv_map_bar(ch, 0, 0, &len, NULL);	// BAR0's first page
 *   pcidrv_master(ch, 1);				// bus mastering on
 *   struct uscheme_irq_setup irq;
 *   pcidrv_irq_setup(ch, USCHEME_IRQ_AUTO, 1, &irq);
 *   int ifd = pcidrv_irq(ch, 0);			// read/poll/FILES_UPDATE
 *   struct pcidrv_dma buf;
 *   pcidrv_dma_alloc(ch, 65536, &buf);		// buf.map, buf.bus, buf.size
 *
 * A driver whose scheme's objects want drivers of their own (xhcid: USB
 * interfaces) asks pcid to start and stop them (PCID_CALL_CHILD_START and
 * _STOP): pcidrv_child_start/_stop block; pcidrv_prep_child_start/_stop
 * fill an SQE of the driver's client ring (its reactor's), so that a
 * driver serving its scheme never waits for pcid.
 *
 * Built with pcisysfs.c as libpcidrv.a (userspace-drivers/Makefile).
 */
#ifndef PCIDRV_H
#define PCIDRV_H

#include <stddef.h>
#include <stdint.h>

#include "../../uapi/uscheme.h"
#include "../pcid/pcid.h"

/* The channel fd: arg (decimal) if not NULL, else $PCID_CHANNEL_FD; -EBADF if neither. */
int pcidrv_channel(const char *arg);

int pcidrv_info(int ch, struct uscheme_pci_info *info);
int pcidrv_master(int ch, int on);
/* mode USCHEME_IRQ_AUTO or one mode; out: the mode and vectors given. */
int pcidrv_irq_setup(int ch, uint32_t mode, uint32_t nvec, struct uscheme_irq_setup *out);

/* New fds (O_CLOEXEC) of the kernel's, passed on by pcid. */
int pcidrv_function(int ch);
int pcidrv_bar(int ch, unsigned int index);
int pcidrv_irq(int ch, unsigned int vector);

/*
 * Map *len bytes of a memory BAR from offset off (page aligned) read-write
 * (MAP_SHARED; the kernel maps it uncached); *len 0: to the BAR's end (*len
 * gets the length). The kernel refuses pages holding the MSI-X table or PBA
 * (EACCES; USCHEME_BAR_MSIX in the info says a BAR has them). *fdp (may be
 * NULL) gets the BAR's fd, else it is closed (the mapping stays). NULL with
 * errno set (positive) on failure.
 */
void *pcidrv_map_bar(int ch, unsigned int index, size_t off, size_t *len, int *fdp);

struct pcidrv_dma {
	int fd;
	void *map;		/* size bytes, read-write, zeroed */
	size_t size;		/* whole pages */
	uint64_t bus;		/* the device's address of map[0] */
};

/* A DMA buffer of at least size bytes, mapped. 0 or -errno. */
int pcidrv_dma_alloc(int ch, size_t size, struct pcidrv_dma *out);
void pcidrv_dma_free(struct pcidrv_dma *buf);

/*
 * PCID_CALL_CHILD_START: start a driver for one object of our scheme
 * (req: pcid.h). name (nlen bytes, may be NULL/0) gets the program's name,
 * NUL-terminated. 0 or -errno (pcid.h: -ENOENT no rule, -EPERM no
 * child-config=, -EEXIST, -ENOSPC, ...; -EINVAL: a pcid without children).
 */
int pcidrv_child_start(int ch, const struct pcid_child_req *req, char *name, size_t nlen);
/* PCID_CALL_CHILD_STOP: SIGTERM to port's children (0: all): how many, or -errno. */
int pcidrv_child_stop(int ch, uint32_t port);
/*
 * The same as a CALL SQE of a client ring; the CQE's res as above (START:
 * the bytes of name written). req, name and *port are read and written
 * when the kernel routes the CALL: they must stay until its CQE.
 */
void pcidrv_prep_child_start(struct uscheme_sqe *sqe, int ch, const struct pcid_child_req *req,
			     char *name, uint32_t nlen, uint64_t user_data);
void pcidrv_prep_child_stop(struct uscheme_sqe *sqe, int ch, const uint32_t *port,
			    uint64_t user_data);

#endif /* PCIDRV_H */
