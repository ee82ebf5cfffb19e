#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
"""A TCG guest's local APICs, through QEMU's human monitor.

Usage: selftests/vm_lapic.py dump SOCKET
       selftests/vm_lapic.py watch SOCKET [SECONDS]

SOCKET is a QEMU human monitor on a unix socket (-monitor unix:...).

dump prints each vCPU's run state and RIP and its local APIC: timer mode
and counts, LVT, IRR, ISR and PPR.

watch samples every vCPU's ISR and IRR every 15 s and exits 0, after a
dump, once one vCPU has kept the same vector in service for SECONDS
(default 45) with interrupts it blocks pending behind it: an interrupt
whose EOI never came.  That is how vmtest.sh's guests hang under TCG on
a loaded host (seen 2026-12-05: CPU 1 with the timer, vector 236, in ISR
and 35 and 236 in IRR for 20 minutes, PPR 0xe0, while it kept running
user code): no timer reaches that CPU again, its timers never fire, and
the guest stalls whether or not RCU says so.  A handler holds its vector
in service for microseconds; Linux writes the EOI before it runs one.
It exits 1 when QEMU goes away, or when the process that started it
does.
"""
import os
import re
import socket
import sys
import time

# Of "info registers -a", the lines that say where each vCPU is.
REG_LINES = ("CPU#", "RIP=", "EFL=", "EAX=")
SAMPLE_EVERY = 15


def read_prompt(sock):
    """Read until the monitor's prompt ends what it sent after a newline."""
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
        # The echo of the command ends with a newline; the prompt after
        # the answer ends it.
        if b"\n" in out and out.rstrip().endswith(b"(qemu)"):
            break
    return out


class Monitor:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(2)
        self.sock.connect(path)
        read_prompt(self.sock)  # the banner

    def command(self, line):
        self.sock.sendall(line.encode() + b"\n")
        text = read_prompt(self.sock).decode(errors="replace")
        text = text.replace("\r", "")
        # The monitor echoes input with terminal escapes; keep real lines.
        return [l for l in text.split("\n")
                if l.strip() and "(qemu)" not in l and "\x1b" not in l]

    def close(self):
        self.sock.close()


def vectors(lines, name):
    """The vectors of an "info lapic" line such as "IRR\t 35 236"."""
    for l in lines:
        if l.startswith(name):
            return frozenset(int(v) for v in re.findall(r"\d+", l[3:]))
    return frozenset()


def dump(mon):
    cpus = mon.command("info cpus")
    print("\n".join(cpus))
    for i in range(len(cpus)):
        print(f"-- info lapic {i}")
        print("\n".join(mon.command(f"info lapic {i}")))
    print("-- info registers -a")
    print("\n".join(l for l in mon.command("info registers -a")
                    if l.startswith(REG_LINES)))


def blocked(isr, irr):
    """Pending vectors the highest one in service holds off (same class
    or lower), or nothing."""
    if not isr:
        return frozenset()
    top = max(isr) >> 4
    return frozenset(v for v in irr if v >> 4 <= top)


def watch(path, limit):
    since = {}  # cpu -> (isr, first seen)
    connected = False
    parent = os.getppid()
    while True:
        time.sleep(SAMPLE_EVERY)
        # A QEMU gone before the first sample leaves no monitor to lose;
        # nor may a watcher outlive vmtest.sh (it holds the VM lock).
        if os.getppid() != parent:
            return 1
        try:
            mon = Monitor(path)
            connected = True
        except OSError:
            if connected:
                return 1  # QEMU is gone
            continue  # not up yet
        try:
            ncpus = len(mon.command("info cpus"))
            for cpu in range(ncpus):
                lines = mon.command(f"info lapic {cpu}")
                isr, irr = vectors(lines, "ISR"), vectors(lines, "IRR")
                if not blocked(isr, irr):
                    since.pop(cpu, None)
                    continue
                first = since.get(cpu)
                if not first or first[0] != isr:
                    since[cpu] = (isr, time.monotonic())
                    continue
                held = time.monotonic() - first[1]
                if held >= limit:
                    print(f"CPU {cpu}: vector(s) {sorted(isr)} in service "
                          f"for {held:.0f} s with {sorted(irr)} pending: "
                          "an EOI that never came")
                    dump(mon)
                    return 0
        except OSError:
            return 1
        finally:
            mon.close()


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in ("dump", "watch"):
        sys.exit(__doc__.split("\n\n")[1])
    if sys.argv[1] == "dump":
        mon = Monitor(sys.argv[2])
        dump(mon)
        mon.close()
        return 0
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else 45
    return watch(sys.argv[2], limit)


if __name__ == "__main__":
    sys.exit(main())
