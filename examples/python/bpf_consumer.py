#!/usr/bin/env python3
"""Consume a kernel BPF ring buffer (BPF_MAP_TYPE_RINGBUF) from Python.

The map comes from whatever loaded the BPF program; pass its fd:

    # bcc:     c.add_bpf(b["events"].map_fd, on_event)
    # libbpf:  bpf_map__fd(skel->maps.events), inherited by this process
    python3 examples/python/bpf_consumer.py --map-fd 5 --count 100

Without --map-fd it takes $RINGBUF_BPF_MAP_FD, which the test helper
(build/helpers/bpf_feeder exec SIZE REC -- CMD) sets after creating a map and
a program that fills it. Records are read in place, zero copy, by the same
consumer that drains user-space rings; poll() sleeps until the kernel's
wakeup (GIL released, Ctrl-C works).
"""
import argparse
import os
import struct

import ringbuf


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--map-fd", type=int, default=int(os.environ.get("RINGBUF_BPF_MAP_FD", -1)))
    ap.add_argument("--count", type=int, default=0, help="0: until Ctrl-C")
    ap.add_argument("--timeout", type=float, default=None, help="give up after this long idle")
    args = ap.parse_args()
    if args.map_fd < 0:
        ap.error("no map: --map-fd FD or RINGBUF_BPF_MAP_FD")
    seen = 0
    first = last = None

    def on_event(data):
        nonlocal seen, first, last
        (seq,) = struct.unpack_from("<Q", data)  # the helper's records: u64 sequence first
        first = seq if first is None else first
        if last is not None and seq != last + 1:
            raise RuntimeError("record %d after %d" % (seq, last))
        last = seq
        seen += 1

    with ringbuf.Consumer() as c:
        c.add_bpf(args.map_fd, on_event)
        try:
            while not args.count or seen < args.count:
                if c.poll(timeout=args.timeout) == 0 and args.timeout is not None:
                    break
        except KeyboardInterrupt:
            pass
        print("events", seen, "sequence", first, "..", last,
              "lost (kernel ring full)", c.source_stats(0)["dropped_records"])


if __name__ == "__main__":
    main()
