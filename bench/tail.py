#!/usr/bin/env python3
"""Where a fixed-rate window's latency tail comes from, from the rows `--samples` writes (one per delivery).

    python3 bench/tail.py FILE.csv [FILE.csv ...]

For each file: the latency (receipt - due) split into the request's lateness, the time to the publish's first copy,
and the spread of its copies; whether the deliveries above p99 come as whole publishes or single copies, alone or in
bursts; and the time to the first copy by the request's phase in the kernel's 4 ms tick (HZ=250)."""
import csv
import sys
from collections import defaultdict


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def report(path):
    copies = defaultdict(list)  # seq -> [(received, due, request)]
    for row in csv.DictReader(open(path)):
        request = int(row["request_us"]) if row["request_us"] else None
        copies[int(row["seq"])].append((int(row["received_us"]), int(row["due_us"]), request))
    latencies = [r - d for rows in copies.values() for r, d, _ in rows]
    p99 = pct(latencies, 0.99)
    print(f"== {path}: {len(copies)} publishes, {len(latencies)} deliveries; p50 {pct(latencies, .5)/1000:.2f} ms, "
          f"p99 {p99/1000:.2f} ms, p99.9 {pct(latencies, .999)/1000:.2f} ms")

    lateness, first, spread, by_rank = [], [], [], defaultdict(list)
    for rows in copies.values():
        rows.sort()
        received0, due, request = rows[0]
        if request is not None:
            lateness.append(request - due)
            first.append(received0 - request)
        spread.append(rows[-1][0] - received0)
        for rank, (received, due, _) in enumerate(rows):
            by_rank[rank].append(received - due)
    print("  per publish, p50 / p99 (ms): request's lateness {:.2f} / {:.2f}; request to first copy {:.2f} / {:.2f}; "
          "first to last copy {:.2f} / {:.2f}".format(*(pct(v, q) / 1000 for v in (lateness, first, spread) for q in (.5, .99))))
    print("  p99 by order of receipt within the publish (ms): " +
          " ".join(f"{pct(by_rank[k], .99)/1000:.2f}" for k in sorted(by_rank)))

    slow_per_publish = defaultdict(int)
    for seq, rows in copies.items():
        slow_per_publish[seq] = sum(1 for r, d, _ in rows if r - d > p99)
    slow = sum(slow_per_publish.values())
    sizes = defaultdict(int)
    for n in slow_per_publish.values():
        if n:
            sizes[n] += n
    print("  deliveries above p99 by how many copies of their publish were above it: " +
          ", ".join(f"{n} copies {sizes[n] / slow:.0%}" for n in sorted(sizes)))

    # Bursts: slow publishes (any copy above p99) whose due times lie within 5 ms of the previous one.
    slow_due = sorted(copies[seq][0][1] for seq, n in slow_per_publish.items() if n)
    bursts, current = [], 1
    for a, b in zip(slow_due, slow_due[1:]):
        if b - a <= 5000:
            current += 1
        else:
            bursts.append(current)
            current = 1
    if slow_due:
        bursts.append(current)
    in_bursts = sum(b for b in bursts if b >= 3)
    print(f"  slow publishes: {len(slow_due)} in {len(bursts)} groups (due within 5 ms of each other); "
          f"{in_bursts / max(1, len(slow_due)):.0%} in groups of 3 or more; largest {max(bursts, default=0)}")

    # The kernel's tick (HZ=250 here): times are from a whole second of the monotonic clock, so a phase reads the same
    # in every file. On this machine the time to the first copy depends on it, for every target.
    by_phase = defaultdict(list)
    for rows in copies.values():
        received0, due, request = rows[0]
        if request is not None:
            by_phase[(request % 4000) // 500].append(received0 - request)
    print("  request to first copy by the request's phase in the 4 ms tick, p50 / p99 (ms) per 0.5 ms: " +
          "  ".join(f"{pct(by_phase[k], .5)/1000:.2f}/{pct(by_phase[k], .99)/1000:.2f}" if len(by_phase[k]) * 100 >= len(copies)
                    else "-" for k in range(8)) + " (-: under 1 % of the publishes)")


for file in sys.argv[1:]:
    report(file)
