"""The harness's KTAP parser (schedos/ktap.py), on host: well-formed
streams, failures, missing tests, and malformed streams as errors."""
import pytest

from schedos import ktap

GOOD = """OpenSBI v1.2
schedos: booting on hart 0
KTAP version 1
1..3
# first: what it checks
ok 1 first
# second: what it checks
# check failed: x == 1 (kt_second.c:12)
not ok 2 second
ok 3 - third # SKIP needs two harts
# summary: 2 passed, 1 failed
power: off
"""


def test_good_stream():
    r = ktap.parse(GOOD)
    assert r.plan == 3
    assert [(x.number, x.name, x.ok) for x in r.results] == \
        [(1, "first", True), (2, "second", False), (3, "third", True)]
    assert r.result("second").diagnostics == [
        "second: what it checks", "check failed: x == 1 (kt_second.c:12)"]
    assert r.result("third").skipped and r.result("third").directive == "SKIP needs two harts"
    assert r.diagnostics == ["summary: 2 passed, 1 failed"]
    assert r.unknown == ["power: off"]          # tolerated, kept
    assert not r.ok and [x.name for x in r.failed] == ["second"]
    assert "not ok 2 second" in r.problems()[0]
    assert "check failed" in r.problems()[0]
    with pytest.raises(KeyError):
        r.result("fourth")


def test_all_passed():
    r = ktap.parse("KTAP version 1\n1..2\nok 1 a\nok 2 b\n")
    assert r.ok and not r.problems() and r.missing == []


def test_missing_test_is_a_failure():
    r = ktap.parse("KTAP version 1\n1..3\nok 1 a\n# b: running\n")
    assert r.missing == [2, 3]
    assert not r.ok
    assert r.problems() == ["missing: test 2 of 3 never reported",
                            "missing: test 3 of 3 never reported"]
    assert r.diagnostics == ["b: running"]        # where it stopped


def test_empty_plan():
    r = ktap.parse("KTAP version 1\n1..0\n")
    assert r.plan == 0 and r.ok and r.results == []


def test_subtests():
    r = ktap.parse("KTAP version 1\n1..2\n"
                   "    KTAP version 1\n    # Subtest: outer\n    1..2\n"
                   "    ok 1 inner_a\n    not ok 2 inner_b\n"
                   "not ok 1 outer\nok 2 flat\n")
    outer = r.result("outer")
    assert not outer.ok and outer.subtests.names() == ["inner_a", "inner_b"]
    assert [x.name for x in outer.subtests.failed] == ["inner_b"]
    assert r.result("flat").subtests is None


@pytest.mark.parametrize("text,complaint", [
    ("schedos: booting\nok 1 a\n", "no 'KTAP version 1' line"),
    ("KTAP version 2\n1..1\nok 1 a\n", "not KTAP version 1"),
    ("TAP version 13\n1..1\nok 1 a\n", "not KTAP version 1"),
    ("KTAP version 1\nok 1 a\n", "before the plan"),
    ("KTAP version 1\n# only talk\n", "no plan line"),
    ("KTAP version 1\n1..2\nok 2 b\n", "result 2 where 1 was due"),
    ("KTAP version 1\n1..2\nok 1 a\nok 1 a\n", "result 1 where 2 was due"),
    ("KTAP version 1\n1..1\nok 1 a\nok 2 b\n", "beyond the plan"),
    ("KTAP version 1\n1..1\nok one\n", "garbled result"),
    ("KTAP version 1\n1..1\nnot ok\n", "garbled result"),
    ("KTAP version 1\n1..1\n1..1\nok 1 a\n", "plan line after the plan"),
    ("KTAP version 1\n1..1\nKTAP version 1\n", "second version line"),
    ("KTAP version 1\n1..1\n    KTAP version 1\n    1..1\n    ok 1 x\n",
     "no result line of its own"),
    ("KTAP version 1\n1..1\n    KTAP version 1\n    ok 1 x\nok 1 a\n", "before the plan"),
])
def test_malformed_stream_is_an_error(text, complaint):
    with pytest.raises(ktap.KtapError, match=complaint):
        ktap.parse(text)
