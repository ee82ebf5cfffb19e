# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# shellcheck shell=bash disable=SC2034  # sourced by tests.sh: variables are shared
#
# A user's guest on the NIC VF: Linux with the kernel's own igbvf driver
# (a small kernel, make guestkernel, booted nested with selftests/guest's
# initramfs), on guest RAM backed as QEMU backs it by default (THP) or
# with hugetlbfs, migrated VF0 -> VF1 -> VF0 while the PF pings it and
# streams bytes it checks, through its own MAC, three more MACs (macvlan),
# an IPv6 address and a VLAN.  Sourced by tests.sh after nic.sh; listed in
# manifest.sh (LINUX_GUEST_TIER1/2), run by check.sh in the NIC VM.
# Run: make linux-guest && selftests/vmtest.sh --igb --timeout 3000 --
# selftests/vm/tests.sh t_linux_guest_thp

LG_KERNEL=$(find "$(cat .cache/guestkernel-dir 2>/dev/null)"/boot -name "vmlinuz-*" 2>/dev/null | head -n1)
LG_INITRD=build/linux_guest.cpio.gz
LG_MEM=256
# Echoes the PF may miss while a migration switches over (0.2 s apart).
LG_MAX_LOST=15
# The PF's addresses on the guest's networks, and the guest's.
LG_VLAN=100
LG_ADDRS=(10.99.0.2 10.99.0.11 10.99.0.12 10.99.0.13 10.99.100.2 fd00::2)
# igbvf and the PF's driver saying a VF went wrong.
LG_COMPLAINTS='Reset adapter|reset adapter|NETDEV WATCHDOG|timed out|Link is Down|PF still resetting|Too many unicast|not added|Failed to remove|GUEST-ERROR|Call Trace|BUG:'

# lg_pf_setup MTU: the PF on the guest's networks (VLAN, IPv6), at MTU.
lg_pf_setup() {
	ip link set "$PFIF" mtu "$1" || fail "PF mtu $1"
	ip -6 addr add fd00::1/64 dev "$PFIF" nodad 2>/dev/null
	modprobe -q 8021q 2>/dev/null || [ -d /proc/net/vlan ] ||
		fail "no 802.1Q in this kernel (CONFIG_VLAN_8021Q) for the guest's VLAN"
	if [ ! -e "/sys/class/net/$PFIF.$LG_VLAN" ]; then
		ip link add link "$PFIF" name "$PFIF.$LG_VLAN" type vlan id "$LG_VLAN" ||
			fail "PF VLAN"
		ip addr add 10.99.100.1/24 dev "$PFIF.$LG_VLAN"
	fi
	ip link set "$PFIF.$LG_VLAN" up
}

# igb's PF (6.12) never gives back a VF's unicast filter slots: it refuses
# igbvf's MAC_FILTER_CLR (it checks the clear's address, which igbvf
# leaves zero), and a VF reset keeps them.  Its 18 slots are shared by the
# VFs, so guests before this one may have taken them all: new VFs start
# with the pool free.
lg_fresh_vfs() {
	local vf
	PF=${VMTEST_IGB:-}
	[ -n "$PF" ] && [ -e "$SYS/$PF/virtfn0" ] || return 0
	for vf in "$SYS/$PF"/virtfn*; do
		vf=$(basename "$(readlink "$vf")")
		[ -e "$SYS/$vf/driver" ] && echo "$vf" >"$SYS/$vf/driver/unbind"
	done
	echo 0 >"$SYS/$PF/sriov_numvfs" || fail "removing the VFs"
}

lg_pf_cleanup() {
	ip link del "$PFIF.$LG_VLAN" 2>/dev/null
	ip -6 addr del fd00::1/64 dev "$PFIF" 2>/dev/null
	ip link set "$PFIF" mtu 1500
}

