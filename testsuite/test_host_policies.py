"""The scheduling policies (sched_impls/*/*.c), tested on the host.

testsuite/host/policy_test.c includes one policy's C file (built with
-DSCHED_BUILTIN_OPS, as the kernel's fallback copy is) and drives its
operations through a task table and a queue it owns, under AddressSanitizer
and UBSan, with fixed-seed random sequences of add / wake / yield / fetch /
remove / priority changes / top_priority peeks on 1, 2, 4 and 8 harts,
on tables of 5, 40, 256 and SCHED_TABLE_MAX (16384, a coroutine executor's)
records, each with a queue of exactly SCHED_QUEUE_WORDS(ntasks) words.
Every answer is checked against a model written from the policy's
documented rules: nothing lost or duplicated, the order (priority, FIFO
among equals; arrival order for fifo; per-hart queues with stealing for
multiqueue), top_priority agreeing with fetch and changing nothing, no
write to a record outside link[] and policy[], and no state kept outside
the context (two contexts driven interleaved).  No QEMU is involved.

The last tests show the harness can fail: a copy of bitmap.c whose fetch
takes the tail of a level instead of its head must be reported, and so
must a copy of heap.c that uses one queue word more than the ABI gives it
(while one that uses every word it is given passes).
"""
import os
import re
import shutil

import pytest

from conftest import POLICIES, log_path
from hostrun import CC, SANITIZER_CFLAGS, SANITIZER_EXIT, run
from machine import ROOT

HOST = os.path.join(ROOT, "testsuite", "host")
POLICY_TEST_C = os.path.join(HOST, "policy_test.c")


CFLAGS = SANITIZER_CFLAGS + ["-I", os.path.join(ROOT, "sched_abi"), "-I", ROOT,
                             "-DSCHED_BUILTIN_OPS=policy_under_test"]
# Seconds of wall-clock time, only to end a run that is stuck: a run takes
# seconds for the heap and 40-80 s for fifo (a list walked at every
# remove) on a loaded host; a policy that loops is stopped by policy_test's
# own watchdog on CPU time (300 s, policy_test.c says why), or by this.
RUN_TIMEOUT = 1200

PASSED = re.compile(r"^policy_test: (\S+): (\d+) operations checked$", re.M)
YIELD_FETCH_CHECKED = re.compile(r"^policy_test: \S+: yield_fetch checked against yield "
                                 r"then fetch (\d+) times$", re.M)
# The run on the largest table, per hart count, and its summary line.
BIG_RUN = re.compile(r"^  (\d+) harts, 16384 tasks, one context, filled first:\n"
                     r"    context A: \d+ operations; up to (\d+) tasks queued, (\d+) on average",
                     re.M)


def compile_policy_test(out_dir, policy_c, name):
    """policy_test.c with the policy in policy_c compiled in."""
    if shutil.which(CC) is None:
        pytest.skip(f"{CC} is not installed")
    binary = os.path.join(str(out_dir), f"policy_test_{name}")
    # A C string literal for -DPOLICY_SOURCE (the path goes through no shell).
    source = '"' + policy_c.replace("\\", "\\\\").replace('"', '\\"') + '"'
    status, out = run([CC, *CFLAGS, f"-DPOLICY_SOURCE={source}", "-o", binary,
                       POLICY_TEST_C])
    assert status == 0, f"compiling policy_test for {policy_c} failed:\n{out}"
    return binary


def policy_source(policy):
    return os.path.join(ROOT, "sched_impls", policy, f"{policy}.c")


