"""The coroutine executor (user/runtime/coro_exec.c), tested on the host.

testsuite/host/coro_test.c links the executor, unchanged (through the shim
in host/coro_exec_host.c, which keeps its RISC-V system-call stub out),
with one scheduling policy's C file built with -DSCHED_BUILTIN_OPS, as
policy_test.c does: once per policy source in sched_impls/*/.  It runs the
executor as the kernel does (env.kernel = 1: no system calls, CO_OP_RUN
returns when nothing is ready) on malloc blocks of exactly the header, the
queue (512 + capacity words) and the records, under AddressSanitizer and
UBSan, with real threads: priority / FIFO order, exact poll counts, wakes
during a poll, one queue entry, join / detach / CID reuse, a finish racing
with a join, cancel in every state, the doorbell, priority changes,
CO_MAX coroutines and a multi-threaded stress with no lost wake-up.  No
QEMU is involved.

The other tests show that each of coro_test's tests can fail: copies of
the executor (or of a policy) with one deliberate bug each must make the
test aimed at that bug fail.
"""
import glob
import os
import re
import shutil

import pytest

from hostrun import CC, SANITIZER_CFLAGS, SANITIZER_EXIT, run
from machine import ROOT

HOST = os.path.join(ROOT, "testsuite", "host")
CORO_TEST_C = os.path.join(HOST, "coro_test.c")
CORO_EXEC_HOST_C = os.path.join(HOST, "coro_exec_host.c")
CORO_EXEC_C = os.path.join(ROOT, "user", "runtime", "coro_exec.c")

CFLAGS = SANITIZER_CFLAGS + ["-pthread",
                             "-I", os.path.join(ROOT, "sched_abi"), "-I", ROOT,
                             "-I", os.path.join(ROOT, "user", "runtime"),
                             "-DSCHED_BUILTIN_OPS=policy_under_test"]
RUN_TIMEOUT = 600       # seconds (a loaded host); a normal run takes about 1

# coro_test.c's tests, in its order.
TESTS = ["order", "pending", "wake_in_poll", "one_entry", "join_reuse", "finish_race",
         "cancel", "doorbell", "set_prio", "co_max", "yield", "stress"]
PASSED = re.compile(r"^coro_test: (\S+): (\d+) tests passed \(\d+ checks\)$", re.M)


def c_string(path):
    """A C string literal for -D (the path goes through no shell)."""
    return '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"'


def policy_sources():
    """Every policy's one C file: sched_impls/NAME/NAME.c."""
    return sorted(p for p in glob.glob(os.path.join(ROOT, "sched_impls", "*", "*.c"))
                  if os.path.basename(os.path.dirname(p)) + ".c" == os.path.basename(p))


def policy_name(path):
    return os.path.basename(os.path.dirname(path))


def compile_c(out_dir, name, source, defines=()):
    """One translation unit, compiled to out_dir/name.o."""
    if shutil.which(CC) is None:
        pytest.skip(f"{CC} is not installed")
    obj = os.path.join(str(out_dir), f"{name}.o")
    status, out = run([CC, *CFLAGS, *defines, "-c", "-o", obj, source])
    assert status == 0, f"compiling {source} {' '.join(defines)} failed:\n{out}"
    return obj


def link(out_dir, name, objects):
    binary = os.path.join(str(out_dir), name)
    status, out = run([CC, *CFLAGS, "-o", binary, *objects])
    assert status == 0, f"linking {name} failed:\n{out}"
    return binary


@pytest.fixture(scope="module")
def objects(tmp_path_factory):
    """Compiles on first use, once per module: coro_test.c with a policy
    (the slow part), and the executor (or a copy of it)."""
    out_dir = tmp_path_factory.mktemp("coro")
    cache = {}

    def get(kind, path):
        key = (kind, path)
        if key not in cache:
            n = len(cache)
            if kind == "test":
                cache[key] = compile_c(out_dir, f"coro_test_{n}", CORO_TEST_C,
                                       [f"-DPOLICY_SOURCE={c_string(path)}"])
            else:
                cache[key] = compile_c(out_dir, f"coro_exec_{n}", CORO_EXEC_HOST_C,
                                       [f"-DCORO_EXEC_SOURCE={c_string(path)}"])
        return cache[key]
    return get


