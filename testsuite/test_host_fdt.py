"""The kernel's device-tree reader (os/lib/fdt.c), tested on the host.

testsuite/host/fdt_test.c links os/lib/fdt.c into a host program built with
AddressSanitizer and UBSan and feeds it a sample blob (host/fdt_sample.dts),
every truncation of it and many thousand corruptions: fdt.h promises errors,
never a read outside the blob or a hang.  No QEMU is involved.

The other two tests show the harness can fail: a blob with the wrong
bootargs must fail the positive checks, and a copy of fdt.c with a bounds
check weakened must be caught by AddressSanitizer.
"""
import os
import re
import shutil

import pytest

from hostrun import CC, SANITIZER_CFLAGS, SANITIZER_EXIT, run
from machine import ROOT

HOST = os.path.join(ROOT, "testsuite", "host")
FDT_C = os.path.join(ROOT, "os", "lib", "fdt.c")

CFLAGS = SANITIZER_CFLAGS + ["-I", os.path.join(ROOT, "os")]
RUN_TIMEOUT = 600       # seconds of wall clock (a loaded host); a normal run takes about 10

PASSED = re.compile(r"^fdt_test: \d+ checks passed$", re.M)


def compile_test(out_dir, fdt_c=FDT_C):
    binary = os.path.join(out_dir, "fdt_test")
    status, out = run([CC, *CFLAGS, "-o", binary,
                       os.path.join(HOST, "fdt_test.c"), fdt_c])
    assert status == 0, f"compiling fdt_test failed:\n{out}"
    return binary


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """Compiles the sample blob and the sanitized test program once."""
    for tool in (CC, "dtc"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (dtc: package device-tree-compiler)")
    out_dir = tmp_path_factory.mktemp("host_fdt")
    dtb = os.path.join(out_dir, "fdt_sample.dtb")
    status, out = run(["dtc", "-I", "dts", "-O", "dtb", "-o", dtb,
                       os.path.join(HOST, "fdt_sample.dts")])
    assert status == 0, f"dtc failed:\n{out}"
    return {"dir": out_dir, "dtb": dtb, "binary": compile_test(out_dir)}


def test_fdt_parser_under_sanitizers(build):
    status, out = run([build["binary"], build["dtb"]], timeout=RUN_TIMEOUT)
    assert status == 0, f"fdt_test exited with status {status}:\n{out}"
    assert PASSED.search(out), f"no 'checks passed' line:\n{out}"


def test_harness_rejects_wrong_blob(build, tmp_path):
    """Same size, same structure, one letter of bootargs changed: only the
    positive checks can notice, and they must."""
    with open(build["dtb"], "rb") as f:
        blob = f.read()
    assert blob.count(b"two words") == 1, "the sample's bootargs changed?"
    wrong = tmp_path / "wrong.dtb"
    wrong.write_bytes(blob.replace(b"two words", b"two wordz"))

    status, out = run([build["binary"], str(wrong)], timeout=RUN_TIMEOUT)
    assert status == 1, f"expected fdt_test to fail its checks (status 1):\n{out}"
    assert 'bootargs is "console=ttyS0 color=blue msg="two wordz""' in out, out
    assert re.search(r"^fdt_test: \d+ of \d+ checks FAILED$", out, re.M), out
    assert not PASSED.search(out), out


# A classic off-by-one-entry: the reservation-map entry may start inside the
# blob but end past it.
MUTANT = ("off + 16 > fdt->total_size", "off > fdt->total_size")


def test_harness_catches_overread(build, tmp_path):
    """A parser with a weakened bounds check must be caught by ASan."""
    with open(FDT_C) as f:
        source = f.read()
    assert source.count(MUTANT[0]) == 1, \
        f"{MUTANT[0]!r} not found once in os/lib/fdt.c: update MUTANT here"
    mutant = tmp_path / "fdt_mutant.c"
    # fdt.c's includes ("lib/fdt.h", "lib/string.h") resolve through
    # -I os, so the copy compiles from the temporary directory.
    mutant.write_text(source.replace(*MUTANT))
    binary = compile_test(str(tmp_path), str(mutant))

    status, out = run([binary, build["dtb"]], timeout=RUN_TIMEOUT)
    assert status == SANITIZER_EXIT, \
        f"expected an AddressSanitizer report (status {SANITIZER_EXIT}), got {status}:\n{out}"
    assert "ERROR: AddressSanitizer: heap-buffer-overflow" in out, out
    # The harness names the input that triggered it.
    assert "sanitizer error while testing case:" in out, out
