"""A coroutine's pipe hop takes no global kernel lock (docs/coroutines.md,
"The doorbell"; docs/performance.md, "Scaling over harts").

Every completion of a waiting asynchronous read used to wake the
executor's `seq` futex (the global futex_lock, a hash bucket) whether or
not a worker slept on it, and every kick of a pipe whose readers' line
held only a coroutine's read took the global sched_lock to wake a waitq
nobody was on.  Now the doorbell wakes only if CO_EXEC.sleepers says a
worker may sleep, and a pipe wakes a waitq only if a thread sleeps there.

Judged by which kernel functions run at all, not by what they cost:
`b_micro pipe_async` is 1,600 round trips between two coroutines of one
worker (`co_workers(1)`: it never sleeps), profiled on one hart under
-icount (scripts/profile.py, deterministic).  Before the change the table
had futex_wake (about 255,000 instructions), waitq_wake_key and
waitq_wake (about 200,000 each); now only the few calls of the process's
own exit remain.  The hops must have run (pipe_submit_async, coio_finish_by
counted), or an empty table would pass.  Liveness of the wakes that are
still made (a worker asleep on seq, a thread asleep in a pipe) is
test_coidle's, test_coro's and test_pipeserve's.
"""
import os
import re
import subprocess

import pytest

from machine import ROOT

PROFILE = os.path.join(ROOT, "scripts", "profile.py")
ROW = re.compile(r"^(\S+)\s+(kernel|policy|runtime|user|prof|firmware|unknown)\s+(\d+)\s+"
                 r"(\d+\.\d\d)%$", re.M)
TIMEOUT = 600                   # one profile: seconds, for a loaded host
# A process's exit wakes its parent (waitq_wake) once or twice: a few
# dozen instructions.  One wake a hop would be 1,600 calls.
EXIT_WAKES_MAX = 1_000


def policy_args(request, policy):
    if policy == "external":
        return ["--sched-blob", os.path.abspath(request.config.getoption("--sched-blob"))]
    return ["--sched", policy]


@pytest.mark.timeout(TIMEOUT + 60)
def test_pipe_hop_takes_no_global_wake(request, policy, tmp_path):
    out = tmp_path / "profile"
    r = subprocess.run(["/usr/bin/python3", PROFILE, "b_micro pipe_async", "--out", str(out),
                        *policy_args(request, policy)],
                       capture_output=True, text=True, timeout=TIMEOUT,
                       stdin=subprocess.DEVNULL)
    log = out / "console.log"
    console = log.read_text() if log.exists() else "(no console: QEMU never started)"
    where = f"{r.stdout}\n{r.stderr}\n--- console ({log}) ---\n{console[-3000:]}"
    assert r.returncode == 0, where
    kernel = {fn: int(n) for fn, region, n, _ in ROW.findall(r.stdout) if region == "kernel"}
    # The round trips ran: every hop submits, and half of them wait and
    # are completed with a doorbell.
    assert kernel.get("pipe_submit_async", 0) > 100_000, where
    assert kernel.get("coio_finish_by", 0) > 10_000, where
    for fn in ("futex_wake", "waitq_wake_key", "waitq_wake"):
        assert kernel.get(fn, 0) <= EXIT_WAKES_MAX, f"{fn}: {kernel.get(fn)}\n{where}"
