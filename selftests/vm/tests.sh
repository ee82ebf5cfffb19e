#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#
# In-VM tests: vfmig.ko in the real guest kernel, real BPF programs through
# the real verifier, real edu devices driven through the VFIO uAPI by
# selftests/vfio-ops.  Run by selftests/vmtest.sh; one test a function,
# listed in TESTS; ends with "N passed, N failed".
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

# ---- helpers ---------------------------------------------------------------

fail() { echo "    FAIL: $*" >&2; exit 1; }

# assert_eq WHAT EXPECTED ACTUAL
assert_eq() { [ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"; }

# assert_has WHAT NEEDLE HAYSTACK
assert_has() { grep -qF -- "$2" <<<"$3" || fail "$1: no '$2' in: $3"; }

# The answer part of vfio-ops output for the operation on line N (1-based).
answer() { sed -n "${1}p" <<<"$2" | sed 's/^[^:]*: //'; }

bind() {	# bind DRIVER BDF
	local drv=$1 bdf=$2
	echo "$drv" >"$SYS/$bdf/driver_override"
	[ -e "$SYS/$bdf/driver" ] && echo "$bdf" >"$SYS/$bdf/driver/unbind"
	echo "$bdf" >/sys/bus/pci/drivers_probe
	assert_eq "driver of $bdf" "$drv" "$(basename "$(readlink "$SYS/$bdf/driver")")"
}

sysattr() { cat "$SYS/$1/vfmig/$2"; }

# Little-endian hex bytes of a number, for bpftool map update.
le_hex() {	# le_hex BYTES VALUE
	local i v=$2
	for ((i = 0; i < $1; i++)); do
		printf '%02x ' $((v & 0xff))
		v=$((v >> 8))
	done
}

# Configure bpf/test_mig.bpf.o on a device: bytes save() writes, failure.
mig_config() {	# mig_config BDF SAVE_BYTES FAIL
	bpftool map update pinned "$(pindir "$1")/mig_config" key hex 00 00 00 00 \
		value hex $(le_hex 8 "$2") $(le_hex 4 "$3") 00 00 00 00 ||
		fail "configure test_mig"
}

# The PCI ids of a device as vfmig-ctl make-stream takes them.
pci_ids() {
	local f out=
	for f in vendor device subsystem_vendor subsystem_device; do
		out+=$(sed 's/^0x//' "$SYS/$1/$f"):
	done
	echo "${out%:}"
}

# Every edu register a guest can observe (after the factorial finished).
EDU_REGS=('poll 0 0x20 1 0' 'rd 0 0x4 4' 'rd 0 0x8 4' 'rd 0 0x20 4' 'rd 0 0x24 4'
	  'rd 0 0x80 8' 'rd 0 0x88 8' 'rd 0 0x90 8')
edu_regs() { $OPS "$1" "${EDU_REGS[@]}" || fail "read edu registers of $1"; }

# Where vfmig-load pins a device's link and maps (bpffs refuses '.').
pindir() { echo "/sys/fs/bpf/vfmig/${1//./_}"; }

load() { $LOAD "$@" || fail "vfmig-load $*"; }

# Leave every device on vfmig-pci with no program, whatever a test did.
reset_state() {
	local d
	for d in "$VMDIR"/*.pid; do
		[ -e "$d" ] && vm_stop "$(basename "$d" .pid)"
	done
	for d in /sys/fs/bpf/vfmig/*/; do
		[ -d "$d" ] || continue
		d=$(basename "$d")
		$LOAD unload --bdf "${d%_*}.${d##*_}" >/dev/null 2>&1
	done
	rm -rf /sys/fs/bpf/vfmig /sys/fs/bpf/vfmig-replace-test /sys/fs/bpf/vfmig-hostile
	[ -d /sys/module/vfmig ] || insmod "$KO"
	for d in $A $B; do
		[ "$(basename "$(readlink "$SYS/$d/driver" 2>/dev/null)")" = vfmig-pci ] ||
			bind vfmig-pci "$d" >/dev/null
	done
}

# ---- tests -----------------------------------------------------------------

# The same operations give the same answers on vfio-pci and on vfmig-pci.
EQUIV_OPS=('mfeat' 'info 0' 'info 1' 'info 5' 'info 6' 'info 7' 'info 8' 'info 9'
	   'rd 7 0 64' 'rd 0 0 4' 'wr 0 4 4 0x12345678' 'rd 0 4 4'
	   'wr 0 8 4 6' 'poll 0 0x20 1 0' 'rd 0 8 4' 'wr 0 0x80 8 0x1000'
	   'rd 0 0x80 8' 'rd 0 0 16' 'wr 0 2 2 0' 'mmap 0 0 4096' 'mrd 0'
	   'mrd 4' 'rd 0 0x100000 4')
t_no_program_is_vfio_pci() {
	local with_vfio with_vfmig
	bind vfio-pci "$A"
	with_vfio=$($OPS "$A" "${EQUIV_OPS[@]}") || fail "vfio-ops on vfio-pci"
	bind vfmig-pci "$A"
	with_vfmig=$($OPS "$A" "${EQUIV_OPS[@]}") || fail "vfio-ops on vfmig-pci"
	assert_has "factorial through vfio-pci" "rd 0 0x8 4: 0x2d0" "$with_vfio"
	assert_eq "vfmig-pci vs vfio-pci" "$with_vfio" "$with_vfmig"
}

t_override_pass_reject() {
	local out
	load bpf/test_region.bpf.o --bdf "$A"
	out=$($OPS "$A" 'rd 0 0 4' 'wr 0 4 4 0x1' 'rd 0 4 4' 'wr 0 0x20 4 0x80' \
		'rd 0 0x24 4' 'rd 7 0x2e 2' 'rd 7 0x2c 4' 'rd 0 0x10 4' 'rd 0 0 8')
	assert_eq "overridden read" 0xfeedf00d "$(answer 1 "$out")"
	assert_eq "passed write" ok "$(answer 2 "$out")"
	assert_eq "passed read" 0xfffffffe "$(answer 3 "$out")"
	assert_eq "refused write" "error: EPERM" "$(answer 4 "$out")"
	assert_eq "read served by kfunc" 0xfffffffe "$(answer 5 "$out")"
	assert_eq "config override" 0xbeef "$(answer 6 "$out")"
	assert_eq "config read split across window" 0xbeef1af4 "$(answer 7 "$out")"
	assert_eq "untrapped register" 0xffffffff "$(answer 8 "$out")"
	assert_eq "8-byte piece" 0xfeedf00d "$(answer 9 "$out")"
	assert_eq "program in sysfs" test_region "$(sysattr "$A" program)"
	assert_eq "hooked count" 5 "$(sysattr "$A" hooked)"
	assert_eq "passed count" 2 "$(sysattr "$A" passed)"
	assert_eq "failed count" 1 "$(sysattr "$A" failed)"
}

t_two_devices_two_programs() {
	local out_a out_b shadow
	load bpf/test_region.bpf.o --bdf "$A"
	load bpf/edu.bpf.o --bdf "$B"
	out_a=$($OPS "$A" 'rd 0 0 4')
	out_b=$($OPS "$B" 'rd 0 0 4' 'wr 0 8 4 5' 'poll 0 0x20 1 0' 'rd 0 8 4' \
		'wr 0 0x80 8 0x40000' 'wr 0 0x88 4 0x1234')
	assert_eq "A overridden" 0xfeedf00d "$(answer 1 "$out_a")"
	assert_eq "B untouched" 0x10000ed "$(answer 1 "$out_b")"
	assert_eq "B factorial" 0x78 "$(answer 4 "$out_b")"
	assert_eq "A program" test_region "$(sysattr "$A" program)"
	assert_eq "B program" edu "$(sysattr "$B" program)"
	shadow=$(bpftool -j map dump pinned "$(pindir "$B")/edu_shadow") ||
		fail "dump edu_shadow"
	assert_has "shadowed factorial input" '"fact_input":5' "$shadow"
	assert_has "shadowed DMA set-up" '"dma_src":262144,"dma_dst":4660,"dma_cnt":0' "$shadow"
}

t_attach_outlives_loader() {
	local status
	load bpf/edu.bpf.o --bdf "$A"
	assert_eq "link pinned" yes "$([ -e "$(pindir "$A")/link" ] && echo yes)"
	assert_eq "program after loader exit" edu "$(sysattr "$A" program)"
	status=$($LOAD status --bdf "$A") || fail "status"
	assert_has "status names the program" \
		"program   edu (version 1, loads 1 to 1; flags p2p pre-copy dirty-log)" "$status"
	assert_has "status: migration" "migration not open" "$status"
	assert_has "status: dirty pages" "dirty     0 pages marked since open" "$status"
	status=$($LOAD status --json) || fail "status --json"
	assert_has "json status" "\"$A\"" "$status"
	assert_has "json status: program" \
		'"version":1,"min_version":1,"flags":["p2p","pre-copy","dirty-log"],"migration_state":"not open","last_error":null,"dirty_marked":0' \
		"$status"
	assert_has "bpftool sees the link" struct_ops "$(bpftool link show)"
}

t_unload_restores_passthrough() {
	local out
	load bpf/test_region.bpf.o --bdf "$A"
	assert_eq "overridden" 0xfeedf00d "$(answer 1 "$($OPS "$A" 'rd 0 0 4')")"
	load unload --bdf "$A"
	out=$($OPS "$A" 'rd 0 0 4' 'info 0' 'mmap 0 0 4096')
	assert_eq "pass-through again" 0x10000ed "$(answer 1 "$out")"
	assert_eq "no sparse hole" "size=0x100000 flags=rwm-" "$(answer 2 "$out")"
	assert_eq "page 0 mappable" ok "$(answer 3 "$out")"
	assert_eq "no program" "" "$(sysattr "$A" program)"
	assert_eq "pins gone" no "$([ -e "$(pindir "$A")" ] && echo yes || echo no)"
}

t_double_attach_refused() {
	local err
	load bpf/edu.bpf.o --bdf "$A"
	err=$($LOAD bpf/test_region.bpf.o --bdf "$A" 2>&1) && fail "second attach succeeded"
	assert_has "names the fix" "unload --bdf $A" "$err"
	assert_eq "first program stays" edu "$(sysattr "$A" program)"
}

t_wrong_bdf_and_unbound_device() {
	local err
	err=$($LOAD bpf/edu.bpf.o --bdf 0000:00:1f.7 2>&1) && fail "attach to no device"
	assert_has "no such device" "no PCI device 0000:00:1f.7" "$err"
	err=$($LOAD bpf/edu.bpf.o --bdf zz:00.0 2>&1) && fail "malformed BDF accepted"
	assert_has "malformed BDF" "zz:00.0" "$err"
	bind vfio-pci "$B"
	err=$($LOAD bpf/edu.bpf.o --bdf "$B" 2>&1) && fail "attach to vfio-pci device"
	assert_has "bound elsewhere" "bound to vfio-pci" "$err"
	$LOAD bpf/edu.bpf.o --bdf "$B" --bind >/dev/null || fail "--bind"
	assert_eq "--bind rebinds" edu "$(sysattr "$B" program)"
}

t_verifier_rejection_shows_log() {
	local err
	err=$($LOAD bpf/test_bad.bpf.o --bdf "$A" 2>&1) && fail "bad program loaded"
	assert_has "verifier log" "only value" "$err"
	assert_has "says what happened" "rejected by the verifier" "$err"
	assert_eq "nothing attached" "" "$(sysattr "$A" program)"
}

t_kfuncs_only_for_vfmig_programs() {
	local err
	err=$(bpftool struct_ops register bpf/test_foreign.bpf.o 2>&1) &&
		fail "a tcp_congestion_ops program called a vfmig kfunc"
	assert_has "kfunc refused" \
		"calling kernel function bpf_vfmig_config_read is not allowed" "$err"
}

# Trapped pages are holes in the sparse-mmap capability; a mapping of the
# whole BAR is accepted (as vfio-pci does) but never maps a trapped page.
t_trapped_pages_not_mmappable() {
	local out
	load bpf/test_region.bpf.o --bdf "$A"
	out=$($OPS "$A" 'info 0' 'mmap 0 0 4096' 'mrd 0' 'mmap 0 0 0x100000' \
		'mrd 0x1000' 'mrd 0' 'mmap 0 0x1000 0x1000' 'mrd 0' \
		'wr 0 0x20 4 0x80' 'rd 0 0 4')
	assert_eq "sparse areas" "size=0x100000 flags=rwmc sparse=0x1000+0xff000" \
		"$(answer 1 "$out")"
	assert_eq "mmap of trapped page" ok "$(answer 2 "$out")"
	assert_eq "trapped page never mapped" SIGBUS "$(answer 3 "$out")"
	assert_eq "mmap of the whole BAR" ok "$(answer 4 "$out")"
	assert_eq "untrapped page of the whole-BAR mapping" 0xffffffff "$(answer 5 "$out")"
	assert_eq "trapped page of the whole-BAR mapping" SIGBUS "$(answer 6 "$out")"
	assert_eq "mmap of untrapped page" ok "$(answer 7 "$out")"
	assert_eq "read through mapping" 0xffffffff "$(answer 8 "$out")"
	assert_eq "trapped write via device file" "error: EPERM" "$(answer 9 "$out")"
	assert_eq "trapped read via device file" 0xfeedf00d "$(answer 10 "$out")"
}

t_existing_mapping_zapped() {
	local out
	out=$($OPS "$A" 'mmap 0 0 4096' 'mrd 0' \
		"sh $LOAD bpf/test_region.bpf.o --bdf $A >/dev/null" 'mrd 0' 'rd 0 0 4' \
		"sh $LOAD unload --bdf $A >/dev/null" 'mrd 0')
	assert_eq "before attach" 0x10000ed "$(answer 2 "$out")"
	assert_eq "attach" "exit 0" "$(answer 3 "$out")"
	assert_eq "mapping of trapped page after attach" SIGBUS "$(answer 4 "$out")"
	assert_eq "device file goes to the hook" 0xfeedf00d "$(answer 5 "$out")"
	assert_eq "unload" "exit 0" "$(answer 6 "$out")"
	assert_eq "mapping works after unload" 0x10000ed "$(answer 7 "$out")"
}

t_unbind_with_program_attached() {
	local before
	before=$(dmesg | wc -l)
	load bpf/edu.bpf.o --bdf "$A"
	echo "$A" >"$SYS/$A/driver/unbind"
	$LOAD unload --bdf "$A" >/dev/null 2>&1
	assert_eq "pins gone" no "$([ -e "$(pindir "$A")" ] && echo yes || echo no)"
	assert_has "kernel saw it" "device unbound" "$(dmesg | tail -n +"$before")"
	bind vfmig-pci "$A"
	assert_eq "no program after rebind" "" "$(sysattr "$A" program)"
	assert_eq "device works" 0x10000ed "$(answer 1 "$($OPS "$A" 'rd 0 0 4')")"
}

t_replace_program_in_place() {
	local out i pin=/sys/fs/bpf/vfmig-replace-test
	load bpf/edu.bpf.o --bdf "$B"	# another device, left alone
	$OPS "$A" 'mmap 0 0 4096' >/dev/null || fail "page 0 mappable before"
	selftests/replace-test "$A" bpf/edu.bpf.o bpf/test_region.bpf.o "$pin" ||
		fail "replace-test"
	assert_eq "new program" test_region "$(sysattr "$A" program)"
	out=$($OPS "$A" 'rd 0 0 4' 'info 0' 'wr 0 0x20 4 0x80')
	assert_eq "new hooks" 0xfeedf00d "$(answer 1 "$out")"
	assert_eq "new windows" "size=0x100000 flags=rwmc sparse=0x1000+0xff000" \
		"$(answer 2 "$out")"
	assert_eq "new write hook" "error: EPERM" "$(answer 3 "$out")"
	assert_eq "other device untouched" edu "$(sysattr "$B" program)"
	assert_has "kernel log" "program test_region replaced edu" "$(dmesg | tail -n 5)"
	rm "$pin"
	for i in $(seq 20); do [ -z "$(sysattr "$A" program)" ] && break; sleep 0.1; done
	assert_eq "detached with the pin" "" "$(sysattr "$A" program)"
}

t_module_pinned_while_attached() {
	load bpf/edu.bpf.o --bdf "$A"
	rmmod vfmig 2>/dev/null && fail "rmmod succeeded with a program attached"
	load unload --bdf "$A"
	# The kernel frees the struct_ops map, and drops its module
	# reference, after RCU grace periods: give it a moment.
	local i
	for i in $(seq 50); do
		rmmod vfmig 2>/dev/null && break
		sleep 0.1
	done
	[ ! -d /sys/module/vfmig ] || fail "rmmod after unload"
	local err
	err=$($LOAD bpf/edu.bpf.o --bdf "$A" 2>&1) && fail "load without module"
	assert_has "module not loaded" "insmod" "$err"
	insmod "$KO" || fail "insmod again"
	assert_eq "driver_override rebinds" vfmig-pci \
		"$(basename "$(readlink "$SYS/$A/driver")")"
}

# ---- migration ----

t_region_program_offers_no_migration() {
	load bpf/test_region.bpf.o --bdf "$A"
	local out
	out=$($OPS "$A" mfeat "sh cat $SYS/$A/vfmig/migration_state")
	assert_eq "no migration feature" "error: ENOTTY" "$(answer 1 "$out")"
	assert_has "sysfs while open" unsupported "$out"
	assert_eq "sysfs once closed" "not open" "$(sysattr "$A" migration_state)"
}

t_edu_state_moves_from_a_to_b() {
	local a b before info
	load bpf/edu.bpf.o --bdf "$A"
	load bpf/edu.bpf.o --bdf "$B"
	$OPS "$A" 'wr 0 4 4 0x1234' 'wr 0 8 4 5' 'poll 0 0x20 1 0' 'wr 0 0x20 4 0x80' \
		'wr 0 0x60 4 0x4' 'wr 0 0x80 8 0x40000' 'wr 0 0x88 8 0x1000' \
		'wr 0 0x90 8 0x40' >/dev/null
	$OPS "$B" 'wr 0 4 4 0x9999' 'wr 0 8 4 3' 'wr 0 0x64 4 0xffffffff' >/dev/null
	a=$(edu_regs "$A")
	before=$(edu_regs "$B")
	[ "$a" != "$before" ] || fail "A and B start out equal"
	$CTL save --bdf "$A" -o "$TMP/edu.state" || fail "vfmig-ctl save"
	info=$($CTL inspect "$TMP/edu.state") || fail "vfmig-ctl inspect"
	assert_has "inspect: program" edu "$info"
	assert_has "inspect: checksum" "checksum ok" "$info"
	$CTL restore --bdf "$B" -i "$TMP/edu.state" || fail "vfmig-ctl restore"
	b=$(edu_regs "$B")
	assert_eq "B's registers after restore" "$a" "$b"
	assert_eq "A still runs" "$a" "$(edu_regs "$A")"
	assert_has "B's shadow" '"restored":1' \
		"$(bpftool -j map dump pinned "$(pindir "$B")/edu_shadow")"
}

t_every_arc_with_p2p_and_pre_copy() {
	local out
	load bpf/edu.bpf.o --bdf "$A"
	out=$($OPS "$A" mfeat 'mig running-p2p' 'mig stop' 'mig running-p2p' 'mig running' \
		'mig stop' 'mig stop-copy' pinfo "dread $TMP/f1" 'mig stop' \
		'mig resuming' "dwrite $TMP/f1" 'mig stop' 'mig running' \
		'mig pre-copy' pinfo "dread $TMP/f2" 'mig pre-copy-p2p' pinfo \
		'mig pre-copy' 'mig running' 'mig running-p2p' 'mig pre-copy-p2p' \
		"dread $TMP/f3" 'mig stop-copy' "dread $TMP/f3" 'mig pre-copy' mstate \
		'mig error' 'mig running' mstate)
	assert_eq "flags" "stop-copy p2p pre-copy" "$(answer 1 "$out")"
	assert_eq "running -> running-p2p" ok "$(answer 2 "$out")"
	assert_eq "running-p2p -> stop" ok "$(answer 3 "$out")"
	assert_eq "stop -> running-p2p" ok "$(answer 4 "$out")"
	assert_eq "running-p2p -> running" ok "$(answer 5 "$out")"
	assert_eq "running -> stop (via p2p)" ok "$(answer 6 "$out")"
	assert_eq "stop -> stop-copy" "ok, data_fd" "$(answer 7 "$out")"
	assert_eq "no precopy info in stop-copy" "error: EINVAL" "$(answer 8 "$out")"
	assert_eq "stop-copy data" "120 bytes, EOF" "$(answer 9 "$out")"
	assert_eq "stop-copy -> stop" ok "$(answer 10 "$out")"
	assert_eq "stop -> resuming" "ok, data_fd" "$(answer 11 "$out")"
	assert_eq "resume data" "120 bytes" "$(answer 12 "$out")"
	assert_eq "resuming -> stop" ok "$(answer 13 "$out")"
	assert_eq "stop -> running" ok "$(answer 14 "$out")"
	assert_eq "running -> pre-copy" "ok, data_fd" "$(answer 15 "$out")"
	assert_eq "precopy info" "initial=120 dirty=0" "$(answer 16 "$out")"
	assert_eq "pre-copy data ends with ENOMSG" "120 bytes, ENOMSG" "$(answer 17 "$out")"
	assert_eq "pre-copy -> pre-copy-p2p" ok "$(answer 18 "$out")"
	assert_eq "precopy info, all read" "initial=0 dirty=0" "$(answer 19 "$out")"
	assert_eq "pre-copy-p2p -> pre-copy" ok "$(answer 20 "$out")"
	assert_eq "pre-copy -> running" ok "$(answer 21 "$out")"
	assert_eq "running -> running-p2p" ok "$(answer 22 "$out")"
	assert_eq "running-p2p -> pre-copy-p2p" "ok, data_fd" "$(answer 23 "$out")"
	assert_eq "initial unit" "120 bytes, ENOMSG" "$(answer 24 "$out")"
	assert_eq "pre-copy-p2p -> stop-copy: same fd" ok "$(answer 25 "$out")"
	assert_eq "final unit then EOF" "120 bytes, EOF" "$(answer 26 "$out")"
	assert_eq "stop-copy -> pre-copy is illegal" "error: EINVAL" "$(answer 27 "$out")"
	assert_eq "refused arc leaves the state" stop-copy "$(answer 28 "$out")"
	assert_eq "ERROR cannot be requested" "error: EINVAL" "$(answer 29 "$out")"
	assert_eq "back to running" ok "$(answer 30 "$out")"
	assert_eq "running" running "$(answer 31 "$out")"
	$CTL inspect "$TMP/f3" >/dev/null || fail "pre-copy + final stream does not parse"
	assert_has "two units" "2 units" "$($CTL inspect "$TMP/f3")"
}

t_arcs_without_optional_states() {
	local out size=$((64 * 4096))
	load bpf/test_mig.bpf.o --bdf "$A"
	mig_config "$A" "$size" 0
	out=$($OPS "$A" mfeat msize 'mig running-p2p' 'mig pre-copy' 'mig stop-copy' \
		"dread $TMP/m" 'mig resuming' "dwrite $TMP/m" 'mig running' mstate)
	assert_eq "flags" stop-copy "$(answer 1 "$out")"
	assert_eq "data size" $((size + 144)) "$(answer 2 "$out")"
	assert_eq "no p2p" "error: EINVAL" "$(answer 3 "$out")"
	assert_eq "no pre-copy" "error: EINVAL" "$(answer 4 "$out")"
	assert_eq "running -> stop -> stop-copy" "ok, data_fd" "$(answer 5 "$out")"
	assert_eq "data" "$((size + 72)) bytes, EOF" "$(answer 6 "$out")"
	assert_eq "stop-copy -> stop -> resuming" "ok, data_fd" "$(answer 7 "$out")"
	assert_eq "write" "$((size + 72)) bytes" "$(answer 8 "$out")"
	assert_eq "resuming -> stop -> running" ok "$(answer 9 "$out")"
	assert_eq "state" running "$(answer 10 "$out")"
	out=$(bpftool -j map dump pinned "$(pindir "$A")/mig_stats")
	assert_has "loaded all, pattern intact" "\"loaded\":$size,\"bad_chunks\":0" "$out"
}

t_malformed_streams_refused() {
	local good before size ids reason f
	load bpf/edu.bpf.o --bdf "$A"
	load bpf/edu.bpf.o --bdf "$B"
	$OPS "$A" 'wr 0 4 4 0x5555' >/dev/null
	$OPS "$B" 'wr 0 4 4 0x7777' 'wr 0 8 4 4' >/dev/null
	before=$(edu_regs "$B")
	good=$TMP/good.state
	$CTL save --bdf "$A" -o "$good" >/dev/null || fail "save"
	size=$(stat -c %s "$good")
	ids=$(pci_ids "$B")
	head -c 40 "$good" >"$TMP/short-header"
	head -c $((size - 1)) "$good" >"$TMP/short-payload"
	{ cat "$good"; printf x; } >"$TMP/trailing"
	{ printf X; tail -c +2 "$good"; } >"$TMP/magic"
	{ head -c 4 "$good"; printf '\x02\x00'; tail -c +7 "$good"; } >"$TMP/version"
	{ head -c $((size - 1)) "$good"; printf '\x5a'; } >"$TMP/checksum"
	: >"$TMP/empty"
	$CTL make-stream -o "$TMP/device" --ids "1234:11e9:${ids#*:*:}" \
		--program edu --version 1 --payload-hex 00 || fail make-stream
	$CTL make-stream -o "$TMP/program" --ids "$ids" --program other --version 1 \
		--payload-hex 00 || fail make-stream
	$CTL make-stream -o "$TMP/prog-version" --ids "$ids" --program edu --version 2 \
		--payload-hex 00 || fail make-stream
	for f in short-header:truncated short-payload:truncated trailing:trailing \
		 magic:magic version:version checksum:checksum empty:empty \
		 device:"other PCI ids" program:"another program" \
		 prog-version:"newer version"; do
		reason=${f#*:}
		f=${f%%:*}
		$CTL restore --bdf "$B" -i "$TMP/$f" >/dev/null 2>&1 &&
			fail "$f: stream accepted"
		assert_has "$f: reason in sysfs" "$reason" "$(sysattr "$B" last_error)"
		assert_eq "$f: B unchanged" "$before" "$(edu_regs "$B")"
	done
	assert_has "reason in dmesg" "refused migration stream" "$(dmesg)"
	$CTL restore --bdf "$B" -i "$good" >/dev/null || fail "good stream after bad ones"
	assert_eq "liveness restored" 0xffffaaaa "$(answer 1 "$($OPS "$B" 'rd 0 4 4')")"
}

t_reset_mid_migration() {
	local out
	load bpf/edu.bpf.o --bdf "$A"
	$CTL save --bdf "$A" -o "$TMP/r.state" >/dev/null || fail save
	out=$($OPS "$A" 'mig stop-copy' reset mstate "dread $TMP/x" \
		'mig resuming' reset mstate "dwrite $TMP/r.state" \
		'mig resuming' "dwrite $TMP/r.state" 'mig running' 'rd 0 0 4')
	assert_eq "reset in stop-copy" ok "$(answer 2 "$out")"
	assert_eq "back to running" running "$(answer 3 "$out")"
	assert_eq "old data fd ended" "0 bytes, ENODEV" "$(answer 4 "$out")"
	assert_eq "reset in resuming" ok "$(answer 6 "$out")"
	assert_eq "back to running again" running "$(answer 7 "$out")"
	assert_eq "old resume fd ended" "error after 0 bytes: ENODEV" "$(answer 8 "$out")"
	assert_eq "migration works after" ok "$(answer 11 "$out")"
	assert_eq "device works" 0x10000ed "$(answer 12 "$out")"
}

t_detach_mid_migration() {
	local out
	load bpf/edu.bpf.o --bdf "$A"
	out=$($OPS "$A" 'mig stop-copy' "sh $LOAD unload --bdf $A >/dev/null" mstate \
		"dread $TMP/d" 'mig running' reset mstate 'rd 0 0 4')
	assert_eq "detached" "exit 0" "$(answer 2 "$out")"
	assert_eq "ERROR" error "$(answer 3 "$out")"
	assert_eq "data fd ended" "0 bytes, ENODEV" "$(answer 4 "$out")"
	assert_eq "only reset leaves ERROR" "error: EIO" "$(answer 5 "$out")"
	assert_eq "reset" ok "$(answer 6 "$out")"
	assert_eq "running" running "$(answer 7 "$out")"
	assert_eq "device works" 0x10000ed "$(answer 8 "$out")"
	assert_has "sysfs says why" "detached during stop-copy" "$(sysattr "$A" last_error)"
}

t_program_errors_end_in_error_state() {
	local out
	load bpf/test_mig.bpf.o --bdf "$A"
	mig_config "$A" 4096 1	# save() calls bpf_vfmig_error(-EIO)
	out=$($OPS "$A" 'mig stop-copy' mstate reset mstate)
	assert_eq "save fails" "error: EIO" "$(answer 1 "$out")"
	assert_eq "ERROR" error "$(answer 2 "$out")"
	assert_eq "reset" running "$(answer 4 "$out")"
	assert_has "sysfs" "reported error -5" "$(sysattr "$A" last_error)"
	assert_eq "no migration once given up" "error: ENOTTY" \
		"$(answer 1 "$($OPS "$A" mfeat)")"

	load unload --bdf "$A" >/dev/null
	load bpf/test_mig.bpf.o --bdf "$A" >/dev/null
	mig_config "$A" 4096 2	# set_state() fails the arc to STOP_COPY
	out=$($OPS "$A" 'mig stop-copy' mstate)
	assert_eq "set_state fails" "error: EIO" "$(answer 1 "$out")"
	assert_eq "ERROR again" error "$(answer 2 "$out")"

	mig_config "$A" 4096 0
	out=$($OPS "$A" 'mig stop-copy' "dread $TMP/e" 'mig stop' "sh bpftool map update pinned $(pindir "$A")/mig_config key hex 00 00 00 00 value hex $(le_hex 8 4096) 03 00 00 00 00 00 00 00" \
		'mig resuming' "dwrite $TMP/e" 'mig stop' mstate)
	assert_eq "load fails" "error: EIO" "$(answer 7 "$out")"
	assert_eq "ERROR after load" error "$(answer 8 "$out")"
}

t_state_size_limit() {
	local out
	load bpf/test_mig.bpf.o --bdf "$A"
	mig_config "$A" $((2 << 20)) 0
	echo 1 >/sys/module/vfmig/parameters/max_state_mb
	out=$($OPS "$A" 'mig stop-copy' mstate reset)
	echo 256 >/sys/module/vfmig/parameters/max_state_mb
	assert_eq "too big" "error: EFBIG" "$(answer 1 "$out")"
	assert_eq "ERROR" error "$(answer 2 "$out")"
	assert_has "names the fix" "raise vfmig.max_state_mb" "$(sysattr "$A" last_error)"
}

# ---- the real client: QEMU 10 migrates a VM that owns a vfmig device ----

# Start the source VM on A and wait until its payload programmed the device;
# give B another state, so the destination has something to overwrite.
qemu_source_ready() {
	vm_start src "$A"
	vm_wait src READY 60 || fail "source VM did not start: $(cat "$VMDIR/src.err")"
	$OPS "$B" 'wr 0 4 4 0x4321' 'wr 0 8 4 3' 'wr 0 0x64 4 0xffffffff' \
		'wr 0 0x80 8 0x40800' >/dev/null
}

# A destination VM on B, listening for the migration stream.
qemu_start_dst() {
	local i
	rm -f "$VMDIR/mig.sock"
	vm_start dst "$B" -incoming "unix:$VMDIR/mig.sock"
	for i in $(seq 100); do
		[ -S "$VMDIR/mig.sock" ] && return
		sleep 0.1
	done
	fail "destination QEMU does not listen: $(cat "$VMDIR/dst.err")"
}

# Migrate src to a new dst on B; print QEMU's query-migrate result.
qemu_migrate_to_b() {
	qemu_start_dst
	vm_migrate src "unix:$VMDIR/mig.sock" \
		'{"downtime-limit": 20000, "max-bandwidth": 1000000000}'
	vm_qmp src --wait-migration 120
}

# The destination continues the source: same device state, no new boot.
assert_vm_continued() {
	local src_regs
	src_regs=$(vm_last_regs src)
	vm_wait dst TICK 30 || fail "destination prints nothing: $(cat "$VMDIR/dst.err")"
	sleep 1
	assert_eq "destination did not boot again" 0 "$(grep -c BOOT "$VMDIR/dst.log")"
	[ "$(vm_first_tick dst)" -gt 0 ] || fail "destination counts from 0"
	[ "$(vm_first_tick dst)" -ge "$(vm_last_tick src)" ] ||
		fail "destination tick $(vm_first_tick dst) before source's $(vm_last_tick src)"
	assert_eq "device state seen by the destination guest" "$src_regs" \
		"$(vm_last_regs dst)"
	assert_eq "destination runs" '{"return": {"status": "running", "running": true}}' \
		"$(vm_qmp dst query-status)"
}

t_qemu_stop_and_copy_migration() {
	local info
	load bpf/edu_stop_copy.bpf.o --bdf "$A"
	load bpf/edu_stop_copy.bpf.o --bdf "$B"
	qemu_source_ready
	info=$(qemu_migrate_to_b) || fail "migration: $info"
	assert_has "device state sent" '"vfio": {"transferred": 120}' "$info"
	assert_vm_continued
	assert_has "stop-copy" "new state STOP_COPY" "$(cat "$VMDIR/src.trace")"
	grep -q "new state PRE_COPY" "$VMDIR/src.trace" && fail "pre-copy without the flag"
	vm_stop src
	vm_stop dst
}

t_qemu_pre_copy_migration() {
	local info
	load bpf/edu.bpf.o --bdf "$A"
	load bpf/edu.bpf.o --bdf "$B"
	qemu_source_ready
	info=$(qemu_migrate_to_b) || fail "migration: $info"
	assert_vm_continued
	assert_has "QEMU used pre-copy" "new state PRE_COPY" "$(cat "$VMDIR/src.trace")"
	assert_has "then stop-copy" "new state STOP_COPY" "$(cat "$VMDIR/src.trace")"
	assert_has "initial + final unit" '"vfio": {"transferred": 240}' "$info"
	# With the DMA logging uAPI (IOMMUFD) QEMU logs the device's writes
	# instead of taking all guest RAM as dirty.
	if [ -e /dev/iommu ]; then
		assert_has "QEMU used device dirty tracking" vfio_device_dirty_tracking_start \
			"$(cat "$VMDIR/src.trace")"
	elif grep -q vfio_device_dirty_tracking_start "$VMDIR/src.trace"; then
		fail "device dirty tracking without the uAPI"
	fi
	vm_stop src
	vm_stop dst
}

# QEMU's iommufd backend (the VFIO device cdev): where the kernel has
# IOMMUFD it migrates the VM, with the device's dirty tracking; where it
# has not, QEMU says why it cannot start.
t_qemu_iommufd_backend() {
	local info i
	load bpf/edu.bpf.o --bdf "$A"
	load bpf/edu.bpf.o --bdf "$B"
	export VM_IOMMUFD=1
	if [ ! -e /dev/iommu ]; then
		vm_start src "$A"
		for i in $(seq 100); do vm_alive src || break; sleep 0.1; done
		vm_alive src && fail "QEMU runs with an iommufd object and no /dev/iommu"
		assert_has "QEMU says why: no VFIO device cdev" "vfio-dev" "$(cat "$VMDIR/src.err")"
		return
	fi
	qemu_source_ready
	info=$(qemu_migrate_to_b) || fail "migration: $info"
	assert_vm_continued
	assert_has "device state moved" '"vfio": {"transferred": 240}' "$info"
	assert_has "device dirty tracking" vfio_device_dirty_tracking_start \
		"$(cat "$VMDIR/src.trace")"
	vm_stop src
	vm_stop dst
}

t_qemu_stock_vfio_pci_cannot_migrate() {
	bind vfio-pci "$A"
	vm_start plain "$A"
	sleep 1
	local i
	for i in $(seq 50); do vm_alive plain || break; sleep 0.2; done
	vm_alive plain && { vm_stop plain; fail "QEMU started with a vfio-pci device and enable-migration=on"; }
	assert_has "QEMU's reason" "VFIO migration is not supported in kernel" \
		"$(cat "$VMDIR/plain.err")"
}

t_qemu_migrate_cancel() {
	local info before i
	load bpf/edu.bpf.o --bdf "$A"
	load bpf/edu.bpf.o --bdf "$B"
	qemu_source_ready
	qemu_start_dst
	# 64 KiB/s and 1 ms of downtime allowed: the ticking guest dirties
	# more than that, so pre-copy never ends (with device dirty tracking,
	# on the IOMMUFD kernel, the bandwidth limit alone lets it converge).
	vm_migrate src "unix:$VMDIR/mig.sock" '{"max-bandwidth": 65536, "downtime-limit": 1}'
	for i in $(seq 50); do
		[ "$(sysattr "$A" migration_state)" = pre-copy ] && break
		sleep 0.1
	done
	assert_eq "pre-copy under way" pre-copy "$(sysattr "$A" migration_state)"
	sleep 1
	vm_qmp src migrate_cancel >/dev/null
	info=$(vm_qmp src --wait-migration 60)
	assert_has "cancelled" '"status": "cancelled"' "$info"
	assert_eq "device back to running" running "$(sysattr "$A" migration_state)"
	before=$(vm_last_tick src)
	sleep 3
	[ "$(vm_last_tick src)" -gt "$before" ] || fail "source VM stopped after cancel"
	assert_eq "source sees its device as before" \
		"$(grep '^READY' "$VMDIR/src.log" | cut -d' ' -f3-)" "$(vm_last_regs src)"
	vm_stop dst
	# ... and can still migrate.
	info=$(qemu_migrate_to_b) || fail "migration after cancel: $info"
	assert_vm_continued
	vm_stop src
	vm_stop dst
}

t_qemu_incoming_from_another_program_refused() {
	local info before i
	load bpf/edu.bpf.o --bdf "$A"
	load bpf/test_mig.bpf.o --bdf "$B"
	qemu_source_ready
	info=$(qemu_migrate_to_b) && fail "migration into another program completed"
	assert_has "source sees the failure" '"status": "failed"' "$info"
	assert_has "B says why" "saved by another program" "$(sysattr "$B" last_error)"
	# Refused as the first header arrives: QEMU fails the incoming side.
	for i in $(seq 50); do vm_alive dst || break; sleep 0.2; done
	vm_alive dst && fail "destination QEMU still runs"
	assert_has "destination QEMU says so" "error while loading state" \
		"$(cat "$VMDIR/dst.err")"
	before=$(vm_last_tick src)
	sleep 3
	[ "$(vm_last_tick src)" -gt "$before" ] || fail "source VM did not resume"
	assert_eq "source device intact" \
		"$(grep '^READY' "$VMDIR/src.log" | cut -d' ' -f3-)" "$(vm_last_regs src)"
	assert_eq "source device running" running "$(sysattr "$A" migration_state)"
	vm_stop src
}

# ---- DMA logging -----------------------------------------------------------

# The way DMA logging is reached on this kernel: the VFIO uAPI where the core
# has it (IOMMUFD), the vfmig region otherwise.
log_ways() {
	if [ -e /dev/iommu ]; then echo "uapi region"; else echo region; fi
}

# Where the edu DMA tests map memory for the device, and edu's own buffer.
IOVA=0x100000
EDU_DMA_BUF=0x40000
# The operations of one edu transfer, waited for, with bus mastering on.
# CMD 1 copies RAM to the device, 3 (direction bit 2) the device to RAM.
edu_dma() {	# edu_dma SRC DST COUNT CMD
	printf '%s\n' 'wr 7 4 2 0x6' "wr 0 0x80 8 $1" "wr 0 0x88 8 $2" "wr 0 0x90 8 $3" \
		"wr 0 0x98 8 $4" 'poll 0 0x98 1 0'
}

# An edu transfer to RAM is logged as exactly the pages it wrote.
t_dirty_edu_dma_reported() {
	local out via ops answers=() rep="dlreport VIA $IOVA 0x10000 4096"
	load bpf/edu.bpf.o --bdf "$A"
	for via in $(log_ways); do
		mapfile -t ops < <(printf '%s\n' "map $IOVA 0x10000" "fill 0x10f000 0x1000 0x5a" \
			"dlstart $via 4096 1 $IOVA 0x10000 0"
			edu_dma 0x10f000 $EDU_DMA_BUF 0x1000 1
			echo "${rep/VIA/$via}"
			# 4 KiB to 0x101800: pages 0x101000 and 0x102000.
			edu_dma $EDU_DMA_BUF 0x101800 0x1000 3
			printf '%s\n' "${rep/VIA/$via}" "${rep/VIA/$via}" \
				"buf 0x1017fe 4" "buf 0x1027fe 4" "dlstop $via")
		out=$($OPS "$A" "${ops[@]}" | grep -E '^(dl|buf|poll)')
		assert_eq "$via: started" "ok page 0x1000" "$(answer 1 "$out")"
		assert_eq "$via: transfer from RAM done" ok "$(answer 2 "$out")"
		assert_eq "$via: reading RAM dirties nothing" clean "$(answer 3 "$out")"
		assert_eq "$via: transfer to RAM done" ok "$(answer 4 "$out")"
		assert_eq "$via: exactly the pages written" "0x101000+0x2000" "$(answer 5 "$out")"
		assert_eq "$via: second report" clean "$(answer 6 "$out")"
		assert_eq "$via: the transfer landed" 00005a5a "$(answer 7 "$out")"
		assert_eq "$via: and ended there" 5a5a0000 "$(answer 8 "$out")"
		assert_eq "$via: stopped" ok "$(answer 9 "$out")"
		assert_eq "$via: pages marked, in sysfs" 4 "$(sysattr "$A" dirty_marked)"
		answers+=("$out")
	done
	# Where the kernel has both ways, they give the same answers.
	[ ${#answers[@]} -eq 1 ] || assert_eq "uapi vs region" "${answers[0]}" "${answers[1]}"
}

# vfmig-ctl dirty on a device another process holds open (--fd).
t_dirty_vfmig_ctl() {
	local out fd='--fd $VFIO_DEVICE_FD'
	local -A way=([uapi]='VFIO uAPI' [region]='vfmig region')
	load bpf/edu.bpf.o --bdf "$A"
	assert_has "features" "dirty tracking: dma-logging (${way[$(log_ways | cut -d' ' -f1)]}" \
		"$($CTL features --bdf "$A")"
	mapfile -t ops < <(echo "map $IOVA 0x10000"
		echo "sh $CTL dirty start $fd --range $IOVA:0x10000"
		echo "sh $CTL dirty start $fd --range $IOVA:0x10000"
		edu_dma $EDU_DMA_BUF 0x10a000 0x10 3
		echo "sh $CTL dirty report $fd --range $IOVA:0x10000"
		echo "sh $CTL dirty report $fd --range $IOVA:0x10000 --via region"
		echo "sh $CTL dirty status $fd --via region"
		echo "sh $CTL dirty stop $fd")
	out=$($OPS "$A" "${ops[@]}" 2>&1)
	assert_has "start" "started: 1 range, page size 4096, via $(log_ways | cut -d' ' -f1)" "$out"
	assert_has "second start refused" "DMA logging already started: stop it first" "$out"
	assert_has "the page" $'0x10a000 0x1000\ndirty: 1 page of 4096 bytes\nsh: exit 0' "$out"
	assert_has "then clean" $'dirty: 0 pages of 4096 bytes' "$out"
	assert_has "status" $'running: yes\npage size: 4096\nranges: 1' "$out"
	assert_has "stop" "stopped" "$out"
	out=$($CTL dirty status --bdf "$A" --via region)
	assert_has "closing the device stopped it" "running: no" "$out"
	load unload --bdf "$A" >/dev/null
	load bpf/test_region.bpf.o --bdf "$A"
	out=$($CTL dirty status --bdf "$A" 2>&1) && fail "status without a logging program"
	assert_has "no logging without the flag" "VFMIG_F_DIRTY_LOG" "$out"
}

dirty_stats() { bpftool -j map dump pinned "$(pindir "$A")/dirty_stats"; }

# Set what bpf/test_dirty.bpf.o's "hardware tracker" logged, or its failures.
dirty_hw() {	# dirty_hw IOVA LENGTH FAIL_START FAIL_REPORT
	bpftool map update pinned "$(pindir "$A")/dirty_hw" key hex 00 00 00 00 \
		value hex $(le_hex 8 "$1") $(le_hex 8 "$2") $(le_hex 4 "$3") $(le_hex 4 "$4") ||
		fail "configure test_dirty"
}

# DMA logging start/stop/report rules, as the VFIO uAPI states them.
t_dirty_log_edge_cases() {
	local out via
	load bpf/test_dirty.bpf.o --bdf "$A"
	for via in $(log_ways); do
		out=$($OPS "$A" "dlstop $via" "dlreport $via 0 0x10000 4096" \
			"dlstart $via 4096 0 $IOVA 0x1000 0" \
			"dlstart $via 4096 1 0x100800 0x1000 0" \
			"dlstart $via 4096 2 $IOVA 0x2000 0x1000" \
			"dlstart $via 4096 257 0 0x1000 0x2000" \
			"dlstart $via 4096 1 0 0x100000000000000 0" \
			"dlstart $via 4096 1 0 0 0" \
			"dlstart $via 512 1 $IOVA 0x10000 0" \
			"dlstart $via 4096 1 $IOVA 0x10000 0" \
			"wr 0 0x100 8 0x105000" "wr 0 0x100 8 0x90000" \
			"dlreport $via $IOVA 0x10000 4096" "dlstop $via" "dlstop $via" \
			"dlstart $via 0x200000 2 0 0x400000 0x800000" \
			"wr 0 0x100 8 0x9ff000" "dlreport $via 0 0x1000000 4096" \
			"dlreport $via 0x800000 0x400000 0x400000" "dlstop $via")
		assert_eq "$via: stop without start" ok "$(answer 1 "$out")"
		assert_has "$via: report without start" "error: " "$(answer 2 "$out")"
		assert_eq "$via: no ranges" "error: Invalid argument" "$(answer 3 "$out")"
		assert_eq "$via: unaligned" "error: Invalid argument" "$(answer 4 "$out")"
		assert_eq "$via: overlapping" "error: Invalid argument" "$(answer 5 "$out")"
		assert_eq "$via: 257 ranges" "error: Argument list too long" "$(answer 6 "$out")"
		assert_eq "$via: bitmap over max_dirty_mb" "error: File too large" \
			"$(answer 7 "$out")"
		assert_eq "$via: empty range" "error: Invalid argument" "$(answer 8 "$out")"
		assert_eq "$via: 512-byte pages are 4 KiB" "ok page 0x1000" "$(answer 9 "$out")"
		assert_eq "$via: second start" "error: Device or resource busy" \
			"$(answer 10 "$out")"
		assert_eq "$via: marked inside, outside ignored" "0x105000+0x1000" \
			"$(answer 13 "$out")"
		assert_eq "$via: stop" ok "$(answer 14 "$out")"
		assert_eq "$via: stop again" ok "$(answer 15 "$out")"
		assert_eq "$via: 2 MiB pages" "ok page 0x200000" "$(answer 16 "$out")"
		assert_eq "$via: one 2 MiB page, reported in 4 KiB bits" \
			"0x800000+0x200000" "$(answer 18 "$out")"
		assert_eq "$via: reported once" clean "$(answer 19 "$out")"
	done
	# The callbacks: one log_start per range, the hardware log reported.
	load unload --bdf "$A" >/dev/null
	load bpf/test_dirty.bpf.o --bdf "$A"
	out=$($OPS "$A" "dlstart auto 4096 3 0 0x1000 0x10000" \
		"sh bpftool map update pinned $(pindir "$A")/dirty_hw key hex 00 00 00 00 value hex $(le_hex 8 0x1f000) $(le_hex 8 0x3000) 00 00 00 00 00 00 00 00" \
		"dlreport auto 0 0x40000 4096" "dlreport auto 0 0x40000 4096" "dlstop auto")
	assert_has "the hardware log, where logged" "dlreport: 0x20000+0x1000" "$out"
	assert_has "then clean" "dlreport: clean" "$out"
	out=$(dirty_stats)
	assert_has "log_start per range, page size" '"page_size":4096,"logged":12288' "$out"
	dirty_hw 0 0 1 0
	out=$($OPS "$A" "dlstart auto 4096 1 0 0x1000 0")
	assert_eq "log_start fails the start" "error: Operation not supported" \
		"$(answer 1 "$out")"
	assert_has "and says why" "log_start failed" "$(sysattr "$A" last_error)"
	dirty_hw 0 0 0 1
	out=$($OPS "$A" "dlstart auto 4096 1 0 0x1000 0" "dlreport auto 0 0x1000 4096" \
		"sh bpftool map update pinned $(pindir "$A")/dirty_hw key hex 00 00 00 00 value hex $(le_hex 24 0)" \
		"dlreport auto 0 0x1000 4096" "dlstop auto" "dlstart auto 4096 1 0 0x1000 0" \
		"dlreport auto 0 0x1000 4096")
	assert_eq "log_report fails the report" "error: Input/output error" "$(answer 2 "$out")"
	assert_has "and says why" "log_report failed: -5" "$(dmesg | tail -n 5)"
	assert_eq "the log stays lost until stopped" "error: Input/output error" \
		"$(answer 4 "$out")"
	assert_eq "a new log works" clean "$(answer 7 "$out")"
}

# Marks racing reports: every page reported exactly once.
t_dirty_concurrent_marks_lose_nothing() {
	local out via
	load bpf/test_dirty.bpf.o --bdf "$A"
	for via in $(log_ways); do
		out=$($OPS "$A" "dlstart $via 4096 1 0x10000000 0x2000000 0" \
			"dlrace $via 0x10000000 8192" "dlstop $via")
		assert_eq "$via: nothing missed or doubled" \
			"pages 8192 missing 0 doubled 0" "$(answer 2 "$out" | cut -d' ' -f1-6)"
		[ "$(answer 2 "$out" | cut -d' ' -f8)" -gt 0 ] ||
			fail "$via: no report ran while marking: $(answer 2 "$out")"
	done
}

# A region read that faults part-way returns what it copied; the pages of
# the chunk that faulted and of the chunks never reached (their groups of
# 4096 pages already moved aside for the report) come in later reports,
# also when the next one starts inside such a group.
t_dirty_region_read_fault_loses_nothing() {
	local out
	load bpf/test_dirty.bpf.o --bdf "$A"
	# 6 GiB at 4 KiB: a 192 KiB bitmap, three of the region's 64 KiB
	# chunks.  Pages 1196100 and 1200000 share a group; 1198080 is between.
	out=$($OPS "$A" "dlstart region 4096 1 0 0x180000000 0" \
		"wr 0 0x100 8 0x5000" "wr 0 0x100 8 0x927c0000" "wr 0 0x100 8 0x124044000" \
		"wr 0 0x100 8 0x124f80000" "dlfault 0 0x180000000" \
		"dlreport region 0x124800000 0x5b800000 4096" \
		"dlreport region 0 0x180000000 4096" \
		"dlreport region 0 0x180000000 4096" "dlstop region")
	assert_eq "the read stops at the fault, with the first chunk" \
		"read 65536: 0x5000" "$(answer 6 "$out")"
	assert_eq "a report from inside the group" "0x124f80000+0x1000" "$(answer 7 "$out")"
	assert_eq "the rest next" "0x927c0000+0x1000 0x124044000+0x1000" "$(answer 8 "$out")"
	assert_eq "and once" clean "$(answer 9 "$out")"
}

# A program that stops while logging: reports fail rather than miss pages.
t_dirty_program_gone_fails_reports() {
	local out
	load bpf/test_dirty.bpf.o --bdf "$A"
	out=$($OPS "$A" "dlstart auto 4096 1 0 0x10000 0" "wr 0 0x100 8 0x3000" \
		"sh $LOAD unload --bdf $A >/dev/null" "dlreport auto 0 0x10000 4096" \
		"dlreport auto 0 0x10000 4096" "dlstop auto" "wr 0 0x100 8 0x3000" \
		"dlstart auto 4096 1 0 0x10000 0")
	assert_eq "report after detach" "error: Input/output error" "$(answer 4 "$out")"
	assert_eq "and every report until stopped" "error: Input/output error" \
		"$(answer 5 "$out")"
	assert_has "the log says why" "marks may be lost" "$(dmesg | tail -n 20)"
	assert_eq "stop still works" ok "$(answer 6 "$out")"
	assert_eq "the device is plain vfio-pci again" "wr 0 0x100 8: ok" "$(sed -n 7p <<<"$out")"
	assert_eq "no start without a logging program" "error: No such device" \
		"$(answer 8 "$out")"
	assert_has "sysfs says why" "attach one with VFMIG_F_DIRTY_LOG" "$(sysattr "$A" last_error)"
}

t_dmesg_clean() {
	local bad
	bad=$(dmesg | grep -E 'WARNING:|BUG:|Oops|Call Trace|UBSAN|KASAN|refcount_t|general protection' || true)
	[ -z "$bad" ] || fail "kernel complained: $bad"
}

TESTS=(
	t_no_program_is_vfio_pci
	t_override_pass_reject
	t_two_devices_two_programs
	t_attach_outlives_loader
	t_unload_restores_passthrough
	t_double_attach_refused
	t_wrong_bdf_and_unbound_device
	t_verifier_rejection_shows_log
	t_kfuncs_only_for_vfmig_programs
	t_trapped_pages_not_mmappable
	t_existing_mapping_zapped
	t_unbind_with_program_attached
	t_replace_program_in_place
	t_module_pinned_while_attached
	t_region_program_offers_no_migration
	t_edu_state_moves_from_a_to_b
	t_every_arc_with_p2p_and_pre_copy
	t_arcs_without_optional_states
	t_malformed_streams_refused
	t_reset_mid_migration
	t_detach_mid_migration
	t_program_errors_end_in_error_state
	t_state_size_limit
	t_qemu_stop_and_copy_migration
	t_qemu_pre_copy_migration
	t_qemu_iommufd_backend
	t_qemu_stock_vfio_pci_cannot_migrate
	t_qemu_migrate_cancel
	t_qemu_incoming_from_another_program_refused
	t_dirty_edu_dma_reported
	t_dirty_vfmig_ctl
	t_dirty_log_edge_cases
	t_dirty_concurrent_marks_lose_nothing
	t_dirty_region_read_fault_loses_nothing
	t_dirty_program_gone_fails_reports
)

# shellcheck source=selftests/vm/safety.sh
. selftests/vm/safety.sh
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
TESTS+=("${SAFETY_TESTS[@]}" "${DMA_WAIT_TESTS[@]}" "${TRAP_TESTS[@]}" "${USER_FAULT_TESTS[@]}"
	"${VENDOR_KIT_TESTS[@]}" "${OPERATOR_TESTS[@]}" "${REFUSE_TESTS[@]}"
	"${PF_CHANNEL_EDU_TESTS[@]}" t_dmesg_clean)
# NIC_TESTS and STRESS_TESTS run only when named: check.sh gives them
# their own VM.  So do INSTALL_TESTS, after selftests/install_test.sh, and
# LIBVIRT_TESTS (a third edu device).

# Kernel complaints in dmesg since line $1 (a splat, a lockdep or KASAN
# report, a warning).
SPLAT='WARNING:|BUG:|Oops|Call Trace|UBSAN|KASAN|refcount_t|general protection|INFO: task .* blocked|possible circular locking'
new_splats() { dmesg | tail -n +"$1" | grep -E "$SPLAT" || true; }

# ---- main ------------------------------------------------------------------

modprobe vfio-pci && modprobe vfio_iommu_type1 || { echo "cannot load vfio modules"; exit 1; }
insmod "$KO" || { echo "cannot load $KO"; exit 1; }
echo "kernel $(uname -r), module $KO, DMA logging via: $(log_ways)"
[ ${#ONLY[@]} -eq 0 ] || TESTS=("${ONLY[@]}")
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
