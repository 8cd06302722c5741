"""The raise of "No worker left below the work" never lowers a worker
(t_coraiseonly; docs/coroutines.md, "A raise is a raise only").

A waker in the process reads the workers' kprio, then raises the least
urgent one below the work with set_priority: a worker that raised itself
above the work in between was set down to it, below the coroutine it
polls.  The test writes the stale word itself (kprio is in the process's
own page) under a worker busy at 10, then spawns at 5: on main the worker
was at 5 after it ("raise"), and the "abi" check's CO_RAISE_ONLY was
ignored (the thread at 10 lowered to 5).  Every policy, 1, 2 and 4
harts: what is checked does not depend on who has a hart."""
import re

import pytest

from conftest import still_alive

SMP = [1, 2, 4]


@pytest.mark.timeout(240)
@pytest.mark.parametrize("smp", SMP, ids=lambda n: f"smp{n}")
def test_raise_never_lowers(boot_policy, policy, smp):
    m = boot_policy(policy, smp=smp, initrd=True)
    m.shell_prompt(timeout=60)
    out = m.run("t_coraiseonly", timeout=150)
    assert re.search(r"^t_coraiseonly: raise: the busy worker at 10 after a raise to 5 "
                     r"\(was 10\)$", out, re.M), out
    assert re.search(r"^t_coraiseonly: abi: at 10 to 5: 0 at 10; at 1 to 5: 0 at 5; "
                     r"above the ceiling: -1 at 5$", out, re.M), out
    assert re.search(r"^t_coraiseonly: PASS$", out, re.M), out
    assert "panic" not in m.output()
    still_alive(m)