def build(objects, out_dir, name, policy_c, coro_exec_c=CORO_EXEC_C):
    """coro_test with the policy in policy_c and the executor in coro_exec_c."""
    return link(out_dir, f"coro_test_{name}",
                [objects("test", policy_c), objects("exec", coro_exec_c)])


def test_every_policy_found():
    names = [policy_name(p) for p in policy_sources()]
    assert {"heap", "bitmap", "multiqueue", "fifo"} <= set(names), names


# (Not called `policy`: conftest.py parametrizes every test taking `policy`
# over the policies booted in QEMU.)
@pytest.mark.parametrize("policy_c", policy_sources(), ids=policy_name)
def test_coro_executor(policy_c, objects, tmp_path):
    name = policy_name(policy_c)
    binary = build(objects, tmp_path, name, policy_c)
    status, out = run([binary], timeout=RUN_TIMEOUT)
    assert status == 0, f"coro_test for '{name}' exited with status {status}:\n{out}"
    m = PASSED.search(out)
    assert m, f"no 'tests passed' line:\n{out}"
    assert m.group(1) == name, f"tested policy '{m.group(1)}', not '{name}':\n{out}"
    assert int(m.group(2)) == len(TESTS), f"not every test ran:\n{out}"
    for t in TESTS:
        assert re.search(rf"^coro_test: {t}: ok$", out, re.M), f"test {t} did not pass:\n{out}"


