"""Threads switching in user mode through the shared region: ping-pong
without system calls, the policy respected across processes, bounded
block_sched, and hostile programs that can only hurt themselves."""
import re

import pytest

from conftest import POLICIES, boot_shell, still_alive
from test_stress import debug_kernel  # noqa: F401 (a fixture: make kdebug, once)




def pingpong_counts(out):
    """The run passed (every turn in order, yield system calls under a
    tenth of the yield_() calls); returns (switches, syscalls).

    A per-hart policy (multiqueue) is judged the same way.  Its user-side
    top_priority sees only its own hart's queue, and a yield through the
    kernel on one hart cannot take a thread queued in another hart's
    queue: once a yield through the kernel has come straight back, the
    runtime does not ask again until something new is queued there
    (SCHED_KINFO.futile_at).  Before that, its threads asked the kernel 0.3
    to 4.5 times per user-mode switch, and this check failed."""
    assert re.search(r"^t_pingpong: PASS$", out, re.M), out
    assert "killed" not in out, out
    counts = re.search(r"runtime says user-mode switches (\d+); kernel counted yield "
                       r"syscalls (\d+)", out)
    return int(counts.group(1)), int(counts.group(2))


@pytest.mark.parametrize("smp", [1, 2], ids=lambda n: f"smp{n}")
@pytest.mark.parametrize("name", POLICIES)
def test_pingpong_switches_in_user_mode(machine, name, smp):
    """Threads pass a turn thousands of times with yield_(): the switches
    happen in user mode, the yield system calls stay far fewer."""
    m = boot_shell(machine, smp, policy=name)
    out = m.run(f"t_pingpong {2 * smp} 5000", timeout=120)
    switches, syscalls = pingpong_counts(out)
    assert switches >= 5000, out
    assert syscalls < switches / 10, out
    # The same counts, read back through schedstat (the whole system).
    stat = dict(re.findall(r"^(\w+): (\d+)", m.run("schedstat"), re.M))
    assert int(stat["user_switches_reported"]) >= switches
    # How many of those the kernel noticed depends on where the timer
    # ticks fall (a per-hart policy's two threads may swap back before
    # any trap): judged against what the process itself was told, which
    # schedstat's totals, exited processes included, must cover.
    noticed = int(re.search(r"switches noticed at traps (\d+)", out)[1])
    assert int(stat["user_switches_seen"]) >= noticed, out
    still_alive(m)


def uswitch_paths(out):
    """(switches, hand-overs to the C half) of t_uswitch_paths's ping-pong;
    the program has checked its own rules (PASS)."""
    assert re.search(r"^t_uswitch_paths: PASS$", out, re.M), out
    assert "killed" not in out, out
    m = re.search(r"(\d+) user-mode switches, (\d+) yields handed to the C half", out)
    assert m, out
    return int(m[1]), int(m[2])


@pytest.mark.parametrize("smp", [1, 2], ids=lambda n: f"smp{n}")
@pytest.mark.parametrize("name", POLICIES)
def test_fast_path_and_c_half(machine, name, smp):
    """The runtime's yield has an assembly fast path and a C half that
    takes over for everything else (user/runtime/user_schedule.S).  A lone
    thread's yield reaches the C half (the policy gives it back; under a
    per-hart policy the fast path itself keeps the hart), and on one hart a
    ping-pong's switches are made by the fast path: the program counts the
    hand-overs in VDSO_DATA.slow_yields and checks both (on two harts, only
    that every turn came in order).  It also checks the policy entry and
    context the kernel bound for the fast path in SCHED_KINFO; that with
    the process's own rt_off set no yield switches in user mode (the fast
    path reads it under the lock, with rt_ready); and that a scribbled
    VDSO_DATA.ntasks does not send the fast path's switches to the C half
    (its context is the kernel's)."""
    m = boot_shell(machine, smp, policy=name)
    out = m.run("t_uswitch_paths 2000", timeout=120)
    switches, slow = uswitch_paths(out)
    if smp == 1:
        assert switches >= 2000 and slow * 10 < switches, out
    assert re.search(r"^t_uswitch_paths: off: 2 threads x 500 turns, 0 out of turn; "
                     r"0 user-mode switches", out, re.M), out
    scribbled = re.search(r"^t_uswitch_paths: ntasks \d+: 2 threads x 500 turns, 0 out of turn; "
                          r"(\d+) user-mode switches, (\d+) yields handed", out, re.M)
    assert scribbled, out
    if smp == 1:
        assert int(scribbled[1]) >= 500 and int(scribbled[2]) * 10 < int(scribbled[1]), out
    # Both ways of calling the policy: the entry the kernel bound at boot
    # (a policy with yield_fetch that is not per-hart), and the header's,
    # out of line (multiqueue: per-hart, and no yield_fetch).
    bound = "not bound" if name == "multiqueue" else "bound"
    assert f"policy entry {bound}\n" in out.replace("\r", ""), out
    still_alive(m)


