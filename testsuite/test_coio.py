"""The kernel's side of coroutines from a hostile process (h_coio): the
executor region, the doorbell, asynchronous pipe I/O and sleeps, cancel,
exit / exec / kill with operations in flight, and the refusals; sibling
threads closing and replacing the descriptors that others submit on, and
growing the descriptor table under them (the kernel borrows a
submission's file without the table's lock or a reference: os/fs/file.h,
"A borrow"; a file freed too early is a panic with poison=1, a double free
or a fault on the heap's free mark), and every way out of a submission
taken with a sibling alive, which must let its borrow go (checked by the
debug kernel).  Under every policy, on one, two and four harts; the shell
must still answer and the free frames come back."""
import re

import pytest

from conftest import assert_frames_back, memory
from test_stress import debug_kernel  # noqa: F401 (a fixture: make kdebug, once)

SMP = [1, 2, 4]


@pytest.mark.timeout(200)
@pytest.mark.parametrize("smp", SMP, ids=lambda n: f"smp{n}")
def test_coio(boot_policy, policy, smp):
    m = boot_policy(policy, smp=smp, initrd=True, append="poison=1")
    m.shell_prompt(timeout=60)
    m.run("h_coio", timeout=90)                 # warm the heap up
    m.run("echo settle")
    before = memory(m)
    out = m.run("h_coio", timeout=90)
    assert re.search(r"^h_coio: PASS$", out, re.M), out
    for line in ("no executor: refused", "executor: 64 records mapped",
                 "bad io, cid, fd, buf, n: refused",
                 "completions: immediate, pending, doorbell, FIFO, sleep, EOF, EPIPE",
                 "cancel: once, twice, unknown; 8192 pending at most",
                 "io and buf unmapped before completion: dropped",
                 "a forked child starts with no executor",
                 "exec with operations in flight",
                 "exit, exec and kill with operations in flight: dropped",
                 "a console write, borrowed",
                 "every way out of a submission, with a sibling: borrow let go",
                 "descriptors closed and swapped under submissions: 3000 rounds",
                 "exit while another process completes its operations"):
        assert "h_coio: " + line in out, out
    assert "panic" not in m.output()
    assert "misbehaved" not in m.output()
    # The executor pages, the operations and the kernel's coroutines are
    # all given back (the pipes' coroutines end at their next poll: let
    # the shell run a command first).
    assert_frames_back(m, before)
    assert re.search(r"^still alive$", m.run("echo still alive"), re.M)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("smp", SMP, ids=lambda n: f"smp{n}")
def test_coio_borrows_let_go(boot_policy, debug_kernel, policy, smp):  # noqa: F811
    """Every way out of a submission in a process of several threads (h_coio
    b, c and B: the refusals, the completions, a console write, transfers
    of nothing) lets its borrow of the file go before the call returns, on
    the debug kernel, which checks at every return to user mode and every
    thread switch that the hart borrows nothing (os/kernel/invariants.h).
    A borrow left named would hold off the file's last close (fs/file.h,
    "A borrow"), and the normal kernel shows it only when that close
    comes."""
    m = boot_policy(policy, kernel=debug_kernel, smp=smp, initrd=True, append="poison=1")
    m.shell_prompt(timeout=90)
    assert "kdebug: invariant checks on" in m.output(), "not the debug kernel"
    out = m.run("h_coio bcB", timeout=200)
    assert re.search(r"^h_coio: PASS$", out, re.M), out
    assert "h_coio: every way out of a submission, with a sibling: borrow let go" in out, out
    for bad in ("PANIC", "invariant broken", "assertion failed"):
        assert bad not in m.output(), f"{bad!r} on the console"
    assert re.search(r"^still alive$", m.run("echo still alive"), re.M)
