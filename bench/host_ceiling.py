#!/usr/bin/python3
"""What speed-up two busy virtual harts give work that shares nothing.

A multi-hart speed-up measured here (b_prings on 2 harts against 1) can be
no better than what a machine of two busy virtual harts gives work that
shares nothing.  This measures that ceiling: `b_coro switch N` (coroutine switches in one process,
no system call in its loop) once on 1 hart, against two of them at once on 2
harts (`b_coro switch N | b_coro switch N`: the shell runs a pipeline's
stages together), each timed from the command to the prompt, in boots taken
in turn.  The ideal is 2.0: two processes that touch no common line but the
kernel's tick.  docs/performance.md, "Scaling over harts", "What two harts
give work that shares nothing".

With --separate, the two are no longer in one machine: two QEMUs of 1 hart
each run `b_coro switch N` at the same moment, against one of them alone,
so nothing of this kernel is shared at all; what is left is QEMU's and the
host's.

usage: bench/host_ceiling.py [--rounds R] [--runs K] [--n N] [--policy P] [--separate]
Prints each boot's times and the speed-up 2*T1/T2 by the medians and by the
fastest runs.  Needs a built tree (make all) and a quiet host: every other
program running on it lowers the figure.
"""
import argparse
import os
import statistics
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "testsuite"))
from schedos.machine import Machine  # noqa: E402


def timed_runs(smp, cmd, runs, policy, n):
    m = Machine(smp=smp, policy=policy, initrd=True)
    try:
        m.shell_prompt(120)
        m.run(f"b_coro switch {max(1, n // 10)}", timeout=600)    # warm-up
        times = []
        for _ in range(runs):
            start = time.monotonic()
            out = m.run(cmd, timeout=600)
            times.append(time.monotonic() - start)
            # A pipeline's first stage prints into the pipe, not here: one
            # line either way, once the shell has waited for every stage.
            if out.count("instructions per") != 1:
                sys.exit(f"host_ceiling: '{cmd}' did not finish as it should:\n{out}")
        return times
    finally:
        m.kill()


def timed_separate(runs, policy, n):
    """Two 1-hart machines, each running `b_coro switch n` at once: the time
    until both are done, per run."""
    machines = [Machine(smp=1, policy=policy, initrd=True) for _ in range(2)]
    try:
        for m in machines:
            m.shell_prompt(120)
            m.run(f"b_coro switch {max(1, n // 10)}", timeout=600)
        times = []
        for _ in range(runs):
            outs = [None, None]

            def run(i):
                outs[i] = machines[i].run(f"b_coro switch {n}", timeout=600)
            threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
            start = time.monotonic()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            times.append(time.monotonic() - start)
            for out in outs:
                if out is None or out.count("instructions per") != 1:
                    sys.exit(f"host_ceiling: a machine's run did not finish as it should:\n{out}")
        return times
    finally:
        for m in machines:
            m.kill()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=2, help="boots of each configuration (default 2)")
    ap.add_argument("--runs", type=int, default=3, help="timed runs a boot (default 3)")
    ap.add_argument("--n", type=int, default=2000000, help="b_coro switch rounds (default 2000000)")
    ap.add_argument("--policy", default="heap", help="scheduling policy (default heap)")
    ap.add_argument("--separate", action="store_true",
                    help="the two in two QEMUs of 1 hart each, not in one of 2 harts")
    a = ap.parse_args()
    if a.rounds < 1 or a.runs < 1 or a.n < 1:
        ap.error("--rounds, --runs and --n must be at least 1")
    one = f"b_coro switch {a.n}"
    two = "two QEMUs, 1 hart each" if a.separate else "two processes, 2 harts"
    configs = {"one process, 1 hart": (1, one), two: (2, f"{one} | {one}")}
    times = {label: [] for label in configs}
    for r in range(a.rounds):
        for label, (smp, cmd) in configs.items():
            if label == two and a.separate:
                t = timed_separate(a.runs, a.policy, a.n)
            else:
                t = timed_runs(smp, cmd, a.runs, a.policy, a.n)
            times[label].extend(t)
            load = open("/proc/loadavg").read().split()[0]
            print(f"round {r}, {label}: {', '.join(f'{x:.3f}' for x in t)} s (load {load})",
                  flush=True)
    t1, t2 = times["one process, 1 hart"], times[two]
    print(f"speed-up 2*T1/T2: {2 * statistics.median(t1) / statistics.median(t2):.2f} by the "
          f"medians, {2 * min(t1) / min(t2):.2f} by the fastest runs (ideal 2.00)")


if __name__ == "__main__":
    main()
