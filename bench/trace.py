#!/usr/bin/env python3
"""A scheduling timeline of one short run: Chrome trace JSON and a PNG.

    bench/trace.py --policy P --smp N --cmd "PROGRAM ARGS" --json OUT.json --png OUT.png
    bench/trace.py --from-dump DUMP.txt --json OUT.json [--png OUT.png]

Boots schedos in QEMU (the test harness's Machine: scripts/run-qemu.sh),
runs `trace clear`, `trace on`, the command, `trace off` and `trace dump`
at the shell, and turns the dump (format in user/programs/trace.c) into:

  - Chrome trace-event JSON (open it in https://ui.perfetto.dev or
    chrome://tracing): one process "schedos"; for each hart a track
    "hart N" whose slices ("ph": "X") are the threads it ran, named
    "PROGRAM pid:tid" (or "idle"), and a track "hart N coroutines" whose
    slices are the coroutine polls made there; a user-mode switch is also
    an instant event ("ph": "i") on its hart's track.  Times are in
    microseconds from the first event.
  - a PNG (matplotlib, Agg): one row per hart, one below it for its
    coroutines, a colour per thread and per coroutine, a legend.

`--from-dump` converts a saved dump without booting (the same conversion).
`make trace CMD="..." SCHED= SMP=` calls this script; bench/README.md
("A scheduling timeline: make trace") describes the events.

What the dump holds and how it becomes slices:
  run      the kernel put thread TID of PID on HART (PID 0: the idle thread)
  uswitch  the process's runtime switched from TID to thread ARG in user
           mode, without the kernel (recorded in the process's own ring,
           copied in by the kernel when the process exited)
  poll / polled   thread TID began / ended a poll of coroutine ARG
  name     PID is called NAME;  lost: ARG events of PID's ring were lost
A hart runs a thread from its `run` (or accepted `uswitch`) until the next
one on that hart.  A process's ring is its own memory: the kernel drops
entries that are garbage, and this script takes a `uswitch` only where the
hart was running a thread of that process, so a hostile process can mislabel
only its own time, never another's, and the file stays valid.
"""
import argparse
import bisect
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COROUTINE_TRACK = 100          # tid of "hart N coroutines": COROUTINE_TRACK + N
KINDS = {"run", "name", "uswitch", "poll", "polled", "lost"}
DEFAULT_ENTRIES = 65536        # trace=ENTRIES for the run


class DumpError(Exception):
    """The console did not hold a whole dump."""


def parse_dump(text):
    """The header's fields and the events of a `trace dump`, in dump order.
    Lines that are not part of the dump (the console's echo, other output)
    are skipped; a dump without its BEGIN and END lines is an error."""
    header, events, ended = None, [], False
    for line in text.replace("\r", "").split("\n"):
        line = line.strip()
        if line.startswith("TRACE-BEGIN"):
            header = dict(w.split("=", 1) for w in line.split()[1:] if "=" in w)
            header = {k: int(v) for k, v in header.items() if v.isdigit()}
            events, ended = [], False
        elif line.startswith("TRACE-END") and header is not None:
            ended = True
        elif line.startswith("tl ") and header is not None and not ended:
            w = line.split()
            if len(w) < 7 or w[1] not in KINDS:
                continue
            try:
                when, hart, pid, tid, arg = (int(x) for x in w[2:7])
            except ValueError:
                continue
            events.append({"kind": w[1], "when": when, "hart": hart, "pid": pid,
                           "tid": tid, "arg": arg,
                           "name": w[7] if len(w) > 7 else ""})
    if header is None or not ended:
        raise DumpError("no complete trace dump (TRACE-BEGIN ... TRACE-END) in the output")
    for key in ("timebase_hz", "harts"):
        if not header.get(key):
            raise DumpError(f"TRACE-BEGIN has no {key}")
    return header, events


