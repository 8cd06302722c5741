"""make trace: the scheduling timeline.  The kernel records what each hart
runs, processes record their user-mode switches and coroutine polls in
rings of their own, `trace dump` prints it all and bench/trace.py turns it
into Chrome trace JSON.  These tests trace real runs under each policy and
check what only a working timeline shows: the program's threads on the
harts, user-mode switches, coroutine polls, valid JSON with a track per
hart; and that a process writing garbage over its ring changes nothing
else."""
import importlib.util
import json
import os
import re

import pytest

from conftest import POLICIES, boot_shell, still_alive

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_spec = importlib.util.spec_from_file_location("bench_trace",
                                               os.path.join(ROOT, "bench", "trace.py"))
bench_trace = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_trace)

PINGPONG = "t_pingpong 4 200"       # 4 threads: user-mode switches under every policy
CORO = "b_coro switch 100"
ENTRIES = 65536
with open(os.path.join(ROOT, "sched_abi", "utrace.h")) as _f:
    UTRACE_CAP = int(re.search(r"#define UTRACE_CAP\s+(\d+)", _f.read())[1])


def trace_session(m, *commands, timeout=240):
    """trace clear, on, the commands, off, dump; returns ({command: its
    output}, the dump's text)."""
    assert "trace: cleared" in m.run("trace clear")
    assert "trace: on" in m.run("trace on")
    outputs = {c: m.run(c, timeout=timeout) for c in commands}
    assert "trace: off" in m.run("trace off")
    return outputs, m.run("trace dump", timeout=600)


def to_json(dump, tmp_path):
    """The dump through bench/trace.py into a file, read back: the JSON
    must parse.  Returns (header, events, the JSON object)."""
    header, events = bench_trace.parse_dump(dump)
    tl = bench_trace.build_timeline(header, events)
    path = tmp_path / "trace.json"
    path.write_text(json.dumps(bench_trace.chrome_trace(tl, header)))
    return header, events, json.loads(path.read_text())


def pids_named(events, name):
    return {e["pid"] for e in events if e["kind"] == "name" and e["name"] == name}


def check_tracks(doc, nharts):
    """A track per hart (and one for its coroutines), named in metadata."""
    names = {e["tid"]: e["args"]["name"] for e in doc["traceEvents"]
             if e["ph"] == "M" and e["name"] == "thread_name"}
    for h in range(nharts):
        assert names.get(h) == f"hart {h}", names
        assert names.get(bench_trace.COROUTINE_TRACK + h) == f"hart {h} coroutines", names
    for e in doc["traceEvents"]:
        assert {"ph", "pid", "tid", "name"} <= set(e), e
        if e["ph"] == "X":
            assert isinstance(e["ts"], (int, float)) and e["dur"] >= 0, e
            assert 0 <= e["tid"] % bench_trace.COROUTINE_TRACK < nharts, e


def slices(doc, cat=None, track=None):
    return [e for e in doc["traceEvents"] if e["ph"] == "X"
            and (cat is None or e["cat"] == cat) and (track is None or e["tid"] == track)]


def check_no_overlap(doc, nharts):
    """One hart runs one thing at a time: on each track, slices in time
    order end before the next begins (ts and dur are rounded to ns)."""
    for track in list(range(nharts)) + [bench_trace.COROUTINE_TRACK + h for h in range(nharts)]:
        on_track = sorted(slices(doc, track=track), key=lambda e: e["ts"])
        for a, b in zip(on_track, on_track[1:]):
            assert a["ts"] + a["dur"] <= b["ts"] + 0.002, (a, b)


