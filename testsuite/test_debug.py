"""`make debug` starts QEMU halted with a gdb stub, and gdb-multiarch can
stop the kernel at its C entry point with the command it prints."""
import os
import socket
import subprocess

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
