"""The lab guide (sched_abi/README.md) tells the truth where it can be
checked: the starting file it shows in full is sched_abi/starter_policy.c,
which a student builds with `make sched-blob` and boots as it is; the
compiler flags it lists are the ones the build uses; the addresses its gdb
recipes give are the ABI's."""
import os
import re
import shlex
import shutil
import subprocess

import pytest

from conftest import boot_shell
from machine import ROOT

GUIDE = os.path.join(ROOT, "sched_abi", "README.md")
STARTER = os.path.join(ROOT, "sched_abi", "starter_policy.c")


def guide():
    with open(GUIDE) as f:
        return f.read()


def test_guide_shows_the_starter_in_full():
    shown = re.search(r"Here it is in full:\n\n```c\n(.*?)```\n", guide(), re.S)
    assert shown, "the guide's listing of the starting file is missing"
    with open(STARTER) as f:
        assert shown.group(1) == f.read()


def test_guide_lists_the_blob_compiler_flags():
    """Every flag of the Makefile's BLOB_CFLAGS but the compiler's own include
    folder (a path on this machine) is in the guide's list, and nothing
    else is."""
    with open(os.path.join(ROOT, "Makefile")) as f:
        make = f.read()
    rule = re.search(r"^BLOB_CFLAGS = ((?:.*\\\n)*.*)$", make, re.M).group(1)
    flags = shlex.split(rule.replace("\\\n", " "))
    i = flags.index("-isystem")
    del flags[i:i + 2]
    listed = re.search(r"The compiler is\n`riscv64-unknown-elf-gcc` with\n\n```\n(.*?)```",
                       guide(), re.S)
    assert listed, "the guide's list of compiler flags is missing"
    assert listed.group(1).split() == flags


def test_guide_gdb_addresses_are_the_abis():
    """(a) the kernel's alias of the shared code, which the boot banner
    prints; (b) SHARED_CODE_ADDR of vdso.h, and the runtime 16 pages on."""
    with open(os.path.join(ROOT, "sched_abi", "vdso.h")) as f:
        vdso = f.read()
    base = int(re.search(r"#define SHARED_BASE_ADDR\s+(0x[0-9a-fA-F]+)", vdso)[1], 16)
    pages = int(re.search(r"#define SHARED_DATA_PAGES_N\s+(\d+)", vdso)[1])
    with open(os.path.join(ROOT, "os", "memlayout.h")) as f:
        kalias = int(re.search(r"#define SHARED_KALIAS\s+(0x[0-9a-fA-F]+)", f.read())[1], 16)
    text = guide()
    user_code = base + pages * 4096
    for addr in (kalias, user_code):
        assert f"add-symbol-file build/sched/ext/my_policy.elf -o {addr:#x}" in text
    assert f"add-symbol-file build/sched/runtime.elf -o\n  {user_code + 16 * 4096:#x}" in text
    assert f"at {kalias:#x}\n```" in text          # the banner it shows


@pytest.fixture(scope="module")
def starter_blob(tmp_path_factory):
    """The starting file, copied and built the way the guide says."""
    src = tmp_path_factory.mktemp("student") / "my_policy.c"
    shutil.copy(STARTER, src)
    out = subprocess.run(["make", "-s", "-C", ROOT, "sched-blob", f"SRC={src}"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "blob: build/sched/ext/my_policy.bin" in out.stdout, out.stdout
    return os.path.join(ROOT, "build", "sched", "ext", "my_policy.bin")


@pytest.mark.timeout(300)
@pytest.mark.parametrize("smp", [1, 2], ids=lambda n: f"smp{n}")
def test_starter_boots_and_serves_every_caller(machine, starter_blob, smp):
    """The starter, unchanged, on the kernel's queue (threads), a process's
    (user-mode switches) and a coroutine executor's, with nothing reported."""
    m = boot_shell(machine, smp=smp, sched_blob=starter_blob)
    assert re.search(r"^sched: policy 'my_policy' \(external blob, \d+ bytes, ABI 2\.4\) "
                     r"at 0xffffffc040000000$", m.output(), re.M), m.output()
    assert re.search(r"^t_threads: PASS$", m.run("t_threads 4", timeout=120), re.M)
    out = m.run(f"t_pingpong {2 * smp} 500", timeout=120)
    assert re.search(rf"counter {2 * smp * 500}, 0 out of turn", out), out
    assert re.search(r"user-mode switching on \(rt_off 0\)", out), out
    out = m.run("t_coro ring 4 20", timeout=120)
    assert re.search(r"^t_coro: ring: ok$", out, re.M), out
    for bad in ("misbehaved", "faulted in user mode", "killed", "panic"):
        assert bad not in m.output(), m.output()