# (Not called `policy`: conftest.py parametrizes every test taking `policy`
# over the policies booted in QEMU, or the blob given with --sched-blob;
# this test compiles the policies' sources and needs no blob.)
@pytest.mark.parametrize("policy_name", POLICIES)
def test_policy_model(policy_name, tmp_path):
    binary = compile_policy_test(tmp_path, policy_source(policy_name), policy_name)
    status, out = run([binary], timeout=RUN_TIMEOUT)
    assert status == 0, f"policy_test for '{policy_name}' exited with status {status}:\n{out}"
    m = PASSED.search(out)
    assert m, f"no 'operations checked' line:\n{out}"
    assert m.group(1) == policy_name, \
        f"tested policy '{m.group(1)}', not '{policy_name}':\n{out}"
    assert int(m.group(2)) >= 100000, f"too few operations checked:\n{out}"
    # ABI 2.4's yield_fetch, where the policy has one, checked against
    # yield then fetch (fifo, heap and bitmap have one; multiqueue not).
    yf = YIELD_FETCH_CHECKED.search(out)
    if policy_name in ("fifo", "heap", "bitmap"):
        assert yf and int(yf.group(1)) >= 10000, \
            f"yield_fetch was not checked often enough:\n{out}"
    else:
        assert not yf, f"'{policy_name}' has no yield_fetch, yet it was checked:\n{out}"
    # A coroutine executor's table: every record queued at once, and
    # thousands queued all along, on every hart count.
    big = BIG_RUN.findall(out)
    assert [h for h, _, _ in big] == ["1", "2", "4", "8"], f"no run on 16384 tasks:\n{out}"
    for harts, most, mean in big:
        assert int(most) == 16384 and int(mean) >= 4000, \
            f"the 16384-task run on {harts} harts kept too few queued:\n{out}"


# fetch takes the most recent task of the highest level instead of the
# oldest: LIFO among equal priorities.
MUTANT = ("uint32_t task = HEAD(c, sched_highest_bit(BITS(c)));",
          "uint32_t task = TAIL(c, sched_highest_bit(BITS(c)));")


def test_harness_rejects_lifo_bitmap(tmp_path):
    """A bitmap policy that breaks FIFO order among equals must be caught."""
    with open(policy_source("bitmap")) as f:
        source = f.read()
    assert source.count(MUTANT[0]) == 1, \
        f"{MUTANT[0]!r} not found once in sched_impls/bitmap/bitmap.c: update MUTANT here"
    mutant = tmp_path / "bitmap_tail.c"
    # bitmap.c's one include ("sched_abi.h") resolves through -I sched_abi.
    mutant.write_text(source.replace(*MUTANT))
    binary = compile_policy_test(tmp_path, str(mutant), "bitmap_tail")

    status, out = run([binary], timeout=RUN_TIMEOUT)
    assert status == 1, f"expected policy_test to fail its checks (status 1), got {status}:\n{out}"
    assert re.search(r"^policy_test: FAIL: policy 'bitmap', seed 0x[0-9a-f]+, run \[.*\], "
                     r"context A .*operation #\d+: fetch$", out, re.M), out
    assert re.search(r"^  ordering: fetch\(hart \d+\) returned task \d+ \(prio (\d+), "
                     r"age \d+\); expected task \d+ \(prio \1, age \d+\)$", out, re.M), out
    assert not PASSED.search(out), out


# fifo's yield_fetch forgets to move the tail: the queue it leaves differs
# from yield then fetch's (and later answers would too).
FIFO_YF = "    TAIL(c) = task;\n    HEAD(c) = NEXT(c, head);"
FIFO_YF_MUTANT = "    HEAD(c) = NEXT(c, head);"


def test_harness_rejects_wrong_yield_fetch(tmp_path):
    """A yield_fetch that does not do what yield then fetch do must be
    caught, by the check itself (before the model sees the damage)."""
    with open(policy_source("fifo")) as f:
        source = f.read()
    assert source.count(FIFO_YF) == 1, \
        f"{FIFO_YF!r} not found once in sched_impls/fifo/fifo.c: update FIFO_YF here"
    mutant = tmp_path / "fifo_yf.c"
    mutant.write_text(source.replace(FIFO_YF, FIFO_YF_MUTANT))
    binary = compile_policy_test(tmp_path, str(mutant), "fifo_yf")
    status, out = run([binary, MUTANT_OPS], timeout=RUN_TIMEOUT)
    assert status == 1, f"expected policy_test to fail its checks (status 1), got {status}:\n{out}"
    assert re.search(r"^  yield_fetch: yield_fetch\(hart \d+, task \d+\) leaves the queue",
                     out, re.M), out
    assert not PASSED.search(out), out


