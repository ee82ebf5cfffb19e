// SPDX-License-Identifier: GPL-2.0
/*
 * What programs say: bpf_vfmig_log() messages, kept per device and let
 * into the kernel log with a rate limit.
 *
 * bpf_printk() is for a developer at a trace pipe; an operator reads the
 * kernel log and `vfmig-load status`.  Every message goes into the device's
 * ring (its last %VFMIG_LOG_RING, sysfs vfmig/messages); at most
 * %VFMIG_LOG_BURST a device every %VFMIG_LOG_INTERVAL_MS also reach the
 * kernel log, named by the device, so a program logging from a hot hook
 * cannot flood it.  The text is the program's, so it is cut, and anything
 * but printable ASCII is replaced, before anyone sees it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/pci.h>
#include <linux/spinlock.h>

#include "internal.h"

/**
 * vfmig_log_init() - an empty log, for a device being bound
 * @log: the device's log
 */
void vfmig_log_init(struct vfmig_log *log)
{
	spin_lock_init(&log->lock);
	log->window_start = jiffies;
}

/* @len bytes of @msg up to a NUL, printable ASCII, NUL-terminated. */
static void vfmig_log_clean(char *dst, const char *msg, u32 len)
{
	u32 i;

	len = min_t(u32, len, VFMIG_LOG_LEN - 1);
	for (i = 0; i < len && msg[i]; i++)
		dst[i] = msg[i] >= ' ' && msg[i] <= '~' ? msg[i] : '?';
	dst[i] = '\0';
}

/**
 * vfmig_log_add() - keep a program's message, and log it if the rate allows
 * @b: the binding of the program that said it
 * @msg: its bytes, not trusted to hold a NUL
 * @len: how many
 *
 * Context: any (the callers include region hooks under RCU); takes the
 * log's spinlock with interrupts off, and prints after dropping it.
 */
void vfmig_log_add(struct vfmig_binding *b, const char *msg, u32 len)
{
	struct vfmig_device *mdev = b->mdev;
	struct vfmig_log *log = &mdev->log;
	unsigned int suppressed = 0;
	char text[VFMIG_LOG_LEN];
	unsigned long flags;
	bool print = false;
	u64 seq;

	vfmig_log_clean(text, msg, len);

	spin_lock_irqsave(&log->lock, flags);
	seq = log->seq++;
	log->msg[seq % VFMIG_LOG_RING].seq = seq;
	snprintf(log->msg[seq % VFMIG_LOG_RING].text,
		 sizeof(log->msg[0].text), "%s: %s", b->ops->name, text);
	if (time_after(jiffies, log->window_start +
		       msecs_to_jiffies(VFMIG_LOG_INTERVAL_MS))) {
		log->window_start = jiffies;
		log->printed = 0;
	}
	if (log->printed < VFMIG_LOG_BURST) {
		log->printed++;
		print = true;
		suppressed = log->suppressed;
		log->suppressed = 0;
	} else {
		log->suppressed++;
	}
	spin_unlock_irqrestore(&log->lock, flags);

	if (!print)
		return;
	if (suppressed)
		pci_info(mdev->core.pdev, "program messages: %u suppressed\n",
			 suppressed);
	pci_info(mdev->core.pdev, "program %s: %s\n", b->ops->name, text);
}

/**
 * vfmig_log_show() - the device's kept messages, for sysfs
 * @log: the device's log
 * @buf: a sysfs page
 *
 * One line a message, oldest first: its number, then "program: text".
 *
 * Return: the bytes written.
 */
ssize_t vfmig_log_show(struct vfmig_log *log, char *buf)
{
	unsigned long flags;
	ssize_t len = 0;
	u64 seq, first;

	spin_lock_irqsave(&log->lock, flags);
	first = log->seq > VFMIG_LOG_RING ? log->seq - VFMIG_LOG_RING : 0;
	for (seq = first; seq < log->seq; seq++)
		len += sysfs_emit_at(buf, len, "%llu %s\n", seq,
				     log->msg[seq % VFMIG_LOG_RING].text);
	spin_unlock_irqrestore(&log->lock, flags);
	return len;
}
