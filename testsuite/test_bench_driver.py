"""The benchmark driver (bench/bench.py, bench/benchlib/) on recorded
transcripts, without QEMU: the parser reads the result-line contract of
bench/README.md and rejects what breaks it; a crashed run (no
BENCH-DONE), a BENCH-ERROR and a garbled line each fail the whole run
loudly (exit status 1) and are named, with their console logs, in the
report; the CSV files and the report carry the figures and the ratios to
the published ones.  Most machines here are fakes that replay
transcripts, so each test judges the driver alone; the last test boots
QEMU under each policy and runs the driver's runner for real."""
import csv
import os
import subprocess
import sys

import pytest

from machine import ROOT

BENCH = os.path.join(ROOT, "bench")
sys.path.insert(0, BENCH)

import bench as driver  # noqa: E402
from benchlib import configs, csvout, parse, report  # noqa: E402
from benchlib.runner import HostRun, Runner  # noqa: E402

PYTHON = "/usr/bin/python3"

RING_OK = """\
BENCH ring mode=thread len=64 size=1 laps=5 workers=1 us=220000
BENCH-DONE ring
"""
RING_CORO_OK = """\
BENCH ring mode=coro len=64 size=1 laps=5 workers=1 us=110000
BENCH-DONE ring
"""
CRASHED = """\
BENCH ring mode=thread len=128 size=1 laps=5 workers=1 us=1000
"""
ERRORED = """\
BENCH-ERROR ring pipe: too many open files (16 per process)
sh: b_ring exited with status 1
"""
GARBLED = """\
BENCH ring mode=coro len=128 size=1 laps=5 workers=1 us=12.5
BENCH-DONE ring
"""


# ---- the parser -----------------------------------------------------------

def test_a_complete_run_parses_to_its_records():
    p = parse.parse_output("some words first\n" + RING_OK, "ring")
    assert p.done and not p.problems()
    assert p.records == [("ring", {"mode": "thread", "len": 64, "size": 1, "laps": 5,
                                   "workers": 1, "us": 220000})]


def test_a_run_without_bench_done_is_a_failure():
    p = parse.parse_output(CRASHED, "ring")
    assert not p.done
    assert any("no BENCH-DONE" in x for x in p.problems()), p.problems()


def test_bench_error_is_a_failure_with_its_words():
    p = parse.parse_output(ERRORED, "ring")
    problems = p.problems()
    assert "BENCH-ERROR ring pipe: too many open files (16 per process)" in problems
    assert "shell: sh: b_ring exited with status 1" in problems


@pytest.mark.parametrize("line,why", [
    ("BENCH ring mode=coro len=128 size=1 laps=5 us=12.5", "not an integer or a word"),
    ("BENCH ring mode=coro len=128 size=1 laps=5", "missing us"),
    ("BENCH ring mode=coro len=128 size=1 laps=5 us", "not key=value"),
    ("BENCH ring mode=coro len=1 len=2 size=1 laps=5 us=3", "len given twice"),
    ("BENCH rnig mode=coro len=1 size=1 laps=5 us=3", "unknown workload"),
    ("BENCH ring harts=9 mode=coro len=1 size=1 laps=5 us=3", "the driver's column"),
    ("[hart 1] BENCH ring mode=coro len=1 size=1 laps=5 us=3", "not at the start"),
    ("BENCH-DONE prings", "expected 'ring'"),
])
def test_a_garbled_line_is_named_and_fails_the_run(line, why):
    p = parse.parse_output(line + "\nBENCH-DONE ring\n", "ring")
    assert not p.records
    assert len(p.garbled) == 1 and why in p.garbled[0][1], p.garbled
    assert any(line in x for x in p.problems())


def test_lines_after_bench_done_are_garbled():
    p = parse.parse_output(RING_OK + RING_OK.split("\n")[0] + "\n", "ring")
    assert p.garbled and "after BENCH-DONE" in p.garbled[0][1]


def test_bench_error_fails_the_run_even_if_done_follows():
    """(b_ring prints BENCH-DONE after its BENCH-ERROR; either way the
    error is what the run is judged by.)"""
    p = parse.parse_output("BENCH-ERROR ring pipe: EMFILE\nBENCH-DONE ring\n", "ring")
    assert p.problems() == ["BENCH-ERROR ring pipe: EMFILE"]


def test_a_priority_run_ends_with_its_own_workload():
    out = ("BENCH prio server=coro conns=7 levels=7 level=0 prio=20 period_ms=50 msize=1 "
           "secs=1 replies=20 lat_mean_us=100 lat_p50_us=90 lat_p99_us=300\nBENCH-DONE prio\n")
    p = parse.parse_output(out, "prio")
    assert p.done and not p.problems() and p.records[0][1]["level"] == 0