@pytest.mark.timeout(400)
@pytest.mark.parametrize("smp", [1, 2], ids=lambda n: f"smp{n}")
def test_commit_restarts(boot_policy, policy, smp):
    """The user-mode switch's commit (rt_commit_current) is restarted when
    an interrupt lands inside it, and the threads that switched through
    restarted commits keep their registers.  QEMU takes interrupts only
    between its translated blocks, and the commit sits inside one: with
    ticks alone (no -icount) a ping-pong of 6 million switches saw none.
    So the machine runs under -icount, where an interrupt comes between any
    two instructions, with a poke every 50 us (timer_poke_us: an interrupt
    that does nothing else) to land there within a second.  The count is
    the kernel's (schedstat's commit_restarts, counted where it moves the
    pc back): with the restart removed from shared_restart_commit it stays
    0 and the program fails.  On 2 harts too: there, with two threads
    per hart, a hart waiting for sched_lock with interrupts off once spun
    through whole QEMU turns while the holder, in a guarded policy call,
    took its poke at the start of each of its own and made no progress
    (the program never finished: 5 runs of 9); cpu_relax now ends the
    waiter's turn (os/arch/riscv.h; docs/user-mode-switching.md, "The
    multi-hart stall that was").  Not on 4 harts yet: runs there still
    outlast 200 s now and then (the same note says what is known)."""
    m = boot_policy(policy, smp=smp, initrd=True, append="timer_poke_us=50",
                    extra_args=("--icount",))
    m.shell_prompt(timeout=120)
    out = m.run(f"t_commit_restart {2 * smp} 60", timeout=300)
    assert re.search(r"^t_commit_restart: PASS$", out, re.M), out
    r = re.search(r"(\d+) yields in \d+ ms, (\d+) commits restarted, (\d+) registers wrong", out)
    assert r and int(r[2]) >= 3 and int(r[3]) == 0, out
    stat = dict(re.findall(r"^(\w+): (\d+)", m.run("schedstat"), re.M))
    assert int(stat["commit_restarts"]) >= int(r[2]), stat
    assert "panic" not in m.output() and "killed" not in out
    assert "did not return within" not in m.output()
    still_alive(m)


