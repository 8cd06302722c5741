#!/usr/bin/env python3
"""make lineshare: cache lines moved between harts by one shell command.

    scripts/lineshare.py "b_prings -s 3876 4 512 2 5" [--sched NAME] [--smp N]
                         [--top N] [--by young|moves] [--out DIR] [--icount]

Boots N harts (default 2) with the line-sharing plugin
(bench/profile/lineshare.c, through scripts/run-qemu.sh --plugin), runs
`prof CMD` at the shell (the command between the profiling marks, as for
make profile), powers the machine off and prints what the plugin counted:
accesses, moves (an access that takes a 64-byte line from another hart's
cache, in a model where every hart's cache is unbounded), the moves by
age (accesses of all harts since the line was last touched: a young move,
below 100,000, is a transfer between cores; an old one a miss any cache
would have), the functions whose accesses made most young moves (most
moves of any age with --by moves) and the lines that moved most.

Without -icount by default: under -icount QEMU runs the harts in turns,
long slices each, and a line seldom moves (--icount to see it).  So two
runs of one build differ a little (how the host interleaves the harts);
compare builds over a few runs each.  Files left in DIR (build/lineshare/):
last.txt (the plugin's report) and console.log.
Exit status: 0 a report was printed, 1 none (the reason is printed), 2 bad
usage.
"""
import argparse
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "testsuite"))
sys.path.insert(0, HERE)

import profile_report  # noqa: E402  (scripts/: its ELF reader names the addresses)
import prof_run  # noqa: E402  (scripts/: the run under a plugin, shared with profile)

BUILD = os.path.join(ROOT, "build")
PLUGIN = os.path.join(BUILD, "profile", "lineshare.so")
USER_BIN = prof_run.USER_BIN
SUMMARY = re.compile(r"^accesses (\d+) moves (\d+) untracked (\d+)$", re.M)
AGES = re.compile(r"^age (.*)$", re.M)
PC = re.compile(r"^pc (0x[0-9a-f]+) size=(\d+) word=(0x[0-9a-f]+) moves=(\d+) young=(\d+)$",
                re.M)
LINE = re.compile(r"^line (0x[0-9a-f]+) va=(0x[0-9a-f]+) moves=(\d+)$", re.M)


class LineshareError(Exception):
    pass


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("cmd", metavar="CMD", help='the command line, e.g. "b_prings 4 64 2 5"')
    p.add_argument("--sched", metavar="NAME", help="a built-in policy (default: the kernel's)")
    p.add_argument("--smp", type=int, default=2, metavar="N", help="harts, 2..8 (default 2)")
    p.add_argument("--top", type=int, default=20, metavar="N",
                   help="functions and lines to show (default 20)")
    p.add_argument("--by", choices=("young", "moves"), default="young",
                   help="rank functions by young moves (default) or by all moves")
    p.add_argument("--icount", action="store_true", help="run under -icount (harts in turns)")
    p.add_argument("--out", default=os.path.join(BUILD, "lineshare"), metavar="DIR",
                   help="where last.txt and console.log go (default build/lineshare)")
    p.add_argument("--timeout", type=float, default=900, metavar="S",
                   help="seconds the command may take in QEMU (default 900)")
    args = p.parse_args(argv)
    if not 2 <= args.smp <= 8:
        p.error("--smp takes a number of harts, 2 to 8 (one hart moves no line)")
    if args.top < 1:
        p.error("--top takes a number of rows, 1 or more")
    if args.timeout <= 0:
        p.error("--timeout takes a number of seconds above 0")
    return args


def check_command(cmd):
    """The program's name; a LineshareError if CMD cannot run under prof."""
    return prof_run.check_command(cmd, "b_prings 4 64 2 5", LineshareError)


def run_in_qemu(args, line, report_path, log_path):
    """Boots, runs `line` at the shell, powers off; returns the console."""
    extra = ["--plugin", f"{PLUGIN},out={report_path}"] + (["--icount"] if args.icount else [])
    return prof_run.run_with_plugin(dict(smp=args.smp, policy=args.sched, extra_args=extra),
                                    line, report_path, log_path, args.timeout,
                                    LineshareError, boot_timeout=180, exit_timeout=300)


