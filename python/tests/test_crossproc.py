# Across languages and processes through named rings: the C tool writes and
# Python reads, Python writes and the C tool reads, and several Python
# producer processes against one Python consumer with every record checked.
import hashlib
import os
import struct
import subprocess
import time

import ringbuf
from conftest import run_python, scaled

PAGE = os.sysconf("SC_PAGE_SIZE")


def test_c_tool_writes_python_reads(ring_name, tool):
    n = scaled(2000)
    lines = [("rec %d %s" % (i, "x" * (i % 50))).encode() for i in range(n)]
    with ringbuf.Ring(1 << 16, ring_name) as rb:
        got = []
        w = subprocess.Popen([tool, "write", "--wait", ring_name], stdin=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        try:
            w.stdin.write(b"\n".join(lines) + b"\n")
            w.stdin.close()
            deadline = time.monotonic() + 60
            while len(got) < n and time.monotonic() < deadline:
                rb.poll(lambda d: got.append(bytes(d)), timeout=0.5)
            assert w.wait(timeout=30) == 0, w.stderr.read()
        finally:
            if w.poll() is None:
                w.kill()
                w.wait()
        assert got == lines


def test_c_tool_writes_binary_records(ring_name, tool):
    recs = [bytes(range(i % 256)) * (1 + i % 3) for i in range(300)]
    data = b"".join(struct.pack("<I", len(r)) + r for r in recs)
    with ringbuf.Ring(1 << 18, ring_name) as rb:
        subprocess.run([tool, "write", "--binary", ring_name], input=data, check=True)
        assert rb.consume_batch() == recs


def test_python_writes_c_tool_reads(ring_name, tool):
    n = scaled(2000)
    recs = [b"py %d %s" % (i, hashlib.sha1(b"%d" % i).hexdigest().encode()) for i in range(n)]
    subprocess.run([tool, "create", ring_name, "--size", "64K"], check=True)
    cat = subprocess.Popen([tool, "cat", "--follow", "--count", str(n), ring_name],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        with ringbuf.Ring.open(ring_name) as rb:
            for r in recs:
                while True:
                    try:
                        rb.output(r)
                        break
                    except ringbuf.RingFullError:
                        time.sleep(0.001)
        out, err = cat.communicate(timeout=60)
    finally:
        if cat.poll() is None:
            cat.kill()
            cat.wait()
    assert cat.returncode == 0, err
    assert out.splitlines() == recs


def test_python_reservations_read_by_c_tool_as_binary(ring_name, tool):
    with ringbuf.Ring(1 << 16, ring_name) as rb:
        for i in range(100):
            with rb.reserve(i) as m:
                m[:] = bytes([i]) * i
        with rb.reserve(10) as m:
            m[:] = b"x" * 10
        try:
            with rb.reserve(10) as m:
                m[:] = b"discarded!"
                raise KeyError
        except KeyError:
            pass
    # The creator is the consumer while it has the ring open: closed now.
    out = subprocess.run([tool, "cat", "--format", "binary", ring_name], check=True,
                         stdout=subprocess.PIPE).stdout
    recs = []
    while out:
        (n,) = struct.unpack_from("<I", out)
        recs.append(out[4:4 + n])
        out = out[4 + n:]
    assert recs == [bytes([i]) * i for i in range(100)] + [b"x" * 10]


PRODUCER = r"""
import struct, sys, hashlib, time, ringbuf
name, pid, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with ringbuf.Ring.open(name) as rb:
    for seq in range(n):
        body = hashlib.blake2b(b"%d/%d" % (pid, seq), digest_size=16).digest() * (1 + seq % 4)
        rec = struct.pack("<IIQ", pid, len(body), seq) + body
        while True:
            try:
                if seq % 2:
                    rb.output(rec)
                else:
                    with rb.reserve(len(rec)) as m:
                        m[:] = rec
                break
            except ringbuf.RingFullError:
                time.sleep(0.0002)
"""


def test_many_producer_processes_one_consumer(ring_name):
    nprod, n = 4, scaled(20000)
    nxt = [0] * nprod
    bad = []

    def check(d):
        pid, blen, seq = struct.unpack_from("<IIQ", d)
        body = hashlib.blake2b(b"%d/%d" % (pid, seq), digest_size=16).digest() * (1 + seq % 4)
        if pid >= nprod or seq != nxt[pid] or blen != len(body) or d[16:] != body:
            bad.append((pid, seq, bytes(d)))
            return -1
        nxt[pid] += 1

    with ringbuf.Ring(1 << 16, ring_name) as rb:
        procs = [run_python(PRODUCER, ring_name, i, n) for i in range(nprod)]
        try:
            deadline = time.monotonic() + 120
            while sum(nxt) < nprod * n and not bad and time.monotonic() < deadline:
                rb.poll(check, timeout=0.5)
            for p in procs:
                assert p.wait(timeout=60) == 0
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        assert not bad
        assert nxt == [n] * nprod
        assert rb.consume_batch() == []
        assert rb.stats()["delivered_records"] == nprod * n
