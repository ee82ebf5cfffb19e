# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# shellcheck shell=bash disable=SC2034  # sourced by tests.sh: variables are shared
#
# The vendor kit: device ids the kernel enforces, vfmig-load inspect, state
# format upgrades (edu format 1 -> 2), a vendor region (edu's scratch
# area), and the installed template built out of the tree.  Sourced by
# tests.sh (ATT is lib.sh's); listed in manifest.sh.

# The module's ABI, as include/vfmig.h defines it for kit and module.
ABI=$(sed -n 's/^#define VFMIG_ABI_VERSION[[:space:]]*\([0-9]*\).*/\1/p' include/vfmig.h)

# The scratch region of bpf/edu.bpf.c: vendor type | edu's vendor id.
EDU_SCRATCH_TYPE=$((0x80000000 | 0x1234))
EDU_SCRATCH_SUBTYPE=1

# An object for another device: refused by vfmig-load, and by the kernel
# when a raw libbpf attach skips the loader's check.
t_ids_refused_by_kernel() {
	local out
	out=$($LOAD bpf/igbvf.bpf.o --bdf "$A" 2>&1) && fail "vfmig-load attached igbvf to edu"
	assert_has "loader names both sides" "serves 8086:10ca only; $A is 1234:11e8" "$out"
	assert_eq "nothing attached" "" "$(sysattr "$A" program)"
	assert_eq "kernel refuses" "attach: error: ENXIO" "$($ATT bpf/igbvf.bpf.o "$A")"
	assert_has "kernel says why" "program igbvf does not serve 1234:11e8" \
		"$(sysattr "$A" last_error)"
	assert_eq "still nothing attached" "" "$(sysattr "$A" program)"
	load bpf/edu.bpf.o --bdf "$A" >/dev/null
}

# No ids: refused unless the operator forces it, and then with a warning.
t_no_ids_needs_force() {
	local out mark
	out=$($LOAD selftests/progs/test_no_ids.bpf.o --bdf "$A" 2>&1) && fail "attached without --force"
	assert_has "loader says how" "declares no PCI ids" "$out"
	assert_has "loader names the fix" "--force" "$out"
	assert_eq "kernel refuses" "attach: error: ENXIO" "$($ATT selftests/progs/test_no_ids.bpf.o "$A")"
	assert_has "kernel says why" "declares no PCI ids" "$(sysattr "$A" last_error)"
	mark=$(($(dmesg | wc -l) + 1))
	out=$($LOAD selftests/progs/test_no_ids.bpf.o --bdf "$A" --force 2>&1) || fail "--force: $out"
	assert_has "loader warns" "warning: selftests/progs/test_no_ids.bpf.o declares no PCI ids" "$out"
	assert_eq "attached" test_no_ids "$(sysattr "$A" program)"
	assert_has "kernel warns" "declares no PCI ids: attached because the operator forced it" \
		"$(dmesg | tail -n +"$mark")"
}

t_inspect_object() {
	local out
	out=$($LOAD inspect selftests/progs/edu_v2.bpf.o) || fail "inspect"
	assert_has "program" "program:    edu" "$out"
	assert_has "versions" "version:    2 (loads streams of versions 1 to 2)" "$out"
	assert_has "ids" "devices:    1234:11e8" "$out"
	assert_has "flags" "p2p pre-copy dirty-log" "$out"
	assert_has "callbacks" "region_read  edu_read" "$out"
	assert_has "sleepable" "load         edu_load (sleepable)" "$out"
	assert_has "declarations" "trap windows and vendor regions at attach" "$out"
	assert_has "license" "license:    GPL" "$out"
	out=$($LOAD inspect --json bpf/igbvf.bpf.o | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["program"], d["version"], d["min_version"], d["ids"][0]["vendor"], d["ids"][0]["device"],
      d["ids"][0]["subvendor"], ",".join(c["member"] for c in d["callbacks"] if c["sleepable"]),
      d["init_declares"]["trap_windows"], d["init_declares"]["vendor_regions"], d["license"])') ||
		fail "inspect --json is not JSON"
	assert_eq "JSON" "igbvf 3 2 8086 10ca None init,region_write,set_state,save,load,log_report,open,reset,prepare True False GPL" "$out"
	out=$($LOAD inspect selftests/progs/test_no_ids.bpf.o) || fail "inspect test_no_ids"
	assert_has "no ids" "none declared: attaches only with --force" "$out"
	out=$($LOAD inspect selftests/progs/test_foreign.bpf.o 2>&1) && fail "inspect of a tcp_congestion_ops"
	assert_has "not a vfmig object" "is not a vfmig_ops" "$out"
}

