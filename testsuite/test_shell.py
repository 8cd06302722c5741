"""The shell and the console: Ctrl-C ends the foreground job and nothing
else, the job builtins (jobs, kill, wait), help's descriptions, Ctrl-T, and
input typed (or piped) before the shell reads it (docs/shell.md)."""
import os
import re
import time
import subprocess

import pytest

from conftest import boot_shell, log_path, still_alive
from machine import INITRD, KERNEL, RUN_QEMU

SMP = [1, 4]
ids = lambda n: f"smp{n}"

# t_intr's modes: each a way to be busy when Ctrl-C comes, and how many
# processes print "running (pid N)".
MODES = {"spin": 1, "threads 4": 1, "sleep": 1, "read": 1, "coro": 1, "fork": 2}


def running_pids(m, count):
    return [int(m.expect(r"t_intr: [a-z]+: running \(pid (\d+)\)").group(1))
            for _ in range(count)]


def assert_gone(m, pid, tries=50):
    """pid is no longer running: the kernel refuses to kill it (no such
    process once reaped, not permitted while a zombie).  A process that
    was killed while it ran on another hart ends at that hart's next trap,
    which a loaded host may delay past the shell's prompt (a forked child
    of `t_intr fork` on 4 harts once took a kill after its parent was
    reaped): so a kill that still succeeds is asked again, a bounded
    number of times, and a process that never ends fails."""
    for _ in range(tries):
        out = m.run(f"kill {pid}")
        if re.search(rf"sh: kill: {pid}: (no such process|not permitted)", out):
            return
        assert out.strip() == "", out      # accepted: the kill is under way
        time.sleep(0.2)
    assert False, f"pid {pid} still accepts kills after {tries} tries: {out!r}"


@pytest.mark.timeout(300)
@pytest.mark.parametrize("smp", SMP, ids=ids)
def test_ctrl_c_ends_the_foreground_job(boot_policy, policy, smp):
    """Ctrl-C ends a program spinning in user mode, one with many threads,
    one sleeping, one blocked reading the console, one running coroutines,
    one with a child, and a whole pipeline; the shell reports it and still
    answers."""
    m = boot_policy(policy, smp=smp, initrd=True)
    m.shell_prompt(timeout=60)
    for mode, count in MODES.items():
        m.sendline(f"t_intr {mode}")
        pids = running_pids(m, count)
        m.send("\x03")
        m.expect_exact("^C")
        m.expect_exact(f"sh: t_intr {mode}: interrupted", timeout=30)
        m.shell_prompt()
        for pid in pids:
            assert_gone(m, pid)
    # A pipeline: every stage ends (the reader is blocked on the pipe).
    m.sendline("t_intr spin | t_intr read")
    pids = running_pids(m, 2)
    m.send("\x03")
    m.expect_exact("sh: t_intr spin | t_intr read: interrupted", timeout=30)
    m.shell_prompt()
    for pid in pids:
        assert_gone(m, pid)
    still_alive(m)


@pytest.mark.parametrize("smp", SMP, ids=ids)
def test_ctrl_c_cannot_be_dodged(machine, smp):
    """A program cannot take the foreground job from the shell or aim
    Ctrl-C at it; a shell inside the shell ends with its child; Ctrl-C at
    the prompt throws the typed line away and prompts again."""
    m = boot_shell(machine, smp)
    m.sendline("t_intr steal")
    out = m.expect(r"t_intr: steal: running \(pid (\d+)\)")
    pid = int(out.group(1))
    text = m.output()
    for what in ("clear", "self", "parent"):
        assert f"t_intr: steal {what}: EPERM ok" in text, text
    assert "t_intr: steal bad arguments: refused ok" in text, text
    m.send("\x03")
    m.expect_exact("sh: t_intr steal: interrupted", timeout=30)
    m.shell_prompt()
    assert_gone(m, pid)

    m.sendline("sh")
    m.shell_prompt()
    m.sendline("t_intr spin")
    inner = running_pids(m, 1)[0]
    m.send("\x03")
    m.expect_exact("sh: sh: interrupted", timeout=30)
    m.shell_prompt()
    assert_gone(m, inner)

    m.send("echo typed but never run")
    m.send("\x03")
    m.expect_exact("^C")
    m.shell_prompt()
    out = m.run("echo after")
    assert "typed but never run" not in out and out.strip() == "after", out
    still_alive(m)


