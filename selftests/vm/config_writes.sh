# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# shellcheck shell=bash disable=SC2034  # sourced by tests.sh: variables are shared
#
# Config-space writes by a program: a sweep writes every byte back with
# its own value, and exactly the bytes outside the header and the
# capabilities (vendor-specific bodies aside) take it, as vfio-pci writes
# raw for its user.  The layout is read from the device's own capability
# lists.  Sourced by tests.sh (nic.sh sweeps the igb PF and a VF with
# cfg_sweep_check); listed in manifest.sh (CONFIG_WRITE_TESTS).

# Config space of $1 as the device holds it (root reads all of it), one
# byte per offset in CFG[].
cfg_load() {
	mapfile -t CFG < <(od -An -v -tu1 "$SYS/$1/config" | tr -s ' ' '\n' | sed '/^$/d')
	[ "${#CFG[@]}" -ge 256 ] || fail "$1: config space of ${#CFG[@]} bytes"
}
cfg_dword() { echo $((CFG[$1] | CFG[$1 + 1] << 8 | CFG[$1 + 2] << 16 | CFG[$1 + 3] << 24)); }

# Bytes of the non-vendor capability ID at POS (EXT 1: extended) by its
# specification, never by the device's lengths; unknown sizes run to NEXT.
cfg_span() {	# cfg_span POS EXT ID NEXT
	local p=$1 w=$((CFG[$1 + 2] | CFG[$1 + 3] << 8))
	case $2:$3 in
	0:1) echo 8 ;;					# PM
	0:2) echo 12 ;;					# AGP
	0:3) echo 8 ;;					# VPD
	0:5) echo $((10 + (w & 0x80 ? 4 : 0) + (w & 0x100 ? 10 : 0))) ;; # MSI
	0:7) echo $(((w >> 12) & 3 ? 24 : 8)) ;;	# PCI-X
	0:8) echo 28 ;;					# HT
	0:13) echo 8 ;;					# SSVID
	0:16) echo $(((w & 0xf) == 1 ? 20 : 60)) ;;	# PCIe
	0:17) echo 12 ;;				# MSI-X
	0:18) echo 16 ;;				# SATA
	0:19) echo 6 ;;					# AF
	1:1) echo 72 ;;					# AER
	1:3) echo 12 ;;					# DSN
	1:4) echo 16 ;;					# power budgeting
	1:14|1:15|1:24|1:27) echo 8 ;;			# ARI, ATS, LTR, PASID
	1:16) echo 64 ;;				# SR-IOV
	1:18) echo 40 ;;				# multicast
	1:19) echo 16 ;;				# PRI
	1:46) echo 24 ;;				# DOE
	*) echo $(($4 - p)) ;;
	esac
}

