# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# shellcheck shell=bash disable=SC2034  # sourced by tests.sh: variables are shared
#
# Refusals that keep the device: a program answers VFMIG_REFUSE(errno) on
# an arc that may be refused, and the device stays where it was instead of
# going to ERROR; on any other arc the same answer breaks the contract.
# selftests/progs/edu_refuse.bpf.o is edu refusing the arc a test names
# (selftests/progs/test_refuse.h).  Sourced by tests.sh; listed in manifest.sh.

# What a program returns to refuse with errno N: VFMIG_REFUSE(N).
refuse() { echo $((-(4096 + $1))); }

# Make edu_refuse on BDF answer RET to the arc FROM -> TO (state numbers of
# enum vfio_device_mig_state), in set_state (IN_DATA 0) or in the save()
# or load() after it (1); its log of arcs starts again.
refuse_config() {	# refuse_config BDF FROM TO IN_DATA RET
	# shellcheck disable=SC2046
	bpftool map update pinned "$(pindir "$1")/edu_refuse" key hex 00 00 00 00 \
		value hex $(le_hex 4 "$2") $(le_hex 4 "$3") $(le_hex 4 "$4") \
		$(le_hex 4 "$5") $(le_hex 80 0) || fail "configure edu_refuse"
}

# A field of edu_refuse's map on BDF, as bpftool prints it.
refuse_field() {	# refuse_field BDF NAME
	bpftool -j map dump pinned "$(pindir "$1")/edu_refuse" |
		grep -o "\"$2\":\(\[[0-9,]*\]\|[0-9]*\)" | cut -d: -f2
}

# Every arc that may be refused, refused in set_state or in the save() or
# load() after it: the request fails with the program's errno, the device
# stays where the arc began and works, and the program serves on.  The
# same answer from an arc that may not be refused, or from the final
# save() of a pre-copy session, breaks the contract: ERROR, as before.
t_refusals_keep_the_device() {
	local out regs
	load selftests/progs/edu_refuse.bpf.o --bdf "$A"
	$OPS "$A" 'wr 0 4 4 0x1234' 'wr 0 8 4 5' 'poll 0 0x20 1 0' >/dev/null
	regs=$(edu_regs "$A")

	refuse_config "$A" 2 6 0 "$(refuse 28)"	# RUNNING -> PRE_COPY
	out=$($OPS "$A" 'mig pre-copy' mstate)
	assert_eq "set_state refuses pre-copy" "error: ENOSPC" "$(answer 1 "$out")"
	assert_eq "still running" running "$(answer 2 "$out")"
	assert_eq "sysfs says who refused what" \
		"program edu refused running -> pre-copy: -28; device kept in running" \
		"$(sysattr "$A" last_error)"

	refuse_config "$A" 2 6 1 "$(refuse 28)"
	out=$($OPS "$A" 'mig pre-copy' mstate)
	assert_eq "save() refuses pre-copy" "error: ENOSPC" "$(answer 1 "$out")"
	assert_eq "still running, no data fd" running "$(answer 2 "$out")"
	assert_eq "set_state took the arc, then was told of the way back" \
		"[26,62,0,0,0,0,0,0,0,0,0,0,0,0,0,0]" "$(refuse_field "$A" arcs)"

	# RUNNING -> STOP_COPY goes through RUNNING_P2P and STOP: a refused
	# STOP -> STOP_COPY leaves the device in STOP, where it got to.
	refuse_config "$A" 1 3 1 "$(refuse 16)"
	out=$($OPS "$A" 'mig stop-copy' mstate 'mig running')
	assert_eq "save() refuses stop-copy" "error: EBUSY" "$(answer 1 "$out")"
	assert_eq "in STOP, the last state reached" stop "$(answer 2 "$out")"
	assert_eq "and back to running" ok "$(answer 3 "$out")"

	refuse_config "$A" 1 4 0 "$(refuse 19)"
	out=$($OPS "$A" 'mig resuming' mstate 'mig running')
	assert_eq "set_state refuses resuming" "error: ENODEV" "$(answer 1 "$out")"
	assert_eq "in STOP" stop "$(answer 2 "$out")"

	# A refused load keeps RESUMING, its fd and the data: a retry loads.
	refuse_config "$A" 4 1 1 "$(refuse 71)"
	out=$($OPS "$A" 'mig stop-copy' "dread $TMP/r" 'mig resuming' "dwrite $TMP/r" \
		'mig stop' mstate \
		"sh bpftool -j map dump pinned $(pindir "$A")/edu_refuse >$TMP/arcs" \
		"sh bpftool map update pinned $(pindir "$A")/edu_refuse key hex 00 00 00 00 value hex $(le_hex 96 0)" \
		'mig stop' mstate 'mig running')
	assert_eq "load() refuses" "error: EPROTO" "$(answer 5 "$out")"
	assert_eq "still resuming" resuming "$(answer 6 "$out")"
	assert_eq "the retry loads the same data" ok "$(answer 9 "$out")"
	assert_eq "stop" stop "$(answer 10 "$out")"
	assert_eq "running" ok "$(answer 11 "$out")"
	assert_has "arcs: to resuming, refused, the way back" \
		'"arcs":[25,51,13,31,14,41,14,0,' "$(cat "$TMP/arcs")"
	assert_eq "the device is as it was" "$regs" "$(edu_regs "$A")"
	assert_has "no reset, restored once" '"resets":0' \
		"$(bpftool -j map dump pinned "$(pindir "$A")/edu_shadow")"
	assert_eq "the program serves on: migration offered" "stop-copy p2p pre-copy" \
		"$(answer 1 "$($OPS "$A" mfeat)")"

	# Hostile: RUNNING -> RUNNING_P2P may not be refused.
	refuse_config "$A" 2 5 0 "$(refuse 28)"
	out=$($OPS "$A" 'mig running-p2p' mstate reset mstate)
	assert_eq "a refusal where none may be" "error: EIO" "$(answer 1 "$out")"
	assert_eq "ERROR" error "$(answer 2 "$out")"
	assert_eq "reset leaves it" running "$(answer 4 "$out")"
	assert_has "outside its contract" "set_state returned -4124, outside its contract" \
		"$(sysattr "$A" last_error)"

	# Nor can the final save() of a pre-copy session, nor an errno > 511.
	$LOAD unload --bdf "$A" >/dev/null
	load selftests/progs/edu_refuse.bpf.o --bdf "$A" >/dev/null
	refuse_config "$A" 7 3 1 "$(refuse 28)"	# PRE_COPY_P2P -> STOP_COPY
	out=$($OPS "$A" 'mig pre-copy' 'mig stop-copy' mstate)
	assert_eq "pre-copy" "ok, data_fd" "$(answer 1 "$out")"
	assert_eq "final save() refusing" "error: EIO" "$(answer 2 "$out")"
	assert_eq "ERROR after it" error "$(answer 3 "$out")"
	$LOAD unload --bdf "$A" >/dev/null
	load selftests/progs/edu_refuse.bpf.o --bdf "$A" >/dev/null
	refuse_config "$A" 2 6 0 "$(refuse 512)"
	out=$($OPS "$A" 'mig pre-copy' mstate)
	assert_eq "VFMIG_REFUSE(512)" "error: EIO" "$(answer 1 "$out")"
	assert_eq "ERROR after it" error "$(answer 2 "$out")"
}

