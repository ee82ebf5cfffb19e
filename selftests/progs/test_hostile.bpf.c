// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile program for the safety tests: every callback returns what the
 * test set in the ret_* globals (through selftests/attach-test before load,
 * so init is covered too), and every event is counted in ev_*.  It offers
 * migration and DMA logging so that each callback can be reached, traps
 * BAR0 0x00-0x07 (unless no_window is set), and, with call_kfuncs set,
 * calls every kfunc with the arguments in kf_* from its region_read hook
 * and from set_state (and stream_write_bar from save), keeping each result
 * in kf_result_*.
 * With cfg_sweep set, the next set_state writes every byte of config
 * space back with the value it reads.
 */
#include "vfmig.bpf.h"
#include "test_ids.h"

/* What each callback returns (0 unless the test says otherwise). */
volatile int ret_init;
volatile int ret_region_read;
volatile int ret_region_write;
volatile int ret_set_state;
volatile int ret_save;
volatile int ret_load;
volatile __u64 ret_state_size;
volatile int ret_log_start;
volatile int ret_log_report;
/* init() declares this many more 8-byte windows (the 17th must fail). */
volatile int extra_windows;
/* init() declares no window at all (for devices without a BAR0). */
volatile int no_window;
/*
 * init() declares nr_regions vendor regions of region_size bytes and
 * region_flags, subtypes 1, 2, ... (all 1 with region_dup).
 */
volatile int nr_regions;
volatile __u64 region_size;
volatile __u32 region_flags;
volatile int region_dup;
/* Call bpf_vfmig_error(dev, error_value) from exit(). */
volatile int error_in_exit;
volatile int error_value;

/* What happened. */
volatile __u32 ev_exit;
volatile __u32 ev_exit_reason;
volatile int ev_exit_error;
volatile __u32 ev_open;
volatile __u32 ev_close;
volatile __u32 ev_reset;
volatile __u32 ev_region;

/* kfunc probing: one call per kind with these arguments. */
volatile int call_kfuncs;
volatile __u32 kf_bar;
volatile __u64 kf_offset;
volatile __u32 kf_size;
volatile __u64 kf_value;
volatile int kf_result_bar_read;
volatile int kf_result_bar_write;
volatile int kf_result_config_read;
volatile int kf_result_config_write;
volatile __u64 kf_read_value;
volatile int kf_result_trap_window;
volatile int kf_result_stream_write_bar;	/* from save() */
volatile int kf_result_region_add;	/* after init(): must fail */
volatile int kf_sleepable;	/* results above came from set_state */

/*
 * Config sweep, once: a bit per config space offset whose one-byte write
 * (of the value read there) succeeded; cfg_read_ok reads did (cfg_size).
 */
volatile int cfg_sweep;
volatile __u32 cfg_written[4096 / 32];
volatile __u32 cfg_read_ok;

struct sweep_ctx {
	struct vfmig_dev *dev;
};

/* bpf_loop callback: offset @i; stop past the end of config space. */
static long sweep_one(__u64 i, void *data)
{
	struct sweep_ctx *c = data;
	__u32 off = i & 4095;
	__u64 v = 0;

	if (bpf_vfmig_config_read(c->dev, off, 1, &v))
		return 1;
	cfg_read_ok++;
	if (!bpf_vfmig_config_write(c->dev, off, 1, v))
		cfg_written[off / 32] |= 1U << (off % 32);
	return 0;
}

static void probe_kfuncs(struct vfmig_dev *dev)
{
	__u64 v = 0;

	kf_result_bar_read = bpf_vfmig_bar_read(dev, kf_bar, kf_offset, kf_size, &v);
	kf_read_value = v;
	kf_result_bar_write = bpf_vfmig_bar_write(dev, kf_bar, kf_offset, kf_size,
						  kf_value);
	v = 0;
	kf_result_config_read = bpf_vfmig_config_read(dev, kf_offset, kf_size, &v);
	if (kf_result_config_read == 0)
		kf_read_value = v;
	kf_result_config_write = bpf_vfmig_config_write(dev, kf_offset, kf_size,
							kf_value);
	kf_result_trap_window = bpf_vfmig_trap_window(dev, 0, 0x40, 4);
	kf_result_region_add = bpf_vfmig_region_add(dev, 99, 4096, VFMIG_REGION_READ);
}

