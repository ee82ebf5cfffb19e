#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
"""Read the largest dirty report one read(2) can ask for: 0x7ffff000 bytes
of the vfmig region's bitmap (64 TiB of IOVA at 4 KiB), from the device fd
in $VFIO_DEVICE_FD (run from vfio-ops "sh").  The buffer is one 16 MiB
memfd mapped again and again (128 times), so the read costs little memory
and the process few mappings to tear down when killed.

Usage: dirty_bigread.py REGION_INDEX STARTED_FILE
Writes STARTED_FILE just before the read; prints "read N bytes in S s"."""
import ctypes
import os
import sys
import time

COUNT = 0x7ffff000
CHUNK = 16 << 20
PROT_RW, MAP_SHARED, MAP_PRIVATE, MAP_FIXED = 3, 1, 2, 0x10
MAP_ANONYMOUS, MAP_NORESERVE = 0x20, 0x4000

libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                      ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.pread.restype = ctypes.c_ssize_t
libc.pread.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t,
                       ctypes.c_long]

index, started = int(sys.argv[1]), sys.argv[2]
fd = int(os.environ["VFIO_DEVICE_FD"])
sink = os.memfd_create("sink")
os.ftruncate(sink, CHUNK)
size = (COUNT + CHUNK - 1) // CHUNK * CHUNK
base = libc.mmap(None, size, 0, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0)
if base in (None, ctypes.c_void_p(-1).value):
    sys.exit("reserve: " + os.strerror(ctypes.get_errno()))
for off in range(0, size, CHUNK):
    if libc.mmap(base + off, CHUNK, PROT_RW, MAP_SHARED | MAP_FIXED, sink,
                 0) != base + off:
        sys.exit("map: " + os.strerror(ctypes.get_errno()))
open(started, "w").close()
t0 = time.monotonic()
n = libc.pread(fd, base, COUNT, (index << 40) + 4096)
err = ctypes.get_errno()
print("read %s in %.2f s" % (n if n >= 0 else os.strerror(err),
                             time.monotonic() - t0))