# QEMU 10 and refusals, one source VM, three migrations.  (1) The source's
# program refuses PRE_COPY: QEMU fails the migration, sets the device back
# to RUNNING (no reset) and the guest runs on.  (2) The destination's
# refuses RESUMING, a destination it cannot serve: QEMU fails the incoming
# side and the source carries on by itself.  (3) The destination's load()
# refuses the state: QEMU learns of it only when it starts the destination
# after the source stopped; it resets the destination's device and runs it
# anyway, so the management layer discards it and resumes the source.
t_qemu_refusals_keep_the_source() {
	local info before ready
	load selftests/progs/edu_refuse.bpf.o --bdf "$A"
	load selftests/progs/edu_refuse.bpf.o --bdf "$B"
	refuse_config "$A" 2 6 0 "$(refuse 28)"
	qemu_source_ready
	ready=$(grep '^READY' "$VMDIR/src.log" | cut -d' ' -f3-)

	info=$(qemu_migrate_to_b) && fail "migrated though PRE_COPY was refused"
	assert_has "(1) QEMU failed the migration" '"status": "failed"' "$info"
	assert_has "(1) QEMU set RUNNING back" "Setting device in recover state RUNNING" \
		"$(cat "$VMDIR/src.err")"
	grep -q "Resetting device" "$VMDIR/src.err" && fail "(1) QEMU reset the device"
	assert_eq "(1) device running" running "$(sysattr "$A" migration_state)"
	assert_has "(1) A says why" "refused running -> pre-copy: -28" "$(sysattr "$A" last_error)"
	assert_has "(1) no reset" '"resets":0' \
		"$(bpftool -j map dump pinned "$(pindir "$A")/edu_shadow")"
	before=$(vm_last_tick src)
	sleep 2
	[ "$(vm_last_tick src)" -gt "$before" ] || fail "(1) the source guest stopped"
	assert_eq "(1) its device as before" "$ready" "$(vm_last_regs src)"
	vm_stop dst

	refuse_config "$A" 0 0 0 0
	refuse_config "$B" 1 4 0 "$(refuse 19)"
	info=$(qemu_migrate_to_b) && fail "migrated into a refused RESUMING"
	assert_has "(2) the source sees the failure" '"status": "failed"' "$info"
	assert_has "(2) B says why" "refused stop -> resuming: -19" "$(sysattr "$B" last_error)"
	before=$(vm_last_tick src)
	sleep 2
	[ "$(vm_last_tick src)" -gt "$before" ] || fail "(2) the source did not carry on"
	assert_eq "(2) its device as before" "$ready" "$(vm_last_regs src)"
	assert_eq "(2) A running" running "$(sysattr "$A" migration_state)"
	vm_stop dst

	refuse_config "$B" 4 1 1 "$(refuse 71)"
	info=$(qemu_migrate_to_b) || fail "(3) migration: $info"
	assert_has "(3) B says why" "refused resuming -> stop: -71; device kept in resuming" \
		"$(sysattr "$B" last_error)"
	assert_has "(3) QEMU resets the destination's device" "Resetting device: Protocol error" \
		"$(cat "$VMDIR/dst.err")"
	vm_stop dst
	vm_qmp src cont >/dev/null
	before=$(vm_last_tick src)
	sleep 2
	[ "$(vm_last_tick src)" -gt "$before" ] || fail "(3) the source did not resume"
	assert_eq "(3) its device as before" "$ready" "$(vm_last_regs src)"
	assert_eq "(3) A running" running "$(sysattr "$A" migration_state)"
	vm_stop src
}
