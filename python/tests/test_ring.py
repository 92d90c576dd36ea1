# Ring: every call, its results against the library's rules, and bad input
# (wrong types, negative sizes, a closed ring, callbacks that raise or keep
# the record's memory).
import errno
import gc
import os
import signal
import threading
import time

import pytest

import ringbuf

PAGE = os.sysconf("SC_PAGE_SIZE")


def rec_space(n):
    """Bytes a record of payload n takes: round_up(n + 8, 8)."""
    return (n + ringbuf.HDR_SZ + 7) & ~7


def test_constants():
    assert ringbuf.NO_WAKEUP == 1
    assert ringbuf.FORCE_WAKEUP == 2
    assert ringbuf.HDR_SZ == 8
    assert issubclass(ringbuf.RingFullError, OSError)
    assert ringbuf.__version__ == ringbuf.LIB_VERSION


def test_create_query_output_consume():
    with ringbuf.Ring(PAGE) as rb:
        assert rb.size == PAGE
        assert rb.name is None and not rb.overwrite and not rb.closed
        assert rb.role == {"producer": True, "consumer": True}
        assert rb.avail_data == 0 and rb.producer_pos == 0 and rb.consumer_pos == 0
        payloads = [b"", b"a", b"hello world", bytes(range(200)), bytearray(b"ba"),
                    memoryview(b"xyz123")]
        for p in payloads:
            rb.output(p)
        want = sum(rec_space(len(p)) for p in payloads)
        assert rb.producer_pos == want and rb.avail_data == want
        got = []

        def fn(data):
            assert isinstance(data, memoryview) and data.readonly
            got.append(bytes(data))

        assert rb.consume(fn) == len(payloads)
        assert got == [bytes(p) for p in payloads]
        assert rb.avail_data == 0 and rb.consumer_pos == want
        st = rb.stats()
        assert st["delivered_records"] == len(payloads)
        assert st["delivered_bytes"] == sum(len(p) for p in payloads)
        assert rb.consume(fn) == 0
    assert rb.closed


def test_reserve_commit_and_discard_on_exception():
    with ringbuf.Ring(PAGE) as rb:
        with rb.reserve(5) as m:
            assert isinstance(m, memoryview) and not m.readonly and len(m) == 5
            m[:] = b"abcde"
        with pytest.raises(ZeroDivisionError):
            with rb.reserve(16) as m:
                m[:4] = b"gone"
                1 / 0
        with rb.reserve(3, flags=ringbuf.NO_WAKEUP) as m:
            m[:] = b"xyz"
        # The discarded record took its room but is never delivered.
        assert rb.producer_pos == rec_space(5) + rec_space(16) + rec_space(3)
        assert rb.consume_batch() == [b"abcde", b"xyz"]
        assert rb.stats()["discarded_records"] == 1


def test_reservation_memoryview_released_after_with():
    with ringbuf.Ring(PAGE) as rb:
        with rb.reserve(8) as m:
            m[:] = b"12345678"
        with pytest.raises(ValueError):
            m[0] = 1  # released: no write after the commit
        with pytest.raises(ValueError):
            bytes(m)
        assert rb.consume_batch() == [b"12345678"]


def test_reservation_view_outliving_with_is_discarded_later():
    with ringbuf.Ring(PAGE) as rb:
        kept = None
        with pytest.raises(BufferError):
            with rb.reserve(8) as m:
                m[:] = b"AAAAAAAA"
                kept = m[2:]  # a derived view survives the block
        kept[0] = 0x42  # still the reserved record: nothing committed
        with pytest.raises(BufferError):
            rb.close()  # memory in use
        rb.output(b"after")
        assert rb.consume_batch() == []  # stops at the still-busy record
        del kept
        gc.collect()
        assert rb.consume_batch() == [b"after"]
        assert rb.stats()["discarded_records"] == 1


