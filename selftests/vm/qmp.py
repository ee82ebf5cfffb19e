#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
"""Send QMP commands to a QEMU monitor socket, print each reply as JSON.

    qmp.py SOCKET 'migrate {"uri": "unix:/tmp/m"}' query-migrate ...
    qmp.py SOCKET --wait-migration [TIMEOUT]   poll until completed/failed

Only the standard library: the test VM shares the host's Python.
"""
import json
import socket
import sys
import time


class Qmp:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        for _ in range(200):
            try:
                self.sock.connect(path)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise SystemExit(f"qmp: cannot connect to {path}")
        self.file = self.sock.makefile("rw")
        self._read()                      # greeting
        self.cmd("qmp_capabilities")

    def _read(self):
        while True:
            msg = json.loads(self.file.readline())
            if "event" not in msg:
                return msg

    def cmd(self, name, args=None):
        req = {"execute": name}
        if args:
            req["arguments"] = args
        self.file.write(json.dumps(req) + "\n")
        self.file.flush()
        return self._read()


def main():
    qmp = Qmp(sys.argv[1])
    if sys.argv[2] == "--wait-migration":
        deadline = time.time() + float(sys.argv[3] if len(sys.argv) > 3 else 300)
        while time.time() < deadline:
            info = qmp.cmd("query-migrate")["return"]
            if info.get("status") in ("completed", "failed", "cancelled"):
                print(json.dumps(info))
                return 0 if info["status"] == "completed" else 1
            time.sleep(0.2)
        print(json.dumps({"status": "timeout"}))
        return 1
    for arg in sys.argv[2:]:
        name, _, args = arg.partition(" ")
        reply = qmp.cmd(name, json.loads(args) if args else None)
        print(json.dumps(reply))
        if "error" in reply:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