@pytest.mark.timeout(600)
@pytest.mark.parametrize("smp", [1, 2], ids=lambda n: f"smp{n}")
@pytest.mark.parametrize("name", POLICIES)
def test_trace_threads_user_switches_and_coroutines(machine, name, smp, tmp_path):
    """Two threads passing a turn (user-mode switches) and two coroutines
    switching, traced in one session."""
    m = boot_shell(machine, smp, policy=name, append=f"trace={ENTRIES}")
    outputs, dump = trace_session(m, PINGPONG, CORO)
    assert "killed" not in outputs[PINGPONG], outputs[PINGPONG]
    assert re.search(r"counter 800, 0 out of turn", outputs[PINGPONG]), outputs[PINGPONG]
    assert re.search(r"^b_coro: switch: \d+ instructions", outputs[CORO], re.M), outputs[CORO]
    header, events, doc = to_json(dump, tmp_path)
    assert header["harts"] == smp and header["capacity"] == ENTRIES, header
    assert header["recorded"] <= ENTRIES, "the ring wrapped: too long a run for the test"
    check_tracks(doc, smp)
    check_no_overlap(doc, smp)

    # The ping-pong's threads on the harts: its main thread and two more.
    pp = pids_named(events, "t_pingpong")
    assert len(pp) == 1, pp
    pp_slices = [e for e in slices(doc, "thread") if e["args"]["pid"] in pp]
    assert len({e["args"]["tid"] for e in pp_slices}) >= 2, pp_slices[:10]
    # User-mode switches, from the process's own ring: events in the dump,
    # instants and slices switched in user mode in the JSON.
    # Exactly as many as the runtime counted (its ring keeps the last
    # UTRACE_CAP): each switch is recorded beside the count.
    counted = int(re.search(r"runtime says user-mode switches (\d+)", outputs[PINGPONG])[1])
    assert counted > 0, outputs[PINGPONG]
    uswitches = [e for e in events if e["kind"] == "uswitch" and e["pid"] in pp]
    assert len(uswitches) == min(counted, UTRACE_CAP), (len(uswitches), counted)
    assert all(0 <= e["hart"] < smp for e in uswitches)
    assert any(e["args"]["switched_by"] == "user" for e in pp_slices)
    assert any(e["ph"] == "i" and e["args"]["pid"] in pp for e in doc["traceEvents"])

    # The coroutines: polls on the coroutine tracks, by b_coro's threads.
    bc = pids_named(events, "b_coro")
    assert len(bc) == 1, bc
    polls = [e for e in slices(doc, "coroutine") if e["args"]["pid"] in bc]
    assert len(polls) >= 100, f"{len(polls)} coroutine polls"
    assert len({e["args"]["cid"] for e in polls}) >= 2, polls[:5]
    bc_tids = {e["tid"] for e in events if e["kind"] == "run" and e["pid"] in bc}
    assert {e["args"]["worker_tid"] for e in polls} <= bc_tids, (polls[:5], bc_tids)
    still_alive(m)


@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", POLICIES)
def test_trace_survives_a_process_wrecking_its_ring(machine, name, tmp_path):
    """h_tracescribble writes garbage over its ring (every entry; the
    header; the pointer to it, aimed at kernel memory or at a hole).  The
    kernel refuses what is wrong (and says how many it dropped), the export
    stays valid, and a ping-pong traced in the same session is intact."""
    smp = 2
    m = boot_shell(machine, smp, policy=name, append=f"trace={ENTRIES}")
    hostile = ["h_tracescribble entries", "h_tracescribble header",
               "h_tracescribble pointer 1", "h_tracescribble pointer 2"]
    outputs, dump = trace_session(m, *hostile, PINGPONG)
    for c in hostile:
        assert "h_tracescribble: " in outputs[c] and ": done" in outputs[c], outputs[c]
    assert re.search(r"counter 800, 0 out of turn", outputs[PINGPONG]), outputs[PINGPONG]
    header, events, doc = to_json(dump, tmp_path)
    check_tracks(doc, smp)
    check_no_overlap(doc, smp)
    begin = min(e["when"] for e in events)
    end = max(e["when"] for e in events)
    scribblers = pids_named(events, "h_tracescribble")
    assert len(scribblers) == 4, scribblers
    # Nothing the kernel let through claims a hart the machine lacks or a
    # time outside the session; every entry of the wrecked ring was refused.
    for e in events:
        if e["pid"] in scribblers and e["kind"] in ("uswitch", "poll", "polled"):
            assert 0 <= e["hart"] < smp and begin <= e["when"] <= end, e
    lost = [e for e in events if e["kind"] == "lost" and e["pid"] in scribblers]
    assert lost and max(e["arg"] for e in lost) >= 1000, lost
    # The honest process in the same session, whole.
    pp = pids_named(events, "t_pingpong")
    assert len([e for e in events if e["kind"] == "uswitch" and e["pid"] in pp]) > 0
    still_alive(m)


