#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#
# Run a command in a QEMU (TCG) guest with emulated PCI "edu" devices behind
# a vIOMMU, each in its own IOMMU group, and exit with the command's status.
# A virtio-rng device (modern only, 1af4:1044) sits beside them for the
# tests that need vendor-specific config capabilities.
#
# The guest boots the cached Debian kernel with a tiny busybox initramfs
# (selftests/vm/init), which chroots into the host's root filesystem shared
# read-only over 9p, with this repository shared read-write at its own path.
# The command runs there as root, cwd = the repository, stdin = /dev/null,
# env PATH, HOME=/tmp, TERM=dumb, VMTEST=1, VMTEST_EDU="<edu BDFs>",
# VMTEST_VIRTIO="<the virtio-rng device's BDF>" and, with --igb,
# VMTEST_IGB="<the igb PF's BDF>".
# Its output appears on stdout (the guest serial console) as it happens.
#
# Usage: selftests/vmtest.sh [--cache DIR] [--edu N] [--mem SIZE]
#                            [--timeout SECS] [--kernel-dir DIR] [--igb]
#                            -- CMD [ARGS...]
#   --cache DIR       prepared by selftests/setup.sh (default: <repo>/.cache)
#   --edu N           number of edu devices, 0..15 (default: 2)
#   --mem SIZE        guest memory, QEMU -m syntax (default: 2048M)
#   --timeout SECS    kill the VM after SECS seconds (default: 1200)
#   --kernel-dir DIR  unpacked kernel: boot/vmlinuz-KVER + lib/modules/KVER
#                     (default: CACHE/kernel/$(cat CACHE/kernel-version))
#   --igb             add an SR-IOV NIC PF (QEMU's igb, 8086:10c9) on a PCIe
#                     root port, with a restricted user-mode network
# Env: VMTEST_APPEND  extra kernel command line arguments.
#      VMTEST_ACCEL   QEMU's -accel (default tcg,thread=single; tcg with --igb).
#
# Exit status: the command's; 1 with "vmtest: ERROR: ..." if the VM did not
# boot, the command did not run or its status did not come back; 75 with
# "vmtest: ERROR: ..." if the guest hung (a CPU lost its timer interrupt
# under TCG) and was stopped, or QEMU itself failed an assertion (a TCG
# race of the emulator's: seen once, iotlb_to_section in system/physmem.c).
set -euo pipefail

SELFTESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
REPO=$(dirname "$SELFTESTS")
CACHE=$REPO/.cache
EDU=2
MEM=2048M
TIMEOUT=1200
KDIR=
IGB=
# The igb PF sits behind a root port in this slot: its bus is 01.
IGB_SLOT=0x08
IGB_BDF=0000:01:00.0
QEMU=qemu-system-x86_64
# The virtio-rng device, just below the edu devices.
VIRTIO_SLOT=0x0f
VIRTIO_BDF=0000:00:0f.0
# First edu device slot on pcie.0: 00:10.0, 00:11.0, ... up to 00:1e.0
# (00:1f is the ICH9 LPC/SMBus function on q35).
EDU_SLOT0=0x10
EDU_MAX=15
# Our 9p modules, in dependency order (see modinfo -F depends).
P9_MODULES=(netfs 9pnet 9pnet_virtio 9p)

WPID=		# QEMU under timeout(1), piped to watch_console
LPID=		# watch_lapic
RUNDIR=		# per-run directory in the repo
BUILD=		# initramfs being built

msg() { echo "vmtest: $*" >&2; }
die() { msg "ERROR: $*"; exit 1; }

usage() {	# print the Usage part of the header, exit with $1
	sed -n 's/^# \{0,1\}//; /^Usage:/,/^Exit status/p' "${BASH_SOURCE[0]}" | sed '$d' >&2
	exit "$1"
}

