# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# shellcheck shell=bash disable=SC2034  # sourced by tests.sh: variables are shared
#
# Every kfunc bounds-checked against its own device: BARs that do not
# exist, offsets past a BAR or config space, odd sizes and alignments,
# the config registers vfio-pci keeps (command, BARs, MSI), and the MSI-X
# table and PBA of the igb PF, from a region hook and a sleepable
# callback alike.  Sourced by tests.sh; listed in manifest.sh
# (KFUNC_BOUNDS_TESTS; the MSI-X one in NIC_TESTS).

# One kfunc probe: test_hostile calls each kfunc with BAR, OFFSET, SIZE,
# VALUE from its region hook (under RCU) and from set_state (sleepable),
# and stream_write_bar from save; prints the results of the sleepable run
# after checking both runs agree.  DEV defaults to A.  The program is
# attached to DEV once (each attach is a pass through the verifier, 6-10 s
# on the KASAN tier); each probe writes its arguments, with every other
# global as a fresh load holds it, into the attached program's .bss
# (attach-test -s).  kfunc_done detaches it.
kfunc_probe() {	# kfunc_probe BAR OFFSET SIZE VALUE [DEV]
	local names="kf_result_bar_read kf_result_bar_write kf_result_config_read kf_result_config_write kf_result_trap_window"
	local dev=${5:-$A} atomic sleepable
	local args=(call_kfuncs=1 kf_bar="$1" kf_offset="$2" kf_size="$3" kf_value="$4")
	if [ -e "$HP/link" ] && [ "$(cat "$TMP/kfunc_dev" 2>/dev/null)" = "$dev" ] &&
	   [ "$(sysattr "$dev" program)" = test_hostile ]; then
		assert_eq "kfuncs $*: arguments set" "set: ok" \
			"$($ATT -s "$HP" "$HOSTILE" "$dev" "${args[@]}")"
	else
		rm -rf "$HP"
		mkdir -p "$HP"
		$ATT -p "$HP" "$HOSTILE" "$dev" "${args[@]}" >/dev/null || fail "attach-test"
		echo "$dev" >"$TMP/kfunc_dev"
	fi
	$OPS "$dev" 'rd 0 0 4' >/dev/null
	# shellcheck disable=SC2086 # one name a word
	atomic=$(hvar $names)
	$OPS "$dev" 'mig stop-copy' >/dev/null
	# shellcheck disable=SC2086
	sleepable=$(hvar $names kf_sleepable kf_read_value kf_result_stream_write_bar)
	assert_eq "set_state ran the probe" 1 "$(cut -d' ' -f6 <<<"$sleepable")"
	assert_eq "kfuncs $*: region hook and set_state agree" "$atomic" \
		"$(cut -d' ' -f1-5 <<<"$sleepable")"
	echo "$(cut -d' ' -f1-5 <<<"$sleepable") $(cut -d' ' -f7-8 <<<"$sleepable")"
}

# Detach kfunc_probe's program, as the test found the device.
kfunc_done() {
	rm -f "$HP/link" "$TMP/kfunc_dev"
}

