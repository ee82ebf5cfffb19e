/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The operations of vfmig_igb_pf.ko, the PF channel's provider for the
 * Intel 82576 PF on the kernel's igb driver (Documentation/pf-channel.md):
 * read-only queries of what igb programmed for a VF, for programs
 * (bpf_vfmig_pf_call()) and the provider alike.  Every field is the
 * register as the PF holds it, little-endian host order.
 */
#ifndef _VFMIG_IGB_PF_H
#define _VFMIG_IGB_PF_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/*
 * VFMIG_IGB_PF_VIEW: argument a __u32 of flags, 0; result a
 * struct vfmig_igb_pf_view.
 */
#define VFMIG_IGB_PF_VIEW	1
/*
 * VFMIG_IGB_PF_RAR: argument a __u32, a receive-address entry (0 to
 * VFMIG_IGB_PF_MAX_MACS - 1); result a struct vfmig_igb_pf_mac, or
 * -ENOENT when the entry is not valid for this VF's pool.
 */
#define VFMIG_IGB_PF_RAR	2

#define VFMIG_IGB_PF_MAX_MACS	24	/* the 82576's receive-address entries */
#define VFMIG_IGB_PF_MAX_VLANS	32	/* its VLVF entries */

/* RAH: address valid, and the pool select bits (bit 18 + VF index). */
#define VFMIG_IGB_RAH_AV	0x80000000
#define VFMIG_IGB_RAH_POOL_SHIFT	18
/* VLVF: the VLAN id, the pool select bits (bit 12 + VF index), enable. */
#define VFMIG_IGB_VLVF_VID_MASK	0x00000fff
#define VFMIG_IGB_VLVF_POOL_SHIFT	12
#define VFMIG_IGB_VLVF_ENABLE	0x80000000
/* VMOLR: long packet maximum length, and the receive filters. */
#define VFMIG_IGB_VMOLR_RLPML_MASK	0x00003fff
#define VFMIG_IGB_VMOLR_LPE	0x00010000
#define VFMIG_IGB_VMOLR_AUPE	0x01000000
#define VFMIG_IGB_VMOLR_ROMPE	0x02000000
#define VFMIG_IGB_VMOLR_ROPE	0x04000000
#define VFMIG_IGB_VMOLR_BAM	0x08000000
#define VFMIG_IGB_VMOLR_MPME	0x10000000
/* VMVIR: the port VLAN (and priority) igb inserts for the VF. */
#define VFMIG_IGB_VMVIR_VLAN_MASK	0x0000ffff
#define VFMIG_IGB_VMVIR_DEFAULT	0x40000000

/* A receive-address entry whose pool bits include the VF. */
struct vfmig_igb_pf_mac {
	__u32 index;		/* the entry, 0 to 23 */
	__u32 ral;		/* address bytes 0-3 */
	__u32 rah;		/* bytes 4-5, pool bits, AV */
	__u32 pad;
};

/* A VLVF entry whose pool bits include the VF. */
struct vfmig_igb_pf_vlan {
	__u32 index;		/* the entry, 0 to 31 */
	__u32 vlvf;
};

/* What the PF programmed for VF n, read in one call. */
struct vfmig_igb_pf_view {
	__u32 vf;		/* n */
	__u32 nr_macs;		/* entries of @macs used */
	__u32 nr_vlans;		/* entries of @vlans used */
	__u32 vmolr;		/* VMOLR(n) */
	__u32 vmvir;		/* VMVIR(n): 0, or the port VLAN */
	__u32 rx_enabled;	/* the VF's bit of VFRE */
	__u32 tx_enabled;	/* the VF's bit of VFTE */
	__u32 pad;
	struct vfmig_igb_pf_mac macs[VFMIG_IGB_PF_MAX_MACS];
	struct vfmig_igb_pf_vlan vlans[VFMIG_IGB_PF_MAX_VLANS];
};

#endif /* _VFMIG_IGB_PF_H */
