// SPDX-License-Identifier: GPL-2.0
/* The tracepoints of kernel/trace.h, created once. */
#include "internal.h"

#define CREATE_TRACE_POINTS
#include "trace.h"
