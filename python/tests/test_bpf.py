# A real kernel BPF_MAP_TYPE_RINGBUF through Consumer.add_bpf: the C helper
# build/helpers/bpf_feeder makes the map and a program writing into it, then
# runs this check in a child Python that inherits both fds. Skips when the
# kernel refuses BPF.
import os
import subprocess
import sys

import pytest

from conftest import BUILD, python_env

CHILD = r"""
import os, select, struct, subprocess, sys, threading, time, ringbuf
feeder, rec = sys.argv[1], 32
mapfd, progfd = int(os.environ["RINGBUF_BPF_MAP_FD"]), int(os.environ["RINGBUF_BPF_PROG_FD"])
def run(n):
    subprocess.run([feeder, "run", str(progfd), str(n)], pass_fds=(progfd,), check=True)
got = []
def on(d):
    assert d.readonly and len(d) == rec
    (seq,) = struct.unpack_from("<Q", d)
    # after the sequence number, byte i of the record is i & 0xff
    assert bytes(d[8:]) == bytes(range(8, rec)), bytes(d)
    got.append(seq)
with ringbuf.Consumer() as c:
    c.add_bpf(mapfd, on)
    assert c.poll(timeout=0) == 0
    run(100)
    assert c.consume() == 100
    # a poll without timeout sleeps until the kernel's wakeup
    t = threading.Timer(0.1, run, (50,))
    t.start()
    n = 0
    while n < 50:
        n += c.poll()
    t.join()
    # the event-loop fd: readable when the kernel ring has records
    fd = c.fileno()
    assert select.select([fd], [], [], 0)[0] == []
    run(10)
    assert select.select([fd], [], [], 5)[0] == [fd]
    assert c.consume() == 10
    assert select.select([fd], [], [], 0)[0] == []
    # a callback's exception stops the consume and propagates
    run(3)
    def boom(d):
        raise OSError("callback failed")
    c2 = ringbuf.Consumer()
    c2.add_bpf(mapfd, boom)
    try:
        c2.consume()
        raise SystemExit("no exception")
    except OSError as e:
        assert str(e) == "callback failed"
    c2.close()
    assert c.consume() == 2   # the record that raised was consumed
    st = c.source_stats(0)
    assert st["delivered_records"] == 162, st
assert got == list(range(160)) + [161, 162], got
print("ok", len(got))
"""


def test_add_bpf_kernel_ring():
    feeder = os.path.join(BUILD, "helpers", "bpf_feeder")
    if not os.access(feeder, os.X_OK):
        pytest.skip("bpf_feeder is not built (make python)")
    r = subprocess.run([feeder, "exec", str(1 << 16), "32", "--", sys.executable, "-c", CHILD,
                        feeder], env=python_env(), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=120)
    if r.returncode == 77:
        pytest.skip(r.stdout.strip())
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip() == "ok 162"
