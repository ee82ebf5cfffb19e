# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# shellcheck shell=bash disable=SC2034  # sourced by tests.sh: variables are shared
#
# The PF channel (kernel/pf_channel.c, Documentation/pf-channel.md):
# vfmig_igb_pf.ko, the read-only provider for the igb PF, answers a VF's
# program (selftests/progs/test_pf.bpf.o) what igb programmed for that VF, and igbvf
# compares the PF's views across a migration.  Sourced by tests.sh; listed
# in manifest.sh (PF_CHANNEL_TESTS, PF_CHANNEL_EDU_TESTS).  Every test but
# t_pf_not_a_vf needs the NIC VM (vmtest.sh --igb); the hostile ones are
# for the KASAN tier too.

PF_PROVIDER=${KO%/*}/vfmig_igb_pf.ko
PF_PROG=selftests/progs/test_pf.bpf.o
# include/vfmig_igb_pf.h
PF_OP_VIEW=1
PF_OP_RAR=2
PF_VIEW_SIZE=672

# The provider, loaded once the PF is on igb (nic_setup does).
pf_provider_load() {
	[ -d /sys/module/vfmig_igb_pf ] && return
	insmod "$PF_PROVIDER" || fail "insmod $PF_PROVIDER: $(dmesg | tail -n2)"
}

# Configure test_pf on BDF: the call its next trapped write makes.
pf_cfg() {	# pf_cfg BDF OP BUF_SIZE ARG_SIZE ARG
	# shellcheck disable=SC2046
	bpftool map update pinned "$(pindir "$1")/pf_cfg" key hex 00 00 00 00 \
		value hex $(le_hex 4 "$2") $(le_hex 4 "$3") $(le_hex 4 "$4") \
		$(le_hex 4 "$5") || fail "configure test_pf"
}

# A field of test_pf's result on BDF ("ret", "view.vmvir", "pf_bdf"...);
# "macs" prints the view's MAC addresses, "vids" its VLAN ids.
pf_field() {	# pf_field BDF FIELD
	bpftool -j map dump pinned "$(pindir "$1")/pf_res" | python3 -c '
import json, sys
d = json.load(sys.stdin)[0]
v = d.get("formatted", d)["value"]
f = sys.argv[1]
if f == "macs":
    w = v["view"]
    print(" ".join(":".join("%02x" % b for b in
          ((m["ral"] | (m["rah"] & 0xffff) << 32).to_bytes(6, "little")))
          for m in w["macs"][:w["nr_macs"]]))
elif f == "vids":
    w = v["view"]
    print(" ".join(str(x["vlvf"] & 0xfff) for x in w["vlans"][:w["nr_vlans"]]))
else:
    for k in f.split("."):
        v = v[int(k)] if isinstance(v, list) else v[k]
    print(v)' "$2"
}

# One call from test_pf on BDF; prints what it returned.
pf_call() {	# pf_call BDF OP BUF_SIZE ARG_SIZE ARG
	pf_cfg "$@"
	$OPS "$1" 'wr 0 0xff0 4 1' >/dev/null || fail "the trapped write on $1"
	pf_field "$1" ret
}

# The VFs' administrative settings back to none, whatever a test did.
pf_admin_reset() {
	local i
	for i in 0 1; do
		ip link set "$PFIF" vf "$i" vlan 0 2>/dev/null
		ip link set "$PFIF" vf "$i" mac 00:00:00:00:00:00 2>/dev/null
	done
}

# What `ip link show PF` says of VF N: "MAC VLAN" (VLAN 0 for none).
pf_iplink_vf() {	# pf_iplink_vf N
	ip link show "$PFIF" | sed -n "s/^ *vf $1 .*link\/ether \([0-9a-f:]*\).*/\1/p" |
		tr '\n' ' '
	ip link show "$PFIF" | grep "^ *vf $1 " | grep -o 'vlan [0-9]*' |
		awk '{ print $2 } END { if (!NR) print 0 }'
}

# ---- tests -----------------------------------------------------------------

