"""pytest plugin for `make grade`: points and time per test, a score, and
the same as JUnit XML and JSON.

    /usr/bin/python3 -m pytest testsuite -p grade -k external \\
        --sched-blob=my_policy.bin [--policy-src=my_policy.c] \\
        [--junitxml=build/grade/junit.xml]

The graded tests are those selected by `-k external`: the in-QEMU tests
that take a `policy` (run against the blob), and the host model test of
the source (test_host_policies.py::test_external_policy_model), which is
skipped, and says so, when no --policy-src is given.

The summary goes to the terminal and to GRADE_DIR/results.json
(build/grade/ unless --grade-dir says otherwise):

    {"score": 61, "max": 66, "host_part": "ran",
     "tests": [{"name": ..., "points": 0, "max_points": 10,
                "passed": false, "skipped": false, "seconds": 3.2}, ...]}

A failure is printed with the last lines of its console (the log the
machine fixture saves for a failed test), or of its failure message for a
test that boots nothing.
"""
import json
import os
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_GRADE_DIR = os.path.join(ROOT, "build", "grade")
TAIL_LINES = 20

# Points per test function; every other graded test is worth 1.  The host
# model test checks every operation against the contract with fixed seeds;
# the stress exercises all of them at once on 4 harts.
POINTS = {
    "test_external_policy_model": 10,
    "test_grade_stress": 5,
}
HOST_TEST = "test_external_policy_model"
# The section the schedos plugin adds to a failed test's report: one line
# per machine, its log's path (relative to the working directory) first.
CONSOLE_LOGS_SECTION = "schedos console logs"


class Result:
    def __init__(self, nodeid):
        self.nodeid = nodeid
        self.name = nodeid.split("::", 1)[-1]
        func = self.name.split("[", 1)[0]
        self.max_points = POINTS.get(func, 1)
        self.is_host = func == HOST_TEST
        self.outcome = None         # "passed", "failed" or "skipped"
        self.seconds = 0.0
        self.message = ""           # failure or skip text
        self.logs = []              # console logs saved by the machine fixture

    @property
    def passed(self):
        return self.outcome == "passed"

    @property
    def points(self):
        return self.max_points if self.passed else 0


class Grader:
    def __init__(self, config):
        self.config = config
        self.results = {}           # nodeid -> Result, in the order run
        self.started = time.monotonic()

    def result(self, nodeid):
        if nodeid not in self.results:
            self.results[nodeid] = Result(nodeid)
        return self.results[nodeid]

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report):
        r = self.result(report.nodeid)
        r.seconds += report.duration
        # A test fails if any phase fails; it is skipped if its setup or
        # call says so; it passes if its call passes and nothing failed.
        if report.failed:
            if r.outcome != "failed":
                r.message = report.longreprtext
            r.outcome = "failed"
        elif report.skipped and r.outcome is None:
            r.outcome = "skipped"
            longrepr = report.longrepr
            r.message = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        elif report.when == "call" and report.passed and r.outcome is None:
            r.outcome = "passed"
        for title, text in report.sections:
            if title == CONSOLE_LOGS_SECTION:
                r.logs += [os.path.abspath(line.split()[0])
                           for line in text.splitlines() if line.strip()]

    def graded(self):
        return [r for r in self.results.values() if r.outcome is not None]

    def host_part(self):
        host = [r for r in self.graded() if r.is_host]
        if not host:
            return "not selected"
        if host[0].outcome == "skipped":
            return "skipped: " + host[0].message.replace("Skipped: ", "")
        return "ran"

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter):
        tr = terminalreporter
        graded = self.graded()
        if not graded:
            tr.write_line("grade: no test ran")
            return
        tr.section("grade")
        for r in graded:
            tag = {"passed": "PASS", "failed": "FAIL", "skipped": "SKIP"}[r.outcome]
            tr.write_line(f"{tag}  {r.points:2}/{r.max_points:<2} pts  {r.seconds:6.1f} s  "
                          f"{r.name}")
            if r.outcome == "failed":
                for line in failure_tail(r):
                    tr.write_line("        | " + line)
            elif r.outcome == "skipped":
                tr.write_line(f"        ({r.message.strip()})")
        scored = [r for r in graded if r.outcome != "skipped"]
        score = sum(r.points for r in scored)
        most = sum(r.max_points for r in scored)
        host = self.host_part()
        if host != "ran":
            tr.write_line(f"host model test: {host}")
        tr.write_line(f"score: {score}/{most} ({100 * score // most if most else 0}%)"
                      f"  in {time.monotonic() - self.started:.0f} s")
        path = self.write_json(scored, score, most, host)
        xml = getattr(self.config.option, "xmlpath", None)
        tr.write_line(f"results: {shown(path)}" + (f", {shown(xml)}" if xml else ""))

    def write_json(self, scored, score, most, host):
        out_dir = self.config.getoption("--grade-dir") or DEFAULT_GRADE_DIR
        os.makedirs(out_dir, exist_ok=True)
        path = os.path.join(out_dir, "results.json")
        summary = {
            "score": score,
            "max": most,
            "host_part": host,
            "blob": self.config.getoption("--sched-blob"),
            "source": self.config.getoption("--policy-src"),
            "tests": [{"name": r.name, "points": r.points, "max_points": r.max_points,
                       "passed": r.passed, "skipped": r.outcome == "skipped",
                       "seconds": round(r.seconds, 2)} for r in self.graded()],
        }
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(summary, f, indent=2)
            f.write("\n")
        os.replace(tmp, path)
        return path


def shown(path):
    """A path as the user typing `make grade` in the top folder sees it."""
    path = os.path.abspath(path)
    return os.path.relpath(path, ROOT) if path.startswith(ROOT + os.sep) else path


def failure_tail(r):
    """The last lines of the console of each machine the test booted, else
    of its failure message."""
    lines = []
    for log in r.logs:
        try:
            with open(log, errors="replace") as f:
                text = f.read().splitlines()
        except OSError:
            continue
        lines.append(f"-- last lines of {os.path.relpath(log, ROOT)}:")
        lines += text[-TAIL_LINES:]
    if not lines:
        lines = r.message.rstrip().splitlines()[-TAIL_LINES:]
    return lines


def pytest_addoption(parser):
    group = parser.getgroup("grade", "make grade")
    group.addoption("--policy-src", default=None, metavar="SRC",
                    help="the graded policy's C file: also run the host model test on it")
    group.addoption("--grade-dir", default=None, metavar="DIR",
                    help=f"where results.json goes (default: {DEFAULT_GRADE_DIR})")


def pytest_configure(config):
    src = config.getoption("--policy-src")
    if src and not os.path.isfile(src):
        raise pytest.UsageError(f"--policy-src: no file {src!r}")
    config.pluginmanager.register(Grader(config), "grader")
