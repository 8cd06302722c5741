"""Boots the kernel in QEMU and talks to its serial console.

One Machine is one QEMU process, started through scripts/run-qemu.sh (the
same command line as `make run`).  Everything QEMU prints is kept, so a
failing test can save the whole console log.
"""
import io
import os
import re
import subprocess
import time

import pexpect

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KERNEL = os.path.join(ROOT, "build", "kernel.elf")
INITRD = os.path.join(ROOT, "build", "initrd.cpio")
RUN_QEMU = os.path.join(ROOT, "scripts", "run-qemu.sh")
PROMPT = "kmon> "
SHELL_PROMPT = "schedos$ "


def normalize(text):
    """The kernel ends lines with CR LF and the pty adds a CR of its own."""
    return text.replace("\r\r\n", "\n").replace("\r\n", "\n")


class MachineTimeout(AssertionError):
    pass


class Machine:
    def __init__(self, smp=4, mem="256M", append="", deadline=None,
                 extra_args=(), initrd=False, policy=None, sched_blob=None):
        """initrd=True boots the user programs (init and the shell); without
        it the kernel runs its monitor.  policy="bitmap" picks a built-in
        policy (sched=...); sched_blob="path.bin" boots an external blob."""
        if policy:
            append = f"sched={policy} {append}".strip()
        self.policy = policy
        self.sched_blob = sched_blob
        self.smp = smp
        self.mem = mem
        self.append = append
        self.deadline = deadline           # absolute time.monotonic()
        self.log = io.StringIO()
        args = ["--plain", "--kernel", KERNEL, "--smp", str(smp), "--mem", mem]
        if append:
            args += ["--append", append]
        if initrd:
            args += ["--initrd", INITRD]
        if sched_blob:
            args += ["--sched-blob", sched_blob]
        args += list(extra_args)
        self.child = pexpect.spawn(RUN_QEMU, args, encoding="utf-8",
                                   codec_errors="replace", timeout=30,
                                   dimensions=(50, 200))
        self.child.logfile_read = self.log
        self.exitstatus = None

    # -- timing ---------------------------------------------------------
    def _timeout(self, timeout):
        if self.deadline is None:
            return timeout
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise MachineTimeout("test deadline passed")
        return min(timeout, left)

    # -- console --------------------------------------------------------
    def expect(self, pattern, timeout=30):
        """Waits for a regex (or list of them); returns the match object."""
        try:
            self.child.expect(pattern, timeout=self._timeout(timeout))
        except pexpect.TIMEOUT:
            raise MachineTimeout(f"timed out waiting for {pattern!r}") from None
        except pexpect.EOF:
            raise AssertionError(
                f"QEMU exited while waiting for {pattern!r}") from None
        return self.child.match

    def expect_exact(self, text, timeout=30):
        try:
            self.child.expect_exact(text, timeout=self._timeout(timeout))
        except pexpect.TIMEOUT:
            raise MachineTimeout(f"timed out waiting for {text!r}") from None
        except pexpect.EOF:
            raise AssertionError(
                f"QEMU exited while waiting for {text!r}") from None
        return normalize(self.child.before)

    def sendline(self, line=""):
        self.child.send(line + "\r")

    def send(self, text):
        self.child.send(text)

    def prompt(self, timeout=30):
        """Waits for the monitor prompt; returns what came before it."""
        return self.expect_exact(PROMPT, timeout)

    def command(self, line, timeout=30):
        """Runs a monitor command; returns its output (without the echo)."""
        self.sendline(line)
        out = self.prompt(timeout)
        return out.split("\n", 1)[1] if "\n" in out else ""

    def shell_prompt(self, timeout=30):
        """Waits for the user shell's prompt; returns what came before it."""
        return self.expect_exact(SHELL_PROMPT, timeout)

    def run(self, line, timeout=60):
        """Runs a shell command line; returns its output (without the echo
        of the command itself)."""
        self.sendline(line)
        out = self.shell_prompt(timeout)
        return out.split("\n", 1)[1] if "\n" in out else ""

    def wait_exit(self, timeout=60):
        """Waits for QEMU to exit; returns its exit status."""
        try:
            self.child.expect(pexpect.EOF, timeout=self._timeout(timeout))
        except pexpect.TIMEOUT:
            raise MachineTimeout("QEMU did not exit") from None
        self.child.close()
        self.exitstatus = self.child.exitstatus
        if self.exitstatus is None:        # killed by a signal
            self.exitstatus = -(self.child.signalstatus or 0)
        return self.exitstatus

    def output(self):
        """Everything the console printed so far."""
        return normalize(self.log.getvalue())

    def kill(self):
        if self.child.isalive():
            self.child.terminate(force=True)
        self.child.close(force=True)


def addr2line(addresses):
    """Function names for kernel addresses, innermost first."""
    if not addresses:
        return []
    out = subprocess.run(
        ["riscv64-unknown-elf-addr2line", "-f", "-e", KERNEL] + addresses,
        check=True, capture_output=True, text=True).stdout.split("\n")
    return out[0::2][:len(addresses)]


def backtrace_addresses(text):
    block = text.split("backtrace:", 1)[1].split("end of backtrace", 1)[0]
    return re.findall(r"#\d+ (0x[0-9a-f]+)", block)