@pytest.mark.timeout(900)
@pytest.mark.parametrize("smp", [1, 2], ids=lambda n: f"smp{n}")
def test_switch_tail_spared_by_pc(boot_policy, policy, smp):
    """An interrupt that lands in a user-mode switch's tail, after the
    commit named the next thread and before the queue lock (in the old
    thread's name) is released, is spared however many switches the hart
    made since the kernel last looked: the kernel knows the window by the
    trapped pc (in_switch_tail, os/sched/reconcile.c; the runtime's
    header exports the release's address).  Known by the lock's name
    alone, a hart that went Z to A to B was not spared there (the kernel
    expected Z), and the process could run A twice and be killed.  Under
    -icount a tick may land between any two instructions; six threads
    (more than two: with two, the lock's name always matched) switch until
    three interrupts have come in the tail (schedstat's tail_interrupts;
    a tick lands there rarely, 5 in 5 to 38 s of virtual time with three
    threads), and every one must have been spared (tail_spared).  With
    the pc left out of in_switch_tail, 3 of 5 and 2 of 5 were not, with
    three threads, and the program fails.  On 2 harts too, six threads
    per hart, since the stall test_commit_restarts names is gone
    (before, the program hung there with pokes; without them, the guard
    took the stalled policy call for a looping one and the kernel replaced
    the policy: "did not return within", which fails the test too)."""
    m = boot_policy(policy, smp=smp, initrd=True, append="timer_poke_us=50",
                    extra_args=("--icount",))
    m.shell_prompt(timeout=120)
    out = m.run(f"t_commit_restart {6 * smp} 400 3", timeout=800)
    assert re.search(r"^t_commit_restart: PASS$", out, re.M), out
    r = re.search(r"(\d+) interrupts in the switch's tail, (\d+) spared", out)
    assert r and int(r[1]) >= 3 and int(r[2]) == int(r[1]), out
    stat = dict(re.findall(r"^(\w+): (\d+)", m.run("schedstat"), re.M))
    assert int(stat["tail_spared"]) >= int(r[2]), stat
    assert "killed" not in out and "preempting it anyway" not in m.output(), out
    assert "did not return within" not in m.output()
    still_alive(m)


def test_timer_poke_bad_value(machine):
    """A poke period out of range is refused at boot, with the range, and
    the machine runs without pokes."""
    m = machine(smp=1, initrd=True, append="timer_poke_us=3")
    m.shell_prompt(timeout=60)
    assert "timer_poke_us ignored: microseconds between pokes, 10 to 9999" in m.output()
    still_alive(m)


@pytest.mark.parametrize("name", POLICIES)
def test_switch_tail_spared(machine, name):
    """A user-mode switch caught after current[hart] names the next thread
    and before the queue lock (in the old thread's name) is released: the
    kernel reconciles the trap as the next thread and must spare it there
    as it spares a lock holder (a more urgent competitor, woken every
    millisecond, does not run in the 40 ms the program holds the window),
    mark the old thread off its hart, and never resume the old thread under
    the unfinished switch.  Preempting it there left test_stress[heap-smp8]
    with every hart idle and twenty threads queued.  One hart: the program
    must keep its partner parked until it claims it (t_switch_tail)."""
    m = boot_shell(machine, 1, policy=name)
    out = m.run("t_switch_tail", timeout=120)
    assert re.search(r"^t_switch_tail: PASS$", out, re.M), out
    assert "window 40 ms, competitor wakes 0 in it" in out, out
    assert "killed" not in out and "preempting it anyway" not in m.output(), out
    still_alive(m)


@pytest.mark.parametrize("name", POLICIES)
def test_c_half_switches_while_tracing(machine, name):
    """A case only the C half handles: while the kernel records a timeline,
    the runtime appends each switch to the process's ring, which the fast
    path does not do, so it hands every yield over.  The switches still come
    in turn, and every one of them is the C half's."""
    m = boot_shell(machine, 1, policy=name, append="trace=65536")
    assert "trace: on" in m.run("trace on")
    out = m.run("t_uswitch_paths 500", timeout=120)
    assert "trace: off" in m.run("trace off")
    switches, slow = uswitch_paths(out)
    assert "timeline on" in out, out
    assert switches >= 500 and slow >= switches, out
    still_alive(m)


