"""A coroutine waiting on a pipe uses no CPU (t_coidle): while it waits,
its executor never polls it (nor anything else), its workers stay asleep
in the kernel, and what the kernel counts for the process (switches to
its threads, yield calls, user-mode switches it noticed) stays a small
constant that does not grow with the wait: 300 ms and 1200 ms cost the
same.  A CPU-bound counter process beside it makes a fixed number of
rounds during each wait, which ends only after them: on one hart they
could only run on the hart the waiting process left alone.  All of it is
counts; how fast the host is changes only how long the test takes."""
import re

import pytest

from conftest import still_alive

SMP = [1, 4]

TRIAL = re.compile(
    r"^t_coidle: wait (\d+) ms: reader polled (\d+) then (\d+) times, (\d+) in all "
    r"\(read (-?\d+)\); executor polls \+(\d+), sleeps \+(\d+), wakes \+(\d+); "
    r"workers asleep (\d+) then (\d+); kernel: switches \+(\d+), yields \+(\d+), "
    r"user switches \+(\d+) \(cost (\d+), max \d+\); counter rounds (\d+) -> (\d+) "
    r"\(want \+(\d+)\): (ok|FAIL)$", re.M)


@pytest.mark.timeout(240)
@pytest.mark.parametrize("smp", SMP, ids=lambda n: f"smp{n}")
def test_coroutine_waiting_on_a_pipe_is_idle(boot_policy, policy, smp):
    m = boot_policy(policy, smp=smp, initrd=True)
    m.shell_prompt(timeout=60)
    out = m.run("t_coidle 300 1200 200", timeout=180)
    trials = TRIAL.findall(out)
    assert [t[0] for t in trials] == ["300", "1200"], out
    costs = []
    for (ms, before, after, total, got, polls, sleeps, wakes, asleep0, asleep1,
         switches, yields, user, cost, c0, c1, want, verdict) in trials:
        assert (before, after, total, got) == ("1", "1", "2", "7"), out
        assert (polls, sleeps, wakes) == ("0", "0", "0"), out
        assert asleep0 == asleep1 == "4", out
        assert int(switches) + int(yields) + int(user) == int(cost) <= 8, out
        assert int(c1) - int(c0) >= int(want), out
        assert verdict == "ok", out
        costs.append(int(cost))
    # Four times the wait, no more cost (the program allows a slack of 2).
    assert costs[1] <= costs[0] + 2, out
    assert re.search(r"^t_coidle: PASS$", out, re.M), out
    assert "panic" not in m.output()
    still_alive(m)