# Format 2 reads format 1 (upgrade); format 1 refuses format 2 (no downgrade).
t_state_format_upgrade() {
	local a b before out
	load bpf/edu.bpf.o --bdf "$A" >/dev/null
	load selftests/progs/edu_v2.bpf.o --bdf "$B" >/dev/null
	$OPS "$A" 'wr 0 4 4 0x4321' 'wr 0 8 4 6' 'poll 0 0x20 1 0' 'wr 0 0x80 8 0x40000' \
		'wr 0 0x88 8 0x2000' 'wr 0 0x90 8 0x80' >/dev/null
	$OPS "$B" 'wr 0 4 4 0x7777' >/dev/null
	a=$(edu_regs "$A")
	$CTL save --bdf "$A" -o "$TMP/v1.state" || fail "save v1"
	assert_has "v1 stream" "version 1" "$($CTL inspect "$TMP/v1.state")"
	$CTL restore --bdf "$B" -i "$TMP/v1.state" || fail "format 2 refused a format 1 stream"
	assert_eq "B has A's registers" "$a" "$(edu_regs "$B")"
	assert_has "B's shadow" '"restored":1' \
		"$(bpftool -j map dump pinned "$(pindir "$B")/edu_shadow")"

	$OPS "$B" 'wr 0 4 4 0x5555' >/dev/null
	$CTL save --bdf "$B" -o "$TMP/v2.state" || fail "save v2"
	assert_has "v2 stream" "version 2" "$($CTL inspect "$TMP/v2.state")"
	before=$(edu_regs "$A")
	out=$($CTL restore --bdf "$A" -i "$TMP/v2.state" 2>&1) && fail "format 1 loaded format 2"
	assert_has "reason" "saved by a newer version of the program" "$(sysattr "$A" last_error)"
	assert_eq "A unchanged" "$before" "$(edu_regs "$A")"
	b=$(edu_regs "$B")
	$CTL restore --bdf "$B" -i "$TMP/v2.state" || fail "format 2 refused its own stream"
	assert_eq "B again" "$b" "$(edu_regs "$B")"
}

# edu's scratch area through the VFIO uAPI: info, every size, pieces,
# bounds, no mmap; gone with the program.
t_edu_vendor_region() {
	local idx out
	load bpf/edu.bpf.o --bdf "$A" >/dev/null
	idx=$(answer 1 "$($OPS "$A" "find $EDU_SCRATCH_TYPE $EDU_SCRATCH_SUBTYPE")")
	[ "$idx" -ge 9 ] 2>/dev/null || fail "no vendor region: $idx"
	out=$($OPS "$A" "info $idx" \
		"wr $idx 0 1 0xa1" "wr $idx 2 2 0xb2b2" "wr $idx 4 4 0xc4c4c4c4" \
		"wr $idx 8 8 0xd8d8d8d8d8d8d8d8" \
		"rd $idx 0 1" "rd $idx 2 2" "rd $idx 4 4" "rd $idx 8 8" "rd $idx 0 16" \
		"wr $idx 0x101 8 0x1122334455667788" "rd $idx 0x101 8" \
		"rd $idx 0xff8 8" "rd $idx 0xffc 8" "wr $idx 0x1000 1 0" "mmap $idx 0 4096")
	assert_eq "info" "size=0x1000 flags=rw-c type=0x80001234 subtype=1" "$(answer 1 "$out")"
	assert_eq "1-byte write" ok "$(answer 2 "$out")"
	assert_eq "8-byte write" ok "$(answer 5 "$out")"
	assert_eq "1-byte read" 0xa1 "$(answer 6 "$out")"
	assert_eq "2-byte read" 0xb2b2 "$(answer 7 "$out")"
	assert_eq "4-byte read" 0xc4c4c4c4 "$(answer 8 "$out")"
	assert_eq "8-byte read" 0xd8d8d8d8d8d8d8d8 "$(answer 9 "$out")"
	assert_eq "16-byte read" a100b2b2c4c4c4c4d8d8d8d8d8d8d8d8 "$(answer 10 "$out")"
	assert_eq "unaligned write, in pieces" ok "$(answer 11 "$out")"
	assert_eq "unaligned read" 0x1122334455667788 "$(answer 12 "$out")"
	assert_eq "last 8 bytes" 0x0 "$(answer 13 "$out")"
	assert_eq "read past the end" "error: EINVAL" "$(answer 14 "$out")"
	assert_eq "write past the end" "error: EINVAL" "$(answer 15 "$out")"
	assert_eq "no mmap" "error: EINVAL" "$(answer 16 "$out")"
	# The program holds the bytes across opens; the dirty region stays.
	assert_eq "kept" 0x1122334455667788 "$(answer 1 "$($OPS "$A" "rd $idx 0x101 8")")"
	[ "$(answer 1 "$($OPS "$A" "find $((0x8000ffff)) 1")")" != none ] ||
		fail "the dirty-log region is gone"
	# Replaced while open: a program without the region cannot serve it; one
	# that declares it again does (with its own, fresh bytes).
	out=$($OPS "$A" "rd $idx 0x101 8" \
		"sh $LOAD replace selftests/progs/test_region.bpf.o --bdf $A >/dev/null" "rd $idx 0x101 8" \
		"sh $LOAD replace bpf/edu.bpf.o --bdf $A >/dev/null" "rd $idx 0x101 8")
	assert_eq "before" 0x1122334455667788 "$(answer 1 "$out")"
	assert_eq "replaced by test_region" "exit 0" "$(answer 2 "$out")"
	assert_eq "test_region has no such region" "error: ENODEV" "$(answer 3 "$out")"
	assert_eq "edu again" 0x0 "$(answer 5 "$out")"
	$LOAD unload --bdf "$A" >/dev/null || fail unload
	assert_eq "gone without the program" none \
		"$(answer 1 "$($OPS "$A" "find $EDU_SCRATCH_TYPE $EDU_SCRATCH_SUBTYPE")")"
}

