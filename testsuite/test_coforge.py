"""A process forging its coroutine records, CIDs, doorbell and
asynchronous operations hurts only itself (h_coforge): each case runs in a
child, which may fail or be killed, while a well-behaved t_coro runs
beside them and must pass.  The kernel must not panic, the shell must
answer, and once every child is reaped the frames free or in the kernel
heap, and the heap's bytes, are what they were.  The cases that only forge what must be refused or
shrugged off (CIDs, doorbell bits, io->cid, sbrk under an operation in
flight) check the answers themselves and must exit 0, and so must the
exec case: an executor dropped by exec with operations in flight, then
t_cowakelow -f 40 in the new image, whose kernel-rung coroutine lies on
a later record page than the old image's (the doorbell must read the new
frames, os/sched/coexec.c rec_frames)."""
import re

import pytest

from conftest import still_alive

SMP = [1, 4]

CASES = ["header lock held for ever", "header capacity huge",
         "header free list anywhere", "header live counter wrong",
         "header garbage", "queue garbage", "records garbage",
         "forged CIDs to every operation", "forged doorbell bits",
         "io->cid forged or another's", "sbrk away an operation in flight",
         "threads racing spawn and cancel",
         "exec with operations in flight, then an executor again"]
MUST_PASS = CASES[7:11] + CASES[12:13]


@pytest.mark.timeout(400)
@pytest.mark.parametrize("smp", SMP, ids=lambda n: f"smp{n}")
def test_forged_coroutines_are_contained(boot_policy, policy, smp):
    m = boot_policy(policy, smp=smp, initrd=True)
    m.shell_prompt(timeout=60)
    out = m.run("h_coforge 2", timeout=300)
    for name in CASES:
        line = re.search(rf"^h_coforge: {re.escape(name)}: (\d+) runs: exited 0 (\d+), "
                         r"failed (\d+), killed by the kernel (\d+), killed as hung (\d+): "
                         r"(ok|FAIL)$", out, re.M)
        assert line, (name, out)
        runs, exited0 = int(line.group(1)), int(line.group(2))
        assert runs >= 2, out
        if name in MUST_PASS:
            assert exited0 == runs, (name, out)
        assert line.group(6) == "ok", (name, out)
    # t_coro ran beside them, and passed.
    assert re.search(r"^t_coro: PASS$", out, re.M), out
    assert re.search(r"^h_coforge: t_coro beside: status 0$", out, re.M), out
    frames = re.search(r"^h_coforge: frames free or in the heap (\d+) -> (\d+), kernel heap "
                       r"(\d+) -> (\d+) bytes: ok$", out, re.M)
    assert frames and frames.group(1) == frames.group(2), out
    assert frames.group(3) == frames.group(4), out
    assert re.search(r"^h_coforge: PASS$", out, re.M), out
    assert "panic" not in m.output()
    still_alive(m)
