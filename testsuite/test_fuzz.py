"""The system-call fuzzer (h_fuzz, issue 14): seeds of random system calls
and shared-page garbage, a child per seed, under every policy on one and
four harts.  The seeds run in batches; after each batch every seed must be
`ok` (its child ended by an exit or by the kernel, the bystander's round
was right, memory came back), nothing may have panicked, the shell must
answer and the memory must be back (assert_frames_back).  A failing seed is named in the
assertion with the command lines that replay it.

Short form (make test): FUZZ_SEEDS=30 seeds of FUZZ_CALLS=300 calls per
configuration.  Long form: `make test-fuzz FUZZ_SEEDS=5000` (the same
test with more seeds; the environment variables set the numbers)."""
import os
import re

import pytest

from conftest import assert_frames_back, boot_shell, memory, still_alive
from schedos import ktap

SMP = [1, 4]
SEEDS = int(os.environ.get("FUZZ_SEEDS", "30"))
CALLS = int(os.environ.get("FUZZ_CALLS", "300"))
BATCH = 10                  # seeds per h_fuzz run: the checks come after each
# Every configuration fuzzes seeds of its own (more coverage for the same
# time); the first seed of a configuration is this far from the next's.
SEED_SPACING = 1_000_000
# A loaded host can be ten times slower than an idle one: 300 calls take
# well under a second there.  Generous, so that only a hang fails.
SECONDS_PER_SEED = 10
CHILD_TIMEOUT_S = 120


def first_seed(policy, smp):
    policies = ["heap", "bitmap", "multiqueue", "fifo", "external"]
    index = policies.index(policy) if policy in policies else len(policies)
    return 1 + (index * len(SMP) + SMP.index(smp)) * SEED_SPACING


def replay(policy, smp, seed):
    return (f"replay: make run SCHED={policy} SMP={smp}, then at the prompt: "
            f"h_fuzz -s {seed} -c 1 -n {CALLS} -v")


@pytest.mark.timeout(max(900, SEEDS * SECONDS_PER_SEED))
@pytest.mark.parametrize("smp", SMP, ids=lambda n: f"smp{n}")
def test_fuzz(boot_policy, policy, smp):
    m = boot_policy(policy, smp=smp, initrd=True)
    m.shell_prompt(timeout=60)
    before = memory(m)
    first = first_seed(policy, smp)
    totals = {"exited": 0, "faulted": 0, "killed": 0}
    for start in range(first, first + SEEDS, BATCH):
        count = min(BATCH, first + SEEDS - start)
        out = m.run(f"h_fuzz -s {start} -c {count} -n {CALLS} -t {CHILD_TIMEOUT_S}",
                    timeout=count * SECONDS_PER_SEED + CHILD_TIMEOUT_S)
        report = ktap.parse(out)
        failed = [re.search(r"seed (\d+)", r.name).group(1) for r in report.failed]
        where = "; ".join(replay(policy, smp, s) for s in failed[:3])
        assert report.ok and report.plan == count, \
            f"seeds {failed} failed ({where}):\n{out}"
        assert "panic" not in m.output(), \
            f"a panic during seeds {start}..{start + count - 1} " \
            f"({replay(policy, smp, start)} -c {count}):\n{m.tail(40)}"
        summary = re.search(r"^# summary: (\d+) seeds, \d+ calls drawn: (\d+) exited, "
                            r"(\d+) faulted, (\d+) killed, 0 hung; \1 passed, 0 failed$",
                            out, re.M)
        assert summary and int(summary.group(1)) == count, out
        for key, group in (("exited", 2), ("faulted", 3), ("killed", 4)):
            totals[key] += int(summary.group(group))
        assert re.search(rf"^# h_fuzz: bystander: {count + 1} rounds, \d+ words echoed: ok$",
                         out, re.M), out
        assert re.search(r"^# h_fuzz: memory: .*: no leak$", out, re.M), out
        assert re.search(r"^h_fuzz: PASS$", out, re.M), out
        still_alive(m)
        # Frames taken before the batch may come back during it: more free
        # is no leak (assert_frames_back).
        assert_frames_back(m, before)
    # The children got through their calls, and the kernel ended some: a
    # fuzzer whose calls never reached the kernel would do neither.
    assert totals["exited"] > 0 and totals["faulted"] > 0, totals


