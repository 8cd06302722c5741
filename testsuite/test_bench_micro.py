"""The micro-benchmarks (bench/README.md): b_micro (instructions per
system call, switch, pipe round trip, fork, exec, spawn, sbrk), b_policy
(the booted policy's add + fetch and remove as its queue grows) and the
host version of b_policy (bench/policycost_host.c).

What is judged is what the programs guarantee, never a speed: every
operation reports a positive count in a result line of the contract, and
under -icount shift=0 on one hart the counts of the operations that do the
same work every time repeat exactly from one run to the next (each figure
is the fewest instructions of several windows or replays, so a timer tick
landing in one of them does not show).  Each policy boots once per test
(explicitly, not through the `policy` parameter: benchmarks are not part of
a policy's grade)."""
import os
import re

import pytest

from conftest import POLICIES, log_path
from hostrun import CC, run
from machine import ROOT

MICRO_OPS = ["syscall", "getpid", "coswitch", "uswitch", "uswitch_light", "yield",
             "yield_other", "procswitch", "pipe_sync", "pipe_async", "fork", "exec", "spawn", "sbrk"]
# These do the same instructions every time.  The others vary a little
# with the state of the kernel's allocators (frames, its heap, pids): in
# trials, a few instructions in 20,000 for pipe_async and 550,000 for
# sbrk, and about 900 in 450,000 for fork, exec and spawn between the first
# run of a boot and the next.
DETERMINISTIC = ["syscall", "getpid", "coswitch", "uswitch", "uswitch_light", "yield",
                 "yield_other", "procswitch", "pipe_sync"]
POLICY_SIZES = [1, 4, 16, 64, 256]
HOST_SIZES = [1, 4, 16, 64, 256, 1024, 4096]

MICRO_LINE = re.compile(r"^BENCH micro op=(\w+) instr=(\d+) iters=(\d+)$", re.M)
POLICY_LINE = re.compile(r"^BENCH policycost where=(\w+) policy=(\S+) n=(\d+) "
                         r"op=(add_fetch|remove) (instr|ps)=(\d+)$", re.M)


def contract(out, workload):
    """The lines of the contract: no error, and BENCH-DONE last."""
    assert f"BENCH-ERROR {workload}" not in out, out
    lines = [ln for ln in out.splitlines() if ln.startswith("BENCH")]
    assert lines and lines[-1] == f"BENCH-DONE {workload}", out


def micro(m):
    out = m.run("b_micro", timeout=600)
    contract(out, "micro")
    found = {op: (int(instr), int(iters)) for op, instr, iters in MICRO_LINE.findall(out)}
    assert sorted(found) == sorted(MICRO_OPS), out
    for op, (instr, iters) in found.items():
        assert instr > 0 and iters > 0, f"{op}: {out}"
    return found


def icount_machine(machine, policy):
    m = machine(policy=policy, smp=1, initrd=True, extra_args=("--icount",))
    m.shell_prompt(timeout=120)
    return m


@pytest.mark.timeout(900)
@pytest.mark.parametrize("sched", POLICIES)
def test_micro_counts_repeat(machine, sched):
    """b_micro, all of it, twice: every op has its line, a positive count,
    and the deterministic ones the same count both times."""
    m = icount_machine(machine, sched)
    first = micro(m)
    second = micro(m)
    for op in DETERMINISTIC:
        assert first[op][0] == second[op][0], (op, first[op], second[op])
    for op in set(MICRO_OPS) - set(DETERMINISTIC):
        # Not quite the same work each time: the same to within 2%.
        assert abs(first[op][0] - second[op][0]) * 50 < first[op][0], (op, first, second)
    # The switches and the blocking pipe alone: the same counts as after
    # everything else (what ran before does not leak into them).
    some = ["syscall", "coswitch", "uswitch", "yield_other", "procswitch", "pipe_sync"]
    out = m.run("b_micro " + " ".join(some), timeout=300)
    contract(out, "micro")
    alone = {op: int(instr) for op, instr, _ in MICRO_LINE.findall(out)}
    assert alone == {op: first[op][0] for op in some}, out
    # A wrong op is refused before anything runs.
    out = m.run("b_micro yield bogus", timeout=60)
    assert "no operation 'bogus'" in out and "exited with status 2" in out, out
    assert "BENCH" not in out, out