parse_args() {
	while [ $# -gt 0 ]; do
		case $1 in
		--cache) CACHE=${2:?--cache needs a directory}; shift 2 ;;
		--edu) EDU=${2:?--edu needs a number}; shift 2 ;;
		--mem) MEM=${2:?--mem needs a size}; shift 2 ;;
		--timeout) TIMEOUT=${2:?--timeout needs seconds}; shift 2 ;;
		--kernel-dir) KDIR=${2:?--kernel-dir needs a directory}; shift 2 ;;
		--igb) IGB=$IGB_BDF; shift ;;
		--) shift; break ;;
		-h|--help) usage 0 ;;
		*) msg "ERROR: unknown argument '$1'"; usage 1 ;;
		esac
	done
	[ $# -gt 0 ] || { msg "ERROR: no command given"; usage 1; }
	CMD=("$@")
	if ! [[ $EDU =~ ^[0-9]+$ ]] || [ "$EDU" -gt $EDU_MAX ]; then
		die "--edu must be 0..$EDU_MAX, got '$EDU'"
	fi
	if ! [[ $TIMEOUT =~ ^[0-9]+$ ]] || [ "$TIMEOUT" -eq 0 ]; then
		die "--timeout must be a positive number of seconds, got '$TIMEOUT'"
	fi
}

# Find the kernel image and its modules; sets KDIR, KVER, VMLINUZ, MODDIR.
find_kernel() {
	if [ -z "$KDIR" ]; then
		[ -s "$CACHE/kernel-version" ] ||
			die "no $CACHE/kernel-version: run selftests/setup.sh $CACHE first"
		KDIR=$CACHE/kernel/$(cat "$CACHE/kernel-version")
	fi
	[ -d "$KDIR" ] || die "kernel directory $KDIR does not exist"
	KDIR=$(cd "$KDIR" && pwd -P)
	local images=("$KDIR"/boot/vmlinuz-*)
	[ -f "${images[0]}" ] || die "no kernel image $KDIR/boot/vmlinuz-*"
	[ ${#images[@]} -eq 1 ] || die "several kernel images in $KDIR/boot"
	VMLINUZ=${images[0]}
	KVER=${VMLINUZ##*/vmlinuz-}
	MODDIR=$KDIR/lib/modules
	[ -d "$MODDIR/$KVER" ] || die "no modules for $KVER in $MODDIR"
}

# The Debian package ships no modules.dep (its postinst runs depmod), and
# the chroot's modprobe needs one: generate it beside the modules.
ensure_depmod() {
	local dep=$MODDIR/$KVER/modules.dep
	if [ ! -e "$dep" ] ||
	   [ -n "$(find "$MODDIR/$KVER/" -name '*.ko*' -newer "$dep" -print -quit)" ]; then
		msg "running depmod for $KVER"
		depmod -b "$KDIR" "$KVER" || die "depmod failed for $MODDIR/$KVER"
	fi
}

# Print the path of module $1 of the guest kernel, nothing if built in.
module_path() {
	local f
	f=$(find "$MODDIR/$KVER/" -name "$1.ko" -o -name "$1.ko.*" | head -n1)
	if [ -n "$f" ]; then
		echo "$f"
	elif ! grep -q "/$1\.ko$" "$MODDIR/$KVER/modules.builtin" 2>/dev/null; then
		die "module $1 is neither built in nor in $MODDIR/$KVER"
	fi
}

decompress() {
	case $1 in
	*.ko.xz) xz -dc "$1" ;;
	*.ko.zst) zstd -dcq "$1" ;;
	*.ko.gz) gzip -dc "$1" ;;
	*) cat "$1" ;;
	esac
}

