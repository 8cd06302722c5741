"""Kernel self-tests (ktest=...), on one hart and on four: their KTAP
output, read with the harness's parser (schedos/ktap.py)."""
import re

import pytest

from schedos import ktap

# The tests `ktest=all` must run; a test missing from the output fails here.
EXPECTED = ["format", "string", "bootargs", "frame", "heap", "heapcache", "vm", "uvm", "spinlock", "hartrw", "timer", "ipi", "blobguard", "tick", "nudge",
            "printf", "kcoro", "fdtable", "lockstat"]
PRINTF_TAIL = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def ktap_report(m, timeout=60):
    """The machine's KTAP results, once it powered off: (status, report)."""
    status = m.wait_exit(timeout=timeout)
    return status, ktap.parse(m.output())


def expect_alone(m, name, lines):
    """The machine ran the one test `name`, which passed and printed each
    of `lines` among its diagnostics."""
    status, report = ktap_report(m)
    assert status == 0, m.output()
    assert report.names() == [name] and report.ok, report.problems()
    for line in lines:
        assert line in report.result(name).diagnostics, report.result(name).diagnostics


@pytest.mark.parametrize("smp", [1, 4], ids=lambda n: f"smp{n}")
def test_ktest_all(machine, smp):
    m = machine(smp=smp, append="ktest=all")
    status, report = ktap_report(m, timeout=100)
    out = m.output()
    assert report.plan == len(EXPECTED), out
    assert report.names() == EXPECTED, out
    assert report.ok, report.problems()
    assert report.diagnostics == [f"summary: {len(EXPECTED)} passed, 0 failed"]
    assert status == 0
    # The SMP tests really ran on every hart.
    assert (f"{smp} harts x 20000 increments = {smp * 20000}"
            in report.result("spinlock").diagnostics)
    assert any(d.startswith(f"hartrw: {smp} harts, {smp * 5000} exclusive holds")
               for d in report.result("hartrw").diagnostics), out
    ticks = [d for d in report.result("timer").diagnostics
             if re.match(r"^hart \d+: \d+ ticks", d)]
    assert len(ticks) == smp, report.result("timer").diagnostics
    # Every other hart waited for the lock one held, and lockstat said so.
    waited = [d for d in report.result("lockstat").diagnostics if d.startswith("contended:")]
    if smp == 1:
        assert waited == [] and ("one hart: no lock can be waited for"
                                 in report.result("lockstat").diagnostics), out
    else:
        assert len(waited) == 1 and waited[0].startswith(f"contended: {smp - 1} harts waited"), out
    # Every hart printed its 40 lines at the same time and no line was
    # broken up by another hart's output (a broken line would not be a
    # diagnostic line, or would not match).
    printf_lines = [d for d in report.result("printf").diagnostics
                    if d.startswith("printf hart")]
    assert len(printf_lines) == 40 * smp, out
    whole = re.compile(rf"^printf hart (\d) line (\d\d): {PRINTF_TAIL}$")
    assert all(whole.match(d) for d in printf_lines), printf_lines
    assert not any("printf hart" in u for u in report.unknown), report.unknown
    for hart in range(smp):
        lines = [int(whole.match(d).group(2)) for d in printf_lines
                 if whole.match(d).group(1) == str(hart)]
        assert lines == list(range(40))


@pytest.mark.parametrize("smp", [2, 4], ids=lambda n: f"smp{n}")
def test_ktest_heapcache(boot_policy, policy, smp):
    """The kernel heap's per-hart caches (os/mm/kmalloc.c) with every hart
    at once: objects made on one hart and freed on the next, bursts past
    what a cache keeps, and every cache given back to the slabs meanwhile;
    each object whole and zeroed, the counts and frames as before.  The
    kernel heap does not depend on the policy, but the machine it runs on
    is booted with each."""
    m = boot_policy(policy, smp=smp, append="ktest=heapcache")
    status, report = ktap_report(m, timeout=180)
    assert status == 0, m.output()
    assert report.names() == ["heapcache"] and report.ok, report.problems()


