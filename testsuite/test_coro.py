"""Coroutines (issue 10): the executor in each process's shared pages,
ordered by the policy, with wakers that lose nothing and poll nothing in
vain; asynchronous pipes and sleeps completed by the kernel.  t_coro
judges each check itself ("t_coro: NAME: ok"); the kernel must not panic,
the shell must still answer and no frame may leak."""
import re

import pytest

from conftest import assert_frames_back, memory, still_alive

SMP = [1, 2, 4]
ids = lambda n: f"smp{n}"

CHECKS = ["order", "turns", "affinity", "left", "polls", "wake", "join", "cancel", "any", "sleep", "many", "ring"]


@pytest.mark.timeout(400)
@pytest.mark.parametrize("smp", SMP, ids=ids)
def test_coroutines(boot_policy, policy, smp):
    """Every check of t_coro, under the policy, on one, two and four harts."""
    m = boot_policy(policy, smp=smp, initrd=True)
    m.shell_prompt(timeout=60)
    m.run("t_coro ring 4 2", timeout=120)           # warm the heap up
    before = memory(m)
    out = m.run("t_coro", timeout=300)
    for name in CHECKS:
        assert re.search(rf"^t_coro: {name}: ok$", out, re.M), out
    assert re.search(r"^t_coro: PASS$", out, re.M), out
    assert "killed" not in out and "panic" not in m.output(), out
    # The executor's pages, the kernel's records of operations, the
    # workers' stacks: all back.
    assert_frames_back(m, before)
    still_alive(m)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("smp", SMP, ids=ids)
def test_coroutine_pipe_ring(boot_policy, policy, smp):
    """A ring of 6 coroutines passing a token through 6 pipes (a process
    has 16 file descriptors) 200 times: 1,200 asynchronous reads and as
    many writes, those that wait completed by the kernel."""
    m = boot_policy(policy, smp=smp, initrd=True)
    m.shell_prompt(timeout=60)
    out = m.run("t_coro ring 6 200", timeout=240)
    assert re.search(r"^t_coro: ring: ok$", out, re.M), out
    still_alive(m)


@pytest.mark.timeout(200)
def test_coroutine_benchmark_runs(boot_policy, policy):
    """b_coro measures (its figures are in docs/coroutines.md, taken under
    -icount); here only that each mode runs to its result line, the
    asynchronous pipe hops included."""
    m = boot_policy(policy, smp=1, initrd=True)
    m.shell_prompt(timeout=60)
    for mode, what in (("switch", "switch"), ("spawn", "spawn\\+complete"), ("pipe", "hop")):
        out = m.run(f"b_coro {mode} 500", timeout=120)
        assert re.search(rf"^b_coro: {mode}: \d+ instructions per {what} \(\d+ ", out,
                         re.M), out
    still_alive(m)
