"""make lineshare: cache lines moved between harts by one command, counted
by a QEMU TCG plugin the project builds (bench/profile/lineshare.c) between
the marks `prof` puts round the command, named by scripts/lineshare.py.

The plugin needs no QEMU header (bench/profile/qemu_plugin_api.h declares
what it calls), so nothing here is skipped for a missing one.  Counts are
judged only for what a working counter must produce (a command whose
coroutines pass data between two workers moves lines; the report's sums
agree; the functions are named), never for how many moves a change should
save: that is measured (docs/performance.md), not asserted.
"""
import os
import re
import subprocess

import pytest

from machine import ROOT

SCRIPT = os.path.join(ROOT, "scripts", "lineshare.py")
TIMEOUT = 900                   # one boot with the plugin, on a loaded host
# Two rings passing 256-byte tokens on two workers: the kernel copies them
# from one worker's buffers to the other's, and both workers take the
# executor's lock, so lines move whichever hart runs what.
CMD = "b_prings -s 256 2 16 2 4"
SUMMARY = re.compile(r"^accesses (\d+)  moves (\d+) \(\d+ per mille of accesses\)$", re.M)
AGES = re.compile(r"^moves by age \(accesses since the line was last touched\): (.*)$", re.M)
ROW = re.compile(r"^(\S+)\s+(kernel|policy|runtime|user|prof|firmware|unknown)\s+(\d+)\s+(\d+)$",
                 re.M)


def make(*args, timeout=TIMEOUT):
    return subprocess.run(["make", "-s", "--no-print-directory", "-C", ROOT, *args],
                          capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def lineshare(tmp_path, cmd, *args):
    """Runs scripts/lineshare.py; (exit status, stdout, stderr, console)."""
    out = tmp_path / f"run{len(list(tmp_path.iterdir()))}"
    r = subprocess.run(["/usr/bin/python3", SCRIPT, cmd, "--out", str(out), *args],
                       capture_output=True, text=True, timeout=TIMEOUT,
                       stdin=subprocess.DEVNULL)
    log = out / "console.log"
    console = log.read_text() if log.exists() else "(no console: QEMU never started)"
    return r.returncode, r.stdout, r.stderr, f"--- console ({log}) ---\n{console[-3000:]}"


@pytest.fixture(scope="module")
def plugin():
    r = make("lineshare-plugin")
    path = os.path.join(ROOT, "build", "profile", "lineshare.so")
    assert r.returncode == 0 and os.path.isfile(path), r.stdout + r.stderr
    return path


def test_plugin_loads_and_refuses_without_out(plugin):
    """QEMU 7.2 loads it (it got as far as qemu_plugin_install), which
    refuses to run without a file to write, or with an argument it does
    not know."""
    r = subprocess.run(["qemu-system-riscv64", "-machine", "virt", "-display", "none",
                        "-plugin", plugin], capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    assert r.returncode != 0 and "lineshare: give out=FILE" in r.stderr, r.stderr
    r = subprocess.run(["qemu-system-riscv64", "-machine", "virt", "-display", "none",
                        "-plugin", f"{plugin},out=/dev/null,bogus=1"], capture_output=True,
                       text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode != 0 and "unknown argument 'bogus=1'" in r.stderr, r.stderr


@pytest.mark.parametrize("cmd, message", [
    ("", "CMD is empty"),
    ("no_such_prog 1", "no program 'no_such_prog'"),
    ("b_prings 2 4 2 1 | cat", "one program and its arguments only"),
])
def test_bad_command_is_refused(tmp_path, plugin, cmd, message):
    status, out, err, _ = lineshare(tmp_path, cmd)
    assert status == 1 and message in err, out + err


def test_one_hart_is_refused(tmp_path, plugin):
    status, out, err, _ = lineshare(tmp_path, CMD, "--smp", "1")
    assert status == 2 and "2 to 8" in err, out + err


@pytest.mark.parametrize("smp", [2, 4], ids=lambda n: f"smp{n}")
def test_counts_moves_between_harts(tmp_path, plugin, policy, smp):
    if policy == "external":
        pytest.skip("scripts/lineshare.py boots the built-in policies only")
    status, out, err, console = lineshare(tmp_path, CMD, "--sched", policy, "--smp", str(smp))
    assert status == 0, f"{out}\n{err}\n{console}"
    assert re.search(r"^\| BENCH prings rings=2 ", out, re.M), f"{out}\n{console}"
    summary = SUMMARY.search(out)
    assert summary, out
    accesses, moves = int(summary.group(1)), int(summary.group(2))
    # Moves there must be; an access counted as a move whatever hart made
    # it would make them nearly as many as the accesses.
    assert 0 < moves < accesses // 4, out
    ages = AGES.search(out)
    assert ages, out
    assert sum(int(n) for n in re.findall(r"\S+ (\d+)", ages.group(1))) == moves, out
    rows = ROW.findall(out)
    assert rows, out
    for fn, region, young, moved in rows:
        assert int(young) <= int(moved) <= moves, out
    # The kernel's copies and its locks move lines between the workers'
    # harts: named functions, not addresses.
    assert any(region == "kernel" and not fn.startswith("kernel:") for fn, region, *_ in rows), \
        out


class _Names:
    """A symbolizer for format_report: instruction address -> function."""
    def attribute(self, addr, size, word, count):
        return "kernel", {0x10: "hot_young", 0x20: "many_old", 0x30: "many_old"}[addr]


def test_ranks_by_young_or_by_all_moves():
    """--by moves ranks the functions by every move (old ones too, which a
    line's owner pays for when the other core still holds it); the default
    by young ones.  One function's instructions are summed."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("lineshare_script", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    rep = {"accesses": 1000, "moves": 130, "untracked": 0, "ages": [("<1k", 130)],
           "pcs": [(0x10, 4, 0, 30, 30), (0x20, 4, 0, 60, 1), (0x30, 4, 0, 40, 0)],
           "lines": []}
    young = ROW.findall(script.format_report(rep, _Names(), 5))
    assert [(fn, int(y), int(n)) for fn, _, y, n in young] == \
        [("hot_young", 30, 30), ("many_old", 1, 100)], young
    moves = ROW.findall(script.format_report(rep, _Names(), 5, by="moves"))
    assert [fn for fn, *_ in moves] == ["many_old", "hot_young"], moves