# bpf_vfmig_region_add() with what a hostile program may pass, and a huge
# region that costs nothing until read; hooks that pass or fail.
t_region_add_hostile_args() {
	local args out idx
	for args in "region_size=0 region_flags=3:EINVAL" \
		    "region_size=0x40000001 region_flags=3:EINVAL" \
		    "region_size=0xffffffffffffffff region_flags=3:EINVAL" \
		    "region_size=4096 region_flags=0:EINVAL" \
		    "region_size=4096 region_flags=4:EINVAL" \
		    "region_size=4096 region_flags=0xffffffff:EINVAL" \
		    "region_size=4096 region_flags=1 region_dup=1 nr_regions=2:EEXIST" \
		    "region_size=4096 region_flags=1 nr_regions=5:ENOSPC"; do
		# shellcheck disable=SC2086
		out=$(hattach nr_regions=1 ${args%:*})
		assert_eq "$args" "attach: error: ${args##*:}" "$out"
		assert_eq "$args: nothing attached" "" "$(sysattr "$A" program)"
	done
	assert_eq "4 read-only regions of 1 GiB" "attach: ok" \
		"$(hattach nr_regions=4 region_size=0x40000000 region_flags=1 call_kfuncs=1)"
	idx=$(answer 1 "$($OPS "$A" "find $EDU_SCRATCH_TYPE 4")")
	out=$($OPS "$A" "info $idx" "rd $idx 0x3ffffff8 8" "wr $idx 0 4 1" \
		"rd $idx 0x40000000 1" "mmap $idx 0 4096")
	assert_eq "info" "size=0x40000000 flags=r--c type=0x80001234 subtype=4" "$(answer 1 "$out")"
	assert_eq "read at the end" 0x5afe "$(answer 2 "$out")"
	assert_eq "read-only" "error: EINVAL" "$(answer 3 "$out")"
	assert_eq "past the end" "error: EINVAL" "$(answer 4 "$out")"
	assert_eq "no mmap" "error: EINVAL" "$(answer 5 "$out")"
	assert_eq "region_add after init()" -1 "$(hvar kf_result_region_add)"
	hdetach
	hattach nr_regions=1 region_size=64 region_flags=3 ret_region_read=1 \
		ret_region_write=-5 >/dev/null
	idx=$(answer 1 "$($OPS "$A" "find $EDU_SCRATCH_TYPE 1")")
	out=$($OPS "$A" "rd $idx 0 4" "wr $idx 0 4 7")
	assert_eq "VFMIG_PASS: nothing to pass to" "error: EINVAL" "$(answer 1 "$out")"
	assert_eq "a hook's error" "error: EIO" "$(answer 2 "$out")"
	hdetach
}

