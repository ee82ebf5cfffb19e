// SPDX-License-Identifier: GPL-2.0
/*
 * Test program the verifier must reject: a TCP congestion control (another
 * struct_ops type) calling a vfmig kfunc, which only vfmig_ops programs may.
 */
#include "vfmig.bpf.h"

SEC("struct_ops/foreign_init")
void BPF_PROG(foreign_init, struct sock *sk)
{
	__u64 v = 0;

	bpf_vfmig_config_read((struct vfmig_dev *)sk, 0, 4, &v);
}

SEC("struct_ops/foreign_ssthresh")
__u32 BPF_PROG(foreign_ssthresh, struct sock *sk)
{
	return 2;
}

SEC("struct_ops/foreign_undo_cwnd")
__u32 BPF_PROG(foreign_undo_cwnd, struct sock *sk)
{
	return 2;
}

SEC("struct_ops/foreign_cong_avoid")
void BPF_PROG(foreign_cong_avoid, struct sock *sk, __u32 ack, __u32 acked)
{
}

SEC(".struct_ops.link")
struct tcp_congestion_ops vfmig_foreign = {
	.init = (void *)foreign_init,
	.ssthresh = (void *)foreign_ssthresh,
	.undo_cwnd = (void *)foreign_undo_cwnd,
	.cong_avoid = (void *)foreign_cong_avoid,
	.name = "vfmig_foreign",
};

char LICENSE[] SEC("license") = "GPL";