@pytest.mark.timeout(900)       # 190 s once, for multiqueue on a loaded host
@pytest.mark.parametrize("name", POLICIES)
def test_pingpong_four_harts(machine, name):
    """Eight threads on four harts that really run at once: the races
    between parking, the kernel's claims, reconciliation and threads moved
    between harts.  Every turn must come in order, no thread may be lost or
    taken twice (the kernel would kill the process), and most switches
    happen in user mode.  A per-hart policy (multiqueue) finds fewer
    threads to switch to in its own hart's queue, so many of its yields go
    to the kernel.  Few rounds: the host may have fewer cores than the
    machine has harts, and a hart waiting for the queue lock then often
    waits for one the host is not running."""
    m = boot_shell(machine, 4, policy=name)
    for _ in range(2):
        out = m.run("t_pingpong 8 150", timeout=420)
        assert re.search(r"counter 1200, 0 out of turn", out), out
        assert "killed" not in out, out
        switches, syscalls = (int(n) for n in re.search(
            r"runtime says user-mode switches (\d+); kernel counted yield syscalls (\d+)",
            out).groups())
        assert switches >= 800, out
        # Most switches happen in user mode.  On one or two harts, and for
        # a global policy, yield calls stay under a tenth of the user-mode
        # switches (pingpong_counts).  A per-hart policy on four harts
        # stays under a half: its threads park for the kernel whenever
        # the kernel holds a thread at least as urgent (and it is not known
        # futile), and how often the kernel holds one depends on how the
        # host runs the virtual harts: 0.4 to 2.2 per cent of the switches
        # in 44 runs, two QEMUs at once at a load average of 17-19, but
        # 10.4 per cent (276 for 2,648) in one CI run, and 36 per cent
        # (1,491 for 4,089) in one full run on a 2-core host with another
        # QEMU beside it (stop 25): so for it "most" is all this asserts.
        # Before SCHED_KINFO.futile_at it was 30 to 450 per cent; the upper
        # part of that this bound still catches.
        per_switch = 2 if name == "multiqueue" else 10
        assert syscalls * per_switch < switches, out
    still_alive(m)


def rest_counts(out):
    """(lock yields, harts given back) from t_pingpong's report."""
    m = re.search(r"yielded (\d+) times to let the queue lock's holder run, "
                  r"gave a hart back (\d+) times", out)
    assert m, out
    return int(m[1]), int(m[2])


@pytest.mark.timeout(900)
@pytest.mark.parametrize("smp", [4, 8], ids=lambda n: f"smp{n}")
@pytest.mark.parametrize("name", POLICIES)
def test_pingpong_gives_harts_back(machine, name, smp):
    """Threads that only wait for each other do not keep every hart
    switching: a hart whose switches all went to threads that yielded again
    at once gives itself back while another hart runs the process (the
    runtime's "Resting").  The turns must still all come in order, with every
    thread, on 4 and 8 harts (the rested threads are taken by other harts
    or come back at the next tick: none is lost).  A per-hart policy
    (multiqueue) rests too: its harts that keep yielding take the queue of
    a hart that stopped (SCHED_FLAG_TAKES_STALLED), the resting one's
    included."""
    m = boot_shell(machine, smp, policy=name)
    rounds = 1000
    out = m.run(f"t_pingpong {2 * smp} {rounds}", timeout=600)
    pingpong_counts(out)
    assert re.search(rf"counter {2 * smp * rounds}, 0 out of turn", out), out
    # Whether a hart rests depends on the host: when every virtual hart gets
    # a host core, no hart sees 32 futile switches in a row and none need
    # rest ("gave a hart back 0 times" in 23 ms, fifo on 4 harts).  So that
    # the policies do rest when their harts would spin is measured, not
    # asserted (docs/user-mode-switching.md, "Resting"); what is asserted is
    # that every turn came, in order, whoever rested.
    still_alive(m)


@pytest.mark.parametrize("name", POLICIES)
def test_pingpong_one_hart_never_rests(machine, name):
    """The other side of the rule: with one hart nothing else runs the
    process, so the hart never gives itself back (it would only stall)."""
    m = boot_shell(machine, 1, policy=name)
    out = m.run("t_pingpong 4 3000", timeout=120)
    pingpong_counts(out)
    assert rest_counts(out)[1] == 0, out


# Multiqueue with four threads on four harts used to be left out: it did not
# finish 4 x 2,000 turns in 300 s (its per-hart queues in the kernel and in
# the process).  Its harts now take a stalled hart's queue and may rest
# (SCHED_FLAG_TAKES_STALLED): 38-203 ms.
@pytest.mark.parametrize("threads,smp,name", [
    (threads, smp, name) for name in POLICIES for threads, smp in ((2, 2), (2, 4), (4, 4))],
    ids=lambda v: str(v))
