"""Kept for the tests that say `from machine import ...`: the harness is
the schedos package now (schedos/machine.py)."""
from schedos.machine import *                    # noqa: F401,F403
from schedos.machine import addr2line, backtrace_addresses  # noqa: F401
