"""Booting the machines and running the commands: one boot per (policy,
harts, icount), many runs in it, a progress line per run.  A run that
times out, kills QEMU, prints BENCH-ERROR, garbles a result line or ends
without BENCH-DONE is a failure: its console log is kept under
LOGS_DIR/ and the machine is booted again for the runs after it, so one
bad run spoils nothing else."""
import os
import re
import subprocess
import time
from dataclasses import dataclass, field

from .parse import parse_output

SHELL_BOOT_TIMEOUT = 120            # seconds (times the timeout factor)
MEM = "256M"


@dataclass
class Result:
    run: object                     # configs.Run, or HostRun
    records: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    wall_ms: int = 0
    log: str = ""                   # where the console log was kept, if it failed
    oversubscribed: bool = False
    skipped: str = ""               # why it could not run at all (not a failure)

    @property
    def failed(self):
        return bool(self.problems)


# The make target that builds and runs the host's policy-cost programs
# (bench/README.md): the first of these the Makefile has.
HOST_TARGETS = ("policycost-host", "bench-host-policycost")


@dataclass
class HostRun:
    """The host's policy-cost programs, run through make (no machine).
    They are one program per policy, each ending with its own BENCH-DONE."""
    workload: str = "policycost"
    program: str = "host-policycost"
    targets: tuple = HOST_TARGETS
    policy: str = "-"
    harts: int = 0
    icount: bool = False
    timeout: int = 600
    target: str = ""                # the one found, once run

    @property
    def command(self):
        return f"make {self.target or self.targets[0]}"

    def describe(self):
        return f"host {self.command}"


def split_programs(text):
    """The output of several programs in a row, each ended by BENCH-DONE,
    as one text per program (what follows the last DONE is a text too, so
    a program cut short still fails)."""
    parts, cur = [], []
    for line in text.split("\n"):
        cur.append(line)
        if line.strip().startswith("BENCH-DONE"):
            parts.append("\n".join(cur))
            cur = []
    if any(line.strip() for line in cur) or not parts:
        parts.append("\n".join(cur))
    return parts


def log_name(index, run):
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", run.command).strip("-")
    return f"{index:03d}-{run.policy}-smp{run.harts}{'-icount' if run.icount else ''}-{slug}.log"


def boot_machine(policy, harts, icount, mem=MEM, timeout_factor=1.0):
    """A machine at the shell's prompt (testsuite/schedos/machine.py)."""
    from schedos.machine import Machine
    m = Machine(smp=harts, mem=mem, initrd=True, policy=policy,
                extra_args=["--icount"] if icount else [], timeout_factor=timeout_factor)
    return m


