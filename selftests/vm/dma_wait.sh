# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#
# The kfuncs a NIC program needed, tested on edu with
# bpf/test_wait_dma.bpf.o: bpf_vfmig_dma_read() (memory as the device sees
# it) and bpf_vfmig_usleep() (bounded waits).  Sourced by tests.sh after
# safety.sh, whose attach helpers it uses; listed in DMA_WAIT_TESTS.

WD=bpf/test_wait_dma.bpf.o

wdattach() {
	rm -rf "$HP"
	mkdir -p "$HP"
	$ATT -p "$HP" "$WD" "$A" || fail "attach-test $WD"
}

# From a region hook: the bytes the device sees, across a page boundary,
# and refusals for what it does not map, a wrapping range and bad sizes.
t_dma_read_sees_device_memory() {
	local out
	wdattach >/dev/null
	out=$($OPS "$A" 'map 0x100000 0x10000' 'fill 0x100000 0x1000 0x11' \
		'fill 0x101000 0x1000 0x22' \
		'wr 0 0x100 8 0x100ffc' 'rd 0 0x100 8' \
		'wr 0 0x100 8 0x100000' 'rd 0 0x100 8' \
		'wr 0 0x100 8 0x200000' 'rd 0 0x100 8' \
		'wr 0 0x100 8 0x10fffc' 'rd 0 0x100 8' \
		'wr 0 0x100 8 0xfffffffffffffffc' 'rd 0 0x100 8' \
		'wr 0 0x100 8 0x100000' \
		'wr 0 0x108 8 1' 'rd 0 0x108 8' \
		'wr 0 0x108 8 0x10008' 'rd 0 0x108 8' \
		'wr 0 0x100 8 0x101000' 'wr 0 0x108 8 1' 'rd 0 0x108 8')
	assert_eq "across a page" 0x2222222211111111 "$(answer 5 "$out")"
	assert_eq "first page" 0x1111111111111111 "$(answer 7 "$out")"
	assert_eq "unmapped" "error: EFAULT" "$(answer 9 "$out")"
	assert_eq "half mapped" "error: EFAULT" "$(answer 11 "$out")"
	assert_eq "wrapping" "error: EINVAL" "$(answer 13 "$out")"
	assert_eq "64 KiB at once" 0x0 "$(answer 16 "$out")"
	assert_eq "past VFMIG_MAX_DMA_READ" "0x$(printf '%x' $((-22 & 0xffffffffffffffff)))" \
		"$(answer 18 "$out")"
	assert_eq "64 KiB, the last page unmapped" "0x$(printf '%x' $((-14 & 0xffffffffffffffff)))" \
		"$(answer 21 "$out")"
	hdetach
}

# Guest RAM on huge pages (QEMU madvises its RAM huge; hugetlbfs backs it
# on request): every offset of a 2 MiB THP and of a hugetlb page reads
# right, within a 4 KiB page, across 4 KiB and across two huge pages.
t_dma_read_huge_pages() {
	local out kind base i
	local -a offs=(0 0x1000 0x100ffc 0x1ffff8 0x1ffffc 0x3ffff8)
	local -a want=(0x3333333333333333 0x3333333333333333 0x3333333333333333
		       0x3333333333333333 0x4444444433333333 0x4444444444444444)
	echo 8 >/proc/sys/vm/nr_hugepages
	wdattach >/dev/null
	for kind in thp hugetlb; do
		base=$([ $kind = thp ] && echo 0x200000 || echo 0x800000)
		local ops=("map $base 0x400000 $kind" "fill $base 0x200000 0x33"
			   "fill $((base + 0x200000)) 0x200000 0x44")
		for i in "${offs[@]}"; do
			ops+=("wr 0 0x100 8 $((base + i))" "rd 0 0x100 8")
		done
		out=$($OPS "$A" "${ops[@]}")
		case $kind in
		thp) assert_has "THP backs the mapping" "AnonHugePages 4096 kB" "$(answer 1 "$out")" ;;
		*) assert_eq "hugetlb mapping" ok "$(answer 1 "$out")" ;;
		esac
		for i in "${!offs[@]}"; do
			assert_eq "$kind +${offs[i]}" "${want[i]}" "$(answer $((5 + 2 * i)) "$out")"
		done
	done
	echo 0 >/proc/sys/vm/nr_hugepages
	hdetach
}

# A mapping unmapped and mapped again while a hook reads it: each read
# sees the memory or fails cleanly (KASAN's tier checks no freed page or
# page table is read).
t_dma_read_races_unmap() {
	local out
	wdattach >/dev/null
	out=$($OPS "$A" 'dmarace 0x400000 2000')
	echo "    $out"
	assert_has "the race ran" "2000 cycles" "$out"
	assert_has "no read saw other bytes" " 0 saw other bytes" "$out"
	hdetach
}

# A program that waits in a loop is stopped by the budget: about
# VFMIG_MAX_WAIT_MS of waiting, then -ETIMEDOUT, and the arc completes.
t_usleep_bounded() {
	local out start ms waits ns
	wdattach >/dev/null
	start=$(date +%s%N)
	out=$($OPS "$A" 'mig stop' mstate)
	ms=$((($(date +%s%N) - start) / 1000000))
	assert_eq "arc done" "ok stop" "$(answer 1 "$out") $(answer 2 "$out")"
	read -r waits ns <<<"$(hvar waits wait_ns)"
	assert_eq "errors: budget spent, 0 us, too long" "-110 -22 -22" \
		"$(hvar wait_err zero_err long_err)"
	[ "$waits" -ge 50 ] && [ "$waits" -le 100 ] ||
		fail "$waits waits of 10 ms in a 1 s budget"
	[ "$ns" -ge 1000000000 ] && [ "$ns" -lt 3000000000 ] ||
		fail "waited $ns ns for a 1 s budget"
	[ "$ms" -lt 10000 ] || fail "the arc took $ms ms"
	echo "    $waits waits, $((ns / 1000000)) ms in set_state, $ms ms for the ioctl"
	hdetach
}

DMA_WAIT_TESTS=(t_dma_read_sees_device_memory t_dma_read_huge_pages
		t_dma_read_races_unmap t_usleep_bounded)
