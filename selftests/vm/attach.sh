# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# shellcheck shell=bash disable=SC2034  # sourced by tests.sh: variables are shared
#
# Attaching, replacing and detaching programs, and what a program may trap:
# with no program vfmig-pci is vfio-pci.  Sourced by tests.sh; listed in
# manifest.sh (ATTACH_TESTS).

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
	load selftests/progs/test_region.bpf.o --bdf "$A"
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
	load selftests/progs/test_region.bpf.o --bdf "$A"
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
	load selftests/progs/test_region.bpf.o --bdf "$A"
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
	err=$($LOAD selftests/progs/test_region.bpf.o --bdf "$A" 2>&1) && fail "second attach succeeded"
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
	err=$($LOAD selftests/progs/test_bad.bpf.o --bdf "$A" 2>&1) && fail "bad program loaded"
	assert_has "verifier log" "only value" "$err"
	assert_has "says what happened" "rejected by the verifier" "$err"
	assert_eq "nothing attached" "" "$(sysattr "$A" program)"
}

t_kfuncs_only_for_vfmig_programs() {
	local err
	err=$(bpftool struct_ops register selftests/progs/test_foreign.bpf.o 2>&1) &&
		fail "a tcp_congestion_ops program called a vfmig kfunc"
	assert_has "kfunc refused" \
		"calling kernel function bpf_vfmig_config_read is not allowed" "$err"
}

# Trapped pages are holes in the sparse-mmap capability; a mapping of the
# whole BAR is accepted (as vfio-pci does) but never maps a trapped page.
t_trapped_pages_not_mmappable() {
	local out
	load selftests/progs/test_region.bpf.o --bdf "$A"
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
		"sh $LOAD selftests/progs/test_region.bpf.o --bdf $A >/dev/null" 'mrd 0' 'rd 0 0 4' \
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
	selftests/replace-test "$A" bpf/edu.bpf.o selftests/progs/test_region.bpf.o "$pin" ||
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
	for _ in $(seq 50); do
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
