# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# shellcheck shell=bash disable=SC2034  # sourced by tests.sh: variables are shared
#
# libvirt 11 runs the VMs, as on an operator's host: devices are managed
# <hostdev>s that libvirt binds itself, programs come from the
# configuration through the shipped udev rule.  Each libvirtd runs in its
# own mount namespace with fresh /etc/libvirt, /run/libvirt, /var/lib/libvirt
# and /var/log/libvirt (the VM's root is the host's, read only), its socket
# in a directory the tests see, and its own host UUID: two of them are two
# hosts to `virsh migrate`.  Sourced by tests.sh; listed in manifest.sh,
# run only when named (check.sh gives them a VM with a third edu device).

LV=${TMP:-}/libvirt
read -r _ _ C _ <<<"${VMTEST_EDU:-}"

# The settings a host without systemd, cgroups or a security driver needs
# (the test VM's); an operator's host keeps its own qemu.conf.
lv_qemu_conf() {
	cat <<-END
	user = "root"
	group = "root"
	dynamic_ownership = 0
	remember_owner = 0
	security_driver = "none"
	cgroup_controllers = [ ]
	namespaces = [ ]
	stdio_handler = "file"
	END
}

# lv_start NAME UUID: a libvirtd of its own; waits until it answers (its
# first start probes QEMU's capabilities: the cache is shared).
lv_start() {
	local name=$1 dir=$LV/$1 i
	mkdir -p "$dir/etc" "$dir/log" "$LV/cache"
	cp -a /etc/libvirt/. "$dir/etc/"
	lv_qemu_conf >"$dir/etc/qemu.conf"
	cat >>"$dir/etc/libvirtd.conf" <<-END
	unix_sock_dir = "$dir"
	host_uuid = "$2"
	log_outputs = "2:file:$dir/libvirtd.log"
	END
	unshare -m --propagation private sh -c "
		for d in /run/libvirt /var/lib/libvirt; do
			mkdir -p \$d && mount -t tmpfs tmpfs \$d || exit 1
		done
		mkdir -p /var/cache/libvirt /var/log/libvirt &&
		mount --bind '$LV/cache' /var/cache/libvirt &&
		mount --bind '$dir/log' /var/log/libvirt &&
		mount --bind '$dir/etc' /etc/libvirt &&
		exec libvirtd --daemon --pid-file '$dir/libvirtd.pid'" ||
		fail "libvirtd $name does not start"
	for i in $(seq 600); do
		lv "$name" version >/dev/null 2>&1 && return
		sleep 0.2
	done
	fail "libvirtd $name does not answer after 120 s: $(tail -5 "$dir/libvirtd.log")"
}

lv_uri() { echo "qemu+unix:///system?socket=$LV/$1/libvirt-sock"; }
lv() { local name=$1; shift; virsh -q -c "$(lv_uri "$name")" "$@"; }

