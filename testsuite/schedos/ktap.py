"""A parser for KTAP version 1, the Linux kernel's test output format, as
the kernel's self-tests (ktest=...) print it:

    KTAP version 1
    1..2
    # diagnostic line (belongs to the next result)
    ok 1 first
    not ok 2 second # SKIP why
    # trailing diagnostics (after the last result)

A subtest is a nested KTAP stream indented by more spaces, ending just
before its parent's result line.  Lines before the first `KTAP version`
line (the boot messages) are ignored; other lines that are not KTAP are
kept as `unknown`, as the format asks.  A stream that breaks the format
(no version or plan line, results out of order or beyond the plan, a
garbled result line) raises KtapError; a test the plan promised but that
never reported is `missing`, which makes the report fail.
"""
import re
from dataclasses import dataclass, field

VERSION = re.compile(r"^(K?TAP) version (\d+)$")
PLAN = re.compile(r"^1\.\.(\d+)$")
RESULT = re.compile(r"^(ok|not ok) (\d+)(?: (?:- )?([^#]*?))?\s*(?:#\s*(.*))?$")
LOOKS_LIKE_RESULT = re.compile(r"^(ok|not ok)\b")


class KtapError(ValueError):
    """The text is not a well-formed KTAP version 1 stream."""


@dataclass
class Result:
    number: int
    name: str
    ok: bool
    directive: str = ""            # e.g. "SKIP no second hart"
    diagnostics: list = field(default_factory=list)   # "# " lines before it
    subtests: "Report" = None

    @property
    def skipped(self):
        return self.directive.upper().startswith("SKIP")

    def __str__(self):
        tail = f" # {self.directive}" if self.directive else ""
        return f"{'ok' if self.ok else 'not ok'} {self.number} {self.name}{tail}"


@dataclass
class Report:
    plan: int
    results: list
    diagnostics: list = field(default_factory=list)   # after the last result
    unknown: list = field(default_factory=list)       # non-KTAP lines

    @property
    def missing(self):
        """Test numbers the plan promised that never reported."""
        return list(range(len(self.results) + 1, self.plan + 1))

    @property
    def failed(self):
        return [r for r in self.results if not r.ok]

    @property
    def ok(self):
        return not self.failed and not self.missing

    def names(self):
        return [r.name for r in self.results]

    def result(self, name):
        """The result of the test called `name` (KeyError if none)."""
        for r in self.results:
            if r.name == name:
                return r
        raise KeyError(f"no KTAP result for {name!r}; the results are {self.names()}")

    def all_diagnostics(self):
        """Every diagnostic line of this level, in order."""
        return [d for r in self.results for d in r.diagnostics] + self.diagnostics

    def problems(self):
        """One line per failed or missing test, for an assertion message."""
        out = [f"{r}: " + "; ".join(r.diagnostics[-3:]) for r in self.failed]
        out += [f"missing: test {n} of {self.plan} never reported" for n in self.missing]
        return out


def _indent(line):
    return len(line) - len(line.lstrip(" "))


def _block(lines, i, indent, where):
    """Parses the stream whose version line is lines[i], at `indent`;
    returns (Report, index of the first line after it)."""
    report = Report(plan=None, results=[])
    pending = []                   # diagnostics waiting for their result
    subtests = None
    i += 1
    while i < len(lines):
        line = lines[i]
        text = line.strip()
        ind = _indent(line)
        if not text:
            i += 1
            continue
        if ind < indent:
            break                  # the parent's result line: this block ends
        if ind > indent and VERSION.match(text):
            if subtests is not None:
                raise KtapError(f"line {i + 1}: a second subtest stream before a "
                                f"result line: {line!r}")
            subtests, i = _block(lines, i, ind, where)
            continue
        i += 1
        if text.startswith("#"):
            pending.append(text[1:].strip())
            continue
        if ind > indent:
            report.unknown.append(line)
            continue
        if VERSION.match(text):
            raise KtapError(f"line {i}: a second version line in one stream: {line!r}")
        m = PLAN.match(text)
        if m:
            if report.plan is not None or report.results:
                raise KtapError(f"line {i}: a plan line after "
                                f"{'the plan' if report.plan is not None else 'results'}")
            report.plan = int(m[1])
            continue
        if LOOKS_LIKE_RESULT.match(text):
            m = RESULT.match(text)
            if not m:
                raise KtapError(f"line {i}: a garbled result line: {line!r}")
            if report.plan is None:
                raise KtapError(f"line {i}: a result before the plan line: {line!r}")
            number = int(m[2])
            if number != len(report.results) + 1:
                raise KtapError(f"line {i}: result {number} where "
                                f"{len(report.results) + 1} was due: {line!r}")
            if number > report.plan:
                raise KtapError(f"line {i}: result {number} beyond the plan 1..{report.plan}")
            report.results.append(Result(number=number, name=(m[3] or "").strip(),
                                         ok=m[1] == "ok", directive=(m[4] or "").strip(),
                                         diagnostics=pending, subtests=subtests))
            pending, subtests = [], None
            continue
        report.unknown.append(line)
    if report.plan is None:
        raise KtapError(f"no plan line (1..N) after the version line of {where}")
    if subtests is not None:
        raise KtapError(f"a subtest stream with no result line of its own in {where}")
    report.diagnostics = pending
    return report, i


def parse(text):
    """Parses the first KTAP stream in `text` (a whole console log will
    do); returns its Report."""
    lines = text.replace("\r\n", "\n").split("\n")
    for i, line in enumerate(lines):
        m = VERSION.match(line.strip())
        if m and _indent(line) == 0:
            if m[1] != "KTAP" or m[2] != "1":
                raise KtapError(f"line {i + 1}: {line.strip()!r} is not KTAP version 1")
            report, _ = _block(lines, i, 0, "the top-level stream")
            return report
    raise KtapError("no 'KTAP version 1' line: the output is not KTAP")
