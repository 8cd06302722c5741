"""lockstat: which kernel locks harts waited for, and how long
(user/programs/lockstat.c, kernel/lockstat.h).  That a real wait is
counted, by kind, with its time, is the kernel's self-test's to show
(`ktest=lockstat`, in test_ktest.py: every other hart waits for a lock one
holds, on 4 harts).  Here: the program and its system call.  With one hart
no lock can be waited for (a kernel lock is held with interrupts off), so
whatever runs, the answer is none; with more, whether harts met on a lock
is the host's timing, so only the table's form is judged."""
import re

import pytest

from conftest import still_alive

ROW = re.compile(r"^(\S+)\s+(\d+)\s+(\d+)\s+(\d+)$")
HEADER = re.compile(r"^lock\s+waits\s+spin_us\s+max_us$")
NONE = "no hart waited for a kernel lock"
WORK = "b_prings -s 3876 4 512 {w} 2"


def table(out):
    """The rows lockstat printed, {name: (waits, spin_us, max_us)}; None
    for its 'none' line.  Every line after the header must be a row."""
    lines = [line.rstrip() for line in out.splitlines()]
    if NONE in lines:
        return None
    at = [i for i, line in enumerate(lines) if HEADER.match(line)]
    assert len(at) == 1, out
    rows = {}
    for line in lines[at[0] + 1:]:
        if not line.strip():
            continue
        m = ROW.match(line)
        assert m, f"not a row: {line!r}\n{out}"
        rows[m.group(1)] = tuple(int(x) for x in m.groups()[1:])
    assert rows, out
    return rows


@pytest.mark.timeout(240)
@pytest.mark.parametrize("smp", [1, 2, 4], ids=lambda n: f"smp{n}")
def test_lockstat_runs_a_command_and_shows_its_waits(boot_policy, policy, smp):
    m = boot_policy(policy, smp=smp, initrd=True)
    m.shell_prompt(timeout=60)
    out = m.run("lockstat " + WORK.format(w=min(smp, 2)), timeout=180)
    assert "BENCH-DONE prings" in out and "BENCH-ERROR" not in out, out
    rows = table(out)
    if smp == 1:
        assert rows is None, out
    elif rows is not None:
        for name, (waits, spin_us, max_us) in rows.items():
            assert waits >= 1 and max_us <= spin_us, f"{name}: {out}"
    # Read and zeroed (-r): on one hart still none; on more, a table or
    # none, either well formed.
    again = m.run("lockstat -r", timeout=60)
    rows = table(again)
    if smp == 1:
        assert rows is None, again
    assert "exited with status" not in again, again
    still_alive(m)


def test_lockstat_says_what_is_wrong(boot_policy):
    m = boot_policy("heap", smp=1, initrd=True)
    m.shell_prompt(timeout=60)
    out = m.run("lockstat -h", timeout=30)
    assert out.startswith("usage: lockstat [-r] [CMD [ARGS...]]"), out
    assert "exited with status" not in out, out
    out = m.run("lockstat -x", timeout=30)
    assert "lockstat: unknown option '-x'" in out and "exited with status 2" in out, out
    out = m.run("lockstat -r b_prings", timeout=30)
    assert "usage: lockstat" in out and "exited with status 2" in out, out
    out = m.run("lockstat nosuch", timeout=30)
    assert ("lockstat: nosuch: no such program (ls lists them)" in out
            and "exited with status 127" in out), out
    # The command's own status is lockstat's (b_prings' bad usage: 2).
    out = m.run("lockstat b_prings", timeout=30)
    assert "usage: b_prings" in out and NONE in out and "exited with status 2" in out, out
    still_alive(m)
