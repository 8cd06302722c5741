"""A worker that lowers itself still polls while a thread of its process
moves seq within each of its round trips to the kernel (t_colowerlive;
docs/coroutines.md, "A worker that lowers itself is seen low, or sees the
ring").

set_priority's CO_LOWER_UNLESS_MOVED fails with EAGAIN when seq moved
since the worker's last look; the worker keeps its priority and puts its
pick back unpolled.  It asked again at once, and a sibling that bumps seq
in a loop (its process's own page; it takes the executor's lock by turns,
which widens the window as a preempted holder does) had it refused 93 to
36,610 times for its coroutine's 100 polls (7 of the 8 runs on 2 and 4
harts failed here; the bound is 51, one per lowering the run needs): the
worker polled nothing between refusals.  Now a refused worker polls its
next pick at the priority it kept.  On one hart the bumper runs only
while main is lowered: must pass as well."""
import re

import pytest

from conftest import still_alive

SMP = [1, 2, 4]


@pytest.mark.timeout(240)
@pytest.mark.parametrize("smp", SMP, ids=lambda n: f"smp{n}")
def test_lowering_worker_polls_while_seq_moves(boot_policy, policy, smp):
    m = boot_policy(policy, smp=smp, initrd=True)
    m.shell_prompt(timeout=60)
    for _ in range(2):          # twice: a second executor in the same shell
        out = m.run("t_colowerlive", timeout=150)
        line = re.search(r"^t_colowerlive: A finished with seq bumped throughout "
                       r"\(100 polls, \d+ bumps, (\d+) lowerings refused\)$", out, re.M)
        assert line, out
        assert int(line.group(1)) <= 51, out      # A's lowerings: 1 + 50
        assert re.search(r"^t_colowerlive: PASS$", out, re.M), out
    assert "panic" not in m.output()
    still_alive(m)
