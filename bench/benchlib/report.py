"""report.md: one section per workload, the policies side by side, the
published figures beside ours as ratios, the plots, and first of all the
runs that failed.  Made from the CSV files (csvout.read_all)."""
import os

from . import published, targets
from .configs import POLICIES

OVER = "*"                          # marks a figure from an oversubscribed run


def fmt(x, digits=2):
    if x is None or x == "":
        return "–"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def ratio(a, b):
    if a in (None, "") or b in (None, "", 0):
        return None
    return a / b


def table(headers, body):
    lines = ["| " + " | ".join(headers) + " |",
             "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(fmt(c) for c in row) + " |" for row in body]
    return "\n".join(lines) + "\n"


def policies_in(rows):
    names = {r["policy"] for r in rows}
    return [p for p in POLICIES if p in names] + sorted(names - set(POLICIES))


def index(rows, key):
    """key(row) -> row (the last one wins: a repeated run)."""
    return {key(r): r for r in rows}


def mark(value, row):
    if value is None or row is None or not row.get("oversubscribed"):
        return value
    return f"{fmt(value)}{OVER}"


# -- rings ----------------------------------------------------------------
def ring_ms(row):
    """Milliseconds per lap: one pass of the token round the ring."""
    return row["us"] / row["laps"] / 1000 if row and row.get("laps") else None


def ring_section(rows, plots):
    out = ["## Token rings (`b_ring`)\n",
           "Milliseconds per lap (one pass of the token round the ring), "
           "thread and coroutine rings; *coro/thread* below 1 means coroutines "
           "are faster.  The published series (QEMU, 4 harts) is the "
           "synchronous 1-byte ring for threads and the asynchronous 3876-byte "
           "ring for coroutines; *ours/pub* is our time over theirs.\n"]
    pols = policies_in(rows)
    by = index(rows, lambda r: (r["policy"], r["mode"], r["size"], r["len"]))
    for size in sorted({r["size"] for r in rows}):
        lengths = sorted({r["len"] for r in rows if r["size"] == size})
        series = {mode: published.RING_SERIES.get((mode, size)) for mode in ("thread", "coro")}
        headers = ["len"]
        for mode, pub in series.items():
            if pub:
                headers.append(f"published {mode} ms")
        for p in pols:
            headers += [f"{p} thread", f"{p} coro", f"{p} coro/thread"]
            headers += [f"{p} {mode} ours/pub" for mode, pub in series.items() if pub]
        body = []
        for n in lengths:
            line = [n] + [pub.get(n) for pub in series.values() if pub]
            for p in pols:
                t, c = by.get((p, "thread", size, n)), by.get((p, "coro", size, n))
                tm, cm = ring_ms(t), ring_ms(c)
                line += [mark(tm, t), mark(cm, c), ratio(cm, tm)]
                line += [ratio(ring_ms(by.get((p, mode, size, n))), pub.get(n))
                         for mode, pub in series.items() if pub]
            body.append(line)
        out.append(f"### {size}-byte token\n\n" + table(headers, body))
    out += plot_lines(plots, "ring")
    return out


# -- parallel rings ---------------------------------------------------------
def prings_section(rows, plots):
    out = ["## Parallel rings (`b_prings`)\n",
           f"Rings run at once by 1 to 4 workers on as many harts; time in ms "
           f"and speedup over one worker.  Published: {published.PRINGS_SPEEDUP_4}x "
           f"with 4 workers on 4 harts; the target here is {targets.PRINGS_SPEEDUP_2}x with 2 "
           f"workers on 2 harts.  {OVER}: more harts than host cores "
           f"(oversubscribed: the speedup is capped by the host, not the kernel).\n"]
    pols = policies_in(rows)
    by = index(rows, lambda r: (r["policy"], r["workers"]))
    workers = sorted({r["workers"] for r in rows})
    headers = ["workers", "published ms", "published speedup"]
    for p in pols:
        headers += [f"{p} ms", f"{p} speedup"]
    body = []
    pub = published.PRINGS_MS
    for w in workers:
        line = [w, pub.get(w), ratio(pub.get(1), pub.get(w))]
        for p in pols:
            r, one = by.get((p, w)), by.get((p, 1))
            line += [mark(r["us"] / 1000 if r else None, r),
                     mark(ratio(one and one["us"], r and r["us"]), r)]
        body.append(line)
    out.append(table(headers, body))
    out += prings_ranges(rows, pols, workers, by)
    out += plot_lines(plots, "prings")
    return out


def prings_ranges(rows, pols, workers, by):
    """Each point's range when it is a median of several runs (b_prings -r)."""
    runs = sorted({r.get("runs") for r in rows if isinstance(r.get("runs"), int) and r["runs"] > 1})
    if not runs:
        return []
    each = " or ".join(str(n) for n in runs)
    body = []
    for w in workers:
        line = [w]
        for p in pols:
            r = by.get((p, w))
            line.append(f"{r['us_min'] / 1000:.1f}-{r['us_max'] / 1000:.1f}"
                        if r and isinstance(r.get("us_min"), int) else None)
        body.append(line)
    return [f"Each time above is the median of {each} runs in one boot, after one more "
            f"left out (`b_prings -r`); the range of each point, min-max ms:\n",
            table(["workers"] + [f"{p} range ms" for p in pols], body)]


# -- long connections ---------------------------------------------------------
def conn_section(rows, plots):
    out = ["## Long connections (`b_conn`)\n",
           "Clients send a message every period; the server (threads or "
           "coroutines) answers.  Replies per second, 99th-percentile latency "
           "(µs) and memory per connection (bytes); *c/t* is coroutines over "
           "threads.  The first policy runs the whole sweep, the others a "
           "subset (one period and size, fewer counts): missing cells are runs "
           "not made.\n"]
    pols = policies_in(rows)
    by = index(rows, lambda r: (r["policy"], r["server"], r["period_ms"], r["msize"],
                                r["conns"]))
    keys = sorted({(r["period_ms"], r["msize"], r["conns"]) for r in rows})
    out += published_conn_128(pols, by, keys)
    figures = (("Replies per second", lambda r: r["replies"] // max(r["secs"], 1)),
               ("Latency p99, µs", lambda r: r["lat_p99_us"]),
               ("Memory per connection, bytes", lambda r: r["mem_per_conn_bytes"]))
    for title, fig in figures:
        headers = ["period ms", "msize", "conns"]
        for p in pols:
            headers += [f"{p} thread", f"{p} coro", f"{p} c/t"]
        body = []
        for period, msize, n in keys:
            line = [period, msize, n]
            for p in pols:
                t, c = by.get((p, "thread", period, msize, n)), by.get((p, "coro", period, msize, n))
                tv, cv = (fig(t) if t else None), (fig(c) if c else None)
                line += [tv, cv, ratio(cv, tv)]
            body.append(line)
        out.append(f"### {title}\n\n" + table(headers, body))
    out += plot_lines(plots, "conn")
    return out


def published_conn_128(pols, by, keys):
    """Our 128-connection runs beside the published ones (a request every
    50 ms, 5 s; replies and mean latency): coroutines over threads."""
    pub = published.CONN_128
    ours = [(period, msize) for period, msize, n in keys if n == 128 and period == 50]
    if not ours:
        return []
    headers = ["who", "thread replies", "coro replies", "c/t replies",
               "thread mean µs", "coro mean µs", "c/t mean latency"]
    (tr, tl), (cr, cl) = pub["thread"], pub["coro"]
    body = [["published", tr, cr, ratio(cr, tr), tl, cl, ratio(cl, tl)]]
    for p in pols:
        for period, msize in ours:
            t = by.get((p, "thread", period, msize, 128))
            c = by.get((p, "coro", period, msize, 128))
            if not (t or c):
                continue
            tr, cr = t and t["replies"], c and c["replies"]
            tl, cl = t and t["lat_mean_us"], c and c["lat_mean_us"]
            body.append([f"{p} msize={msize}", tr, cr, ratio(cr, tr), tl, cl, ratio(cl, tl)])
    return ["### 128 connections beside the published figures\n\n" + table(headers, body)]


# -- priorities -----------------------------------------------------------------
def prio_section(rows, plots):
    out = ["## Priority levels (`b_conn -p`)\n",
           "Connections spread over priority levels, the first the highest; "
           "replies per level over the run.  Published (one core): "
           + "/".join(str(x) for x in published.PRIO_THROUGHPUT_1CORE)
           + " (eight figures as published, for seven levels; set beside ours "
           "by rank, highest first).  The last row is the best level over the "
           "worst.  One table per load (a request every *period* ms per "
           "connection, a *msize* matrix product each): the published load "
           "saturated their server, not ours, so a heavier one is run too.\n"]
    loads = sorted({(r["period_ms"], r["msize"]) for r in rows}, reverse=True)
    for period, msize in loads:
        mine = [r for r in rows if (r["period_ms"], r["msize"]) == (period, msize)]
        out += prio_tables(mine, f"period {period} ms, msize {msize}")
    out += plot_lines(plots, "prio")
    return out


def prio_tables(rows, load):
    out = []
    configs = sorted({(r["policy"], r["harts"], r["server"]) for r in rows},
                     key=lambda k: (policies_in(rows).index(k[0]), k[1], k[2]))
    by = index(rows, lambda r: (r["policy"], r["harts"], r["server"], r["level"]))
    levels = sorted({r["level"] for r in rows})
    for title, fig in (("Replies", "replies"), ("Latency p99, µs", "lat_p99_us")):
        headers = ["level"] + (["published 1 core"] if fig == "replies" else [])
        headers += [f"{p} smp={h} {s} (prio)" for p, h, s in configs]
        body = []
        for i, lv in enumerate(levels):         # i: the level's rank, 0 the highest
            line = [lv]
            if fig == "replies":
                pub = published.PRIO_THROUGHPUT_1CORE
                line.append(pub[i] if i < len(pub) else None)
            line += [f"{mark(by[(p, h, s, lv)][fig], by[(p, h, s, lv)])} "
                     f"({by[(p, h, s, lv)]['prio']})"
                     if (p, h, s, lv) in by else None for p, h, s in configs]
            body.append(line)
        if fig == "replies":
            pub = published.PRIO_THROUGHPUT_1CORE
            line = ["best/worst", ratio(max(pub), min(pub))]
            for cfg in configs:
                vals = [by[cfg + (lv,)]["replies"] for lv in levels if cfg + (lv,) in by]
                line.append(ratio(max(vals), min(vals)) if vals and min(vals) else None)
            body.append(line)
        out.append(f"### {title}: {load}\n\n" + table(headers, body))
    return out


# -- micro-benchmarks and policy cost -------------------------------------------
def micro_section(rows, plots):
    out = ["## Micro-benchmarks (`b_micro`)\n",
           "Instructions (`rdinstret` under `-icount shift=0`, one hart) as "
           "printed (`instr=`), with the iterations they were taken over.\n"]
    pols = policies_in(rows)
    by = index(rows, lambda r: (r["policy"], r["op"]))
    ops = list(dict.fromkeys(r["op"] for r in rows))
    headers = ["op"] + [f"{p} instr" for p in pols] + ["iters", "target (heap)", "met"]
    body = []
    for op in ops:
        heap = by.get(("heap", op))
        goal = targets.MICRO_HEAP.get(op)
        met = None if goal is None or heap is None else \
            ("yes" if int(heap["instr"]) <= goal else "no")
        body.append([op] + [by[(p, op)]["instr"] if (p, op) in by else None for p in pols]
                    + [next(r["iters"] for r in rows if r["op"] == op), goal, met])
    out.append(table(headers, body))
    out.append(f"Targets are issue 13's (bench/benchlib/targets.py); under fifo the "
               f"user-mode switch's is {targets.MICRO_FIFO['uswitch']}.\n")
    return out


def policycost_section(rows, plots):
    out = ["## Policy cost against queue length (`b_policy`, host)\n",
           "Each policy's operations with n tasks queued: instructions in the "
           "guest (one hart, `-icount shift=0`), time on the host (ps or ns, "
           "as the host program prints it).\n"]
    pols = policies_in(rows)
    for where in ("guest", "host"):
        mine = [r for r in rows if r["where"] == where]
        unit = cost_unit(mine)
        if not mine:
            out.append(f"### {where}\n\nNo figures.\n")
            continue
        by = index(mine, lambda r: (r["policy"], r["op"], r["n"]))
        keys = sorted({(r["op"], r["n"]) for r in mine})
        headers = ["op", "n"] + [f"{p} {unit}" for p in pols]
        body = [[op, n] + [by[(p, op, n)].get(unit) if (p, op, n) in by else None
                           for p in pols] for op, n in keys]
        out.append(f"### {where}\n\n" + table(headers, body))
    out += plot_lines(plots, "policycost")
    return out


COST_UNITS = ("instr", "ps", "ns")


def cost_unit(rows):
    """The figure's key in policycost rows: instr (guest), ps or ns (host)."""
    for unit in COST_UNITS:
        if any(r.get(unit) not in (None, "") for r in rows):
            return unit
    return "instr"


SECTIONS = (("ring", ring_section), ("prings", prings_section), ("conn", conn_section),
            ("prio", prio_section), ("micro", micro_section),
            ("policycost", policycost_section))


def plot_lines(plots, workload):
    return [f"![{workload}: {os.path.splitext(os.path.basename(p))[0]}]({p})\n"
            for p in plots.get(workload, ())]


def failures_section(failures):
    if not failures:
        return ["## Failures\n", "None: every run ended with BENCH-DONE and "
                "printed only well-formed result lines.\n"]
    body = [[f["policy"], f["harts"], f["icount"], f"`{f['command']}`", f["problems"],
             f"[{f['log']}]({f['log']})" if f["log"] else "–"] for f in failures]
    return ["## Failures\n",
            f"**{len(failures)} run(s) FAILED** (the driver exits with status 1).  "
            "Their console logs are kept beside this report.\n",
            table(["policy", "harts", "icount", "command", "problems", "log"], body)]


def notes_section(notes):
    return ["## Notes\n"] + [f"- {n}\n" for n in notes] if notes else []


def render(rows, failures, meta, plots=None, timelines=None, notes=()):
    """The report's text.  plots: workload -> [relative PNG paths];
    timelines: policy -> relative PNG path."""
    plots = plots or {}
    head = [f"# schedos benchmarks ({meta.get('mode', '?')})\n",
            table(["commit", "QEMU", "host cores", "date", "policies", "command"],
                  [[meta.get("commit"), meta.get("qemu"), meta.get("host_cores"),
                    meta.get("date"), " ".join(meta.get("policies", ())),
                    f"`{meta.get('command', '')}`"]]),
            f"{OVER} marks a figure from a run with more harts than host cores "
            "(oversubscribed).\n"]
    parts = head + failures_section(failures) + notes_section(list(notes))
    for workload, section in SECTIONS:
        if rows.get(workload):
            parts += section(rows[workload], plots)
    parts.append("## Timelines\n")
    if timelines:
        order = sorted(timelines, key=lambda p: (p not in POLICIES,
                                                 POLICIES.index(p) if p in POLICIES else 0, p))
        parts += [f"### {p}\n\n![timeline {p}]({timelines[p]})\n" for p in order]
    else:
        parts.append(meta.get("timeline_note", "No timelines were made.") + "\n")
    return "\n".join(parts)
