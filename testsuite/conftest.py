"""Fixtures shared by every test: `machine` boots QEMU and always cleans up.

A failing test leaves the full console log of each machine it booted in
testsuite/results/<test id>.<n>.log (the folder is ignored by git).
"""
import os
import re
import time

import pytest

from machine import Machine, ROOT

RESULTS = os.path.join(ROOT, "testsuite", "results")
DEFAULT_TEST_TIMEOUT = 120      # seconds, per test, for all its machines


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, "report_" + report.when, report)


def _log_name(nodeid, n):
    name = re.sub(r"[^A-Za-z0-9_.\[\]-]+", "_", nodeid.split("::", 1)[-1])
    return os.path.join(RESULTS, f"{name}.{n}.log")


def boot_shell(machine, smp=4, **kwargs):
    """Boots with the user programs and waits for the shell's prompt."""
    m = machine(smp=smp, initrd=True, **kwargs)
    m.shell_prompt(timeout=60)
    return m


def still_alive(m):
    """The shell still answers (on a line of its own: a background job's
    report may come first)."""
    assert re.search(r"^still alive$", m.run("echo still alive"), re.M)


@pytest.fixture
def machine(request):
    """A factory: machine(smp=4, mem="256M", append="") -> Machine.

    The test's deadline (DEFAULT_TEST_TIMEOUT, or a `timeout` marker) bounds
    every wait; all machines are killed when the test ends."""
    marker = request.node.get_closest_marker("timeout")
    limit = marker.args[0] if marker else DEFAULT_TEST_TIMEOUT
    deadline = time.monotonic() + limit
    machines = []

    def boot(**kwargs):
        m = Machine(deadline=deadline, **kwargs)
        machines.append(m)
        return m

    yield boot

    for m in machines:
        m.kill()
    failed = any(getattr(request.node, "report_" + w, None) is not None and
                 getattr(request.node, "report_" + w).failed
                 for w in ("setup", "call"))
    if failed:
        os.makedirs(RESULTS, exist_ok=True)
        for n, m in enumerate(machines):
            path = _log_name(request.node.nodeid, n)
            with open(path, "w") as f:
                f.write(f"# smp={m.smp} mem={m.mem} append={m.append!r} "
                        f"blob={m.sched_blob} exit={m.exitstatus}\n")
                f.write(m.output())
            print(f"console log saved: {os.path.relpath(path, ROOT)}")


POLICIES = ["heap", "bitmap", "multiqueue", "fifo"]


def pytest_addoption(parser):
    parser.addoption("--sched-blob", default=None, metavar="BLOB",
                     help="grade a policy blob: tests taking a `policy` run "
                          "against it instead of the built-in policies")


def pytest_configure(config):
    config.addinivalue_line("markers", "timeout(seconds): per-test deadline")
    blob = config.getoption("--sched-blob")
    if blob and not os.path.isfile(blob):
        raise pytest.UsageError(f"--sched-blob: no file {blob!r}")


def pytest_generate_tests(metafunc):
    """A test with a `policy` argument runs under every built-in policy, or
    only under the blob given with --sched-blob ("external")."""
    if "policy" in metafunc.fixturenames:
        blob = metafunc.config.getoption("--sched-blob")
        metafunc.parametrize("policy", ["external"] if blob else POLICIES)


@pytest.fixture
def boot_policy(machine, request):
    """machine(...) for the policy under test: sched=NAME, or the graded
    blob for "external"."""
    def boot(policy, **kwargs):
        if policy == "external":
            return machine(sched_blob=os.path.abspath(
                request.config.getoption("--sched-blob")), **kwargs)
        return machine(policy=policy, **kwargs)
    return boot
