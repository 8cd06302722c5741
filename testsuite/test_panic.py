"""A deliberate panic: cause, registers, a backtrace that names the right
functions, all harts stopped and a non-zero exit status."""
import re

import pytest

from machine import addr2line, backtrace_addresses


@pytest.mark.parametrize("smp", [1, 4], ids=lambda n: f"smp{n}")
def test_ktest_panic(machine, smp):
    m = machine(smp=smp, append="ktest=panic")
    status = m.wait_exit()
    out = m.output()
    assert status == 1, out
    # The boot hart is chosen by OpenSBI's lottery: any hart may panic.
    assert re.search(r"^PANIC on hart [0-3]: unexpected trap in the kernel$", out, re.M)
    assert "cause  15 (store page fault)" in out
    assert "stval  0000000000000008" in out
    for reg in ("ra", "sp", "s0", "a0", "t6"):
        assert f"  {reg} " in out
    names = addr2line(backtrace_addresses(out))
    # Innermost first: the faulting function, its callers, the test runner.
    assert names[:3] == ["ktest_panic_fault", "ktest_panic_middle", "ktest_panic"], names
    assert "kmain" in names
    assert "all harts stopped; exiting with status 1" in out


def test_monitor_panic(machine):
    m = machine(smp=4)
    m.prompt(timeout=60)
    m.sendline("panic testing 123")
    status = m.wait_exit()
    out = m.output()
    assert status == 1
    assert re.search(r"^PANIC on hart \d: requested from the monitor: testing 123$",
                     out, re.M)
    names = addr2line(backtrace_addresses(out))
    assert names.index("cmd_panic") < names.index("execute"), names