# Build (or reuse) the initramfs: busybox, /init and the 9p modules.  It is
# named by a hash of its inputs (this script included: it is the recipe), so
# a changed kernel, init or recipe gets a new one.
build_initramfs() {
	local dir=$CACHE/vmtest mods=() m f hash tmp
	for m in "${P9_MODULES[@]}"; do
		f=$(module_path "$m") || exit 1
		[ -z "$f" ] || mods+=("$f")
	done
	hash=$(cat "${BASH_SOURCE[0]}" "$SELFTESTS/vm/init" /bin/busybox ${mods[@]+"${mods[@]}"} |
	       sha256sum | cut -c1-16)
	INITRD=$dir/initramfs-$hash.cpio
	mkdir -p "$dir"
	if [ -e "$INITRD" ]; then
		touch "$INITRD"
		return
	fi
	tmp=$(mktemp -d "$dir/build.XXXXXX")
	BUILD=$tmp
	mkdir -p "$tmp"/{bin,dev,proc,sys,mnt,repo,lib/vmtest}
	cp /bin/busybox "$tmp/bin/busybox"
	ln -s busybox "$tmp/bin/sh"	# for the #!/bin/sh of /init
	install -m 755 "$SELFTESTS/vm/init" "$tmp/init"
	: >"$tmp/lib/vmtest/modules.order"
	for f in ${mods[@]+"${mods[@]}"}; do
		m=$(basename "$f"); m=${m%%.ko*}.ko
		decompress "$f" >"$tmp/lib/vmtest/$m" || die "cannot decompress $f"
		echo "$m" >>"$tmp/lib/vmtest/modules.order"
	done
	# Uncompressed: the kernel unpacks it faster than it would gunzip.
	(cd "$tmp" && find . | cpio -o -H newc -R 0:0 --quiet) >"$tmp.cpio" ||
		die "cannot build the initramfs"
	mv "$tmp.cpio" "$INITRD"	# atomic: concurrent runs may share it
	rm -rf "$tmp"
	BUILD=
	# Drop initramfs images of kernels not used for a week.
	find "$dir" -maxdepth 1 -name 'initramfs-*.cpio' -mtime +7 -delete || true
}

# The per-run directory lives in the repository, the one place the guest
# can write to that the host sees.
make_rundir() {
	local q arg base=$REPO/.cache/vmtest
	# The guest sees the repository share only: a worktree whose .cache
	# links to another's cannot keep the run directory there.
	[ ! -L "$REPO/.cache" ] || base=$REPO/build/vmtest
	mkdir -p "$base"
	RUNDIR=$(mktemp -d "$base/run.XXXXXX")
	echo "$REPO" >"$RUNDIR/repo"
	echo "$MODDIR" >"$RUNDIR/moddir"
	q=
	for arg in "${CMD[@]}"; do
		q+="$(printf '%q' "$arg") "
	done
	cat >"$RUNDIR/cmd" <<EOF
# Generated by vmtest.sh: the command to run in the guest chroot.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/tmp TERM=dumb VMTEST=1 VMTEST_EDU=$(printf '%q' "$EDU_BDFS") VMTEST_IGB=$IGB
export VMTEST_VIRTIO=$VIRTIO_BDF
cd $(printf '%q' "$REPO") || exit 1
$q
EOF
}

# QEMU -fsdev/-device values are comma separated: double literal commas.
qesc() { echo "${1//,/,,}"; }

