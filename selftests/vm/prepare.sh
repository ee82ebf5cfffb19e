# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# shellcheck shell=bash
#
# prepare(): the destination sets up from each pre-copy unit as it
# arrives, load() gets the rest.  Sourced by tests.sh.

PREP=selftests/progs/test_prepare.bpf.o
PP=/sys/fs/bpf/vfmig-prepare	# reset_state (lib.sh) removes it

pattach() {	# pattach [NAME=VALUE]...
	assert_eq "attach test_prepare $*" "attach: ok" "$(pin_attach "$PP" "$PREP" "$@")"
}
pdetach() { pin_detach "$PP"; }
pvar() { pin_var "$PP" "$@"; }

# A pre-copy session on A into $TMP/$1.pre (its initial unit) and
# $TMP/$1.fin (the final one), as vfio-ops operations.
prep_save_ops() {
	rm -f "$TMP/$1.pre" "$TMP/$1.fin"
	echo 'mig pre-copy' "dread $TMP/$1.pre" 'mig stop-copy' "dread $TMP/$1.fin"
}

# prepare() runs once per pre-copy unit as the write that completes it
# returns, before the final unit is even written, and sees only its unit
# (phase PRECOPY); load() then reads only the final unit, and a refused
# load() retried reads the same again.
t_prepare_per_precopy_unit() {
	local out pid ops
	pattach refuse_first_load=1
	rm -f "$TMP/pu.pre" "$TMP/pu.fin"
	out=$($OPS "$A" 'mig pre-copy' "dread $TMP/pu.pre" 'mig stop-copy' \
		"dread $TMP/pu.fin")
	assert_has "pre-copy unit read" "bytes, ENOMSG" "$(answer 2 "$out")"
	assert_eq "saved twice, prepared nothing" "2 0" "$(pvar ev_save ev_prepare)"

	# The destination: the pre-copy unit, a pause, then the final unit.
	$OPS "$A" 'mig resuming' "dwrite $TMP/pu.pre" 'sleep 8000' \
		"dwrite $TMP/pu.fin" 'mig stop' 'mig stop' mstate >"$TMP/pu.out" &
	pid=$!
	for _ in $(seq 60); do
		[ "$(pvar ev_prepare)" = 1 ] && break
		sleep 0.1
	done
	ops=$(pvar ev_prepare ev_prepare_phase ev_prepare_length ev_prepare_tags \
		ev_prepare_extra ev_load)
	wait "$pid"
	out=$(cat "$TMP/pu.out")
	# struct record is 32 bytes: one a unit; phase 2 is VFMIG_SAVE_PRECOPY.
	assert_eq "prepare(): once, its unit only, before the final unit came" \
		"1 2 32 1 0 0" "$ops"
	assert_eq "pre-copy unit written" "$(stat -c %s "$TMP/pu.pre") bytes" \
		"$(answer 2 "$out")"
	assert_eq "first load refused" "error: EBUSY" "$(answer 4 "$out")"
	assert_eq "second load" ok "$(answer 5 "$out")"
	assert_eq "stopped" stop "$(answer 6 "$out")"
	assert_eq "load(): twice, after prepare(), the final unit only each time" \
		"1 2 1 32 0 1" \
		"$(pvar ev_prepare ev_load ev_load_prepared ev_load_length \
			ev_load_precopy ev_load_final)"
	pdetach
}

# What t_prepare_hostile_returns has the first prepare() do; on the KASAN
# tier (an attach through the verifier is 6-10 s under TCG) one of each
# way the kernel takes.
PREP_VALUES="-1 refuse 1 2147483647 -4096 -2147483648 error"
grep -qw kasan_report /proc/kallsyms 2>/dev/null && PREP_VALUES="-1 refuse -2147483648 error"

# prepare() answering an errno, a refusal, values outside its contract,
# or 0 after bpf_vfmig_error(): that write fails with an errno, the reason
# is in last_error, the stream is never loaded, and the device stays
# usable: after a reset the next pre-copy session (whose prepare()
# answers 0) moves the state, through a new attach where the program was
# stopped.
t_prepare_hostile_returns() {
	local v out want state msg mark arg n ops
	for v in $PREP_VALUES; do
		mark=$(($(dmesg | wc -l) + 1))
		case $v in
		refuse) arg="ret_prepare=$((-(4096 + 16)))"
			want=EBUSY state=resuming
			msg="refused pre-copy unit 0 in prepare(): -16; device kept in resuming" ;;
		-1) arg="ret_prepare=-1" want=EPERM state=error
			msg="failed prepare() of pre-copy unit 0: -1; device in error" ;;
		error) arg="prepare_error=-19" want=ENODEV state=error
			msg="reported error -19: hooks and migration stopped" ;;
		*) arg="ret_prepare=$v" want=EIO state=error
			msg="prepare returned $v, outside its contract: stopped" ;;
		esac
		pattach "$arg"
		rm -f "$TMP/h.pre" "$TMP/h.fin"
		ops=('mig pre-copy' "dread $TMP/h.pre" 'mig stop-copy' "dread $TMP/h.fin"
		     'mig resuming' "dwrite $TMP/h.pre" mstate "dwrite $TMP/h.fin"
		     'mig stop' mstate reset mstate)
		out=$($OPS "$A" "${ops[@]}")
		assert_eq "prepare $v: the write fails" "error after 0 bytes: $want" \
			"$(answer 6 "$out")"
		assert_eq "prepare $v: device" "$state" "$(answer 7 "$out")"
		assert_has "prepare $v: reason logged" "$msg" "$(dmesg | tail -n +"$mark")"
		if [ "$state" = resuming ]; then
			assert_eq "refused: the arc says why" \
				"refused migration stream: prepare() refused a pre-copy unit of it" \
				"$(sysattr "$A" last_error)"
			assert_eq "refused: later writes fail" "error after 0 bytes: EBUSY" \
				"$(answer 8 "$out")"
			assert_eq "refused: never loaded" "error: EBUSY" "$(answer 9 "$out")"
			assert_eq "refused: still resuming" resuming "$(answer 10 "$out")"
		fi
		assert_eq "prepare $v: reset" ok "$(answer 11 "$out")"
		assert_eq "prepare $v: running after the reset" running "$(answer 12 "$out")"
		assert_eq "prepare $v: never loaded" 0 "$(pvar ev_load)"
		n=2
		case $v in
		-1 | refuse) ;;
		*)	# stopped: the next attach serves the next session
			assert_has "prepare $v: reason kept" "$msg" "$(sysattr "$A" last_error)"
			pdetach
			pattach
			n=1 ;;
		esac
		rm -f "$TMP/r.pre" "$TMP/r.fin"
		ops=('mig pre-copy' "dread $TMP/r.pre" 'mig stop-copy' "dread $TMP/r.fin"
		     'mig resuming' "dwrite $TMP/r.pre" "dwrite $TMP/r.fin" 'mig stop' mstate)
		out=$($OPS "$A" "${ops[@]}")
		assert_eq "prepare $v: next session loads" "ok stop" \
			"$(answer 8 "$out") $(answer 9 "$out")"
		assert_eq "prepare $v: its unit prepared, the final one loaded" \
			"$n 1 0 1" "$(pvar ev_prepare ev_load ev_load_precopy ev_load_final)"
		pdetach
	done
}
