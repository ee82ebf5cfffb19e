/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of vfmig.ko: what a program did, for perf and bpftrace
 * (events vfmig:*).  Created in kernel/trace.c.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM vfmig

#if !defined(_VFMIG_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _VFMIG_TRACE_H

#include <linux/tracepoint.h>
#include <linux/vfio.h>

#define vfmig_show_state(s)						\
	__print_symbolic(s,						\
		{ VFIO_DEVICE_STATE_ERROR, "error" },			\
		{ VFIO_DEVICE_STATE_STOP, "stop" },			\
		{ VFIO_DEVICE_STATE_RUNNING, "running" },		\
		{ VFIO_DEVICE_STATE_STOP_COPY, "stop-copy" },		\
		{ VFIO_DEVICE_STATE_RESUMING, "resuming" },		\
		{ VFIO_DEVICE_STATE_RUNNING_P2P, "running-p2p" },	\
		{ VFIO_DEVICE_STATE_PRE_COPY, "pre-copy" },		\
		{ VFIO_DEVICE_STATE_PRE_COPY_P2P, "pre-copy-p2p" })

/* The device's migration state changed: an arc done, an error, a reset. */
TRACE_EVENT(vfmig_state,
	    TP_PROTO(const char *bdf, u32 from, u32 to),
	    TP_ARGS(bdf, from, to),
	    TP_STRUCT__entry(__string(bdf, bdf)
			     __field(u32, from)
			     __field(u32, to)),
	    TP_fast_assign(__assign_str(bdf);
			   __entry->from = from;
			   __entry->to = to;),
	    TP_printk("%s %s -> %s", __get_str(bdf),
		      vfmig_show_state(__entry->from), vfmig_show_state(__entry->to)));

/* A callback of a program returned: what, how long it ran. */
TRACE_EVENT(vfmig_callback,
	    TP_PROTO(const char *bdf, const char *prog, const char *cb, s64 ret,
		     u64 ns),
	    TP_ARGS(bdf, prog, cb, ret, ns),
	    TP_STRUCT__entry(__string(bdf, bdf)
			     __string(prog, prog)
			     __string(cb, cb)
			     __field(s64, ret)
			     __field(u64, ns)),
	    TP_fast_assign(__assign_str(bdf);
			   __assign_str(prog);
			   __assign_str(cb);
			   __entry->ret = ret;
			   __entry->ns = ns;),
	    TP_printk("%s %s %s ret=%lld ns=%llu", __get_str(bdf),
		      __get_str(prog), __get_str(cb), __entry->ret, __entry->ns));

/* A program refused an arc (VFMIG_REFUSE): the device stays in @from. */
TRACE_EVENT(vfmig_refuse,
	    TP_PROTO(const char *bdf, const char *prog, u32 from, u32 to, int err),
	    TP_ARGS(bdf, prog, from, to, err),
	    TP_STRUCT__entry(__string(bdf, bdf)
			     __string(prog, prog)
			     __field(u32, from)
			     __field(u32, to)
			     __field(int, err)),
	    TP_fast_assign(__assign_str(bdf);
			   __assign_str(prog);
			   __entry->from = from;
			   __entry->to = to;
			   __entry->err = err;),
	    TP_printk("%s %s refused %s -> %s err=%d", __get_str(bdf),
		      __get_str(prog), vfmig_show_state(__entry->from),
		      vfmig_show_state(__entry->to), __entry->err));

/* Trapped accesses held ("hold": ret, ns to drain) or let go (why). */
TRACE_EVENT(vfmig_hold,
	    TP_PROTO(const char *bdf, const char *what, int ret, u64 ns),
	    TP_ARGS(bdf, what, ret, ns),
	    TP_STRUCT__entry(__string(bdf, bdf)
			     __string(what, what)
			     __field(int, ret)
			     __field(u64, ns)),
	    TP_fast_assign(__assign_str(bdf);
			   __assign_str(what);
			   __entry->ret = ret;
			   __entry->ns = ns;),
	    TP_printk("%s %s ret=%d ns=%llu", __get_str(bdf), __get_str(what),
		      __entry->ret, __entry->ns));

/*
 * A read() of a saving data fd or a write() of a resuming one returned:
 * how many bytes were asked, the result (bytes or -errno).  The task of
 * the event is the VMM's thread that made the call (QEMU 10's multifd
 * transfer reads and writes from per-device threads).
 */
TRACE_EVENT(vfmig_data,
	    TP_PROTO(const char *bdf, bool write, size_t len, ssize_t ret),
	    TP_ARGS(bdf, write, len, ret),
	    TP_STRUCT__entry(__string(bdf, bdf)
			     __field(bool, write)
			     __field(size_t, len)
			     __field(ssize_t, ret)),
	    TP_fast_assign(__assign_str(bdf);
			   __entry->write = write;
			   __entry->len = len;
			   __entry->ret = ret;),
	    TP_printk("%s %s len=%zu ret=%zd", __get_str(bdf),
		      __entry->write ? "write" : "read", __entry->len,
		      __entry->ret));

#endif /* _VFMIG_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
