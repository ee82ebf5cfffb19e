// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A stand-in vendor object for the host unit tests, built in variants by
 * selftests/Makefile.  The host has no vfmig.ko BTF, so it declares struct
 * vfmig_ops itself with the module's data members; libbpf opens it all the
 * same, which is all the tests need.
 */
#define SEC(name) __attribute__((section(name), used))

#ifndef NR_OPS_MAPS
#define NR_OPS_MAPS 1
#endif
#ifndef OPS_NAME
#define OPS_NAME ""	/* empty: the loader names it after the map */
#endif

struct vfmig_ops {
	char bdf[16];
	char name[32];
	unsigned int flags;
	int (*init)(void *dev);
};

int inits;	/* gives the object a .bss map besides the ops */

SEC("struct_ops/init")
int test_init(unsigned long long *ctx)
{
	inits++;
	return 0;
}

#if NR_OPS_MAPS >= 1
SEC(".struct_ops.link") struct vfmig_ops test_ops = {
	.name = OPS_NAME,
	.init = (void *)test_init,
};
#endif
#if NR_OPS_MAPS >= 2
SEC(".struct_ops.link") struct vfmig_ops other_ops = {
	.init = (void *)test_init,
};
#endif

char _license[] SEC("license") = "GPL";
