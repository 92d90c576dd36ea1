# Reference counting: a million records through every path (output,
# reserve, consume with a callback, the batch form, the Consumer, callbacks
# that raise or keep views) must not grow the process. A leaked object per
# record would be tens of MB; the bound is 4 MB of RSS over a warmed-up run
# (not under ASan, whose quarantine holds freed memory), and no reference
# or tracked object may be left behind.
import gc
import os
import sys

import pytest

import ringbuf
from conftest import scaled

PAGE = os.sysconf("SC_PAGE_SIZE")
RECORDS = scaled(1_000_000)
BATCH = 500


def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def churn(rb, c, n):
    payload = b"p" * 56
    count = [0]

    def fn(d):
        count[0] += len(d)

    def raising(d):
        raise LookupError

    kept = []
    done = 0
    while done < n:
        k = min(BATCH, n - done)
        for i in range(k):
            if i % 2:
                rb.output(payload)
            else:
                with rb.reserve(56) as m:
                    m[:8] = b"reserved"
        which = (done // BATCH) % 4
        if which == 0:
            assert rb.consume(fn) == k
        elif which == 1:
            assert len(rb.consume_batch()) == k
        elif which == 2:
            assert len(rb.poll_batch(timeout=0)) == k
        else:
            # a callback that raises, one that keeps the memoryview, then the rest
            with pytest.raises(LookupError):
                rb.consume(raising, max_records=1)
            assert rb.consume(kept.append, max_records=1) == 1
            kept.clear()
            assert rb.consume(fn) == k - 2
        done += k
    return count[0]


def test_million_records_do_not_leak():
    with ringbuf.Ring(1 << 16) as rb, ringbuf.Ring(1 << 16) as r2, ringbuf.Consumer() as c:
        got = [0]

        def on(d):
            got[0] += 1

        c.add(r2, on)
        churn(rb, c, 100_000)  # warm up: allocator pools, caches
        gc.collect()
        before, objs = rss(), len(gc.get_objects())
        refs = sys.getrefcount(on), sys.getrefcount(rb), sys.getrefcount(r2)
        assert churn(rb, c, RECORDS) > 0
        payload = b"q" * 56
        for _ in range(RECORDS // BATCH // 4):
            for _ in range(BATCH):
                r2.output(payload)
            n = c.consume()
            got[0] -= n
        assert got[0] == 0
        gc.collect()
        grown = rss() - before
        assert (sys.getrefcount(on), sys.getrefcount(rb), sys.getrefcount(r2)) == refs
        assert len(gc.get_objects()) - objs < 100
        if os.environ.get("RINGBUF_SANITIZER") != "asan":  # ASan's quarantine grows RSS
            assert grown < 4 << 20, "RSS grew by %d bytes over %d records" % (grown, RECORDS)
