"""The pytest plugin: fixtures that boot schedos in QEMU, options, and
console logs for failed tests.

Load it with `-p schedos.plugin` (testsuite/ on PYTHONPATH), or from a
conftest.py with `pytest_plugins = ["schedos.plugin"]`.  docs/testing.md
describes it.
"""
import os
import re
import shutil
import time
from typing import NamedTuple

import pytest

from schedos.machine import Machine, ROOT

POLICIES = ["heap", "bitmap", "multiqueue", "fifo"]
DEFAULT_TEST_TIMEOUT = 300      # seconds, per test, for all its machines
DEFAULT_RESULTS = os.path.join(ROOT, "testsuite", "results")
RUNS_KEPT = 5                   # older run directories are removed
SHELL_BOOT_TIMEOUT = 60

_machines_key = pytest.StashKey()   # item -> [Machine], in boot order
_reports_key = pytest.StashKey()    # item -> {phase: report}


# -- options and markers ------------------------------------------------
def pytest_addoption(parser):
    group = parser.getgroup("schedos", "schedos machines (QEMU)")
    group.addoption("--sched-blob", default=None, metavar="BLOB",
                    help="grade a policy blob: tests taking a `policy` run "
                         "against it instead of the built-in policies")
    group.addoption("--policies", default=None, metavar="LIST",
                    help="comma-separated built-in policies that tests taking "
                         f"a `policy` run under (default: {','.join(POLICIES)})")
    group.addoption("--timeout-factor", metavar="F",
                    default=os.environ.get("SCHEDOS_TIMEOUT_FACTOR", "1"),
                    help="multiply every wait and test deadline by F, for a "
                         "slow host (default 1, or $SCHEDOS_TIMEOUT_FACTOR)")
    group.addoption("--results-dir", default=DEFAULT_RESULTS, metavar="DIR",
                    help="where each run's console logs of failed tests go, "
                         "in DIR/run-<time>-<pid>/ with DIR/latest linking to "
                         "the newest (default: testsuite/results)")


def _policies(config):
    if config.getoption("--sched-blob"):
        return ["external"]
    wanted = config.getoption("--policies")
    if not wanted:
        return POLICIES
    names = [n.strip() for n in wanted.split(",") if n.strip()]
    unknown = [n for n in names if n not in POLICIES]
    if unknown or not names:
        raise pytest.UsageError(f"--policies: unknown policy {','.join(unknown) or '(none)'}"
                                f"; the policies are {','.join(POLICIES)}")
    return names


def _timeout_factor(text):
    try:
        factor = float(text)
    except ValueError:
        factor = 0
    if not factor > 0:
        raise pytest.UsageError(f"--timeout-factor (or SCHEDOS_TIMEOUT_FACTOR): {text!r} "
                                "is not a positive number")
    return factor


def pytest_configure(config):
    config.addinivalue_line("markers", "timeout(seconds): per-test deadline "
                            f"for all the test's waits (default {DEFAULT_TEST_TIMEOUT})")
    config.addinivalue_line("markers", "machine(**kwargs): how the `shell` fixture "
                            "boots, e.g. machine(smp=2, append='sched_watchdog=2000')")
    blob = config.getoption("--sched-blob")
    if blob and not os.path.isfile(blob):
        raise pytest.UsageError(f"--sched-blob: no file {blob!r}")
    config._schedos_timeout_factor = _timeout_factor(config.getoption("--timeout-factor"))
    _policies(config)                       # a bad --policies fails here
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:             # a pytest-xdist worker
        config._schedos_run_dir = workerinput["schedos_run_dir"]
    else:
        config._schedos_run_dir = _new_run_dir(config.getoption("--results-dir"))


def _new_run_dir(results):
    """Only the controller makes the run's directory (xdist workers are
    handed its name): old runs are pruned, `latest` points at the new one."""
    results = os.path.abspath(results)
    os.makedirs(results, exist_ok=True)
    run = os.path.join(results, time.strftime("run-%Y%m%d-%H%M%S") + f"-{os.getpid()}")
    os.makedirs(run)
    runs = sorted(d for d in os.listdir(results)
                  if d.startswith("run-") and os.path.isdir(os.path.join(results, d)))
    for old in runs[:-RUNS_KEPT]:
        shutil.rmtree(os.path.join(results, old), ignore_errors=True)
    link = os.path.join(results, "latest")
    try:
        if os.path.islink(link):
            os.unlink(link)
        if not os.path.exists(link):
            os.symlink(os.path.basename(run), link)
    except OSError:
        pass                                # a filesystem without links
    return run


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """(pytest-xdist) Every worker writes into the controller's run dir."""
    node.workerinput["schedos_run_dir"] = node.config._schedos_run_dir


def pytest_report_header(config):
    return f"schedos: console logs of failed tests go to {_relpath(config._schedos_run_dir)}"


def pytest_generate_tests(metafunc):
    """A test with a `policy` argument runs under every built-in policy (or
    those of --policies), or only under the blob of --sched-blob
    ("external")."""
    if "policy" in metafunc.fixturenames:
        metafunc.parametrize("policy", _policies(metafunc.config))


# -- reports ------------------------------------------------------------
def _relpath(path):
    rel = os.path.relpath(path)
    return path if rel.startswith("../..") else rel


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    item.stash.setdefault(_reports_key, {})[report.when] = report
    machines = item.stash.get(_machines_key, [])
    if report.failed and machines:
        # Saved when the machine fixture ends, so named here already.
        report.sections.append(("schedos console logs", "\n".join(
            f"{_relpath(m.log_path)}   {m!r}" for m in machines)))