# The installed kit alone builds a program, with vfmig.ko not loaded (the
# kit's vmlinux.h); the program attaches and migrates once it is.
t_template_builds_out_of_tree() {
	local kit=$TMP/kit tpl=$TMP/mydev out
	make -s install-kit DESTDIR="$kit" PREFIX=/usr >/dev/null || fail "make install-kit"
	cp -r "$kit/usr/share/vfmig/template" "$tpl"
	reset_state
	$LOAD unload --bdf "$A" >/dev/null 2>&1
	rmmod_vfmig || fail "rmmod"
	[ ! -e /sys/kernel/btf/vfmig ] || fail "module BTF still there"
	out=$(make -C "$tpl" VFMIG_INCLUDE="$kit/usr/include/vfmig" 2>&1) ||
		fail "template build without the module: $out"
	assert_has "abi, module absent" "abi:        $ABI (vfmig.ko not loaded)" \
		"$($LOAD inspect "$tpl/mydev.bpf.o")"
	insmod "$KO" || fail "insmod"
	reset_state
	assert_has "ids" "devices:    1234:11e8" "$($LOAD inspect "$tpl/mydev.bpf.o")"
	load "$tpl/mydev.bpf.o" --bdf "$A" >/dev/null
	load "$tpl/mydev.bpf.o" --bdf "$B" >/dev/null
	$OPS "$A" 'wr 0 4 4 0x2468' >/dev/null
	$CTL save --bdf "$A" -o "$TMP/mydev.state" || fail "save"
	$CTL restore --bdf "$B" -i "$TMP/mydev.state" || fail "restore"
	assert_eq "liveness moved" "$(answer 1 "$($OPS "$A" 'rd 0 4 4')")" \
		"$(answer 1 "$($OPS "$B" 'rd 0 4 4')")"
	out=$(make -C "$tpl" clean all VFMIG_INCLUDE="$kit/usr/include/vfmig" \
		VENDOR_ID=0x8086 DEVICE_ID=0x10ca 2>&1) || fail "rebuild: $out"
	assert_has "other ids" "devices:    8086:10ca" "$($LOAD inspect "$tpl/mydev.bpf.o")"
}

# selftests/progs/edu_compat.bpf.o's compat() answers $1 from now on.
compat_answer() {	# compat_answer BDF RET
	# shellcheck disable=SC2046
	bpftool map update pinned "$(pindir "$1")/edu_compat" key hex 00 00 00 00 \
		value hex $(le_hex 4 "$2") $(le_hex 48 0) || fail "configure edu_compat"
}

