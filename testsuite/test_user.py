"""User space: init, the shell and the test programs, run from pytest
through the shell on 1 and 4 harts.  Every program prints lines only a
working feature produces and ends with 'NAME: PASS'; after each one the
shell (and so init) must still answer."""
import re
import time

import pytest

from conftest import assert_frames_back, boot_shell, memory, still_alive

SMP = [1, 4]
ids = lambda n: f"smp{n}"

# Programs that check themselves, and how long each may take.
PROGRAMS = {
    "t_fork": 120,
    "t_threads": 120,
    "t_pipe": 180,
    "t_sleep": 60,
    "t_badarg": 60,
    "t_fault": 60,
    "t_mem": 60,
    "t_badelf": 60,
    "t_publish": 120,
    "t_yield": 120,
}




@pytest.mark.parametrize("smp", SMP, ids=ids)
@pytest.mark.parametrize("program", sorted(PROGRAMS))
def test_program(boot_policy, program, policy, smp):
    """Every test program passes under every policy, on 1 and 4 harts."""
    m = boot_policy(policy, smp=smp, initrd=True)
    m.shell_prompt(timeout=60)
    out = m.run(program, timeout=PROGRAMS[program])
    assert re.search(rf"^{program}: PASS$", out, re.M), out
    assert "FAIL" not in out, out
    assert "misbehaved" not in m.output()
    still_alive(m)


@pytest.mark.parametrize("smp", SMP, ids=ids)
def test_registers_survive_system_calls(boot_policy, policy, smp):
    """Every register but a0 comes back from a system call as it went in,
    both ways into the kernel (os/trap/trapentry.S): a plain yield the fast
    way (alone, switching between two threads, and switching to a thread
    woken from a pipe's read, which the kernel stopped in a sleep) and the
    full way (other calls, a resting yield, and on one hart a plain yield
    after a user-mode switch, which the kernel must have seen)."""
    m = boot_policy(policy, smp=smp, initrd=True)
    m.shell_prompt(timeout=60)
    out = m.run("t_regs", timeout=180)
    assert re.search(r"^t_regs: PASS$", out, re.M), out
    assert re.search(r"^t_regs: wake: 2000 writes and yields, 2000 reads$", out, re.M), out
    assert "FAIL" not in out, out
    seen = re.search(r"^t_regs: uswitch: \d+ turns, user-mode switches the kernel saw: (\d+)$",
                     out, re.M)
    assert seen, out
    if smp == 1:
        assert int(seen.group(1)) > 0, out
    assert "misbehaved" not in m.output()
    still_alive(m)


# Policies that promise strict priority order on one hart (SCHED_FLAG_PRIORITY).
STRICT = {"heap", "bitmap", "multiqueue"}


def test_priority_order_one_hart(boot_policy, policy):
    """On one hart, a strict-priority policy runs the higher-priority thread
    first; fifo does not promise that order (and says so)."""
    m = boot_policy(policy, smp=1, initrd=True)
    m.shell_prompt(timeout=60)
    out = m.run("ceiling 20 t_prio")     # it needs ceiling 20 (docs/scheduler.md)
    if policy in STRICT:
        assert re.search(r"^t_prio: order high,low$", out, re.M), out
    elif policy == "fifo":
        # Arrival order: a priority change re-queues a thread at the back.
        assert re.search(r"^t_prio: order \w+,\w+ \(not checked: policy fifo does not "
                         r"promise strict priority order\)$", out, re.M), out
    assert re.search(r"^t_prio: PASS$", out, re.M), out


@pytest.mark.parametrize("smp", SMP, ids=ids)
def test_fault_messages(machine, smp):
    """Each faulting child is named on the console with cause and address."""
    m = boot_shell(machine, smp)
    out = m.run("t_fault")
    kills = re.findall(r"^\[pid (\d+) t_fault\] killed: ([a-z ]+) at address (0x[0-9a-f]+)",
                       out, re.M)
    causes = {c for _, c, _ in kills}
    assert "store page fault" in causes, out
    assert "illegal instruction" in causes, out
    assert "instruction page fault" in causes, out
    assert "load page fault" in causes, out
    still_alive(m)


