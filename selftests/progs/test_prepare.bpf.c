// SPDX-License-Identifier: GPL-2.0
/*
 * prepare() under test: a PRE_COPY program whose save() writes one tagged
 * record a unit, whose prepare() records each unit it is handed, and whose
 * load() records what is left for it.  The ret_* and prepare_* globals
 * (set through selftests/attach-test) make prepare() hostile.
 */
#include "vfmig.bpf.h"
#include "test_ids.h"

#define TAG_PRECOPY	0x70726563	/* "prec" */
#define TAG_FINAL	0x66696e61	/* "fina" */

struct record {
	__u32 tag;
	__u32 seq;	/* save() calls before this one */
	__u64 pad[3];
};

/*
 * What the first prepare() returns; with prepare_error, it calls
 * bpf_vfmig_error() first.  With refuse_first_load, the first load()
 * refuses (VFMIG_REFUSE(EBUSY)), for the retry.
 */
volatile int ret_prepare;
volatile int prepare_error;
volatile int refuse_first_load;

/* What happened. */
volatile __u32 ev_save;
volatile __u32 ev_prepare;
volatile __u32 ev_prepare_phase;	/* stream->phase prepare() saw */
volatile __u64 ev_prepare_length;	/* of its unit */
volatile __u32 ev_prepare_tags;		/* records prepare() read, by tag */
volatile int ev_prepare_extra;		/* a read past its unit's end */
volatile __u32 ev_load;
volatile __u32 ev_load_prepared;	/* prepare() calls before load() */
volatile __u64 ev_load_length;
volatile __u32 ev_load_precopy;		/* pre-copy records load() read */
volatile __u32 ev_load_final;		/* final records load() read */

SEC("struct_ops.s/set_state")
int BPF_PROG(prep_set_state, struct vfmig_dev *dev, __u32 from, __u32 to)
{
	return 0;
}

SEC("struct_ops.s/save")
int BPF_PROG(prep_save, struct vfmig_dev *dev, struct vfmig_stream *stream)
{
	struct record r = {
		.tag = stream->phase == VFMIG_SAVE_PRECOPY ? TAG_PRECOPY :
							     TAG_FINAL,
		.seq = ev_save++,
	};

	return bpf_vfmig_stream_write(stream, &r, sizeof(r));
}

SEC("struct_ops.s/prepare")
int BPF_PROG(prep_prepare, struct vfmig_dev *dev, struct vfmig_stream *stream)
{
	struct record r = {};
	__u8 extra;
	int i;

	ev_prepare++;
	ev_prepare_phase = stream->phase;
	ev_prepare_length = stream->length;
	for (i = 0; i < 8; i++) {
		if (bpf_vfmig_stream_read(stream, &r, sizeof(r)) != sizeof(r))
			break;
		ev_prepare_tags |= r.tag == TAG_PRECOPY ? 1 : 2;
	}
	ev_prepare_extra = bpf_vfmig_stream_read(stream, &extra, 1);
	/* Hostile once: the next session's prepare() answers 0. */
	if (ev_prepare > 1)
		return 0;
	if (prepare_error)
		bpf_vfmig_error(dev, prepare_error);
	return ret_prepare;
}

SEC("struct_ops.s/load")
int BPF_PROG(prep_load, struct vfmig_dev *dev, struct vfmig_stream *stream)
{
	struct record r = {};
	int i;

	ev_load++;
	ev_load_prepared = ev_prepare;
	ev_load_length = stream->length;
	ev_load_precopy = 0;
	ev_load_final = 0;
	for (i = 0; i < 8; i++) {
		if (bpf_vfmig_stream_read(stream, &r, sizeof(r)) != sizeof(r))
			break;
		if (r.tag == TAG_PRECOPY)
			ev_load_precopy++;
		else if (r.tag == TAG_FINAL)
			ev_load_final++;
	}
	if (refuse_first_load && ev_load == 1)
		return VFMIG_REFUSE(EBUSY);
	return 0;
}

SEC("struct_ops/state_size")
__u64 BPF_PROG(prep_state_size, struct vfmig_dev *dev)
{
	return sizeof(struct record);
}

VFMIG_OPS(test_prepare,
	TEST_IDS,
	.flags = VFMIG_F_PRE_COPY,
	.set_state = (void *)prep_set_state,
	.save = (void *)prep_save,
	.load = (void *)prep_load,
	.prepare = (void *)prep_prepare,
	.state_size = (void *)prep_state_size,
);

char LICENSE[] SEC("license") = "GPL";