@pytest.mark.timeout(900)
@pytest.mark.parametrize("sched", POLICIES)
def test_policy_cost_repeats(machine, sched):
    """b_policy 256 twice: a line per size and op, naming the booted
    policy, with a positive count, the same both times."""
    m = icount_machine(machine, sched)
    runs = []
    for _ in range(2):
        out = m.run("b_policy 256", timeout=600)
        contract(out, "policycost")
        lines = POLICY_LINE.findall(out)
        assert {(int(n), op) for _, _, n, op, _, _ in lines} == \
            {(n, op) for n in POLICY_SIZES for op in ("add_fetch", "remove")}, out
        assert len(lines) == 2 * len(POLICY_SIZES), out
        for where, name, n, op, unit, value in lines:
            assert (where, name, unit) == ("guest", sched, "instr"), out
            assert int(value) > 0, out
        runs.append(lines)
    assert runs[0] == runs[1]
    out = m.run("b_policy 4097", timeout=60)
    assert "usage: b_policy" in out and "exited with status 2" in out, out


def build_host(tmp_path, source, name):
    binary = os.path.join(str(tmp_path), f"policycost_host_{name}")
    status, out = run([CC, "-std=c11", "-O2", "-Wall", "-Wextra", "-Werror",
                       "-I", ROOT, "-I", os.path.join(ROOT, "sched_abi"),
                       "-I", os.path.join(ROOT, "bench"),
                       "-DSCHED_BUILTIN_OPS=policy_under_test",
                       f'-DPOLICY_SOURCE="{source}"', "-o", binary,
                       os.path.join(ROOT, "bench", "policycost_host.c")])
    assert status == 0, out
    return binary


@pytest.mark.timeout(900)
def test_policy_cost_host(request):
    """make policycost-host builds the host program for every policy; each
    prints a line per size and op, in picoseconds, and BENCH-DONE."""
    status, out = run(["make", "-C", ROOT, "-s", "policycost-host",
                       "POLICYCOST_HOST_RUN_ARGS=1024"], timeout=800)
    with open(log_path(request, "policycost_host"), "w") as f:
        f.write(out)
    assert status == 0, out
    for policy in POLICIES:
        lines = [ln for ln in POLICY_LINE.findall(out) if ln[1] == policy]
        assert {(int(n), op) for _, _, n, op, _, _ in lines} == \
            {(n, op) for n in HOST_SIZES if n <= 1024 for op in ("add_fetch", "remove")}, out
        for where, _, n, op, unit, value in lines:
            assert (where, unit) == ("host", "ps"), out
            if op == "add_fetch":
                assert int(value) > 0, out
    assert out.count("BENCH-DONE policycost") == len(POLICIES), out


def test_policy_cost_host_catches_a_lost_task(tmp_path):
    """The workload checks the policy's answers: a policy that forgets
    every seventh task is reported, not timed."""
    binary = build_host(tmp_path, "testsuite/blobs/dropper.c", "dropper")
    status, out = run([binary, "16"], timeout=300)
    assert status == 1, out
    assert "BENCH-ERROR policycost policy=dropper" in out, out
    assert out.rstrip().endswith("BENCH-DONE policycost"), out
    status, out = run([binary, "0"], timeout=60)
    assert status == 2 and "usage" in out, out


@pytest.mark.timeout(900)
@pytest.mark.parametrize("sched", POLICIES)
def test_micro_runs_on_four_harts(machine, sched):
    """On four harts, without -icount, the counts mean little (the other
    side of a switch may run on another hart, and QEMU's instret is not
    exact), but every op must still run to its line: nothing hangs or
    fails with more harts."""
    m = machine(policy=sched, smp=4, initrd=True)
    m.shell_prompt(timeout=120)
    micro(m)
    out = m.run("b_policy 64", timeout=600)
    contract(out, "policycost")
    assert len(POLICY_LINE.findall(out)) == 2 * 4, out
