"""Coroutine priorities count across processes (t_coprio): two processes
started at once, A's CPU-bound coroutines at priority 5, B's at 9, each
worker thread taking the priority of the coroutine it polls (the
executor's follow_priority).  With a priority policy on one hart, every
chunk of B is done before any of A (the judge sees one order of all the
chunks through a pipe: counts, not time).  Under fifo, or on four harts,
both must finish every chunk with the right results."""
import re

import pytest

from conftest import still_alive

SMP = [1, 4]
PRIORITY_POLICIES = {"heap", "bitmap", "multiqueue"}

LINE = re.compile(
    r"^t_coprio: A \(priority 5\) (\d+)/(\d+) chunks, B \(priority 9\) (\d+)/(\d+), "
    r"results (\d)/2, status (-?\d+) (-?\d+); A had (\d+) when B ended, "
    r"B had (\d+) when A started( \(order not judged\))?$", re.M)


@pytest.mark.timeout(240)
@pytest.mark.parametrize("smp", SMP, ids=lambda n: f"smp{n}")
def test_coroutine_priority_across_processes(boot_policy, policy, smp):
    m = boot_policy(policy, smp=smp, initrd=True)
    m.shell_prompt(timeout=60)
    for _ in range(2):          # twice: the order is no accident of one start
        out = m.run("t_coprio 50", timeout=180)
        got = LINE.search(out)
        assert got, out
        a, a_total, b, b_total, results, sa, sb, a_at_b_end, b_at_a_start, unjudged = \
            got.groups()
        assert a == a_total == b == b_total == "100", out
        assert results == "2" and sa == sb == "0", out
        if policy in PRIORITY_POLICIES and smp == 1:
            assert unjudged is None, out
            # B (9) did all its chunks before A (5) did one.
            assert a_at_b_end == "0" and b_at_a_start == "100", out
        assert re.search(r"^t_coprio: PASS$", out, re.M), out
    assert "panic" not in m.output()
    still_alive(m)
