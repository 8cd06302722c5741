"""A coroutine woken by a worker's own less urgent poll, that worker the
only one below the work, gets run (t_cowakefromlow; docs/coroutines.md,
"The kernel's "caller" is the waker, not the thread on the hart").

The raise of "No worker left below the work" passes over the waker (the
runtime's caller of the wake; the kernel's thread whose own call completed
the operation).  When that waker is the only worker below the work and its
poll goes on after the wake, nobody was raised: the worker, at 1, lost its
hart to main yielding at 10 and never came back to poll the coroutine at
10 it woke.  On main both checks failed on one hart under heap ("event",
the runtime's raise, and "write", the kernel's: never ran, 10 s of
yields); with the runtime's half alone "write" still failed.  Where a
hart is free (or under fifo) the worker runs anyway: must pass."""
import re

import pytest

from conftest import still_alive

SMP = [1, 2, 4]


@pytest.mark.timeout(240)
@pytest.mark.parametrize("smp", SMP, ids=lambda n: f"smp{n}")
def test_waker_alone_below_is_raised(boot_policy, policy, smp):
    m = boot_policy(policy, smp=smp, initrd=True)
    m.shell_prompt(timeout=60)
    out = m.run("t_cowakefromlow", timeout=150)
    for check in ("event", "write"):
        assert re.search(rf"^t_cowakefromlow: {check}: the HIGH coroutine ran after \d+ yields$",
                         out, re.M), out
    assert re.search(r"^t_cowakefromlow: PASS$", out, re.M), out
    assert "panic" not in m.output()
    still_alive(m)