# Every domain of every daemon destroyed, the daemons gone.
lv_stop_all() {
	local dir dom
	for dir in "$LV"/*/; do
		[ -e "$dir/libvirtd.pid" ] || continue
		for dom in $(lv "$(basename "$dir")" list --name 2>/dev/null); do
			lv "$(basename "$dir")" destroy "$dom" >/dev/null 2>&1
		done
		kill "$(cat "$dir/libvirtd.pid")" 2>/dev/null
	done
	pkill -x systemd-udevd
}

# lv_domain NAME BDF SERIAL [MODEL]: a domain running the bare-metal
# payload with BDF as a managed hostdev (bound by libvirt to MODEL's
# driver, and migratable, or to the VFIO driver libvirt picks), its
# console in SERIAL.
# The device sits on the guest's bus 0, where the payload looks.  Without
# IOMMUFD (Debian's kernels) QEMU has no dirty tracking for it and blocks
# migration and save unless told enable-migration=on: it then takes all
# guest memory as dirty while the device runs (Documentation/operators.md, "libvirt").
lv_domain() {
	local name=$1 bdf=$2 serial=$3 model='' override=''
	if [ -n "${4:-}" ]; then
		model="<driver model='$4'/>"
		override="<qemu:override><qemu:device alias='ua-dev0'><qemu:frontend>
		  <qemu:property name='enable-migration' type='string' value='on'/>
		</qemu:frontend></qemu:device></qemu:override>"
	fi
	local bus=${bdf#*:}
	cat <<-END
	<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
	  <name>$name</name>
	  <memory unit='MiB'>32</memory>
	  <os><type arch='x86_64' machine='q35'>hvm</type><kernel>$PWD/build/edu_payload.elf</kernel></os>
	  <on_poweroff>destroy</on_poweroff>
	  <devices>
	    <emulator>/usr/bin/qemu-system-x86_64</emulator>
	    <serial type='file'><source path='$serial'/></serial>
	    <controller type='usb' model='none'/>
	    <memballoon model='none'/>
	    <hostdev mode='subsystem' type='pci' managed='yes'>
	      $model
	      <source><address domain='0x${bdf%%:*}' bus='0x${bus%%:*}' slot='0x$(slot_of "$bdf")' function='0x${bdf##*.}'/></source>
	      <address type='pci' domain='0x0000' bus='0x00' slot='0x05' function='0x0'/>
	      <alias name='ua-dev0'/>
	    </hostdev>
	  </devices>
	  $override
	</domain>
	END
}

# lv_wait LOG PATTERN SECONDS: the payload printed PATTERN.
lv_wait() {
	local i
	for ((i = 0; i < $3 * 5; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}

# The devices as on a host before libvirt: on no driver, no override; the
# configuration serves A and B, not C; udevd runs the shipped rule.
lv_host_setup() {
	local d rules=/run/udev/rules.d
	for d in $A $B $C; do
		[ -e "$SYS/$d/driver" ] && echo "$d" >"$SYS/$d/driver/unbind"
		echo >"$SYS/$d/driver_override"
	done
	printf '%s\t%s\n' "$A" "$PWD/bpf/edu.bpf.o" "$B" "$PWD/bpf/edu.bpf.o" >"$TMP/devices.conf"
	mkdir -p "$rules"
	sed -e "s|@SBINDIR@|$PWD/user|g" -e "s|@CONFIG_ARG@| --config $TMP/devices.conf|g" \
		user/udev/90-vfmig.rules.in >"$rules/90-vfmig.rules"
	/lib/systemd/systemd-udevd --daemon --resolve-names=never || fail "cannot start udevd"
	echo 10000 >/sys/module/vfmig/parameters/wait_for_program_ms
	trap 'lv_stop_all; echo 0 >/sys/module/vfmig/parameters/wait_for_program_ms' EXIT
}

slot_of() { local s=${1#*:*:}; echo "${s%.*}"; }
# A domain's XML on stdin moved from A to B: the hostdev's source address
# and the console's log.
lv_xml_to_b() {
	sed -e "s|slot='0x$(slot_of "$A")'|slot='0x$(slot_of "$B")'|" -e "s|vm-a.log|vm-b.log|"
}

drv_of() { basename "$(readlink "$SYS/$1/driver" 2>/dev/null)"; }

# The payload's last report line: tick count, then the edu registers it
# reads (see selftests/payload/edu_payload.c).
lv_regs() { vm_lines_of "$1" | tail -n1 | cut -d' ' -f3-; }
lv_tick() { vm_lines_of "$1" | tail -n1 | cut -d' ' -f2; }
vm_lines_of() { grep -E "$VM_LINE" "$1"; }

# virsh start: the device is bound by libvirt and served by its program
# from QEMU's first open; virsh save stops the guest into a file, virsh
# restore brings it back on B (the XML edited) with its device state; a
# domain given C, which the configuration does not name, gets vfio-pci.
t_libvirt_start_save_restore() {
	local out regs tick
	lv_host_setup
	lv_start a 4a1b7e2c-0000-4000-8000-00000000000a
	lv_domain vm "$A" "$TMP/vm-a.log" vfmig-pci >"$TMP/vm-a.xml"
	out=$(lv a create "$TMP/vm-a.xml" 2>&1) || fail "virsh create: $out"
	lv_wait "$TMP/vm-a.log" READY 60 ||
		fail "payload not ready: $(cat "$TMP/vm-a.log"; tail -5 "$LV/a/log/qemu/vm.log")"
	assert_eq "libvirt bound A to" vfmig-pci "$(drv_of "$A")"
	assert_eq "A served by" edu "$(sysattr "$A" program)"
	lv_wait "$TMP/vm-a.log" "^TICK 2 " 30 || fail "payload does not tick"
	assert_eq "QEMU found A migratable" running "$(sysattr "$A" migration_state)"

	# Without dirty tracking every pass counts all guest RAM dirty (a
	# paused guest's too); at TCG's bandwidth the default 300 ms of
	# downtime is never enough to finish.
	out=$(lv a migrate-setmaxdowntime vm 60000 2>&1) || fail "setmaxdowntime: $out"
	out=$(lv a save vm "$TMP/vm.save" 2>&1) || fail "virsh save: $out"
	regs=$(lv_regs "$TMP/vm-a.log") tick=$(lv_tick "$TMP/vm-a.log")
	assert_eq "domain gone after save" "" "$(lv a list --name)"
	# managed: libvirt unbinds it; the rule drops its program's pins.
	assert_eq "A given back" "" "$(drv_of "$A")"

	# The saved XML, edited as an operator would: B's address, a new log.
	lv a save-image-dumpxml "$TMP/vm.save" | lv_xml_to_b >"$TMP/vm-b.xml" ||
		fail "save-image-dumpxml"
	out=$(lv a restore "$TMP/vm.save" --xml "$TMP/vm-b.xml" 2>&1) || fail "virsh restore: $out"
	lv_wait "$TMP/vm-b.log" TICK 60 || fail "restored guest prints nothing"
	sleep 1
	assert_eq "restored guest did not boot again" 0 "$(grep -c BOOT "$TMP/vm-b.log")"
	[ "$(vm_lines_of "$TMP/vm-b.log" | head -n1 | cut -d' ' -f2)" -ge "$tick" ] ||
		fail "restored guest counts from $(vm_lines_of "$TMP/vm-b.log" | head -n1)"
	assert_eq "device state in the restored guest" "$regs" "$(lv_regs "$TMP/vm-b.log")"
	assert_eq "B served by" edu "$(sysattr "$B" program)"

	lv_domain plain "$C" "$TMP/plain.log" >"$TMP/plain.xml"
	out=$(lv a create "$TMP/plain.xml" 2>&1) || fail "virsh create plain: $out"
	lv_wait "$TMP/plain.log" READY 60 || fail "plain payload not ready"
	assert_eq "C, not configured, on" vfio-pci "$(drv_of "$C")"
	lv a destroy plain >/dev/null
	lv a destroy vm >/dev/null
	assert_eq "B given back" "" "$(drv_of "$B")"
}

# virsh migrate from one libvirtd to another (two hosts as far as libvirt
# goes: their own state and host UUIDs), the device moving from A to B.
t_libvirt_migrate() {
	local out regs
	lv_host_setup
	lv_start a 4a1b7e2c-0000-4000-8000-00000000000a
	lv_start b 4a1b7e2c-0000-4000-8000-00000000000b
	lv_domain vm "$A" "$TMP/vm-a.log" vfmig-pci >"$TMP/vm-a.xml"
	out=$(lv a create "$TMP/vm-a.xml" 2>&1) || fail "virsh create: $out"
	lv_wait "$TMP/vm-a.log" "^TICK 1 " 60 || fail "payload not ticking: $(cat "$TMP/vm-a.log")"

	# The destination host's XML: its device (B), its log, and the driver
	# named by its module's name, which libvirt resolves to vfmig-pci.
	lv a dumpxml --migratable vm | lv_xml_to_b | sed "s|model='vfmig-pci'|model='vfmig'|" \
		>"$TMP/vm-b.xml" || fail "dumpxml"
	out=$(lv a migrate-setmaxdowntime vm 60000 2>&1) || fail "setmaxdowntime: $out"
	out=$(lv a migrate --live vm "$(lv_uri b)" --migrateuri tcp://127.0.0.1 \
		--xml "$TMP/vm-b.xml" 2>&1) || fail "virsh migrate: $out"
	regs=$(lv_regs "$TMP/vm-a.log")
	assert_eq "gone from the source" "" "$(lv a list --name)"
	assert_eq "running on the destination" vm "$(lv b list --name)"
	lv_wait "$TMP/vm-b.log" TICK 60 || fail "migrated guest prints nothing"
	sleep 1
	assert_eq "migrated guest did not boot again" 0 "$(grep -c BOOT "$TMP/vm-b.log")"
	assert_eq "device state in the migrated guest" "$regs" "$(lv_regs "$TMP/vm-b.log")"
	assert_eq "B served by" edu "$(sysattr "$B" program)"
	assert_eq "B bound by the destination to" vfmig-pci "$(drv_of "$B")"
	grep -q "model='vfmig'" "$TMP/vm-b.xml" || fail "the destination XML names no model"
	assert_eq "A given back" "" "$(drv_of "$A")"
}
