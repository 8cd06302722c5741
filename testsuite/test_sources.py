"""Rules of the kernel's sources that no compiler warning enforces."""
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ATOMIC_STORE = re.compile(r"__atomic_store_n\s*\((?:[^;]*?),\s*(__ATOMIC_\w+)\s*\)", re.S)


def kernel_sources():
    for folder, _, files in os.walk(os.path.join(ROOT, "os")):
        for name in files:
            if name.endswith((".c", ".h")):
                yield os.path.join(folder, name)


def test_kernel_stores_to_shared_words_are_plain_stores():
    """A relaxed or release store goes through store_relaxed/store_release
    (os/kernel/ordered_store.h): GCC 12 spells __atomic_store_n as an
    atomic swap, which a machine of two harts under QEMU runs out of line
    (docs/performance.md, "The stores that were atomic swaps")."""
    found = []
    for path in kernel_sources():
        text = open(path).read()
        for m in ATOMIC_STORE.finditer(text):
            if m.group(1) != "__ATOMIC_SEQ_CST":
                line = text.count("\n", 0, m.start()) + 1
                found.append(f"{os.path.relpath(path, ROOT)}:{line}: {m.group(1)}")
    assert not found, ("use store_relaxed()/store_release() from kernel/ordered_store.h, "
                       "not __atomic_store_n:\n" + "\n".join(found))


def test_the_rule_sees_a_store_written_over_lines():
    sample = "__atomic_store_n(&x->y[k],\n    v + 1,\n    __ATOMIC_RELEASE);"
    assert [m.group(1) for m in ATOMIC_STORE.finditer(sample)] == ["__ATOMIC_RELEASE"]
