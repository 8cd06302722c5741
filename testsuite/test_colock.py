"""The executor lock's waiter sleeps at once when its holder is off its
hart (t_colock): main holds its process's executor lock and sleeps in the
kernel while a second thread spawns a coroutine, which needs the lock.
The waiter must go to sleep on the lock word (main sees CO_LOCK_SLEEPERS
in it, then lets go and wakes it), and the executor's own statistics
must show that it did not spin for nothing: on one hart, where the holder
cannot run while the waiter does, not a single try (the lock before
spun 64); on two, within the executor's bound.  All of it is counts; how
fast the host is changes only how long the test takes."""
import re

import pytest

from conftest import still_alive

SMP = [1, 2]

LINE = re.compile(
    r"^t_colock: harts (\d+): the waiter slept after (\d+) ms; lock waits (\d+), "
    r"spins (\d+), sleeps (\d+); spawn done$", re.M)


@pytest.mark.timeout(180)
@pytest.mark.parametrize("smp", SMP, ids=lambda n: f"smp{n}")
def test_lock_waiter_sleeps_when_holder_is_off_its_hart(boot_policy, policy, smp):
    m = boot_policy(policy, smp=smp, initrd=True)
    m.shell_prompt(timeout=60)
    out = m.run("t_colock", timeout=120)
    found = LINE.search(out)
    assert found, out
    print(found.group(0))
    harts, _ms, waits, spins, sleeps = (int(g) for g in found.groups())
    assert harts == smp, out
    assert waits >= 1 and sleeps >= 1, out
    if smp == 1:
        assert spins == 0, out
    else:
        assert spins <= 4096 * waits, out
    assert re.search(r"^t_colock: PASS$", out, re.M), out
    assert "panic" not in m.output()
    still_alive(m)