def test_pingpong_no_more_threads_than_harts(machine, name, threads, smp):
    """No more threads than harts: a waiting thread may have a hart to
    itself, and then its yield_() finds nobody to switch to and returns at
    once, in user mode.  The pass rule (yield system calls under a tenth of
    the yield_() calls) holds: such a yield needs the kernel no more than a
    switch does.  Used to fail: every yield was measured against user-mode
    switches, of which there may be none."""
    m = boot_shell(machine, smp, policy=name)
    out = m.run(f"t_pingpong {threads} 2000", timeout=300)
    assert re.search(r"^t_pingpong: PASS$", out, re.M), out
    assert re.search(rf"counter {threads * 2000}, 0 out of turn", out), out
    calls = int(re.search(r"yield_\(\) calls (\d+)", out)[1])
    syscalls = int(re.search(r"kernel counted yield syscalls (\d+)", out)[1])
    assert syscalls * 10 < calls, out
    still_alive(m)


@pytest.mark.parametrize("name", ["heap", "bitmap", "multiqueue"])
def test_policy_respected_across_processes(machine, name):
    """On one hart: a more urgent thread of another process gets the hart
    while two threads ping-pong in user mode (the runtime yields to the
    kernel for it); a less urgent one waits until they are done."""
    m = boot_shell(machine, 1, policy=name)
    for which, child_first in (("high", True), ("low", False)):
        out = m.run(f"ceiling 15 t_cross {which}", timeout=60)   # the child takes 15
        assert re.search(r"^t_cross: PASS \(child status 0, counter \d+\)$", out, re.M), out
        child = int(re.search(r"child \(priority \d+\) done at (\d+) ms", out).group(1))
        pp = re.search(r"ping-pong done at (\d+) ms: (\d+) user-mode switches, (\d+) yields",
                       out)
        assert (child < int(pp.group(1))) == child_first, out
        assert int(pp.group(2)) > 100000, out
        if child_first:
            assert int(pp.group(3)) >= 1, out       # it went to the kernel for it
        # A well-behaved ping-pong is never preempted "anyway": the kernel
        # wanting the hart for its own parked threads is not charged
        # (multiqueue was, in most runs: docs/user-mode-switching.md).
        assert "preempting it anyway" not in out, out
    still_alive(m)


@pytest.mark.parametrize("name", ["heap", "bitmap", "multiqueue", "fifo"])
def test_switch_preempted_midway_is_not_a_lie(machine, name):
    """On one hart: once the kernel has preempted a process's pin anyway
    it ignores its pins for a second, and preempts its ping-pong in the
    middle of switches; the record a switch claimed must not be taken for
    a lie (claim_parked): the process is not killed and completes."""
    m = boot_shell(machine, 1, policy=name)
    out = m.run("t_midswitch", timeout=240)
    assert re.search(rf"\[pid \d+ t_midswitch\] {PREEMPTED_ANYWAY}", out), out
    assert "killed" not in out, out
    assert re.search(r"^t_midswitch: PASS \(counter 2000000\)$", out, re.M), out
    still_alive(m)


PREEMPTED_ANYWAY = (r"held (?:block_sched|its queue lock) on hart \d while the kernel wanted "
                    r"the hart, \d+ timer ticks more than it may: preempting it anyway")


# How long a program holds (or renews) block_sched in the tests below: long
# enough that the shell's answer coming first is the kernel's doing even on
# a host that runs the virtual harts a fraction of the time; the program is
# killed once the shell answered, so the length costs nothing.
HOLD_MS = 30000


def start_job(m, line, first_line):
    """Starts `line &`; returns its pid once the shell's job line and the
    program's first line both came (in either order: on one hart whichever
    the tick favours runs first, on four the job line may come later)."""
    m.sendline(f"{line} &")
    pid, seen = None, False
    job = re.compile(rf"\[(\d+)\] started|{re.escape(first_line)}")
    while pid is None or not seen:
        got = m.expect(job, timeout=60)
        if got.group(1):
            pid = got.group(1)
        else:
            seen = True
    return pid


