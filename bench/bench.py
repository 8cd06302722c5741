#!/usr/bin/python3
"""schedos benchmark driver: boots QEMU once per (policy, harts, icount),
runs the benchmark programs in the shell, and writes CSV files, report.md
and PNG plots.  `make bench`, `make bench-quick`; bench/README.md.

Exit status: 0 if every run ended with BENCH-DONE and well-formed result
lines, 1 if any failed (each is listed in the report, its console log
kept), 2 for a bad command line."""
import argparse
import datetime
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [HERE, os.path.join(ROOT, "testsuite")]

from benchlib import configs, csvout, plots, report, timeline  # noqa: E402
from benchlib.contract import WORKLOADS  # noqa: E402
from benchlib.runner import HostRun, Runner  # noqa: E402

DEFAULT_OUT = os.path.join(HERE, "results")


def comma_list(allowed, what):
    def parse(text):
        names = [n.strip() for n in text.split(",") if n.strip()]
        bad = [n for n in names if n not in allowed]
        if bad or not names:
            raise argparse.ArgumentTypeError(
                f"unknown {what} {','.join(bad) or '(none)'}; choose from {','.join(allowed)}")
        return tuple(n for n in allowed if n in names)      # canonical order
    return parse


def sizes(text):
    try:
        values = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        values = ()
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"--sizes takes positive integers, e.g. 16,64; "
                                         f"not {text!r}")
    return values


def positive(text):
    try:
        v = float(text)
    except ValueError:
        v = 0
    if not v > 0:
        raise argparse.ArgumentTypeError(f"not a positive number: {text!r}")
    return v


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog="bench/bench.py", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="make bench ARGS=\"...\" passes these options, e.g.\n"
               "  make bench ARGS=\"--workloads ring,micro --policies heap,fifo --sizes 16,64\"")
    ap.add_argument("--quick", action="store_true",
                    help="small sizes, every workload (make bench-quick; about 3 minutes)")
    ap.add_argument("--workloads", type=comma_list(WORKLOADS, "workload"), default=WORKLOADS,
                    help=f"comma-separated, of {','.join(WORKLOADS)} (default: all)")
    ap.add_argument("--policies", type=comma_list(configs.POLICIES, "policy"),
                    default=configs.POLICIES,
                    help=f"comma-separated, of {','.join(configs.POLICIES)} (default: all); "
                         "the first runs the whole connection sweep")
    ap.add_argument("--sizes", type=sizes, default=(),
                    help="comma-separated integers replacing each workload's size axis: "
                         "ring lengths (ring), the ring length (prings: the largest), "
                         "connection counts (conn), MAXN (policycost: the largest); "
                         "prio and micro have none")
    ap.add_argument("--out", default=DEFAULT_OUT, metavar="DIR",
                    help="where CSV, report.md, plots and logs go (default: bench/results)")
    ap.add_argument("--timeout-factor", type=positive, default=1.0, metavar="F",
                    help="multiply every run's timeout by F (a slow host; default 1)")
    ap.add_argument("--mem", default="256M", help="guest RAM (default 256M)")
    ap.add_argument("--no-host", action="store_true",
                    help="skip the host's policy cost (make policycost-host)")
    ap.add_argument("--no-timelines", action="store_true",
                    help="skip the timeline PNGs (bench/trace.py)")
    ap.add_argument("--dry-run", action="store_true",
                    help="list the runs and boots, run nothing")
    ap.add_argument("--report-only", action="store_true",
                    help="make report.md and the plots again from the CSV files in --out")
    return ap.parse_args(argv)


def git_describe():
    try:
        return subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                              capture_output=True, text=True, timeout=30).stdout.strip() or "unknown"
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


def qemu_version():
    try:
        out = subprocess.run(["qemu-system-riscv64", "--version"], capture_output=True,
                             text=True, timeout=30).stdout
        return out.split("\n")[0].replace("QEMU emulator version ", "").strip() or "unknown"
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


