# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#
# The PF channel (kernel/pf_channel.c, Documentation/pf-channel.md):
# vfmig_igb_pf.ko, the read-only provider for the igb PF, answers a VF's
# program (bpf/test_pf.bpf.o) what igb programmed for that VF, and igbvf
# compares the PF's views across a migration.  Sourced by tests.sh; listed
# in PF_CHANNEL_TESTS.  Every test but t_pf_not_a_vf needs the NIC VM
# (vmtest.sh --igb); the hostile ones are for the KASAN tier.

PF_PROVIDER=${KO%/*}/vfmig_igb_pf.ko
PF_PROG=bpf/test_pf.bpf.o
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

PF_CHANNEL_TESTS=(t_pf_igb_view)