# lg_args MEMORY MTU RING: NIC_QEMU_ARGS for the Linux guest; MEMORY is
# thp (QEMU's default anonymous RAM) or hugetlbfs.
lg_args() {
	NIC_GUEST=$LG_KERNEL	# read by nic_vm (nic.sh)
	NIC_QEMU_ARGS=(-m "${LG_MEM}M" -initrd "$LG_INITRD"
		       -append "console=ttyS0 loglevel=6 panic=-1 nohz=off highres=off guest.mtu=$2${3:+ guest.ring=$3}")
	if [ "$1" = hugetlbfs ]; then
		mkdir -p /dev/hugepages
		mountpoint -q /dev/hugepages || mount -t hugetlbfs none /dev/hugepages
		# Two guests at once during a migration, and some to spare.
		echo $((LG_MEM / 2 * 2 + 16)) >/proc/sys/vm/nr_hugepages
		NIC_QEMU_ARGS+=(-object "memory-backend-file,id=ram0,size=${LG_MEM}M,mem-path=/dev/hugepages,share=off,prealloc=on"
				-machine memory-backend=ram0)
	fi
}

# lg_memory NAME KIND: QEMU's guest RAM is backed as asked.
lg_memory() {
	local pid kb
	pid=$(cat "$VMDIR/$1.pid")
	case $2 in
	hugetlbfs) kb=$(awk '/^Private_Hugetlb:/ { s += $2 } END { print s + 0 }' "/proc/$pid/smaps") ;;
	thp) kb=$(awk '/^AnonHugePages:/ { s += $2 } END { print s + 0 }' "/proc/$pid/smaps") ;;
	esac
	[ "$kb" -ge $((LG_MEM * 1024 / 4)) ] || fail "$1: only $kb kB of guest RAM on $2"
	echo "    $1: $kb kB of its RAM on $2"
}

# lg_reachable NAME: every address of the guest answers the PF (a fresh
# ARP each, so each MAC is looked up and its frames need the VF's filter).
lg_reachable() {
	local a ok n
	ip neigh flush dev "$PFIF" 2>/dev/null
	ip neigh flush dev "$PFIF.$LG_VLAN" 2>/dev/null
	for a in "${LG_ADDRS[@]}"; do
		# The stream can fill the guest's RX ring (it checks bytes under
		# TCG in TCG) and drop a ping: up to three rounds of five.
		ok=0
		for _ in 1 2 3; do
			n=$(ping -c 5 -i 0.2 -W 5 "$a" 2>/dev/null |
				sed -n 's/.* \([0-9]*\) received.*/\1/p')
			ok=$((ok + ${n:-0}))
			[ "$ok" -ge 3 ] && break
		done
		[ "$ok" -ge 3 ] ||
			fail "$1: $a answers $ok of 15 pings; PF: $(ip neigh show dev "$PFIF" | tr '\n' ';') VF0: $(sysattr "$VF0" last_error); guest: $(grep -aE 'igbvf|eth0|CARRIER|GUESTPING|inet|GUEST-ERROR' "$VMDIR/$1.log" | tail -n 30)"
	done
}

# The stream: chunks of `seq 1 150000` to the guest's port 5000 until
# $VMDIR/stream.stop exists; the number sent goes to stream.sent.
lg_stream_start() {
	rm -f "$VMDIR/stream.stop" "$VMDIR/stream.sent"
	python3 -c '
import socket, subprocess, sys, os, time
data = subprocess.run(["seq", "1", "150000"], capture_output=True).stdout
stop, out = sys.argv[1] + "/stream.stop", sys.argv[1] + "/stream.sent"
sent = 0
while not os.path.exists(stop):
    try:
        s = socket.create_connection(("10.99.0.2", 5000), timeout=60)
        s.sendall(data)
        s.close()
        sent += 1
        open(out, "w").write("%d %d\n" % (sent, len(data)))
    except OSError:
        time.sleep(0.2)
' "$VMDIR" &
	LG_STREAM_PID=$!
}

# lg_streamed NAMES...: the chunks the guests checked, and their bytes.
lg_stream_lines() { cat "${@/#/$VMDIR/}" 2>/dev/null | grep -aE '^STREAM [0-9]+ bytes=[0-9]+ wrong=[0-9]+'; }

