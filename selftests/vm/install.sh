# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# shellcheck shell=bash disable=SC2034  # sourced by tests.sh: variables are shared
#
# What selftests/install_test.sh built on the host, in a real kernel: the
# module DKMS built for the Debian tier's kernel.  Sourced by tests.sh;
# listed in manifest.sh (INSTALL_TESTS), run only when named (check.sh names them
# on the Debian tier, for which the module was built).

DKMS_KO=build/dkms/vfmig.ko

t_dkms_module_loads() {
	local version
	[ -e "$DKMS_KO" ] || fail "no $DKMS_KO: selftests/install_test.sh builds it"
	version=$(sed -n 's/^#define VFMIG_VERSION[^"]*"\(.*\)"/\1/p' include/vfmig.h)
	rmmod_vfmig || fail "rmmod: $(cat /sys/module/vfmig/refcnt)"
	insmod "$DKMS_KO" || fail "insmod $DKMS_KO"
	assert_eq "its version" "$version" "$(cat /sys/module/vfmig/version)"
	assert_eq "devices bound again" vfmig-pci \
		"$(basename "$(readlink "$SYS/$A/driver")")"
	load bpf/edu.bpf.o --bdf "$A" >/dev/null
	assert_eq "a program serves through it" 0x10000ed \
		"$(answer 1 "$($OPS "$A" 'rd 0 0 4')")"
	load unload --bdf "$A" >/dev/null
	rmmod_vfmig || fail "rmmod of the DKMS module"
	insmod "$KO" || fail "insmod $KO"
}
