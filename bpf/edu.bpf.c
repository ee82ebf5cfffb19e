// SPDX-License-Identifier: GPL-2.0
/*
 * vfmig program for QEMU's "edu" device (1234:11e8), region part.
 *
 * Most edu registers can be read back, so saving them later is a read.
 * Two kinds cannot: the factorial register (0x08) reads back the result,
 * never the input, and the DMA set-up (0x80-0x9f) is consumed by a transfer
 * whose target pages must later be reported dirty.  Those are trapped; the
 * writes are recorded in a shadow and then passed through, so the guest
 * sees the device exactly as without the program.
 */
#include "vfmig.bpf.h"

#define EDU_BAR			0
#define EDU_FACT		0x08
#define EDU_STATUS		0x20
#define EDU_STATUS_COMPUTING	0x01
#define EDU_DMA_SRC		0x80
#define EDU_DMA_DST		0x88
#define EDU_DMA_CNT		0x90
#define EDU_DMA_CMD		0x98
#define EDU_DMA_END		0xa0
#define EDU_DMA_RUN		0x01

/* What the device was told, as far as it cannot tell us itself. */
struct edu_shadow {
	__u32 fact_input;	/* last factorial input the device accepted */
	__u32 pad;
	__u64 dma_src;		/* DMA set-up as last accepted */
	__u64 dma_dst;
	__u64 dma_cnt;
	__u64 dma_cmd;
	__u64 dma_started;	/* transfers started (cmd written with RUN) */
	__u64 writes;		/* trapped writes seen */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct edu_shadow);
} edu_shadow SEC(".maps");

SEC("struct_ops.s/init")
int BPF_PROG(edu_init, struct vfmig_dev *dev)
{
	int err;

	err = bpf_vfmig_trap_window(dev, EDU_BAR, EDU_FACT, 4);
	if (err)
		return err;
	return bpf_vfmig_trap_window(dev, EDU_BAR, EDU_DMA_SRC,
				     EDU_DMA_END - EDU_DMA_SRC);
}

SEC("struct_ops/region_write")
int BPF_PROG(edu_write, struct vfmig_dev *dev, struct vfmig_access *acc)
{
	struct edu_shadow *s;
	__u32 key = 0;
	__u64 status = 0;

	/* The device ignores anything but 4 bytes here, 4 or 8 for DMA. */
	if (acc->size != 4 && !(acc->size == 8 && acc->offset >= EDU_DMA_SRC))
		return VFMIG_PASS;

	s = bpf_map_lookup_elem(&edu_shadow, &key);
	if (!s)
		return VFMIG_PASS;
	s->writes++;

	if (acc->offset == EDU_FACT) {
		/* A write while computing is dropped by the device. */
		if (bpf_vfmig_bar_read(dev, EDU_BAR, EDU_STATUS, 4, &status))
			return -EIO;
		if (!(status & EDU_STATUS_COMPUTING))
			s->fact_input = acc->value;
		return VFMIG_PASS;
	}

	if (acc->offset >= EDU_DMA_SRC && acc->offset < EDU_DMA_END) {
		__u64 cmd = 0;

		/*
		 * Mirror the device: it decodes only each register's own
		 * address (a 4-byte write sets the whole register), freezes
		 * the set-up while a transfer runs and ignores a command
		 * without RUN.
		 */
		if (bpf_vfmig_bar_read(dev, EDU_BAR, EDU_DMA_CMD, 8, &cmd))
			return -EIO;
		if (cmd & EDU_DMA_RUN)
			return VFMIG_PASS;

		switch (acc->offset) {
		case EDU_DMA_SRC:
			s->dma_src = acc->value;
			break;
		case EDU_DMA_DST:
			s->dma_dst = acc->value;
			break;
		case EDU_DMA_CNT:
			s->dma_cnt = acc->value;
			break;
		case EDU_DMA_CMD:
			if (acc->value & EDU_DMA_RUN) {
				s->dma_cmd = acc->value;
				s->dma_started++;
			}
			break;
		}
	}
	return VFMIG_PASS;
}

VFMIG_OPS(edu,
	.init = (void *)edu_init,
	.region_write = (void *)edu_write,
);

char LICENSE[] SEC("license") = "GPL";
