# The programs in examples/python run as a user would run them: the asyncio
# loop with producer processes, consumer.py fed by producer.py, and the
# kernel BPF ring consumer on a real BPF_MAP_TYPE_RINGBUF.
import os
import subprocess
import sys
import time

import pytest

from conftest import BUILD, REPO, python_env, scaled

EX = os.path.join(REPO, "examples", "python")


def run(args, timeout=120, **kw):
    return subprocess.run([sys.executable] + args, env=python_env(), timeout=timeout,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def test_asyncio_example():
    n = scaled(5000)
    r = run([os.path.join(EX, "asyncio_consumer.py"), "--producers", "3", "--count", str(n),
             "--name", "pytest-asyncio-%d" % os.getpid()])
    assert r.returncode == 0, r.stderr
    assert "received %d records from 3 producers, in order" % (3 * n) in r.stdout


def test_consumer_and_producer_examples(ring_name):
    cons = subprocess.Popen([sys.executable, os.path.join(EX, "consumer.py"), ring_name,
                             "--count", "200", "--size", "65536"], env=python_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # wait for the consumer to create the ring
            if run([os.path.join(EX, "producer.py"), ring_name, "--count", "100",
                    "--id", "7"]).returncode == 0:
                break
            time.sleep(0.05)
        r = run([os.path.join(EX, "producer.py"), ring_name, "--count", "100", "--id", "8"])
        assert r.returncode == 0, r.stderr
        out, err = cons.communicate(timeout=60)
    finally:
        if cons.poll() is None:
            cons.kill()
            cons.wait()
    assert cons.returncode == 0, err
    lines = out.splitlines()
    assert lines[-1] == "received 200 records"
    assert lines[:100] == ["7 %d hello from Python" % i for i in range(100)]
    assert lines[100:200] == ["8 %d hello from Python" % i for i in range(100)]


def test_bpf_example_on_kernel_ring():
    feeder = os.path.join(BUILD, "helpers", "bpf_feeder")
    if not os.access(feeder, os.X_OK):
        pytest.skip("bpf_feeder is not built (make python)")
    n = 3000
    # The feeder makes the map and program, runs the program n times (n
    # records in the kernel ring), then the example drains them.
    script = '"$0" run "$RINGBUF_BPF_PROG_FD" %d && exec "$1" "$2" --count %d' % (n, n)
    r = subprocess.run([feeder, "exec", str(1 << 17), "24", "--", "sh", "-c", script, feeder,
                        sys.executable, os.path.join(EX, "bpf_consumer.py")],
                       env=python_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=120)
    if r.returncode == 77:
        pytest.skip(r.stdout.strip())
    assert r.returncode == 0, r.stdout + r.stderr
    assert "events %d sequence 0 .. %d" % (n, n - 1) in r.stdout
