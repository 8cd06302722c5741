"""Boots the kernel in QEMU and talks to its serial console.

One Machine is one QEMU process, started through scripts/run-qemu.sh (the
same command line as `make run`).  Everything QEMU prints is kept, so a
failing test can save the whole console log, and a wait that fails says
what the console showed last.
"""
import io
import os
import re
import subprocess
import time

import pexpect

# The repository this package lives in: testsuite/schedos/machine.py.
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KERNEL = os.path.join(ROOT, "build", "kernel.elf")
INITRD = os.path.join(ROOT, "build", "initrd.cpio")
# The debug kernel (make kdebug: invariant checks on), booted with INITRD.
DEBUG_KERNEL = os.path.join(ROOT, "build-debug", "kernel.elf")
RUN_QEMU = os.path.join(ROOT, "scripts", "run-qemu.sh")
PROMPT = "kmon> "
SHELL_PROMPT = "schedos$ "
TAIL_LINES = 20                 # console lines quoted by a failed wait


def normalize(text):
    """The kernel ends lines with CR LF and the pty adds a CR of its own."""
    return text.replace("\r\r\n", "\n").replace("\r\n", "\n")


class MachineTimeout(AssertionError):
    """A wait ran out of time (its own timeout or the test's deadline)."""


class MachineExited(AssertionError):
    """QEMU exited while a test still waited for output."""