def call_names(out, threads=False):
    """The call names of -v's lines, `N: NAME(args)`: the main threads'
    (in order), or every thread's (`T<tid> N: NAME(args)` too)."""
    tag = r"(?:T\d+ )?" if threads else ""
    return re.findall(rf"^{tag}\d+: (\w+)\(", out, re.M)


def test_fuzz_replay_and_coverage(machine):
    """A seed replays: the same calls in the same order (the values that
    are pids and tids may differ; a run may end sooner than the other,
    since when a fuzzing thread ends the process is the scheduler's
    choice, so one is a prefix of the other); over a few seeds every
    system call but shutdown is drawn, and invalid numbers too; the calls
    go to the log, never to the child's own console (it has none)."""
    m = boot_shell(machine, 2)
    first = m.run("h_fuzz -s 7 -c 1 -n 60 -v", timeout=120)
    again = m.run("h_fuzz -s 7 -c 1 -n 60 -v", timeout=120)
    a, b = sorted((call_names(first), call_names(again)), key=len)
    assert len(a) >= 5 and b[:len(a)] == a, (first, again)
    assert re.search(r"^h_fuzz: PASS$", again, re.M), again

    out = m.run("h_fuzz -s 100 -c 12 -n 300 -v", timeout=600)
    drawn = set(call_names(out, threads=True))
    expected = {"read", "write", "close", "pipe", "dup", "fork", "exec", "spawn",
                "waitpid", "kill", "getpid", "getppid", "thread_create", "thread_join",
                "gettid", "yield", "sleep", "time", "sbrk", "set_priority",
                "get_priority", "futex_wait", "futex_wake", "readdir", "sysinfo",
                "getcpu", "schedstat", "set_ceiling", "get_ceiling", "co_setup",
                "read_async", "write_async", "sleep_async", "co_cancel_io",
                "set_foreground", "trace", "invalid"}
    assert expected <= drawn, sorted(expected - drawn)
    assert "shutdown" not in drawn
    assert re.search(r"^scribble (vdso|vdso-head|records|exec|exec-queue)\+", out, re.M), out
    assert re.search(r"^h_fuzz: PASS$", out, re.M), out
    still_alive(m)


def test_fuzz_judge_fails(machine):
    """The judge can fail: the bystander killed from outside while the
    seeds run makes the seed then running `not ok`, with the command that
    replays it, the later seeds not run, and the whole run FAIL."""
    m = boot_shell(machine, 2)
    m.sendline("h_fuzz -s 1 -c 100000 -n 300 &")
    pid = m.expect(r"bystander pid (\d+);", timeout=60).group(1)
    m.expect(r"ok 3 seed 3", timeout=120)
    m.sendline(f"kill {pid}")         # the prompt came before the job's lines
    m.expect(r"\nh_fuzz: FAIL", timeout=300)
    # The job's lines and the shell's prompt after `kill` share the
    # console: a line may begin with the prompt.
    out = m.output().replace("schedos$ ", "\n")
    assert re.search(r"^# FAIL seed \d+: the bystander", out, re.M), m.tail(20)
    assert re.search(r"^# replay: h_fuzz -s \d+ -c 1 -n 300 -v$", out, re.M), m.tail(20)
    assert re.search(r"^not ok \d+ seed \d+", out, re.M), m.tail(20)
    assert re.search(r"^# h_fuzz: the bystander is gone", out, re.M), m.tail(20)
    assert re.search(r"^# h_fuzz: bystander: \d+ rounds, \d+ words echoed: FAILED$",
                     out, re.M), m.tail(20)
    still_alive(m)


def test_fuzz_usage(machine):
    """Bad options: a message saying what is wanted, nothing run."""
    m = boot_shell(machine, 1)
    for args, message in (("-c 0", "h_fuzz: -c wants a number from 1 to"),
                          ("-n x", "h_fuzz: -n wants a number from 1 to"),
                          ("-s -1", "h_fuzz: -s wants a number from 0 to"),
                          ("-x", "usage: h_fuzz"),
                          ("-c", "usage: h_fuzz")):
        out = m.run(f"h_fuzz {args}")
        assert message in out, out
        assert "KTAP" not in out, out
    still_alive(m)
