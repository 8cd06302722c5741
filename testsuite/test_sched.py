"""The plug-in scheduler: choosing a policy at boot, booting a blob built
outside the kernel, refusing broken blobs, replacing a policy that
misbehaves, and each policy's own behaviour."""
import os
import re
import subprocess

import pytest

from conftest import POLICIES, boot_shell, still_alive
from machine import ROOT
from schedos.machine import MachineTimeout

BLOB_PA = "0x80800000"


def build_blob(src):
    """make sched-blob SRC=src, as a student would; returns the blob path."""
    out = subprocess.run(["make", "-s", "-C", ROOT, "sched-blob", f"SRC={src}"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    path = re.search(r"^blob: (\S+)", out.stdout, re.M).group(1)
    return os.path.join(ROOT, path)



def sysinfo(m):
    return dict(re.findall(r"^(\w+): (\S+)", m.run("sysinfo"), re.M))


@pytest.mark.parametrize("name", POLICIES)
def test_policy_selected_at_boot(machine, name):
    m = boot_shell(machine, smp=2, policy=name)
    out = m.output()
    assert re.search(rf"^sched: policy '{name}' \(built-in blob, \d+ bytes, ABI 2\.4\) "
                     r"at 0xffffffc040000000$", out, re.M), out
    assert sysinfo(m)["sched_name"] == name
    assert f"scheduling policy: {name}" in m.run("help")


def test_default_policy_is_heap(machine):
    m = boot_shell(machine, smp=1)
    assert "sched: policy 'heap'" in m.output()
    assert sysinfo(m)["sched_name"] == "heap"


def test_unknown_policy_is_refused(machine):
    m = boot_shell(machine, smp=1, policy="nosuch")
    out = m.output()
    assert ("sched: unknown policy 'nosuch' (there are: heap bitmap multiqueue fifo); "
            "using the default") in out
    assert "sched: policy 'heap'" in out
    assert m.run("t_threads 4").count("t_threads: PASS") == 1


def test_blob_built_outside_the_tree_boots(machine):
    """A policy built outside the tree with make sched-blob boots without a
    kernel rebuild, and runs threads and priorities right."""
    blob = build_blob(os.path.join(ROOT, "testsuite", "blobs", "prio_list.c"))
    m = boot_shell(machine, smp=1, sched_blob=blob)
    assert re.search(r"^sched: policy 'prio_list' \(external blob, \d+ bytes, ABI 2\.4\)",
                     m.output(), re.M)
    assert sysinfo(m)["sched_name"] == "prio_list"
    assert "t_threads: PASS" in m.run("t_threads 4")
    assert re.search(r"^t_prio: order high,low$", m.run("ceiling 20 t_prio"), re.M)


# Each blob breaks one validation rule; the kernel must name it.
REFUSALS = {
    "blob_magic": "bad magic 0xdeadbeef (want 0x4c504853)",
    # Built against ABI 1.0: refused, saying what changed in 2.0 and what to do.
    "blob_version": ("policy 'fifo': built for scheduler ABI 1.0; this kernel needs 2.x "
                     "(queues now sized by task count, SCHED_QUEUE_WORDS(n)): rebuild it "
                     "against sched_abi/"),
    "blob_version_newer": "policy 'fifo': built for scheduler ABI 3.0, newer than this "
                          "kernel's 2.4",
    "blob_version_minor": "policy 'fifo': built for scheduler ABI 2.5, newer than this "
                          "kernel's 2.4",
    "blob_header_size": "header size 64, want 128",
    "blob_total_size": "total size 70000 outside 128..65536",
    "blob_total_size_small": "total size 64 outside 128..65536",
    "blob_name": "name is empty or not NUL-terminated",
    "blob_name_empty": "name is empty or not NUL-terminated",
    "blob_flags": "unknown flags 0x80",
    "blob_reserved": "reserved field 2 is not zero",
    "blob_op_offset": "operation fetch at offset 0x",
    "blob_op_in_header": "operation fetch at offset 0x0, outside the code",
    "blob_op_odd": "operation fetch at offset 0x",
    # 2.4's optional yield_fetch: checked as the other entries are, and
    # refused in a blob older than 2.4 (a reserved field then).
    "blob_yield_fetch_offset": "operation yield_fetch at offset 0x",
    "blob_yield_fetch_odd": "operation yield_fetch at offset 0x",
    "blob_yield_fetch_2_3": "yield_fetch at offset 0x",
    "blob_checksum": "checksum 0x",
}
# The rest of the message, a regex: what depends on the build (an offset,
# a checksum) is a number of any value.
REFUSAL_ENDS = {"blob_op_offset": r"[0-9a-f]+, outside the code",
                "blob_op_odd": r"[0-9a-f]+, odd \(instructions start at even offsets\)",
                "blob_yield_fetch_offset": r"[0-9a-f]+, outside the code",
                "blob_yield_fetch_odd": r"[0-9a-f]+, odd \(instructions start at even offsets\)",
                "blob_yield_fetch_2_3": r"[0-9a-f]+ in an ABI 2\.3 blob \(the field is reserved "
                                        r"before 2\.4\)",
                "blob_checksum": r"[0-9a-f]{8}, computed 0x[0-9a-f]{8}"}


@pytest.fixture(scope="module")
def bad_blobs(tmp_path_factory):
    out = tmp_path_factory.mktemp("badblobs")
    good = os.path.join(ROOT, "build", "sched", "fifo.bin")
    subprocess.run(["python3", os.path.join(ROOT, "scripts", "make-bad-blobs.py"),
                    good, str(out)], check=True, capture_output=True)
    return out


@pytest.mark.parametrize("rule", sorted(REFUSALS))
def test_broken_blob_is_refused(machine, bad_blobs, rule):
    m = boot_shell(machine, smp=2, sched_blob=str(bad_blobs / f"{rule}.bin"))
    out = m.output()
    said = re.escape(f"sched: blob at {BLOB_PA} refused: {REFUSALS[rule]}")
    if rule in REFUSAL_ENDS:
        said += REFUSAL_ENDS[rule]
    assert re.search(said + "; using the default$", out, re.M), out
    assert "sched: policy 'heap' (built-in blob" in out
    assert m.run("echo still scheduling").strip() == "still scheduling"


# sched_blob= must name a page-aligned address in RAM with room for a blob.
@pytest.mark.parametrize("value", ["0x80800001", "0x1000", "banana", ""])
def test_unusable_blob_address_is_refused(machine, value):
    m = boot_shell(machine, smp=1, append=f"sched_blob={value}")
    out = m.output()
    assert (f"sched: sched_blob={value} is not a usable RAM address; using the default"
            in out), out
    assert "sched: policy 'heap' (built-in blob" in out
    assert re.search(r"^t_threads: PASS$", m.run("t_threads 4", timeout=90), re.M)


# Blobs that pass validation but break the contract at run time.
MISBEHAVIOUR = {
    "garbage": (r"fetch on hart \d returned task 200, which is not in the queue", ""),
    "dropper": (r"(fetch on hart \d found nothing while \d+ tasks were queued \(a task was lost\)|"
                r"top_priority on hart \d says nothing is queued, but \d+ tasks are)", ""),
    "faulter": (r"fetch faulted: load page fault at offset 0x[0-9a-f]+, address 0x[0-9a-f]+",
                ""),
    "starver": (r"thread \d+ \(priority 10\) has waited \d+ ms while hart 0 ran priority 10",
                "sched_watchdog=1000"),
    # Kernel yields call yield and fetch under one guard: a fault in the
    # first must be named as the yield's.
    "yield_faulter": (r"yield faulted: load page fault at offset 0x[0-9a-f]+, "
                      r"address 0x[0-9a-f]+", ""),
}


# Blobs whose operation never returns, or whose init fails at boot: the
# kernel must stop the call, name the policy and the operation, and go on
# with the built-in policy.
STOPPED = {
    "looper": (r"fetch did not return within \d+ timer ticks \(stopped at offset "
               r"0x[0-9a-f]+\)"),
    "init_looper": (r"init did not return within \d+ timer ticks \(stopped at offset "
                    r"0x[0-9a-f]+\)"),
    "init_faulter": (r"init faulted: store page fault at offset 0x[0-9a-f]+, "
                     r"address 0x[0-9a-f]+"),
}


@pytest.mark.timeout(180)
@pytest.mark.parametrize("smp", [1, 4], ids=lambda n: f"smp{n}")
@pytest.mark.parametrize("kind", sorted(STOPPED))
def test_looping_or_failed_init_policy_is_replaced(machine, kind, smp):
    blob = build_blob(os.path.join(ROOT, "testsuite", "blobs", f"{kind}.c"))
    m = machine(smp=smp, initrd=True, sched_blob=blob)
    m.expect_exact("schedos$ ", timeout=90)
    out = m.run("t_threads 4", timeout=120)
    assert re.search(rf"^sched: policy '{kind}' misbehaved: {STOPPED[kind]}; switching to "
                     r"the built-in 'heap'$", m.output(), re.M), m.output()
    assert re.search(r"^t_threads: PASS$", out, re.M), out
    assert sysinfo(m)["sched_name"] == "heap"
    assert "panic" not in m.output()
    still_alive(m)


# starver and yield_faulter need threads that share one hart.
@pytest.mark.parametrize("kind,smp", [(k, n) for k in sorted(MISBEHAVIOUR)
                                      for n in ((1,) if k in ("starver", "yield_faulter")
                                                else (1, 4))],
                         ids=lambda v: f"smp{v}" if isinstance(v, int) else v)
def test_misbehaving_policy_is_replaced(machine, kind, smp):
    what, append = MISBEHAVIOUR[kind]
    blob = build_blob(os.path.join(ROOT, "testsuite", "blobs", f"{kind}.c"))
    m = machine(smp=smp, initrd=True, sched_blob=blob, append=append)
    # Busy threads on one hart starve under the LIFO policy.
    m.expect_exact("schedos$ ", timeout=60)
    workload = {"starver": "t_spread 2 3000", "yield_faulter": "t_yield"}
    out = m.run(workload.get(kind, "t_threads 4"), timeout=90)
    assert re.search(rf"^sched: policy '{kind}' misbehaved: {what}; switching to the "
                     r"built-in 'heap'$", m.output(), re.M), m.output()
    assert re.search(r"^t_(threads|spread|yield): PASS$", out, re.M), out
    assert sysinfo(m)["sched_name"] == "heap"
    assert m.run("echo still scheduling").strip() == "still scheduling"


# One source, testsuite/blobs/misbehave.c, breaks the contract in any
# operation, chosen by defines: (operation, how, what the kernel must say).
# Each misbehaves only on the kernel's queue, from the operation's 10th call.
FAULT = r"faulted: load page fault at offset 0x[0-9a-f]+, address 0x[0-9a-f]+"
LOOP = r"did not return within \d+ timer ticks \(stopped at offset 0x[0-9a-f]+\)"
# YIELD_FETCH: the optional entry, which the kernel yield calls instead of
# yield and fetch when a policy has one (the others have none: the pair).
OPS = {"ADD": "add", "WAKE": "wake", "YIELD": "yield", "REMOVE": "remove", "FETCH": "fetch",
       "TOP": "top_priority", "TICK": "tick", "YIELD_FETCH": "yield_fetch"}
# (A blob's name has 15 characters at most: yield_fetch's cases say yfetch.)
IN_EVERY_OP = {f"{how.lower()}_{op.lower().replace('yield_fetch', 'yfetch')}":
               (op, how, f"{name} {said}")
               for op, name in OPS.items() for how, said in (("LOOP", LOOP), ("FAULT", FAULT))}
# The words the kernel's reports use for a thread's state (tstate_name's
# table, read from its source so that a state added there is known here).
THREAD_STATES_OUT_OF_QUEUE = sorted(
    set(re.findall(r'\[THREAD_[A-Z_]+\] = "([^"]+)"',
                   open(os.path.join(ROOT, "os/sched/thread_state.c")).read()))
    - {"runnable"}, key=len, reverse=True)
assert "parked in user mode, deferred" in THREAD_STATES_OUT_OF_QUEUE

IN_EVERY_OP.update({
    "garbage_fetch": ("FETCH", "GARBAGE",
                      r"fetch on hart \d returned task 4294967280, which is not in the queue"),
    "garbage_top": ("TOP", "GARBAGE", r"top_priority returned 99, not a priority"),
    # (yield_fetch's answer is checked as fetch's: the report names fetch.)
    "garbage_yfetch": ("YIELD_FETCH", "GARBAGE",
                       r"fetch on hart \d returned task 4294967280, which is not in the "
                       r"queue"),
    # A task handed out again while the kernel has it out: the report says
    # where its thread is (running on another hart, blocked after it ran, or
    # parked in user mode: any state but queued, by tstate_name's words).
    "twice_fetch": ("FETCH", "TWICE",
                    r"fetch on hart \d returned task \d+, which is not in the queue "
                    r"\(thread \d+, (?:" + "|".join(map(re.escape, THREAD_STATES_OUT_OF_QUEUE))
                    + r") on hart \d\)"),
})
# Together they call every operation more than 10 times on 1 and 4 harts:
# add (threads made), wake (joins, pipes), yield and yield_fetch (t_yield), remove
# (user-mode switches: at a trap the kernel takes the parked thread that
# runs now out of its queue: a ping-pong long enough for 10 ticks on an idle
# host, stopped once the report comes), top_priority
# and tick (every tick).
EVERY_OP_WORKLOAD = ["t_threads 4", "t_yield", "t_pingpong 4 1000000", "t_pipe"]


def run_until_reported(m, command, report):
    """Runs a workload command until it ends or the report comes; then
    stops it (Ctrl-C): after the fallback it need not be quick (user-mode
    switching is off: t_pingpong's spinning turns then wait for the host to
    run the right virtual hart).  True if the report came."""
    m.sendline(command)
    if m.expect([report, re.escape("schedos$ ")], timeout=150).group(0) == "schedos$ ":
        return bool(report.search(m.output()))
    try:
        m.shell_prompt(timeout=20)
    except MachineTimeout:
        # Ended since or not, Ctrl-C gives a prompt; the echo finds the last.
        # The line typed during the workload is echoed as it is typed; the
        # shell reads it once its prompt is out, so the echo's output may
        # follow that prompt on its line (seen on a loaded host).
        m.send("\x03")
        m.sendline("echo workload stopped")
        m.expect(r"(?:[\r\n]|schedos\$ )workload stopped[\r\n]", timeout=90)
        m.shell_prompt(timeout=30)
    return True


def misbehaving_blob(where, name, op, how, side="KERNEL"):
    """misbehave.c with its defines, built as a student builds a blob."""
    src = where / f"{name}.c"
    src.write_text(f'#define MB_NAME "{name}"\n#define MB_OP MB_{op}\n'
                   f'#define MB_HOW MB_{how}\n#define MB_WHERE MB_{side}\n'
                   f'#include "{os.path.join(ROOT, "testsuite", "blobs", "misbehave.c")}"\n')
    return build_blob(str(src))


@pytest.mark.timeout(300)
@pytest.mark.parametrize("smp", [1, 4], ids=lambda n: f"smp{n}")
@pytest.mark.parametrize("kind", sorted(IN_EVERY_OP))
def test_misbehaviour_in_any_operation_is_caught(machine, tmp_path, kind, smp):
    """Whatever operation breaks the contract, and however, the kernel names
    the policy, the operation and the fault, falls back to the built-in
    policy, and programs run right after it."""
    op, how, said = IN_EVERY_OP[kind]
    m = machine(smp=smp, initrd=True, sched_blob=misbehaving_blob(tmp_path, kind, op, how))
    m.expect_exact("schedos$ ", timeout=90)
    assert f"sched: policy '{kind}' (external blob" in m.output(), m.output()
    # (Not at a line's start: a tick's report may follow the prompt.)
    report = re.compile(rf"sched: policy '{kind}' misbehaved: {said}; switching to the "
                        r"built-in 'heap'")
    for command in EVERY_OP_WORKLOAD:
        if run_until_reported(m, command, report):
            break
    assert report.search(m.output()), m.output()
    assert m.output().count("misbehaved") == 1, m.output()
    assert sysinfo(m)["sched_name"] == "heap"
    # Afterwards, under the built-in policy: threads, yields, pipes.  (Not
    # t_pingpong: it fails by design once user-mode switching is off, which
    # a replaced policy turns off for good.)
    assert re.search(r"^t_threads: PASS$", m.run("t_threads 4", timeout=120), re.M)
    assert re.search(r"^t_yield: PASS$", m.run("t_yield", timeout=120), re.M)
    assert re.search(r"^t_pipe: PASS$", m.run("t_pipe", timeout=180), re.M)
    assert "panic" not in m.output()
    still_alive(m)


# The same blobs misbehaving only on a process's queue, where its runtime
# runs the policy in user mode: the kernel's queue stays right (no
# fallback); the process stops switching in user mode, says so if the
# kernel caught it (a fault or a loop; garbage and a task handed out twice
# the runtime refuses by itself: a broken queue), and its turns stay right.
# (Only fetch: a process calls it at every yield; remove and top_priority
# only now and then, too few times on one hart for a test to count on.)
IN_USER_MODE = {
    "fault_fetch_u": ("FETCH", "FAULT", r"faulted in user mode \(load page fault at offset"),
    "loop_fetch_u": ("FETCH", "LOOP", r"did not return within 50 timer ticks in user mode"),
    "garbage_fetch_u": ("FETCH", "GARBAGE", None),
    "twice_fetch_u": ("FETCH", "TWICE", None),
}


@pytest.mark.timeout(300)
@pytest.mark.parametrize("smp", [1, 4], ids=lambda n: f"smp{n}")
@pytest.mark.parametrize("kind", sorted(IN_USER_MODE))
def test_misbehaviour_in_user_mode_is_contained(machine, tmp_path, kind, smp):
    op, how, said = IN_USER_MODE[kind]
    m = machine(smp=smp, initrd=True,
                sched_blob=misbehaving_blob(tmp_path, kind, op, how, side="USER"))
    m.expect_exact("schedos$ ", timeout=90)
    out = m.run("t_pingpong 8 300", timeout=240)
    assert re.search(r"^t_pingpong: 8 threads x 300 turns in \d+ ms, counter 2400, "
                     r"0 out of turn$", out, re.M), out
    if said:
        assert re.search(rf"\[pid \d+ t_pingpong\] the scheduling policy '{kind}' " + said +
                         r".*: its threads yield through the kernel from now on", out), out
    else:
        # Refused by the runtime: most yields went through the kernel.
        calls, switched = map(int, re.search(r"yield_\(\) calls (\d+), switched in user "
                                             r"mode (\d+)", out).groups())
        assert switched * 2 < calls, out
    assert re.search(r"^t_threads: PASS$", m.run("t_threads 4", timeout=120), re.M)
    assert "misbehaved" not in m.output(), m.output()
    assert sysinfo(m)["sched_name"] == kind
    assert "panic" not in m.output()
    still_alive(m)


def test_multiqueue_spreads_threads(machine):
    """Eight busy threads created on one hart end up on all four."""
    m = boot_shell(machine, smp=4, policy="multiqueue")
    # -b: spin until the threads have been on every hart, 20 s at most (a
    # virtual hart of a loaded host may get no time for a while).
    out = m.run("t_spread -b 8 20000", timeout=60)
    assert "t_spread: 8 threads ran on 4 of 4 harts" in out, out


# The checker refuses blobs that break the build rules, and says why:
# (declarations, a statement in fifo_fetch, what the message must say,
# what it must not say).
FN_TYPE = ("typedef uint32_t (*fn)(const struct sched_ctx *, uint32_t);\n"
           "static uint32_t f0(const struct sched_ctx *c, uint32_t h) { (void)c; return h; }\n")
WRITABLE = ("a blob keeps no state of its own (the same code serves the kernel's queue, "
            "each process's and each coroutine executor's); keep it in the queue words or "
            "in the records' link[]/policy[] fields")
RELOCATED = ("each is an absolute address that would have to be patched where the blob is "
             "loaded, and the kernel copies a blob as it is (linked at 0, run elsewhere); "
             "call the functions directly instead (a switch on the index is fine: its jump "
             "table is position-independent)")
CHECKER_CASES = {
    "writable": ("static uint32_t calls;\n", "calls++;",
                 ["writable global data: 'calls' (4 bytes, section .bss): " + WRITABLE], []),
    "writable_data": ("static uint32_t calls = 5;\n", "calls++;",
                      ["writable global data: 'calls' (4 bytes, section .data): " + WRITABLE],
                      []),
    "calls_out": ("extern void kprintf(const char *);\n", 'kprintf("x");',
                  ["calls out or uses an outside symbol: 'kprintf' is undefined"], []),
    # A const table of function pointers is not writable data: it is data
    # that needs relocations, and the message says so (and nothing else).
    "table": (FN_TYPE + "static const fn table[] = { f0, f0, f0 };\n",
              "if (table[hart % 3](c, hart) == 99) return 0;",
              ["constant data that needs relocating: 'table' (24 bytes, section "
               ".data.rel.ro) holds 3 addresses, like any const table of function or "
               "string pointers: " + RELOCATED],
              ["writable", "not position-independent"]),
    "string_table": ("static const char *const names[] = { \"a\", \"b\" };\n",
                     "if (names[hart % 2][0] == 'z') return 0;",
                     ["constant data that needs relocating: 'names' (16 bytes, section "
                      ".data.rel.ro) holds 2 addresses", "(strings as char names[N][LEN])"],
                     ["writable"]),
    # Writable and holding addresses: both are said.
    "writable_table": (FN_TYPE + "static fn table[] = { f0, f0 };\n",
                       "table[hart % 2] = f0; if (table[(hart + 1) % 2](c, hart) == 99) "
                       "return 0;",
                       ["writable global data: 'table' (16 bytes, section .data): " + WRITABLE
                        + "; it also holds 2 addresses, which would need relocating"], []),
}


def fifo_with(decl, stmt, name, where):
    """fifo.c with `decl` after the include and `stmt` at the top of fifo_fetch."""
    src = open(os.path.join(ROOT, "sched_impls", "fifo", "fifo.c")).read()
    src = src.replace('#include "sched_abi.h"\n', '#include "sched_abi.h"\n' + decl)
    assert "    uint32_t task = HEAD(c);\n" in src
    src = src.replace("    uint32_t task = HEAD(c);\n",
                      f"    {stmt}\n    uint32_t task = HEAD(c);\n", 1)
    path = where / f"{name}.c"
    path.write_text(src)
    return path


@pytest.mark.parametrize("case", sorted(CHECKER_CASES))
def test_blob_checker_refuses(tmp_path, case):
    decl, stmt, said, unsaid = CHECKER_CASES[case]
    path = fifo_with(decl, stmt, f"bad_{case}", tmp_path)
    out = subprocess.run(["make", "-s", "-C", ROOT, "sched-blob", f"SRC={path}"],
                         capture_output=True, text=True)
    text = out.stdout + out.stderr
    assert out.returncode != 0, text
    for message in said:
        assert message in text, text
    for message in unsaid:
        assert message not in text, text


# What the checker tells a student to write instead of a table of
# function pointers: a switch calling the functions directly.  It passes
# the checker, and the blob, run at the shared code's address, calls the
# right function (fetch returns the queue's head only if the switch ran
# the case it must).
SWITCH_DISPATCH = (
    "static uint32_t f0(uint32_t x) { return x; }\n"
    "static uint32_t f1(uint32_t x) { return x + 1; }\n"
    "static uint32_t f2(uint32_t x) { return x * 3; }\n"
    "static uint32_t f3(uint32_t x) { return x ^ 5; }\n"
    "static uint32_t f4(uint32_t x) { return x - 2; }\n"
    "static uint32_t dispatch(uint32_t which, uint32_t x)\n{\n"
    "    switch (which) {\n"
    "    case 0: return f0(x);\n    case 1: return f1(x);\n    case 2: return f2(x);\n"
    "    case 3: return f3(x);\n    case 4: return f4(x);\n    default: return 0;\n"
    "    }\n}\n")
SWITCH_CHECK = ("if (dispatch(hart % 5, 7) != (uint32_t[]){ 7, 8, 21, 2, 5 }[hart % 5]) "
                "return SCHED_NONE;")


@pytest.mark.parametrize("smp", [1, 4], ids=lambda n: f"smp{n}")
def test_blob_checker_accepts_a_switch(machine, tmp_path, smp):
    path = fifo_with(SWITCH_DISPATCH, SWITCH_CHECK, "switch_dispatch", tmp_path)
    blob = build_blob(str(path))
    m = boot_shell(machine, smp=smp, sched_blob=blob)
    assert "sched: policy 'fifo' (external blob" in m.output(), m.output()
    assert re.search(r"^t_threads: PASS$", m.run("t_threads 4", timeout=90), re.M)
    assert "misbehaved" not in m.output(), m.output()


def test_policy_in_use(boot_policy, policy):
    """The policy under test (built-in, or the graded blob) is the one that
    runs, and nothing makes the kernel replace it."""
    m = boot_policy(policy, smp=4, initrd=True)
    m.shell_prompt(timeout=60)
    out = m.output()
    if policy == "external":
        assert re.search(r"^sched: policy '\w+' \(external blob", out, re.M), out
    else:
        assert f"sched: policy '{policy}' (built-in blob" in out
    assert "t_threads: PASS" in m.run("t_threads 8", timeout=120)
    # Every hart gets work: none of the policies leaves one idle.
    # -b: until every hart has had a thread, 20 s at most: a virtual hart of
    # a loaded host can get no host time for longer than a fixed spin (8
    # threads ran on 3 of 4 harts in 200 ms once, under `make test -n 2`).
    assert "t_spread: PASS" in m.run("t_spread -b 8 20000", timeout=60)
    assert "misbehaved" not in m.output()