class Machine:
    def __init__(self, smp=4, mem="256M", append="", deadline=None,
                 extra_args=(), initrd=False, policy=None, sched_blob=None,
                 log_path=None, timeout_factor=1.0, kernel=None):
        """initrd=True boots the user programs (init and the shell); without
        it the kernel runs its monitor.  policy="bitmap" picks a built-in
        policy (sched=...); sched_blob="path.bin" boots an external blob.
        deadline is an absolute time.monotonic() no wait may pass; log_path
        is where save_log() writes (and failed waits name it);
        timeout_factor scales every wait's own timeout (a slow host);
        kernel is the kernel's path (default build/kernel.elf; DEBUG_KERNEL:
        the debug kernel)."""
        kernel = kernel or KERNEL
        if smp < 1:
            raise ValueError(f"smp must be at least 1, not {smp}")
        if policy and sched_blob:
            raise ValueError("give policy or sched_blob, not both")
        if sched_blob and not os.path.isfile(sched_blob):
            raise FileNotFoundError(f"sched_blob: no file {sched_blob!r}")
        for path in (kernel,) + ((INITRD,) if initrd else ()):
            if not os.path.isfile(path):
                how = "make kdebug" if kernel == DEBUG_KERNEL and path == kernel else "make"
                raise FileNotFoundError(f"{path} is missing: run `{how}` first")
        if policy:
            append = f"sched={policy} {append}".strip()
        self.policy = policy
        self.sched_blob = sched_blob
        self.kernel = kernel
        self.smp = smp
        self.mem = mem
        self.append = append
        self.deadline = deadline
        self.log_path = log_path
        self.timeout_factor = timeout_factor
        self.log = io.StringIO()
        args = ["--plain", "--kernel", kernel, "--smp", str(smp), "--mem", mem]
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

    def __repr__(self):
        debug = ", kernel=DEBUG_KERNEL" if self.kernel == DEBUG_KERNEL else ""
        return (f"Machine(smp={self.smp}, mem={self.mem!r}, append={self.append!r}, "
                f"sched_blob={self.sched_blob!r}{debug})")

    # -- failures -------------------------------------------------------
    def tail(self, lines=TAIL_LINES):
        """The console's last lines, for an error message."""
        return "\n".join(self.output().rstrip("\n").split("\n")[-lines:])

    def _failure(self, cls, what):
        __tracebackhide__ = True   # the failure is the caller's wait
        where = f" (whole log: {self.log_path})" if self.log_path else ""
        return cls(f"{what}\n--- last {TAIL_LINES} console lines of {self!r}{where} ---\n"
                   f"{self.tail()}\n--- end of console ---")

    def _timeout(self, timeout, waiting_for):
        """The time a wait may take: its own timeout (scaled), cut to what
        is left of the test's deadline."""
        __tracebackhide__ = True   # the failure is the caller's wait
        timeout = timeout * self.timeout_factor
        if self.deadline is None:
            return timeout
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise self._failure(MachineTimeout,
                                f"test deadline passed before waiting for {waiting_for}")
        return min(timeout, left)

    def _wait(self, how, pattern, timeout):
        __tracebackhide__ = True   # the failure is the caller's wait
        limit = self._timeout(timeout, repr(pattern))
        try:
            how(pattern, timeout=limit)
        except pexpect.TIMEOUT:
            cut = " (the test's deadline)" if limit < timeout * self.timeout_factor else ""
            raise self._failure(MachineTimeout, f"timed out after {limit:.0f} s{cut} "
                                f"waiting for {pattern!r}") from None
        except pexpect.EOF:
            raise self._failure(MachineExited,
                                f"QEMU exited while waiting for {pattern!r}") from None

    # -- console --------------------------------------------------------
    def expect(self, pattern, timeout=30):
        """Waits for a regex (or list of them); returns the match object."""
        __tracebackhide__ = True   # the failure is the caller's wait
        self._wait(self.child.expect, pattern, timeout)
        return self.child.match

    def expect_exact(self, text, timeout=30):
        """Waits for a literal string; returns what came before it."""
        __tracebackhide__ = True   # the failure is the caller's wait
        self._wait(self.child.expect_exact, text, timeout)
        return normalize(self.child.before)

    def sendline(self, line=""):
        """Types a line (ended with CR, as a terminal's Enter key)."""
        self.child.send(line + "\r")

    def send(self, text):
        self.child.send(text)

    def prompt(self, timeout=30):
        """Waits for the monitor prompt; returns what came before it."""
        __tracebackhide__ = True   # the failure is the caller's wait
        return self.expect_exact(PROMPT, timeout)

    def command(self, line, timeout=30):
        """Runs a monitor command; returns its output (without the echo)."""
        __tracebackhide__ = True   # the failure is the caller's wait
        self.sendline(line)
        out = self.prompt(timeout)
        return out.split("\n", 1)[1] if "\n" in out else ""

    def shell_prompt(self, timeout=30):
        """Waits for the user shell's prompt; returns what came before it."""
        __tracebackhide__ = True   # the failure is the caller's wait
        return self.expect_exact(SHELL_PROMPT, timeout)

    def run(self, line, timeout=60):
        """Runs a shell command line; returns its output (without the echo
        of the command itself)."""
        __tracebackhide__ = True   # the failure is the caller's wait
        self.sendline(line)
        out = self.shell_prompt(timeout)
        return out.split("\n", 1)[1] if "\n" in out else ""

    def wait_exit(self, timeout=60):
        """Waits for QEMU to exit; returns its exit status (negative: the
        signal that killed it)."""
        __tracebackhide__ = True   # the failure is the caller's wait
        limit = self._timeout(timeout, "QEMU to exit")
        try:
            self.child.expect(pexpect.EOF, timeout=limit)
        except pexpect.TIMEOUT:
            raise self._failure(MachineTimeout,
                                f"QEMU did not exit within {limit:.0f} s") from None
        self.child.close()
        self.exitstatus = self.child.exitstatus
        if self.exitstatus is None:        # killed by a signal
            self.exitstatus = -(self.child.signalstatus or 0)
        return self.exitstatus

    def output(self):
        """Everything the console printed so far."""
        return normalize(self.log.getvalue())

    def kill(self):
        """Stops QEMU (if it still runs) and closes the console."""
        if self.child.isalive():
            self.child.terminate(force=True)
        self.child.close(force=True)

    def save_log(self, path=None):
        """Writes the whole console, after a header line saying how the
        machine was booted; returns the path."""
        path = path or self.log_path
        assert path, "save_log needs a path (none given at boot)"
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "w") as f:
            debug = " kernel=build-debug" if self.kernel == DEBUG_KERNEL else ""
            f.write(f"# smp={self.smp} mem={self.mem} append={self.append!r} "
                    f"blob={self.sched_blob} exit={self.exitstatus}{debug}\n")
            f.write(self.output())
        return path


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