# An OEM SKU: a stream saved on A, its header saying another subsystem
# device.  Without compat() (edu) it is refused; compat() takes it
# (VFMIG_COMPATIBLE), keeps the default (0) or refuses it (an errno), the
# device kept in RESUMING and usable, the origin named in last_error.
t_compat_other_subsystem() {
	local ids oem before out
	load bpf/edu.bpf.o --bdf "$A" >/dev/null
	load bpf/edu.bpf.o --bdf "$B" >/dev/null
	$OPS "$A" 'wr 0 4 4 0x1357' >/dev/null
	$CTL save --bdf "$A" -o "$TMP/c.state" || fail "save"
	assert_has "one unit" "total: 1 unit," "$($CTL inspect "$TMP/c.state")"
	tail -c +73 "$TMP/c.state" >"$TMP/c.payload"
	ids=$(pci_ids "$A")
	oem=$(printf %04x $((0x${ids##*:} ^ 0x0f0f)))
	$CTL make-stream -o "$TMP/oem.state" --ids "${ids%:*}:$oem" --program edu \
		--version 1 --payload-file "$TMP/c.payload" || fail "make-stream"
	before=$(edu_regs "$B")
	$CTL restore --bdf "$B" -i "$TMP/oem.state" >/dev/null 2>&1 &&
		fail "no compat(): other subsystem id accepted"
	assert_has "default refuses" "other PCI ids" "$(sysattr "$B" last_error)"

	$LOAD unload --bdf "$B" >/dev/null || fail "unload"
	load selftests/progs/edu_compat.bpf.o --bdf "$B" >/dev/null
	compat_answer "$B" 0
	$CTL restore --bdf "$B" -i "$TMP/oem.state" >/dev/null 2>&1 &&
		fail "compat() 0: other subsystem id accepted"
	assert_has "0: the default, origin named" \
		"saved from a device with other PCI ids from ${ids:0:4}:${ids:5:4} (subsystem ${ids:10:4}:$oem), program edu version 1: -19" \
		"$(sysattr "$B" last_error)"
	assert_eq "B unchanged" "$before" "$(edu_regs "$B")"
	$CTL restore --bdf "$B" -i "$TMP/c.state" >/dev/null || fail "0: equal ids refused"

	compat_answer "$B" -18
	$OPS "$B" 'wr 0 4 4 0x2222' >/dev/null
	before=$(edu_regs "$B")
	out=$($CTL restore --bdf "$B" -i "$TMP/oem.state" 2>&1) && fail "compat() refusal ignored"
	assert_has "refusal errno" "Invalid cross-device link" "$out"
	assert_has "refusal named" "compat() refused a stream from ${ids:0:4}:${ids:5:4} (subsystem ${ids:10:4}:$oem), program edu version 1: -18" \
		"$(sysattr "$B" last_error)"
	assert_eq "B unchanged after a refusal" "$before" "$(edu_regs "$B")"
	assert_eq "still served" edu "$(sysattr "$B" program)"

	compat_answer "$B" 1
	$CTL restore --bdf "$B" -i "$TMP/oem.state" >/dev/null || fail "VFMIG_COMPATIBLE: refused"
	assert_eq "liveness moved" "$(answer 1 "$($OPS "$A" 'rd 0 4 4')")" \
		"$(answer 1 "$($OPS "$B" 'rd 0 4 4')")"
	out=$(bpftool -j map dump pinned "$(pindir "$B")/edu_compat")
	assert_has "shown the origin" "\"subsystem_device\":$((0x$oem))," "$out"
	assert_has "shown the program" "\"program_version\":1," "$out"
}

# compat() returning what no program may: the program is stopped, the
# stream refused, the device left usable.
t_compat_hostile_returns() {
	local ret
	load bpf/edu.bpf.o --bdf "$A" >/dev/null
	$CTL save --bdf "$A" -o "$TMP/h.state" >/dev/null || fail "save"
	for ret in 2 -512 -4101 2147483647; do
		load selftests/progs/edu_compat.bpf.o --bdf "$B" >/dev/null
		compat_answer "$B" "$ret"
		$CTL restore --bdf "$B" -i "$TMP/h.state" >/dev/null 2>&1 && fail "$ret: accepted"
		assert_has "$ret: broken contract" "compat() broke its contract" \
			"$(sysattr "$B" last_error)"
		assert_has "$ret: in the log" "compat returned $ret, outside its contract" "$(dmesg)"
		assert_eq "$ret: device usable" 0x10000ed "$(answer 1 "$($OPS "$B" 'rd 0 0 4')")"
		$LOAD unload --bdf "$B" >/dev/null || fail "$ret: unload"
	done
}

# The module shows its ABI; a program needing a newer one is refused before
# the verifier runs, naming both; inspect says so.
t_abi_newer_refused() {
	local out
	assert_eq "module ABI" "$ABI" "$(cat /sys/module/vfmig/parameters/abi_version)"
	out=$($LOAD selftests/progs/test_new_abi.bpf.o --bdf "$A" -v 2>&1) && fail "attached ABI 99"
	assert_has "both named" "needs vfmig ABI 99; the loaded vfmig.ko offers ABI $ABI" "$out"
	[[ $out != *"processed "*insns* ]] || fail "the verifier ran: $out"
	assert_eq "nothing attached" "" "$(sysattr "$A" program)"
	assert_has "inspect: cannot" "abi:        99 (the loaded vfmig.ko offers only $ABI: it cannot attach)" \
		"$($LOAD inspect selftests/progs/test_new_abi.bpf.o)"
	assert_has "inspect: can" "abi:        $ABI (the loaded vfmig.ko offers $ABI)" \
		"$($LOAD inspect bpf/edu.bpf.o)"
	assert_has "inspect --json" "\"abi\":$ABI," "$($LOAD inspect --json bpf/edu.bpf.o)"
	assert_has "kernel refuses a raw attach" "error: EPROTO" "$($ATT selftests/progs/test_new_abi.bpf.o "$A")"
	assert_has "kernel names both" "needs vfmig ABI 99; this module has ABI $ABI" "$(dmesg)"
}
