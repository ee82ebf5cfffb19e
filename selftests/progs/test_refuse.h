/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Refusals for the tests, built into selftests/progs/edu_refuse.bpf.o (edu.bpf.c with
 * EDU_REFUSE): the edu_refuse map names one arc, where to answer it
 * (set_state, or the save() or load() that follows it) and what to return
 * there, VFMIG_REFUSE(errno) or anything a hostile program would.  It logs
 * the arcs set_state saw, so a test sees the way back after a refusal.
 */
#ifndef _VFMIG_TEST_REFUSE_H
#define _VFMIG_TEST_REFUSE_H

#define REFUSE_LOG	16

struct edu_refuse_cfg {
	__u32 from;		/* the arc: ERROR -> ERROR (none) unless set */
	__u32 to;
	__u32 in_data;		/* 0: set_state answers; 1: save() or load() */
	__s32 ret;		/* the answer */
	__u32 last_from;	/* the arc set_state saw last */
	__u32 last_to;
	__u32 answered;		/* times it gave the answer */
	__u32 nr_arcs;
	__u32 arcs[REFUSE_LOG];	/* from * 10 + to, in order */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct edu_refuse_cfg);
} edu_refuse SEC(".maps");

static struct edu_refuse_cfg *refuse_cfg(void)
{
	__u32 key = 0;

	return bpf_map_lookup_elem(&edu_refuse, &key);
}

static int refuse_answer(struct edu_refuse_cfg *c, __u32 from, __u32 to,
			 __u32 in_data)
{
	if (c->from != from || c->to != to || c->in_data != in_data ||
	    from == to)
		return 0;
	c->answered++;
	return c->ret;
}

/* From set_state(): log the arc; the answer if set_state is to give it. */
static int edu_refuse_arc(__u32 from, __u32 to)
{
	struct edu_refuse_cfg *c = refuse_cfg();
	__u32 n;

	if (!c)
		return 0;
	n = c->nr_arcs;
	if (n < REFUSE_LOG)
		c->arcs[n] = from * 10 + to;
	c->nr_arcs = n + 1;
	c->last_from = from;
	c->last_to = to;
	return refuse_answer(c, from, to, 0);
}

/* From save() and load(): the answer for the arc set_state just took. */
static int edu_refuse_data(void)
{
	struct edu_refuse_cfg *c = refuse_cfg();

	if (!c)
		return 0;
	return refuse_answer(c, c->last_from, c->last_to, 1);
}

#endif /* _VFMIG_TEST_REFUSE_H */