run_qemu() {
	local i slot append args accel
	# no_timer_check: under TCG on a loaded host the boot-time check that
	# the IO-APIC timer ticks can miss, and with interrupt remapping the
	# kernel then panics ("timer doesn't work through Interrupt-remapped
	# IO-APIC"); seen on the second tier while another VM ran.
	append="console=ttyS0 intel_iommu=on panic=-1 rdinit=/init quiet loglevel=4 no_timer_check"
	append+=" vmtest.run=${RUNDIR#"$REPO"/} ${VMTEST_APPEND:-}"
	# KASAN on 6.12 with 5-level paging (-cpu max has LA57) reports a
	# "wild-memory-access" when an interrupt lands while identify_cpu()
	# has cleared the CPU features: KASAN's shadow bounds follow the LA57
	# bit.  A kernel bug, not ours; 4-level paging avoids it.
	if grep -qs '^CONFIG_KASAN=y' "$KDIR/build/.config"; then
		append+=" no5lvl"
	fi
	# Guests were seen to stop taking timer interrupts on a CPU for good.
	# A periodic tick was to turn a lost one-shot timer interrupt into one
	# late tick; the hangs went on, and the one caught since was a lost
	# EOI instead (watch_lapic, Documentation/testing.md).  The periodic
	# tick stays: it costs nothing here and keeps the tick's state simple
	# to read in a dump.
	append+=" nohz=off highres=off"
	# Both vCPUs in one host thread: no slower for the suite (486 s
	# against 490 s), and two such VMs fit 2 host cores, so make check
	# runs its tiers side by side.  The igb VM keeps a thread per vCPU:
	# the Linux guests it migrates are two nested QEMUs at once, and in
	# one thread the second tier's took 17 min and had not finished (5 min
	# before).  The lost EOIs below were all seen with a thread per vCPU
	# on an overcommitted host (Documentation/testing.md).
	accel=tcg,thread=single
	[ -z "$IGB" ] || accel=tcg
	# shellcheck disable=SC2054 # the commas are QEMU's, not array syntax
	args=(-accel "${VMTEST_ACCEL:-$accel}" -cpu max -smp 2 -m "$MEM"
	      -machine q35,kernel-irqchip=split
	      # The vIOMMU must come before the PCI devices it translates for.
	      -device intel-iommu,intremap=on,caching-mode=on
	      -nodefaults -display none -serial stdio -no-reboot
	      # The human monitor, for watch_lapic and dump_hung_guest.
	      -monitor "unix:$RUNDIR/hmp,server=on,wait=off"
	      -kernel "$VMLINUZ" -initrd "$INITRD" -append "$append"
	      -fsdev local,id=hostroot,path=/,readonly=on,security_model=none,multidevs=remap
	      -device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot
	      -fsdev "local,id=repo,path=$(qesc "$REPO"),security_model=none,multidevs=remap"
	      -device virtio-9p-pci,fsdev=repo,mount_tag=repo)
	if [ -n "$IGB" ]; then
		args+=(-device "pcie-root-port,id=rp0,chassis=1,addr=$(printf '0x%02x' $IGB_SLOT)"
		       -netdev "user,id=n0,restrict=on" -device "igb,netdev=n0,bus=rp0")
	fi
	args+=(-device "virtio-rng-pci-non-transitional,addr=$VIRTIO_SLOT")
	for ((i = 0; i < EDU; i++)); do
		slot=$((EDU_SLOT0 + i))
		args+=(-device "edu,addr=$(printf '0x%02x' $slot)")
	done
	# In the background so the signal trap runs while we wait; timeout(1)
	# kills QEMU (TERM, then KILL 10 s later) and exits 124 if it ran over.
	# The console goes through watch_console, which stops a guest that
	# lost a CPU's timer rather than wait out the timeout.
	{
		timeout -k 10 "$TIMEOUT" "$QEMU" "${args[@]}" </dev/null 2>"$RUNDIR/qemu.err" &
		echo $! >"$RUNDIR/qpid"
		wait $!
		echo $? >"$RUNDIR/qrc"
	} | watch_console &
	WPID=$!
	watch_lapic &
	LPID=$!
	wait "$WPID" || true
	WPID=
	stop_watch_lapic
	wait "$LPID" 2>/dev/null || true
	LPID=
	QRC=$(cat "$RUNDIR/qrc" 2>/dev/null || echo 1)
	rm -f "$RUNDIR/qpid"
	cat "$RUNDIR/qemu.err" >&2 2>/dev/null || true
}

# Copy the guest's console to stdout as it comes.  A guest whose CPU
# stopped taking timer interrupts never recovers (see nohz=off above): RCU
# says so within about 40 s ("rcu_preempt kthread timer wakeup didn't
# happen ... Possible timer handling issue on cpu=N"), and the VM is
# stopped then and reported as hung, not waited out.
watch_console() {
	local line start=$SECONDS
	while IFS= read -r line; do
		printf '%s\n' "$line"
		case $line in
		*"timer wakeup didn't happen"* | *"Possible timer handling issue"*)
			[ -e "$RUNDIR/hung" ] && continue
			echo "RCU reported \"timer wakeup didn't happen\" $((SECONDS - start)) s into the run" >"$RUNDIR/hung"
			dump_hung_guest
			kill "$(cat "$RUNDIR/qpid")" 2>/dev/null || true ;;
		esac
	done
	[ -z "$line" ] || printf '%s' "$line"
}

# QEMU's view of each vCPU of a guest that lost its timer, twice, 2 s
# apart: which vCPU, halted or not, and its local APIC.
dump_hung_guest() {
	local round
	for round in 1 2; do
		[ "$round" = 1 ] || sleep 2
		echo "vmtest: hung guest, QEMU's view (round $round):"
		"$SELFTESTS/vm_lapic.py" dump "$RUNDIR/hmp" 2>&1 | sed 's/^/vmtest:   /' || true
	done
}

