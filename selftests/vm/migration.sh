# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# shellcheck shell=bash disable=SC2034  # sourced by tests.sh: variables are shared
#
# The VFIO migration uAPI (v2) driven by selftests/vfio-ops: every arc,
# malformed streams, resets and detaches mid-migration, program errors.
# Sourced by tests.sh; listed in manifest.sh (MIGRATION_TESTS).

t_region_program_offers_no_migration() {
	load selftests/progs/test_region.bpf.o --bdf "$A"
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
	load selftests/progs/test_mig.bpf.o --bdf "$A"
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
	load selftests/progs/test_mig.bpf.o --bdf "$A"
	mig_config "$A" 4096 1	# save() calls bpf_vfmig_error(-EIO)
	out=$($OPS "$A" 'mig stop-copy' mstate reset mstate)
	assert_eq "save fails" "error: EIO" "$(answer 1 "$out")"
	assert_eq "ERROR" error "$(answer 2 "$out")"
	assert_eq "reset" running "$(answer 4 "$out")"
	assert_has "sysfs" "reported error -5" "$(sysattr "$A" last_error)"
	assert_eq "no migration once given up" "error: ENOTTY" \
		"$(answer 1 "$($OPS "$A" mfeat)")"

	load unload --bdf "$A" >/dev/null
	load selftests/progs/test_mig.bpf.o --bdf "$A" >/dev/null
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
	load selftests/progs/test_mig.bpf.o --bdf "$A"
	mig_config "$A" $((2 << 20)) 0
	echo 1 >/sys/module/vfmig/parameters/max_state_mb
	out=$($OPS "$A" 'mig stop-copy' mstate reset)
	echo 256 >/sys/module/vfmig/parameters/max_state_mb
	assert_eq "too big" "error: EFBIG" "$(answer 1 "$out")"
	assert_eq "ERROR" error "$(answer 2 "$out")"
	assert_has "names the fix" "raise vfmig.max_state_mb" "$(sysattr "$A" last_error)"
}