def _log_path(item, n):
    """<module>.<test id>.<n>.log: n counts the test's machines from 0."""
    module, _, test = item.nodeid.partition("::")
    module = os.path.splitext(os.path.basename(module))[0]
    name = re.sub(r"[^A-Za-z0-9_.\[\]-]+", "_", f"{module}.{test}")
    return os.path.join(item.config._schedos_run_dir, f"{name}.{n}.log")


def log_path(request, name):
    """Where a test saves a log of its own (one not from a Machine): the
    run's results directory, beside the console logs."""
    return os.path.join(request.config._schedos_run_dir, f"{name}.log")


# -- fixtures -----------------------------------------------------------
@pytest.fixture
def machine(request):
    """A factory: machine(smp=4, mem="256M", append="", initrd=False,
    policy=None, sched_blob=None, extra_args=()) -> a booting Machine.

    The test's deadline (DEFAULT_TEST_TIMEOUT, or a `timeout` marker) bounds
    every wait; all machines are killed when the test ends, and the console
    of each is saved if the test failed."""
    item = request.node
    factor = request.config._schedos_timeout_factor
    marker = item.get_closest_marker("timeout")
    limit = marker.args[0] if marker else DEFAULT_TEST_TIMEOUT
    deadline = time.monotonic() + limit * factor
    machines = item.stash.setdefault(_machines_key, [])

    def boot(**kwargs):
        m = Machine(deadline=deadline, log_path=_log_path(item, len(machines)),
                    timeout_factor=factor, **kwargs)
        machines.append(m)
        return m

    yield boot

    for m in machines:
        m.kill()
    reports = item.stash.get(_reports_key, {})
    if any(r.failed for r in reports.values()):
        for m in machines:
            m.save_log()


def policy_kwargs(config, policy):
    """Machine(...) arguments that boot `policy`: sched=NAME, or the
    graded blob for "external"."""
    if policy == "external":
        return {"sched_blob": os.path.abspath(config.getoption("--sched-blob"))}
    return {"policy": policy}


@pytest.fixture
def boot_policy(machine, request):
    """boot_policy(policy, **kwargs): machine(...) for the policy under
    test."""
    def boot(policy, **kwargs):
        return machine(**policy_kwargs(request.config, policy), **kwargs)
    return boot


@pytest.fixture
def shell(machine, request):
    """A machine booted with the user programs, at the shell's prompt: four
    harts, or what a `machine(...)` marker says; under the test's `policy`
    if it takes one."""
    kwargs = {"smp": 4, "initrd": True}
    marker = request.node.get_closest_marker("machine")
    if marker:
        kwargs.update(marker.kwargs)
    if "policy" in request.fixturenames:
        kwargs.update(policy_kwargs(request.config, request.getfixturevalue("policy")))
    m = machine(**kwargs)
    m.shell_prompt(timeout=SHELL_BOOT_TIMEOUT)
    return m


# -- helpers for tests --------------------------------------------------
def boot_shell(machine, smp=4, **kwargs):
    """Boots with the user programs and waits for the shell's prompt."""
    m = machine(smp=smp, initrd=True, **kwargs)
    m.shell_prompt(timeout=SHELL_BOOT_TIMEOUT)
    return m


def still_alive(m):
    """The shell still answers (on a line of its own: a background job's
    report may come first)."""
    assert re.search(r"^still alive$", m.run("echo still alive"), re.M)


class Memory(NamedTuple):
    """What sysinfo says of memory: the frames free, the frames holding live
    kernel heap objects, and the heap's bytes in use."""
    free_frames: int
    heap_frames: int
    heap_bytes: int

    @property
    def not_elsewhere(self):
        """Frames free or in the heap: those no process, stack or table
        holds."""
        return self.free_frames + self.heap_frames


def memory(m):
    """A Memory reading, for assert_frames_back."""
    out = m.run("sysinfo")
    return Memory(*(int(re.search(rf"^{key}: (\d+)", out, re.M).group(1))
                    for key in Memory._fields))


def _memory_back(before, after):
    """Nothing that `before` counted free is lost in `after`.  With a
    Memory: no frame is held outside the heap that was not, and the heap
    holds no more bytes.  How many frames the heap's objects fill is not
    judged: that is where the heap put them (the very `sysinfo` that
    reads them, spawned after a different history, can land in a slab of
    its own; docs/architecture.md, the kernel heap), not a loss.  A bare
    free-frame count is refused: judged alone it reads placement as a loss
    (test_pipeserve used one and could fail on 2 and 4 harts)."""
    if not (isinstance(before, Memory) and isinstance(after, Memory)):
        raise TypeError("compare memory() readings, not bare free-frame counts")
    return after.not_elsewhere >= before.not_elsewhere and \
        after.heap_bytes <= before.heap_bytes


def assert_frames_back(m, before, tries=20):
    """Every frame counted free in `before` (a memory() reading) is free
    again, frames and heap bytes as _memory_back says.  Some frees come late: an exited thread's kernel
    stack goes back after the next switch on its hart, a pipe's coroutine
    at its next poll, and a loaded host can hold a virtual hart up for a
    while.  So a reading short of `before` is taken again after a shell
    command (each makes switches), a few times; more free than `before`
    is no leak (a late free of what ran before `before` was read)."""
    for attempt in range(tries + 1):        # the last reading is judged too
        after = memory(m)
        if _memory_back(before, after):
            return
        if attempt < tries:
            m.run("echo settle")
    raise AssertionError(f"memory not given back (before {before}, after {after})\n"
                         f"{m.output()[-3000:]}")
