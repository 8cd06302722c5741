"""A worker that lowers itself for its next poll after a ring it did not
see is raised or keeps its priority (t_colowerring; docs/coroutines.md,
"A worker that lowers itself is seen low, or sees the ring").

The worker's last look at the doorbell, then a ring that reads its old
priority and raises nobody, then its set_priority down: switched out on
the way back below threads that yield above it, it never ran again to
look at seq itself.  t_colowerring widens that window as a process can (it
holds the executor's lock while the ring comes: a worker preempted, or
asleep on the lock behind one that is, holds it as long), on the path of
co_yield's swap, which lowered the worker with no look at all.  On main
it failed on one hart under heap (the HIGH coroutine never ran: 10 s of
yields); with the swap sent through co_run's second look at seq alone it
still failed (the worker, lowered, never ran to make it): the kernel's
look at seq in set_priority (CO_LOWER_UNLESS_MOVED) is what passes.  Under
fifo, or where a hart is free, the worker runs anyway: must pass.

Then the call itself ("abi"): with a seq that moved, EAGAIN and the
priority unchanged (on main: 0 and lowered, the argument ignored); with
the current one, lowered; on another thread's call or a raise, no
condition."""
import re

import pytest

from conftest import still_alive

SMP = [1, 2, 4]


@pytest.mark.timeout(240)
@pytest.mark.parametrize("smp", SMP, ids=lambda n: f"smp{n}")
def test_lowered_worker_sees_the_ring(boot_policy, policy, smp):
    m = boot_policy(policy, smp=smp, initrd=True)
    m.shell_prompt(timeout=60)
    for _ in range(2):          # twice: a second executor in the same shell
        out = m.run("t_colowerring", timeout=150)
        assert re.search(r"^t_colowerring: yield: the HIGH coroutine ran after \d+ yields",
                         out, re.M), out
        assert re.search(r"^t_colowerring: abi: moved -11 at 10, current 0 at 1, "
                         r"other thread 0 at 1, raise 0 at 10$", out, re.M), out
        assert re.search(r"^t_colowerring: PASS$", out, re.M), out
    assert "panic" not in m.output()
    still_alive(m)