def answers_before(m, word, last_line):
    """The shell runs `echo WORD` while the program still holds the hart:
    its output comes before the program's last line.  (Judged by order,
    not by a time bound: a loaded host stretches both alike.)"""
    m.sendline(f"echo {word}")
    # Its output, not the echo of the command (the prompt may come late,
    # just before it).
    got = m.expect(rf"(?P<answer>(?<!echo ){word}[\r\n])|{re.escape(last_line)}",
                   timeout=HOLD_MS / 1000 + 60)
    assert got.group("answer"), \
        f"the shell answered only after {last_line!r}:\n{m.output()}"
    m.shell_prompt(timeout=60)


def test_block_sched_is_bounded(machine):
    """A program that sets block_sched and spins cannot keep the hart: on
    one hart, the shell still answers while it runs (the kernel counts
    the ticks on which it wanted the hart: the shell's command)."""
    m = boot_shell(machine, 1)
    pid = start_job(m, f"h_blockspin {HOLD_MS}", f"holding block_sched for {HOLD_MS} ms")
    answers_before(m, "answered", "h_blockspin: done")
    assert re.search(rf"\[pid \d+ h_blockspin\] {PREEMPTED_ANYWAY}", m.output()), m.output()
    m.run(f"kill {pid}")
    still_alive(m)


def test_queue_lock_pin_is_bounded(boot_policy, policy):
    """The runtime's pin is the queue lock naming the thread that holds
    it: a program that takes its lock that way and spins is spared for a
    while, then preempted anyway, named as holding its queue lock (so the
    kernel did treat the lock as a pin), and the shell answers meanwhile.
    One hart: there the shell wants the spinner's hart."""
    m = boot_policy(policy, smp=1, initrd=True)
    m.shell_prompt(timeout=60)
    pid = start_job(m, f"h_blockspin {HOLD_MS} lock",
                    f"holding the queue lock for {HOLD_MS} ms")
    answers_before(m, "answered", "h_blockspin: done")
    out = m.output()
    assert re.search(rf"\[pid \d+ h_blockspin\] {PREEMPTED_ANYWAY}", out), out
    assert "held its queue lock on hart" in out, out
    m.run(f"kill {pid}")
    still_alive(m)


def test_queue_lock_of_another_pins_nothing(boot_policy, policy):
    """A queue lock naming a slot other than the running thread's is no
    pin (the process can write anything there): the kernel preempts the
    spinner at its time slice as any other, so it never has to preempt
    it "anyway", and the shell answers."""
    m = boot_policy(policy, smp=1, initrd=True)
    m.shell_prompt(timeout=60)
    pid = start_job(m, f"h_blockspin {HOLD_MS} otherlock",
                    f"holding another's queue lock for {HOLD_MS} ms")
    answers_before(m, "answered", "h_blockspin: done")
    answers_before(m, "again", "h_blockspin: done")
    out = m.output()
    assert not re.search(PREEMPTED_ANYWAY, out), out
    m.run(f"kill {pid}")
    still_alive(m)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("smp", [1, 4], ids=lambda n: f"smp{n}")
def test_block_sched_renewed_is_still_bounded(boot_policy, policy, smp):
    """A program whose threads store a new section number in block_sched
    every 50 ms (two per hart) cannot keep the harts: the budget is the
    total the kernel observes, not one section.  The shell answers while
    it runs, twice, the kernel says it preempted the program anyway, and
    no policy is blamed for the waits."""
    m = boot_policy(policy, smp=smp, initrd=True, append="sched_watchdog=2000")
    m.shell_prompt(timeout=60)
    threads = 1 if smp == 1 else 2 * smp
    pid = start_job(m, f"h_blockrenew {HOLD_MS} {threads}",
                    f"h_blockrenew: {threads} threads renewing block_sched for {HOLD_MS} ms")
    for word in ("answered", "again"):
        answers_before(m, word, "h_blockrenew: done")
    out = m.output()
    assert re.search(rf"\[pid \d+ h_blockrenew\] {PREEMPTED_ANYWAY}", out), out
    m.run(f"kill {pid}")
    still_alive(m)
    out = m.output()
    assert "misbehaved" not in out and "panic" not in out, out