@pytest.mark.parametrize("smp", [1, 2], ids=lambda n: f"smp{n}")
def test_ktest_blobguard(boot_policy, policy, smp):
    """A policy call's guard (os/sched/blob_guard.h) with interrupts on in
    its window: a software interrupt raised inside it is held back (only
    the timer left enabled, the handler not run, the interrupt still
    pending), a tick inside it is counted by the guard and not by the
    timer's handler, and both are taken once the window ends and
    interrupts are on, with every interrupt enabled again."""
    m = boot_policy(policy, smp=smp, append="ktest=blobguard")
    status, report = ktap_report(m, timeout=120)
    assert status == 0, m.output()
    assert report.names() == ["blobguard"] and report.ok, report.problems()
    assert ("held back in the window: a software interrupt and a tick, both taken after it"
            in report.result("blobguard").diagnostics)


@pytest.mark.parametrize("test,where", [("dfree", "this hart's cache"),
                                        ("dfreeslab", "its slab"),
                                        ("dfreehart", "another hart's cache")])
def test_double_free_panics(machine, test, where):
    """A double free is caught wherever the first free left the object:
    in the hart's cache, back in its slab, in another hart's cache (the
    kernel heap searches them all only for an object marked free)."""
    m = machine(smp=2, append=f"ktest={test}")
    status = m.wait_exit(timeout=100)
    out = m.output()
    assert "freeing 0x" in out and f"again, from {where}" in out, out
    assert status == 1, out
    assert re.search(r"^PANIC on hart \d: kfree: double free of 0x[0-9a-f]+$", out, re.M), out


@pytest.mark.parametrize("test,holding,taking,report", [
    ("hartrwnest", "kt-space-a shared", "kt-space-b shared",
     "hart_rwlock_lock_shared: hart already holds one 'kt-space-b'"),
    ("hartrwup", "kt-space-a shared", "it exclusively",
     "hart_rwlock_lock: hart holds it shared 'kt-space-a'"),
    ("hartrwdown", "kt-space-a exclusively", "it shared",
     "hart_rwlock_lock_shared: hart holds it exclusively 'kt-space-a'")])
@pytest.mark.parametrize("smp", [1, 2], ids=lambda n: f"smp{n}")
def test_hart_rwlock_misuse_panics(machine, smp, test, holding, taking, report):
    """Every address space's shared hold is one slot per hart
    (os/kernel/hart_rwlock.h, uspace_readers): a hart that holds one
    address space and takes a second shared, or takes the one it holds
    the other way, panics at the take.  Without the checks the second
    shared hold overwrote the slot (the first space's unmaps no longer
    waited for this hart's copy) and the other two waited for themselves
    for ever, interrupts off."""
    m = machine(smp=smp, append=f"ktest={test}")
    status = m.wait_exit(timeout=60)
    out = m.output()
    assert f"holds {holding}; taking {taking}" in out, out
    assert "not reached" not in out, out
    assert re.search(rf"^PANIC on hart \d: {re.escape(report)}$", out, re.M), out
    assert status == 1, out


@pytest.mark.parametrize("smp", [1, 2, 4], ids=lambda n: f"smp{n}")
def test_ktest_nudge(machine, smp):
    """A wake-up's nudge (os/sched/nudge.h): on several harts, a waker on
    its own idle thread nudges itself (but not while that hart is in the
    middle of a reconcile: then a hart asleep is woken), each hart asleep
    in its idle loop takes a busy waker's IPI and sleeps again, the
    scan finds a hart when none is marked asleep, and the marks hold at
    random moments of the idle loops; on one hart, the hart itself is
    nudged and nothing is ever marked."""
    m = machine(smp=smp, append="ktest=nudge")
    status, report = ktap_report(m, timeout=180)
    assert status == 0, m.output()
    assert report.names() == ["nudge"] and report.ok, report.problems()
    diagnostics = report.result("nudge").diagnostics
    if smp > 1:
        took = [d for d in diagnostics if d.endswith("took its IPI")]
        assert len(took) == smp - 1, diagnostics
        assert any(d.endswith("the waker's own idle hart nudged") for d in diagnostics), diagnostics
        assert any("a reconciling hart woke hart" in d and d.endswith(", not itself")
                   for d in diagnostics), diagnostics
        assert "the scan: 1 hart nudged (marked: 0)" in diagnostics, diagnostics
        assert any(d.endswith("nudges in 1000 rounds") for d in diagnostics), diagnostics


