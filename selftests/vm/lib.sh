# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# shellcheck shell=bash disable=SC2034  # sourced by tests.sh: variables are shared
#
# The VM tests' helpers: assertions, binding, edu registers, program
# loading, the reset between tests, DMA-logging basics, kernel splats,
# test_hostile attached with raw libbpf, rmmod.  Sourced first by
# tests.sh; uses its KO, LOAD, CTL, OPS, A, B and SYS.

fail() { echo "    FAIL: $*" >&2; exit 1; }

# assert_eq WHAT EXPECTED ACTUAL
assert_eq() { [ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"; }

# assert_has WHAT NEEDLE HAYSTACK
assert_has() { grep -qF -- "$2" <<<"$3" || fail "$1: no '$2' in: $3"; }

# The answer part of vfio-ops output for the operation on line N (1-based).
answer() { sed -n "${1}p" <<<"$2" | sed 's/^[^:]*: //'; }

bind() {	# bind DRIVER BDF
	local drv=$1 bdf=$2
	echo "$drv" >"$SYS/$bdf/driver_override"
	[ -e "$SYS/$bdf/driver" ] && echo "$bdf" >"$SYS/$bdf/driver/unbind"
	echo "$bdf" >/sys/bus/pci/drivers_probe
	assert_eq "driver of $bdf" "$drv" "$(basename "$(readlink "$SYS/$bdf/driver")")"
}

sysattr() { cat "$SYS/$1/vfmig/$2"; }

# Little-endian hex bytes of a number, for bpftool map update.
le_hex() {	# le_hex BYTES VALUE
	local i v=$2
	for ((i = 0; i < $1; i++)); do
		printf '%02x ' $((v & 0xff))
		v=$((v >> 8))
	done
}

# Configure selftests/progs/test_mig.bpf.o on a device: bytes save() writes, failure.
mig_config() {	# mig_config BDF SAVE_BYTES FAIL
	# shellcheck disable=SC2046 # le_hex prints one word a byte
	bpftool map update pinned "$(pindir "$1")/mig_config" key hex 00 00 00 00 \
		value hex $(le_hex 8 "$2") $(le_hex 4 "$3") 00 00 00 00 ||
		fail "configure test_mig"
}

# The PCI ids of a device as vfmig-ctl make-stream takes them.
pci_ids() {
	local f out=
	for f in vendor device subsystem_vendor subsystem_device; do
		out+=$(sed 's/^0x//' "$SYS/$1/$f"):
	done
	echo "${out%:}"
}

# Every edu register a guest can observe (after the factorial finished).
EDU_REGS=('poll 0 0x20 1 0' 'rd 0 0x4 4' 'rd 0 0x8 4' 'rd 0 0x20 4' 'rd 0 0x24 4'
	  'rd 0 0x80 8' 'rd 0 0x88 8' 'rd 0 0x90 8')
edu_regs() { $OPS "$1" "${EDU_REGS[@]}" || fail "read edu registers of $1"; }

# Where vfmig-load pins a device's link and maps (bpffs refuses '.').
pindir() { echo "/sys/fs/bpf/vfmig/${1//./_}"; }

load() { $LOAD "$@" || fail "vfmig-load $*"; }

# Leave every device on vfmig-pci with no program, whatever a test did.
reset_state() {
	local d
	for d in "$VMDIR"/*.pid; do
		[ -e "$d" ] && vm_stop "$(basename "$d" .pid)"
	done
	for d in /sys/fs/bpf/vfmig/*/; do
		[ -d "$d" ] || continue
		d=$(basename "$d")
		$LOAD unload --bdf "${d%_*}.${d##*_}" >/dev/null 2>&1
	done
	rm -rf /sys/fs/bpf/vfmig /sys/fs/bpf/vfmig-replace-test /sys/fs/bpf/vfmig-hostile \
	       /sys/fs/bpf/vfmig-prepare
	[ -d /sys/module/vfmig ] || insmod "$KO"
	for d in $A $B; do
		[ "$(basename "$(readlink "$SYS/$d/driver" 2>/dev/null)")" = vfmig-pci ] ||
			bind vfmig-pci "$d" >/dev/null
	done
}

# The way DMA logging is reached on this kernel: the VFIO uAPI where the core
# has it (IOMMUFD), the vfmig region otherwise.
log_ways() {
	if [ -e /dev/iommu ]; then echo "uapi region"; else echo region; fi
}

# Where the edu DMA tests map memory for the device, and edu's own buffer.
IOVA=0x100000
EDU_DMA_BUF=0x40000
# The operations of one edu transfer, waited for, with bus mastering on.
# CMD 1 copies RAM to the device, 3 (direction bit 2) the device to RAM.
edu_dma() {	# edu_dma SRC DST COUNT CMD
	printf '%s\n' 'wr 7 4 2 0x6' "wr 0 0x80 8 $1" "wr 0 0x88 8 $2" "wr 0 0x90 8 $3" \
		"wr 0 0x98 8 $4" 'poll 0 0x98 1 0'
}

# Kernel complaints in dmesg since line $1 (a splat, a lockdep or KASAN
# report, a warning).
SPLAT='WARNING:|BUG:|Oops|Call Trace|UBSAN|KASAN|refcount_t|general protection|INFO: task .* blocked|possible circular locking'
new_splats() { dmesg | tail -n +"$1" | grep -E "$SPLAT" || true; }

# selftests/progs/test_hostile.bpf.o attached with raw libbpf
# (selftests/attach-test), for the tests of several areas.
ATT=selftests/attach-test
HOSTILE=selftests/progs/test_hostile.bpf.o
HP=/sys/fs/bpf/vfmig-hostile

# A test program attached to A with raw libbpf, its globals set from
# NAME=VALUE, the link and its .bss pinned in DIR.  Prints attach-test's
# answer.
pin_attach() {	# pin_attach DIR OBJ [NAME=VALUE]...
	local dir=$1 obj=$2
	shift 2
	rm -rf "$dir"
	mkdir -p "$dir"
	$ATT -p "$dir" "$obj" "$A" "$@" || fail "attach-test $obj $*"
}

# Drop pin_attach's link and wait until A has no program; the .bss stays
# pinned, for pin_var to read what exit() left.
pin_detach() {	# pin_detach DIR
	local i
	rm -f "$1/link"
	for i in $(seq 50); do
		[ -z "$(sysattr "$A" program)" ] && return
		sleep 0.1
	done
	fail "the program pinned in $1 still attached after its link went"
}

# Globals of pin_attach's .bss, as the kernel holds them, space separated.
pin_var() {	# pin_var DIR NAME...
	local dump n out=()
	dump=$(bpftool -j map dump pinned "$1/bss")
	shift
	for n in "$@"; do
		out+=("$(grep -o "\"$n\":-\?[0-9]*" <<<"$dump" | cut -d: -f2)")
	done
	echo "${out[*]}"
}

hattach() { pin_attach "$HP" "$HOSTILE" "$@"; }
hdetach() { pin_detach "$HP"; }
hvar() { pin_var "$HP" "$@"; }

# rmmod, giving the BPF core the RCU grace periods after which it frees
# the last struct_ops maps and drops their module references.
rmmod_vfmig() {
	local i
	# The PF channel's provider uses vfmig's symbols.
	[ -d /sys/module/vfmig_igb_pf ] && rmmod vfmig_igb_pf
	for i in $(seq 100); do
		rmmod vfmig 2>/dev/null && return
		sleep 0.1
	done
	return 1
}
