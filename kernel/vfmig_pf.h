/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The vfmig PF channel, for PF drivers and provider modules: typed
 * operations a PF offers for its VFs, which a vfmig program calls for its
 * own VF only (bpf_vfmig_pf_call()).  See Documentation/pf-channel.md.
 */
#ifndef _KERNEL_VFMIG_PF_H
#define _KERNEL_VFMIG_PF_H

#include <linux/list.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/types.h>

#include "../include/vfmig.h"

/*
 * Bounds every operation table keeps: an argument or result of at most
 * VFMIG_PF_MAX_SIZE bytes, a declared duration of at most
 * VFMIG_PF_MAX_OP_US (include/vfmig.h), at most VFMIG_PF_MAX_OPS
 * operations a provider.
 */
#define VFMIG_PF_MAX_OPS	64

/**
 * struct vfmig_pf_op - one operation a PF offers its VFs' programs
 * @id: what programs name it by, unique in the table, not 0
 * @name: for messages ("vf_view")
 * @arg_size: the argument's size in bytes, exactly (0 for none)
 * @res_size: the most bytes @call writes into its result, 1 to
 *            %VFMIG_PF_MAX_SIZE
 * @max_us: the longest one call may take, 1 to %VFMIG_PF_MAX_OP_US: a call
 *          measured longer disables the provider (see vfmig_pf_register())
 * @call: the operation, for VF @vf of @pf.  @arg holds @arg_size bytes the
 *        program gave (hostile: check every value), @res @res_size zeroed
 *        bytes.  Process context, may sleep, no vfmig lock held; calls for
 *        the same or other VFs may run concurrently.  Returns the bytes it
 *        wrote into @res (0 to @res_size), or a negative errno
 */
struct vfmig_pf_op {
	u32 id;
	const char *name;
	u32 arg_size;
	u32 res_size;
	u32 max_us;
	int (*call)(struct pci_dev *pf, unsigned int vf, const void *arg,
		    void *res);
};

/**
 * struct vfmig_pf_provider - the operations a PF offers, registered for it
 * @name: for messages: the provider ("igb-ro")
 * @ops: the table, constant while registered
 * @nr_ops: its entries, 1 to %VFMIG_PF_MAX_OPS
 *
 * The provider owns the structure (embed it in its own); the fields after
 * @nr_ops are vfmig's.
 */
struct vfmig_pf_provider {
	const char *name;
	const struct vfmig_pf_op *ops;
	unsigned int nr_ops;
	/* private: */
	struct module *owner;		/* whose code @ops is */
	struct pci_dev *pf;		/* referenced while registered */
	struct list_head node;		/* in vfmig's list of providers */
	atomic_t calls;			/* calls running */
	bool dead;			/* being unregistered: no new call */
	bool disabled;			/* an operation overran or broke its
					 * contract: calls fail until the
					 * provider registers again
					 */
};

int __vfmig_pf_register(struct pci_dev *pf, struct vfmig_pf_provider *p,
			struct module *owner);
void vfmig_pf_unregister(struct vfmig_pf_provider *p);

/* The calling module owns the operations (its refcount guards each call). */
#define vfmig_pf_register(pf, p)	__vfmig_pf_register(pf, p, THIS_MODULE)

#endif /* _KERNEL_VFMIG_PF_H */
