#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#
# In-VM tests: vfmig.ko in the real guest kernel, real BPF programs through
# the real verifier, real edu devices driven through the VFIO uAPI by
# selftests/vfio-ops.  Run by selftests/vmtest.sh; one test a function,
# listed in manifest.sh; ends with "N passed, N failed".
set -uo pipefail

# Tests to run: those named on the command line, or all of TESTS but
# those named with a leading '-'.
ONLY=() SKIP=()
for arg; do
	case $arg in
	-*) SKIP+=("${arg#-}") ;;
	*) ONLY+=("$arg") ;;
	esac
done
# The module built for the running kernel: the second tier's has its own.
KO=kernel/vfmig.ko
[ -e "build/kmod/$(uname -r)/kernel/vfmig.ko" ] && KO=build/kmod/$(uname -r)/kernel/vfmig.ko
LOAD=user/vfmig-load
CTL=user/vfmig-ctl
OPS=selftests/vfio-ops
TMP=$(mktemp -d)
read -r A B _ <<<"${VMTEST_EDU:?run me through selftests/vmtest.sh}"
VMDIR=$TMP/vms
# shellcheck source=selftests/vm/qemu_lib.sh
. selftests/vm/qemu_lib.sh
SYS=/sys/bus/pci/devices

# shellcheck source=selftests/vm/lib.sh
. selftests/vm/lib.sh
# shellcheck source=selftests/vm/attach.sh
. selftests/vm/attach.sh
# shellcheck source=selftests/vm/migration.sh
. selftests/vm/migration.sh
# shellcheck source=selftests/vm/qemu.sh
. selftests/vm/qemu.sh
# shellcheck source=selftests/vm/dirty.sh
. selftests/vm/dirty.sh
# shellcheck source=selftests/vm/hostile.sh
. selftests/vm/hostile.sh
# shellcheck source=selftests/vm/kfunc_bounds.sh
. selftests/vm/kfunc_bounds.sh
# shellcheck source=selftests/vm/config_writes.sh
. selftests/vm/config_writes.sh
# shellcheck source=selftests/vm/streams.sh
. selftests/vm/streams.sh
# shellcheck source=selftests/vm/waits.sh
. selftests/vm/waits.sh
# shellcheck source=selftests/vm/stress.sh
. selftests/vm/stress.sh
# shellcheck source=selftests/vm/nic.sh
. selftests/vm/nic.sh
# shellcheck source=selftests/vm/linux_guest.sh
. selftests/vm/linux_guest.sh
# shellcheck source=selftests/vm/dma_wait.sh
. selftests/vm/dma_wait.sh
# shellcheck source=selftests/vm/traps.sh
. selftests/vm/traps.sh
# shellcheck source=selftests/vm/user_fault.sh
. selftests/vm/user_fault.sh
# shellcheck source=selftests/vm/vendor_kit.sh
. selftests/vm/vendor_kit.sh
# shellcheck source=selftests/vm/install.sh
. selftests/vm/install.sh
# shellcheck source=selftests/vm/operator.sh
. selftests/vm/operator.sh
# shellcheck source=selftests/vm/refuse.sh
. selftests/vm/refuse.sh
# shellcheck source=selftests/vm/libvirt.sh
. selftests/vm/libvirt.sh
# shellcheck source=selftests/vm/pf_channel.sh
. selftests/vm/pf_channel.sh
# shellcheck source=selftests/vm/multifd.sh
. selftests/vm/multifd.sh
# shellcheck source=selftests/vm/prepare.sh
. selftests/vm/prepare.sh
# shellcheck source=selftests/vm/manifest.sh
. selftests/vm/manifest.sh
# The suite; the tests of the other VMs (manifest.sh) run only when named.
TESTS=("${SUITE_TESTS[@]}")

# Nothing in the kernel log since boot: the suite ends with it.
t_dmesg_clean() {
	local bad
	bad=$(dmesg | grep -E 'WARNING:|BUG:|Oops|Call Trace|UBSAN|KASAN|refcount_t|general protection' || true)
	[ -z "$bad" ] || fail "kernel complained: $bad"
}

# ---- main ------------------------------------------------------------------

{ modprobe vfio-pci && modprobe vfio_iommu_type1; } || { echo "cannot load vfio modules"; exit 1; }
insmod "$KO" || { echo "cannot load $KO"; exit 1; }
echo "kernel $(uname -r), module $KO, DMA logging via: $(log_ways)"
[ ${#ONLY[@]} -eq 0 ] || TESTS=("${ONLY[@]}")
for t in "${ONLY[@]}"; do
	declare -F "$t" >/dev/null || { echo "no test $t (the tests are listed in selftests/vm/manifest.sh)"; exit 1; }
done
for t in "${SKIP[@]}"; do
	found=
	for i in "${!TESTS[@]}"; do
		[ "${TESTS[i]}" = "$t" ] && unset 'TESTS[i]' && found=1
	done
	[ -n "$found" ] || { echo "no test $t to leave out"; exit 1; }
done

passed=0 failed=0
for t in "${TESTS[@]}"; do
	reset_state
	mark=$(($(dmesg | wc -l) + 1))
	start=$SECONDS
	if ("$t"); then
		splat=$(new_splats "$mark")
		if [ -z "$splat" ]; then
			echo "ok   $t ($((SECONDS - start)) s)"
			passed=$((passed + 1))
			continue
		fi
		echo "    FAIL: the kernel complained during $t:" >&2
		echo "$splat" >&2
		echo "    the first report in full:" >&2
		dmesg | tail -n +"$mark" | grep -E -A70 -m1 "$SPLAT" >&2
	fi
	echo "FAIL $t ($((SECONDS - start)) s)"
	failed=$((failed + 1))
done
reset_state
# Teardown: every program gone, the module removed; the kernel stays quiet.
mark=$(($(dmesg | wc -l) + 1))
for d in /sys/fs/bpf/vfmig/*/ "$HP"; do
	[ -e "$d" ] && rm -rf "$d"
done
[ -d /sys/module/vfmig_igb_pf ] && rmmod vfmig_igb_pf
for i in $(seq 50); do rmmod vfmig 2>/dev/null && break; sleep 0.1; done
splat=$(new_splats "$mark")
if [ -d /sys/module/vfmig ] || [ -n "$splat" ]; then
	echo "    FAIL: teardown: ${splat:-vfmig.ko could not be removed}" >&2
	echo "FAIL teardown"
	failed=$((failed + 1))
else
	echo "ok   teardown"
	passed=$((passed + 1))
fi
rm -rf "$TMP"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
