"""Who completes a pending asynchronous pipe operation (h_pipeserve): the
call that lets it go, up to a batch, and the pipe's kernel coroutine past
it; a cancel, a close, an exit or a kill racing completions on other harts
loses no byte and leaks nothing.  Under every policy, on 1, 2 and 4 harts,
booted with poison=1 (freed kernel memory filled: a use after free shows)."""
import re

import pytest

from conftest import assert_frames_back, memory
from test_stress import debug_kernel  # noqa: F401 (a fixture: make kdebug, once)

SMP = [1, 2, 4]


@pytest.mark.timeout(400)
@pytest.mark.parametrize("smp", SMP, ids=lambda n: f"smp{n}")
def test_pipeserve(boot_policy, policy, smp):
    m = boot_policy(policy, smp=smp, initrd=True, append="poison=1")
    m.shell_prompt(timeout=60)
    m.run("h_pipeserve 5", timeout=120)         # warm the heap up
    m.run("echo settle")
    before = memory(m)
    out = m.run("h_pipeserve 100", timeout=300)
    assert re.search(r"^h_pipeserve: PASS$", out, re.M), out
    for line in ("batch: 16 completed in the write's call, the rest by the coroutine",
                 "close: 20 pending reads see EOF",
                 "cancel: the next in line completed in the cancel's call",
                 "exit and kill: the next in line completed",
                 "a buffer gone: -EFAULT, the next reader gets the bytes",
                 "a write larger than the ring, read asynchronously: doorbells on time",
                 "race: 100 rounds of completions against cancels and exits"):
        assert "h_pipeserve: " + line in out, out
    assert "panic" not in m.output()
    assert "misbehaved" not in m.output()
    assert_frames_back(m, before)
    assert re.search(r"^still alive$", m.run("echo still alive"), re.M)


@pytest.mark.timeout(400)
@pytest.mark.parametrize("smp", [2, 4], ids=lambda n: f"smp{n}")
def test_pipeserve_debug_kernel(boot_policy, debug_kernel, policy, smp):  # noqa: F811
    """The same on the debug kernel (invariant checks on the scheduler,
    the frames and the locks, os/kernel/invariants.h)."""
    m = boot_policy(policy, kernel=debug_kernel, smp=smp, initrd=True, append="poison=1")
    m.shell_prompt(timeout=90)
    out = m.run("h_pipeserve 50", timeout=300)
    assert re.search(r"^h_pipeserve: PASS$", out, re.M), out
    assert "panic" not in m.output()
    assert re.search(r"^still alive$", m.run("echo still alive"), re.M)


def test_pipeserve_usage(machine):
    """A bad ROUNDS is refused with the usage line; nothing else runs."""
    from conftest import boot_shell, still_alive
    m = boot_shell(machine, 1)
    for arg in ("x", "-1", "100001", "1 2", "12x"):
        out = m.run(f"h_pipeserve {arg}")
        assert "usage: h_pipeserve [ROUNDS]" in out, out
        assert "PASS" not in out and "batch:" not in out, out
    still_alive(m)
