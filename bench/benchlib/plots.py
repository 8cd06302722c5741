"""PNG plots (matplotlib, Agg: no display needed), one file per workload
under the output folder; the report embeds them.  Made from the same rows
as the report."""
import os

from . import published
from .report import cost_unit, policies_in, ring_ms

STYLE = {"thread": "-", "coro": "--"}


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _save(plt, fig, out_dir, name):
    path = os.path.join(out_dir, name)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return name


def ring_plot(plt, rows, out_dir):
    pols = policies_in(rows)
    fig, axes = plt.subplots(1, len(pols), figsize=(4.5 * len(pols), 4), squeeze=False)
    for ax, p in zip(axes[0], pols):
        for mode in ("thread", "coro"):
            for size in sorted({r["size"] for r in rows}):
                pts = sorted((r["len"], ring_ms(r)) for r in rows
                             if r["policy"] == p and r["mode"] == mode and r["size"] == size)
                if len(pts) > 0:
                    ax.plot(*zip(*pts), STYLE[mode], marker="o", ms=3,
                            label=f"{mode} {size} B")
        for (mode, size), pub in published.RING_SERIES.items():
            ax.plot(list(pub), list(pub.values()), STYLE[mode], color="black", lw=0.8,
                    marker="x" if mode == "thread" else "+", ms=7,
                    label=f"published {mode} {size} B")
        ax.set(title=f"ring, {p}", xlabel="ring length", ylabel="ms per lap",
               xscale="log", yscale="log")
        ax.legend(fontsize=6)
    return [_save(plt, fig, out_dir, "ring.png")]


def prings_plot(plt, rows, out_dir):
    fig, ax = plt.subplots(figsize=(5, 4))
    for p in policies_in(rows):
        mine = {r["workers"]: r["us"] for r in rows if r["policy"] == p}
        if 1 in mine:
            pts = sorted((w, mine[1] / us) for w, us in mine.items() if us)
            ax.plot(*zip(*pts), marker="o", label=p)
    top = max(r["workers"] for r in rows)
    ax.plot([1, top], [1, top], ":", color="grey", label="linear")
    ax.plot([4], [published.PRINGS_SPEEDUP_4], "kx", ms=8, label="published")
    ax.set(title="parallel rings", xlabel="workers (= harts)", ylabel="speedup over 1 worker")
    ax.legend(fontsize=7)
    return [_save(plt, fig, out_dir, "prings.png")]


def prio_plot(plt, rows, out_dir):
    # The heaviest load (the shortest period, then the biggest matrix) on
    # the fewest harts: the published figure is for a saturated server on
    # one core.
    period, msize = min((r["period_ms"], -r["msize"]) for r in rows)
    harts = min(r["harts"] for r in rows)
    rows = [r for r in rows if (r["period_ms"], -r["msize"], r["harts"]) == (period, msize, harts)]
    msize = -msize
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4))
    configs = sorted({(r["policy"], r["harts"], r["server"]) for r in rows})
    for cfg in configs:
        mine = sorted((r["level"], r["replies"], r["lat_p99_us"]) for r in rows
                      if (r["policy"], r["harts"], r["server"]) == cfg)
        label = f"{cfg[0]} smp={cfg[1]} {cfg[2]}"
        rank = range(len(mine))             # 0: the highest level, as published
        a1.plot(rank, [m[1] for m in mine], marker="o", ms=3, label=label)
        a2.plot(rank, [m[2] for m in mine], marker="o", ms=3, label=label)
    pub = published.PRIO_THROUGHPUT_1CORE
    a1.plot(range(len(pub)), pub, ":", color="black", marker="x", label="published, 1 core")
    a1.set(title=f"replies per level ({period} ms, msize {msize}, smp={harts})",
           xlabel="level, highest first", ylabel="replies")
    a2.set(title="latency per priority level", xlabel="level, highest first",
           ylabel="p99 latency, µs", yscale="log")
    a1.legend(fontsize=6)
    return [_save(plt, fig, out_dir, "prio.png")]


def conn_plot(plt, rows, out_dir):
    # The period and size every policy ran (the first of each sweep).
    period = min(r["period_ms"] for r in rows)
    msize = min(r["msize"] for r in rows)
    mine = [r for r in rows if r["period_ms"] == period and r["msize"] == msize]
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    figs = (("replies per second", lambda r: r["replies"] / max(r["secs"], 1)),
            ("p99 latency, µs", lambda r: r["lat_p99_us"]),
            ("memory per connection, bytes", lambda r: r["mem_per_conn_bytes"]))
    for ax, (label, fig_of) in zip(axes, figs):
        for i, p in enumerate(policies_in(mine)):
            for server in ("thread", "coro"):     # a colour per policy, a line per server
                pts = sorted((r["conns"], fig_of(r)) for r in mine
                             if r["policy"] == p and r["server"] == server)
                if pts:
                    ax.plot(*zip(*pts), STYLE[server], color=f"C{i}", marker="o", ms=3,
                            label=f"{p} {server}")
        ax.set(title=f"{label} (period {period} ms, msize {msize})", xlabel="connections",
               ylabel=label, xscale="log")
    axes[0].legend(fontsize=6)
    return [_save(plt, fig, out_dir, "conn.png")]


def policycost_plot(plt, rows, out_dir):
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, where in zip(axes, ("guest", "host")):
        unit = cost_unit([r for r in rows if r["where"] == where])
        mine = [r for r in rows if r["where"] == where and r.get(unit) not in (None, "")]
        for p in policies_in(mine) if mine else ():
            for op in sorted({r["op"] for r in mine}):
                pts = sorted((r["n"], r[unit]) for r in mine if r["policy"] == p and r["op"] == op)
                ax.plot(*zip(*pts), marker="o", ms=3, label=f"{p} {op}")
        # Log scale: an O(n) operation would flatten the O(1) and O(log n) ones.
        ax.set(title=f"policy cost, {where}", xlabel="tasks queued (n)", ylabel=unit,
               xscale="log", yscale="log")
        if mine:
            ax.legend(fontsize=6)
        else:
            ax.text(0.5, 0.5, "no figures", ha="center", transform=ax.transAxes)
    return [_save(plt, fig, out_dir, "policycost.png")]


PLOTTERS = {"ring": ring_plot, "prings": prings_plot, "conn": conn_plot,
            "prio": prio_plot, "policycost": policycost_plot}


def plot_all(rows, out_dir, warn=print):
    """workload -> [PNG names relative to out_dir].  A plot that cannot be
    made is named in a warning, not fatal: the CSV and tables hold the
    figures."""
    plt = _pyplot()
    made = {}
    for workload, plot in PLOTTERS.items():
        if rows.get(workload):
            try:
                made[workload] = plot(plt, rows[workload], out_dir)
            except Exception as e:          # noqa: BLE001 - reported, not hidden
                warn(f"bench: plot {workload} failed: {type(e).__name__}: {e}")
                plt.close("all")
    return made
