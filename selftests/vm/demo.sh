#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#
# `make demo`, run inside the VM by selftests/vmtest.sh: bind an edu device
# to vfmig-pci, attach bpf/edu.bpf.o, drive the device the way a VMM does
# and show what the program saw.
set -euo pipefail

read -r A B _ <<<"${VMTEST_EDU:?run me through selftests/vmtest.sh}"
export PATH="$PWD/user:$PWD/selftests:$PATH"

say() { printf '\n==> %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

say "the guest: Debian $(uname -r), edu devices: $VMTEST_EDU"
run modprobe vfio-pci
run modprobe vfio_iommu_type1
run insmod kernel/vfmig.ko

say "bind $A to vfmig-pci and attach the edu program"
run vfmig-load bpf/edu.bpf.o --bdf "$A" --bind

say "a VMM uses the device through VFIO: liveness, factorial 6, DMA set-up"
run vfio-ops "$A" 'rd 0 0 4' 'wr 0 4 4 0xcafe' 'rd 0 4 4' 'wr 0 8 4 6' \
	'poll 0 0x20 1 0' 'rd 0 8 4' 'wr 0 0x80 8 0x40000' 'wr 0 0x88 8 0x1000' \
	'wr 0 0x90 8 64'

say "what the program intercepted: it traps 0x08 and 0x80-0x9f of BAR0, records
    each write in its shadow map and passes it on to the device (\"passed\")"
for f in program hooked passed failed; do
	printf '%-8s %s\n' "$f" "$(cat "/sys/bus/pci/devices/$A/vfmig/$f")"
done
run bpftool map dump pinned "/sys/fs/bpf/vfmig/${A//./_}/edu_shadow"

say "BAR0 page 0 holds trapped registers: the sparse-mmap capability leaves it
    out, and a mapping of it faults (SIGBUS) instead of reaching the device;
    page 1 maps the device"
run vfio-ops "$A" 'info 0' 'mmap 0 0 8192' 'mrd 0' 'mrd 0x1000'

say "inspect: vfmig-load status and bpftool (the loader has exited)"
run vfmig-load status
run bpftool link show
run bpftool prog show name edu_write

say "migrate: save $A's state and restore it into $B (also bound, also running edu)"
run vfmig-load bpf/edu.bpf.o --bdf "$B" --bind
run vfmig-ctl features --bdf "$A"
run vfmig-ctl save --bdf "$A" -o /tmp/edu.state
run vfmig-ctl inspect /tmp/edu.state
run vfmig-ctl restore --bdf "$B" -i /tmp/edu.state
REGS=('poll 0 0x20 1 0' 'rd 0 4 4' 'rd 0 8 4' 'rd 0 0x80 8' 'rd 0 0x88 8' 'rd 0 0x90 8')
paste <(vfio-ops "$A" "${REGS[@]}" | sed 's/^/A  /') \
      <(vfio-ops "$B" "${REGS[@]}" | sed 's/^/B  /')

say "dirty tracking: map memory for the device, log it, let edu copy 4 KiB into it
    by DMA at 0x101800 (the program marks the pages from the DMA registers),
    and read the log with vfmig-ctl on the device vfio-ops holds open"
CTL="vfmig-ctl dirty --fd \$VFIO_DEVICE_FD"
run vfio-ops "$A" 'map 0x100000 0x10000' "sh ${CTL/dirty/dirty start} --range 0x100000:0x10000" \
	'wr 7 4 2 0x6' 'wr 0 0x80 8 0x40000' 'wr 0 0x88 8 0x101800' 'wr 0 0x90 8 0x1000' \
	'wr 0 0x98 8 3' 'poll 0 0x98 1 0' "sh ${CTL/dirty/dirty report} --range 0x100000:0x10000" \
	"sh ${CTL/dirty/dirty report} --range 0x100000:0x10000" "sh ${CTL/dirty/dirty stop}"

say "unload: the device is plain vfio-pci again"
run vfmig-load unload --bdf "$A"
run vfmig-load status
run vfio-ops "$A" 'info 0'
