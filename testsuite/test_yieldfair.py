"""A yield lets a thread of equal priority run (docs/scheduler.md, the
rule of yield), and the coroutine executor never leaves a worker it has
just started at its spawner's lower priority, where a yielding thread of
the process would never let it run.

t_yieldfair: main creates threads at its own priority, which wait in the
kernel's queue (never run, so not parked in user mode), then yields
(yield_(), then the yield system call) until each has run, beside a
CPU-hog child.  t_cospawnlow: main, lowered to priority 1, starts the
executor's workers with a co_spawn at 10, raises itself to 10 and yields
until a worker has run the coroutine; with the workers left at priority 1
it failed on one hart under every policy (30 s of yields, never run).
t_cowakelow: the same for a coroutine made ready by a wake (an event set,
an asynchronous sleep's end) while the only worker polls a coroutine at 1,
beside two threads yielding at 10.
Each bounds their waits themselves (30 s) and print PASS or FAIL."""
import re

import pytest

from conftest import still_alive

SMP = [1, 2]


@pytest.mark.timeout(300)
@pytest.mark.parametrize("program", ["t_yieldfair", "t_cospawnlow", "t_cowakelow"])
@pytest.mark.parametrize("smp", SMP, ids=lambda n: f"smp{n}")
def test_yield_lets_waiting_threads_run(boot_policy, policy, smp, program):
    m = boot_policy(policy, smp=smp, initrd=True)
    m.shell_prompt(timeout=60)
    out = m.run(program, timeout=150)
    assert re.search(rf"^{program}: PASS$", out, re.M), out
    assert "FAIL" not in out, out
    still_alive(m)
