"""`make` is honest: `make help` names every target and variable, and a
mistake in what `make run` is given is refused before QEMU starts, with a
message saying what is wrong and what would be right.

Most of these never boot: they run make or scripts/run-qemu.sh and judge
the exit status and the message.  A refusal must come at once; the timeouts
are only there so a hang fails instead of blocking the suite.  One test
boots the smallest MEM that run-qemu.sh names, to show that it is real.
"""
import os
import re
import socket
import subprocess

import pytest

from conftest import still_alive
from machine import INITRD, KERNEL, ROOT, RUN_QEMU

MAKEFILE = os.path.join(ROOT, "Makefile")
# Internal helpers: prerequisites of the real targets, not for users.
INTERNAL_TARGETS = {"check-deps", "run-check", "user-list-check"}
FAST = 60        # seconds: generous for a loaded machine, short for a hang


def make(*args, timeout=FAST, env=None):
    return subprocess.run(["make", "-s", "--no-print-directory", "-C", ROOT, *args],
                          capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, env=env)


def run_qemu(*args, timeout=FAST):
    return subprocess.run([RUN_QEMU, *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def makefile_text():
    with open(MAKEFILE) as f:
        return f.read()


def phony_targets():
    names = set()
    for line in makefile_text().splitlines():
        if line.startswith(".PHONY:"):
            names.update(line.split(":", 1)[1].split())
    return names - INTERNAL_TARGETS


def free_port():
    """A TCP port nobody listens on (the kernel just handed it out)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def refused(result, *messages):
    """The command failed, said each message, and no machine started."""
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    for message in messages:
        assert message in out, out
    assert "OpenSBI v" not in out and "qemu-system-riscv64:" not in out, out
    return out


# ---- make help ----------------------------------------------------------

def test_help_names_every_target_and_variable():
    r = make("help")
    assert r.returncode == 0, r.stderr
    text = r.stdout
    targets = phony_targets()
    assert {"run", "monitor", "gdb", "help", "compile_commands.json"} <= targets
    for target in targets - {"all"}:
        assert re.search(rf"^\s*make {re.escape(target)}\b", text, re.M), \
            f"make help does not list `make {target}`:\n{text}"
    variables = re.findall(r"^([A-Z_]+)\s*\?=", makefile_text(), re.M)
    assert {"SMP", "MEM", "SCHED", "RUN_FLAGS", "GDB_PORT"} <= set(variables)
    for var in variables:
        assert re.search(rf"^\s*{var}=", text, re.M), \
            f"make help does not list {var}=:\n{text}"
    # Defaults, as the Makefile sets them.
    assert re.search(r"^\s*SMP=4\s", text, re.M) and re.search(r"^\s*MEM=256M\s", text, re.M)
    policies = re.search(r"^SCHED_POLICIES\s*:?=\s*(.+)$", makefile_text(), re.M).group(1)
    assert f"Built-in policies (SCHED=): {policies.strip()}" in text, text


# ---- SCHED, SMP, MEM: refused before booting ----------------------------

def test_unknown_policy_is_refused_with_the_list():
    out = refused(make("run", "SCHED=nope"),
                  "unknown policy 'nope'; the policies are: heap bitmap multiqueue fifo "
                  "(or SCHED_BLOB=file for your own)")
    assert "run-check" in out          # before the build, not after it


def test_append_is_passed_as_is():
    """Only SCHED is checked: sched=NAME in APPEND reaches the kernel, which
    reports an unknown name itself and boots the default (test_sched.py)."""
    r = make("run", "APPEND=sched=nope", "RUN_FLAGS=--dry-run", timeout=300)
    assert r.returncode == 0, r.stderr
    assert "-append sched=nope" in r.stdout, r.stdout


def test_policy_list_comes_from_the_caller_or_the_built_blobs():
    r = run_qemu("--kernel", KERNEL, "--sched", "heap", "--policies", "fifo only",
                 "--dry-run")
    refused(r, "unknown policy 'heap'; the policies are: fifo only")
    # Without --policies: the blobs built beside the kernel.
    r = run_qemu("--kernel", KERNEL, "--sched", "nope", "--dry-run")
    out = refused(r, "unknown policy 'nope'")
    listed = re.search(r"the policies are: ([\w ]+) \(", out).group(1).split()
    assert sorted(listed) == sorted(["heap", "bitmap", "multiqueue", "fifo"]), out
    r = run_qemu("--kernel", KERNEL, "--sched", "multiqueue", "--dry-run")
    assert r.returncode == 0 and "sched=multiqueue" in r.stdout, r.stderr


def test_policy_and_blob_together_are_refused():
    blob = os.path.join(ROOT, "build", "sched", "fifo.bin")
    refused(make("run", "SCHED=heap", f"SCHED_BLOB={blob}"),
            "both pick the policy: give one")


@pytest.mark.parametrize("smp", ["0", "9", "four"])
def test_smp_out_of_range_is_refused(smp):
    refused(make("run", f"SMP={smp}"),
            f"SMP (--smp) is the number of harts, 1 to 8; '{smp}' is not")


@pytest.mark.parametrize("mem", ["256X", "1.5G", "-1M", "M"])
def test_malformed_mem_is_refused(mem):
    refused(make("run", f"MEM={mem}"),
            f"MEM (--mem) is a RAM size", f"'{mem}' is not")


def test_huge_mem_is_refused_not_wrapped_around():
    refused(run_qemu("--kernel", KERNEL, "--mem", "9999999T", "--dry-run"),
            "MEM=9999999T is too large")


def minimum_mem(*extra):
    """The smallest MEM (MiB) run-qemu.sh names for the kernel and initrd."""
    r = run_qemu("--kernel", KERNEL, "--initrd", INITRD, "--mem", "1M", *extra)
    out = refused(r, "MEM=1M is too small for this kernel", "initrd", "use MEM=")
    return int(re.search(r"use MEM=(\d+)M or more", out).group(1))


def test_too_little_mem_is_refused_naming_the_minimum():
    """MEM=1M gets run-qemu.sh's message, not QEMU's 'Some ROM regions are
    overlapping'; the minimum it names is accepted and the size below is
    not; a blob is counted too."""
    out = refused(make("run", "MEM=1M"), "MEM=1M is too small")
    assert "ROM regions" not in out
    least = minimum_mem()
    assert least > 4       # OpenSBI's 2 MiB, the kernel, a 1 MiB device tree
    for mem in (least, least + 1, 256, 2048):
        r = run_qemu("--kernel", KERNEL, "--initrd", INITRD, "--mem", f"{mem}M",
                     "--dry-run")
        assert r.returncode == 0, r.stderr
    r = run_qemu("--kernel", KERNEL, "--initrd", INITRD, "--mem", f"{least - 1}M",
                 "--dry-run")
    refused(r, f"use MEM={least}M or more")
    blob = os.path.join(ROOT, "build", "sched", "fifo.bin")
    assert minimum_mem("--sched-blob", blob) >= least


@pytest.mark.parametrize("smp", [1, 8], ids=lambda n: f"smp{n}")
def test_the_minimum_mem_boots_the_shell(boot_policy, policy, smp, request):
    """The minimum is not a guess: the shell boots in it and runs a pipeline."""
    extra = ()
    if policy == "external":
        extra = ("--sched-blob", os.path.abspath(request.config.getoption("--sched-blob")))
    least = minimum_mem(*extra)
    m = boot_policy(policy, smp=smp, mem=f"{least}M", initrd=True)
    m.shell_prompt(timeout=60)
    assert f"memory: {least} MiB RAM" in m.output()
    out = m.run("echo small machine | cat | cat")
    assert re.search(r"^small machine$", out, re.M), out
    still_alive(m)


# ---- the monitor, gdb ----------------------------------------------------

def test_monitor_boots_without_the_initrd():
    r = make("monitor", "SMP=2", "RUN_FLAGS=--dry-run", timeout=300)
    assert r.returncode == 0, r.stderr
    assert "qemu-system-riscv64" in r.stdout and "-smp 2" in r.stdout, r.stdout
    assert "-initrd" not in r.stdout, r.stdout
    r = make("run", "SMP=2", "RUN_FLAGS=--dry-run", timeout=300)
    assert "-initrd build/initrd.cpio" in r.stdout, r.stdout


def test_gdb_without_a_stub_says_so_at_once():
    port = free_port()
    r = make("gdb", f"GDB_PORT={port}")
    refused(r, f"no gdb stub on :{port}; start `make debug GDB_PORT={port}` "
               "in another terminal first")
    r = make("gdb", "GDB_PORT=http")
    refused(r, "GDB_PORT must be a TCP port number, not 'http'")
