# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# Each tool's objects but main(): user/Makefile links the tools from them,
# selftests/Makefile links them again into the unit tests.

# vfmig-load: libbpf, the loader's verbs and their checks.
LOAD_OBJS := apply.o args.o bdf.o bind.o checks.o cli.o config.o inspect.o json.o \
	load.o object_elf.o ops_map.o pins.o replace.o report.o status.o sysfs.o unload.o
# vfmig-ctl needs no libbpf: the VFIO uAPI and the shared stream parser
# (vfmig_stream.o, from ../lib/vfmig_stream.c, which the module compiles too).
CTL_OBJS := bdf.o cli.o crc32c.o ctl_args.o ctl_device.o ctl_dirty.o ctl_stream.o \
	dirty_log.o stream.o stream_file.o sysfs.o vfio_dev.o vfmig_stream.o
