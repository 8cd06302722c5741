#!/usr/bin/env python3
"""Writes deliberately broken copies of a good ELF executable, one per rule
the kernel's ELF loader enforces, for the initrd (the t_badelf program and
the test suite check that exec refuses each with ENOEXEC and says why).

    scripts/make-bad-elfs.py GOOD_ELF OUT_DIR
"""
import os
import struct
import sys

EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
PHDR = struct.Struct("<IIQQQQQQ")
PT_LOAD, PF_X, PF_W = 1, 1, 2


def phdrs(data):
    eh = EHDR.unpack_from(data)
    phoff, phentsize, phnum = eh[5], eh[9], eh[10]
    return [(phoff + i * phentsize, list(PHDR.unpack_from(data, phoff + i * phentsize)))
            for i in range(phnum)]


def loads(data):
    """The loadable segments that map something (memsz > 0)."""
    return [(off, ph) for off, ph in phdrs(data) if ph[0] == PT_LOAD and ph[6] > 0]


def patch_phdr(data, which, field, value):
    off, ph = loads(data)[which]
    ph[field] = value
    PHDR.pack_into(data, off, *ph)


def variants(good):
    def copy():
        return bytearray(good)

    v = {}
    d = copy(); d[0:4] = b"\x7fBAD"; v["badelf_magic"] = d
    v["badelf_short"] = copy()[:20]
    eh = EHDR.unpack_from(good)
    v["badelf_trunc"] = copy()[:eh[5] + 10]        # cut inside the program headers
    d = copy(); struct.pack_into("<H", d, 18, 62); v["badelf_machine"] = d   # x86-64
    d = copy(); struct.pack_into("<Q", d, 24, 0x12); v["badelf_entry"] = d
    # Find the executable and a writable segment.
    text = next(i for i, (_, ph) in enumerate(loads(good)) if ph[1] & PF_X)
    d = copy(); patch_phdr(d, text, 1, loads(good)[text][1][1] | PF_W); v["badelf_wx"] = d
    d = copy(); patch_phdr(d, text, 5, len(good) + 4096); patch_phdr(d, text, 6, len(good) + 4096)
    v["badelf_bounds"] = d
    d = copy(); patch_phdr(d, text, 3, 0xffffffe080200000); v["badelf_kernel"] = d
    if len(loads(good)) > 1:
        other = 1 if text == 0 else 0
        d = copy()
        patch_phdr(d, other, 3, loads(good)[text][1][3])   # same address as text
        patch_phdr(d, other, 2, loads(good)[text][1][2])   # and same offset (aligned)
        v["badelf_overlap"] = d
    return v


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip())
    good = open(sys.argv[1], "rb").read()
    os.makedirs(sys.argv[2], exist_ok=True)
    for name, data in variants(good).items():
        with open(os.path.join(sys.argv[2], name), "wb") as f:
            f.write(bytes(data))


if __name__ == "__main__":
    main()