def test_a_kernel_panic_is_a_failure():
    p = parse.parse_output("PANIC on hart 0: page fault\n" + RING_OK, "ring")
    assert "kernel panic" in p.problems()


# ---- the runner, on fake machines ---------------------------------------------

class FakeMachine:
    """Replays a transcript per command; "HANG" times out, as a hung run."""
    boots = 0

    def __init__(self, transcripts):
        FakeMachine.boots += 1
        self.transcripts = transcripts
        self.console = "OpenSBI\nschedos$ "
        self.killed = False

    def shell_prompt(self, timeout):
        return ""

    def run(self, command, timeout):
        self.console += command + "\n"
        out = self.transcripts[command]
        if out == "HANG":
            raise AssertionError(f"timed out after {timeout} s waiting for 'schedos$ '")
        self.console += out + "schedos$ "
        return out

    def output(self):
        return self.console

    def kill(self):
        self.killed = True


def ring(mode, n, policy="heap", harts=4):
    return configs.Run("ring", "b_ring", (mode, n, 1, 5), policy, harts, False, 300)


def fake_runner(tmp_path, transcripts, lines):
    FakeMachine.boots = 0
    return Runner(str(tmp_path / "logs"), host_cores=2,
                  boot=lambda *a, **k: FakeMachine(transcripts),
                  out=lambda text, **k: lines.append(text))


TRANSCRIPTS = {
    "b_ring thread 64 1 5": RING_OK,
    "b_ring coro 64 1 5": RING_CORO_OK,
    "b_ring thread 128 1 5": CRASHED,
    "b_ring thread 256 1 5": ERRORED,
    "b_ring coro 128 1 5": GARBLED,
    "b_ring coro 256 1 5": "HANG",
}


def run_everything(tmp_path):
    lines = []
    runs = [ring("thread", 64), ring("coro", 64), ring("thread", 128), ring("thread", 256),
            ring("coro", 256), ring("coro", 128), ring("thread", 64, policy="fifo")]
    results = fake_runner(tmp_path, TRANSCRIPTS, lines).run_all(runs)
    return results, lines


def test_every_failure_keeps_its_log_and_the_others_still_run(tmp_path):
    results, lines = run_everything(tmp_path)
    assert [r.failed for r in results] == [False, False, True, True, True, True, False]
    for r in results:
        assert bool(r.log) == r.failed
        if r.log:
            text = open(r.log).read()
            assert r.run.command in text         # the whole console of the boot
    assert "timed out" in results[4].problems[0]
    assert "us: not an integer" in results[5].problems[0]   # run on a fresh boot
    # heap booted once, again after the hang, fifo once.
    assert FakeMachine.boots == 3
    assert lines[0].startswith("boot heap smp=4: ") and lines[0].endswith(" ms")
    runs = [line for line in lines if line.startswith("[")]
    assert runs[0].startswith("[1/7] heap smp=4 b_ring thread 64 1 5 ... ")
    assert runs[0].endswith(" ms  (oversubscribed)")        # 4 harts, 2 host cores
    assert "FAILED: no BENCH-DONE" in runs[2] and "001" not in runs[2]
    assert "FAILED: BENCH-ERROR ring pipe" in runs[3]
    assert sum(line.startswith("boot ") for line in lines) == 3


def test_the_driver_fails_loudly_and_the_report_names_each_failure(tmp_path, capsys):
    results, _ = run_everything(tmp_path)
    meta = {"commit": "abc123", "qemu": "7.2", "host_cores": 2, "mode": "quick",
            "policies": ["heap", "fifo"], "command": "bench/bench.py --quick"}
    status = driver.finish(results, meta, str(tmp_path))
    assert status == 1
    err = capsys.readouterr().err
    assert "4 of 7 runs FAILED" in err
    text = (tmp_path / "report.md").read_text()
    assert "**4 run(s) FAILED**" in text
    for command, why in (("b_ring thread 128 1 5", "no BENCH-DONE"),
                         ("b_ring thread 256 1 5", "BENCH-ERROR ring pipe: too many open files"),
                         ("b_ring coro 128 1 5", "us: not an integer or a word: '12.5'"),
                         ("b_ring coro 256 1 5", "timed out")):
        row = next(line for line in text.split("\n") if f"`{command}`" in line)
        assert why in row, row
        log = row.split("](")[1].split(")")[0]
        assert (tmp_path / log).is_file(), row