@pytest.mark.timeout(300)
@pytest.mark.parametrize("smp", [2, 4], ids=lambda n: f"smp{n}")
def test_resting_harts_are_not_the_policys(boot_policy, policy, smp):
    """Lock waiters rest their harts until the next tick when the holder
    is on a hart (the runtime's "Resting").  h_restlie forges such a holder
    (a sleeping sibling, marked on a hart), so every hart rests at every
    tick for nothing while a spinner of the program at priority 1 waits.
    The process gave those harts back: the watchdog must not blame the
    policy for the waits (it replaced heap and bitmap within its second
    before; one hart never rests).  The shell answers after."""
    m = boot_policy(policy, smp=smp, initrd=True, append="sched_watchdog=1000")
    m.shell_prompt(timeout=60)
    out = m.run("h_restlie 4000", timeout=180)
    assert re.search(r"^h_restlie: \d+ threads resting for a sleeping holder for 4000 ms$",
                     out, re.M), out
    assert re.search(r"^h_restlie: done$", out, re.M), out
    console = m.output()
    assert "misbehaved" not in console and "has waited" not in console, console
    still_alive(m)


@pytest.mark.parametrize("mode,why", [
    ("nosuch", "runs task 12, which is not one of its threads"),
    ("huge", "runs task 100000, which does not exist"),
    ("other", "runs task 12, which is not one of its threads"),
])
def test_forged_shared_region_is_refused(machine, mode, why):
    """A process that names a thread it does not have (or forges a record
    claiming another process's thread) is killed, alone."""
    m = boot_shell(machine, 2)
    out = m.run(f"h_forge {mode}")
    assert re.search(rf"^\[pid \d+ h_forge\] killed: its shared region says hart \d {why}$",
                     out, re.M), out
    assert "the kernel believed it" not in out
    assert "t_threads: PASS" in m.run("t_threads 4", timeout=120)
    still_alive(m)


@pytest.mark.timeout(400)
@pytest.mark.parametrize("smp", [1, 4], ids=lambda n: f"smp{n}")
def test_scribbler_hurts_only_itself(boot_policy, policy, smp):
    """Garbage over its own shared pages gets a process killed, alone.  (It
    also sends harts through give_up_hart: a hart that kept the dead
    process's page table would trip the kernel's check when it is freed.)"""
    m = boot_policy(policy, smp=smp, initrd=True)
    m.shell_prompt(timeout=60)
    out = m.run("h_scribble 777", timeout=60)
    # VDSO_DATA's 7 pages and the TaskSched page of its threads' records
    assert "h_scribble: scribbling over 8 shared pages" in out, out
    still_alive(m)
    assert "t_threads: PASS" in m.run("t_threads 4", timeout=120)
    assert "t_pipe: PASS" in m.run("t_pipe", timeout=180)


SWITCH_WORDS_SEEDS = range(1, 7)


@pytest.mark.timeout(900)
@pytest.mark.parametrize("smp", [1, 2, 4], ids=lambda n: f"smp{n}")
def test_forged_switch_words_hurt_only_the_forger(boot_policy, debug_kernel,  # noqa: F811
                                                  policy, smp):
    """h_switchwords forges, while its threads switch in user mode (with
    yield_() and yield_light()), the words the runtime's fast path reads
    between taking the queue lock and claiming the next thread (the
    records' hart, flags, priority and state bytes, kprio[], rt_ready and
    rt_off, the lock, nrecords), the records' saved registers, and their
    rescue words in every form rt_rescue tells apart and forms it must
    refuse (another record's, an unmapped record's, a kernel address, 0),
    wrecking the queue now and then so that the policy faults and the
    kernel sends a thread wherever its rescue word says.  On the debug
    kernel (invariant checks at every tick and every return to user mode),
    booted with poison=1: each run ends, by the program's exit or a kill of
    it alone; nothing panics and no policy is blamed; other processes run
    as before."""
    m = boot_policy(policy, kernel=debug_kernel, smp=smp, initrd=True, append="poison=1")
    m.shell_prompt(timeout=90)
    players = 2 * smp
    for seed in SWITCH_WORDS_SEEDS:
        out = m.run(f"h_switchwords {seed} 1000 {players}", timeout=120)
        assert re.search(rf"^h_switchwords: {players} players, forging for 1000 ms "
                         rf"\(seed {seed}\)", out, re.M), out
        assert (re.search(r"^h_switchwords: survived 1000 ms: ", out, re.M) or
                "sh: h_switchwords killed (fault)" in out), out
    out = m.output()
    assert "panic" not in out and "misbehaved" not in out, out
    assert "t_threads: PASS" in m.run("t_threads 4", timeout=120)
    still_alive(m)


