"""Kernel self-tests (ktest=...), on one hart and on four."""
import re

import pytest

# The tests `ktest=all` must run; a test missing from the output fails here.
EXPECTED = ["format", "bootargs", "frame", "heap", "vm", "spinlock", "timer", "ipi",
            "printf", "kcoro"]
PRINTF_TAIL = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@pytest.mark.parametrize("smp", [1, 4], ids=lambda n: f"smp{n}")
def test_ktest_all(machine, smp):
    m = machine(smp=smp, append="ktest=all")
    status = m.wait_exit(timeout=100)
    out = m.output()
    results = dict(re.findall(r"^ktest: (\w+) \.\.\. (ok|FAILED)$", out, re.M))
    assert sorted(results) == sorted(EXPECTED), out
    failed = [name for name, r in results.items() if r != "ok"]
    assert not failed, out
    assert f"ktest: summary: {len(EXPECTED)} passed, 0 failed" in out
    assert status == 0
    # The SMP tests really ran on every hart.
    assert f"{smp} harts x 20000 increments = {smp * 20000}" in out
    assert len(re.findall(r"^ktest:   hart \d+: \d+ ticks", out, re.M)) == smp
    # Every hart printed its 40 lines at the same time and no line was
    # broken up by another hart's output.
    printf_lines = [l for l in out.split("\n") if "printf hart" in l]
    assert len(printf_lines) == 40 * smp
    whole = re.compile(rf"^ktest:   printf hart (\d) line (\d\d): {PRINTF_TAIL}$")
    assert all(whole.match(l) for l in printf_lines), printf_lines
    for hart in range(smp):
        lines = [int(whole.match(l).group(2)) for l in printf_lines
                 if whole.match(l).group(1) == str(hart)]
        assert lines == list(range(40))


def test_timer_sbi_fallback(machine):
    """timer=sbi programs ticks through SBI set_timer instead of stimecmp."""
    m = machine(smp=2, append="timer=sbi ktest=timer")
    assert m.wait_exit() == 0
    out = m.output()
    assert "SBI set_timer" in out
    assert "ktest: timer ... ok" in out


def test_ktest_selected(machine):
    m = machine(smp=2, append="ktest=vm,format")
    assert m.wait_exit() == 0
    out = m.output()
    ran = re.findall(r"^ktest: (\w+) \.\.\. ok$", out, re.M)
    assert ran == ["vm", "format"]
    assert "ktest: summary: 2 passed, 0 failed" in out


def test_ktest_unknown_name(machine):
    m = machine(smp=1, append="ktest=frame,nosuch")
    assert m.wait_exit() == 3
    out = m.output()
    assert "ktest: unknown test 'nosuch'" in out
    assert "ktest: frame ..." not in out          # nothing ran
    assert re.search(r"^ktest: heap +kmalloc", out, re.M)   # the list


def test_ktest_list(machine):
    m = machine(smp=1, append="ktest=list")
    assert m.wait_exit() == 0
    out = m.output()
    for name in EXPECTED + ["panic"]:
        assert re.search(rf"^ktest: {name} ", out, re.M), name


@pytest.mark.parametrize("smp", [1, 4], ids=lambda n: f"smp{n}")
def test_ktest_kcoro(boot_policy, policy, smp):
    """The kernel's coroutines run on the kernel's built-in heap policy,
    whatever policy the machine schedules threads with."""
    m = boot_policy(policy, smp=smp, append="ktest=kcoro")
    assert m.wait_exit(timeout=60) == 0, m.output()
    out = m.output()
    assert "ktest: kcoro ... ok" in out
    for line in ("kcoro order: priority, then FIFO among equals",
                 "kcoro wakes: none lost, none doubled",
                 "kcoro cancel: idle and queued, never polled after",
                 "kcoro poll: at most 64 per call"):
        assert line in out