# heap.c's array of task positions moved to the end of the queue: one that
# uses every word of SCHED_QUEUE_WORDS(ntasks) and one that uses a word
# more, when every task is queued.
HEAP_AT = "#define AT(c, k)     ((c)->queue->word[2 + (k)])"
HEAP_EXACT = "#define AT(c, k)     ((c)->queue->word[SCHED_QUEUE_FIXED_WORDS + (k)])"
HEAP_OVER = "#define AT(c, k)     ((c)->queue->word[SCHED_QUEUE_FIXED_WORDS + 1 + (k)])"
MUTANT_OPS = "20000"        # enough: the first run fills its table at once


def heap_mutant(tmp_path, name, at):
    with open(policy_source("heap")) as f:
        source = f.read()
    assert source.count(HEAP_AT) == 1, \
        f"{HEAP_AT!r} not found once in sched_impls/heap/heap.c: update HEAP_AT here"
    mutant = tmp_path / f"{name}.c"
    mutant.write_text(source.replace(HEAP_AT, at))
    return compile_policy_test(tmp_path, str(mutant), name)


def test_harness_accepts_heap_using_its_whole_queue(tmp_path):
    """Every word up to SCHED_QUEUE_WORDS(ntasks) is the policy's: the
    harness allocates exactly that much, no less."""
    binary = heap_mutant(tmp_path, "heap_exact", HEAP_EXACT)
    status, out = run([binary, MUTANT_OPS], timeout=RUN_TIMEOUT)
    assert status == 0, f"policy_test failed a heap that stays in its queue:\n{out}"
    assert PASSED.search(out), out


def test_harness_rejects_heap_one_word_past_its_queue(tmp_path):
    """A heap using word SCHED_QUEUE_WORDS(ntasks), one past its share,
    must be caught on the 16384-task table (the first run) once it is full."""
    binary = heap_mutant(tmp_path, "heap_over", HEAP_OVER)
    status, out = run([binary, MUTANT_OPS], timeout=RUN_TIMEOUT)
    assert status == SANITIZER_EXIT, \
        f"expected a sanitizer report (status {SANITIZER_EXIT}), got {status}:\n{out}"
    assert "AddressSanitizer: heap-buffer-overflow" in out, out
    assert re.search(r"^policy_test: FAIL: sanitizer error at policy 'heap', seed 0x[0-9a-f]+, "
                     r"run \[1 harts, 16384 tasks, one context, filled first\], context A, "
                     r"operation #\d+: (add|wake|yield)", out, re.M), out
    assert not PASSED.search(out), out


# ---- make grade / make policy-test: one source file, any policy ----------

import policy_model  # noqa: E402  (testsuite/policy_model.py)

BLOBS = os.path.join(ROOT, "testsuite", "blobs")
FAIL_LINE = re.compile(r"^policy_test: FAIL: .*\n(?:  .*\n?)?", re.M)


def host_model_verdict(src, out_dir):
    """(exit status, output, the failure in two lines) of the host model
    test of one source file, as `make policy-test` runs it."""
    status, out = policy_model.check_source(src, out_dir=str(out_dir))
    m = FAIL_LINE.search(out)
    return status, out, (m.group(0).rstrip() if m else "")