def test_a_clean_run_exits_0(tmp_path):
    lines = []
    results = fake_runner(tmp_path, TRANSCRIPTS, lines).run_all([ring("thread", 64)])
    meta = {"commit": "abc123", "qemu": "7.2", "host_cores": 2}
    assert driver.finish(results, meta, str(tmp_path)) == 0
    assert "None: every run ended with BENCH-DONE" in (tmp_path / "report.md").read_text()


def test_ctrl_c_keeps_what_ran(tmp_path):
    lines = []
    transcripts = dict(TRANSCRIPTS, **{"b_ring coro 512 1 5": "CTRL-C"})

    class Interrupted(FakeMachine):
        def run(self, command, timeout):
            if self.transcripts[command] == "CTRL-C":
                raise KeyboardInterrupt
            return super().run(command, timeout)

    runner = fake_runner(tmp_path, transcripts, lines)
    runner.boot = lambda *a, **k: Interrupted(transcripts)
    results = runner.run_all([ring("thread", 64), ring("coro", 512), ring("coro", 64)],
                             host_run=HostRun())
    assert runner.interrupted and len(results) == 1 and not results[0].failed
    assert lines[-1] == "bench: interrupted after 1 of 4 runs"
    assert not [line for line in lines if "coro 64" in line]


# ---- CSV, report, plots ---------------------------------------------------------