def build_timeline(header, events):
    """Slices per hart from the events: a dict with
    threads: {hart: [(start, end, pid, tid, via)]} (via: "kernel" or "user"),
    coroutines: {hart: [(start, end, pid, tid, cid)]},
    uswitches: [(when, hart, pid, from_tid, to_tid)] (the accepted ones),
    names: {pid: [(when, name)]} (a process that execs changes its name),
    lost: {pid: count}, t0, t_end (ticks)."""
    nharts = header["harts"]
    names, lost = {}, {}
    order = sorted(range(len(events)), key=lambda i: (events[i]["when"], i))
    timed = [events[i] for i in order if events[i]["kind"] in ("run", "uswitch")]
    if not events:
        return {"threads": {}, "coroutines": {}, "uswitches": [], "names": {},
                "lost": {}, "t0": 0, "t_end": 0, "nharts": nharts}
    t0 = min(e["when"] for e in events)
    t_end = max(e["when"] for e in events)
    for e in events:
        if e["kind"] == "name":
            names.setdefault(e["pid"], []).append((e["when"], e["name"]))
        elif e["kind"] == "lost":
            lost[e["pid"]] = lost.get(e["pid"], 0) + e["arg"]

    threads = {h: [] for h in range(nharts)}
    current = {}                     # hart -> [start, pid, tid, via]
    uswitches = []
    for e in timed:
        h = e["hart"]
        if not 0 <= h < nharts:
            continue
        if e["kind"] == "run":
            new = (e["pid"], e["tid"], "kernel")
        else:
            cur = current.get(h)
            # Only where the hart runs that process already: a process's
            # ring speaks for its own time alone.
            if cur is None or cur[1] != e["pid"] or e["pid"] == 0:
                continue
            new = (e["pid"], e["arg"], "user")
            uswitches.append((e["when"], h, e["pid"], e["tid"], e["arg"]))
        cur = current.get(h)
        if cur and (cur[1], cur[2]) == new[:2]:
            continue                 # the same thread goes on
        if cur and e["when"] > cur[0]:
            threads[h].append((cur[0], e["when"], cur[1], cur[2], cur[3]))
        current[h] = [e["when"], *new]
    for h, cur in current.items():
        if t_end > cur[0]:
            threads[h].append((cur[0], t_end, cur[1], cur[2], cur[3]))

    def hart_running(pid, tid, when, fallback):
        for h, slices in threads.items():
            for s in slices:
                if s[0] <= when < s[1] and s[2] == pid and s[3] == tid:
                    return h
        return fallback

    coroutines = {h: [] for h in range(nharts)}
    open_polls = {}                  # (pid, tid) -> (when, cid, hart)
    for i in order:
        e = events[i]
        key = (e["pid"], e["tid"])
        if e["kind"] == "poll":
            open_polls[key] = (e["when"], e["arg"], e["hart"])
        elif e["kind"] == "polled":
            begun = open_polls.pop(key, None)
            if begun is None or begun[1] != e["arg"] or e["when"] < begun[0]:
                continue             # unmatched: its other half was lost
            h = hart_running(e["pid"], e["tid"], begun[0], begun[2])
            if 0 <= h < nharts:
                coroutines[h].append((begun[0], e["when"], e["pid"], e["tid"], e["arg"]))
    # One hart polls one coroutine at a time; a hint that disagrees (a stale
    # hart in a record) must not make two slices overlap on a track.
    for h in coroutines:
        kept, last_end = [], None
        for s in sorted(coroutines[h]):
            if last_end is None or s[0] >= last_end:
                kept.append(s)
                last_end = s[1]
        coroutines[h] = kept
    for history in names.values():
        history.sort()
    return {"threads": threads, "coroutines": coroutines, "uswitches": uswitches,
            "names": names, "lost": lost, "t0": t0, "t_end": t_end, "nharts": nharts}


def program_name(tl, pid, when):
    """What pid was called at `when` (its first name before that)."""
    history = tl["names"].get(pid)
    if not history:
        return f"pid{pid}"
    i = bisect.bisect_right(history, (when, "\uffff")) - 1
    return history[max(i, 0)][1]


def thread_label(tl, pid, tid, when):
    if pid == 0:
        return "idle"
    return f"{program_name(tl, pid, when)} {pid}:{tid}"


