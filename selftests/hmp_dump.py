#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
"""Print what QEMU holds for each vCPU of a guest: run state, local APIC.

Usage: selftests/hmp_dump.py SOCKET

SOCKET is a QEMU human monitor on a unix socket (-monitor unix:...).
vmtest.sh calls this when a guest stops taking timer interrupts on a CPU,
so that the log shows whether the vCPU is halted and where, and its local
APIC's timer (mode, initial and current count, LVT mask) and IRR/ISR: what
tells a stopped APIC timer from an interrupt that is pending but never
taken.
"""
import socket
import sys
import time

# Of "info registers -a", the lines that say where each vCPU is.
REG_LINES = ("CPU#", "RIP=", "EFL=", "EAX=")


def command(sock, line):
    sock.sendall(line.encode() + b"\n")
    out = b""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            data = sock.recv(65536)
        except socket.timeout:
            break
        if not data:
            break
        out += data
        if out.rstrip().endswith(b"(qemu)"):
            break
    text = out.decode(errors="replace").replace("\r", "")
    # The monitor echoes input with terminal escapes; keep real lines.
    return [l for l in text.split("\n")
            if l.strip() and "(qemu)" not in l and "\x1b" not in l]


def main():
    sock = socket.socket(socket.AF_UNIX)
    sock.settimeout(2)
    sock.connect(sys.argv[1])
    command(sock, "")
    cpus = command(sock, "info cpus")
    print("\n".join(cpus))
    for i in range(len(cpus)):
        print(f"-- info lapic {i}")
        print("\n".join(command(sock, f"info lapic {i}")))
    print("-- info registers -a")
    print("\n".join(l for l in command(sock, "info registers -a")
                    if l.startswith(REG_LINES)))


if __name__ == "__main__":
    main()