# What those hangs turned out to be (vm_lapic.py has the evidence): a
# vCPU whose timer interrupt stays in service, its EOI lost, so that no
# interrupt of its class reaches that CPU again.  RCU says so only when
# its own timer sat on that CPU; this says so within about a minute.
watch_lapic() {
	local out
	# Its pid kept, so that stop_watch_lapic kills the watcher itself:
	# killing this subshell alone has left it running.
	"$SELFTESTS/vm_lapic.py" watch "$RUNDIR/hmp" 45 >"$RUNDIR/lapic" 2>&1 &
	echo $! >"$RUNDIR/lapic.pid"
	wait $! || return 0
	out=$(cat "$RUNDIR/lapic")
	[ ! -e "$RUNDIR/hung" ] || return 0
	head -n1 <<<"$out" >"$RUNDIR/hung"
	echo "vmtest: hung guest, QEMU's view:"
	printf '%s\n' "$out" | sed 's/^/vmtest:   /'
	kill "$(cat "$RUNDIR/qpid")" 2>/dev/null || true
}

# The watcher and its subshell: a watcher left behind would hold the VM
# lock (flock's descriptor) for good.
stop_watch_lapic() {
	[ -n "$LPID" ] || return 0
	[ ! -e "$RUNDIR/lapic.pid" ] || kill "$(cat "$RUNDIR/lapic.pid")" 2>/dev/null || true
	kill "$LPID" 2>/dev/null || true
}

cleanup() {
	stop_watch_lapic
	if [ -n "$WPID" ]; then
		[ ! -e "$RUNDIR/qpid" ] || kill "$(cat "$RUNDIR/qpid")" 2>/dev/null || true
		wait "$WPID" 2>/dev/null || true
	fi
	[ -z "$RUNDIR" ] || rm -rf "$RUNDIR"
	[ -z "$BUILD" ] || rm -rf "$BUILD" "$BUILD.cpio"
}

# The guest's verdict, or an error if it never gave one.
report() {
	local status=
	[ ! -e "$RUNDIR/status" ] || read -r status <"$RUNDIR/status" || true
	if [ -e "$RUNDIR/hung" ]; then
		msg "ERROR: the guest stopped taking timer interrupts on a CPU (a TCG hang: $(cat "$RUNDIR/hung")); stopped the VM rather than wait out --timeout ${TIMEOUT}s"
		exit 75
	fi
	if grep -q "Assertion .* failed" "$RUNDIR/qemu.err" 2>/dev/null; then
		msg "ERROR: QEMU itself aborted ($(grep -m1 'Assertion' "$RUNDIR/qemu.err")): the emulator's bug, not the guest's; the run stopped there"
		exit 75
	fi
	if [ "$QRC" = 124 ]; then
		die "timed out after ${TIMEOUT}s, killed QEMU${status:+ (the command had exited $status)}"
	fi
	if ! [[ $status =~ ^[0-9]+$ ]] || [ "$status" -gt 255 ]; then
		if [ "$QRC" != 0 ]; then
			die "QEMU failed with exit status $QRC, no status from the guest"
		fi
		die "no exit status from the guest: the VM did not boot or the command did not run (see the console output above)"
	fi
	return "$status"
}

main() {
	trap cleanup EXIT
	trap 'msg "ERROR: interrupted"; exit 1' INT TERM HUP
	parse_args "$@"
	CACHE=$(mkdir -p "$CACHE" && cd "$CACHE" && pwd -P)
	find_kernel
	ensure_depmod
	build_initramfs

	EDU_BDFS=
	local i
	for ((i = 0; i < EDU; i++)); do
		EDU_BDFS+="${EDU_BDFS:+ }$(printf '0000:00:%02x.0' $((EDU_SLOT0 + i)))"
	done
	msg "kernel $KVER, $EDU edu device(s): ${EDU_BDFS:-none}"

	make_rundir
	run_qemu
	report
}

main "$@"
