# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# shellcheck shell=bash disable=SC2034  # sourced by tests.sh: variables are shared
#
# Streams and data fds a user gets wrong: a data fd used after its device
# closed and went away, and every byte of a stream flipped, each refused
# with the device left as it was.  Sourced by tests.sh; listed in
# manifest.sh (STREAM_TESTS).

# A data fd used after its device fd closed and the device was unbound:
# clean errors, nothing touched after it is gone (KASAN on the second tier).
t_data_fd_outlives_device() {
	local out
	load bpf/edu.bpf.o --bdf "$A"
	$CTL save --bdf "$A" -o "$TMP/o.state" >/dev/null || fail save
	out=$($OPS "$A" 'mig pre-copy' devclose "sh echo $A >$SYS/$A/driver/unbind" \
		pinfo "dread $TMP/o2" dclose)
	assert_eq "pre-copy" "ok, data_fd" "$(answer 1 "$out")"
	assert_eq "device closed" ok "$(answer 2 "$out")"
	assert_eq "unbound" "exit 0" "$(answer 3 "$out")"
	assert_eq "precopy info on a gone device" "error: ENODEV" "$(answer 4 "$out")"
	assert_eq "read on a gone device" "0 bytes, ENODEV" "$(answer 5 "$out")"
	bind vfmig-pci "$A"
	load unload --bdf "$A" >/dev/null
	load bpf/edu.bpf.o --bdf "$A"
	out=$($OPS "$A" 'mig resuming' devclose "sh echo $A >$SYS/$A/driver/unbind" \
		"dwrite $TMP/o.state" dclose)
	assert_eq "resuming" "ok, data_fd" "$(answer 1 "$out")"
	assert_eq "write on a gone device" "error after 0 bytes: ENODEV" "$(answer 4 "$out")"
	bind vfmig-pci "$A"
	assert_eq "device works" 0x10000ed "$(answer 1 "$($OPS "$A" 'rd 0 0 4')")"
}

# Every byte of a stream flipped, one at a time, in 1-byte and 7-byte
# writes: each stream refused, the device still RESUMING, nothing loaded.
t_every_stream_byte_flipped() {
	local before after out f
	load selftests/progs/edu_stop_copy.bpf.o --bdf "$A"
	$OPS "$A" 'wr 0 4 4 0x1234' 'wr 0 8 4 5' 'poll 0 0x20 1 0' >/dev/null
	$OPS "$A" 'mig stop-copy' "dread $TMP/single.state" >/dev/null
	load unload --bdf "$A" >/dev/null
	load bpf/edu.bpf.o --bdf "$A"
	$OPS "$A" 'mig pre-copy' "dread $TMP/pre.state" 'mig stop-copy' \
		"dread $TMP/pre.state" >/dev/null
	for f in single pre; do
		$LOAD unload --bdf "$B" >/dev/null 2>&1
		load "$([ $f = single ] && echo selftests/progs/edu_stop_copy || echo bpf/edu).bpf.o" --bdf "$B" >/dev/null
		before=$(edu_regs "$B")
		out=$($OPS "$B" "flipall $TMP/$f.state 1" "flipall $TMP/$f.state 7")
		after=$(edu_regs "$B")
		assert_eq "$f: all refused, 1-byte writes" \
			"$(stat -c %s "$TMP/$f.state") bytes, $(stat -c %s "$TMP/$f.state") refused, 0 accepted, 0 not resuming, 0 not reset" \
			"$(answer 1 "$out")"
		assert_eq "$f: all refused, 7-byte writes" \
			"$(stat -c %s "$TMP/$f.state") bytes, $(stat -c %s "$TMP/$f.state") refused, 0 accepted, 0 not resuming, 0 not reset" \
			"$(answer 2 "$out")"
		assert_eq "$f: registers unchanged" "$before" "$after"
		assert_has "$f: nothing loaded" '"restored":0' \
			"$(bpftool -j map dump pinned "$(pindir "$B")/edu_shadow")"
		out=$($OPS "$B" 'mig resuming' "dwrite $TMP/$f.state" 'mig stop')
		assert_eq "$f: the unflipped stream loads" ok "$(answer 3 "$out")"
	done
}
