// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * An object the verifier rejects, for the host unit tests: its second
 * program reads through a made-up pointer after a long stretch of work, so
 * the log is longer than what vfmig-load shows without -v.  Socket filters
 * load on any kernel: no vfmig.ko needed.
 */
#define SEC(name) __attribute__((section(name), used))

SEC("socket")
int accepted_first(void *skb)
{
	return 0;
}

SEC("socket")
int rejected_second(void *skb)
{
	volatile int work = 1;

#pragma unroll
	for (int i = 0; i < 30; i++)
		work = work * 3 + 1;	/* one log line or more each */
	return *(int *)(long)work;
}

char _license[] SEC("license") = "GPL";
