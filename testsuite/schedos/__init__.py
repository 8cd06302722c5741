"""schedos's test harness: boot the kernel in QEMU, talk to its console,
judge its KTAP self-test output.  The pytest plugin is schedos.plugin;
docs/testing.md describes both."""
from schedos.machine import (KERNEL, INITRD, PROMPT, ROOT, SHELL_PROMPT, Machine,
                             MachineExited, MachineTimeout, normalize)
