"""SCHED_FLAG_HART_LOCAL: kernel yields on different harts at once, under
shared holds of sched_lock (docs/scheduler.md, "Harts at once").

b_hartyield runs two threads per hart making kernel yields.  Under
multiqueue (which sets the flag) those yields take the shared way, every
one of them when nothing else runs; under the other policies none does
(the exclusive way, unchanged).  A policy that sets the flag but breaks
its promise (testsuite/blobs/mq_crosshart.c: hart 1 takes from hart 0's
queue) must be caught under the shared hold and replaced, with the system
going on.  How often a hart waited for the lock is measured by
`b_hartyield` as a benchmark (docs/performance.md), never judged here."""
import re

import pytest

from conftest import boot_shell, still_alive
from schedos.plugin import SHELL_BOOT_TIMEOUT
from test_sched import build_blob, sysinfo
from machine import ROOT

HART_LOCAL = 0x4                  # SCHED_FLAG_HART_LOCAL
BENCH = re.compile(r"^BENCH hartyield threads=(\d+) harts=(\d+) yields=(\d+) shared=(\d+) "
                   r"lock_waits=(\d+) waits_per_10k=(\d+) instr=(\d+)$", re.M)


def hartyield(m, args="", timeout=300):
    out = m.run(f"b_hartyield {args}".strip(), timeout=timeout)
    found = BENCH.search(out)
    assert found and "BENCH-DONE hartyield" in out, out
    return [int(x) for x in found.groups()], out


@pytest.mark.timeout(400)
@pytest.mark.parametrize("smp", [1, 2, 4], ids=lambda n: f"smp{n}")
def test_yields_share_the_lock_only_under_the_flag(boot_policy, policy, smp):
    m = boot_policy(policy, smp=smp, initrd=True)
    m.shell_prompt(timeout=SHELL_BOOT_TIMEOUT)
    flags = int(sysinfo(m)["sched_flags"], 0)
    if policy in ("heap", "bitmap", "fifo", "multiqueue"):
        assert bool(flags & HART_LOCAL) == (policy == "multiqueue"), flags
    # Two threads per hart: a yield nearly always has someone to yield to
    # (a yield that has not returns at once, without the lock).
    (threads, harts, yields, shared, _, _, _), out = hartyield(m, "")
    assert (threads, harts, yields) == (2 * smp, smp, 2 * smp * 20000), out
    if flags & HART_LOCAL:
        # Nothing is parked, deferred or resting: most of the threads'
        # yields take the shared way (a few may not: while the process's
        # main thread is parked in user mode, say).
        assert shared >= yields // 2, out
    else:
        assert shared == 0, out
    # The exclusive way under the same policy: threads that switch in user
    # mode park, and with a parked thread queued every yield is exclusive.
    assert re.search(r"^t_threads: PASS$", m.run("t_threads 4", timeout=120), re.M)
    assert "panic" not in m.output() and "misbehaved" not in m.output(), m.output()
    still_alive(m)


@pytest.mark.timeout(400)
@pytest.mark.parametrize("smp", [2, 4], ids=lambda n: f"smp{n}")
def test_policy_breaking_hart_local_is_replaced(machine, smp):
    blob = build_blob(f"{ROOT}/testsuite/blobs/mq_crosshart.c")
    m = boot_shell(machine, smp=smp, sched_blob=blob)
    assert sysinfo(m)["sched_name"] == "mq_crosshart"
    # Whether hart 1 takes a thread that hart 0 has just yielded (and may
    # still be on) is up to timing: the run is repeated until it happens
    # (once in 24,000 yields of the first run, as a rule; not in one
    # fresh-machine run).
    for _ in range(10):
        (_, _, yields, _, _, _, _), out = hartyield(m, "8 3000")
        assert yields == 24000, out
        if "misbehaved" in m.output():
            break
    console = m.output()
    # Hart 1's fetch takes hart 0's threads: most often one hart 0 had
    # yielded (maybe still on its stack); the harts' calls may also race in
    # the policy's lists and show as another broken answer.  Caught either
    # way, under the shared hold, and settled under an exclusive one.
    assert re.search(r"^sched: policy 'mq_crosshart' misbehaved: (fetch on hart \d+ "
                     r"(returned task \d+, which (hart \d+ had yielded|is not in the queue)"
                     r"|found nothing)|yield faulted|fetch faulted|top_priority on hart|"
                     r"yield did not return|fetch did not return)"
                     r".*; switching to the built-in 'heap'$", console, re.M), console
    assert console.count("misbehaved") == 1, console
    assert sysinfo(m)["sched_name"] == "heap"
    # Under the built-in policy: no shared yields any more.
    (_, _, _, shared, _, _, _), out = hartyield(m, "4 1000")
    assert shared == 0, out
    assert "panic" not in m.output(), m.output()
    still_alive(m)