def test_reservation_explicit_commit_discard_and_misuse():
    with ringbuf.Ring(PAGE) as rb:
        r = rb.reserve(4)
        assert r.size == 4
        with r as m:
            m[:] = b"abcd"
            with pytest.raises(RuntimeError):
                r.__enter__()
            with pytest.raises(BufferError):
                memoryview(r)  # one view only: the with statement's
        with pytest.raises(RuntimeError):
            r.commit()
        r2 = rb.reserve(4)
        r2.discard()
        with pytest.raises(RuntimeError):
            r2.discard()
        r3 = rb.reserve(2)
        with r3 as m:
            m[:] = b"hi"
            r3.commit(flags=ringbuf.FORCE_WAKEUP)
        with pytest.raises(BufferError):
            memoryview(r3)
        r4 = rb.reserve(8)
        del r4  # never committed: discarded when dropped
        assert rb.consume_batch() == [b"abcd", b"hi"]
        with pytest.raises(ValueError):
            rb.reserve(4).commit(flags=4)


def test_full_ring_raises_enospc_and_e2big():
    with ringbuf.Ring(PAGE) as rb:
        n = 0
        with pytest.raises(ringbuf.RingFullError) as ei:
            while True:
                rb.output(b"x" * 56)
                n += 1
        assert ei.value.errno == errno.ENOSPC
        assert isinstance(ei.value, OSError)
        assert n == PAGE // rec_space(56)
        with pytest.raises(ringbuf.RingFullError):
            rb.reserve(1)
        with pytest.raises(OSError) as ei:
            rb.output(b"y" * (PAGE * 2))
        assert ei.value.errno == errno.E2BIG
        assert rb.stats()["dropped_records"] >= 2
        # every committed record survived the refusals
        assert rb.consume_batch() == [b"x" * 56] * n


def test_record_view_valid_only_during_callback():
    with ringbuf.Ring(PAGE) as rb:
        rb.output(b"first")
        rb.output(b"second")
        kept = []
        assert rb.consume(kept.append) == 2
        for m in kept:
            with pytest.raises(ValueError):
                bytes(m)  # released after its callback
        rb.output(b"third")
        rb.output(b"fourth")
        slices = []
        with pytest.raises(BufferError):
            rb.consume(lambda d: slices.append(d[1:]))
        with pytest.raises(BufferError):
            rb.close()  # a slice still points into the ring
        slices.clear()
        gc.collect()
        assert rb.consume_batch() == [b"fourth"]


def test_negative_return_stops_and_counts_consumed():
    with ringbuf.Ring(PAGE) as rb:
        for i in range(5):
            rb.output(b"%d" % i)
        seen = []

        def fn(d):
            seen.append(bytes(d))
            return -1 if len(seen) == 2 else 0

        assert rb.consume(fn) == 2
        assert seen == [b"0", b"1"]
        assert rb.consume(lambda d: "ignored") == 3


def test_exception_in_callback_stops_and_propagates():
    with ringbuf.Ring(PAGE) as rb:
        for i in range(4):
            rb.output(b"%d" % i)
        calls = []

        def fn(d):
            calls.append(bytes(d))
            if d == b"1":
                raise KeyError("stop here")

        with pytest.raises(KeyError, match="stop here"):
            rb.consume(fn)
        assert calls == [b"0", b"1"]
        assert rb.consume_batch() == [b"2", b"3"]  # the rest stays


def test_consume_max_records_and_batch():
    with ringbuf.Ring(PAGE) as rb:
        for i in range(10):
            rb.output(bytes([i]) * i)
        assert rb.consume(lambda d: None, max_records=3) == 3
        assert rb.consume_batch(max_records=0) == []
        assert rb.consume_batch(2) == [b"\3" * 3, b"\4" * 4]
        assert rb.consume_batch() == [bytes([i]) * i for i in range(5, 10)]
        with pytest.raises(ValueError):
            rb.consume_batch(-1)


