#!/usr/bin/env python3
"""Python producer -> Python consumer (another process), 64-byte records.

    make python && PYTHONPATH=build/python python3 bench/python_bench.py
    (or: make python-bench)

Rows, each a producer process and a consumer process started by fork:
  ringbuf poll(fn)        consumer: Ring.poll with a per-record callback
  ringbuf poll_batch()    consumer: Ring.poll_batch, up to 1024 records per call
  ringbuf reserve+batch   producer writes in place (reserve), batch consumer
  multiprocessing.Queue   put / get
  multiprocessing.Pipe    send_bytes / recv_bytes
  os.pipe framed          u32 length + payload through buffered files

The consumer checks every record (count and a sequence number in the
first 8 bytes). Methods are run interleaved, --rounds times each; the table
shows the median rate of each and its ratio to multiprocessing.Queue, then
the batch consumer against the per-record callback. The machine is shared:
compare the ratios, which come from the same run.
"""
import argparse
import multiprocessing as mp
import os
import statistics
import struct
import sys
import time

import ringbuf

REC = 64
SEQ = struct.Struct("<Q")
FILL = b"r" * (REC - SEQ.size)
RING_SIZE = 1 << 20


def payload(i):
    return SEQ.pack(i) + FILL


# ---- producers: write n records, as fast as the transport lets them ----

def ring_output_producer(name, n, go):
    with ringbuf.Ring.open(name) as rb:
        out, full = rb.output, ringbuf.RingFullError
        go.wait()
        for i in range(n):
            rec = SEQ.pack(i) + FILL
            while True:
                try:
                    out(rec)
                    break
                except full:
                    time.sleep(0.00005)  # the consumer is behind


def ring_reserve_producer(name, n, go):
    with ringbuf.Ring.open(name) as rb:
        reserve, full, pack = rb.reserve, ringbuf.RingFullError, SEQ.pack_into
        go.wait()
        for i in range(n):
            while True:
                try:
                    with reserve(REC) as m:
                        pack(m, 0, i)
                        m[8:] = FILL
                    break
                except full:
                    time.sleep(0.00005)


def queue_producer(q, n, go):
    go.wait()
    for i in range(n):
        q.put(SEQ.pack(i) + FILL)


def pipe_producer(conn, n, go):
    go.wait()
    for i in range(n):
        conn.send_bytes(SEQ.pack(i) + FILL)


def ospipe_producer(fd, n, go):
    hdr = struct.pack("<I", REC)
    with open(fd, "wb") as f:
        go.wait()
        w = f.write
        for i in range(n):
            w(hdr + SEQ.pack(i) + FILL)


# ---- consumers: each returns after n records, checking every one ----

class Checker:
    def __init__(self):
        self.next = 0

    def __call__(self, d):
        if len(d) != REC or SEQ.unpack_from(d)[0] != self.next:
            raise RuntimeError("record %d is wrong: %r" % (self.next, bytes(d)))
        self.next += 1


def ring_callback_consumer(rb, n):
    chk = Checker()
    poll = rb.poll
    while chk.next < n:
        poll(chk, 1.0)


def ring_batch_consumer(rb, n):
    chk = Checker()
    poll = rb.poll_batch
    while chk.next < n:
        for d in poll(1.0, 1024):
            chk(d)


def queue_consumer(q, n):
    chk = Checker()
    get = q.get
    while chk.next < n:
        chk(get())


def pipe_consumer(conn, n):
    chk = Checker()
    recv = conn.recv_bytes
    while chk.next < n:
        chk(recv())


def ospipe_consumer(fd, n):
    chk = Checker()
    with open(fd, "rb") as f:
        r = f.read
        while chk.next < n:
            (ln,) = struct.unpack("<I", r(4))
            chk(r(ln))


# ---- one run of one method: seconds from "go" to the last record ----

def run_ring(producer, consumer, n):
    name = "pybench-%d" % os.getpid()
    with ringbuf.Ring(RING_SIZE, name) as rb:
        try:
            return run_proc(producer, name, consumer, rb, n)
        finally:
            ringbuf.unlink(name)


def run_proc(producer, prod_arg, consumer, cons_arg, n, close_in_parent=None):
    """Fork producer(prod_arg, n, go), time consumer(cons_arg, n) from go."""
    go = mp.Event()
    p = mp.Process(target=producer, args=(prod_arg, n, go))
    p.start()
    if close_in_parent is not None:
        close_in_parent()  # the parent's copy of the writing end
    time.sleep(0.05)
    t0 = time.perf_counter()
    go.set()
    consumer(cons_arg, n)
    dt = time.perf_counter() - t0
    p.join()
    return dt


def run_queue(n):
    q = mp.Queue()
    return run_proc(queue_producer, q, queue_consumer, q, n)