def write_report(out_dir, warn=print):
    """report.md and the plots from the files in out_dir; returns the
    number of failed runs recorded there."""
    rows, failures, meta = csvout.read_all(out_dir)
    notes = list(meta.get("notes", ()))
    made = plots.plot_all(rows, out_dir, warn=lambda m: (notes.append(m), warn(m)))
    text = report.render(rows, failures, meta, plots=made,
                         timelines=meta.get("timelines"), notes=notes)
    with open(os.path.join(out_dir, "report.md"), "w") as f:
        f.write(text)
    return len(failures)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    out_dir = os.path.abspath(args.out)
    if args.report_only:
        if not os.path.isfile(os.path.join(out_dir, "meta.json")):
            print(f"bench: no results in {out_dir} (meta.json missing): run the benchmarks first",
                  file=sys.stderr)
            return 2
        failed = write_report(out_dir)
        print(f"bench: wrote {os.path.join(out_dir, 'report.md')}")
        if failed:
            print(f"bench: {failed} runs FAILED (listed in the report)", file=sys.stderr)
        return 1 if failed else 0

    sel = configs.Selection(quick=args.quick, workloads=args.workloads,
                            policies=args.policies, sizes=args.sizes)
    runs = configs.plan_runs(sel)
    host = None if args.no_host or "policycost" not in sel.workloads else HostRun()
    boots = len({r.boot for r in runs})
    if args.dry_run:
        for i, r in enumerate(runs, 1):
            print(f"[{i}/{len(runs)}] {r.describe()}  (timeout {r.timeout} s)")
        if host:
            print(f"[host] {host.command}")
        print(f"bench: {len(runs)} runs in {boots} boots")
        return 0

    # A bad --mem is refused now, not by every boot after it.
    check = subprocess.run([os.path.join(ROOT, "scripts", "run-qemu.sh"), "--mem", args.mem,
                            "--check-options"], capture_output=True, text=True)
    if check.returncode != 0:
        print(f"bench: --mem: {check.stderr.strip()}", file=sys.stderr)
        return 2
    cores = os.cpu_count() or 1
    meta = {"commit": git_describe(), "qemu": qemu_version(), "host_cores": cores,
            "mode": "quick" if args.quick else "full",
            "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
            "policies": list(sel.policies), "workloads": list(sel.workloads),
            "command": "bench/bench.py " + " ".join(argv if argv is not None else sys.argv[1:]),
            "notes": []}
    if "conn" in sel.workloads and not args.quick and len(sel.policies) > 1:
        meta["notes"].append(f"Long connections: the whole sweep under {sel.policies[0]}, "
                             f"a subset under {', '.join(sel.policies[1:])}.")
    os.makedirs(out_dir, exist_ok=True)
    logs = os.path.join(out_dir, "logs")
    # Logs of an earlier run would be taken for this run's: ours, removed.
    shutil.rmtree(logs, ignore_errors=True)
    print(f"bench: {len(runs)} runs in {boots} boots, {meta['mode']}, "
          f"policies {','.join(sel.policies)}; results in {out_dir}", flush=True)
    runner = Runner(logs, host_cores=cores, timeout_factor=args.timeout_factor, mem=args.mem)
    results = runner.run_all(runs, host_run=host, root=ROOT)
    if runner.interrupted:
        meta["notes"].append(f"Interrupted (Ctrl-C) after {len(results)} of {len(runs)} runs: "
                             "the rest were not made.")
    meta["notes"] += [r.skipped for r in results if r.skipped]
    if "policycost" in sel.workloads and args.no_host:
        meta["notes"].append("Host policy cost skipped (--no-host).")

    if runner.interrupted:
        meta["timeline_note"] = "No timelines: the run was interrupted."
    elif args.no_timelines:
        meta["timeline_note"] = "Timelines skipped (--no-timelines)."
    else:
        meta["timelines"], meta["timeline_note"] = timeline.make_timelines(
            ROOT, out_dir, sel.policies, sys.executable, timeout_factor=args.timeout_factor)

    status = finish(results, meta, out_dir)
    return 130 if runner.interrupted else status


def finish(results, meta, out_dir, err=None):
    """CSV files, report and plots from the runs' results; the exit status:
    1 if any run failed, each named on stderr (and in the report)."""
    err = err or sys.stderr
    rows = csvout.rows_of(results, meta)
    failures = csvout.failure_rows(results, out_dir)
    csvout.write_all(out_dir, rows, failures, meta)
    write_report(out_dir)
    print(f"bench: wrote {os.path.join(out_dir, 'report.md')} and the CSV files beside it")
    if failures:
        print(f"bench: {len(failures)} of {len(results)} runs FAILED:", file=err)
        for f in failures:
            print(f"  {f['policy']} smp={f['harts']} {f['command']}: {f['problems']}"
                  + (f" (log: {os.path.join(out_dir, f['log'])})" if f["log"] else ""),
                  file=err)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