# Results: bar_read bar_write config_read config_write trap_window value
# stream_write_bar.
t_kfunc_bounds() {
	local out
	out=$(kfunc_probe 6 0 4 0)
	assert_eq "BAR 6" "-22 -22 0 -1 -1" "$(cut -d' ' -f1-5 <<<"$out")"
	out=$(kfunc_probe 9 0 4 0)
	assert_eq "BAR 9" "-22 -22" "$(cut -d' ' -f1-2 <<<"$out")"
	out=$(kfunc_probe 0 0x100000 4 0)
	assert_eq "past the BAR and config space" "-22 -22 -22 -22" "$(cut -d' ' -f1-4 <<<"$out")"
	out=$(kfunc_probe 0 0xffffc 8 0)
	assert_eq "8 bytes at the BAR's last dword" "-22 -22" "$(cut -d' ' -f1-2 <<<"$out")"
	out=$(kfunc_probe 0 4 3 0)
	assert_eq "size 3" "-22 -22 -22 -22" "$(cut -d' ' -f1-4 <<<"$out")"
	out=$(kfunc_probe 0 2 4 0)
	assert_eq "misaligned" "-22 -22 -22 -22" "$(cut -d' ' -f1-4 <<<"$out")"
	out=$(kfunc_probe 0 0xfc 8 0)
	assert_eq "config: 8 bytes over its end" "-22" "$(cut -d' ' -f3 <<<"$out")"
	# The command register (decode bits), a BAR register, the MSI capability.
	out=$(kfunc_probe 0 4 2 0)
	assert_eq "command register: read, not written" "0 -1" "$(cut -d' ' -f3-4 <<<"$out")"
	out=$(kfunc_probe 0 0x10 4 0)
	assert_eq "BAR register: not written" "-1" "$(cut -d' ' -f4 <<<"$out")"
	out=$(kfunc_probe 0 0x40 4 0)
	assert_eq "MSI capability: not written" "-1" "$(cut -d' ' -f4 <<<"$out")"
	# Where they should work: an edu register, unclaimed config space.
	out=$(kfunc_probe 0 4 4 0x1234)
	assert_eq "edu liveness register" "0 0 0 -1 -1" "$(cut -d' ' -f1-5 <<<"$out")"
	assert_eq "stream_write_bar of it" 0 "$(cut -d' ' -f7 <<<"$out")"
	out=$(kfunc_probe 0 0xffffc 8 0)
	assert_eq "stream_write_bar past the BAR" -22 "$(cut -d' ' -f7 <<<"$out")"
	out=$(kfunc_probe 6 0 4 0)
	assert_eq "stream_write_bar of BAR 6" -22 "$(cut -d' ' -f7 <<<"$out")"
	out=$(kfunc_probe 0 0xc0 4 0x5a5a5a5a)
	assert_eq "unclaimed config space" "0 0" "$(cut -d' ' -f3-4 <<<"$out")"
	kfunc_done
	assert_eq "device still sane" 0x10000ed "$(answer 1 "$($OPS "$A" 'rd 0 0 4')")"
}

# Config offset of a device's MSI-X capability (id 0x11), walking the list.
msix_cap() {
	local pos id
	pos=$(($(od -An -tu1 -j52 -N1 "$SYS/$1/config")))
	while [ "$pos" -ne 0 ]; do
		id=$(($(od -An -tu1 -j"$pos" -N1 "$SYS/$1/config")))
		[ "$id" -eq 17 ] && { echo "$pos"; return; }
		pos=$(($(od -An -tu1 -j$((pos + 1)) -N1 "$SYS/$1/config")))
	done
	fail "$1 has no MSI-X capability"
}

# The MSI-X table and PBA are out of any program's reach, as vfio-pci keeps
# them from its user: the igb PF has both in BAR3 (vmtest.sh --igb).
t_kfunc_msix_out_of_reach() {
	local pf=${VMTEST_IGB:-} table pba bir out
	[ -n "$pf" ] || fail "no MSI-X device: boot with vmtest.sh --igb"
	bind vfmig-pci "$pf"
	table=$(($(od -An -tu4 -j$(( $(msix_cap "$pf") + 4 )) -N4 "$SYS/$pf/config")))
	pba=$(($(od -An -tu4 -j$(( $(msix_cap "$pf") + 8 )) -N4 "$SYS/$pf/config")))
	bir=$((table & 7))
	out=$(kfunc_probe "$bir" $((table & ~7)) 4 0 "$pf")
	assert_eq "MSI-X table entry 0" "-1 -1" "$(cut -d' ' -f1-2 <<<"$out")"
	out=$(kfunc_probe "$bir" $(((table & ~7) + 16 * 2 + 12)) 4 0 "$pf")
	assert_eq "MSI-X table entry 2's control" "-1 -1" "$(cut -d' ' -f1-2 <<<"$out")"
	out=$(kfunc_probe $((pba & 7)) $((pba & ~7)) 8 0 "$pf")
	assert_eq "MSI-X PBA" "-1 -1" "$(cut -d' ' -f1-2 <<<"$out")"
	assert_eq "stream_write_bar over the PBA" -1 "$(cut -d' ' -f7 <<<"$out")"
	out=$(kfunc_probe 0 8 4 0 "$pf")
	assert_eq "an igb register" "0 0" "$(cut -d' ' -f1-2 <<<"$out")"
	kfunc_done
}
