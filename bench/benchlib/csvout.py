"""The CSV files: one per workload (RESULTS/<workload>.csv), a row per
BENCH line, with what the figure was measured on (commit, QEMU, host
cores, policy, harts, icount, oversubscribed) before the line's own
parameters and figures; failures.csv, a row per failed run; meta.json,
how the whole run was made.  The report and plots are made from these
files only, so they can be made again (bench.py --report-only)."""
import csv
import json
import os

from .contract import REQUIRED_KEYS, WORKLOADS

META_COLUMNS = ("commit", "qemu", "host_cores", "policy", "harts", "icount",
                "oversubscribed")
FAILURE_COLUMNS = ("policy", "harts", "icount", "command", "problems", "log")


def rows_of(results, meta):
    """workload -> rows (dicts), from runner Results."""
    rows = {}
    seen = set()
    for res in results:
        if res.failed:
            # What a failed run printed before it failed is in its log,
            # not among the figures: a crashed ring's partial time is no
            # ring time.
            continue
        run = res.run
        for workload, fields in res.records:
            row = {"commit": meta["commit"], "qemu": meta["qemu"],
                   "host_cores": meta["host_cores"],
                   "policy": run.policy, "harts": run.harts if run.harts else "",
                   "icount": int(run.icount) if run.harts else "",
                   "oversubscribed": int(res.oversubscribed)}
            # A program that names the policy it measured (b_policy, the
            # host program) is believed over the boot's.
            row.update(fields)
            if workload == "policycost":
                key = (row["where"], row["policy"], row["n"], row["op"])
                if key in seen:             # the same figure from two boots
                    continue
                seen.add(key)
            rows.setdefault(workload, []).append(row)
    return rows


def columns_of(workload, rows):
    cols = list(META_COLUMNS) + [k for k in REQUIRED_KEYS[workload] if k not in META_COLUMNS]
    for row in rows:
        cols += [k for k in row if k not in cols]
    return cols


def write_all(out_dir, rows, failures, meta):
    """Writes every CSV (an empty workload's file is removed: no stale
    figures from an earlier run) and meta.json; returns the paths."""
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for workload in WORKLOADS:
        path = os.path.join(out_dir, f"{workload}.csv")
        if workload not in rows:
            if os.path.exists(path):
                os.remove(path)
            continue
        with open(path, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=columns_of(workload, rows[workload]))
            w.writeheader()
            w.writerows(rows[workload])
        paths.append(path)
    path = os.path.join(out_dir, "failures.csv")
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FAILURE_COLUMNS)
        w.writeheader()
        w.writerows(failures)
    paths.append(path)
    path = os.path.join(out_dir, "meta.json")
    with open(path, "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
    paths.append(path)
    return paths


def failure_rows(results, out_dir):
    return [{"policy": r.run.policy, "harts": r.run.harts or "",
             "icount": int(r.run.icount), "command": r.run.command,
             "problems": "; ".join(r.problems),
             "log": os.path.relpath(r.log, out_dir) if r.log else ""}
            for r in results if r.failed]


def number(text):
    try:
        return int(text)
    except (TypeError, ValueError):
        return text


def read_all(out_dir):
    """(rows, failures, meta) as write_all wrote them; integers back as int."""
    rows = {}
    for workload in WORKLOADS:
        path = os.path.join(out_dir, f"{workload}.csv")
        if os.path.exists(path):
            with open(path, newline="") as f:
                rows[workload] = [{k: number(v) for k, v in r.items()}
                                  for r in csv.DictReader(f)]
    failures = []
    path = os.path.join(out_dir, "failures.csv")
    if os.path.exists(path):
        with open(path, newline="") as f:
            failures = list(csv.DictReader(f))
    meta = {}
    path = os.path.join(out_dir, "meta.json")
    if os.path.exists(path):
        with open(path) as f:
            meta = json.load(f)
    return rows, failures, meta