def parse_report(text):
    """{'accesses', 'moves', 'untracked', 'ages': [(label, n)], 'pcs', 'lines'}."""
    s = SUMMARY.search(text)
    if not s:
        raise LineshareError("the plugin's report has no summary line")
    ages = AGES.search(text)
    pairs = re.findall(r"(\S+) (\d+)", ages.group(1)) if ages else []
    return {"accesses": int(s.group(1)), "moves": int(s.group(2)),
            "untracked": int(s.group(3)), "ages": [(k, int(v)) for k, v in pairs],
            "pcs": [(int(a, 16), int(sz), int(w, 16), int(n), int(y))
                    for a, sz, w, n, y in PC.findall(text)],
            "lines": [(int(pa, 16), int(va, 16), int(n)) for pa, va, n in LINE.findall(text)]}


def symbolizer(name, sched):
    def elf(path):
        return profile_report.Elf(path) if path and os.path.isfile(path) else None
    policy = os.path.join(BUILD, "sched", f"{sched or 'heap'}.elf")
    return profile_report.Symbolizer(
        kernel=elf(os.path.join(BUILD, "kernel.elf")), policy=elf(policy),
        runtime=elf(os.path.join(BUILD, "sched", "runtime.elf")),
        user=elf(os.path.join(USER_BIN, name)), prof=elf(os.path.join(USER_BIN, "prof")))


def format_report(rep, sym, top, by="young"):
    out = []
    moves, acc = rep["moves"], rep["accesses"]
    per_mille = moves * 1000 // acc if acc else 0
    out.append(f"accesses {acc}  moves {moves} ({per_mille} per mille of accesses)")
    if rep["untracked"]:
        out.append(f"untracked accesses {rep['untracked']}: the plugin's table was full, "
                   "the counts are low")
    out.append("moves by age (accesses since the line was last touched): " +
               "  ".join(f"{k} {v}" for k, v in rep["ages"]))
    by_fn = {}
    for addr, size, word, n, young in rep["pcs"]:
        region, fn = sym.attribute(addr, size, word, n)
        moved, young_moved = by_fn.get((fn, region), (0, 0))
        by_fn[(fn, region)] = (moved + n, young_moved + young)
    rank = (lambda kv: (-kv[1][1], -kv[1][0])) if by == "young" else \
        (lambda kv: (-kv[1][0], -kv[1][1]))
    rows = sorted(by_fn.items(), key=rank)[:top]
    out.append(f"{'function':32} {'region':8} {'young':>9} {'moves':>9}   (young: below "
               f"100k; most {'young ' if by == 'young' else ''}moves first, of "
               f"{len(rep['pcs'])} instructions)")
    out += [f"{fn:32} {region:8} {y:>9} {n:>9}" for (fn, region), (n, y) in rows]
    out.append(f"{'line (physical)':18} {'last va':18} {'moves':>8}")
    out += [f"{pa:#018x} {va:#018x} {n:>8}" for pa, va, n in rep["lines"][:top]]
    return "\n".join(out)


def main(argv=None):
    args = parse_args(argv)
    report_path = os.path.join(args.out, "last.txt")
    log_path = os.path.join(args.out, "console.log")
    try:
        name = check_command(args.cmd)
        for path in (PLUGIN, os.path.join(BUILD, "kernel.elf")):
            if not os.path.isfile(path):
                raise LineshareError(f"{os.path.relpath(path, ROOT)} is missing "
                                     "(make lineshare builds it)")
        if "," in os.path.abspath(report_path):
            raise LineshareError(f"--out {args.out}: QEMU's -plugin option cannot take a "
                                 "path with a comma; pick another directory")
        os.makedirs(args.out, exist_ok=True)
        out = run_in_qemu(args, f"prof {args.cmd}", report_path, log_path)
        sys.stdout.write("".join(f"| {l}\n" for l in out.splitlines()))
        if not os.path.isfile(report_path):
            raise LineshareError("the plugin wrote no report (QEMU did not exit cleanly?)")
        with open(report_path) as f:
            rep = parse_report(f.read())
        if rep["accesses"] == 0:
            raise LineshareError("no access counted: the command never ran between the marks")
        timing = "-icount" if args.icount else "no -icount"
        print(f"lineshare of 'prof {args.cmd}' under {args.sched or 'heap'}, {args.smp} "
              f"harts, {timing}:")
        print(format_report(rep, symbolizer(name, args.sched), args.top, args.by))
    except LineshareError as e:
        print(f"lineshare: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
