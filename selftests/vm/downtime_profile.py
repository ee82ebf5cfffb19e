#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
"""Where one QEMU migration's downtime goes, from three traces of one run.

    downtime_profile.py --src SRC.trace --dst DST.trace --kernel KERNEL.trace
                        --offset WALL-MINUS-MONO --src-bdf BDF --dst-bdf BDF

SRC/DST: the source's and destination's QEMU trace logs (-msg timestamp=on:
"PID@SECONDS.USEC:event args"), with vmstate_downtime_*, vfio_* and
loadvm_* events.  KERNEL: /sys/kernel/tracing/trace of the test VM
(trace_clock mono, function_graph with funcgraph-abstime on
bpf_vfmig_bar_poll, events vfmig:*); OFFSET puts its times on QEMU's wall
clock.  Prints the timeline from the source's stop, then the breakdown in
ms.  Only the standard library: the test VM shares the host's Python.
"""
import argparse
import re
import sys

QEMU_LINE = re.compile(r"^\d+@(\d+\.\d+):(\S+)\s*(.*)$")
# " 2186.381373 |   1)  + 12.345 us   |  bpf_vfmig_bar_poll();"
# " 2186.381373 |   1)               |  /* vfmig_state: ... */"
KERN_LINE = re.compile(r"^\s*(\d+\.\d+)\s*\|\s*\d+\)\s*(?:[^|]*?\|)?\s*([!+#*@$ ]*\s*[\d.]+ us)?\s*\|\s*(.*)$")
# With no function tracer (the nop tracer's format):
# " qemu-system-x86-873 [000] .....   416.818667: vfmig_state: 0000:01:10.0 ..."
KERN_EVENT = re.compile(r"^\s*\S.*?\[\d+\]\s+\S+\s+(\d+\.\d+): (vfmig_\w+): (.*)$")


def qemu_events(path, side):
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            m = QEMU_LINE.match(line.strip())
            if m:
                out.append((float(m.group(1)), side, m.group(2), m.group(3)))
    return out


def kernel_events(path, offset):
    """(time, 'kernel', name, args, duration_s or None)"""
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith("#"):
                continue
            e = KERN_EVENT.match(line.rstrip())
            if e:
                out.append((float(e.group(1)) + offset, "kernel", e.group(2), e.group(3), None))
                continue
            m = KERN_LINE.match(line.rstrip())
            if not m:
                continue
            t = float(m.group(1)) + offset
            dur, what = m.group(2), m.group(3).strip()
            ev = re.match(r"/\* (vfmig_\w+): (.*) \*/", what)
            if ev:
                out.append((t, "kernel", ev.group(1), ev.group(2), None))
            elif dur and what.endswith("();"):
                us = float(re.sub(r"[^\d.]", "", dur))
                # function_graph stamps a leaf call at its entry
                out.append((t, "kernel", what[:-3], "", us / 1e6))
    return out