def run_pipe(n):
    a, b = mp.Pipe(duplex=False)
    return run_proc(pipe_producer, b, pipe_consumer, a, n, b.close)


def run_ospipe(n):
    r, w = os.pipe()
    return run_proc(ospipe_producer, w, ospipe_consumer, r, n, lambda: os.close(w))


METHODS = [
    ("ringbuf poll(fn)", lambda n: run_ring(ring_output_producer, ring_callback_consumer, n)),
    ("ringbuf poll_batch()", lambda n: run_ring(ring_output_producer, ring_batch_consumer, n)),
    ("ringbuf reserve+batch", lambda n: run_ring(ring_reserve_producer, ring_batch_consumer, n)),
    ("multiprocessing.Queue", run_queue),
    ("multiprocessing.Pipe", run_pipe),
    ("os.pipe framed", run_ospipe),
]

# ---- the consumer alone: the ring is filled first, then drained ----

def _cb_nothing(rb):
    rb.consume(lambda d: None)


def _batch(chunk, sum_len):
    """A batch drain: consume_batch(chunk) until empty, each record looked
    at by the loop (sum_len: its len() added up, else nothing)."""
    def drain(rb):
        take, total = rb.consume_batch, 0
        while True:
            batch = take(chunk)
            if not batch:
                return total
            if sum_len:
                for d in batch:
                    total += len(d)
            else:
                for d in batch:
                    pass
    return drain


def _cb_len(rb):
    total = 0

    def fn(d):
        nonlocal total
        total += len(d)
    rb.consume(fn)
    return total


# (name, drain, index of the callback row it is compared with)
DRAINS = [
    ("consume(fn), fn empty", _cb_nothing, None),
    ("consume_batch(), empty loop", _batch(None, False), 0),
    ("consume_batch(1024) chunks", _batch(1024, False), 0),
    ("consume(fn), sum len(d)", _cb_len, None),
    ("consume_batch(), sum len(d)", _batch(None, True), 3),
    ("consume_batch(1024), sum len", _batch(1024, True), 3),
]


def drain_rates(fills):
    """records/s draining a full ring, median over `fills` interleaved fills."""
    per_fill = RING_SIZE // (REC + 8)
    rec = payload(0)
    spent = {name: [] for name, _, _ in DRAINS}
    with ringbuf.Ring(RING_SIZE) as rb:
        out = rb.output
        for _ in range(fills):
            for name, fn, _ in DRAINS:
                for _ in range(per_fill):
                    out(rec)
                t0 = time.perf_counter()
                fn(rb)
                spent[name].append(time.perf_counter() - t0)
                assert rb.avail_data == 0
    return {name: per_fill / statistics.median(t) for name, t in spent.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--fills", type=int, default=30, help="rounds of the consumer-alone rows")
    args = ap.parse_args()
    mp.set_start_method("fork")
    times = {name: [] for name, _ in METHODS}
    for _ in range(args.rounds):
        for name, fn in METHODS:  # interleaved: each round runs every method
            times[name].append(fn(args.records))
    rate = {name: args.records / statistics.median(t) for name, t in times.items()}
    base = rate["multiprocessing.Queue"]
    print("Python producer -> Python consumer, %d-byte records, %d records, median of %d "
          "rounds, %d CPUs, Python %s" % (REC, args.records, args.rounds, os.cpu_count(),
                                          sys.version.split()[0]))
    print("%-24s %14s %12s" % ("method", "records/s", "vs Queue"))
    for name, _ in METHODS:
        print("%-24s %14.0f %11.1fx" % (name, rate[name], rate[name] / base))
    best = max(rate[name] for name, _ in METHODS if name.startswith("ringbuf"))
    cb, batch = rate["ringbuf poll(fn)"], rate["ringbuf poll_batch()"]
    print("end to end, ringbuf poll_batch() vs poll(fn): %.1fx (the producer bounds both)"
          % (batch / cb))
    drain = drain_rates(args.fills)
    print()
    print("consumer alone (a full %d KiB ring of %d-byte records drained, median of %d):"
          % (RING_SIZE >> 10, REC, args.fills))
    for name, _, cb in DRAINS:
        r = drain[name]
        if cb is not None:
            print("%-30s %14.0f %8.1fx the callback" % (name, r, r / drain[DRAINS[cb][0]]))
        else:
            print("%-30s %14.0f" % (name, r))
    ratio = max(drain[name] / drain[DRAINS[cb][0]] for name, _, cb in DRAINS[:3] if cb is not None)
    print("targets: ringbuf >= 10x multiprocessing.Queue: %s (%.1fx); "
          "batch consumer >= 3x callback: %s (%.1fx)"
          % ("met" if best >= 10 * base else "MISSED", best / base,
             "met" if ratio >= 3 else "MISSED", ratio))


if __name__ == "__main__":
    main()