# The igb provider answers for VF0 and VF1 what `ip link show PF` says:
# each VF's MAC among the receive addresses of its pool, its port VLAN
# (VMVIR) and the VLAN filter of it; and test_pf sees its own VF index and
# PF through vfmig_dev.  The single-entry query agrees.
t_pf_igb_view() {
	local i vf ret macs want vlan idx
	nic_setup
	pf_provider_load
	trap pf_admin_reset EXIT
	ip link set "$PFIF" vf 0 mac 02:aa:00:00:00:10 || fail "VF0 MAC"
	ip link set "$PFIF" vf 1 mac 02:aa:00:00:00:11 || fail "VF1 MAC"
	ip link set "$PFIF" vf 1 vlan 7 || fail "VF1 VLAN"
	for i in 0 1; do
		vf=VF$i
		vf=${!vf}
		load "$PF_PROG" --bdf "$vf" >/dev/null
		ret=$(pf_call "$vf" $PF_OP_VIEW 1024 4 0)
		assert_eq "VF$i: view returned" $PF_VIEW_SIZE "$ret"
		echo "    VF$i: the view took $(($(pf_field "$vf" ns) / 1000)) us"
		assert_eq "VF$i: vf_index" "$i" "$(pf_field "$vf" vf_index)"
		assert_eq "VF$i: pf_bdf" "$PF" "$(pf_field "$vf" pf_bdf)"
		assert_eq "VF$i: the view's VF" "$i" "$(pf_field "$vf" view.vf)"
		read -r want vlan <<<"$(pf_iplink_vf "$i")"
		macs=$(pf_field "$vf" macs)
		echo "    VF$i: ip link: $want vlan $vlan; PF view: macs $macs," \
			"vmvir $(printf %#x "$(pf_field "$vf" view.vmvir)"), vlans" \
			"$(pf_field "$vf" vids), vmolr $(printf %#x "$(pf_field "$vf" view.vmolr)")"
		assert_has "VF$i: its MAC in the PF's filters" "$want" "$macs"
		assert_eq "VF$i: port VLAN" "$vlan" $(($(pf_field "$vf" view.vmvir) & 0xfff))
		if [ "$vlan" != 0 ]; then
			assert_has "VF$i: VLAN filter" "$vlan" "$(pf_field "$vf" vids)"
		fi
		idx=$(pf_field "$vf" view.macs.0.index)
		assert_eq "VF$i: one entry" 16 "$(pf_call "$vf" $PF_OP_RAR 64 4 "$idx")"
	done
	# VF0's entry is not VF1's.
	idx=$(pf_field "$VF0" view.macs.0.index)
	assert_eq "VF1 asking for VF0's entry" -2 "$(pf_call "$VF1" $PF_OP_RAR 64 4 "$idx")"
}

# A destination PF that differs in what only the PF's view shows: its
# administrator gave VF1 a port VLAN.  igb answers the VF's mailbox as
# before (the payload asks for no VLAN, and the reset's answer is the
# MAC), so the replay matches; the view does not: load() fails naming the
# VLAN, and the source, resumed, pings on.  (An administrator's MAC the
# mailbox answers show already: t_nic_destination_pf_differs.)
t_pf_destination_view_differs() {
	local info msgs
	nic_setup
	trap pf_admin_reset EXIT
	ip link set "$PFIF" vf 1 vlan 5 || fail "port VLAN"
	load "$NIC_PROGRAM" --bdf "$VF0" >/dev/null
	load "$NIC_PROGRAM" --bdf "$VF1" >/dev/null
	nic_source_ready src "$VF0"
	info=$(nic_migrate src dst "$VF1")
	echo "    source: $(grep -o '"status": "[a-z-]*"' <<<"$info")"
	msgs=$(nic_msgs "$VF1")
	echo "    VF1: $(grep 'PF view' <<<"$msgs" | tail -n1)"
	assert_has "VF1 names the difference" \
		"PF views differ: port VLAN (VMVIR) 0 on the source, 40000005 here" "$msgs"
	assert_has "VF1's load failed" "program igbvf failed resuming -> stop: -71" \
		"$(sysattr "$VF1" last_error)"
	nic_source_resumes
}

