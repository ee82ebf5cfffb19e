# SPDX-License-Identifier: GPL-2.0
#
# vfmig: one entry point.  `make` builds the product (the module, the
# shipped programs, the tools), which `make install` installs; on a host it
# needs the build dependencies and the running kernel's headers only.
# `make all` adds the tests' build (selftests/Makefile); `make check` and
# `make demo` set the machine up themselves (`make setup`: the test VM's
# kernel and packages).

VERSION   := $(shell sed -n 's/^\#define VFMIG_VERSION[^"]*"\(.*\)"/\1/p' include/vfmig.h)
CACHE     ?= $(CURDIR)/.cache
# The kernel to build for: the test VM's once `make setup` ran, else the
# running one.
ifeq ($(origin KVER),undefined)
KVER      := $(or $(shell cat $(CACHE)/kernel-version 2>/dev/null),$(shell uname -r))
endif
KDIR      ?= /lib/modules/$(KVER)/build
BUILD     := build
CLANG     ?= clang
BPFTOOL   ?= bpftool
CFLAGS    ?= -O2 -g -Wall -Wextra

BPF_CC     = $(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_x86 -I$(BUILD) -Iinclude \
	     $(BPF_CFLAGS) -Wall -Werror

# The product: the modules kernel/Kbuild names (obj-m), the vendor programs
# a host gets, and the tools.  The tests build in selftests/Makefile.
MODULES   := $(addprefix kernel/,$(patsubst %.o,%.ko,$(filter %.o, \
	     $(shell sed -n 's/^obj-m[[:space:]]*[:+]*=//p' kernel/Kbuild))))
SHIPPED   := bpf/edu.bpf.o bpf/igbvf.bpf.o
KMOD_SRCS := $(filter-out %.mod.c,$(wildcard kernel/*.c)) $(wildcard kernel/*.h) \
	     kernel/Kbuild include/vfmig.h include/vfmig_dirty.h \
	     include/vfmig_stream.h include/vfmig_igb_pf.h \
	     lib/vfmig_stream.c lib/vfmig_stream_env.h

.DELETE_ON_ERROR:
.PHONY: product all setup testkernel benchkernel guestkernel check vmtest demo bench \
	install install-tools install-kit install-module install-dkms install-config \
	install-programs clean user unit-test need-setup programs tools linux-guest selftests \
	contract

product: programs tools

# What a host gets (debian/rules builds these): the modules, the shipped
# programs and the tools.
programs: $(MODULES) $(SHIPPED)
tools: user

# Everything the VM tests need: the product, the modules for the kernel
# tiers built so far, and the tests' build.
all: product selftests

selftests: product
	$(MAKE) -C selftests

setup:
	@selftests/setup.sh $(CACHE)

need-setup:
	@test -n "$(KVER)" -a -d "$(KDIR)" || \
		{ echo "vfmig: no kernel headers in $(KDIR): install linux-headers-$(KVER)" \
		       "(apt install linux-headers-$(KVER)), or run 'make setup' (as root) for" \
		       "the test VM" >&2; exit 1; }

$(MODULES) &: $(KMOD_SRCS) | need-setup
	$(MAKE) -C $(KDIR) M=$(CURDIR)/kernel modules

# Kernels of ours build into KCACHE: /var/cache/vfmig where the machine
# lets us, so that another clone, or the next CI run on the same machine,
# finds them built (keyed by source version and configuration); else
# $(CACHE).  Their pointers (<kind>kernel-dir) are copied into $(CACHE),
# where the scripts read them.  Not under /tmp: the test VM has its own.
KCACHE    ?= /var/cache/vfmig
define kernel_build	# $(1): test, bench or guest
	@mkdir -p $(CACHE); kc=$(KCACHE); \
	case "$$kc" in /tmp | /tmp/*) echo "vfmig: KCACHE=$$kc: the test VM mounts" \
		"its own tmpfs on /tmp and would not find the kernel there; use a" \
		"directory elsewhere (/var/tmp/...)" >&2; exit 1 ;; esac; \
	{ mkdir -p "$$kc" 2>/dev/null && [ -w "$$kc" ]; } || kc=$(CACHE); \
	selftests/testkernel/build.sh "$$kc" $(1) && \
	{ [ "$$kc" -ef $(CACHE) ] || cp "$$kc/$(1)kernel-dir" $(CACHE)/$(1)kernel-dir; }
endef

# Build (or find in the cache) the second kernel tier: about 25 min the
# first time on 2 cores, then nothing until its configuration changes.
testkernel:
	$(call kernel_build,test)

# The bench kernel, built (or found in the cache) only by `make bench`.
benchkernel:
	$(call kernel_build,bench)

# The modules again for each kernel of ours built so far (a kind with no
# kernel yet adds no rule).  Kbuild writes objects beside the sources, so
# they build in a tree of links: kernel/ and lib/ (the shared stream
# parser, whose object goes to ../lib) as directories of links, and the
# include/ their sources reach as ../include.  The kernel's .done is a prerequisite: a rebuilt
# kernel keeps its release name, and a module built against the old one's
# BTF would not load.
define kernel_tier	# $(1): test or bench (selftests/testkernel/build.sh)
$(1)_DIR  := $$(shell cat $$(CACHE)/$(1)kernel-dir 2>/dev/null)
$(1)_REL  := $$(if $$($(1)_DIR),$$(shell cat $$($(1)_DIR)/build/include/config/kernel.release 2>/dev/null))
ifneq ($$($(1)_REL),)
$(1)_KMOD := $$(BUILD)/kmod/$$($(1)_REL)
$(1)_MODULES := $$(patsubst kernel/%,$$($(1)_KMOD)/kernel/%,$$(MODULES))
TIER_MODULES += $$($(1)_MODULES)
$$($(1)_MODULES) &: $$(KMOD_SRCS) $$($(1)_DIR)/.done
	@mkdir -p $$($(1)_KMOD)/kernel $$($(1)_KMOD)/lib
	ln -sfn $$(CURDIR)/include $$($(1)_KMOD)/include
	ln -sf $$(addprefix $$(CURDIR)/,$$(filter kernel/%,$$(KMOD_SRCS))) $$($(1)_KMOD)/kernel/
	ln -sf $$(addprefix $$(CURDIR)/,$$(filter lib/%,$$(KMOD_SRCS))) $$($(1)_KMOD)/lib/
	$$(MAKE) -C $$($(1)_DIR)/build M=$$(CURDIR)/$$($(1)_KMOD)/kernel modules
endif
endef
$(foreach kind,test bench,$(eval $(call kernel_tier,$(kind))))
all: $(TIER_MODULES)

# One header with the kernel's and the module's types, never committed.
$(BUILD)/vmlinux.h: kernel/vfmig.ko
	@mkdir -p $(BUILD)
	$(BPFTOOL) btf dump file $< -B $(KDIR)/vmlinux format c > $@

BPF_DEPS  := $(BUILD)/vmlinux.h include/vfmig.bpf.h include/vfmig.h include/vfmig_igb_pf.h \
	     $(wildcard bpf/*.h)

bpf/%.bpf.o: bpf/%.bpf.c $(BPF_DEPS)
	$(BPF_CC) -c $< -o $@

# igbvf exchanges read-to-clear bits atomically with the guest's reads:
# atomic exchange and fetch-or are BPF ISA v3 (Linux 5.12).
bpf/igbvf.bpf.o: BPF_CFLAGS = -mcpu=v3

user:
	$(MAKE) -C user

# The Linux guest of the NIC tests: a small kernel with igbvf built in,
# cached like the tiers (a few minutes the first time), and its initramfs.
guestkernel:
	$(call kernel_build,guest)

linux-guest: guestkernel $(BUILD)/linux_guest.cpio.gz
$(BUILD)/linux_guest.cpio.gz: selftests/guest/build.sh selftests/guest/init
	@mkdir -p $(BUILD)
	selftests/guest/build.sh $@

unit-test:
	$(MAKE) -C user test

# The program contract, rendered from the module's kernel-doc into
# Documentation/contract.md and vfmig-programs(7); both are committed, and
# `make check` fails when they differ from the kernel-doc.
contract:
	Documentation/gen_contract.pl

# Host unit tests, then the VM suite; ends with "N passed, N failed".
# check.sh builds the second tier (make testkernel) after the first runs.
# `make check T="t_name ..." [TIER=2]` runs only those VM tests, each in
# the VM it needs (selftests/run; `selftests/run --list` names them all).
check:
	$(MAKE) setup
	$(MAKE) all
ifdef T
	selftests/run $(if $(filter 2,$(TIER)),--tier2) $(T)
else
	selftests/check.sh
endif

vmtest: all
	selftests/vmtest.sh -- selftests/vm/tests.sh

demo:
	$(MAKE) setup
	$(MAKE) all
	selftests/vmtest.sh -- selftests/vm/demo.sh

# The paths' inner loops natively on the host (selftests/bench_host.c), then
# figures as ratios measured side by side in one run (selftests/vm/bench.sh),
# on Debian's kernel and on the bench kernel (IOMMUFD without the second
# tier's debug checks: the uAPI's dirty report and QEMU with the device's
# DMA log); the NIC VF in the VM with QEMU's igb (selftests/vm/bench_nic.sh,
# Documentation/nic-speed.md): echo rates, trap windows, downtimes and their
# profile, two VFs with QEMU's multifd device-state transfer on and off, the
# Linux guest (its kernel from make linux-guest, if built).
# The bench kernel builds the first time (about 20 min on 2 cores).
# Its VMs keep a host thread per vCPU: they run alone, and the nested
# migrations it times would otherwise share one.
bench: export VMTEST_ACCEL := tcg
bench:
	$(MAKE) setup
	$(MAKE) benchkernel
	$(MAKE) all $(BUILD)/linux_guest.cpio.gz
	$(MAKE) -C selftests bench-host
	selftests/bench-host
	selftests/vmtest.sh --mem 1024M -- selftests/vm/bench.sh
	selftests/vmtest.sh --mem 1024M --kernel-dir "$$(cat $(CACHE)/benchkernel-dir)" -- \
		selftests/vm/bench.sh
	selftests/vmtest.sh --igb --edu 0 -- selftests/vm/bench_nic.sh rate windows migrate profile
	selftests/vmtest.sh --igb --edu 0 -- selftests/vm/bench_nic.sh multifd linux
	selftests/vmtest.sh --igb --edu 0 --kernel-dir "$$(cat $(CACHE)/benchkernel-dir)" -- \
		selftests/vm/bench_nic.sh rate migrate profile multifd linux

# Where `make install` puts things; DESTDIR stages, as packages do.
PREFIX    ?= /usr/local
SBINDIR   ?= $(PREFIX)/sbin
PROGDIR   ?= $(PREFIX)/lib/vfmig
INCDIR    ?= $(PREFIX)/include/vfmig
DATADIR   ?= $(PREFIX)/share/vfmig
MANDIR    ?= $(PREFIX)/share/man
COMPDIR   ?= $(PREFIX)/share/bash-completion/completions
# udev, modprobe and systemd-modules-load read only these, whatever PREFIX is.
UDEVDIR   ?= /usr/lib/udev/rules.d
MODPROBEDIR ?= /usr/lib/modprobe.d
MODULESLOADDIR ?= /usr/lib/modules-load.d
SYSCONFDIR ?= /etc
MANPAGES  := user/man/vfmig-load.8 user/man/vfmig-ctl.8 user/man/vfmig-programs.7

install: install-tools install-programs install-kit install-module install-config

install-programs: $(SHIPPED)
	install -D -m 0644 -t $(DESTDIR)$(PROGDIR) $(SHIPPED)

# Programs attached as devices bind (udev runs vfmig-load apply), before
# their first open (which waits for them), as the configuration says.  An
# existing configuration is the operator's: never overwritten.
install-config:
	install -d $(DESTDIR)$(UDEVDIR) $(DESTDIR)$(SYSCONFDIR)/vfmig
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@CONFIG_ARG@||g' user/udev/90-vfmig.rules.in \
		>$(DESTDIR)$(UDEVDIR)/90-vfmig.rules
	install -D -m 0644 user/udev/vfmig-modprobe.conf $(DESTDIR)$(MODPROBEDIR)/vfmig.conf
	install -D -m 0644 user/udev/vfmig-modules-load.conf \
		$(DESTDIR)$(MODULESLOADDIR)/vfmig.conf
	test -e $(DESTDIR)$(SYSCONFDIR)/vfmig/devices.conf || \
		install -m 0644 user/udev/devices.conf $(DESTDIR)$(SYSCONFDIR)/vfmig/devices.conf

install-tools: user
	install -D -m 0755 -t $(DESTDIR)$(SBINDIR) user/vfmig-load user/vfmig-ctl
	install -D -m 0644 -t $(DESTDIR)$(MANDIR)/man8 $(filter %.8,$(MANPAGES))
	install -D -m 0644 -t $(DESTDIR)$(MANDIR)/man7 $(filter %.7,$(MANPAGES))
	install -D -m 0644 user/completion.bash $(DESTDIR)$(COMPDIR)/vfmig-load
	ln -sf vfmig-load $(DESTDIR)$(COMPDIR)/vfmig-ctl

# What a vendor builds programs with, outside this tree: the headers, the
# kernel's and the module's types as of this build (vmlinux.h, so programs
# build with the module absent; VFMIG_ABI_VERSION says which modules take
# them) and the template (its Makefile pointed at where the headers go).
# An existing vmlinux.h is taken as it is (`make all` keeps it current),
# so the kit installs where the module cannot be built (the test VM).
install-kit: $(if $(wildcard $(BUILD)/vmlinux.h),,$(BUILD)/vmlinux.h)
	install -D -m 0644 -t $(DESTDIR)$(INCDIR) include/vfmig.h \
		include/vfmig.bpf.h include/vfmig_stream.h $(BUILD)/vmlinux.h
	install -D -m 0644 -t $(DESTDIR)$(DATADIR)/template bpf/template/mydev.bpf.c
	sed 's|^VFMIG_INCLUDE ?=.*|VFMIG_INCLUDE ?= $(INCDIR)|' \
		bpf/template/Makefile >$(DESTDIR)$(DATADIR)/template/Makefile

# The module for KVER (the running kernel on a host), then depmod, so
# `modprobe vfmig` finds it.
install-module: $(MODULES)
	install -D -m 0644 -t $(DESTDIR)/lib/modules/$(KVER)/updates $(MODULES)
	depmod $(if $(DESTDIR),-b $(DESTDIR)) $(KVER)

# The module's source as DKMS takes it (/usr/src/vfmig-VERSION): DKMS
# rebuilds it for every kernel installed later and runs depmod.
install-dkms: $(BUILD)/dkms.conf
	install -D -m 0644 -t $(DESTDIR)/usr/src/vfmig-$(VERSION)/kernel \
		$(filter kernel/%,$(KMOD_SRCS))
	install -D -m 0644 -t $(DESTDIR)/usr/src/vfmig-$(VERSION)/include \
		$(filter include/%,$(KMOD_SRCS))
	install -D -m 0644 -t $(DESTDIR)/usr/src/vfmig-$(VERSION)/lib \
		$(filter lib/%,$(KMOD_SRCS))
	install -m 0644 $(BUILD)/dkms.conf $(DESTDIR)/usr/src/vfmig-$(VERSION)/dkms.conf

$(BUILD)/dkms.conf: kernel/dkms.conf.in include/vfmig.h
	@mkdir -p $(BUILD)
	sed 's/@VERSION@/$(VERSION)/' $< >$@

# Kbuild's clean knows kernel/ only: the stream parser's object is in lib/.
clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR)/kernel clean 2>/dev/null
	rm -f lib/*.o lib/.*.cmd lib/.*.o.d
	$(MAKE) -C user clean
	$(MAKE) -C selftests clean
	rm -rf $(BUILD) bpf/*.bpf.o
