// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupts as files: each vector of a session (MSI-X, MSI, or the one
 * INTx line) counts its interrupts; its fd reads the count since the last
 * acknowledgment, writes acknowledge, and polls readable while any are
 * pending, so FILES_UPDATE, poll and epoll all see interrupts as events.
 *
 * INTx is level-triggered and may be shared: the handler claims it only if
 * this function's interrupt status bit is set, and masks the function
 * (PCI_COMMAND_INTX_DISABLE) until the driver has acknowledged everything;
 * an unmask that finds the line still asserted counts a new interrupt and
 * stays masked.
 *
 * vec->lock (a spinlock taken in hard interrupt context) guards count,
 * acked, masked and dead. The vectors array lives from setup until the
 * session's last file is gone (uscheme_irq_free_vecs), so an interrupt fd
 * can use its vector without fn->lock.
 */
#include <linux/fs.h>
#include <linux/interrupt.h>
#include <linux/pci.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "pci.h"

struct uscheme_irq_vec {
	struct uscheme_pcifn *fn;
	spinlock_t lock;		/* count, acked, masked, dead */
	u64 count;			/* interrupts since setup */
	u64 acked;			/* of those, acknowledged */
	bool masked;			/* INTx: masked until all are acked */
	bool dead;			/* freed by teardown */
	int irq;			/* Linux irq, -1 when not requested */
	wait_queue_head_t wait;
};

static void uscheme_irq_wake(struct uscheme_irq_vec *vec)
{
	wake_up_poll(&vec->wait, EPOLLIN | EPOLLRDNORM);
}

static irqreturn_t uscheme_irq_msi(int irq, void *data)
{
	struct uscheme_irq_vec *vec = data;

	spin_lock(&vec->lock);
	vec->count++;
	spin_unlock(&vec->lock);
	uscheme_irq_wake(vec);
	return IRQ_HANDLED;
}

static irqreturn_t uscheme_irq_intx(int irq, void *data)
{
	struct uscheme_irq_vec *vec = data;

	/* Not ours (a shared line), or already masked: not claimed. */
	if (!pci_check_and_mask_intx(vec->fn->pdev))
		return IRQ_NONE;
	spin_lock(&vec->lock);
	vec->count++;
	vec->masked = true;
	spin_unlock(&vec->lock);
	uscheme_irq_wake(vec);
	return IRQ_HANDLED;
}

/* INTx: unmask, or count the interrupt still asserted. vec->lock held. */
static void uscheme_irq_intx_unmask(struct uscheme_irq_vec *vec)
{
	if (pci_check_and_unmask_intx(vec->fn->pdev)) {
		vec->masked = false;
	} else {
		vec->count++;
		vec->masked = true;
	}
}

static int uscheme_irq_request(struct uscheme_pcifn *fn, u32 mode, u32 nvec)
{
	struct pci_dev *pdev = fn->pdev;
	int n, i, ret;

	if (mode == USCHEME_IRQ_INTX) {
		if (!pdev->pin || !pdev->irq || !pci_intx_mask_supported(pdev))
			return -EOPNOTSUPP;
		n = 1;
	} else {
		if (mode == USCHEME_IRQ_MSIX ? !pdev->msix_cap : !pdev->msi_cap)
			return -EOPNOTSUPP;
		n = pci_alloc_irq_vectors(pdev, 1, nvec,
					  mode == USCHEME_IRQ_MSIX ? PCI_IRQ_MSIX : PCI_IRQ_MSI);
		if (n < 0)
			return n == -ENOSPC ? -ENOSPC : -EOPNOTSUPP;
	}
	fn->vecs = kcalloc(n, sizeof(*fn->vecs), GFP_KERNEL_ACCOUNT);
	if (!fn->vecs) {
		ret = -ENOMEM;
		goto free_vectors;
	}
	for (i = 0; i < n; i++) {
		struct uscheme_irq_vec *vec = &fn->vecs[i];

		vec->fn = fn;
		vec->irq = -1;
		spin_lock_init(&vec->lock);
		init_waitqueue_head(&vec->wait);
	}
	fn->irq_mode = mode;
	fn->nvec = n;
	if (mode == USCHEME_IRQ_INTX) {
		pci_intx(pdev, 0);
		ret = request_irq(pdev->irq, uscheme_irq_intx, IRQF_SHARED, fn->name,
				  &fn->vecs[0]);
		if (ret)
			goto free_vecs;
		fn->vecs[0].irq = pdev->irq;
		spin_lock_irq(&fn->vecs[0].lock);
		uscheme_irq_intx_unmask(&fn->vecs[0]);
		spin_unlock_irq(&fn->vecs[0].lock);
		return 0;
	}
	for (i = 0; i < n; i++) {
		ret = request_irq(pci_irq_vector(pdev, i), uscheme_irq_msi, 0, fn->name,
				  &fn->vecs[i]);
		if (ret)
			goto free_irqs;
		fn->vecs[i].irq = pci_irq_vector(pdev, i);
	}
	return 0;

free_irqs:
	while (i--)
		free_irq(fn->vecs[i].irq, &fn->vecs[i]);
free_vecs:
	uscheme_irq_free_vecs(fn);
free_vectors:
	if (mode != USCHEME_IRQ_INTX)
		pci_free_irq_vectors(pdev);
	return ret;
}

