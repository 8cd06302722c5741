"""Thousands of files and asynchronous operations in one process
(t_manyfds): a file table grown from 16 entries to MAX_FDS, pipes read and
written synchronously and by 4000 coroutines with their reads pending at
once, fork with thousands of fds, EMFILE at the limit and recovery, bad
descriptors refused, and every frame and heap byte given back.  Under
every policy, on one hart and on four; the shell must still answer."""
import re

import pytest

from conftest import assert_frames_back, memory, still_alive

SMP = [1, 4]

LINES = (
    r"ring: a token through 4000 pipes \(fds 3\.\.8002\)",
    r"fork: the child saw 8003 fds, its closes left the parent's alone; exec kept them",
    r"limit: EMFILE at 8192 open fds, and the process goes on",
    r"bad fds: negative, huge, past the table: EBADF",
    r"coro: 4000 asynchronous reads pending at once, the token through all",
    r"memory: every frame and heap byte back after the second round",
)


@pytest.mark.timeout(600)
@pytest.mark.parametrize("smp", SMP, ids=lambda n: f"smp{n}")
def test_manyfds(boot_policy, policy, smp):
    m = boot_policy(policy, smp=smp, initrd=True, append="poison=1")
    m.shell_prompt(timeout=60)
    warm = m.run("t_manyfds 100", timeout=240)  # the kernel's heap warmed up
    assert re.search(r"^t_manyfds: PASS$", warm, re.M), warm
    before = memory(m)
    out = m.run("t_manyfds", timeout=480)
    assert re.search(r"^t_manyfds: PASS$", out, re.M), out
    assert "FAIL" not in out, out
    for line in LINES:
        assert len(re.findall(r"^t_manyfds: " + line, out, re.M)) >= 1, (line, out)
    assert "panic" not in m.output()
    assert "misbehaved" not in m.output()
    # The process's own memory too (its file table of MAX_FDS entries, its
    # executor): all back once it has exited (the pipes' coroutines end at
    # their next poll: let the shell run a command first).
    assert_frames_back(m, before)
    still_alive(m)


def test_manyfds_usage(machine):
    """A bad N is refused with the usage line; nothing else runs."""
    from conftest import boot_shell
    m = boot_shell(machine, 1)
    for arg in ("0", "1", "4001", "x"):
        out = m.run(f"t_manyfds {arg}")
        assert "usage: t_manyfds [N]" in out, out
        assert "PASS" not in out and "ring:" not in out, out
    still_alive(m)
