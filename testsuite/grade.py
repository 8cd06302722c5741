"""pytest plugin for `make grade`: one line per scheduling test and a score.

    /usr/bin/python3 -m pytest testsuite -p grade --sched-blob=my_policy.bin -k external
"""
results = []


def pytest_runtest_logreport(report):
    # A test counts once: its call, or its setup if that failed.
    if report.when == "call" or (report.when == "setup" and not report.passed):
        results.append((report.nodeid.split("::", 1)[-1], report.passed))


def pytest_terminal_summary(terminalreporter):
    tr = terminalreporter
    if not results:
        tr.write_line("grade: no test ran")
        return
    tr.section("grade")
    for name, passed in results:
        tr.write_line(f"{'PASS' if passed else 'FAIL'}  {name}")
    score = sum(passed for _, passed in results)
    tr.write_line(f"score: {score}/{len(results)} ({100 * score // len(results)}%)")