@pytest.mark.parametrize("smp", SMP, ids=ids)
def test_jobs_kill_wait(machine, smp):
    """jobs lists background jobs with their numbers, commands and pids;
    kill %N ends one; wait reports each; bad arguments are refused."""
    m = boot_shell(machine, smp)
    out = m.run("t_intr sleep &")
    first = re.search(r"^\[1\] started  t_intr sleep \(pid (\d+)\)$", out, re.M)
    assert first, out
    out = m.run("t_intr spin | t_intr read &")
    assert re.search(r"^\[2\] started  t_intr spin \| t_intr read \(pid \d+\)$",
                     out, re.M), out
    out = m.run("jobs")
    assert re.search(rf"^\[1\] running  t_intr sleep \(pid {first.group(1)}\)$",
                     out, re.M), out
    stages = re.search(r"^\[2\] running  t_intr spin \| t_intr read \(pids (\d+),(\d+)\)$",
                       out, re.M)
    assert stages, out

    for bad, why in [("kill", "usage: kill %JOB|PID"),
                     ("kill %9", "kill: %9: no such job"),
                     ("kill x1", "kill: x1: not a pid or %job"),
                     ("kill 1", "kill: 1: not permitted"),
                     ("kill 9999", "kill: 9999: no such process"),
                     ("wait %7", "wait: %7: no such job"),
                     ("wait 9999", "wait: 9999: not a job of this shell"),
                     ("wait 1 2", "usage: wait [%JOB|PID]"),
                     ("jobs x", "usage: jobs")]:
        assert why in m.run(bad), bad
    sh_pid = int(re.search(r"^pid (\d+) sh: alive", dump_table(m), re.M).group(1))
    assert "that is this shell" in m.run(f"kill {sh_pid}")

    # A killed job is reported once: before a prompt, or by wait if it ends
    # after that prompt.
    m.run("kill %2")
    m.run(f"kill {first.group(1)}")
    m.run("wait")
    for job, cmd in [(2, r"t_intr spin \| t_intr read"), (1, "t_intr sleep")]:
        done = re.findall(rf"^\[{job}\] done     {cmd} \(killed\)$", m.output(), re.M)
        assert len(done) == 1, m.output()
    for pid in stages.groups() + (first.group(1),):
        assert_gone(m, int(pid))
    assert m.run("jobs").strip() == ""

    # A job that ends by itself is reported, once.
    m.run("echo quick &")
    m.run("wait")
    done = re.findall(r"^\[1\] done     echo quick \(status 0\)$", m.output(), re.M)
    assert len(done) == 1, m.output()
    still_alive(m)


@pytest.mark.parametrize("smp", SMP, ids=ids)
def test_wait_is_interrupted_by_ctrl_c(machine, smp):
    """wait makes the job it waits for the foreground job: Ctrl-C ends it
    (wait %N, wait PID, wait for all), and only it."""
    m = boot_shell(machine, smp)
    def start(cmd):
        out = m.run(f"{cmd} &")
        return int(re.search(r"\] started  .* \(pid (\d+)\)", out).group(1))
    spinner = start("t_intr spin")
    sleeper = start("t_intr sleep")
    threads = start("t_intr threads 2")
    for how, job, cmd, pid in [("%2", 2, "t_intr sleep", sleeper),
                               (str(spinner), 1, "t_intr spin", spinner),
                               ("", 3, "t_intr threads 2", threads)]:
        m.sendline(f"wait {how}".strip())
        m.expect_exact(f"[{job}] waiting  {cmd}")      # in the foreground now
        m.send("\x03")
        m.expect_exact(f"[{job}] done     {cmd} (interrupted)", timeout=30)
        m.shell_prompt()
        assert_gone(m, pid)
    assert m.run("jobs").strip() == ""
    still_alive(m)


def test_help_describes_programs(machine):
    """help: one described line per program, the builtins, no test inputs."""
    m = boot_shell(machine, 2)
    out = m.run("help")
    for name, words in [("cat", "standard input"), ("sh", "the shell"),
                        ("t_intr", "Ctrl-C"), ("ls", "initrd")]:
        assert re.search(rf"^  {name} +.*{re.escape(words)}", out, re.M), out
    for builtin in ("exit [N]", "jobs", "kill %JOB|PID", "wait [%JOB|PID]"):
        assert builtin in out, out
    assert not re.search(r"^  badelf_", out, re.M), out
    # Every program of the initrd but the test inputs has its line.
    listed = set(re.findall(r"^  (\w+) +\S", out.split("programs:")[1], re.M))
    files = set(re.findall(r"^(\w+)\s+\d+", m.run("ls"), re.M))
    assert listed == {f for f in files if not f.startswith("badelf_")}, (listed, files)
    assert re.search(r"^scheduling policy: heap$", out, re.M), out


