"""Reading a run's console output: its BENCH records, its BENCH-ERROR
lines, whether it ended with BENCH-DONE, and anything that looks like a
result line but breaks the contract (bench/README.md).  Nothing is
guessed: a line the parser cannot read is reported, never skipped."""
import re
from dataclasses import dataclass, field

from .contract import REQUIRED_KEYS

# A value is an integer or one word (no spaces, no floating point).
VALUE_RE = re.compile(r"^(-?[0-9]+|[A-Za-z_][A-Za-z0-9_.-]*)$")
KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
# Columns the driver fills in itself (csvout.META_COLUMNS): a program may
# not set them.  (policy it may: b_policy names the policy it measured.)
RESERVED_KEYS = ("commit", "qemu", "host_cores", "harts", "icount", "oversubscribed")
# The shell's own messages: a program not found, or one that exited with
# a status other than 0 or was killed (user/programs/sh.c).
SHELL_FAILURE_RE = re.compile(r"^sh: ")
PANIC_RE = re.compile(r"^PANIC on hart \d+")  # os/kernel/panic.c


@dataclass
class Parsed:
    """One run's output, read."""
    records: list = field(default_factory=list)   # (workload, {key: value})
    errors: list = field(default_factory=list)    # BENCH-ERROR texts
    garbled: list = field(default_factory=list)   # (line, why)
    done: bool = False
    shell_failures: list = field(default_factory=list)
    panicked: bool = False

    def problems(self):
        """Why this run failed, in words; empty if it did not."""
        out = [f"BENCH-ERROR {e}" for e in self.errors]
        out += [f"garbled line ({why}): {line!r}" for line, why in self.garbled]
        out += [f"shell: {s}" for s in self.shell_failures]
        if self.panicked:
            out.append("kernel panic")
        if not self.done:
            out.append("no BENCH-DONE: crashed, hung or cut short")
        return out


def value_of(text):
    return int(text) if re.fullmatch(r"-?[0-9]+", text) else text


def parse_record(rest):
    """'ring mode=coro len=16 ...' -> (workload, fields) or raises
    ValueError saying what is wrong."""
    words = rest.split()
    if not words:
        raise ValueError("no workload")
    workload, pairs = words[0], words[1:]
    if workload not in REQUIRED_KEYS:
        raise ValueError(f"unknown workload {workload!r}")
    fields = {}
    for pair in pairs:
        key, eq, val = pair.partition("=")
        if not eq or not KEY_RE.match(key):
            raise ValueError(f"not key=value: {pair!r}")
        if not VALUE_RE.match(val):
            raise ValueError(f"{key}: not an integer or a word: {val!r}")
        if key in RESERVED_KEYS:
            raise ValueError(f"{key} is the driver's column, not the program's")
        if key in fields:
            raise ValueError(f"{key} given twice")
        fields[key] = value_of(val)
    missing = [k for k in REQUIRED_KEYS[workload] if k not in fields]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    return workload, fields


def parse_output(text, done_word):
    """Reads a run's output (the console between the command and the next
    prompt).  done_word is the workload its BENCH-DONE must name: the
    run's own (b_conn -p ends with BENCH-DONE prio)."""
    p = Parsed()
    for raw in text.replace("\r", "").split("\n"):
        line = raw.strip()
        if not line:
            continue
        if p.done and line.startswith("BENCH"):
            p.garbled.append((line, "after BENCH-DONE"))
            continue
        if line.startswith("BENCH "):
            try:
                p.records.append(parse_record(line[len("BENCH "):]))
            except ValueError as e:
                p.garbled.append((line, str(e)))
        elif line.startswith("BENCH-ERROR"):
            p.errors.append(line[len("BENCH-ERROR"):].strip() or "(no words)")
        elif line.startswith("BENCH-DONE"):
            word = line[len("BENCH-DONE"):].strip()
            if word == done_word:
                p.done = True
            else:
                p.garbled.append((line, f"BENCH-DONE for {word!r}, expected {done_word!r}"))
        elif "BENCH" in line:
            # A result line with something before it (output of two
            # writers interleaved, a kernel message): not to be trusted.
            p.garbled.append((line, "BENCH not at the start of the line"))
        elif SHELL_FAILURE_RE.match(line):
            p.shell_failures.append(line)
        elif PANIC_RE.match(line):
            p.panicked = True
    # (A BENCH-DONE after a BENCH-ERROR is allowed: the error alone fails
    # the run, whether or not the program still ends with DONE.)
    return p