def test_timer_sbi_fallback(machine):
    """timer=sbi programs ticks through SBI set_timer instead of stimecmp."""
    m = machine(smp=2, append="timer=sbi ktest=timer")
    status, report = ktap_report(m)
    assert status == 0
    assert "SBI set_timer" in m.output()
    assert report.names() == ["timer"] and report.ok, report.problems()


def test_ktest_selected(machine):
    """The named tests run in the order given, numbered from 1."""
    m = machine(smp=2, append="ktest=vm,format")
    status, report = ktap_report(m)
    assert status == 0
    assert report.plan == 2
    assert [(r.number, r.name, r.ok) for r in report.results] == \
        [(1, "vm", True), (2, "format", True)]
    assert report.diagnostics == ["summary: 2 passed, 0 failed"]


def test_ktest_unknown_name(machine):
    m = machine(smp=1, append="ktest=frame,nosuch")
    assert m.wait_exit() == 3
    out = m.output()
    assert "ktest: unknown test 'nosuch'" in out
    assert "KTAP version" not in out              # nothing ran
    assert re.search(r"^ktest: heap +kmalloc", out, re.M)   # the list


def test_ktest_list(machine):
    m = machine(smp=1, append="ktest=list")
    assert m.wait_exit() == 0
    out = m.output()
    for name in EXPECTED + ["panic", "dfree", "dfreeslab", "dfreehart", "hartrwnest",
                            "hartrwup", "hartrwdown"]:
        assert re.search(rf"^ktest: {name} ", out, re.M), name


@pytest.mark.parametrize("smp", [1, 4], ids=lambda n: f"smp{n}")
def test_ktest_kcoro(boot_policy, policy, smp):
    """The kernel's coroutines run on the kernel's built-in heap policy,
    whatever policy the machine schedules threads with."""
    m = boot_policy(policy, smp=smp, append="ktest=kcoro")
    expect_alone(m, "kcoro", ("kcoro order: priority, then FIFO among equals",
                              "kcoro wakes: none lost, none doubled",
                              "kcoro cancel: idle and queued, never polled after",
                              "kcoro poll: at most 64 per call"))


def test_ktest_fdtable(machine):
    """A file-descriptor table on its own: it doubles from 16 entries to
    MAX_FDS, refuses one more, hands out holes lowest first, and copies
    and closes give back every reference and heap byte."""
    m = machine(smp=1, append="ktest=fdtable")
    expect_alone(m, "fdtable", ("fdtable grow: 10 sizes from 16 to 8192, then EMFILE",
                                "fdtable lowest free: 7, 5000, 8191",
                                "fdtable copy and close: references and heap bytes back"))


def test_ktest_uvm(machine):
    """User memory's fast paths against what the slow ones guarantee:
    frames in batches, uvm_alloc over two leaf tables and more than a
    batch (zeroed, -EEXIST undone), fork's copy table by table, copies
    within one page (no check first) and across two (checked first), the
    partial copies stopping at the bad page; every frame back."""
    m = machine(smp=1, append="ktest=uvm")
    expect_alone(m, "uvm", (
        "uvm frames: a batch of 40, a run of 70, all back",
        "uvm alloc: 40 pages over two tables, EEXIST undone, freed, zeroed again",
        "uvm copy: 40 pages and a text page, same rights, own frames",
        "uvm copies: one page and two, whole and partial, refusals move nothing"))


def test_ktest_string(machine):
    """memcpy, memset and memmove against byte-at-a-time copies at every
    alignment of both ends and lengths round each loop's step."""
    m = machine(smp=1, append="ktest=string")
    expect_alone(m, "string",
                 ("string: memcpy, memset, memmove at 16 x 16 alignments, 28 lengths",))