@pytest.mark.parametrize("yields", ["full", "light"])
@pytest.mark.parametrize("smp", [1, 2], ids=lambda n: f"smp{n}")
@pytest.mark.parametrize("name", POLICIES)
def test_policy_fault_in_user_mode_is_contained(machine, name, smp, yields):
    """A process wrecks its own run queue so that the policy faults while
    its runtime runs it: that thread is sent back into the runtime, the
    process carries on with the kernel's yields (every turn still in
    order), and the next process switches threads in user mode again.
    Its threads yield with yield_() (the rescue word marks a full save with
    its record's offset) or with yield_light() (a light save, marked with
    the record's address): rt_rescue must tell both from the other marks
    (with the light one's case taken out of it, the rescued thread loads
    its registers from the record's first words and is killed: "instruction
    page fault"; no test rescued a light save before)."""
    m = boot_shell(machine, smp, policy=name)
    out = m.run("h_badqueue" + (" light" if yields == "light" else ""), timeout=120)
    expected = "yield_light()" if yields == "light" else "yield_()"
    assert f"h_badqueue: the players yield with {expected}" in out, out
    assert re.search(rf"\[pid \d+ h_badqueue\] the scheduling policy '{name}' faulted in user mode "
                     r"\(\w[\w ]* at offset 0x[0-9a-f]+, address 0x[0-9a-f]+, thread \d+\): "
                     r"its threads yield through the kernel from now on", out), out
    assert re.search(r"h_badqueue: turns 4000, 0 out of turn, .* user-mode switching off",
                     out), out
    out = m.run(f"t_pingpong {2 * smp} 2000", timeout=120)
    switches, syscalls = pingpong_counts(out)
    assert "user-mode switching on" in out, out       # for the next process
    assert switches >= 2000, out
    assert syscalls < switches / 10, out
    still_alive(m)


def policy_fault_lines(out, name):
    """The kernel's lines saying that h_refault's policy faulted."""
    return re.findall(rf"^\[pid \d+ h_refault\] the scheduling policy '{name}' faulted in "
                      r"user mode .*from now on\r?$", out, re.M)


@pytest.mark.parametrize("smp", [1, 2, 4], ids=lambda n: f"smp{n}")
@pytest.mark.parametrize("name", POLICIES)
def test_policy_fault_said_once(machine, name, smp):
    """A process that writes rt_off back to 0 and faults its policy again
    and again (h_refault: one thread per hart, 20 faults each) is rescued
    every time, each fault coming back to the save its rescue word names
    (a buffer of its own), but the kernel says so once per process: what it has said is kept in its own
    memory (shared_region.rescue_said), not in rt_off, which the process
    writes.  (Before, one line per fault: 20 per thread, each a synchronous
    write to the console with interrupts off.)  A new process's fault is
    said again."""
    m = boot_shell(machine, smp, policy=name)
    out = m.run(f"h_refault 20 {smp}", timeout=120)
    assert re.search(r"^h_refault: done\r?$", out, re.M), out
    for i in range(smp):
        assert re.search(rf"^h_refault: thread {i}: 20 faults, 20 rescues, 0 returns\r?$",
                         out, re.M), out
    assert len(policy_fault_lines(out, name)) == 1, out
    out = m.run("h_refault 3", timeout=120)
    assert re.search(r"^h_refault: thread 0: 3 faults, 3 rescues, 0 returns\r?$", out, re.M), out
    assert len(policy_fault_lines(out, name)) == 1, out
    still_alive(m)