# lg_wait_chunks NAME N: N more chunks checked on NAME.
lg_wait_chunks() {
	local start i
	start=$(lg_stream_lines "$1.log" | wc -l)
	for ((i = 0; i < 600; i++)); do
		[ "$(lg_stream_lines "$1.log" | wc -l)" -ge $((start + $2)) ] && return 0
		sleep 0.5
	done
	fail "$1: no stream: $(lg_stream_lines "$1.log" | tail -n1)"
}

# lg_counters NAMES...: the guest's rx_packets as ethtool -S showed them,
# in order, each no lower than the last and none jumping.
lg_counters() {
	local prev='' v f
	for f in "$@"; do
		while read -r v; do
			if [ -n "$prev" ] && { [ "$v" -lt "$prev" ] || [ $((v - prev)) -ge 1000000 ]; }; then
				fail "rx_packets went from $prev to $v ($f)"
			fi
			prev=$v
		done < <(grep -aoE '^STATS rx_packets=[0-9]+' "$VMDIR/$f.log" | cut -d= -f2)
	done
	[ -n "$prev" ] || fail "the guest printed no counters"
	echo "    rx_packets monotonic up to $prev"
}

# lg_wide NAMES...: the counter read 4, 8, 2 and 4 bytes wide (A Q H B)
# gives one count: Q's low half and H's bytes lie between A and B.
lg_wide() {
	local f lines
	for f in "$@"; do
		lines=$(grep -aoE '^WIDE 0x[0-9A-Fa-f]+ 0x[0-9A-Fa-f]+ 0x[0-9A-Fa-f]+ 0x[0-9A-Fa-f]+' "$VMDIR/$f.log")
		[ -n "$lines" ] || fail "$f: the guest printed no WIDE counters"
		python3 -c '
import sys
bad = 0
for n, line in enumerate(sys.stdin, 1):
    a, q, h, b = (int(x, 16) for x in line.split()[1:])
    lo = q & 0xffffffff
    if not (a <= lo <= b and (h - a) % 65536 <= b - a < 1000000):
        print("%s: WIDE line %d: 4-byte %d, 8-byte %d, 2-byte %d, 4-byte %d" % (sys.argv[1], n, a, lo, h, b))
        bad += 1
print("    %s: %d counter reads at 4, 8 and 2 bytes agree%s" % (sys.argv[1], n - bad, "" if not bad else ", %d do not" % bad))
sys.exit(1 if bad else 0)' "$f" <<<"$lines" || fail "$f: the counter's widths disagree"
	done
}

# A destination PF that refuses the replay: VF1's MAC set by the
# administrator, so the PF answers the guest's reset with another MAC.  The
# destination fails, saying why; QEMU's source has completed by then and
# is resumed, as libvirt resumes it when the destination does not start,
# and the guest goes on on VF0 with every address.
lg_refused() {
	local info
	ip link set "$PFIF" vf 1 mac 02:11:22:33:44:55 || fail "admin MAC"
	info=$(nic_migrate src dst "$VF1")
	echo "    refused: source $(grep -o '"status": "[a-z-]*"' <<<"$info"); VF1: $(sysattr "$VF1" last_error)"
	assert_has "VF1 says why" "program igbvf failed resuming -> stop" "$(sysattr "$VF1" last_error)"
	vm_stop dst
	ip link set "$PFIF" vf 1 mac 00:00:00:00:00:00 || fail "clearing the admin MAC"
	vm_qmp src cont >/dev/null
	assert_eq "VF0 running" running "$(sysattr "$VF0" migration_state)"
	lg_reachable src
}

