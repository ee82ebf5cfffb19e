// SPDX-License-Identifier: GPL-2.0
/*
 * Test program the kernel and vfmig-load must refuse: it declares a wait
 * budget of an hour, above VFMIG_WAIT_BUDGET_MS_MAX.
 */
#include "vfmig.bpf.h"
#include "test_ids.h"

VFMIG_OPS(test_bad_budget, TEST_IDS, .wait_budget_ms = 3600000);

char LICENSE[] SEC("license") = "GPL";