def test_bad_elf_reasons(machine):
    """exec refuses each broken executable and the console says why."""
    m = boot_shell(machine, 2)
    out = m.run("t_badelf")
    reasons = {
        "badelf_magic": "bad magic",
        "badelf_short": "shorter than an ELF header",
        "badelf_trunc": "program headers past the end of the file",
        "badelf_machine": "not a RISC-V executable",
        "badelf_entry": "entry point outside every executable segment",
        "badelf_wx": "segment both writable and executable",
        "badelf_bounds": "segment data past the end of the file",
        "badelf_kernel": "segment outside the user image area",
        "badelf_overlap": "segments overlap",
    }
    for name, why in reasons.items():
        assert f"exec: {name}: not a valid executable: {why}" in out, (name, out)
        assert re.search(rf"^t_badelf: {name} +-> ENOEXEC ok$", out, re.M), (name, out)
    still_alive(m)


@pytest.mark.parametrize("smp", SMP, ids=ids)
def test_shell_basics(machine, smp):
    m = boot_shell(machine, smp)
    assert m.run("echo one two  three").strip() == "one two three"
    assert "sh: frobnicate: command not found" in m.run("frobnicate")
    listing = m.run("ls")
    for prog in ("init", "sh", "ls", "echo", "cat", "t_fork", "t_pipe"):
        assert re.search(rf"^{prog}\s+\d+", listing, re.M), listing
    help_text = m.run("help")
    assert "exit [N]" in help_text and "t_threads" in help_text
    assert re.search(r"^scheduling policy: heap$", help_text, re.M), help_text
    # A three-stage pipeline.
    assert m.run("echo pipes work | cat | cat").strip() == "pipes work"
    # Background: the prompt comes back at once; the job is reaped later.
    out = m.run("t_sleep &")
    job = re.search(r"\[(\d+)\] started  t_sleep \(pid \d+\)", out)
    assert job, out
    # The shell reports a finished job before its next prompt.  (A minute:
    # t_sleep sleeps about a second at most, the rest is a loaded host.)
    deadline = time.monotonic() + 60
    while f"[{job.group(1)}] done     t_sleep (status 0)" not in m.run("echo tick"):
        assert time.monotonic() < deadline, \
            f"background job never reported done:\n{m.output()}"
        time.sleep(0.25)
    still_alive(m)
    # exit in the shell: init powers the machine off with the status.
    m.sendline("exit")
    assert m.wait_exit() == 0


def test_exit_status_reaches_qemu(machine):
    m = boot_shell(machine, 2)
    m.sendline("exit 7")
    assert m.wait_exit() == 7


@pytest.mark.parametrize("smp", SMP, ids=ids)
def test_memory_returned(machine, smp):
    """Running programs leaves the free-frame count where it was."""
    m = boot_shell(machine, smp)
    def run_all():
        assert re.search(r"^t_fork: PASS$", m.run("t_fork", timeout=60), re.M)
        assert re.search(r"^t_threads: PASS$", m.run("t_threads", timeout=120), re.M)
        assert m.run("echo a b c | cat").strip() == "a b c"
    run_all()
    before = memory(m)
    for _ in range(3):
        run_all()
    assert_frames_back(m, before)


def test_console_eof_and_dump(machine):
    """Ctrl-D ends a program reading the console; Ctrl-T lists every process
    and thread (a debugging aid that needs no locks) and sums up the
    scheduling events (test_shell.py: a second Ctrl-T lists them)."""
    m = boot_shell(machine, 2)
    m.sendline("cat")
    m.sendline("typed line")
    m.expect_exact("typed line")          # the echo of the typing
    m.expect_exact("typed line")          # and cat's copy of it
    m.send("\x04")
    m.shell_prompt()
    m.send("\x14")
    m.expect_exact("--- processes and threads ---")
    dump = m.expect(r"sched_lock (held|free)")
    m.expect_exact("the events themselves ---")
    text = m.output().split("--- processes and threads ---")[-1]
    assert "--- scheduling events: " in text, text
    assert re.search(r"^pid 1 init: alive", text, re.M), text
    assert re.search(r"^pid \d+ sh: alive", text, re.M), text
    assert re.search(r"^  tid \d+: blocked, prio 10", text, re.M), text
    assert dump.group(1) in ("held", "free")
    assert text.index("pid 1 init") < text.index("sched_lock"), text
    m.sendline("")                        # resynchronise on a fresh prompt
    m.shell_prompt()
    still_alive(m)
