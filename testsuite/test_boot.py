"""Boot on 1..8 harts: every hart online, memory reported right, clean exit."""
import re

import pytest

from machine import PROMPT


@pytest.mark.parametrize("smp", [1, 2, 4, 8], ids=lambda n: f"smp{n}")
def test_boot(machine, smp):
    m = machine(smp=smp)
    m.prompt(timeout=60)
    out = m.output()
    assert "schedos: booting on hart" in out
    online = sorted(int(h) for h in re.findall(r"^hart (\d+) online", out, re.M))
    assert online == list(range(smp)), out
    noun = "hart" if smp == 1 else "harts"
    assert re.search(rf"^boot: {smp} {noun} online$", out, re.M), out
    assert "memory: 256 MiB RAM at 0x80000000" in out

    # The monitor agrees, and every hart takes timer interrupts.
    harts = m.command("harts")
    assert len(re.findall(r"^hart \d+: online", harts, re.M)) == smp
    ticks = re.findall(r"^hart \d+: online, (\d+) timer ticks", harts, re.M)
    assert len(ticks) == smp and all(int(t) > 0 for t in ticks), harts
    m.sendline("poweroff")
    assert m.wait_exit() == 0


@pytest.mark.parametrize("mem_mib", [64, 512, 1024], ids=lambda n: f"mem{n}M")
def test_memory_size(machine, mem_mib):
    m = machine(smp=2, mem=f"{mem_mib}M")
    m.prompt(timeout=60)
    out = m.output()
    assert f"memory: {mem_mib} MiB RAM at 0x80000000" in out
    free_kib = int(re.search(r"memory: (\d+) KiB free", out).group(1))
    # All of RAM but the firmware (2 MiB), the kernel image (as the boot
    # line says: it grows with the kernel), the kernel executor's records
    # (KCORO_CAPACITY = 8192 of 256 bytes: 2 MiB, and its queue) and at most
    # 2 MiB of boot pages (the frame bitmap, page tables: more with more RAM).
    kcoro_kib = 8192 * 256 // 1024 + 64
    image_kib = int(re.search(r"kernel image (\d+) KiB", out).group(1))
    most = mem_mib * 1024 - 2048 - kcoro_kib
    assert most - image_kib - 2048 < free_kib < most, (free_kib, image_kib)
    frames = m.command("mem")
    assert re.search(rf"frames: {free_kib // 4} free", frames), frames
    m.sendline("poweroff")
    assert m.wait_exit() == 0


def test_initrd_is_found_and_kept(machine, tmp_path):
    """The initrd's location comes from the device tree, and the frame
    allocator never hands out its frames (ktest=frame allocates them all)."""
    initrd = tmp_path / "initrd.bin"
    initrd.write_bytes(bytes(range(256)) * 1000 + b"tail")
    m = machine(smp=2, append="ktest=frame",
                extra_args=["--initrd", str(initrd)])
    assert m.wait_exit() == 0
    out = m.output()
    assert re.search(r"^initrd: 256004 bytes at 0x8[0-9a-f]+$", out, re.M), out
    assert re.search(r"^ok 1 frame$", out, re.M), out


def test_make_run_command_line():
    """`make run` passes SMP, MEM, SCHED and APPEND through to QEMU."""
    import subprocess
    from machine import ROOT
    out = subprocess.run(
        ["make", "-s", "-C", ROOT, "run", "SMP=3", "MEM=128M", "SCHED=fifo",
         "APPEND=foo=bar", "RUN_FLAGS=--dry-run"],
        check=True, capture_output=True, text=True).stdout
    assert "-smp 3" in out and "-m 128M" in out, out
    assert "sched=fifo\\ foo=bar" in out or "'sched=fifo foo=bar'" in out, out
    assert "fw_dynamic.bin" in out and PROMPT not in out
