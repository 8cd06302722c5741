"""bench/bare_ceiling.py: the bare-metal program boots on 1, 2 and 4 harts,
every hart runs every loop, and the script prints a speed-up per loop.
No figure is judged: the speed-ups are for a quiet host to read."""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "bench", "bare_ceiling.py")
LOOPS = ("plain", "fence", "amo", "lrsc", "tick")
ROW = re.compile(r"^(\w+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$", re.M)


def run(*args, timeout=300):
    return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.parametrize("args", [["--harts", "2"], ["--harts", "4"], ["--separate"]],
                         ids=["2harts", "4harts", "separate"])
def test_every_loop_runs_on_every_hart_and_gets_a_speedup(args):
    r = run("--rounds", "1", "--iterations", "20000", "--trials", "3", *args)
    assert r.returncode == 0, r.stdout + r.stderr
    rows = {m.group(1): [float(x) for x in m.groups()[1:]] for m in ROW.finditer(r.stdout)}
    assert tuple(rows) == LOOPS, r.stdout
    for loop, figures in rows.items():
        assert all(f > 0 for f in figures), f"{loop}: {r.stdout}"
    n = 4 if "4" in args else 2
    assert f"speed-up {n}*T1/T{n}" in r.stdout, r.stdout


@pytest.mark.parametrize("args, message", [
    (["--rounds", "0"], "must be at least 1"),
    (["--trials", "0"], "must be at least 1"),
    (["--harts", "1"], "--harts must be 2 to 16"),
    (["--harts", "17"], "--harts must be 2 to 16"),
])
def test_bad_options_are_refused(args, message):
    r = run(*args, timeout=60)
    assert r.returncode == 2 and message in r.stderr, r.stdout + r.stderr


def test_a_hart_count_the_program_did_not_see_is_an_error(tmp_path):
    """The script checks what the program says of itself: a line from a
    machine of another size than asked is refused, not averaged in."""
    sys.path.insert(0, os.path.dirname(SCRIPT))
    import bare_ceiling
    fake = subprocess.Popen([sys.executable, "-c", "print('BARE variant=plain harts=3 trial=0 "
                             "hart=0 ticks=5 iterations=1'); print('BARE-DONE')"],
                            stdout=subprocess.PIPE, text=True)
    with pytest.raises(SystemExit) as e:
        bare_ceiling.finish(fake, 2)
    assert "3 harts ran, not 2" in str(e.value)
