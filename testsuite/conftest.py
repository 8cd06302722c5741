"""testsuite/ uses the schedos plugin (schedos/plugin.py): the `machine`,
`boot_policy` and `shell` fixtures, --sched-blob, console logs of failed
tests.  The helpers are re-exported for the tests that say
`from conftest import POLICIES, boot_shell, still_alive`."""
import pytest

# Before the import below, so that the package's asserts are rewritten.
pytest.register_assert_rewrite("schedos")

from schedos.plugin import (DEFAULT_TEST_TIMEOUT, POLICIES,  # noqa: E402,F401
                            assert_frames_back, boot_shell,
                            log_path, memory, still_alive)

pytest_plugins = ["schedos.plugin"]