def chrome_trace(tl, header, meta=None):
    """The Chrome trace-event JSON object (a dict) of a timeline."""
    hz = header["timebase_hz"]
    t0 = tl["t0"]

    def us(ticks):
        return round((ticks - t0) * 1_000_000 / hz, 3)

    def dur(a, b):
        return round((b - a) * 1_000_000 / hz, 3)

    ev = [{"ph": "M", "name": "process_name", "pid": 0, "tid": 0,
           "args": {"name": "schedos"}}]
    for h in range(tl["nharts"]):
        for tid, name, order in ((h, f"hart {h}", 2 * h),
                                 (COROUTINE_TRACK + h, f"hart {h} coroutines", 2 * h + 1)):
            ev.append({"ph": "M", "name": "thread_name", "pid": 0, "tid": tid,
                       "args": {"name": name}})
            ev.append({"ph": "M", "name": "thread_sort_index", "pid": 0, "tid": tid,
                       "args": {"sort_index": order}})
    for h, slices in sorted(tl["threads"].items()):
        for start, end, pid, tid, via in slices:
            ev.append({"ph": "X", "name": thread_label(tl, pid, tid, start),
                       "cat": "idle" if pid == 0 else "thread", "pid": 0, "tid": h,
                       "ts": us(start), "dur": dur(start, end),
                       "args": {"pid": pid, "tid": tid, "hart": h, "switched_by": via}})
    for h, slices in sorted(tl["coroutines"].items()):
        for start, end, pid, tid, cid in slices:
            ev.append({"ph": "X", "name": f"coroutine {cid}", "cat": "coroutine", "pid": 0,
                       "tid": COROUTINE_TRACK + h, "ts": us(start), "dur": dur(start, end),
                       "args": {"cid": cid, "pid": pid, "worker_tid": tid, "hart": h,
                                "program": program_name(tl, pid, start)}})
    for when, h, pid, from_tid, to_tid in tl["uswitches"]:
        ev.append({"ph": "i", "s": "t", "name": "user-mode switch", "cat": "uswitch",
                   "pid": 0, "tid": h, "ts": us(when),
                   "args": {"pid": pid, "from_tid": from_tid, "to_tid": to_tid}})
    other = {"timebase_hz": hz, "harts": tl["nharts"],
             "events_recorded": header.get("recorded", 0),
             "ring_capacity": header.get("capacity", 0),
             "events_lost_by_pid": {str(k): v for k, v in sorted(tl["lost"].items())}}
    other.update(meta or {})
    return {"traceEvents": ev, "displayTimeUnit": "ms", "otherData": other}