def test_external_policy_model(request, tmp_path):
    """Graded (`make grade SRC=...`): the policy's source against the model
    its name or flags choose, fixed seeds, ASan and UBSan."""
    src = request.config.getoption("--policy-src", default=None)
    if not src:
        pytest.skip("host part skipped: no source (make grade SRC=my_policy.c runs it)")
    # Built where `make policy-test` builds it, so that the "to reproduce"
    # line it prints stays good after the test.
    status, out, failure = host_model_verdict(src, policy_model.OUT_DIR)
    if status != 0:
        # The whole output to a file, the failure itself in the report
        # (the grade report shows the end of this message).
        log = log_path(request, "test_host_policies.test_external_policy_model")
        os.makedirs(os.path.dirname(log), exist_ok=True)
        with open(log, "w") as f:
            f.write(out)
        reproduce = re.search(r"^  to reproduce: .*$", out, re.M)
        pytest.fail(f"host model test of {src}: exit status {status}\n"
                    f"{failure or out[-2000:]}\n"
                    f"{reproduce.group(0) if reproduce else ''}\n"
                    f"  (everything it printed: {os.path.relpath(log, ROOT)}; "
                    f"again: make policy-test SRC={src})", pytrace=False)


# Correct policies written from scratch that the model knows only by their
# flags, none: a lottery and a stride scheduler (neither promises an order).
# (fifo.c under another name passes too, but its O(n) remove makes the
# 16384-task runs slow.)
@pytest.mark.parametrize("name", ["lottery", "stride"])
def test_generic_model_passes_correct_policy(tmp_path, name):
    src = os.path.join(BLOBS, f"{name}.c")
    status, out, failure = host_model_verdict(src, tmp_path)
    assert status == 0, out
    m = PASSED.search(out)
    assert m and int(m.group(2)) >= 1000000, out
    assert "not a built-in one" in out, f"checked by a named model:\n{out}"


# Each mutant: the operation the report must name and the words of its
# reason.  Deterministic (fixed seeds), so each fails the same way on every
# run.
MUTANTS = {
    # remove of the tail task leaves the tail naming it: a later add is lost.
    "fifo_tail": r"run \[.*operation #\d+: (fetch|fetch \(final drain\)|top_priority|add|wake|yield)\n"
                 r"  (lost|top_priority|not queued): ",
    # top_priority answers for the newest task, fetch takes the oldest.
    "top_tail": r"run \[.*operation #\d+: (top_priority|fetch|add|wake|yield|remove|set-priority)\n"
                r"  top_priority: top_priority\(hart \d+\) returned \d+, (but|then) fetch",
    # SCHED_FLAG_PRIORITY, but LIFO among equals.
    "prio_lifo": r"run \[1 harts, .*operation #\d+: fetch\n  ordering: fetch\(hart 0\) returned "
                 r"task \d+ \(prio (\d+), age \d+\); expected task \d+ \(prio \1, age \d+\)",
    # Loses a task, but only on a fetch from hart 3 or above.
    "fifo_hart3": r"run \[4 harts, .*\n  (lost|top_priority|not queued): .*hart 3",
    # SCHED_FLAG_HART_LOCAL, but hart 1 takes from hart 0's queue: right
    # answers, but two harts' yield-then-fetch do not commute.
    "mq_crosshart": r"run \[.*operation #\d+: \S+\n  hart-local: SCHED_FLAG_HART_LOCAL, but ",
}


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_generic_model_rejects_mutant(tmp_path, mutant):
    status, out, failure = host_model_verdict(os.path.join(BLOBS, f"{mutant}.c"), tmp_path)
    assert status == 1, f"expected the checks to fail (status 1), got {status}:\n{out}"
    assert not PASSED.search(out), out
    assert re.search(r"policy '" + mutant + r"', seed 0x5c4ed05, " + MUTANTS[mutant],
                     failure), f"not the expected failure:\n{failure}\n\n{out}"
    assert re.search(r"^  to reproduce: \S+policy_test_" + mutant + r" \d+ 0x5c4ed05$",
                     out, re.M), out
