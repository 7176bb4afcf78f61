"""What keeping freed memory (ganlab.speed.keep_freed_memory) does to the training step on this CPU.

usage: python benchmarks/malloc_lever.py [--pairs 5] [--steps 40] [--rounds 6]

glibc's setting is made once for a whole process and cannot be taken back, so the levers cannot take
turns in one process as in cpu_levers.py. Instead each measurement is a fresh process, "off" and "on"
alternating ``--pairs`` times (a slow minute of a shared machine then hits both sides). Each process
builds ganlab's default game (``Config()``, the CPU speedups) on a synthetic batch of 128 and times
``--rounds`` x ``--steps`` steps after warm-up; it reports the mean ms per step and the minor page faults
per step (the pages the OS had to hand back and zero). Prints one line per process and the pairs' means;
asserts nothing. Linux with glibc only.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

CHILD = """
import resource, sys, time
import torch
import ganlab.game
from ganlab import Config
from ganlab.game import DCGAN
if sys.argv[1] == "off":
    ganlab.game.keep_freed_memory = lambda: False
steps, rounds = int(sys.argv[2]), int(sys.argv[3])
game = DCGAN(Config())
batch = torch.rand(128, 1, 28, 28) * 2 - 1
for _ in range(5):
    game.step(batch, None)
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
start = time.perf_counter()
for _ in range(steps * rounds):
    game.step(batch, None)
seconds = time.perf_counter() - start
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
print(1000 * seconds / (steps * rounds), faults / (steps * rounds))
"""


def measure(mode: str, steps: int, rounds: int) -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(steps), str(rounds)],
                         capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), float(out[1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=6)
    args = ap.parse_args(argv)
    results = {"off": [], "on": []}
    for pair in range(args.pairs):
        for mode in results:
            ms, faults = measure(mode, args.steps, args.rounds)
            results[mode].append(ms)
            print(f"pair {pair + 1}, freed memory kept {mode:>3}: {ms:6.1f} ms/step, {faults:7.0f} page faults/step",
                  flush=True)
    off, on = statistics.fmean(results["off"]), statistics.fmean(results["on"])
    faster = sum(a > b for a, b in zip(results["off"], results["on"]))
    print(f"\nmean of {args.pairs} pairs: off {off:.1f} ms/step, on {on:.1f} ms/step: {off / on:.2f}x "
          f"(on faster in {faster} of {args.pairs} pairs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
