"""The kernel command line reaches the kernel and is parsed."""


def test_bootargs_reach_kernel(machine):
    m = machine(smp=2, append='color=blue msg="two words" verbose color=red')
    m.prompt(timeout=60)
    out = m.output()
    assert 'bootargs: "color=blue msg="two words" verbose color=red"' in out
    assert "bootargs: unknown option 'color' ignored" in out
    parsed = m.command("bootargs")
    assert 'bootarg 0: color = "blue"' in parsed
    assert 'bootarg 1: msg = "two words"' in parsed
    assert "bootarg 2: verbose (no value)" in parsed
    assert 'bootarg 3: color = "red"' in parsed
    assert "4 boot arguments" in parsed


def test_no_bootargs(machine):
    m = machine(smp=1)
    m.prompt(timeout=60)
    assert 'bootargs: ""' in m.output()
    assert "0 boot arguments" in m.command("bootargs")
