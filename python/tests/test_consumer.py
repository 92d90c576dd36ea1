# Consumer: many sources on one epoll, callbacks per source, errors, the
# pollable fd for event loops, kernel ftrace buffers.
import asyncio
import errno
import gc
import os
import select
import signal
import threading
import time
import weakref

import pytest

import ringbuf

PAGE = os.sysconf("SC_PAGE_SIZE")


def test_two_rings_each_to_its_callback():
    with ringbuf.Ring(PAGE) as a, ringbuf.Ring(PAGE) as b, ringbuf.Consumer() as c:
        got_a, got_b = [], []
        c.add(a, lambda d: got_a.append(bytes(d)))
        c.add(b, lambda d: got_b.append(bytes(d)))
        assert len(c) == 2
        assert c.poll(timeout=0) == 0
        a.output(b"a1")
        b.output(b"b1")
        a.output(b"a2")
        n = 0
        while n < 3:
            n += c.poll(timeout=1)
        assert got_a == [b"a1", b"a2"] and got_b == [b"b1"]
        b.output(b"b2")
        assert c.consume() == 1 and got_b == [b"b1", b"b2"]
        assert c.source_stats(0)["delivered_records"] == 2
        assert c.source_stats(1)["delivered_records"] == 2
        with pytest.raises(IndexError):
            c.source_stats(2)


def test_poll_wakes_from_thread_and_times_out():
    with ringbuf.Ring(PAGE) as rb, ringbuf.Consumer() as c:
        got = []
        c.add(rb, lambda d: got.append(bytes(d)))
        t0 = time.monotonic()
        assert c.poll(timeout=0.05) == 0
        assert time.monotonic() - t0 >= 0.04
        t = threading.Timer(0.05, rb.output, (b"wake",))
        t.start()
        assert c.poll() == 1  # no timeout: the thread's commit wakes it
        t.join()
        assert got == [b"wake"]


def test_callback_exception_and_negative_return():
    with ringbuf.Ring(PAGE) as rb, ringbuf.Consumer() as c:
        seen = []

        def fn(d):
            seen.append(bytes(d))
            if d == b"boom":
                raise ValueError("from the callback")
            if d == b"stop":
                return -7

        c.add(rb, fn)
        for r in (b"1", b"boom", b"2", b"stop", b"3"):
            rb.output(r)
        with pytest.raises(ValueError, match="from the callback"):
            c.poll(timeout=1)
        assert seen == [b"1", b"boom"]
        assert c.consume() == 2  # "2" and "stop": stopped, both delivered
        assert seen[-1] == b"stop"
        assert c.consume() == 1


def test_ctrl_c_interrupts_consumer_poll():
    with ringbuf.Ring(PAGE) as rb, ringbuf.Consumer() as c:
        c.add(rb, print)
        t = threading.Timer(0.1, os.kill, (os.getpid(), signal.SIGINT))
        t.start()
        with pytest.raises(KeyboardInterrupt):
            c.poll()
        t.join()


def test_ring_in_consumer_is_owned_by_it():
    rb = ringbuf.Ring(PAGE)
    c = ringbuf.Consumer()
    c.add(rb, print)
    with pytest.raises(RuntimeError):
        rb.close()
    with pytest.raises(RuntimeError):
        rb.consume(print)
    with pytest.raises(RuntimeError):
        c.add(rb, print)  # twice
    c2 = ringbuf.Consumer()
    with pytest.raises(RuntimeError):
        c2.add(rb, print)  # one consumer per ring
    c.close()
    assert c.closed
    rb.output(b"x")
    assert rb.consume_batch() == [b"x"]
    rb.close()
    for call in (lambda: c.poll(0), lambda: c.consume(), lambda: c.fileno(),
                 lambda: c.add(ringbuf.Ring(PAGE), print), lambda: c.add_bpf(0, print)):
        with pytest.raises(ValueError, match="closed"):
            call()


def test_bad_sources(ring_name):
    with ringbuf.Consumer() as c:
        with pytest.raises(TypeError):
            c.add(ringbuf.Ring(PAGE), "not callable")
        with ringbuf.Ring(PAGE, ring_name), ringbuf.Ring.open(ring_name) as prod:
            with pytest.raises(PermissionError):
                c.add(prod, print)  # a producer-only handle cannot be consumed
        r, w = os.pipe()
        try:
            with pytest.raises(OSError):
                c.add_bpf(r, print)  # not a BPF map
        finally:
            os.close(r)
            os.close(w)
        with pytest.raises(TypeError):
            c.add_bpf("3", print)
        with pytest.raises(ValueError):
            c.add_bpf(-1, print)
        with pytest.raises(ValueError):
            c.add_ftrace(print, cpus=[])
        with pytest.raises(ValueError):
            c.add_ftrace(print, cpus=[-1])
        with pytest.raises(TypeError):
            c.add_ftrace(print, cpus=["0"])
        assert len(c) == 0
    with pytest.raises(TypeError):
        ringbuf.Consumer(1)


