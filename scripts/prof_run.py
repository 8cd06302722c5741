"""What make profile (scripts/profile.py) and make lineshare
(scripts/lineshare.py) share: the check of the command they run under a
QEMU plugin, and the run itself (boot, `prof CMD` at the shell, power off
so that the plugin writes its file).  Each passes its own exception class,
so its errors keep its own name."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "testsuite"))

from schedos.machine import Machine, MachineExited, MachineTimeout  # noqa: E402

USER_BIN = os.path.join(ROOT, "build", "user", "bin")
SHELL_SPECIAL = set("|&;<>")     # the shell would take these itself, not pass them to CMD


def check_command(cmd, example, error):
    """The program's name; raises `error` if CMD is not one program of
    build/user/bin and its arguments.  `example`: a CMD to suggest."""
    words = cmd.split()
    if not words:
        raise error(f'CMD is empty: say what to run, e.g. CMD="{example}"')
    special = sorted(SHELL_SPECIAL & set(cmd))
    if special:
        raise error(f"CMD {cmd!r} has {' '.join(special)}: one program and its "
                    "arguments only (no pipes, redirections or background jobs)")
    name = words[0]
    if "/" in name or not os.path.isfile(os.path.join(USER_BIN, name)):
        names = sorted(os.listdir(USER_BIN)) if os.path.isdir(USER_BIN) else []
        hint = f" (the programs: {' '.join(names)})" if names else " (run make first)"
        raise error(f"no program {name!r} in {os.path.relpath(USER_BIN, ROOT)}{hint}")
    return name


def run_with_plugin(machine_args, line, out_path, log_path, timeout, error,
                    boot_timeout=120, exit_timeout=120):
    """Boots Machine(**machine_args), runs `line` at the shell, powers off
    (init powers off at `exit 0`: the plugin writes out_path then); returns
    the console.  A run that times out or dies raises `error` naming the
    saved console."""
    if os.path.exists(out_path):
        os.remove(out_path)            # never report an older run's file
    m = Machine(initrd=True, log_path=log_path,
                timeout_factor=float(os.environ.get("SCHEDOS_TIMEOUT_FACTOR", "1")),
                **machine_args)
    try:
        m.shell_prompt(timeout=boot_timeout)
        out = m.run(line, timeout=timeout)
        m.sendline("exit 0")
        m.wait_exit(timeout=exit_timeout)
        return out
    except (MachineTimeout, MachineExited) as e:
        raise error(f"{e}\n(whole console: {os.path.relpath(m.save_log(), ROOT)})") from None
    finally:
        m.kill()
        m.save_log()