def ms(x):
    return "%.1f" % (x * 1000)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", required=True)
    ap.add_argument("--dst", required=True)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--offset", type=float, default=None,
                    help="wall clock less CLOCK_MONOTONIC; default: align the destination's"
                         " RESUMING with the kernel's stop -> resuming")
    ap.add_argument("--src-bdf", required=True)
    ap.add_argument("--dst-bdf", required=True)
    ap.add_argument("--summary", action="store_true", help="the breakdown only")
    a = ap.parse_args()

    q = qemu_events(a.src, "src") + qemu_events(a.dst, "dst")
    if a.offset is None:
        k0 = [e for e in kernel_events(a.kernel, 0.0)
              if e[2] == "vfmig_state" and e[3].startswith(a.dst_bdf + " ") and "-> resuming" in e[3]]
        q0 = [e for e in q if e[1] == "dst" and e[2] == "vfio_migration_set_state" and "RESUMING" in e[3]]
        a.offset = q0[0][0] - k0[0][0] if k0 and q0 else 0.0
    k = kernel_events(a.kernel, a.offset)
    ev = sorted([e + (None,) for e in q] + k, key=lambda e: e[0])

    def first(side, name, args_re=""):
        for e in ev:
            if e[1] == side and e[2] == name and re.search(args_re, e[3]):
                return e[0]
        return None

    def last(side, name, args_re=""):
        t = None
        for e in ev:
            if e[1] == side and e[2] == name and re.search(args_re, e[3]):
                t = e[0]
        return t

    t0 = first("src", "vmstate_downtime_checkpoint", "src-downtime-start")
    if t0 is None:
        print("no src-downtime-start in the source's trace: QEMU without vmstate_downtime_* events?")
        return 1
    # The timeline: what happened from the source's stop until the
    # destination runs (the device's arcs, the program's callbacks, the
    # checkpoints; not every vfio_save_block).
    keep = re.compile(r"vmstate_downtime|vfio_migration_set_state|vfio_save_complete|vfio_load_state_device_data|"
                      r"vfio_vmstate_change|loadvm_approve|vfmig_state|vfmig_callback|vfmig_hold|bpf_vfmig")
    t_end = last("dst", "vmstate_downtime_checkpoint", "dst-precopy-bh-vm-started") or ev[-1][0]
    polls = []
    if not a.summary:
        print("timeline, ms from the source's stop (src-downtime-start):")
    for t, side, name, args, dur in ev:
        if t < t0 - 0.5 or t > t_end + 0.05 or not keep.search(name):
            continue
        if a.summary:
            if name.startswith("bpf_vfmig"):
                polls.append((t, dur))
            continue
        if name == "vfmig_callback" and ("region_" in args):
            continue
        if name.startswith("bpf_vfmig"):
            polls.append((t, dur))
            print("  %8s %-6s %s %s ms" % (ms(t - t0), side, name, ms(dur)))
            continue
        print("  %8s %-6s %s %s" % (ms(t - t0), side, name, args[:110]))

    # Breakdown.
    def cb(bdf, name, since=0.5):
        """(end time, ns) of the last callback NAME of the program on BDF,
        ended at most SINCE s before the downtime began and before the
        destination ran (a kernel trace may hold later migrations)."""
        r = None
        for t, side, n, args, _ in ev:
            if n == "vfmig_callback" and args.startswith(bdf + " ") and (" %s ret=" % name) in args:
                m = re.search(r"ns=(\d+)", args)
                if m and t0 - since <= t <= t_end + 0.05:
                    r = (t, int(m.group(1)) / 1e9)
        return r

    rows = []
    stopped = first("src", "vmstate_downtime_checkpoint", "src-vm-stopped")
    it_saved = first("src", "vmstate_downtime_checkpoint", "src-iterable-saved")
    ni_saved = first("src", "vmstate_downtime_checkpoint", "src-non-iterable-saved")
    loaded = first("dst", "vmstate_downtime_checkpoint", "dst-precopy-loadvm-completed")
    bh = first("dst", "vmstate_downtime_checkpoint", "dst-precopy-bh-enter")
    started = first("dst", "vmstate_downtime_checkpoint", "dst-precopy-bh-vm-started")
    if stopped:
        rows.append(("source: stop the VM (vCPUs, devices' stop arcs)", stopped - t0))
    s_save = cb(a.src_bdf, "save")
    s_state = cb(a.src_bdf, "set_state")
    if s_save:
        rows.append(("  of which/then the program's final save() (source VF)", s_save[1]))
    if stopped and it_saved:
        rows.append(("source: save iterable state (RAM's last pass, VFIO final data)", it_saved - stopped))
    if it_saved and ni_saved:
        rows.append(("source: save non-iterable state (device vmstate)", ni_saved - it_saved))
    if ni_saved and loaded:
        rows.append(("transfer and destination load of the stream until loadvm completes", loaded - ni_saved))
    if loaded and bh:
        rows.append(("destination: loadvm completed -> start bottom half", bh - loaded))
    if bh and started:
        rows.append(("destination: start the VM (devices' resume arcs)", started - bh))
    d_load = cb(a.dst_bdf, "load")
    if d_load:
        t_end_load, dur = d_load
        t_start_load = t_end_load - dur
        rows.append(("  of which the program's load() (destination VF)", dur))
        inside = [(t, d) for t, d in polls if t_start_load - 1e-4 <= t <= t_end_load + 1e-4]
        if inside:
            rows.append(("    first poll (the VF reset's queue disable)", inside[0][1]))
            mbx = inside[1:]
            if mbx:
                rows.append(("    mailbox waits: %d polls, longest %s ms" % (len(mbx), ms(max(d for _, d in mbx))),
                             sum(d for _, d in mbx)))
            rows.append(("    the rest of load() (register writes, mailbox words, checks)",
                         dur - sum(d for _, d in inside)))
    # prepare() runs before the source stops: not in the downtime, shown
    # apart (a negative time: how long before the stop it ended).
    d_prep = cb(a.dst_bdf, "prepare", since=600)
    if d_prep:
        print("prepare(): the destination VF's, %s ms, ended %s ms before the source stopped"
              % (ms(d_prep[1]), ms(t0 - d_prep[0])))
    if started:
        rows.append(("source stop -> destination running (wall clock)", started - t0))
    end = first("src", "vmstate_downtime_checkpoint", "src-downtime-end")
    if started and end:
        rows.append(("destination running -> source's downtime ends (return path)", end - started))
    print("breakdown, ms:")
    for name, sec in rows:
        print("  %-72s %8s" % (name, ms(sec)))
    sv = [e for e in ev if e[2] == "vmstate_downtime_save" and e[0] >= t0 - 0.5]
    ld = [e for e in ev if e[2] == "vmstate_downtime_load" and e[0] >= t0 - 0.5]
    for e in sorted(sv, key=lambda e: -int(re.search(r"downtime=(-?\d+)", e[3]).group(1)))[:4]:
        print("  source save   %s" % e[3])
    for e in sorted(ld, key=lambda e: -int(re.search(r"downtime=(-?\d+)", e[3]).group(1)))[:4]:
        print("  dest load     %s" % e[3])
    return 0


if __name__ == "__main__":
    sys.exit(main())
