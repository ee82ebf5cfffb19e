# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#
# Ways around a program's trap windows that vfio-pci offers its user, each
# closed.  Sourced by tests.sh; listed in TRAP_TESTS.

# An ioeventfd makes vfio-pci write the BAR itself (KVM signals it on a
# guest's MMIO write): vfmig-pci takes none, so a swallowed write stays
# swallowed, whether the window came before or after.
t_ioeventfd_cannot_bypass_window() {
	local out
	out=$($OPS "$A" 'wr 0 4 4 0x0' 'ioeventfd 0 4 4 0xa5a5a5a5' 'rd 0 4 4')
	assert_eq "refused with no program" "error: ENOTTY" "$(answer 2 "$out")"
	load bpf/test_swallow.bpf.o --bdf "$A" >/dev/null
	out=$($OPS "$A" 'wr 0 4 4 0x12345678' 'ioeventfd 0 4 4 0xa5a5a5a5' 'rd 0 4 4')
	assert_eq "refused under a window" "error: ENOTTY" "$(answer 2 "$out")"
	assert_eq "the register never took a write" 0xffffffff "$(answer 3 "$out")"
	$LOAD unload --bdf "$A" >/dev/null
}

TRAP_TESTS=(t_ioeventfd_cannot_bypass_window)
