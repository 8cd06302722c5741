"""Building and running the host-side tests (testsuite/host/*.c): the
sanitizer settings and a subprocess runner shared by test_host_*.py."""
import os
import subprocess

import pytest

CC = "gcc"
# Built with AddressSanitizer and UBSan, stopping at the first report.
SANITIZER_CFLAGS = ["-std=c11", "-O1", "-g", "-fsanitize=address,undefined",
                    "-fno-sanitize-recover=all", "-Wall", "-Wextra", "-Werror"]
# A sanitizer report exits with this status, so it cannot be mistaken for
# a harness's own "a check failed" (1) or its watchdog (2).
SANITIZER_EXIT = 86
ENV = dict(os.environ,
           # The code under test never allocates, so LeakSanitizer could only
           # judge the harness, and it dies in sandboxes that forbid ptrace.
           ASAN_OPTIONS=f"detect_leaks=0:exitcode={SANITIZER_EXIT}",
           UBSAN_OPTIONS=f"print_stacktrace=1:exitcode={SANITIZER_EXIT}")


def run(cmd, timeout=60):
    """Runs cmd; returns (exit status, stdout and stderr interleaved)."""
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, errors="replace", timeout=timeout, env=ENV)
    except subprocess.TimeoutExpired as e:
        out = e.output.decode(errors="replace") if isinstance(e.output, bytes) else e.output
        pytest.fail(f"{' '.join(cmd)} timed out after {timeout} s:\n{out or ''}")
    return p.returncode, p.stdout
