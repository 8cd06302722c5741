"""Typed input reaches the kernel through the UART receive interrupt, and the
monitor's line editing behaves."""
import re

import pytest


def irq_count(m):
    return int(re.search(r"uart rx interrupts: (\d+)", m.command("irqs")).group(1))


@pytest.mark.parametrize("smp", [1, 4], ids=lambda n: f"smp{n}")
def test_typed_input(machine, smp):
    m = machine(smp=smp)
    m.prompt(timeout=60)
    before = irq_count(m)
    assert m.command("echo hello from pytest").strip() == "hello from pytest"
    after = irq_count(m)
    # Each byte typed raised (at least one) receive interrupt.
    assert after > before
    # Backspace (DEL) erases.
    m.send("echo abX\x7fc\r")
    m.expect_exact("abc")
    m.prompt()
    assert "unknown command 'frobnicate'" in m.command("frobnicate")
    m.sendline("poweroff")
    assert m.wait_exit() == 0


def test_overlong_line_is_refused(machine):
    m = machine(smp=1)
    m.prompt(timeout=60)
    out = m.command("echo " + "x" * 200)
    assert "line longer than 127 bytes ignored" in out
    assert m.command("echo still here").strip() == "still here"


def test_help_lists_commands(machine):
    m = machine(smp=1)
    m.prompt(timeout=60)
    out = m.command("help")
    for cmd in ("help", "echo", "mem", "harts", "bootargs", "irqs", "panic", "poweroff"):
        assert re.search(rf"^  {cmd} ", out, re.M), cmd
