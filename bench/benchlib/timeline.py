"""The hook for scheduling timelines: if bench/trace.py exists (`make
trace`'s tool), one short run per policy is traced and its PNG goes in
the report; if not, the report says so."""
import os
import subprocess

TRACE_SMP = 2
TRACE_CMD = "b_ring coro 16 1 2"
TRACE_TIMEOUT = 600                  # seconds


def make_timelines(root, out_dir, policies, python, warn=print, timeout_factor=1.0):
    """(policy -> PNG path relative to out_dir, a note for the report)."""
    tool = os.path.join(root, "bench", "trace.py")
    if not os.path.isfile(tool):
        return {}, "No timelines: bench/trace.py is not in this tree."
    made, failed = {}, []
    tdir = os.path.join(out_dir, "timelines")
    os.makedirs(tdir, exist_ok=True)
    for p in policies:
        png = os.path.join(tdir, f"{p}.png")
        cmd = [python, tool, "--policy", p, "--smp", str(TRACE_SMP), "--cmd", TRACE_CMD,
               "--json", os.path.join(tdir, f"{p}.json"), "--png", png]
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, cwd=root,
                               stdin=subprocess.DEVNULL, timeout=TRACE_TIMEOUT * timeout_factor)
            ok = r.returncode == 0 and os.path.isfile(png)
            why = f"exit status {r.returncode}: {(r.stderr or r.stdout).strip()[-300:]}"
        except subprocess.TimeoutExpired:
            ok, why = False, f"timed out after {TRACE_TIMEOUT * timeout_factor:.0f} s"
        if ok:
            made[p] = os.path.relpath(png, out_dir)
        else:
            failed.append(p)
            warn(f"bench: timeline for {p} failed ({why})")
    note = (f"Timelines of `{TRACE_CMD}` on {TRACE_SMP} harts (bench/trace.py)."
            + (f"  Failed for: {', '.join(failed)}." if failed else ""))
    return made, note
