#!/usr/bin/python3
"""What two busy virtual harts of one QEMU give, with no kernel at all.

bench/host_ceiling.py measures the ceiling for this kernel's processes;
this measures QEMU's own: bench/bare/ (a bare-metal program QEMU starts
with -bios none on every hart) runs each loop of bench/bare/loops.S a fixed
number of times on every hart, each hart on its own page, and prints how
long each hart took by the time CSR.  Each loop runs in trials, every hart
starting a trial at once; a trial's time is its slowest hart's.  The
program is booted with -smp 1 and with -smp 2 (multi-threaded TCG, as
scripts/run-qemu.sh boots 2 harts), in turn, and for each loop this prints
the speed-up 2*T1/T2 by the median trials and by the fastest ones.  The
fastest trials are the ones the rest of the host disturbed least: on a
busy host they are the figure to read.

With --separate, the 2-hart boot is replaced by two 1-hart QEMUs started at
once: nothing of one QEMU is shared, only the host.  --harts N: N harts
(or QEMUs) against 1.

usage: bench/bare_ceiling.py [--rounds R] [--trials T] [--iterations N] [--harts N] [--separate]
bench/README.md, "The bare-metal ceiling"; docs/performance.md, "Scaling
over harts", "What two harts give work that shares nothing".
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BARE = os.path.join(ROOT, "bench", "bare")
LINE = re.compile(r"BARE variant=(\w+) harts=(\d+) trial=(\d+) hart=(\d+) ticks=(\d+) "
                  r"iterations=(\d+)")
TIME_HZ = 10_000_000            # the time CSR of QEMU's virt machine


def build(iterations, trials):
    elf = os.path.join(ROOT, "build", "bare", f"ceiling-{iterations}x{trials}.elf")
    os.makedirs(os.path.dirname(elf), exist_ok=True)
    sources = [os.path.join(BARE, f) for f in ("start.S", "loops.S", "ceiling.c")]
    subprocess.run(["riscv64-unknown-elf-gcc", "-O2", "-march=rv64imac_zicsr", "-mabi=lp64",
                    "-mcmodel=medany", "-ffreestanding", "-nostdlib", "-std=c11",
                    "-Wall", "-Wextra", "-Werror", f"-DITERATIONS={iterations}ull", f"-DTRIALS={trials}u",
                    "-T", os.path.join(BARE, "bare.ld"), "-o", elf, *sources], check=True)
    return elf


def qemu(elf, smp):
    cmd = ["qemu-system-riscv64", "-machine", "virt", "-cpu", "rv64", "-smp", str(smp),
           "-m", "64M", "-bios", "none", "-kernel", elf, "-nographic", "-no-reboot",
           # How many harts to wait for (ceiling.c, EXPECTED_HARTS).
           "-device", f"loader,addr=0x80100000,data={smp},data-len=4"]
    if smp > 1:
        cmd += ["-accel", "tcg,thread=multi"]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)


def finish(p, harts):
    """{loop: [seconds of each trial]}: a trial's time is its slowest hart's."""
    try:
        out, _ = p.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
        sys.exit(f"bare_ceiling: the program ran over 600 s and was stopped:\n{out}")
    if "BARE-DONE" not in out:
        sys.exit(f"bare_ceiling: the program did not finish:\n{out}")
    trials = {}
    for m in LINE.finditer(out):
        if int(m.group(2)) != harts:
            sys.exit(f"bare_ceiling: {m.group(2)} harts ran, not {harts}:\n{out}")
        per = trials.setdefault(m.group(1), {})
        trial = int(m.group(3))
        per[trial] = max(per.get(trial, 0), int(m.group(5)) / TIME_HZ)
    return {v: [per[t] for t in sorted(per)] for v, per in trials.items()}


def boot(elf, smp, copies=1):
    """Boot `copies` QEMUs of `smp` harts at once; each one's trial times."""
    procs = [qemu(elf, smp) for _ in range(copies)]
    return [finish(p, smp) for p in procs]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3, help="boots of each configuration (default 3)")
    ap.add_argument("--iterations", type=int, default=1000000,
                    help="turns of a loop in one trial (default 1000000)")
    ap.add_argument("--trials", type=int, default=15, help="timed trials of each loop a boot (default 15)")
    ap.add_argument("--harts", type=int, default=2, help="harts against 1 (default 2)")
    ap.add_argument("--separate", action="store_true",
                    help="that many QEMUs of 1 hart each at once, not one of that many harts")
    a = ap.parse_args()
    if min(a.rounds, a.iterations, a.trials) < 1:
        ap.error("--rounds, --iterations and --trials must be at least 1")
    if not 2 <= a.harts <= 16:
        ap.error("--harts must be 2 to 16 (the program's MAX_HARTS)")
    n = a.harts
    elf = build(a.iterations, a.trials)
    many = f"{n} QEMUs of 1 hart" if a.separate else f"one QEMU of {n} harts"
    t1, tn = {}, {}
    for r in range(a.rounds):
        (one,) = boot(elf, 1)
        for v, times in one.items():
            t1.setdefault(v, []).extend(times)
        res = boot(elf, 1, copies=n) if a.separate else boot(elf, n)
        for v in res[0]:
            # Several QEMUs: a trial of each is matched with the same trial
            # of the others, as they ran at about the same time.
            tn.setdefault(v, []).extend(max(x) for x in zip(*(q[v] for q in res)))
        load = open("/proc/loadavg").read().split()[0]
        print(f"round {r} done (load average {load})", flush=True)
    print(f"seconds a trial of {a.iterations} turns takes, over {len(next(iter(t1.values())))} trials; "
          f"speed-up {n}*T1/T{n} (ideal {n}.00):")
    print(f"{'loop':6} {'1 hart: median':>15} {'fastest':>8} {many + ': median':>26} {'fastest':>8}"
          f" {'speed-up: by medians':>21} {'by fastest':>10}")
    for v in t1:
        m1, mn = statistics.median(t1[v]), statistics.median(tn[v])
        f1, fn = min(t1[v]), min(tn[v])
        print(f"{v:6} {m1:15.4f} {f1:8.4f} {mn:26.4f} {fn:8.4f} {n * m1 / mn:21.2f} {n * f1 / fn:10.2f}")


if __name__ == "__main__":
    main()
