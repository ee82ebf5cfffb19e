# SPDX-License-Identifier: GPL-2.0
#
# vfmig: one entry point.  `make check` and `make demo` set the machine up
# themselves (`make setup`: the test VM's kernel and packages); on a host,
# `make && make install` needs the build dependencies and the running
# kernel's headers only.

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

# The second kernel tier (IOMMUFD, lockdep, KASAN), and the bench kernel
# (the same without the debug checks): selftests/testkernel.
TESTKERNEL := $(shell cat $(CACHE)/testkernel-dir 2>/dev/null)
TK_REL    := $(shell cat $(TESTKERNEL)/build/include/config/kernel.release 2>/dev/null)
TK_KMOD   := $(BUILD)/kmod/$(TK_REL)
BENCHKERNEL := $(shell cat $(CACHE)/benchkernel-dir 2>/dev/null)
BK_REL    := $(shell cat $(BENCHKERNEL)/build/include/config/kernel.release 2>/dev/null)
BK_KMOD   := $(BUILD)/kmod/$(BK_REL)

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(BPF_SRCS:.c=.o) bpf/edu_stop_copy.bpf.o bpf/edu_v2.bpf.o \
	     bpf/edu_refuse.bpf.o bpf/edu_compat.bpf.o bpf/test_new_abi.bpf.o