def test_reentrant_poll_refused():
    with ringbuf.Ring(PAGE) as rb, ringbuf.Consumer() as c:
        c.add(rb, lambda d: c.consume())
        rb.output(b"x")
        with pytest.raises(RuntimeError):
            c.poll(1)
        with pytest.raises(RuntimeError):
            c.add(rb, lambda d: c.close())


def test_record_view_outliving_callback():
    with ringbuf.Ring(PAGE) as rb:
        c = ringbuf.Consumer()
        kept = []
        c.add(rb, lambda d: kept.append(d[:2]))
        rb.output(b"abcd")
        with pytest.raises(BufferError):
            c.consume()
        with pytest.raises(BufferError):
            c.close()  # a slice still points into the ring
        kept.clear()
        c.close()


def test_cycle_through_callback_is_collected():
    c = ringbuf.Consumer()
    rb = ringbuf.Ring(PAGE)
    c.add(rb, lambda d, c=c: c)  # callback -> consumer -> callback
    ref = weakref.ref(rb)
    del c, rb
    gc.collect()
    assert ref() is None  # the cycle was broken and the ring freed


def test_fileno_readable_exactly_when_data():
    with ringbuf.Ring(PAGE) as rb, ringbuf.Consumer() as c:
        got = []
        c.add(rb, lambda d: got.append(bytes(d)))
        fd = c.fileno()
        assert fd == c.fileno()
        assert select.select([fd], [], [], 0)[0] == []
        rb.output(b"one")
        assert select.select([fd], [], [], 1)[0] == [fd]
        assert c.consume() == 1
        assert select.select([fd], [], [], 0)[0] == []  # re-armed, nothing left
        # data committed before arming is still signalled
        rb.output(b"two", flags=ringbuf.NO_WAKEUP)
        c.fileno()
        assert select.select([fd], [], [], 0)[0] == [fd]
        assert c.consume() == 1 and got == [b"one", b"two"]


def test_asyncio_add_reader():
    async def main():
        loop = asyncio.get_running_loop()
        got = []
        with ringbuf.Ring(1 << 16) as rb, ringbuf.Consumer() as c:
            c.add(rb, lambda d: got.append(bytes(d)))
            loop.add_reader(c.fileno(), c.consume)

            def produce():
                for i in range(2000):
                    while True:
                        try:
                            rb.output(b"%d" % i)
                            break
                        except ringbuf.RingFullError:
                            time.sleep(0.001)

            await loop.run_in_executor(None, produce)
            for _ in range(500):
                if len(got) == 2000:
                    break
                await asyncio.sleep(0.01)
            loop.remove_reader(c.fileno())
        return got

    got = asyncio.run(main())
    assert got == [b"%d" % i for i in range(2000)]


def tracefs():
    for p in ("/sys/kernel/tracing", "/sys/kernel/debug/tracing"):
        if os.path.exists(os.path.join(p, "trace_marker")):
            return p
    return None


def test_add_ftrace_markers():
    root = tracefs()
    if not root or not os.access(os.path.join(root, "instances"), os.W_OK):
        pytest.skip("tracefs is not mounted or not writable here")
    inst = "pyrb%d" % os.getpid()
    path = os.path.join(root, "instances", inst)
    try:
        os.mkdir(path)
    except OSError as e:
        pytest.skip("cannot create a tracefs instance: %s" % e)
    try:
        events = []
        with ringbuf.Consumer() as c:
            try:
                ncpu = c.add_ftrace(lambda d, cpu, ts: events.append((bytes(d), cpu, ts)),
                                    instance=inst, merge=True)
            except OSError as e:
                if e.errno in (errno.ENODEV, errno.EBUSY, errno.EINVAL, errno.EPERM,
                               errno.EACCES, errno.ENOTTY, errno.EOPNOTSUPP):
                    pytest.skip("the kernel does not map ftrace buffers here: %s" % e)
                raise
            assert ncpu >= 1
            with open(os.path.join(path, "trace_marker"), "w") as f:
                for i in range(5):
                    f.write("pymark-%d\n" % i)
                    f.flush()
            deadline = time.monotonic() + 10
            while len(events) < 5 and time.monotonic() < deadline:
                c.poll(timeout=0.5)
            st = c.ftrace_stats()
            assert st["events"] == len(events)
        marks = [d for d, _, _ in events if b"pymark-" in d]
        assert len(marks) == 5
        for i, d in enumerate(marks):
            assert b"pymark-%d" % i in d
        assert all(0 <= cpu < os.cpu_count() for _, cpu, _ in events)
        stamps = [ts for _, _, ts in events]
        assert stamps == sorted(stamps) and stamps[0] > 0  # merged: time order
    finally:
        os.rmdir(path)
