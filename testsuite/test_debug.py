"""`make debug` starts QEMU halted with a gdb stub, and gdb-multiarch can
stop the kernel at its C entry point with the command it prints; the lab
guide's recipes stop gdb in a policy, called by the kernel or run by a
process."""
import os
import re
import socket
import subprocess

import pytest

from conftest import POLICIES
from machine import ROOT, KERNEL


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_gdb_stops_at_kmain():
    port = free_port()
    env = dict(os.environ, GDB_PORT=str(port))
    qemu = subprocess.Popen(["make", "-s", "-C", ROOT, "debug", "SMP=2",
                             "RUN_FLAGS=--plain"], env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        # The script prints the gdb command before QEMU starts listening;
        # gdb retries the connection itself.
        gdb = subprocess.run(
            ["gdb-multiarch", "-batch", "-nx", KERNEL,
             "-ex", "set tcp connect-timeout 20",
             "-ex", f"target remote :{port}",
             "-ex", "hbreak kmain", "-ex", "continue",
             "-ex", "print hartid < 8", "-ex", "kill"],
            capture_output=True, text=True, timeout=60)
        out = gdb.stdout + gdb.stderr
        assert "hit Breakpoint 1, kmain (" in out, out
        assert "$1 = 1" in out, out       # a0 holds a valid hart id there
    finally:
        os.killpg(qemu.pid, 9)
        _, err = qemu.communicate(timeout=10)
    assert f"make gdb GDB_PORT={port}" in err


def test_gdb_breaks_in_a_policy_blob():
    """The lab guide's recipe: gdb stops inside a policy, with its source."""
    port = free_port()
    qemu = subprocess.Popen(
        [os.path.join(ROOT, "scripts", "run-qemu.sh"), "--kernel", KERNEL,
         "--initrd", os.path.join(ROOT, "build", "initrd.cpio"), "--smp", "1",
         "--plain", "--debug", "--append", "sched=fifo"],
        env=dict(os.environ, GDB_PORT=str(port)), stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        gdb = subprocess.run(
            ["gdb-multiarch", "-batch", "-nx", KERNEL,
             "-ex", "set tcp connect-timeout 20", "-ex", f"target remote :{port}",
             "-ex", "add-symbol-file " + os.path.join(ROOT, "build", "sched", "fifo.elf")
             + " -o 0xffffffc040000000",
             "-ex", "hbreak kmain", "-ex", "continue",
             "-ex", "break fifo_fetch", "-ex", "continue", "-ex", "kill"],
            capture_output=True, text=True, timeout=60)
        out = gdb.stdout + gdb.stderr
        assert "Breakpoint 2, fifo_fetch (" in out, out
        assert "sched_impls/fifo/fifo.c" in out, out
    finally:
        os.killpg(qemu.pid, 9)
        qemu.wait(timeout=10)


# Where a process sees the shared code pages: the policy blob first, the
# runtime blob 16 pages after it (sched_abi/vdso.h: SHARED_CODE_ADDR,
# SHARED_RUNTIME_ADDR).  Read from the header, so that the test follows it.
def shared_code_addresses():
    text = open(os.path.join(ROOT, "sched_abi", "vdso.h")).read()
    base = int(re.search(r"#define SHARED_BASE_ADDR\s+(0x[0-9a-fA-F]+)", text).group(1), 16)
    pages = int(re.search(r"#define SHARED_DATA_PAGES_N\s+(\d+)", text).group(1))
    policy = base + pages * 4096
    return policy, policy + 16 * 4096


# Each built-in policy's function prefix (its SCHED_POLICY line).
PREFIX = {"heap": "heap", "bitmap": "bitmap", "multiqueue": "mq", "fifo": "fifo"}
# What the runtime's user-mode switch calls for its answer: fetch, or the
# policy's yield_fetch where it has one (ABI 2.4: all but multiqueue).
SWITCH_FETCH = {"heap": "heap_yield_fetch", "bitmap": "bitmap_yield_fetch",
                "multiqueue": "mq_fetch", "fifo": "fifo_yield_fetch"}


def gdb_during_pingpong(machine, monkeypatch, name, smp, symbol_files, commands,
                        kernel_symbols):
    """Boots policy `name` halted under gdb, lets it run to the shell, starts
    t_pingpong (threads of one process yielding to each other: user-mode
    switches) and returns what gdb printed.  gdb sets its breakpoints before
    the boot; nothing before the prompt reaches them (the test waits for
    it), so the stop is t_pingpong's.  Without kernel_symbols gdb knows only
    symbol_files (the kernel has a copy of heap of its own, its fallback,
    which its coroutine executor runs: heap_fetch would be two places)."""
    port = free_port()
    monkeypatch.setenv("GDB_PORT", str(port))
    m = machine(smp=smp, initrd=True, policy=name, extra_args=["--debug"])
    args = ["gdb-multiarch", "-batch", "-nx"] + ([KERNEL] if kernel_symbols else [])
    args += ["-ex", "set architecture riscv:rv64",
             "-ex", "set tcp connect-timeout 30", "-ex", f"target remote :{port}"]
    for path, offset in symbol_files:
        args += ["-ex", f"add-symbol-file {path} -o {offset:#x}"]
    for c in commands + ["continue", "print $priv", "backtrace 8", "kill"]:
        args += ["-ex", c]
    gdb = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        try:
            m.shell_prompt(timeout=90)
        except AssertionError as e:
            # gdb stopped the machine (or killed it) before the prompt:
            # show where.
            os.killpg(gdb.pid, 9)
            raise AssertionError(f"{e}; gdb said:\n{gdb.communicate(timeout=10)[0]}") from None
        # Whether a run reaches the breakpoint can depend on timing (the
        # kernel calls remove only when it learns of a user-mode switch to
        # a thread parked in its queue): a run that ends without a stop is
        # followed by another (the shell takes type-ahead), up to 90 s.
        for _ in range(6):
            m.sendline("t_pingpong")
            try:
                out, _ = gdb.communicate(timeout=15)
                break
            except subprocess.TimeoutExpired:
                continue
        else:
            raise AssertionError("gdb never stopped in 6 runs of t_pingpong")
    finally:
        if gdb.poll() is None:
            os.killpg(gdb.pid, 9)
            gdb.wait(timeout=10)
    return out


@pytest.mark.timeout(200)
@pytest.mark.parametrize("smp", [1, 4], ids=lambda n: f"smp{n}")
@pytest.mark.parametrize("name", POLICIES)
def test_gdb_breaks_in_a_policy_run_by_a_process(machine, monkeypatch, name, smp):
    """The lab guide's second recipe: the policy's ELF at the shared code's
    user address stops gdb in the policy as a process runs it, in user mode,
    called by the runtime's user-mode switch."""
    policy_at, runtime_at = shared_code_addresses()
    fetch = SWITCH_FETCH[name]
    out = gdb_during_pingpong(
        machine, monkeypatch, name, smp,
        [(os.path.join(ROOT, "build", "sched", f"{name}.elf"), policy_at),
         (os.path.join(ROOT, "build", "sched", "runtime.elf"), runtime_at)],
        # The runtime fetches only when another thread of the process is
        # in its queue: never in the single-threaded init and shell (their
        # yields call the policy's yield, then the kernel).
        [f"break {fetch}"], kernel_symbols=False)
    assert re.search(rf"Breakpoint [\d.]+, {fetch} \(", out), out
    assert f"sched_impls/{name}/{name}.c" in out, out
    assert re.search(r"^\$1 = 0$", out, re.M), out           # U mode
    # Called by the runtime's switch: its assembly fast path
    # (user_schedule) or one of the C half's three entries.
    assert re.search(r"^#1 .* in user_schedule(_saved|_pinned|_fetched)? \(", out, re.M), out


@pytest.mark.timeout(200)
@pytest.mark.parametrize("name", POLICIES)
def test_kernel_calls_remove_on_a_user_mode_switch(machine, monkeypatch, name):
    """What the guide says of remove: the kernel calls it, on its own
    queue, when it learns of a user-mode switch (the thread switched to
    leaves the queue it was parked in), so t_pingpong reaches it."""
    p = PREFIX[name]
    elf = os.path.join(ROOT, "build", "sched", f"{name}.elf")
    # At the blob's remove only, by address: the kernel's own heap (its
    # fallback, which only its coroutine executor runs) has a heap_remove
    # too.
    alias = 0xffffffc040000000
    nm = subprocess.run(["riscv64-unknown-elf-nm", elf], capture_output=True, text=True,
                        check=True).stdout
    offset = int(re.search(rf"^([0-9a-f]+) t {p}_remove$", nm, re.M).group(1), 16)
    out = gdb_during_pingpong(machine, monkeypatch, name, 2, [(elf, alias)],
                              [f"break *{alias + offset:#x}"], kernel_symbols=True)
    assert re.search(rf"Breakpoint [\d.]+, (0x[0-9a-f]+ in )?{p}_remove \(", out), out
    assert re.search(r"^\$1 = 1$", out, re.M), out           # S mode
    assert re.search(r"^#\d+ .*switch_identity \(", out, re.M), out