def test_poll_timeout_and_wakeup_from_thread():
    with ringbuf.Ring(PAGE) as rb:
        t0 = time.monotonic()
        assert rb.poll(lambda d: None, timeout=0.05) == 0
        assert time.monotonic() - t0 >= 0.04
        assert rb.poll_batch(timeout=0) == []
        # poll with no timeout releases the GIL: a Python thread can run
        # and produce the record that wakes it.
        t = threading.Timer(0.05, rb.output, (b"wake",))
        t.start()
        got = []
        assert rb.poll(lambda d: got.append(bytes(d))) == 1
        t.join()
        assert got == [b"wake"]
        t = threading.Timer(0.05, rb.output, (b"batch",))
        t.start()
        assert rb.poll_batch() == [b"batch"]
        t.join()
        for i in range(5):
            rb.output(b"%d" % i)
        assert rb.poll_batch(0, max_records=0) == []
        assert rb.poll_batch(1, max_records=2) == [b"0", b"1"]
        assert rb.poll_batch(1, 2) == [b"2", b"3"]
        assert rb.poll_batch(1, max_records=9) == [b"4"]
        with pytest.raises(ValueError):
            rb.poll_batch(0, -1)


def test_ctrl_c_interrupts_blocking_poll():
    with ringbuf.Ring(PAGE) as rb:
        t = threading.Timer(0.1, os.kill, (os.getpid(), signal.SIGINT))
        t.start()
        t0 = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            rb.poll(lambda d: None)
        t.join()
        assert time.monotonic() - t0 < 5
        rb.output(b"still fine")
        assert rb.poll_batch(0) == [b"still fine"]


def test_other_signal_does_not_end_poll_early():
    got = []
    old = signal.signal(signal.SIGUSR1, lambda *a: got.append("sig"))
    try:
        with ringbuf.Ring(PAGE) as rb:
            t = threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGUSR1))
            t.start()
            t0 = time.monotonic()
            assert rb.poll(lambda d: None, timeout=0.3) == 0
            t.join()
            assert got == ["sig"]
            assert time.monotonic() - t0 >= 0.25  # waited the time left
    finally:
        signal.signal(signal.SIGUSR1, old)


def test_fileno_wait_prepare_recover_stats():
    with ringbuf.Ring(PAGE) as rb:
        fd = rb.fileno()
        assert isinstance(fd, int) and fd >= 0
        assert rb.wait_prepare() is False
        rb.output(b"x")
        assert rb.wait_prepare() is True
        assert rb.recover() == 0
        st = rb.stats()
        assert set(st) >= {"delivered_records", "discarded_records", "dropped_records",
                           "orphaned_records", "corrupt_events", "wakeups"}
        assert all(isinstance(v, int) for v in st.values())
        assert isinstance(rb.pending_pos, int)


def test_overwrite_mode_and_snapshot():
    with ringbuf.Ring(PAGE, overwrite=True) as rb:
        assert rb.overwrite
        for i in range(1000):
            rb.output(b"%06d" % i)  # never full: the oldest go
        snap = rb.snapshot(max_records=3)
        assert snap == [b"000997", b"000998", b"000999"]
        assert rb.overwrite_pos > 0
        got = rb.consume_batch()
        assert got[-1] == b"000999" and len(got) < 1000
        assert rb.stats()["overwritten_records"] > 0
        with pytest.raises(ValueError):
            rb.snapshot(max_records=-1)


def test_closed_ring_refuses_everything():
    rb = ringbuf.Ring(PAGE)
    rb.close()
    rb.close()  # twice is fine
    assert rb.closed
    assert "closed" in repr(rb)
    for call in (lambda: rb.output(b"x"), lambda: rb.reserve(1),
                 lambda: rb.consume(print), lambda: rb.consume_batch(),
                 lambda: rb.poll(print, 0), lambda: rb.poll_batch(0),
                 lambda: rb.fileno(), lambda: rb.stats(), lambda: rb.size,
                 lambda: rb.avail_data, lambda: rb.wait_prepare(),
                 lambda: rb.snapshot(), lambda: rb.recover()):
        with pytest.raises(ValueError, match="closed"):
            call()
    with pytest.raises(ValueError):
        with rb:
            pass


def test_close_refused_while_reserved():
    rb = ringbuf.Ring(PAGE)
    r = rb.reserve(8)
    with pytest.raises(BufferError):
        rb.close()
    r.commit()
    rb.close()