class Runner:
    def __init__(self, logs_dir, host_cores=None, timeout_factor=1.0, mem=MEM,
                 boot=boot_machine, out=print):
        self.logs_dir = logs_dir
        self.host_cores = host_cores or os.cpu_count() or 1
        self.timeout_factor = timeout_factor
        self.mem = mem
        self.boot = boot             # (policy, harts, icount, mem, factor) -> machine
        self.out = out
        self.machine = None
        self.machine_key = None
        self.interrupted = False

    # -- machines ---------------------------------------------------------
    def _stop(self):
        if self.machine is not None:
            self.machine.kill()
        self.machine, self.machine_key = None, None

    def _machine_for(self, run):
        """The machine booted for run's configuration, booting it if needed;
        raises what the boot raised."""
        if self.machine_key != run.boot:
            self._stop()
            start = time.monotonic()
            m = self.boot(run.policy, run.harts, run.icount, mem=self.mem,
                          timeout_factor=self.timeout_factor)
            self.machine, self.machine_key = m, run.boot
            try:
                m.shell_prompt(timeout=SHELL_BOOT_TIMEOUT)
            except AssertionError:
                self.machine_key = None          # booted, but not to a shell
                raise
            self.out(f"boot {run.policy} smp={run.harts}{' icount' if run.icount else ''}: "
                     f"{int((time.monotonic() - start) * 1000)} ms", flush=True)
        return self.machine

    def _keep_log(self, index, run, text):
        os.makedirs(self.logs_dir, exist_ok=True)
        path = os.path.join(self.logs_dir, log_name(index, run))
        with open(path, "w") as f:
            f.write(f"# {run.describe()}\n{text}")
        return path

    # -- runs -------------------------------------------------------------
    def run_one(self, index, run):
        res = Result(run, oversubscribed=run.harts > self.host_cores)
        start = time.monotonic()
        machine = None
        try:
            machine = self._machine_for(run)
            start = time.monotonic()            # the run's own time, without the boot
            output = machine.run(run.command, timeout=run.timeout)
        except AssertionError as e:         # MachineTimeout, MachineExited
            what = "boot failed" if self.machine_key is None else "timed out or QEMU exited"
            first = str(e).split("\n", 1)[0]
            res.problems.append(f"{what}: {first}")
            text = machine.output() if machine is not None else str(e)
            res.log = self._keep_log(index, run, text)
            self._stop()                    # the next run boots afresh
        else:
            parsed = parse_output(output, run.workload)
            res.records = parsed.records
            res.problems = parsed.problems()
            if res.failed:
                res.log = self._keep_log(index, run, machine.output())
            if parsed.panicked:
                self._stop()
        res.wall_ms = int((time.monotonic() - start) * 1000)
        return res

    def run_host(self, index, run, root):
        res = Result(run)
        start = time.monotonic()
        for target in run.targets:
            run.target = target
            try:
                p = subprocess.run(["make", "-s", "--no-print-directory", "-C", root, target],
                                   capture_output=True, text=True, stdin=subprocess.DEVNULL,
                                   timeout=run.timeout * self.timeout_factor)
            except subprocess.TimeoutExpired as e:
                res.problems.append(f"timed out after {e.timeout:.0f} s")
                out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else e.stdout
                res.log = self._keep_log(index, run, out or "")
                return res
            if not (p.returncode != 0 and "No rule to make target" in p.stderr):
                break
        else:
            res.skipped = (f"no make target {' or '.join(run.targets)} in this tree: "
                           "host policy cost skipped")
            return res
        res.wall_ms = int((time.monotonic() - start) * 1000)
        for text in split_programs(p.stdout):
            parsed = parse_output(text, run.workload)
            res.records += parsed.records
            res.problems += parsed.problems()
        if p.returncode != 0:
            res.problems.append(f"make {run.target} exited with status {p.returncode}")
        if res.failed:
            res.log = self._keep_log(index, run, p.stdout + "\n--- stderr ---\n" + p.stderr)
        return res

    def run_all(self, runs, host_run=None, root=None):
        """Runs everything; a progress line each; returns the Results."""
        total = len(runs) + (1 if host_run else 0)
        results = []
        self.interrupted = False
        try:
            for i, run in enumerate(runs, 1):
                res = self.run_one(i, run)
                results.append(res)
                self._progress(i, total, res)
        except KeyboardInterrupt:
            # Ctrl-C: what ran so far is still written (and the report says
            # the run was cut short).
            self.interrupted = True
            self.out(f"bench: interrupted after {len(results)} of {total} runs", flush=True)
        finally:
            self._stop()
        if host_run and not self.interrupted:
            res = self.run_host(total, host_run, root)
            results.append(res)
            self._progress(total, total, res)
        return results

    def _progress(self, i, total, res):
        width = len(str(total))
        status = f"{res.wall_ms} ms"
        if res.skipped:
            status = "skipped: " + res.skipped
        elif res.failed:
            status += f"  FAILED: {res.problems[0]}" + (f" (log: {res.log})" if res.log else "")
        over = "  (oversubscribed)" if res.oversubscribed else ""
        self.out(f"[{i:>{width}}/{total}] {res.run.describe()} ... {status}{over}", flush=True)