def draw_png(tl, header, path, title):
    """One row per hart and one for its coroutines; a colour per thread and
    per coroutine; a legend."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    hz, t0, n = header["timebase_hz"], tl["t0"], tl["nharts"]
    ms = lambda ticks: (ticks - t0) * 1000.0 / hz   # noqa: E731
    palette = plt.get_cmap("tab20").colors
    colours = {}

    def colour(key):
        if key == ("idle",):
            return (0.85, 0.85, 0.85)
        if key not in colours:
            colours[key] = palette[len(colours) % len(palette)]
        return colours[key]

    fig, ax = plt.subplots(figsize=(14, 1.6 + 1.1 * n))
    labels = {}
    rows = []
    for h in range(n):
        y_thr, y_co = 2 * (n - 1 - h) + 1, 2 * (n - 1 - h)
        rows += [(y_thr + 0.5, f"hart {h}"), (y_co + 0.5, f"hart {h} coroutines")]
        for start, end, pid, tid, _ in tl["threads"].get(h, []):
            key = ("idle",) if pid == 0 else ("thread", pid, tid)
            c = colour(key)
            ax.broken_barh([(ms(start), max(ms(end) - ms(start), 1e-4))], (y_thr + 0.1, 0.8),
                           facecolors=c)
            labels.setdefault(key, (thread_label(tl, pid, tid, start), c))
        for start, end, pid, tid, cid in tl["coroutines"].get(h, []):
            key = ("co", pid, cid)
            c = colour(key)
            ax.broken_barh([(ms(start), max(ms(end) - ms(start), 1e-4))], (y_co + 0.1, 0.8),
                           facecolors=c)
            labels.setdefault(key, (f"coroutine {cid} ({program_name(tl, pid, start)})", c))
    ax.set_yticks([y for y, _ in rows])
    ax.set_yticklabels([name for _, name in rows])
    ax.set_ylim(0, 2 * n)
    ax.set_xlabel("ms since the first event")
    ax.set_title(title)
    from matplotlib.patches import Patch
    handles = [Patch(color=c, label=l) for l, c in list(labels.values())[:24]]
    if len(labels) > 24:
        handles.append(Patch(color="white", label=f"... {len(labels) - 24} more"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")     # the legend too
    plt.close(fig)


def run_in_qemu(policy, smp, cmd, entries, timeout):
    """Boots, traces `cmd`, returns (the dump's text, the command's output,
    the whole console)."""
    sys.path.insert(0, os.path.join(ROOT, "testsuite"))
    from schedos.machine import Machine
    m = Machine(smp=smp, initrd=True, policy=policy or None, append=f"trace={entries}")
    try:
        m.shell_prompt(120)
        for line in ("trace clear", "trace on"):
            out = m.run(line, 60)
            if "trace:" not in out or "No such" in out or "unknown" in out:
                raise DumpError(f"`{line}` failed: {out.strip()}")
        cmd_out = m.run(cmd, timeout)
        m.run("trace off", 60)
        dump = m.run("trace dump", 600)
        return dump, cmd_out, m.output()
    except BaseException:
        sys.stderr.write("--- console (last lines) ---\n" + m.tail(40) + "\n")
        raise
    finally:
        m.kill()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--policy", default="", help="built-in policy (default: the kernel's heap)")
    ap.add_argument("--smp", type=int, default=2, help="harts, 1..8 (default 2)")
    ap.add_argument("--cmd", help="the shell command line to trace, e.g. 't_pingpong'")
    ap.add_argument("--json", required=True, help="where to write the Chrome trace JSON")
    ap.add_argument("--png", help="where to write the timeline PNG")
    ap.add_argument("--dump", help="also save the raw dump here")
    ap.add_argument("--from-dump", help="convert this saved dump instead of booting")
    ap.add_argument("--entries", type=int, default=DEFAULT_ENTRIES,
                    help=f"the kernel's ring, trace=ENTRIES (default {DEFAULT_ENTRIES})")
    ap.add_argument("--timeout", type=int, default=300,
                    help="seconds the command may run (default 300)")
    a = ap.parse_args(argv)
    if not a.from_dump and not a.cmd:
        ap.error("give --cmd \"PROGRAM ARGS\" (or --from-dump FILE)")
    if not 1 <= a.smp <= 8:
        ap.error(f"--smp {a.smp}: harts are 1..8")
    if not 1 <= a.entries <= 1 << 18:
        ap.error(f"--entries {a.entries}: 1..262144")
    try:
        if a.from_dump:
            with open(a.from_dump, encoding="utf-8", errors="replace") as f:
                dump = f.read()
            meta = {"source": a.from_dump}
        else:
            dump, cmd_out, _ = run_in_qemu(a.policy, a.smp, a.cmd, a.entries, a.timeout)
            print(cmd_out.rstrip())
            meta = {"policy": a.policy or "heap", "smp": a.smp, "cmd": a.cmd}
        if a.dump:
            os.makedirs(os.path.dirname(os.path.abspath(a.dump)), exist_ok=True)
            with open(a.dump, "w", encoding="utf-8") as f:
                f.write(dump)
        header, events = parse_dump(dump)
    except (DumpError, OSError) as e:
        sys.exit(f"trace.py: {e}")
    tl = build_timeline(header, events)
    os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
    with open(a.json, "w", encoding="utf-8") as f:
        json.dump(chrome_trace(tl, header, meta), f)
    print(f"trace: {len(events)} events, {tl['nharts']} harts -> {a.json}")
    if sum(tl["lost"].values()):
        print(f"trace: events lost from process rings (pid: count): {tl['lost']}")
    if a.png:
        os.makedirs(os.path.dirname(os.path.abspath(a.png)), exist_ok=True)
        title = (f"{meta.get('cmd', a.from_dump)} (policy {meta.get('policy', '?')}, "
                 f"{tl['nharts']} harts)")
        draw_png(tl, header, a.png, title)
        print(f"trace: timeline -> {a.png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