def test_csv_rows_carry_the_configuration_and_the_figures(tmp_path):
    results, _ = run_everything(tmp_path)
    meta = {"commit": "abc123-dirty", "qemu": "7.2.22", "host_cores": 2}
    driver.finish(results, meta, str(tmp_path), err=open(os.devnull, "w"))
    with open(tmp_path / "ring.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    # Only runs that succeeded give rows: the crashed run printed a
    # figure (len=128) before it died, and it is not in the CSV.
    assert not [r for r in rows if r["len"] == "128"], rows
    heap64 = [r for r in rows if r["policy"] == "heap" and r["len"] == "64"]
    assert {r["mode"] for r in heap64} == {"thread", "coro"}
    r = next(r for r in heap64 if r["mode"] == "thread")
    assert r["commit"] == "abc123-dirty" and r["qemu"] == "7.2.22" and r["host_cores"] == "2"
    assert r["harts"] == "4" and r["icount"] == "0" and r["oversubscribed"] == "1"
    assert r["us"] == "220000" and r["laps"] == "5"
    assert list(rows[0])[:7] == list(csvout.META_COLUMNS)
    with open(tmp_path / "failures.csv", newline="") as f:
        assert len(list(csv.DictReader(f))) == 4


def test_report_sets_ours_beside_the_published_figures(tmp_path):
    results, _ = run_everything(tmp_path)
    driver.finish(results, {"commit": "x", "qemu": "q", "host_cores": 2}, str(tmp_path),
                  err=open(os.devnull, "w"))
    text = (tmp_path / "report.md").read_text()
    # 220000 us / 5 laps = 44 ms per lap; published 22 ms at 64: ratio 2.00.
    # Coroutines took 22 ms: coro/thread 0.50.
    row = next(line for line in text.split("\n") if line.startswith("| 64 |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[:2] == ["64", "22"]
    assert "44.00*" in cells and "22.00*" in cells and "0.50" in cells and "2.00" in cells
    assert "![ring: ring](ring.png)" in text
    assert (tmp_path / "ring.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def prio_rows(replies):
    return [{"policy": "heap", "harts": 1, "server": "coro", "level": lv, "prio": 20 - lv,
             "period_ms": 10, "msize": 32,
             "replies": n, "lat_p99_us": 1000 * (lv + 1), "oversubscribed": 0}
            for lv, n in enumerate(replies)]


def test_priority_table_has_best_over_worst_and_the_published_column():
    text = "\n".join(report.prio_section(prio_rows([1600, 800, 400, 200, 100, 50, 20]), {}))
    assert "| best/worst | 95.75 | 80.00 |" in text, text
    assert "| 0 | 1532 | 1600 (20) |" in text, text


def test_parallel_ring_speedup_over_one_worker():
    rows = [{"policy": "bitmap", "workers": w, "us": 4000000 // w * (1 if w < 4 else 1),
             "oversubscribed": int(w > 2)} for w in (1, 2, 4)]
    text = "\n".join(report.prings_section(rows, {}))
    assert "| 4 | 609 | 3.07 | 1000.00* | 4.00* |" in text, text
    assert "| 2 | 940 | 1.99 | 2000.00 | 2.00 |" in text, text
    assert "median of" not in text              # one run a point: no ranges


def test_parallel_ring_ranges_of_medians():
    rows = [{"policy": "heap", "workers": w, "us": 200000 // w, "runs": 5,
             "us_min": 180000 // w, "us_max": 260000 // w, "oversubscribed": 0}
            for w in (1, 2)]
    text = "\n".join(report.prings_section(rows, {}))
    assert "median of 5 runs" in text, text
    assert "| 1 | 180.0-260.0 |" in text and "| 2 | 90.0-130.0 |" in text, text


def test_micro_table_sets_the_heap_figure_against_its_target():
    rows = [{"policy": pol, "op": op, "instr": n, "iters": 16000}
            for pol, op, n in (("heap", "syscall", 180), ("fifo", "syscall", 900),
                               ("heap", "yield", 301), ("heap", "getpid", 190))]
    text = "\n".join(report.micro_section(rows, {}))
    # Judged on the heap figure alone: fifo's 900 does not fail the syscall row.
    assert "| syscall | 180 | 900 | 16000 | 200 | yes |" in text, text
    assert "| yield | 301 | – | 16000 | 300 | no |" in text, text
    assert "| getpid | 190 | – | 16000 | – | – |" in text, text


def test_report_only_remakes_the_report_from_the_csv_files(tmp_path):
    results, _ = run_everything(tmp_path)
    driver.finish(results, {"commit": "x", "qemu": "q", "host_cores": 2}, str(tmp_path),
                  err=open(os.devnull, "w"))
    (tmp_path / "report.md").unlink()
    r = subprocess.run([PYTHON, os.path.join(BENCH, "bench.py"), "--report-only",
                        "--out", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stderr                 # the failures are still there
    assert "**4 run(s) FAILED**" in (tmp_path / "report.md").read_text()


# ---- the host program and the timeline hook ------------------------------------------

HOST_TWO_PROGRAMS = (
    "policycost-host:\n"
    "\t@echo BENCH policycost where=host policy=heap n=16 op=add_fetch ps=40000\n"
    "\t@echo BENCH-DONE policycost\n"
    "\t@echo BENCH policycost where=host policy=fifo n=16 op=add_fetch ps=9000\n"
    "\t@echo BENCH-DONE policycost\n")


def test_host_policy_cost_through_make_or_a_clear_skip(tmp_path):
    lines = []
    runner = fake_runner(tmp_path, {}, lines)
    (tmp_path / "Makefile").write_text("other:\n\t@true\n")
    res = runner.run_host(1, HostRun(), str(tmp_path))
    assert not res.failed and "no make target policycost-host or bench-host-policycost" \
        in res.skipped
    # One program per policy, each with its BENCH-DONE.
    (tmp_path / "Makefile").write_text(HOST_TWO_PROGRAMS)
    res = runner.run_host(1, HostRun(), str(tmp_path))
    assert not res.failed, res.problems
    assert [f["policy"] for _, f in res.records] == ["heap", "fifo"]
    assert res.records[0] == ("policycost", {"where": "host", "policy": "heap", "n": 16,
                                             "op": "add_fetch", "ps": 40000})
    # The second program cut short (no DONE), make failing: both named.
    (tmp_path / "Makefile").write_text(HOST_TWO_PROGRAMS.rsplit("\t@echo", 1)[0] + "\t@false\n")
    res = runner.run_host(1, HostRun(), str(tmp_path))
    assert res.failed and os.path.isfile(res.log)
    assert any("no BENCH-DONE" in p for p in res.problems), res.problems
    assert any("exited with status" in p for p in res.problems), res.problems


def test_policy_cost_report_takes_the_host_unit():
    rows = [{"where": "guest", "policy": "heap", "n": 4, "op": "remove", "instr": 17},
            {"where": "host", "policy": "heap", "n": 4, "op": "remove", "ps": 2500}]
    text = "\n".join(report.policycost_section(rows, {}))
    assert "| remove | 4 | 17 |" in text and "| op | n | heap ps |" in text, text
    assert "| remove | 4 | 2500 |" in text, text


def test_timelines_are_embedded_in_policy_order():
    text = report.render({}, [], {}, timelines={"fifo": "timelines/fifo.png",
                                               "heap": "timelines/heap.png"})
    assert "![timeline heap](timelines/heap.png)" in text
    assert text.index("### heap") < text.index("### fifo")


def test_timelines_are_noted_when_trace_py_is_absent(tmp_path):
    from benchlib import timeline
    made, note = timeline.make_timelines(str(tmp_path), str(tmp_path), ["heap"], PYTHON)
    assert made == {} and "bench/trace.py is not in this tree" in note


# ---- the command line ----------------------------------------------------------------

def bench_cli(*args):
    return subprocess.run([PYTHON, os.path.join(BENCH, "bench.py"), *args],
                          capture_output=True, text=True, timeout=120)


def test_help_lists_the_options():
    r = bench_cli("--help")
    assert r.returncode == 0
    for option in ("--quick", "--workloads", "--policies", "--sizes", "--out",
                   "--timeout-factor", "--dry-run", "--report-only"):
        assert option in r.stdout, r.stdout


@pytest.mark.parametrize("args,message", [
    (("--workloads", "ring,rnig"), "unknown workload rnig"),
    (("--policies", "lottery"), "unknown policy lottery"),
    (("--sizes", "16,x"), "--sizes takes positive integers"),
    (("--sizes", "0"), "--sizes takes positive integers"),
    (("--timeout-factor", "-1"), "not a positive number"),
])
def test_bad_options_are_refused(args, message):
    r = bench_cli("--dry-run", *args)
    assert r.returncode == 2 and message in r.stderr, r.stderr


def test_bad_mem_is_refused_before_booting():
    r = bench_cli("--mem", "12X", "--workloads", "micro", "--policies", "heap")
    assert r.returncode == 2 and "--mem" in r.stderr and "'12X' is not" in r.stderr, r.stderr


def test_selection_boots_once_per_configuration():
    r = bench_cli("--dry-run", "--workloads", "ring,micro,prings", "--policies", "heap,fifo",
                  "--sizes", "16,64")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "heap smp=2 b_ring coro 64 3876 5" in out and "fifo smp=1 icount b_micro" in out
    assert "b_conn" not in out and "bitmap" not in out and " 128 " not in out
    assert "b_prings -r 5 -s 3876 4 64 3 5" in out     # the largest size, on 3 harts
    # heap: 2 harts (rings, 2 workers), 1 icount, 1, 3, 4 harts; the same for fifo.
    assert out.rstrip().endswith("runs in 10 boots"), out


def test_every_run_of_a_boot_is_together():
    runs = configs.plan_runs(configs.Selection())
    seen, last = set(), None
    for r in runs:
        if r.boot != last:
            assert r.boot not in seen, f"{r.boot} booted twice"
            seen.add(r.boot)
            last = r.boot
    assert {p for p, _, _ in seen} == set(configs.POLICIES)


# ---- in QEMU -----------------------------------------------------------------------

B_MICRO = os.path.join(ROOT, "user", "programs", "b_micro.c")


@pytest.mark.timeout(400)
def test_runner_in_qemu_keeps_going_after_a_failed_run(machine, policy, tmp_path):
    """A real boot: a program the shell cannot find fails (named, its
    console log kept), and the next run in the same boot still gives its
    figures: b_micro's instructions per operation, under -icount on one
    hart as `make bench` runs it (if b_micro is in this tree)."""
    boots = []

    def boot(policy, harts, icount, mem, timeout_factor):
        m = machine(policy=policy, smp=harts, mem=mem, initrd=True,
                    extra_args=["--icount"] if icount else [])
        boots.append(m)
        return m

    lines = []
    runner = Runner(str(tmp_path / "logs"), boot=boot, out=lambda t, **k: lines.append(t))
    missing = configs.Run("micro", "b_nosuchprogram", (), policy, 1, True, 120)
    runs = [missing]
    if os.path.isfile(B_MICRO):
        runs.append(configs.Run("micro", "b_micro", ("syscall", "coswitch"), policy, 1, True,
                                300))
    results = runner.run_all(runs)
    assert len(boots) == 1, lines                       # one boot for both runs
    bad = results[0]
    assert bad.failed and "shell: sh: b_nosuchprogram" in bad.problems[0], bad.problems
    assert "b_nosuchprogram" in open(bad.log).read()
    if len(results) == 2:
        good = results[1]
        assert not good.failed, (good.problems, good.log)
        ops = {f["op"]: f for _, f in good.records}
        assert set(ops) == {"syscall", "coswitch"}, good.records
        assert all(f["instr"] > 0 and f["iters"] > 0 for f in ops.values()), ops
    meta = {"commit": "x", "qemu": "q", "host_cores": 2}
    assert driver.finish(results, meta, str(tmp_path), err=open(os.devnull, "w")) == 1
    assert "`b_nosuchprogram`" in (tmp_path / "report.md").read_text()
