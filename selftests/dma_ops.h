/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* vfio-ops: its DMA mapping and dirty-log operations (dma_ops.c). */
#ifndef VFMIG_DMA_OPS_H
#define VFMIG_DMA_OPS_H

#include <stdint.h>

/*
 * Runs operation @argv if it is one of dma_ops.c's, on the device and
 * container given; @bar0 is BAR 0's file offset.  0, or -1 if it is not.
 */
int dma_op(int device_fd, int container, uint64_t bar0, int argc, char **argv);

#endif /* VFMIG_DMA_OPS_H */
