"""Thousands of threads in one process (docs/processes.md, "Limits"): the
kernel holds 4096 threads, a process as many as are left of them, their
user stacks are demand-paged, and everything comes back when they go.

Every test runs under each policy, on 1 and 4 harts.  The sizes are
guarantees, not speeds: a loaded two-core host may take its time."""
import re

import pytest

from conftest import assert_frames_back, memory, still_alive

SMP = [1, 4]
ids = lambda n: f"smp{n}"


def run_ok(boot_policy, policy, smp, command, timeout):
    m = boot_policy(policy, smp=smp, initrd=True)
    m.shell_prompt(timeout=60)
    out = m.run(command, timeout=timeout)
    print(out)                           # the figures, for -rA
    assert re.search(r"^t_manythreads: PASS$", out, re.M), out
    assert "FAIL" not in out, out
    assert "misbehaved" not in m.output()
    return m, out


@pytest.mark.timeout(900)
@pytest.mark.parametrize("smp", SMP, ids=ids)
def test_ring_of_4000_threads(boot_policy, policy, smp):
    """4000 threads of one process each hold the token in turn, twice; then
    the machine has every frame and every byte of kernel heap it had."""
    m, out = run_ok(boot_policy, policy, smp, "t_manythreads 4000 2", timeout=600)
    assert re.search(r"^t_manythreads: ring of 4000 threads, 2 rounds: 8000 hops, 0 out "
                     r"of turn, 0 threads short of their rounds", out, re.M), out
    created = re.search(r"^t_manythreads: 4000 threads created; kernel threads (\d+)",
                        out, re.M)
    assert created and int(created[1]) > 4000, out
    before_after = re.search(r"frames free or in the heap (\d+) before, (\d+) after; kernel heap (\d+) "
                             r"bytes before, (\d+) after", out)
    assert before_after and before_after[1] == before_after[2], out
    assert before_after[3] == before_after[4], out
    still_alive(m)


@pytest.mark.timeout(900)
@pytest.mark.parametrize("smp", SMP, ids=ids)
def test_thread_limit_then_recover(boot_policy, policy, smp):
    """Threads until thread_create refuses (EAGAIN, at no fewer than 4000),
    twice: the process (and the machine) carries on after the limit."""
    m, out = run_ok(boot_policy, policy, smp, "t_manythreads limit", timeout=600)
    passes = re.findall(r"^t_manythreads: pass (\d): (\d+) threads, then thread_create: "
                        r"EAGAIN \(kernel threads 4096,", out, re.M)
    assert [p for p, _ in passes] == ["1", "2"], out
    assert all(int(n) >= 4000 for _, n in passes), out
    assert passes[0][1] == passes[1][1], out         # nothing leaked between them
    assert re.search(r"^t_manythreads: pass 2: (\d+) of \1 joined$", out, re.M), out
    assert "t_threads: PASS" in m.run("t_threads 4", timeout=120)
    still_alive(m)


@pytest.mark.parametrize("smp", SMP, ids=ids)
def test_demand_paged_stack(boot_policy, policy, smp):
    """A thread's whole stack works, touched by the thread or first written
    by the kernel (a read into a buffer on the stack)."""
    m, out = run_ok(boot_policy, policy, smp, "t_manythreads stack", timeout=120)
    assert "t_manythreads: 3 threads used 60 KiB of their stacks" in out, out
    still_alive(m)


@pytest.mark.timeout(600)
@pytest.mark.parametrize("smp", SMP, ids=ids)
def test_out_of_memory_then_recover(boot_policy, policy, smp):
    """In a 48 MiB machine memory runs out before the thread limit:
    thread_create fails with ENOMEM, twice, the process recovers each time,
    and once it has gone every frame is free again."""
    m = boot_policy(policy, smp=smp, initrd=True, mem="48M")
    m.shell_prompt(timeout=60)
    before = memory(m)
    out = m.run("t_manythreads limit", timeout=300)
    print(out)
    assert re.search(r"^t_manythreads: PASS$", out, re.M), out
    passes = re.findall(r"^t_manythreads: pass (\d): (\d+) threads, then thread_create: "
                        r"ENOMEM \(", out, re.M)
    assert [p for p, _ in passes] == ["1", "2"], out
    assert all(int(n) >= 1000 for _, n in passes), out
    assert re.search(r"^t_manythreads: pass 2: (\d+) of \1 joined$", out, re.M), out
    # Exited threads' structs go as they leave their harts: a moment later
    # (and one that exited before `before` was read may come back after).
    assert_frames_back(m, before)
    assert "t_threads: PASS" in m.run("t_threads 4", timeout=120)
    still_alive(m)
