#!/usr/bin/python3
"""The host model test of one policy source file: `make policy-test SRC=...`.

Compiles testsuite/host/policy_test.c with the policy's C file included,
under AddressSanitizer and UBSan, runs it with its fixed seed (the same
operations every run) and prints what it printed: on a failure, the
operation that went wrong, the seed and how to reproduce it.

A policy named heap, bitmap, fifo or multiqueue is checked against the
model of that built-in policy; any other against what its flags promise
(see policy_test.c).

Exit status: 0 passed, 1 a check failed, 2 bad usage or the source does not
compile, 86 a sanitizer report.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from hostrun import CC, ENV, SANITIZER_CFLAGS  # noqa: E402

ROOT = os.path.dirname(HERE)
POLICY_TEST_C = os.path.join(HERE, "host", "policy_test.c")
OUT_DIR = os.path.join(ROOT, "build", "policy-test")
# Wall seconds: a backstop only.  policy_test stops itself after 60 s of
# CPU time (a policy that loops spends CPU time), and a loaded host slows
# the wall clock, not that: a run of 25 s of CPU (an external policy such
# as testsuite/blobs/lottery.c, under the sanitizers) went past 300 s at a
# load average of 30 on two cores.  60 s of CPU at a twentieth of a core.
RUN_TIMEOUT = 1200
PASSED = re.compile(r"^policy_test: (\S+): (\d+) operations checked$", re.M)


def compile_policy(src, out_dir=OUT_DIR):
    """Returns (binary path or None, compiler output)."""
    if shutil.which(CC) is None:
        return None, f"{CC} is not installed (make deps)"
    os.makedirs(out_dir, exist_ok=True)
    name = os.path.splitext(os.path.basename(src))[0]
    binary = os.path.join(out_dir, f"policy_test_{name}")
    # A C string literal for -DPOLICY_SOURCE (the path goes through no shell).
    literal = '"' + os.path.abspath(src).replace("\\", "\\\\").replace('"', '\\"') + '"'
    cmd = [CC, *SANITIZER_CFLAGS, "-I", os.path.join(ROOT, "sched_abi"), "-I", ROOT,
           "-DSCHED_BUILTIN_OPS=policy_under_test", f"-DPOLICY_SOURCE={literal}",
           "-o", binary, POLICY_TEST_C]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       errors="replace")
    return (binary if p.returncode == 0 else None), p.stdout


def run_policy(binary, args=(), timeout=RUN_TIMEOUT):
    """Returns (exit status, output); a run past the timeout is status 2."""
    try:
        p = subprocess.run([binary, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, errors="replace", timeout=timeout, env=ENV)
    except subprocess.TimeoutExpired as e:
        out = e.output.decode(errors="replace") if isinstance(e.output, bytes) else e.output
        return 2, (out or "") + f"\npolicy_test: FAIL: still running after {timeout} s\n"
    return p.returncode, p.stdout


def check_source(src, out_dir=OUT_DIR, args=()):
    """Compiles and runs; returns (exit status, everything printed)."""
    if not os.path.isfile(src):
        return 2, f"policy-test: no file '{src}'\n"
    binary, out = compile_policy(src, out_dir)
    if binary is None:
        return 2, f"policy-test: {src} does not compile with the host test:\n{out}"
    status, out = run_policy(binary, args)
    if status == 0 and not PASSED.search(out):
        status, out = 1, out + "policy_test: FAIL: no 'operations checked' line\n"
    return status, out


def main():
    ap = argparse.ArgumentParser(
        description="Check one scheduling policy's C file against a model of the "
                    "scheduler ABI's rules, on the host, under ASan and UBSan.")
    ap.add_argument("src", metavar="SRC", help="the policy's C file")
    ap.add_argument("--ops", type=int, help="operations per run (default: policy_test's)")
    ap.add_argument("--seed", help="seed (default: policy_test's fixed one)")
    a = ap.parse_args()
    args = []
    if a.ops is not None or a.seed is not None:
        args = [str(a.ops or 200000)] + ([a.seed] if a.seed else [])
    status, out = check_source(a.src, args=args)
    sys.stdout.write(out)
    if status == 0:
        print(f"policy-test: {a.src}: PASS")
    else:
        print(f"policy-test: {a.src}: FAIL (exit status {status})")
    return status


if __name__ == "__main__":
    sys.exit(main())