# (id, the coro_test test that must catch it, policy, file to break ("exec":
# coro_exec.c, else the policy), text, replacement, expected status).
# Status 1 is coro_test's own "a check failed"; SANITIZER_EXIT an ASan or
# UBSan report.
MUTANTS = [
    ("spawn_ignores_prio", "order", "heap", "exec",
     "    r->prio = (uint8_t)prio;\n    r->flags = 0;",
     "    r->prio = SCHED_PRIO_DEFAULT;\n    r->flags = 0;", 1),
    ("ages_decrease", "order", "heap", "exec",
     "e->x->queued++;\n    r->age = ++e->x->age_clock;",
     "e->x->queued++;\n    r->age = --e->x->age_clock;", 1),
    ("fifo_adds_at_head", "order", "fifo", "policy",
     "    if (HEAD(c) == SCHED_NONE)\n        HEAD(c) = task;\n"
     "    else\n        NEXT(c, TAIL(c)) = task;\n    TAIL(c) = task;\n}",
     "    NEXT(c, task) = HEAD(c);\n    if (HEAD(c) == SCHED_NONE)\n        TAIL(c) = task;\n"
     "    HEAD(c) = task;\n}", 1),
    ("pending_requeued", "pending", "heap", "exec",
     "uint64_t new_word = (old & ~(uint64_t)CO_RUNNING) | woken;",
     "uint64_t new_word = (old & ~(uint64_t)CO_RUNNING) | CO_QUEUED;", 1),
    ("wake_ignores_running", "wake_in_poll", "heap", "exec",
     "if (!old || (old & CO_RUNNING))\n        return 0;",
     "if (!old)\n        return 0;", 1),
    ("poller_forgets_wake", "wake_in_poll", "heap", "exec",
     "*requeue = (old | woken) & CO_QUEUED;", "*requeue = woken & CO_QUEUED;", 1),
    ("wake_ignores_queued", "one_entry", "heap", "exec",
     "(old & (CO_DONE | CO_QUEUED)))\n            return 0;",
     "(old & CO_DONE))\n            return 0;", 1),
    ("generation_kept", "join_reuse", "heap", "exec",
     "(uint64_t)((gen_of(w) + 1) & CO_GEN_MASK) << 32",
     "(uint64_t)(gen_of(w) & CO_GEN_MASK) << 32", 1),
    ("lookup_ignores_generation", "join_reuse", "heap", "exec",
     "if (!(w & CO_LIVE) || gen_of(w) != CO_GEN(cid))\n        return 0;",
     "if (!(w & CO_LIVE))\n        return 0;", 1),
    # The executor as it was written: DONE published before the lock is
    # taken (a join frees the record, a spawn reuses it, and the finisher
    # then takes the new coroutine out of the queue).
    ("done_before_lock", "finish_race", "heap", "exec",
     "    lock(e);\n    if (r->flags & TASK_FLAG_IN_QUEUE) {        /* cancelled while queued */",
     "    __atomic_or_fetch(wstate(r), CO_DONE, __ATOMIC_SEQ_CST);\n    lock(e);\n"
     "    if (r->flags & TASK_FLAG_IN_QUEUE) {", 1),
    ("run_polls_cancelled", "cancel", "heap", "exec",
     "if (__atomic_load_n(wstate(r), __ATOMIC_RELAXED) & CO_CANCELLED) {\n"
     "            finish_cancelled(e, cid, r);",
     "if (0) {\n            finish_cancelled(e, cid, r);", 1),
    ("idle_cancel_not_held", "cancel", "heap", "exec",
     "old | CO_CANCELLED | (held ? 0 : CO_RUNNING);",
     "old | CO_CANCELLED;", 1),
    ("polled_ignores_cancel", "cancel", "heap", "exec",
     "    if (old & CO_CANCELLED)\n        return 1;\n    if (rc == CO_READY) {",
     "    if (rc == CO_READY) {", 1),
    ("bell_not_cleared", "doorbell", "heap", "exec",
     "uint64_t bits = __atomic_exchange_n(&e->x->bell[wi], 0, __ATOMIC_ACQ_REL);",
     "uint64_t bits = __atomic_load_n(&e->x->bell[wi], __ATOMIC_ACQUIRE);", 1),
    ("bell_wrong_word", "doorbell", "heap", "exec",
     "uint32_t wi = s * 64 + b;", "uint32_t wi = b;", 1),
    ("bell_past_capacity", "doorbell", "heap", "exec",
     "if (i >= capacity(e))\n                    continue;\n                e->x->bells++;",
     "e->x->bells++;", SANITIZER_EXIT),
    ("set_prio_not_requeued", "set_prio", "heap", "exec",
     "if (r->flags & TASK_FLAG_IN_QUEUE) {\n        flush_slot_locked(e);\n"
     "        struct sched_ctx c = policy_ctx(e);\n"
     "        e->ops->remove(&c, e->hart, CO_INDEX(cid));\n        r->prio",
     "if (0) {\n        flush_slot_locked(e);\n        struct sched_ctx c = policy_ctx(e);\n"
     "        e->ops->remove(&c, e->hart, CO_INDEX(cid));\n        r->prio", 1),
    ("free_list_of_one", "co_max", "heap", "exec",
     "r->ctx[CO_CTX_NEXT_FREE] = e->x->free_head;", "r->ctx[CO_CTX_NEXT_FREE] = 0;", 1),
    ("one_too_many", "co_max", "heap", "exec",
     "} else if (e->x->used < capacity(e)) {", "} else if (e->x->used <= capacity(e)) {",
     SANITIZER_EXIT),
    # The handoff slot (co_yield's fast path).
    ("slot_swaps_unequal", "yield", "heap", "exec",
     "if (!(flags & TASK_FLAG_IN_QUEUE) || prio != r->prio)",
     "if (!(flags & TASK_FLAG_IN_QUEUE))", 1),
    ("slot_ignores_queue", "yield", "bitmap", "exec",
     "    if (x->queued)\n        return SWAP_NONE;\n    TaskSched *r = *rp;",
     "    TaskSched *r = *rp;", 1),
    ("slot_keeps_wake", "yield", "multiqueue", "exec",
     "    if (old & CO_QUEUED)\n        old = __atomic_fetch_and(",
     "    if (0)\n        old = __atomic_fetch_and(", 1),
    # The swap's one test for a plain take-out (held, neither woken nor
    # cancelled while in the slot): without the cancel bit it polls a
    # cancelled coroutine, without the wake bit it keeps the wake.
    ("slot_swap_polls_cancelled", "yield", "heap", "exec",
     "(next_old & (CO_LIVE | CO_QUEUED | CO_RUNNING | CO_DONE | CO_CANCELLED))",
     "(next_old & (CO_LIVE | CO_QUEUED | CO_RUNNING | CO_DONE))", 1),
    ("slot_swap_keeps_wake", "yield", "bitmap", "exec",
     "(next_old & (CO_LIVE | CO_QUEUED | CO_RUNNING | CO_DONE | CO_CANCELLED))",
     "(next_old & (CO_LIVE | CO_RUNNING | CO_DONE | CO_CANCELLED))", 1),
    ("slot_flush_drops", "yield", "fifo", "exec",
     "    e->ops->add(&c, e->hart, s - 1);\n    e->x->queued++;",
     "    e->x->queued++;", 1),
    ("slot_not_checked", "yield", "heap", "exec",
     "    if (!queued_record(e, s - 1, c.ntasks)) {\n        wreck(e);               /* the process wrote over the slot */",
     "    if (0) {\n        wreck(e);               /* the process wrote over the slot */", SANITIZER_EXIT),
    ("stress_lost_wake", "stress", "bitmap", "exec",
     "*requeue = (old | woken) & CO_QUEUED;", "*requeue = woken & CO_QUEUED;", 1),
    # A wake during a poll does nothing: caught by the wake counts.
    ("stress_wake_in_poll_dropped", "stress", "heap", "exec",
     "(old & (CO_DONE | CO_QUEUED)))\n            return 0;",
     "(old & (CO_DONE | CO_QUEUED | CO_RUNNING)))\n            return 0;", 1),
    # The fetcher does not mark it RUNNING: a wake during the poll queues
    # it, and another worker polls it at the same time.
    ("stress_fetch_not_running", "stress", "multiqueue", "exec",
     "uint64_t new_word = (old & ~(uint64_t)CO_QUEUED) | CO_RUNNING;",
     "uint64_t new_word = old & ~(uint64_t)CO_QUEUED;", 1),
]


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m[0] for m in MUTANTS])
def test_coro_test_catches(mutant, objects, tmp_path):
    """Each of coro_test's tests fails on an executor with the bug it is for."""
    ident, test, policy, where, old, new, want = mutant
    assert test in TESTS
    policy_c = os.path.join(ROOT, "sched_impls", policy, f"{policy}.c")
    target = CORO_EXEC_C if where == "exec" else policy_c
    with open(target) as f:
        source = f.read()
    assert source.count(old) == 1, \
        f"{old!r} not found once in {os.path.relpath(target, ROOT)}: update MUTANTS here"
    broken = tmp_path / f"{ident}.c"
    # Both include only headers found through -I sched_abi.
    broken.write_text(source.replace(old, new))
    if where == "exec":
        binary = build(objects, tmp_path, ident, policy_c, str(broken))
    else:
        binary = build(objects, tmp_path, ident, str(broken))

    status, out = run([binary, test], timeout=RUN_TIMEOUT)
    assert status == want, f"expected coro_test {test} to fail with status {want}, got {status}:\n{out}"
    if want == 1:
        assert re.search(rf"^coro_test: FAIL: policy '{policy}', seed 0x[0-9a-f]+, "
                         rf"test '{test}': ", out, re.M), out
    else:
        assert re.search(r"ERROR: AddressSanitizer|runtime error:", out), out
    assert not PASSED.search(out), out
