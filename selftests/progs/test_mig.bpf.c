// SPDX-License-Identifier: GPL-2.0
/*
 * Synthetic migration program for tests and benchmarks: save() writes
 * config.save_bytes of a counting pattern in 4 KiB chunks, load() checks
 * it.  config.fail makes it misbehave on purpose.  It offers STOP_COPY
 * only (no P2P, no PRE_COPY), unlike edu, so both FSM shapes get walked.
 */
#include "vfmig.bpf.h"
#include "test_ids.h"

#define CHUNK		4096

enum {
	FAIL_NONE,
	FAIL_SAVE_ERROR,	/* save() calls bpf_vfmig_error() and returns 0 */
	FAIL_SET_STATE,		/* set_state() fails the arc into STOP_COPY */
	FAIL_LOAD,		/* load() returns -EIO */
};

struct mig_config {
	__u64 save_bytes;
	__u32 fail;
	__u32 pad;
};

struct mig_stats {
	__u64 saved;		/* bytes save() wrote */
	__u64 loaded;		/* bytes load() read */
	__u64 bad_chunks;	/* chunks load() found wrong */
	__u32 exits;
	__s32 exit_error;
	__u32 exit_reason;
	__u32 arcs;		/* set_state() calls */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mig_config);
} mig_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mig_stats);
} mig_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8[CHUNK]);
} mig_chunk SEC(".maps");

static __u32 zero;

struct loop_ctx {
	struct vfmig_stream *stream;
	__u8 *buf;
	struct mig_stats *st;
	int err;
};

static long save_chunk(__u64 i, void *data)
{
	struct loop_ctx *ctx = data;

	*(__u64 *)ctx->buf = i;
	ctx->err = bpf_vfmig_stream_write(ctx->stream, ctx->buf, CHUNK);
	if (ctx->err)
		return 1;
	ctx->st->saved += CHUNK;
	return 0;
}

static long load_chunk(__u64 i, void *data)
{
	struct loop_ctx *ctx = data;
	int n = bpf_vfmig_stream_read(ctx->stream, ctx->buf, CHUNK);

	if (n <= 0) {
		ctx->err = n;
		return 1;
	}
	ctx->st->loaded += n;
	if (n != CHUNK || *(__u64 *)ctx->buf != i)
		ctx->st->bad_chunks++;
	return 0;
}

/* The config, or NULL; fills @lc's chunk buffer and stats. */
static struct mig_config *mig_maps(struct loop_ctx *lc)
{
	lc->st = bpf_map_lookup_elem(&mig_stats, &zero);
	lc->buf = bpf_map_lookup_elem(&mig_chunk, &zero);
	if (!lc->st || !lc->buf)
		return NULL;
	return bpf_map_lookup_elem(&mig_config, &zero);
}

SEC("struct_ops.s/save")
int BPF_PROG(mig_save, struct vfmig_dev *dev, struct vfmig_stream *stream)
{
	struct loop_ctx lc = { .stream = stream };
	struct mig_config *cfg = mig_maps(&lc);

	if (!cfg)
		return -ENOENT;
	if (cfg->fail == FAIL_SAVE_ERROR) {
		bpf_vfmig_error(dev, -EIO);
		return 0;	/* the module must fail the save anyway */
	}
	bpf_loop(cfg->save_bytes / CHUNK, save_chunk, &lc, 0);
	return lc.err;
}

SEC("struct_ops.s/load")
int BPF_PROG(mig_load, struct vfmig_dev *dev, struct vfmig_stream *stream)
{
	struct loop_ctx lc = { .stream = stream };
	struct mig_config *cfg = mig_maps(&lc);

	if (!cfg)
		return -ENOENT;
	if (cfg->fail == FAIL_LOAD)
		return -EIO;
	bpf_loop(stream->length / CHUNK + 1, load_chunk, &lc, 0);
	if (lc.err < 0)
		return lc.err;
	return lc.st->bad_chunks ? -EINVAL : 0;
}

SEC("struct_ops.s/set_state")
int BPF_PROG(mig_set_state, struct vfmig_dev *dev, __u32 from, __u32 to)
{
	struct mig_config *cfg = bpf_map_lookup_elem(&mig_config, &zero);
	struct mig_stats *st = bpf_map_lookup_elem(&mig_stats, &zero);

	if (!cfg || !st)
		return -ENOENT;
	st->arcs++;
	if (cfg->fail == FAIL_SET_STATE && to == VFIO_DEVICE_STATE_STOP_COPY)
		return -EIO;
	return 0;
}

SEC("struct_ops/state_size")
__u64 BPF_PROG(mig_state_size, struct vfmig_dev *dev)
{
	struct mig_config *cfg = bpf_map_lookup_elem(&mig_config, &zero);

	return cfg ? cfg->save_bytes : 0;
}

SEC("struct_ops.s/exit")
void BPF_PROG(mig_exit, struct vfmig_dev *dev, struct vfmig_exit_info *info)
{
	struct mig_stats *st = bpf_map_lookup_elem(&mig_stats, &zero);

	if (!st)
		return;
	st->exits++;
	st->exit_error = info->error;
	st->exit_reason = info->reason;
}

VFMIG_OPS(test_mig,
	TEST_IDS,
	.version = 7,
	.save = (void *)mig_save,
	.load = (void *)mig_load,
	.set_state = (void *)mig_set_state,
	.state_size = (void *)mig_state_size,
	.exit = (void *)mig_exit,
);

char LICENSE[] SEC("license") = "GPL";