/* USCHEME_PIOC_IRQ_SETUP, under fn->lock with the session live. */
int uscheme_irq_setup(struct uscheme_pcifn *fn, struct uscheme_irq_setup *arg)
{
	static const u32 order[] = { USCHEME_IRQ_MSIX, USCHEME_IRQ_MSI, USCHEME_IRQ_INTX };
	int i, ret = -EOPNOTSUPP;

	lockdep_assert_held(&fn->lock);

	if (arg->resv || !arg->nvec)
		return -EINVAL;
	if (arg->mode != USCHEME_IRQ_AUTO && arg->mode != USCHEME_IRQ_MSIX &&
	    arg->mode != USCHEME_IRQ_MSI && arg->mode != USCHEME_IRQ_INTX)
		return -EINVAL;
	if (fn->irq_mode)
		return -EBUSY;
	for (i = 0; i < ARRAY_SIZE(order); i++) {
		if (arg->mode != USCHEME_IRQ_AUTO && arg->mode != order[i])
			continue;
		ret = uscheme_irq_request(fn, order[i], arg->nvec);
		if (!ret) {
			arg->mode = fn->irq_mode;
			arg->nvec = fn->nvec;
			return 0;
		}
	}
	return ret;
}

/* Session teardown, bus mastering already off: the vectors go. */
void uscheme_irq_teardown(struct uscheme_pcifn *fn)
{
	u32 i;

	lockdep_assert_held(&fn->lock);
	for (i = 0; i < fn->nvec; i++) {
		struct uscheme_irq_vec *vec = &fn->vecs[i];

		if (vec->irq >= 0)
			free_irq(vec->irq, vec);	/* waits for a running handler */
		vec->irq = -1;
		spin_lock_irq(&vec->lock);
		vec->dead = true;
		spin_unlock_irq(&vec->lock);
		wake_up_poll(&vec->wait, EPOLLERR | EPOLLHUP);
	}
	if (fn->irq_mode == USCHEME_IRQ_INTX)
		pci_intx(fn->pdev, 0);
	else if (fn->irq_mode)
		pci_free_irq_vectors(fn->pdev);
	fn->irq_mode = 0;
}

/* No interrupt fd is left: the vectors array goes. */
void uscheme_irq_free_vecs(struct uscheme_pcifn *fn)
{
	kfree(fn->vecs);
	fn->vecs = NULL;
	fn->nvec = 0;
	fn->irq_mode = 0;
}

static ssize_t uscheme_irq_read(struct file *file, char __user *ubuf, size_t len,
				loff_t *ppos)
{
	struct uscheme_devfile *df = file->private_data;
	struct uscheme_irq_vec *vec = df->vec;
	u64 pending;
	bool dead;
	int ret;

	if (len < sizeof(u64))
		return -EINVAL;
	for (;;) {
		spin_lock_irq(&vec->lock);
		pending = vec->count - vec->acked;
		dead = vec->dead;
		spin_unlock_irq(&vec->lock);
		if (dead)
			return -ENODEV;
		if (pending)
			break;
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(vec->wait, READ_ONCE(vec->dead) ||
					       READ_ONCE(vec->count) != READ_ONCE(vec->acked));
		if (ret)
			return ret;
	}
	return copy_to_user(ubuf, &pending, sizeof(pending)) ? -EFAULT : sizeof(pending);
}

static ssize_t uscheme_irq_write(struct file *file, const char __user *ubuf,
				 size_t len, loff_t *ppos)
{
	struct uscheme_devfile *df = file->private_data;
	struct uscheme_irq_vec *vec = df->vec;
	ssize_t ret = sizeof(u64);
	u64 n;

	if (len < sizeof(n))
		return -EINVAL;
	if (copy_from_user(&n, ubuf, sizeof(n)))
		return -EFAULT;
	spin_lock_irq(&vec->lock);
	if (vec->dead) {
		ret = -ENODEV;
	} else if (!n || n > vec->count - vec->acked) {
		ret = -EINVAL;	/* acknowledging interrupts that never came */
	} else {
		vec->acked += n;
		if (vec->masked && vec->acked == vec->count)
			uscheme_irq_intx_unmask(vec);
	}
	spin_unlock_irq(&vec->lock);
	if (ret > 0 && vec->count != vec->acked)
		uscheme_irq_wake(vec);
	return ret;
}

static __poll_t uscheme_irq_poll(struct file *file, poll_table *pt)
{
	struct uscheme_devfile *df = file->private_data;
	struct uscheme_irq_vec *vec = df->vec;
	__poll_t mask = 0;

	poll_wait(file, &vec->wait, pt);
	spin_lock_irq(&vec->lock);
	if (vec->dead)
		mask = EPOLLERR | EPOLLHUP;
	else if (vec->count != vec->acked)
		mask = EPOLLIN | EPOLLRDNORM;
	spin_unlock_irq(&vec->lock);
	return mask;
}

static const struct file_operations uscheme_irq_fops = {
	.owner		= THIS_MODULE,
	.read		= uscheme_irq_read,
	.write		= uscheme_irq_write,
	.poll		= uscheme_irq_poll,
	.llseek		= noop_llseek,
	.release	= uscheme_devfile_release,
};

/* USCHEME_PIOC_IRQ_OPEN, under fn->lock with the session live. */
int uscheme_irq_open(struct uscheme_pcifn *fn, struct uscheme_pci_fd *arg)
{
	char what[16];
	int fd;

	lockdep_assert_held(&fn->lock);
	if ((arg->flags & ~O_CLOEXEC) || arg->resv)
		return -EINVAL;
	if (arg->index >= fn->nvec)
		return -ENOENT;
	snprintf(what, sizeof(what), "/irq%u", arg->index);
	fd = uscheme_devfile_install(fn, USCHEME_DEVFILE_IRQ, &uscheme_irq_fops, what, 0,
				     arg->flags, 0, &fn->vecs[arg->index]);
	if (fd < 0)
		return fd;
	arg->fd = fd;
	return 0;
}