SEC("struct_ops.s/init")
int BPF_PROG(hostile_init, struct vfmig_dev *dev)
{
	int err = no_window ? 0 : bpf_vfmig_trap_window(dev, 0, 0x00, 8);

	for (int i = 0; i < 16 && !err; i++)
		if (i < extra_windows)
			err = bpf_vfmig_trap_window(dev, 0, 0x1000 + 16 * i, 8);
	for (int i = 0; i < 8 && !err; i++)
		if (i < nr_regions) {
			err = bpf_vfmig_region_add(dev, region_dup ? 1 : i + 1,
						   region_size, region_flags);
			if (err > 0)
				err = 0;	/* the region's number */
		}
	return err ?: ret_init;
}

SEC("struct_ops.s/exit")
void BPF_PROG(hostile_exit, struct vfmig_dev *dev, struct vfmig_exit_info *info)
{
	ev_exit++;
	ev_exit_reason = info->reason;
	ev_exit_error = info->error;
	if (error_in_exit)
		bpf_vfmig_error(dev, error_value);
}

SEC("struct_ops/region_read")
int BPF_PROG(hostile_read, struct vfmig_dev *dev, struct vfmig_access *acc)
{
	ev_region++;
	if (call_kfuncs) {
		kf_sleepable = 0;
		probe_kfuncs(dev);
	}
	acc->value = 0x5afe;
	return ret_region_read;
}

SEC("struct_ops/region_write")
int BPF_PROG(hostile_write, struct vfmig_dev *dev, struct vfmig_access *acc)
{
	ev_region++;
	return ret_region_write;
}

SEC("struct_ops.s/set_state")
int BPF_PROG(hostile_set_state, struct vfmig_dev *dev, __u32 from, __u32 to)
{
	if (call_kfuncs) {
		kf_sleepable = 1;
		probe_kfuncs(dev);
	}
	if (cfg_sweep) {
		struct sweep_ctx c = { .dev = dev };

		cfg_sweep = 0;
		bpf_loop(4096, sweep_one, &c, 0);
	}
	return ret_set_state;
}

SEC("struct_ops.s/save")
int BPF_PROG(hostile_save, struct vfmig_dev *dev, struct vfmig_stream *stream)
{
	__u64 word = 0x686f7374696c65;	/* "hostile" */

	bpf_vfmig_stream_write(stream, &word, sizeof(word));
	if (call_kfuncs)
		kf_result_stream_write_bar =
			bpf_vfmig_stream_write_bar(dev, stream, kf_bar, kf_offset,
						   kf_size);
	return ret_save;
}

SEC("struct_ops.s/load")
int BPF_PROG(hostile_load, struct vfmig_dev *dev, struct vfmig_stream *stream)
{
	return ret_load;
}

SEC("struct_ops/state_size")
__u64 BPF_PROG(hostile_state_size, struct vfmig_dev *dev)
{
	return ret_state_size;
}

SEC("struct_ops.s/log_start")
int BPF_PROG(hostile_log_start, struct vfmig_dev *dev, __u64 iova, __u64 length,
	     __u64 page_size)
{
	return ret_log_start;
}

SEC("struct_ops.s/log_report")
int BPF_PROG(hostile_log_report, struct vfmig_dev *dev, __u64 iova, __u64 length)
{
	return ret_log_report;
}

SEC("struct_ops.s/open")
void BPF_PROG(hostile_open, struct vfmig_dev *dev)
{
	ev_open++;
}

SEC("struct_ops.s/close")
void BPF_PROG(hostile_close, struct vfmig_dev *dev)
{
	ev_close++;
}

SEC("struct_ops.s/reset")
void BPF_PROG(hostile_reset, struct vfmig_dev *dev)
{
	ev_reset++;
}

VFMIG_OPS(test_hostile,
	TEST_IDS,
	.flags = VFMIG_F_P2P | VFMIG_F_DIRTY_LOG,
	.init = (void *)hostile_init,
	.exit = (void *)hostile_exit,
	.region_read = (void *)hostile_read,
	.region_write = (void *)hostile_write,
	.set_state = (void *)hostile_set_state,
	.save = (void *)hostile_save,
	.load = (void *)hostile_load,
	.state_size = (void *)hostile_state_size,
	.log_start = (void *)hostile_log_start,
	.log_report = (void *)hostile_log_report,
	.open = (void *)hostile_open,
	.close = (void *)hostile_close,
	.reset = (void *)hostile_reset,
);

char LICENSE[] SEC("license") = "GPL";
