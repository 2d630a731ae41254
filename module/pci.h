/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Device services: PCI functions handed to uscheme's stub driver, served by
 * the kernel as the "pcidev" scheme (see uapi/uscheme.h).
 *
 *   pci.c     the stub driver, the function registry, sessions, teardown,
 *             the function handle (config space, ioctls)
 *   config.c  the config-space write policy
 *   bar.c     BAR fds: mmap and register access
 *   dma.c     DMA buffer fds
 *   irq.c     interrupt vectors and their fds
 *
 * A function (struct uscheme_pcifn) lives from probe until its last
 * reference: the binding holds one, and so does every file of a session.
 *
 * Session state machine, under fn->lock:
 *
 *   IDLE --first open of the function handle--> ACTIVE
 *   ACTIVE --last session file released--> IDLE   (uscheme_session_end)
 *   ACTIVE --unbind (remove)--> REVOKED            (hardware torn down,
 *                                                  mmaps zapped)
 *   REVOKED --last session file released--> IDLE  (nothing left to do)
 *   IDLE --unbind--> gone (no session can start: fn->bound is false)
 *
 * Teardown (end or revoke) is always: bus mastering off, then interrupts
 * freed, then DMA memory freed, then the function reset where it supports
 * a reset and its config space put back as the session found it, then the
 * regions released and the device disabled. Nothing the device could still
 * write to is freed before it. A session starts with a reset too when the
 * last one could not be done (uscheme_session_start), so no driver sees
 * the device state another left behind.
 *
 * Decode: fn->decode mirrors the command register's IO and MEMORY bits as
 * the session set them (only config writes through the function handle
 * change them during a session). While MEMORY is off no BAR page is mapped:
 * the config write that turns it off zaps every BAR mapping first, and the
 * fault handler refuses (SIGBUS) until it is on again; BAR pread/pwrite
 * fail with -EIO while their BAR's decode is off (the class of
 * CVE-2020-12888: an access to a BAR that does not decode is an
 * Unsupported Request, fatal on some platforms).
 *
 * Lock order: mmap_lock -> fn->lock -> i_mmap_rwsem (unmap_mapping_range)
 *             -> vec->lock (irq.c, also taken in hard interrupt context).
 * The PCI device lock is taken under fn->lock only by trylock (a reset at
 * session end; remove() holds it and then takes fn->lock).
 * No copy_{to,from}_user under fn->lock: a fault takes mmap_lock.
 */
#ifndef _USCHEME_PCI_H
#define _USCHEME_PCI_H

#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/wait.h>

#include "../uapi/uscheme.h"

#define USCHEME_PCIDEV_SCHEME	"pcidev"

enum uscheme_session {
	USCHEME_SESSION_IDLE,
	USCHEME_SESSION_ACTIVE,
	USCHEME_SESSION_REVOKED,
};

/* A config-space byte range [start, end) a user may not write. */
struct uscheme_cfg_range {
	u16 start;
	u16 end;
};

/*
 * The ranges of config space the kernel keeps for itself (config.c says
 * why each); an absent capability's range is empty.
 */
enum uscheme_cfg_guard {
	USCHEME_CFG_MSI,
	USCHEME_CFG_MSIX,
	USCHEME_CFG_PM,
	USCHEME_CFG_EXP_DEVCTL,		/* PCIe capability: Device Control */
	USCHEME_CFG_AF,			/* Advanced Features (FLR) */
	USCHEME_CFG_ACS,
	USCHEME_CFG_REBAR,
	USCHEME_CFG_VF_REBAR,
	USCHEME_CFG_SRIOV,
	USCHEME_CFG_ATS,
	USCHEME_CFG_PRI,
	USCHEME_CFG_PASID,
	USCHEME_CFG_GUARDED
};

/* What config.c needs to judge a write: kept apart so KUnit can build one. */
struct uscheme_cfg_policy {
	u32 size;			/* config space size */
	struct uscheme_cfg_range guarded[USCHEME_CFG_GUARDED];
};

/* A BAR range user space must not reach (the MSI-X table, the PBA). */
struct uscheme_bar_hole {
	int bar;			/* -1: none */
	u32 start;
	u32 end;
};

struct uscheme_irq_vec;

struct uscheme_pcifn {
	struct kref ref;
	struct list_head node;		/* uscheme_pcifns, under its mutex */
	struct pci_dev *pdev;		/* reference held */
	char name[32];			/* "0000:00:04.0"; also the irq name */
	struct uscheme_cfg_policy policy;
	struct uscheme_bar_hole holes[2];