# A destination that loaded the device state and is then given up, as
# libvirt gives up one that does not start: the source completed and is
# resumed.  The destination's load() asked the PF for the guest's filters,
# and igb gave VF1 the entries of the guest's macvlan MACs; igbvf takes
# them back as VF0 runs again, and every address answers through VF0.
lg_abandoned() {
	local info
	info=$(nic_migrate src dst "$VF1") || nic_mig_failed "$info" src dst
	assert_has "completed" '"status": "completed"' "$info"
	vm_stop dst
	vm_qmp src cont >/dev/null
	assert_eq "VF0 running" running "$(sysattr "$VF0" migration_state)"
	echo "    abandoned: $(grep -m1 'resume:' <<<"$(nic_msgs "$VF0")")"
	assert_has "VF0 took the guest's filters back" \
		"was not the VF's any more" "$(nic_msgs "$VF0")"
	lg_reachable src
}

# From here on QEMU holds the switchover until the destination approves
# it (switchover-ack; the source's capability set now, each destination's
# at its start) and the destination VF decodes as silicon's does
# (nic_vf_decodes): igbvf's prepare() replays the guest's requests while
# the source runs, on the same PF as the source's VF.
lg_prepared_from_now() {
	NIC_QEMU_ARGS+=("${NIC_SWITCHOVER_ACK[@]}") NIC_VF_DECODES=1
	vm_qmp src 'migrate-set-capabilities {"capabilities": [{"capability": "return-path", "state": true}, {"capability": "switchover-ack", "state": true}]}' >/dev/null
	# What the legs' prepare() says, apart from the refused leg's (nic_msgs).
	NIC_MARK_VF0=$(msg_mark "$VF0") NIC_MARK_VF1=$(msg_mark "$VF1")
}

# The destination BDF replayed the guest's requests in prepare() up to its
# first unicast MAC filter (the guest's macvlans), the rest in load().  A
# PF that does not answer within the wait budget while both VMs run (the
# NIC VM under TCG stalls for a second at times: seen 1 run in 2 on
# 12-06) makes prepare() say so and leave all to load(), as designed;
# that leg is counted, and lg_migration wants one leg that prepared.
lg_check_prepared() {	# lg_check_prepared BDF
	local msgs
	msgs=$(nic_msgs "$1")
	echo "    $1: $(grep -m1 'prepare:' <<<"$msgs")"
	if grep -q 'prepare: replay failed (-110;' <<<"$msgs"; then
		LG_SLOW_PREPARES=$((LG_SLOW_PREPARES + 1))
		return 0
	fi
	assert_has "$1's prepare() left the unicast filters to load()" \
		"requests; from the first unicast MAC filter on, load()'s" "$msgs"
	[ "$(nic_shadow "$1" prepared)" -ge 1 ] || fail "$1's prepare() did not replay"
}

