#!/usr/bin/env python3
"""make profile: instructions per function for one shell command.

    scripts/profile.py "b_coro switch 1000" [--sched NAME | --sched-blob FILE]
                       [--top N] [--self] [--out DIR] [--smp N]

Boots one hart (--smp: N harts) under -icount shift=0,sleep=off (run-qemu.sh --icount-exact)
with the profiling plugin
(bench/profile/insn_profile.c, through scripts/run-qemu.sh --plugin), runs
`prof CMD` at the shell (user/programs/prof.c: CMD between the profiling
marks), powers the machine off and prints the table of
scripts/profile_report.py.  With --self, CMD runs as it is: it marks its
own sections with prof_begin()/prof_end() (user/include/profile.h).

The same command under the same build gives the same table, to the
instruction.  The command gets no console input: one that reads it waits
until --timeout.  Files left in DIR (build/profile/): last.prof (the plugin's
counts, by address) and console.log (the whole console).
Exit status: 0 a table was printed, 1 no table (the reason is printed),
2 bad usage.
"""
import argparse
import os
import re
import shlex
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "testsuite"))
sys.path.insert(0, HERE)

import profile_report  # noqa: E402  (scripts/, beside this file)
from profile_report import ProfileError  # noqa: E402
import prof_run  # noqa: E402  (scripts/: the run under a plugin, shared with lineshare)

BUILD = os.path.join(ROOT, "build")
PLUGIN = os.path.join(BUILD, "profile", "insn_profile.so")
USER_BIN = prof_run.USER_BIN
DEFAULT_POLICY = "heap"          # what the kernel boots without sched= (os/sched/policy.c)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("cmd", metavar="CMD", help='the command line, e.g. "b_coro switch 1000"')
    p.add_argument("--sched", metavar="NAME", help="a built-in policy (default: the kernel's, heap)")
    p.add_argument("--sched-blob", metavar="FILE", help="a policy blob; its symbols come "
                   "from FILE with .elf for .bin, if that exists")
    p.add_argument("--top", type=int, metavar="N", help="show the N biggest rows only")
    p.add_argument("--self", action="store_true", help="run CMD without prof: it marks its "
                   "own sections")
    p.add_argument("--out", default=os.path.join(BUILD, "profile"), metavar="DIR",
                   help="where last.prof and console.log go (default build/profile)")
    p.add_argument("--smp", type=int, default=1, metavar="N",
                   help="harts to boot (default 1).  Under -icount QEMU runs the harts "
                   "in turn on one host thread: every hart's instructions count, a "
                   "hart spinning on a lock the other holds included")
    p.add_argument("--timeout", type=float, default=600, metavar="S",
                   help="seconds the command may take in QEMU (default 600)")
    args = p.parse_args(argv)
    if args.top is not None and args.top < 1:
        p.error("--top takes a number of rows, 1 or more")
    if args.sched and args.sched_blob:
        p.error("give --sched or --sched-blob, not both")
    if not 1 <= args.smp <= 8:
        p.error("--smp takes a number of harts, 1 to 8")
    if args.timeout <= 0:
        p.error("--timeout takes a number of seconds above 0")
    return args


def check_command(cmd):
    """The program's name; a ProfileError if CMD cannot be profiled."""
    return prof_run.check_command(cmd, "b_coro switch 1000", ProfileError)


def policy_elf(args):
    if args.sched_blob:
        elf = re.sub(r"\.bin$", "", args.sched_blob) + ".elf"
        if os.path.isfile(elf):
            return elf
        print(f"profile: no {elf} beside the blob: its functions show as policy:other",
              file=sys.stderr)
        return None
    return os.path.join(BUILD, "sched", f"{args.sched or DEFAULT_POLICY}.elf")


def run_in_qemu(args, line, prof_path, log_path):
    """Boots, runs `line` at the shell, powers off; returns the console."""
    return prof_run.run_with_plugin(
        dict(smp=args.smp, policy=args.sched, sched_blob=args.sched_blob,
             extra_args=["--icount-exact", "--plugin", f"{PLUGIN},out={prof_path}"]),
        line, prof_path, log_path, args.timeout, ProfileError)


def main(argv=None):
    args = parse_args(argv)
    prof_path = os.path.join(args.out, "last.prof")
    log_path = os.path.join(args.out, "console.log")
    try:
        name = check_command(args.cmd)
        for path in (PLUGIN, os.path.join(BUILD, "kernel.elf")):
            if not os.path.isfile(path):
                raise ProfileError(f"{os.path.relpath(path, ROOT)} is missing "
                                   "(make profile builds it)")
        if "," in os.path.abspath(prof_path):
            raise ProfileError(f"--out {args.out}: QEMU's -plugin option cannot take a path "
                               "with a comma; pick another directory")
        os.makedirs(args.out, exist_ok=True)
        line = args.cmd if args.self else f"prof {args.cmd}"
        out = run_in_qemu(args, line, prof_path, log_path)
        sys.stdout.write("".join(f"| {l}\n" for l in out.splitlines()))
        # prof's own complaints (not the command's exit status): no table.
        failed = [l for l in out.splitlines() if l.startswith(("prof: ", "sh: ")) and
                  not re.search(r"exited with status|was ended by the kernel", l)]
        if failed:
            raise ProfileError(f"the command did not run: {failed[0]}")
        policy_file = policy_elf(args)
        report_args = profile_report.parse_args([
            prof_path, "--kernel", os.path.join(BUILD, "kernel.elf"),
            "--runtime", os.path.join(BUILD, "sched", "runtime.elf"),
            "--user", os.path.join(USER_BIN, name),
            "--prof", os.path.join(USER_BIN, "prof"),
        ] + (["--policy", policy_file] if policy_file else [])
          + (["--top", str(args.top)] if args.top else []))
        policy = args.sched_blob or args.sched or f"{DEFAULT_POLICY} (the default)"
        table = profile_report.report(report_args)
        harts = "one hart" if args.smp == 1 else f"{args.smp} harts"
        print(f"profile of {shlex.quote(line)} under {policy}, {harts}, "
              "-icount shift=0,sleep=off:")
        print(table)
    except ProfileError as e:
        hint = ""
        if args.self and "no marked section" in str(e):
            hint = ("\n(with --self, PROFILE_SELF=1, the program must call prof_begin() and "
                    "prof_end() itself; without it prof marks the whole command)")
        print(f"profile: {e}{hint}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
