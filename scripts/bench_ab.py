#!/usr/bin/env python3
"""Two or more commands timed in alternation, for measuring one change:

    scripts/bench_ab.py [--runs N] [--warmup W] -- NAME=COMMAND NAME=COMMAND ...

Each round runs every command once, in turn, so a noisy moment on the shared
2-core VM hits all of them alike. Prints each command's median wall time,
its interquartile range, and its median relative to the first command. The
commands are split with shlex and run without a shell; every one must exit 0.
docs/PERFORMANCE.md quotes its output for the start-up cuts.
"""

import argparse
import shlex
import statistics
import subprocess
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("commands", nargs="+", help="NAME=COMMAND")
    a = ap.parse_args()
    named = []
    for spec in a.commands:
        name, _, command = spec.partition("=")
        if not command:
            sys.exit(f"expected NAME=COMMAND, got {spec!r}")
        named.append((name, shlex.split(command)))
    samples = {name: [] for name, _ in named}
    for i in range(a.warmup + a.runs):
        for name, argv in named:
            started = time.perf_counter()
            done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE)
            wall = time.perf_counter() - started
            if done.returncode != 0:
                sys.exit(f"{name} failed ({done.returncode}): {done.stderr.decode(errors='replace')[-400:]}")
            if i >= a.warmup:
                samples[name].append(wall)
    base = statistics.median(samples[named[0][0]])
    print(f"{'command':24} {'median':>9} {'IQR':>19} {'vs ' + named[0][0]:>10}")
    for name, _ in named:
        s = sorted(samples[name])
        q1, q3 = s[len(s) // 4], s[(3 * len(s)) // 4]
        med = statistics.median(s)
        print(f"{name:24} {med * 1e3:7.3f} ms {q1 * 1e3:7.3f} – {q3 * 1e3:7.3f} ms {med / base:9.3f}×")


if __name__ == "__main__":
    main()
