#!/usr/bin/env python3
"""Consume rings inside an asyncio event loop.

    python3 examples/python/asyncio_consumer.py --producers 4 --count 10000

The Consumer's fileno() is a pollable fd that is readable exactly when a
source has records: the wakeups are armed by fileno() and again by every
consume(), so the loop needs nothing else than

    loop.add_reader(c.fileno(), c.consume)

Here the loop also runs a ticker task, to show it is not blocked, and
starts producer processes (producer.py) that write into a named ring.
"""
import argparse
import asyncio
import os
import struct
import subprocess
import sys

import ringbuf

HEAD = struct.Struct("<IQ")
HERE = os.path.dirname(os.path.abspath(__file__))


async def run(name, producers, count):
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    next_seq = {}
    ticks = 0

    def on_record(data):
        pid, seq = HEAD.unpack_from(data)
        want = next_seq.get(pid, 0)
        if seq != want:
            raise RuntimeError("producer %d: record %d, expected %d" % (pid, seq, want))
        next_seq[pid] = seq + 1
        if sum(next_seq.values()) == producers * count and not done.done():
            done.set_result(None)

    def on_readable():
        try:
            c.consume()
        except Exception as e:  # a callback raised: end the run with it
            if not done.done():
                done.set_exception(e)

    async def ticker():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    with ringbuf.Ring(1 << 20, name) as rb, ringbuf.Consumer() as c:
        try:
            c.add(rb, on_record)
            loop.add_reader(c.fileno(), on_readable)
            tick = asyncio.create_task(ticker())
            procs = [await asyncio.create_subprocess_exec(
                sys.executable, os.path.join(HERE, "producer.py"), name,
                "--count", str(count), "--id", str(i)) for i in range(producers)]
            await asyncio.wait_for(done, timeout=120)
            for p in procs:
                await p.wait()
            loop.remove_reader(c.fileno())
            tick.cancel()
        finally:
            ringbuf.unlink(name)
    print("received %d records from %d producers, in order; the loop ticked %d times"
          % (sum(next_seq.values()), len(next_seq), ticks))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--producers", type=int, default=4)
    ap.add_argument("--count", type=int, default=10000)
    ap.add_argument("--name", default="asyncio-demo-%d" % os.getpid())
    args = ap.parse_args()
    asyncio.run(run(args.name, args.producers, args.count))


if __name__ == "__main__":
    main()