	struct mutex lock;		/* protects everything below */
	bool bound;			/* between probe and remove */
	/*
	 * A session file an ioctl or open made (defer set): installed only
	 * after its fd number reached the caller and fn->lock was dropped, so
	 * nothing can fail after fd_install().
	 */
	bool defer;
	struct file *deferred;
	int deferred_fd;
	enum uscheme_session state;
	unsigned int files;		/* open files of the session */
	struct list_head session_files;	/* struct uscheme_devfile.node */
	void __iomem *iomap[USCHEME_PCI_BARS]; /* for BAR pread/pwrite */
	u16 decode;			/* PCI_COMMAND_IO | _MEMORY now on */
	bool needs_reset;		/* no reset since the last session */
	struct pci_saved_state *saved;	/* config space at session start */
	/* irq.c */
	u32 irq_mode;			/* USCHEME_IRQ_*, 0 before setup */
	u32 nvec;
	struct uscheme_irq_vec *vecs;
	/* dma.c */
	struct list_head dma_bufs;	/* struct uscheme_dma_buf.node */
	u64 dma_bytes;			/* allocated, kept ones included */
};

enum uscheme_devfile_kind {
	USCHEME_DEVFILE_FN,
	USCHEME_DEVFILE_BAR,
	USCHEME_DEVFILE_DMA,
	USCHEME_DEVFILE_IRQ,
};

/* One file of a session; each holds a reference on its function. */
struct uscheme_devfile {
	struct uscheme_pcifn *fn;
	enum uscheme_devfile_kind kind;
	struct list_head node;		/* fn->session_files, under fn->lock */
	struct address_space *mapping;	/* its inode's: for revoking mmaps */
	union {
		int bar;
		struct uscheme_dma_buf *buf;
		struct uscheme_irq_vec *vec;
	};
};

int uscheme_pci_init(void);
void uscheme_pci_exit(void);
int uscheme_pcidev_open(const char *path, u32 flags, int __user *ufd);

/* pci.c, for the files of a session */
int uscheme_devfile_install(struct uscheme_pcifn *fn, enum uscheme_devfile_kind kind,
			    const struct file_operations *fops, const char *what,
			    loff_t size, u32 oflags, int bar, void *obj);
int uscheme_devfile_release(struct inode *inode, struct file *file);
bool uscheme_session_live(struct uscheme_pcifn *fn);
void uscheme_session_unmap(struct uscheme_pcifn *fn, bool bars_only);

/* config.c */
void uscheme_cfg_policy_init(struct uscheme_cfg_policy *p, struct pci_dev *pdev);
int uscheme_cfg_write_check(const struct uscheme_cfg_policy *p, u32 off,
			    const u8 *data, u32 len, u16 cmd);
u16 uscheme_cfg_new_cmd(u32 off, const u8 *data, u32 len, u16 cmd);
ssize_t uscheme_cfg_read(struct pci_dev *pdev, u32 off, u8 *buf, u32 len);
ssize_t uscheme_cfg_write(struct pci_dev *pdev, u32 off, const u8 *buf, u32 len);

/* bar.c */
void uscheme_bar_holes_init(struct uscheme_pcifn *fn);
bool uscheme_bar_in_hole(const struct uscheme_pcifn *fn, int bar, u64 start, u64 end);
int uscheme_bar_open(struct uscheme_pcifn *fn, struct uscheme_pci_fd *arg);
void uscheme_bar_teardown(struct uscheme_pcifn *fn);

/* dma.c */
struct uscheme_dma_buf;
void uscheme_dma_release(struct uscheme_pcifn *fn, struct uscheme_dma_buf *buf);
int uscheme_dma_alloc(struct uscheme_pcifn *fn, struct uscheme_dma *arg);
void uscheme_dma_teardown(struct uscheme_pcifn *fn);

/* irq.c */
int uscheme_irq_setup(struct uscheme_pcifn *fn, struct uscheme_irq_setup *arg);
int uscheme_irq_open(struct uscheme_pcifn *fn, struct uscheme_pci_fd *arg);
void uscheme_irq_teardown(struct uscheme_pcifn *fn);
void uscheme_irq_free_vecs(struct uscheme_pcifn *fn);

#endif /* _USCHEME_PCI_H */