# What programs may write in config space of $1, from its own capability
# lists: PROT[off] names the header or capability holding a byte they may
# not write; VBODY counts vendor-specific body bytes (writable); CAPS lists
# the capabilities found.
cfg_layout() {	# cfg_layout BDF
	local size pos ext id n i np next limit span hdr len end prot_end=0 caps=()
	cfg_load "$1"
	size=${#CFG[@]}
	PROT=()
	VBODY=0
	CAPS=''
	for ((i = 0; i < 64; i++)); do PROT[i]=header; done
	if ((CFG[6] & 0x10)); then
		pos=${CFG[0x34]} n=48
		while ((pos && n--)); do
			((pos >= 64 && !(pos & 3))) || fail "$1: capability pointer $pos"
			caps+=("$pos 0 ${CFG[pos]}")
			pos=${CFG[pos + 1]}
		done
	fi
	pos=256 n=$(((size - 256) / 4))
	while ((size > 256 && n-- && pos >= 256)); do
		hdr=$(cfg_dword $pos)
		((hdr && hdr != 0xffffffff)) || break
		caps+=("$pos 1 $((hdr & 0xffff))")
		pos=$(((hdr >> 20) & 0xffc))
	done
	mapfile -t caps < <(printf '%s\n' "${caps[@]}" | sort -n -u)
	for ((i = 0; i < ${#caps[@]}; i++)); do
		read -r pos ext id <<<"${caps[i]}"
		limit=$((ext ? size : 256)) next=$limit
		if ((i + 1 < ${#caps[@]})); then
			read -r np _ <<<"${caps[i + 1]}"
			((np < next)) && next=$np
		fi
		CAPS+=" $(printf '%s%#x@%#x' "$( ((ext)) && echo e)" "$id" "$pos")"
		hdr=0
		case $ext:$id in
		0:9) hdr=3 len=${CFG[pos + 2]} ;;
		1:11|1:35) hdr=$((id == 11 ? 8 : 10)) len=$(($(cfg_dword $((pos + 4))) >> 20)) ;;
		esac
		if ((!hdr)); then
			span=$(cfg_span "$pos" "$ext" "$id" "$next")
			end=$((pos + span < limit ? pos + span : limit))
			((end > prot_end)) && prot_end=$end
		elif ((pos < prot_end)); then
			end=$next	# a vendor capability inside another: refused
		else
			end=$((pos + hdr < next ? pos + hdr : next))
			len=$((pos + len < next ? pos + len : next))
			((len > end)) && VBODY=$((VBODY + len - end))
		fi
		for ((n = pos; n < end; n++)); do
			PROT[n]="cap $(printf '%#x@%#x' "$id" "$pos")"
		done
	done
}

# A program writing every byte of config space of $1 back, one at a time,
# from set_state: refused on the header and every capability (vendor
# bodies aside), done everywhere else, as vfio-pci writes raw for its user.
cfg_sweep_check() {	# cfg_sweep_check BDF
	local dev=$1 out dump bits=() i bad='' missing='' nprot=0 nw=0
	cfg_layout "$dev"
	rm -rf "$HP"
	mkdir -p "$HP"
	out=$($ATT -p "$HP" "$HOSTILE" "$dev" cfg_sweep=1 no_window=1)
	assert_eq "$dev: attach" "attach: ok" "$out"
	out=$($OPS "$dev" 'mig stop' 2>&1)
	dump=$(bpftool -j map dump pinned "$HP/bss")
	rm -f "$HP/link"
	assert_eq "$dev: RUNNING to STOP, the sweep's trigger ($(sysattr "$dev" last_error))" \
		ok "$(answer 1 "$out")"
	assert_eq "$dev: the sweep read all of config space" "${#CFG[@]}" \
		"$(grep -o '"cfg_read_ok":[0-9]*' <<<"$dump" | cut -d: -f2)"
	mapfile -t bits < <(grep -o '"cfg_written":\[[0-9,]*\]' <<<"$dump" | grep -o '[0-9][0-9]*')
	assert_eq "$dev: cfg_written dumped" 128 "${#bits[@]}"
	for ((i = 0; i < ${#CFG[@]}; i++)); do
		if ((bits[i / 32] >> (i % 32) & 1)); then
			nw=$((nw + 1))
			[ -z "${PROT[i]:-}" ] || bad+=" $(printf '%#x' "$i")(${PROT[i]})"
		else
			[ -n "${PROT[i]:-}" ] || missing+=" $(printf '%#x' "$i")"
		fi
		[ -z "${PROT[i]:-}" ] || nprot=$((nprot + 1))
	done
	[ -z "$bad" ] || fail "$dev: program wrote protected config bytes:$bad"
	[ -z "$missing" ] || fail "$dev: program could not write unclaimed bytes:$missing"
	echo "    $dev, capabilities${CAPS:- none}: $nprot bytes refused, $nw written ($VBODY in vendor bodies)"
}

# Config writes never reach the header or a capability of edu (MSI), and
# do reach unclaimed space; on virtio-rng (MSI-X and five vendor-specific
# capabilities) they reach the vendor bodies too.
t_cfg_write_sweep() {
	local v=${VMTEST_VIRTIO:-}
	cfg_sweep_check "$A"
	assert_eq "device still sane" 0x10000ed "$(answer 1 "$($OPS "$A" 'rd 0 0 4')")"
	[ -n "$v" ] || fail "no virtio-rng device: VMTEST_VIRTIO unset"
	bind vfmig-pci "$v"
	cfg_sweep_check "$v"
	[ "$VBODY" -gt 0 ] || fail "$v: no vendor-specific capability body"
	bind virtio-pci "$v"
}
