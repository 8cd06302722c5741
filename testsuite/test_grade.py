"""`make grade`: the in-QEMU grading stress, and proof that grading fails
subtly broken policies.

test_grade_stress runs t_stress (user/programs/t_stress.c) under each
policy (or the graded blob, "external") on 4 harts: many threads,
priority changes, kills of processes whose threads wait in the queue, and
user-mode switches, all at once (the user-mode switches are exercised,
not counted: t_pingpong's tests count them).  Every worker must finish its rounds, the
counts must add up, and the kernel must not have caught the policy
misbehaving.

The other tests run `make grade SRC=...` itself: a mutant must fail,
the report naming the broken operation, and a correct policy gets full
marks on the host part (the QEMU part of those is cut down to one boot).
"""
import json
import os
import re
import subprocess

import pytest

from conftest import still_alive
from machine import ROOT

STRESS_TIMEOUT = 240        # seconds for the boot and the run (a few at best)


@pytest.mark.timeout(STRESS_TIMEOUT + 60)
def test_grade_stress(boot_policy, policy):
    """Every operation at once on 4 harts; every thread finishes."""
    m = boot_policy(policy, smp=4, initrd=True)
    m.shell_prompt(timeout=60)
    m.sendline("ceiling 20 t_stress")
    # Its last line, not the prompt: after a FAIL at its deadline, lost
    # threads may keep the process (and the shell) from ever finishing.
    # (Up to the line feed: the CR alone may come in an earlier read.)
    m.expect(r"t_stress: (PASS|FAIL)[^\r\n]*\r*\n", timeout=STRESS_TIMEOUT)
    out = m.output().split("ceiling 20 t_stress", 1)[-1]
    assert re.search(r"^t_stress: 16 workers x 300 rounds on 4 harts, priorities 1\.\.20",
                     out, re.M), out
    assert re.search(r"^t_stress: killer: 12 victims killed, 0 failed$", out, re.M), out
    counts = re.search(r"^t_stress: \d+ ms: 4800 rounds, \d+ user-mode switches, "
                       r"(\d+) priority changes, (\d+) sleeps$", out, re.M)
    assert counts and all(int(n) > 0 for n in counts.groups()), out
    assert re.search(r"^t_stress: PASS$", out, re.M), out
    assert "FAIL" not in out, out
    assert "misbehaved" not in m.output(), m.output()
    m.shell_prompt(timeout=60)
    still_alive(m)


# ---- make grade itself ----------------------------------------------------

BLOBS = os.path.join(ROOT, "testsuite", "blobs")
MAKE_TIMEOUT = 1500         # seconds: the host part (policy_model.RUN_TIMEOUT), a boot,
                            # on a loaded machine
HOST_ONLY = "-k 'external and policy_model'"
HOST_AND_STRESS = "-k 'external and (policy_model or grade_stress)'"


def make_grade(tmp_path, pytest_args, **variables):
    """Runs `make grade ...` with its report in tmp_path; returns (exit
    status, output, results.json as a dict or None)."""
    cmd = ["make", "--no-print-directory", "grade", f"GRADE_DIR={tmp_path}",
           f"PYTEST_ARGS={pytest_args}"] + [f"{k}={v}" for k, v in variables.items()]
    try:
        p = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, errors="replace", timeout=MAKE_TIMEOUT)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"{' '.join(cmd)} still running after {MAKE_TIMEOUT} s:\n{e.output}")
    results = tmp_path / "results.json"
    return p.returncode, p.stdout, json.loads(results.read_text()) if results.exists() else None


def by_name(results):
    return {t["name"].split("[", 1)[0]: t for t in results["tests"]}


@pytest.mark.timeout(MAKE_TIMEOUT + 60)
@pytest.mark.parametrize("mutant", ["fifo_tail"])
def test_make_grade_fails_mutant(tmp_path, mutant):
    """`make grade SRC=` on a FIFO whose remove forgets the tail: the host
    part fails, naming the operation, beside the failure; it scores 0 of
    its points; results.json and junit.xml say so."""
    status, out, results = make_grade(tmp_path, HOST_AND_STRESS,
                                      SRC=os.path.join(BLOBS, f"{mutant}.c"))
    assert status != 0, out
    assert results, f"no results.json:\n{out}"
    host = by_name(results)["test_external_policy_model"]
    assert host["passed"] is False and host["points"] == 0 and host["max_points"] == 10, results
    assert results["score"] < results["max"], results
    # The report's line for it, then the tail of the failure beside it.
    m = re.search(r"^FAIL\s+0/10 pts\s+[\d.]+ s\s+test_external_policy_model\n"
                  r"((?:        \| .*\n)+)", out, re.M)
    assert m, out
    assert re.search(rf"policy_test: FAIL: policy '{mutant}', seed 0x[0-9a-f]+, run \[.*\], "
                     r"context \w .*operation #\d+: \S+", m.group(1)), m.group(1)
    assert re.search(r"\| +(lost|top_priority|not queued): ", m.group(1)), m.group(1)
    assert (tmp_path / "junit.xml").exists(), out
    assert re.search(r'failures="[1-9]', (tmp_path / "junit.xml").read_text()), out
    assert re.search(r"^score: \d+/\d+ ", out, re.M), out
    # A failed test that booted QEMU (the stress: the kernel catches the lost
    # task and replaces the policy) shows the end of its console beside it.
    stress = by_name(results)["test_grade_stress"]
    if not stress["passed"]:
        m = re.search(r"^FAIL\s+0/5\s+pts\s+[\d.]+ s\s+test_grade_stress\[external\]\n"
                      r"        \| -- last lines of testsuite/results/\S+\.log:\n"
                      r"((?:        \| .*\n)+)", out, re.M)
        assert m and re.search(r"\| (sched: |schedos|t_stress: )", m.group(1)), out


@pytest.mark.timeout(MAKE_TIMEOUT + 60)
def test_make_grade_full_marks_on_host_part(tmp_path):
    """A correct policy with no flags (the lottery) gets all the host
    part's points, the same on a second run."""
    scores = []
    for _ in range(2):
        status, out, results = make_grade(tmp_path, HOST_ONLY,
                                          SRC=os.path.join(BLOBS, "lottery.c"))
        assert status == 0, out
        assert results["score"] == results["max"] == 10, results
        assert results["host_part"] == "ran", results
        assert re.search(r"^PASS\s+10/10 pts\s+[\d.]+ s\s+test_external_policy_model$",
                         out, re.M), out
        assert re.search(r"^score: 10/10 \(100%\)", out, re.M), out
        scores.append(results["score"])
    assert scores[0] == scores[1]


def test_make_grade_blob_only_skips_host_part(tmp_path):
    """SCHED_BLOB= without a source: the host part is skipped, and says why."""
    status, out, results = make_grade(tmp_path, HOST_ONLY,
                                      SCHED_BLOB=os.path.join(ROOT, "build", "sched", "fifo.bin"))
    assert status == 0, out
    assert "grade: no source given (SRC=): the host model test is skipped" in out, out
    assert re.search(r"^host model test: skipped: host part skipped: no source", out, re.M), out
    assert results["host_part"].startswith("skipped"), results
    assert by_name(results)["test_external_policy_model"]["skipped"] is True, results


def test_make_grade_usage(tmp_path):
    status, out, _ = make_grade(tmp_path, HOST_ONLY)
    assert status != 0 and "usage: make grade SRC=my_policy.c" in out, out
    status, out, _ = make_grade(tmp_path, HOST_ONLY, SRC="no/such/file.c")
    assert status != 0 and "sched-blob: no file 'no/such/file.c'" in out, out