# Wait until a call runs in the provider: it holds the module.
pf_wait_in_call() {
	local i
	for i in $(seq 200); do
		[ "$(cat /sys/module/vfmig_igb_pf/refcnt)" -ge 1 ] && return
		sleep 0.05
	done
	fail "no call ran in the provider"
}

# The provider as it loads: registered, no test delay.
pf_provider_reset() {
	[ -d /sys/module/vfmig_igb_pf ] && rmmod vfmig_igb_pf
	insmod "$PF_PROVIDER" || fail "insmod $PF_PROVIDER"
}

# The argument and result sizes, operations and values a program may
# give, every one out of its bounds: each refused with its errno, the
# buffer zeroed; the provider's own checks of the argument; a provider
# withdrawn (-ENOENT) and back.
t_pf_hostile_calls() {
	local out
	nic_setup
	load "$PF_PROG" --bdf "$VF0" >/dev/null
	assert_eq "a valid call" $PF_VIEW_SIZE "$(pf_call "$VF0" $PF_OP_VIEW 1024 4 0)"
	assert_eq "op 0" -95 "$(pf_call "$VF0" 0 1024 4 0)"
	assert_eq "op 99" -95 "$(pf_call "$VF0" 99 1024 4 0)"
	assert_eq "op ~0" -95 "$(pf_call "$VF0" 4294967295 1024 4 0)"
	assert_eq "buffer zeroed on error" 0 "$(pf_field "$VF0" head.0)"
	assert_eq "argument size 0" -22 "$(pf_call "$VF0" $PF_OP_VIEW 1024 0 0)"
	assert_eq "argument size 5" -22 "$(pf_call "$VF0" $PF_OP_VIEW 1024 5 0)"
	assert_eq "argument size ~0" -22 "$(pf_call "$VF0" $PF_OP_VIEW 1024 4294967295 0)"
	assert_eq "buffer size 0" -22 "$(pf_call "$VF0" $PF_OP_VIEW 0 4 0)"
	assert_eq "buffer below the argument" -22 "$(pf_call "$VF0" $PF_OP_VIEW 3 4 0)"
	assert_eq "buffer below the result" -22 "$(pf_call "$VF0" $PF_OP_VIEW $((PF_VIEW_SIZE - 1)) 4 0)"
	assert_eq "buffer of exactly the result" $PF_VIEW_SIZE "$(pf_call "$VF0" $PF_OP_VIEW $PF_VIEW_SIZE 4 0)"
	assert_eq "buffer of the maximum" $PF_VIEW_SIZE "$(pf_call "$VF0" $PF_OP_VIEW 4096 4 0)"
	assert_eq "buffer above the maximum" -22 "$(pf_call "$VF0" $PF_OP_VIEW 4097 4 0)"
	assert_eq "the provider: flags" -22 "$(pf_call "$VF0" $PF_OP_VIEW 1024 4 1)"
	assert_eq "the provider: entry 24" -22 "$(pf_call "$VF0" $PF_OP_RAR 64 4 24)"
	assert_eq "the provider: entry ~0" -22 "$(pf_call "$VF0" $PF_OP_RAR 64 4 4294967295)"
	echo 0 >/sys/module/vfmig_igb_pf/parameters/registered || fail "withdraw"
	assert_eq "no provider" -2 "$(pf_call "$VF0" $PF_OP_VIEW 1024 4 0)"
	echo 1 >/sys/module/vfmig_igb_pf/parameters/registered || fail "register again"
	assert_eq "the provider back" $PF_VIEW_SIZE "$(pf_call "$VF0" $PF_OP_VIEW 1024 4 0)"
	out=$(pf_call "$VF0" $PF_OP_VIEW 1024 4 0)
	assert_eq "and again" $PF_VIEW_SIZE "$out"
}