def test_trace_program_usage_and_no_ring(machine):
    """Clear errors: no argument, an unknown one; and booted with trace=0,
    `trace on` says there is no ring while the rest of the system works."""
    m = boot_shell(machine, 1, append="trace=0")
    assert "usage: trace on|off|clear|status|dump" in m.run("trace")
    out = m.run("trace bogus")
    assert "trace: unknown command 'bogus'" in out and "usage:" in out, out
    out = m.run("trace on")
    assert re.search(r"trace: on: .*\(booted with trace=0: no ring\)", out), out
    assert "trace: off, 0 events recorded, ring of 0" in m.run("trace status")
    dump = m.run("trace dump")
    assert "TRACE-BEGIN" in dump and "TRACE-END events=0" in dump, dump
    assert "t_pingpong: PASS" in m.run("t_pingpong 2 100", timeout=120)
    still_alive(m)


@pytest.mark.parametrize("value, message, ring", [
    ("lots", "bootargs: 'trace=lots' is not a number; ignored", 8192),
    ("1000000", "bootargs: trace=1000000 is above the most, 262144: using 262144", 262144),
], ids=["not-a-number", "too-big"])
def test_trace_bad_ring_size_is_said_and_sensible(machine, value, message, ring):
    """A bad trace=ENTRIES is reported at boot and replaced by a sensible
    size (the default, or the most), which `trace status` shows."""
    m = boot_shell(machine, 1, append=f"trace={value}")
    assert message in m.output(), m.tail()
    assert f"ring of {ring}," in m.run("trace status")
    still_alive(m)


def test_trace_converter_refuses_foreign_user_switches(tmp_path):
    """Host only: a user-mode switch of a process that is not on that hart
    (as a hostile ring could claim) is not taken; a half-dump is an error."""
    dump = "\n".join([
        "TRACE-BEGIN timebase_hz=1000000 harts=2 recorded=9 capacity=16 first=0",
        "tl name 100 0 5 5 0 good", "tl name 100 1 6 8 0 evil",
        "tl run 100 0 5 5 0", "tl run 100 1 6 8 0",
        "tl uswitch 150 0 5 5 7",        # pid 5 on hart 0: taken
        "tl uswitch 160 0 6 8 9",        # pid 6 claims hart 0: refused
        "tl poll 170 0 5 7 3", "tl polled 180 0 5 7 3",
        "garbage line", "tl run x y z",
        "tl run 200 0 0 -1 0", "tl run 200 1 0 -2 0",
        "TRACE-END events=9"])
    header, events, doc = to_json(dump, tmp_path)
    hart0 = sorted(slices(doc, track=0), key=lambda e: e["ts"])
    assert [e["name"] for e in hart0] == ["good 5:5", "good 5:7"], hart0
    assert [e["args"]["cid"] for e in slices(doc, "coroutine", bench_trace.COROUTINE_TRACK)] == [3]
    with pytest.raises(bench_trace.DumpError):
        bench_trace.parse_dump(dump.rsplit("\n", 1)[0])


def test_trace_script_writes_json_and_png_from_a_dump(tmp_path):
    """Host only: bench/trace.py --from-dump writes both files (the PNG
    through matplotlib's Agg backend); a run without --cmd is refused."""
    dump = tmp_path / "dump.txt"
    dump.write_text("\n".join([
        "TRACE-BEGIN timebase_hz=10000000 harts=1 recorded=9 capacity=16 first=0",
        "tl name 10 0 3 3 0 sh", "tl run 10 0 3 3 0", "tl run 15 0 0 -1 0",
        "tl name 20 0 3 3 0 t_coro", "tl run 20 0 3 3 0",          # sh exec'd t_coro
        "tl poll 30 0 3 3 1", "tl polled 40 0 3 3 1", "tl run 50 0 0 -1 0",
        "tl run 60 0 3 3 0", "TRACE-END events=9"]))
    out_json, out_png = tmp_path / "t.json", tmp_path / "t.png"
    assert bench_trace.main(["--from-dump", str(dump), "--json", str(out_json),
                             "--png", str(out_png)]) == 0
    doc = json.loads(out_json.read_text())
    assert [e["name"] for e in slices(doc, "thread")] == ["sh 3:3", "t_coro 3:3"]
    assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(SystemExit):
        bench_trace.main(["--json", str(out_json)])
