"""The plug-in scheduler: choosing a policy at boot, booting a blob built
outside the kernel, refusing broken blobs, replacing a policy that
misbehaves, and each policy's own behaviour."""
import os
import re
import subprocess

import pytest

from conftest import POLICIES, boot_shell, still_alive
from machine import ROOT

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
    assert re.search(rf"^sched: policy '{name}' \(built-in blob, \d+ bytes, ABI 2\.2\) "
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
    assert re.search(r"^sched: policy 'prio_list' \(external blob, \d+ bytes, ABI 2\.2\)",
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
                          "kernel's 2.2",
    "blob_header_size": "header size 64, want 128",
    "blob_total_size": "total size 70000 outside 128..65536",
    "blob_name": "name is empty or not NUL-terminated",
    "blob_flags": "unknown flags 0x80",
    "blob_reserved": "reserved field 2 is not zero",
    "blob_op_offset": "operation fetch at offset",
    "blob_checksum": "checksum 0x",
}


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
    assert f"sched: blob at {BLOB_PA} refused: {REFUSALS[rule]}" in out, out
    assert "sched: policy 'heap' (built-in blob" in out
    assert m.run("echo still scheduling").strip() == "still scheduling"


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


@pytest.mark.parametrize("kind", sorted(MISBEHAVIOUR))
def test_misbehaving_policy_is_replaced(machine, kind):
    what, append = MISBEHAVIOUR[kind]
    blob = build_blob(os.path.join(ROOT, "testsuite", "blobs", f"{kind}.c"))
    m = machine(smp=1 if kind in ("starver", "yield_faulter") else 2, initrd=True,
                sched_blob=blob,
                append=append)
    # Busy threads on one hart starve under the LIFO policy.
    m.expect_exact("schedos$ ", timeout=60)
    workload = {"starver": "t_spread 2 3000", "yield_faulter": "t_yield"}
    out = m.run(workload.get(kind, "t_threads 4"), timeout=90)
    assert re.search(rf"^sched: policy '{kind}' misbehaved: {what}; switching to the "
                     r"built-in 'heap'$", m.output(), re.M), m.output()
    assert re.search(r"^t_(threads|spread|yield): PASS$", out, re.M), out
    assert sysinfo(m)["sched_name"] == "heap"
    assert m.run("echo still scheduling").strip() == "still scheduling"


def test_multiqueue_spreads_threads(machine):
    """Eight busy threads created on one hart end up on all four."""
    m = boot_shell(machine, smp=4, policy="multiqueue")
    out = m.run("t_spread 8 400")
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
    assert "t_spread: PASS" in m.run("t_spread 8 200", timeout=60)
    assert "misbehaved" not in m.output()