# lg_migration MEMORY MTU RING [refused]: the whole run, after a refused
# migration and an abandoned one if asked.
lg_migration() {
	local mem=$1 info name wrong bytes lost chunks sizes dt=() vms=(src) logs=()
	LG_SLOW_PREPARES=0
	command -v ping >/dev/null || fail "no ping on this host: make setup installs iputils-ping"
	if [ -z "$LG_KERNEL" ] || [ ! -e "$LG_INITRD" ]; then
		fail "no guest kernel or initramfs ($LG_KERNEL, $LG_INITRD): make linux-guest"
	fi
	lg_fresh_vfs
	nic_setup
	lg_pf_setup "$2"
	lg_args "$@"
	load "$NIC_PROGRAM" --bdf "$VF0" >/dev/null
	load "$NIC_PROGRAM" --bdf "$VF1" >/dev/null
	nic_vm src "$VF0"
	vm_wait src '^READY' 600 || fail "src: Linux did not come up: $(tail -n5 "$VMDIR/src.log") $(cat "$VMDIR/src.err")"
	echo "    src: $(grep -a '^READY' "$VMDIR/src.log")"
	[ -z "$3" ] || assert_has "ring size" "ring=$3" "$(grep -a '^READY' "$VMDIR/src.log")"
	lg_memory src "$mem"
	lg_reachable src
	lg_wide src
	[ "${4:-}" != refused ] || { lg_refused; lg_abandoned; }
	[ "${LG_PREPARED:-}" != 1 ] || lg_prepared_from_now
	echo "    mailbox requests of the guest by type (reset, mac/filters, multicast, vlan, lpe): $(timeout 60 bpftool map dump pinned "$(pindir "$VF0")/igbvf_shadow" 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["value"]["requests"][1:6])' 2>/dev/null)"
	ping -i 0.2 10.99.0.2 >"$VMDIR/ping.log" 2>&1 &
	LG_PING_PID=$!
	lg_stream_start
	lg_wait_chunks src 2
	for name in ${LG_LEGS:-dst back}; do
		local from=src bdf=$VF1
		[ "$name" = back ] && from=dst bdf=$VF0
		info=$(nic_migrate "$from" "$name" "$bdf") || nic_mig_failed "$info" "$from" "$name"
		assert_has "completed" '"status": "completed"' "$info"
		nic_figures "$info"
		dt+=("$(python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("downtime"))' "$info")")
		[ "${LG_PREPARED:-}" != 1 ] || lg_check_prepared "$bdf"
		lg_wait_chunks "$name" 2
		lg_reachable "$name"
		lg_wide "$name"
		lg_memory "$name" "$mem"
		vm_stop "$from"
		vms+=("$name")
	done
	touch "$VMDIR/stream.stop"
	wait "$LG_STREAM_PID"
	kill -INT "$LG_PING_PID"
	wait "$LG_PING_PID"

	for name in "${vms[@]}"; do logs+=("$VMDIR/$name.log"); done
	chunks=$(lg_stream_lines "${vms[@]/%/.log}" | wc -l)
	wrong=$(lg_stream_lines "${vms[@]/%/.log}" | sed 's/.*wrong=//' | awk '{ s += $1 } END { print s + 0 }')
	bytes=$(lg_stream_lines "${vms[@]/%/.log}" | sed 's/.*bytes=\([0-9]*\).*/\1/' | awk '{ s += $1 } END { print s + 0 }')
	sizes=$(lg_stream_lines "${vms[@]/%/.log}" | sed 's/.*bytes=\([0-9]*\).*/\1/' | sort -u | tr '\n' ' ')
	lost=$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$VMDIR/ping.log")
	lost=$(( ${lost% *} - ${lost#* } ))
	echo "    stream: $chunks chunks, $bytes bytes checked, $wrong wrong; echoes lost: $lost; downtime ${dt[*]} ms"
	assert_eq "stream bytes wrong" 0 "$wrong"
	assert_eq "every chunk whole" "$(cut -d' ' -f2 "$VMDIR/stream.sent") " "$sizes"
	[ "$lost" -le $((${#dt[@]} * LG_MAX_LOST)) ] ||
		fail "$lost echoes lost in ${#dt[@]} migrations"
	[ "${LG_PREPARED:-}" != 1 ] || [ "$LG_SLOW_PREPARES" -lt "${#dt[@]}" ] ||
		fail "no leg's prepare() replayed: the PF never answered within its budget"
	lg_counters "${vms[@]}"
	! grep -aE "$LG_COMPLAINTS" "${logs[@]}" ||
		fail "the guest's kernel complained"
	vm_stop "${vms[-1]}"
	lg_pf_cleanup
}

# What QEMU gives a guest by default (THP), igbvf's default rings; first a
# destination that refuses, then one given up after it loaded, then two
# legs where the destination prepares before the switchover
# (lg_prepared_from_now).
t_linux_guest_thp() {
	LG_PREPARED=1 lg_migration thp 1500 "" refused
}

# hugetlbfs, the largest rings igbvf allows and jumbo frames (header split);
# VF0 -> VF1 only: make check runs it on the second tier, where each leg
# takes 3-5 minutes under KASAN (the THP run goes there and back).
t_linux_guest_hugetlbfs_jumbo() {
	LG_LEGS=dst lg_migration hugetlbfs 9000 4096
}