def dump_table(m):
    """Ctrl-T once: the table and the summary, up to its last line."""
    m.send("\x14")
    m.expect_exact("--- processes and threads ---")
    m.expect_exact("--- Ctrl-T again (within 2 s, nothing typed between): the events themselves ---")
    text = m.output().split("--- processes and threads ---")[-1]
    m.sendline("")                        # resynchronise on a fresh prompt
    m.shell_prompt()
    return text


@pytest.mark.parametrize("smp", SMP, ids=ids)
def test_ctrl_t_summary_then_events(machine, smp):
    """Ctrl-T: the process table and one summary line, not the events; a
    second Ctrl-T right after it lists the events."""
    m = boot_shell(machine, smp)
    text = dump_table(m)
    assert re.search(r"^pid 1 init: alive", text, re.M), text
    assert re.search(r"^--- scheduling events: \d+ since boot; of the last \d+:"
                     r"( [a-z-]+ \d+)+ ---$", text, re.M), text
    assert not re.search(r"^h\d+ \d+ [a-z-]+ -?\d+ \d+$", text, re.M), text
    # Both bytes in one write: the second is seen as the first dump ends.
    m.send("\x14\x14")
    events = m.expect(r"--- last (\d+) scheduling events \(hart, time us, event, tid, arg\) ---")
    m.sendline("")
    m.shell_prompt()
    listed = re.findall(r"^h\d+ \d+ [a-z-]+ -?\d+ \d+$",
                        m.output().split("scheduling events (hart")[-1], re.M)
    assert len(listed) == int(events.group(1)) > 0
    still_alive(m)


def early_lines(n, tag="got"):
    # The typed echo shows got'-'N; only the command's output is got-N.
    return "".join(f"echo {tag}'-'{i}\r" for i in range(n))


def echoed(m, tag):
    # The echo of the typing interleaves with the output; TAG-N is only in
    # the output, each in one write.
    return [int(n) for n in re.findall(rf"{tag}-(\d+)", m.output())]


@pytest.mark.timeout(240)
@pytest.mark.parametrize("smp", SMP, ids=ids)
def test_input_before_the_shell_reads_is_kept(machine, smp):
    """Lines typed while the kernel boots, and lines typed while a program
    that reads nothing runs, more than the kernel's type-ahead buffer
    holds (1 KiB): all reach the shell whole and in order."""
    count = 150                           # about 2 KiB: twice the buffer
    m = machine(smp=smp, initrd=True)
    m.expect_exact("schedos: booting on hart", timeout=60)
    m.send(early_lines(count) + "echo all'-'done\r")
    m.expect_exact("all-done", timeout=120)
    m.shell_prompt()
    assert echoed(m, "got") == list(range(count))
    # Behind a program that naps: the buffer fills, the kernel pauses the
    # UART, and takes the rest once the shell reads again.
    m.sendline("t_intr nap 2000")
    m.expect_exact("t_intr: nap: running")
    m.send(early_lines(count, "late") + "echo late'-'done\r")
    m.expect_exact("late-done", timeout=120)
    m.shell_prompt()
    assert echoed(m, "late") == list(range(count))
    assert "command not found" not in m.output()
    still_alive(m)


def test_piped_input_at_spawn_is_kept(request):
    """`printf ... | make run`: input there before QEMU even starts is
    kept whole (the issue: 'sh: _switch: command not found')."""
    script = early_lines(3) + "exit 5\r"
    try:
        proc = subprocess.run(
            [RUN_QEMU, "--plain", "--kernel", KERNEL, "--initrd", INITRD, "--smp", "2"],
            input=script.encode(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            timeout=120)
        out, status = proc.stdout.decode(errors="replace"), proc.returncode
    except subprocess.TimeoutExpired as e:
        out, status = (e.stdout or b"").decode(errors="replace"), None
    out = out.replace("\r", "")
    got = [int(n) for n in re.findall(r"got-(\d+)", out)]
    ok = got == [0, 1, 2] and "command not found" not in out and status == 5
    if not ok:
        path = log_path(request, "test_shell.test_piped_input_at_spawn_is_kept")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(f"# exit={status}\n{out}")
        print(f"console log saved: {path}")
    assert ok, (got, status, out)


def test_ctrl_c_in_the_kernel_monitor(machine):
    """Without an initrd nobody controls the console: Ctrl-C throws the
    typed line away and the monitor prompts again."""
    m = machine(smp=2)
    m.prompt(timeout=60)
    m.send("poweroff")
    m.send("\x03")
    m.expect_exact("^C")
    m.prompt()
    assert "echo" in m.command("help")      # still answering; not powered off