# The vendor programs a host gets; the test programs stay here.
SHIPPED   := bpf/edu.bpf.o bpf/igbvf.bpf.o
KMOD_SRCS := $(filter-out %.mod.c,$(wildcard kernel/*.c)) $(wildcard kernel/*.h) \
	     kernel/Kbuild include/vfmig.h include/vfmig_dirty.h \
	     include/vfmig_stream.h include/vfmig_stream.c include/vfmig_igb_pf.h

.DELETE_ON_ERROR:
.PHONY: all setup testkernel benchkernel guestkernel check vmtest demo bench install install-tools install-kit \
	install-module install-dkms install-config install-programs clean user unit-test \
	need-setup programs tools linux-guest

all: kernel/vfmig.ko $(BPF_OBJS) user selftests/vfio-ops selftests/replace-test \
	selftests/attach-test \
	$(BUILD)/edu_payload.elf $(BUILD)/igbvf_payload.elf $(if $(TK_REL),$(TK_KMOD)/kernel/vfmig.ko) \
	$(if $(BK_REL),$(BK_KMOD)/kernel/vfmig.ko)

# What a host gets (debian/rules builds these): the module, the shipped
# programs and the tools.
programs: kernel/vfmig.ko $(SHIPPED)
tools: user

setup:
	@selftests/setup.sh $(CACHE)

need-setup:
	@test -n "$(KVER)" -a -d "$(KDIR)" || \
		{ echo "vfmig: no kernel headers in $(KDIR): install linux-headers-$(KVER)" \
		       "(apt install linux-headers-$(KVER)), or run 'make setup' (as root) for" \
		       "the test VM" >&2; exit 1; }

kernel/vfmig.ko: $(KMOD_SRCS) | need-setup
	$(MAKE) -C $(KDIR) M=$(CURDIR)/kernel modules

# Kernels of ours build into KCACHE: /var/cache/vfmig where the machine
# lets us, so that another clone, or the next CI run on the same machine,
# finds them built (keyed by source version and configuration); else
# $(CACHE).  Their pointers (<kind>kernel-dir) are copied into $(CACHE),
# where the scripts read them.
KCACHE    ?= /var/cache/vfmig
define kernel_build	# $(1): test, bench or guest
	@mkdir -p $(CACHE); kc=$(KCACHE); \
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

# The same module for a kernel of ours.  Kbuild writes objects beside the
# sources, so it builds in a tree of links: kernel/ and the include/ its
# sources reach as ../include.
# The kernel's .done is a prerequisite: a rebuilt kernel keeps its release
# name, and a module built against the old one's BTF would not load.
define kmod_for_kernel	# $(1): module's directory, $(2): the kernel's cache directory
	@mkdir -p $(1)/kernel
	ln -sfn $(CURDIR)/include $(1)/include
	ln -sf $(addprefix $(CURDIR)/,$(filter kernel/%,$(KMOD_SRCS))) $(1)/kernel/
	$(MAKE) -C $(2)/build M=$(CURDIR)/$(1)/kernel modules
endef
# Each only once its kernel exists: with no release both would name
# build/kmod//kernel/vfmig.ko, and make would warn of the second recipe.
ifneq ($(TK_REL),)
$(TK_KMOD)/kernel/vfmig.ko: $(KMOD_SRCS) $(TESTKERNEL)/.done
	$(call kmod_for_kernel,$(TK_KMOD),$(TESTKERNEL))
endif
ifneq ($(BK_REL),)
$(BK_KMOD)/kernel/vfmig.ko: $(KMOD_SRCS) $(BENCHKERNEL)/.done
	$(call kmod_for_kernel,$(BK_KMOD),$(BENCHKERNEL))
endif

# One header with the kernel's and the module's types, never committed.
$(BUILD)/vmlinux.h: kernel/vfmig.ko
	@mkdir -p $(BUILD)
	$(BPFTOOL) btf dump file $< -B $(KDIR)/vmlinux format c > $@

BPF_DEPS  := $(BUILD)/vmlinux.h include/vfmig.bpf.h include/vfmig.h include/vfmig_igb_pf.h \
	     $(wildcard bpf/*.h)

bpf/%.bpf.o: bpf/%.bpf.c $(BPF_DEPS)
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_x86 -I$(BUILD) -Iinclude \
		$(BPF_CFLAGS) -Wall -Werror -c $< -o $@

# igbvf exchanges read-to-clear bits atomically with the guest's reads:
# atomic exchange and fetch-or are BPF ISA v3 (Linux 5.12).
bpf/igbvf.bpf.o: BPF_CFLAGS = -mcpu=v3

# edu without PRE_COPY, so tests see QEMU do a plain stop-and-copy.
bpf/edu_stop_copy.bpf.o: bpf/edu.bpf.c $(BPF_DEPS)
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_x86 -I$(BUILD) -Iinclude \
		-DEDU_FLAGS=VFMIG_F_P2P -Wall -Werror -c $< -o $@

# edu refusing the arcs a test names (bpf/test_refuse.h): the refusal tests.
bpf/edu_refuse.bpf.o: bpf/edu.bpf.c $(BPF_DEPS)
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_x86 -I$(BUILD) -Iinclude \
		-DEDU_REFUSE -Wall -Werror -c $< -o $@

# edu with compat() answering what a test says (bpf/test_compat.h).
bpf/edu_compat.bpf.o: bpf/edu.bpf.c $(BPF_DEPS)
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_x86 -I$(BUILD) -Iinclude \
		-DEDU_COMPAT -Wall -Werror -c $< -o $@

# A program needing a vfmig ABI newer than this module's.
bpf/test_new_abi.bpf.o: bpf/test_region.bpf.c $(BPF_DEPS)
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_x86 -I$(BUILD) -Iinclude \
		-DVFMIG_PROGRAM_ABI=99 -Wall -Werror -c $< -o $@

# edu's state format 2, which also reads format 1: the upgrade tests.
bpf/edu_v2.bpf.o: bpf/edu.bpf.c $(BPF_DEPS)
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_x86 -I$(BUILD) -Iinclude \
		-DEDU_FORMAT=2 -Wall -Werror -c $< -o $@

user:
	$(MAKE) -C user

selftests/vfio-ops: selftests/vfio_ops.c selftests/dma_ops.c selftests/dma_ops.h \
		user/dirty_log.c user/dirty_log.h include/vfmig.h include/vfmig_dirty.h
	$(CC) $(CFLAGS) -Iinclude -Iuser -o $@ $(filter %.c,$^) -lpthread

selftests/replace-test: selftests/replace_test.c
	$(CC) $(CFLAGS) -o $@ $< -lbpf -lelf -lz

selftests/bench-host: selftests/bench_host.c
	$(CC) $(CFLAGS) -o $@ $<

selftests/attach-test: selftests/attach_test.c
	$(CC) $(CFLAGS) -D_GNU_SOURCE -o $@ $< -lbpf -lelf -lz

# The bare-metal guests of the QEMU migration tests (multiboot, 32-bit).
$(BUILD)/%_payload.elf: selftests/payload/%_payload.c selftests/payload/payload.h \
		selftests/payload/payload.ld
	@mkdir -p $(BUILD)
	$(CC) -m32 -ffreestanding -fno-pic -fno-stack-protector -fno-builtin \
		-fno-asynchronous-unwind-tables -O2 -Wall -Wextra -Wno-main \
		-c $< -o $(BUILD)/$*_payload.o
	$(LD) -m elf_i386 -T selftests/payload/payload.ld -nostdlib \
		--build-id=none --no-warn-rwx-segments $(BUILD)/$*_payload.o -o $@

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

# Host unit tests, then the VM suite; ends with "N passed, N failed".
# check.sh builds the second tier (make testkernel) after the first runs.
check:
	$(MAKE) setup
	$(MAKE) all
	selftests/check.sh

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
# DMA log); the NIC VF's migration in the VM with QEMU's igb
# (selftests/vm/bench_nic.sh).  The bench kernel builds the first time
# (about 20 min on 2 cores).
bench:
	$(MAKE) setup
	$(MAKE) benchkernel
	$(MAKE) all selftests/bench-host
	selftests/bench-host
	selftests/vmtest.sh --mem 1024M -- selftests/vm/bench.sh
	selftests/vmtest.sh --mem 1024M --kernel-dir "$$(cat $(CACHE)/benchkernel-dir)" -- \
		selftests/vm/bench.sh
	selftests/vmtest.sh --igb --edu 0 -- selftests/vm/bench_nic.sh

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
install-module: kernel/vfmig.ko
	install -D -m 0644 kernel/vfmig.ko $(DESTDIR)/lib/modules/$(KVER)/updates/vfmig.ko
	depmod $(if $(DESTDIR),-b $(DESTDIR)) $(KVER)

# The module's source as DKMS takes it (/usr/src/vfmig-VERSION): DKMS
# rebuilds it for every kernel installed later and runs depmod.
install-dkms: $(BUILD)/dkms.conf
	install -D -m 0644 -t $(DESTDIR)/usr/src/vfmig-$(VERSION)/kernel \
		$(filter kernel/%,$(KMOD_SRCS))
	install -D -m 0644 -t $(DESTDIR)/usr/src/vfmig-$(VERSION)/include \
		$(filter include/%,$(KMOD_SRCS))
	install -m 0644 $(BUILD)/dkms.conf $(DESTDIR)/usr/src/vfmig-$(VERSION)/dkms.conf

$(BUILD)/dkms.conf: kernel/dkms.conf.in include/vfmig.h
	@mkdir -p $(BUILD)
	sed 's/@VERSION@/$(VERSION)/' $< >$@

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR)/kernel clean 2>/dev/null
	$(MAKE) -C user clean
	rm -rf $(BUILD) bpf/*.bpf.o selftests/vfio-ops selftests/replace-test \
		selftests/attach-test selftests/bench-host
