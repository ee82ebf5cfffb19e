# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# shellcheck shell=bash
#
# Nested QEMU helpers for the real-client tests and benchmarks: QEMU 10
# runs inside the test VM (TCG inside TCG) with the bare-metal payload
# (selftests/payload/edu_payload.c, or $VM_PAYLOAD: the igbvf one for the
# NIC tests) and, optionally, a vfmig device passed through with -device
# vfio-pci.  No vIOMMU in the nested VM: QEMU refuses
# to migrate one that has it.  Sourced by tests.sh and bench.sh.

QEMU_VM=(qemu-system-x86_64 -accel tcg -machine q35 -m 32M -display none
	 -nodefaults -no-reboot)
QMP=selftests/vm/qmp.py
VMDIR=${VMDIR:-/tmp/vms}

# vm_start NAME BDF|- [QEMU ARGS...]: start a VM in the background; its
# serial console goes to $VMDIR/NAME.log, QEMU's messages to NAME.err and
# its vfio migration and device dirty tracking trace to NAME.trace.
# VM_IOMMUFD=1 gives QEMU the device through iommufd (/dev/iommu and the
# VFIO device cdev) instead of the legacy container; VM_DEV_OPTS adds
# options (",opt=value...") to its -device vfio-pci; VM_ENABLE_MIGRATION
# is its enable-migration (default on: migrate even without dirty
# tracking; auto: only with it).
vm_start() {
	local name=$1 bdf=$2 dev=() mig=${VM_ENABLE_MIGRATION:-on}
	shift 2
	mkdir -p "$VMDIR"
	rm -f "$VMDIR/$name".*
	if [ "$bdf" != - ] && [ "${VM_IOMMUFD:-0}" = 1 ]; then
		dev=(-object "iommufd,id=iommufd0"
		     -device "vfio-pci,host=$bdf,iommufd=iommufd0,enable-migration=$mig${VM_DEV_OPTS:-}")
	elif [ "$bdf" != - ]; then
		dev=(-device "vfio-pci,host=$bdf,enable-migration=$mig${VM_DEV_OPTS:-}")
	fi
	"${QEMU_VM[@]}" -kernel "${VM_PAYLOAD:-build/edu_payload.elf}" \
		"${dev[@]}" -serial "file:$VMDIR/$name.log" \
		-qmp "unix:$VMDIR/$name.qmp,server,nowait" \
		-trace vfio_migration_set_state -trace vfio_device_dirty_tracking_start -D "$VMDIR/$name.trace" "$@" \
		</dev/null >"$VMDIR/$name.err" 2>&1 &
	echo $! >"$VMDIR/$name.pid"
}

# vm_wait NAME PATTERN [SECONDS]: wait for PATTERN on the VM's console.
vm_wait() {
	local i
	for ((i = 0; i < ${3:-60} * 5; i++)); do
		grep -q "$2" "$VMDIR/$1.log" 2>/dev/null && return 0
		kill -0 "$(cat "$VMDIR/$1.pid")" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}

vm_qmp() { local name=$1; shift; python3 "$QMP" "$VMDIR/$name.qmp" "$@"; }

vm_alive() { kill -0 "$(cat "$VMDIR/$1.pid")" 2>/dev/null; }

# Is process $1 there and not a zombie?
vm_pid_alive() { [ -e "/proc/$1" ] && ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null; }

# Stop a VM: SIGTERM, then after 20 s SIGKILL, saying where QEMU's threads
# were stuck; never waits for good.
vm_stop() {
	local pid i t
	pid=$(cat "$VMDIR/$1.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null
	for i in $(seq 100); do
		vm_pid_alive "$pid" || break
		sleep 0.2
	done
	if vm_pid_alive "$pid"; then
		echo "    vm_stop $1: QEMU still there 20 s after SIGTERM (state $(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)), killing it; its threads:" >&2
		for t in /proc/"$pid"/task/*/; do
			[ -d "$t" ] || continue
			echo "      $(cat "$t/comm" 2>/dev/null) $(tr '\n' ' ' <"$t/stack" 2>/dev/null)" >&2
		done
		kill -9 "$pid" 2>/dev/null
		for i in $(seq 50); do
			vm_pid_alive "$pid" || break
			sleep 0.2
		done
	fi
	vm_pid_alive "$pid" || wait "$pid" 2>/dev/null
	return 0
}

# Complete report lines only: a migrated VM stops mid-line and its
# destination prints the rest.
VM_LINE='^(TICK|READY) [0-9]+ .*dma=0x[0-9a-f]{8},0x[0-9a-f]{8},0x[0-9a-f]{8}$'
vm_lines() { grep -E "$VM_LINE" "$VMDIR/$1.log"; }
vm_last_tick() { vm_lines "$1" | tail -n1 | cut -d' ' -f2; }
vm_first_tick() { vm_lines "$1" | grep '^TICK' | head -n1 | cut -d' ' -f2; }
vm_last_regs() { vm_lines "$1" | tail -n1 | cut -d' ' -f3-; }

# vm_migrate SRC URI [PARAMS-JSON]: start migrating SRC; do not wait.
# With the return path unless VM_RETURN_PATH=false.  A test that cancels
# goes without it where it can: QEMU 10.0's migration_cancel() shuts the
# return path's socket, which is the outgoing stream's too, before it
# marks the migration CANCELLING, so a migration thread blocked in a
# write sees the error first and marks it failed ("Channel error:
# Input/output error"; 3 of 7 NIC cancels on 12-05, 0 of 6 without it).
vm_migrate() {
	local params=${3:-'{}'}

	vm_qmp "$1" "migrate-set-parameters $params" \
		"migrate-set-capabilities {\"capabilities\": [{\"capability\": \"return-path\", \"state\": ${VM_RETURN_PATH:-true}}]}" \
		"migrate {\"uri\": \"$2\"}" >/dev/null
}