def test_bad_arguments():
    with pytest.raises(TypeError):
        ringbuf.Ring("4096")
    with pytest.raises(TypeError):
        ringbuf.Ring(4096.0)
    with pytest.raises(ValueError):
        ringbuf.Ring(-PAGE)
    with pytest.raises(ValueError):
        ringbuf.Ring(0)
    with pytest.raises(ValueError, match="power of two"):
        ringbuf.Ring(3 * PAGE)
    with pytest.raises(ValueError, match="power of two"):
        ringbuf.Ring(PAGE // 2)
    with pytest.raises(ValueError):
        ringbuf.Ring(PAGE, mode=0o10000)
    with pytest.raises(TypeError):
        ringbuf.Ring(PAGE, None, True)  # overwrite is keyword-only
    with pytest.raises(TypeError):
        ringbuf.Ring(PAGE, name=12)
    with ringbuf.Ring(PAGE) as rb:
        with pytest.raises(TypeError):
            rb.output("text is not bytes")
        with pytest.raises(TypeError):
            rb.output(123)
        with pytest.raises(ValueError):
            rb.output(b"x", flags=8)
        with pytest.raises(ValueError):
            rb.reserve(-1)
        with pytest.raises(TypeError):
            rb.reserve("8")
        with pytest.raises(TypeError):
            rb.consume(5)
        with pytest.raises(TypeError):
            rb.poll(None)
        with pytest.raises(TypeError):
            rb.poll(print, timeout="soon")
        with pytest.raises(ValueError):
            rb.poll(print, timeout=float("nan"))
        with pytest.raises(TypeError):
            ringbuf.Consumer().add("not a ring", print)
        # nothing above touched the ring
        assert rb.producer_pos == 0


def test_reentrant_consume_refused():
    with ringbuf.Ring(PAGE) as rb:
        rb.output(b"a")
        rb.output(b"b")
        with pytest.raises(RuntimeError):
            rb.consume(lambda d: rb.consume(print))
        assert rb.consume_batch() == [b"b"]


def test_named_create_open_unlink(ring_name):
    with ringbuf.Ring(4 * PAGE, ring_name, mode=0o640) as rb:
        assert rb.name == ring_name
        with pytest.raises(FileExistsError):
            ringbuf.Ring(4 * PAGE, ring_name)
        with ringbuf.Ring.open(ring_name) as prod:
            assert prod.role == {"producer": True, "consumer": False}
            assert prod.overwrite is None
            assert prod.size == 4 * PAGE
            prod.output(b"from the other handle")
            with pytest.raises(PermissionError):
                prod.consume(print)
        with pytest.raises(OSError) as ei:
            ringbuf.Ring.open(ring_name, consumer=True)  # we are its consumer
        assert ei.value.errno == errno.EBUSY
        assert rb.consume_batch() == [b"from the other handle"]
    with ringbuf.Ring.open(ring_name, producer=False, consumer=True) as cons:
        assert cons.role == {"producer": False, "consumer": True}
        with pytest.raises(PermissionError):
            cons.output(b"x")
    with pytest.raises(ValueError):
        ringbuf.Ring.open(ring_name, producer=False)
    ringbuf.unlink(ring_name)
    with pytest.raises(FileNotFoundError):
        ringbuf.Ring.open(ring_name)
    with pytest.raises(FileNotFoundError):
        ringbuf.unlink(ring_name)
    with pytest.raises(TypeError):
        ringbuf.unlink(None)


def test_open_not_a_ring(tmp_path):
    p = tmp_path / "garbage"
    p.write_bytes(b"\0" * 8192)
    with pytest.raises(OSError) as ei:
        ringbuf.Ring.open(str(p))
    assert ei.value.errno == errno.EBADMSG
    assert ei.value.filename == str(p)


def test_fork_child_produces_anonymous_ring():
    with ringbuf.Ring(PAGE) as rb:
        pid = os.fork()
        if pid == 0:
            try:
                rb.output(b"from the child")
            finally:
                os._exit(0)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        assert rb.poll_batch(timeout=5) == [b"from the child"]
