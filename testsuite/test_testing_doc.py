"""docs/testing.md's example test, run as a grader would: from a directory
outside testsuite/, with the harness loaded as a plugin (make
test-external), so the documentation cannot fall out of date.  And a
failing external test: its report quotes the console and names the log."""
import os
import re
import subprocess

import pytest

from machine import ROOT

DOC = os.path.join(ROOT, "docs", "testing.md")


def doc_example(name):
    """The code block after `<!-- example: NAME -->` in docs/testing.md."""
    text = open(DOC).read()
    m = re.search(rf"<!-- example: {re.escape(name)} -->\n```python\n(.*?)\n```", text, re.S)
    assert m, f"docs/testing.md has no example {name}"
    return m.group(1) + "\n"


def clean_env():
    """Without the outer make's variables (its PYTEST_ARGS, its jobserver)
    and with nothing on PYTHONPATH: the run must find the plugin itself."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "PYTHONPATH",
                        "PYTEST_ADDOPTS", "PYTEST_XDIST_WORKER")}
    return env


def run(cmd, cwd, timeout):
    try:
        p = subprocess.run(cmd, cwd=cwd, env=clean_env(), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"{' '.join(cmd)} still ran after {timeout} s:\n{e.output}")
    return p.returncode, p.stdout


@pytest.mark.timeout(900)
def test_documented_example_passes_outside_testsuite(tmp_path):
    tests = tmp_path / "my_tests"
    tests.mkdir()
    (tests / "test_first.py").write_text(doc_example("test_first.py"))
    status, out = run(["make", "-s", "-C", ROOT, "test-external", f"TESTS={tests}",
                       f"PYTEST_ARGS=-v -p no:cacheprovider --results-dir={tmp_path}/results"],
                      cwd=tmp_path, timeout=900)
    assert status == 0, out
    # Every test of the example ran: one shell test, the policy test under
    # each built-in policy, the self-tests, the monitor.
    assert re.search(r"^=+ 7 passed", out, re.M), out
    for policy in ("heap", "bitmap", "multiqueue", "fifo"):
        assert re.search(rf"test_threads_under_every_policy\[{policy}\] PASSED", out), out


@pytest.mark.timeout(300)
def test_external_failure_shows_console_and_log(tmp_path):
    (tmp_path / "test_fails.py").write_text(
        "def test_waits_in_vain(shell):\n"
        "    assert shell.run('echo marker').strip() == 'marker'\n"
        "    shell.expect_exact('never printed', timeout=5)\n")
    env_path = os.path.join(ROOT, "testsuite")
    cmd = ["env", f"PYTHONPATH={env_path}", "/usr/bin/python3", "-m", "pytest",
           "-p", "schedos.plugin", "-p", "no:cacheprovider",
           f"--results-dir={tmp_path}/results", "test_fails.py"]
    status, out = run(cmd, cwd=tmp_path, timeout=300)
    assert status == 1, out                          # the test failed
    assert "timed out after 5 s waiting for 'never printed'" in out, out
    # The console's tail is in the message: the booted machine's lines.
    assert re.search(r"^E +boot: 4 harts online$", out, re.M), out
    # The log is named and was written, whole.
    logs = re.findall(r"(\S+/test_fails\.test_waits_in_vain\.0\.log)", out)
    assert logs, out
    log = open(logs[0]).read()
    assert log.startswith("# smp=4 ") and "boot: 4 harts online" in log
    assert os.path.realpath(logs[0]).startswith(os.path.realpath(tmp_path / "results"))
    # ... in this run's own directory, which `latest` points at.
    latest = tmp_path / "results" / "latest"
    assert os.path.realpath(latest) == os.path.dirname(os.path.realpath(logs[0]))
