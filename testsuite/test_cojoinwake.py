"""A coroutine that a run of the executor puts back into the queue as the
run ends gets a worker (t_cojoinwake; docs/coroutines.md, "A run that ends
wakes a worker for what it put back").

co_run put such a coroutine back as a yield, and a yield woke nobody (its
caller fetches the next one itself), but a run that ends fetches nothing:
the other worker, asleep, slept on.  Three ways: a coroutine that yields
in co_join's run as the joined one ends ("yield"); the pick that co_join's
run, lowered to poll it, puts back unpolled because seq moved ("put
back"); the same in a run bounded to one poll ("bounded": the pick put
back is no poll, so the run makes one and says 1).  On main each failed
under every policy on 1, 2 and 4 harts ("yield": X never polled again
while main slept 5 s) and, on one hart under a priority policy, "put back"
(X never ran) and "bounded" (the run of one poll made 2).

The order of "put back" and "bounded" (main off its hart between its pick
and its second look at seq) is certain on one hart under a priority
policy, and asked for there ("picks put back: 1"); elsewhere main may poll
X itself, which proves nothing but must pass.

Two more ends of a run (review, stop 29): co_join's run that took a ring's
futex wake, its coroutine then done (t_cojoinbell), and a worker's run
bounded to one poll (t_corunbound).  Each failed on one hart under every
policy (the ready coroutine never polled in 10 s of main's yields); the
order each is for is certain there, and asked for."""
import re

import pytest

from conftest import still_alive

SMP = [1, 2, 4]
PRIORITY_POLICIES = {"heap", "bitmap", "multiqueue"}


@pytest.mark.timeout(240)
@pytest.mark.parametrize("smp", SMP, ids=lambda n: f"smp{n}")
def test_run_that_ends_wakes_a_worker(boot_policy, policy, smp):
    m = boot_policy(policy, smp=smp, initrd=True)
    m.shell_prompt(timeout=60)
    out = m.run("t_cojoinwake", timeout=150)
    assert re.search(r"^t_cojoinwake: yield: X polled again \(first poll on main: yes\)$",
                     out, re.M), out
    put_back = re.search(r"^t_cojoinwake: put back: X ran \(picks put back: (\d+)\)$",
                         out, re.M)
    bounded = re.search(r"^t_cojoinwake: bounded: the run of one poll made 1, X ran "
                        r"\(picks put back: (\d+)\)$", out, re.M)
    assert put_back and bounded, out
    if smp == 1 and policy in PRIORITY_POLICIES:
        # The order the checks are for was reached: they could fail.
        assert put_back.group(1) == "1" and bounded.group(1) == "1", out
    assert re.search(r"^t_cojoinwake: PASS$", out, re.M), out
    assert "panic" not in m.output()
    still_alive(m)


@pytest.mark.timeout(240)
@pytest.mark.parametrize("smp", SMP, ids=lambda n: f"smp{n}")
def test_ring_taken_by_an_ending_join_gets_a_worker(boot_policy, policy, smp):
    """t_cojoinbell: the doorbell's futex wake goes to co_join's sleeping
    run, whose coroutine then ends (cancelled); the run must not leave the
    rung coroutine with no worker woken or raised for it."""
    m = boot_policy(policy, smp=smp, initrd=True)
    m.shell_prompt(timeout=60)
    out = m.run("t_cojoinbell", timeout=150)
    line = re.search(r"^t_cojoinbell: ring: the HIGH coroutine ran after \d+ yields "
                     r"\(the ring's wake went to the joiner: (yes|no)\)$", out, re.M)
    assert line, out
    if smp == 1:
        # The order the check is for was reached (every policy: a thread
        # woken at the ceiling does not take the hart from an equal).
        assert line.group(1) == "yes", out
    assert re.search(r"^t_cojoinbell: PASS$", out, re.M), out
    assert "panic" not in m.output()
    still_alive(m)


@pytest.mark.timeout(240)
@pytest.mark.parametrize("smp", SMP, ids=lambda n: f"smp{n}")
def test_bounded_worker_run_hands_over_its_yielder(boot_policy, policy, smp):
    """t_corunbound: a worker's run bounded to one poll puts its yielder
    back and ends; a worker awake below the work must be raised for it
    (the run's end woke sleepers only)."""
    m = boot_policy(policy, smp=smp, initrd=True)
    m.shell_prompt(timeout=60)
    out = m.run("t_corunbound", timeout=150)
    line = re.search(r"^t_corunbound: the run of one poll made 1, X polled again after \d+ "
                     r"yields \(W picked L while main polled X: (yes|no)\)$", out, re.M)
    assert line, out
    if smp == 1:
        # The order the check is for was reached: it could fail.
        assert line.group(1) == "yes", out
    assert re.search(r"^t_corunbound: PASS$", out, re.M), out
    assert "panic" not in m.output()
    still_alive(m)
