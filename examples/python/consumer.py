#!/usr/bin/env python3
"""Create a named ring and print what producers write into it.

    python3 examples/python/consumer.py demo --count 1000
    python3 examples/python/producer.py demo --count 1000     # elsewhere

Stops after --count records, or on Ctrl-C (poll waits without holding the
GIL, and a signal interrupts it). Producers may be Python (producer.py) or
anything else: `echo hi | ringbuf write demo`.
"""
import argparse
import struct

import ringbuf

HEAD = struct.Struct("<IQ")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("name")
    ap.add_argument("--size", type=int, default=1 << 20)
    ap.add_argument("--count", type=int, default=0, help="0: until Ctrl-C")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    seen = 0

    def on_record(data):
        # data is a read-only memoryview into the ring, valid during this
        # call only: decode or copy (bytes(data)) what you keep.
        nonlocal seen
        seen += 1
        if not args.quiet:
            if len(data) >= HEAD.size:
                pid, seq = HEAD.unpack_from(data)
                print(pid, seq, bytes(data[HEAD.size:]).decode(errors="replace"))
            else:
                print(bytes(data))
        return -1 if args.count and seen >= args.count else 0

    with ringbuf.Ring(args.size, args.name) as rb:
        try:
            while not args.count or seen < args.count:
                rb.poll(on_record, timeout=1.0)
        except KeyboardInterrupt:
            pass
        finally:
            ringbuf.unlink(args.name)
    print("received", seen, "records")


if __name__ == "__main__":
    main()
