#!/usr/bin/env python3
"""Write records into a named ring from Python.

    python3 examples/python/consumer.py demo &     # creates the ring "demo"
    python3 examples/python/producer.py demo --count 1000

Each record is a little-endian (producer id, sequence number) pair and a
text message, written in place with reserve() (no copy). When the ring is
full the producer waits for the consumer (RingFullError is an OSError with
errno ENOSPC).
"""
import argparse
import os
import struct
import time

import ringbuf

HEAD = struct.Struct("<IQ")


def produce(rb, producer_id, count, text=b"hello from Python"):
    for seq in range(count):
        while True:
            try:
                with rb.reserve(HEAD.size + len(text)) as m:
                    HEAD.pack_into(m, 0, producer_id, seq)
                    m[HEAD.size:] = text
                break
            except ringbuf.RingFullError:
                time.sleep(0.0005)  # the consumer is behind: let it drain


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("name")
    ap.add_argument("--count", type=int, default=10)
    ap.add_argument("--id", type=int, default=os.getpid())
    args = ap.parse_args()
    with ringbuf.Ring.open(args.name) as rb:
        produce(rb, args.id, args.count)


if __name__ == "__main__":
    main()