# A call in flight (the provider's test delay, 2 s, over its operation's
# declared 20 ms) holds the provider's module: rmmod fails meanwhile.
# The call is measured: it fails with -ETIMEDOUT and disables the
# provider, whose later calls fail alike.  Then the provider withdraws
# itself under a running call: the withdrawal waits for it, and later
# calls find none.
t_pf_provider_gone_mid_call() {
	local start waited
	nic_setup
	trap pf_provider_reset EXIT
	load "$PF_PROG" --bdf "$VF0" >/dev/null
	echo 2000 >/sys/module/vfmig_igb_pf/parameters/delay_ms
	pf_call "$VF0" $PF_OP_VIEW 1024 4 0 >"$TMP/ret" &
	pf_wait_in_call
	rmmod vfmig_igb_pf 2>/dev/null && fail "rmmod of the provider during a call"
	wait $! || fail "the call"
	assert_eq "the overrunning call" -110 "$(cat "$TMP/ret")"
	assert_has "the kernel says why" "provider igb-ro disabled: operation vf_view for VF 0 took" \
		"$(dmesg | tail -n 20)"
	echo 0 >/sys/module/vfmig_igb_pf/parameters/delay_ms
	assert_eq "disabled" -110 "$(pf_call "$VF0" $PF_OP_VIEW 1024 4 0)"
	rmmod vfmig_igb_pf || fail "rmmod of the provider once idle"
	assert_eq "no provider" -2 "$(pf_call "$VF0" $PF_OP_VIEW 1024 4 0)"

	insmod "$PF_PROVIDER" delay_ms=2000 || fail "insmod"
	pf_call "$VF0" $PF_OP_VIEW 1024 4 0 >"$TMP/ret" &
	pf_wait_in_call
	start=$(date +%s%N)
	echo 0 >/sys/module/vfmig_igb_pf/parameters/registered || fail "withdraw"
	waited=$((($(date +%s%N) - start) / 1000000))
	wait $! || fail "the call"
	echo "    the withdrawal waited $waited ms for the call"
	[ "$waited" -ge 300 ] || fail "the withdrawal did not wait for the call ($waited ms)"
	assert_eq "the call withdrawn under" -110 "$(cat "$TMP/ret")"
	assert_eq "withdrawn" -2 "$(pf_call "$VF0" $PF_OP_VIEW 1024 4 0)"
}

# The VF unbound from vfmig-pci while its program's call runs: the unbind
# waits for the call, the program goes, nothing is left behind.
t_pf_vf_unbound_mid_call() {
	nic_setup
	trap pf_provider_reset EXIT
	load "$PF_PROG" --bdf "$VF1" >/dev/null
	echo 2000 >/sys/module/vfmig_igb_pf/parameters/delay_ms
	pf_call "$VF1" $PF_OP_VIEW 1024 4 0 >"$TMP/ret" &
	pf_wait_in_call
	echo "$VF1" >"$SYS/$VF1/driver/unbind" || fail "unbind"
	wait $! || fail "the call"
	assert_eq "the call ended as measured" -110 "$(cat "$TMP/ret")"
	[ -e "$SYS/$VF1/driver" ] && fail "VF1 still bound"
	[ -e "$(pindir "$VF1")/link" ] && $LOAD unload --bdf "$VF1" >/dev/null 2>&1
	bind vfmig-pci "$VF1" >/dev/null
}

# A device that is no VF (edu): the kernel refuses the call, whatever the
# program asks; vfmig_dev says it is no VF.  The edu VM.
t_pf_not_a_vf() {
	load "$PF_PROG" --bdf "$A" >/dev/null
	assert_eq "not a VF" -19 "$(pf_call "$A" $PF_OP_VIEW 1024 4 0)"
	assert_eq "not a VF, any op" -19 "$(pf_call "$A" 7 0 0 0)"
	assert_eq "vf_index" 4294967295 "$(pf_field "$A" vf_index)"
	assert_eq "pf_bdf" "" "$(pf_field "$A" pf_bdf)"
}
