#!/usr/bin/env python3
"""Checks a scheduling-policy blob against the rules of the scheduler ABI
and turns the linked ELF into the flat binary the kernel loads.

    scripts/blobcheck.py POLICY.elf -o POLICY.bin   check, then write the blob
    scripts/blobcheck.py --verify POLICY.bin        check a finished blob

The rules (sched_abi/README.md explains why):
  - freestanding: no undefined symbols (no calls out, no libc);
  - no writable globals: .data, .bss and .got are empty;
  - no data that holds addresses, const or not (.data.rel.ro is empty):
    every pointer in it would have to be relocated where the blob lands;
  - position-independent: no absolute relocation outside the header (the
    ELF is linked with --emit-relocs so they can be seen);
  - the header comes first, at offset 0, and is well formed: magic, ABI
    version, sizes, a NUL-terminated name, known flags, zero reserved
    fields, every operation inside the code.
Writing the blob fills in total_size and the checksum (FNV-1a of the whole
blob with the checksum field taken as zero).  Exit status 0 if the blob
passes; otherwise each broken rule is printed and the status is 1.
"""
import argparse
import struct
import sys

MAGIC = 0x4C504853
RUNTIME_MAGIC = 0x4E555254   # the user-side runtime blob (sched_abi/vdso.h)
ABI_MAJOR, ABI_MINOR = 2, 4   # sched_abi/sched_abi.h
HEADER = struct.Struct("<IHHII16sII8QQ4I")   # 2.4: yield_fetch_offset
HEADER_SIZE = 128
# The runtime's header (sched_abi/vdso.h, struct sched_runtime_header): a
# policy's, then switch_release_offset, the end of the switch's tail, at
# most RUNTIME_TAIL_MAX bytes past op_offset[RT_COMMIT_STORE]; then
# light_schedule_offset, the light yield's entry, an even offset past the
# header and inside the blob, as an op's.
RUNTIME_HEADER_SIZE = 144
RUNTIME_COMMIT_STORE = 3
RUNTIME_TAIL_MAX = 32
BLOB_MAX = 16 * 4096
OP_NAMES = ["init", "add", "fetch", "yield", "wake", "remove", "top_priority", "tick"]
FLAGS_KNOWN = 0xf

SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 0x1, 0x2, 0x4
SHT_SYMTAB, SHT_RELA = 2, 4
STT_OBJECT, STT_FUNC = 1, 2
# Relocations that encode an absolute address (position-dependent).
ABSOLUTE_RELOCS = {1: "R_RISCV_32", 2: "R_RISCV_64", 26: "R_RISCV_HI20",
                   27: "R_RISCV_LO12_I", 28: "R_RISCV_LO12_S"}

assert HEADER.size == HEADER_SIZE


def fnv1a(data):
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def checksum(blob):
    blob = bytearray(blob)
    blob[36:40] = b"\0\0\0\0"
    return fnv1a(blob)


class Elf:
    def __init__(self, data):
        self.data = data
        if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
            raise ValueError("not a 64-bit little-endian ELF file")
        (self.type, self.machine, _, self.entry, _, shoff, _, _, _, _,
         shentsize, shnum, shstrndx) = struct.unpack_from("<HHIQQQIHHHHHH", data, 16)
        self.sections = []
        for i in range(shnum):
            f = struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
            self.sections.append(dict(name_off=f[0], type=f[1], flags=f[2], addr=f[3],
                                      offset=f[4], size=f[5], link=f[6], info=f[7],
                                      entsize=f[9]))
        names = self.sections[shstrndx]
        for s in self.sections:
            s["name"] = self.cstr(names["offset"] + s["name_off"])

    def cstr(self, off):
        end = self.data.index(b"\0", off)
        return self.data[off:end].decode(errors="replace")

    def section(self, name):
        return next((s for s in self.sections if s["name"] == name), None)

    def symbols(self):
        for name, info, shndx, value, _ in self.symbols_sized():
            yield name, info, shndx, value

    def symbols_sized(self):
        for s in self.sections:
            if s["type"] != SHT_SYMTAB:
                continue
            strtab = self.sections[s["link"]]
            for i in range(s["size"] // 24):
                name_off, info, _, shndx, value, size = struct.unpack_from(
                    "<IBBHQQ", self.data, s["offset"] + 24 * i)
                yield self.cstr(strtab["offset"] + name_off), info, shndx, value, size

    def objects_in(self, section):
        """(name, address, size) of each named variable in `section`, by address."""
        index = self.sections.index(section)
        found = {(name, value, size) for name, info, shndx, value, size in self.symbols_sized()
                 if shndx == index and info & 0xF == STT_OBJECT and name}
        return sorted(found, key=lambda o: o[1])

    def relocations(self):
        for s in self.sections:
            if s["type"] != SHT_RELA:
                continue
            target = self.sections[s["info"]] if s["info"] else None
            # Debug information is not part of the blob: only relocations
            # in loaded sections matter.
            if target is None or not target["flags"] & SHF_ALLOC:
                continue
            for i in range(s["size"] // 24):
                off, info, _ = struct.unpack_from("<QQq", self.data, s["offset"] + 24 * i)
                yield target["name"], off, info & 0xFFFFFFFF


# Output sections of blob.ld that must be empty, and what each one holds.
WRITABLE_SECTIONS = (".data", ".bss", ".got")
RELOCATED_CONST_SECTION = ".data.rel.ro"

RELOCATED_CONST_ADVICE = (
    "each is an absolute address that would have to be patched where the blob is "
    "loaded, and the kernel copies a blob as it is (linked at 0, run elsewhere); call "
    "the functions directly instead (a switch on the index is fine: its jump table is "
    "position-independent), and keep indices rather than pointers (strings as "
    "char names[N][LEN])")
WRITABLE_ADVICE = (
    "a blob keeps no state of its own (the same code serves the kernel's queue, each "
    "process's and each coroutine executor's); keep it in the queue words or in the "
    "records' link[]/policy[] fields")


def holders(elf, section, relocated):
    """The named variables of `section`, each with how many of the absolute
    relocations (addresses in `relocated`) fall inside it; the whole section
    if nothing in it is named."""
    objects = elf.objects_in(section) or [(None, section["addr"], section["size"])]
    for name, addr, size in objects:
        yield name, size, sum(1 for a in relocated if addr <= a < addr + max(size, 1))


def describe(name, size, section):
    if name:
        return "'%s' (%d bytes, section %s)" % (name, size, section)
    return "section %s (%d bytes)" % (section, size)


def function_at(elf, addr):
    for name, info, _, value, size in elf.symbols_sized():
        if info & 0xF == STT_FUNC and value <= addr < value + size:
            return name
    return None


def check_elf(elf):
    errors = []
    if elf.machine != 243:
        errors.append("not a RISC-V ELF (e_machine %d)" % elf.machine)
    # Absolute relocations, by the section they patch: the header's are
    # meant (its operations are offsets, since the blob is linked at 0).
    absolute = {}
    for target, off, rtype in elf.relocations():
        if rtype in ABSOLUTE_RELOCS and target != ".sched_header":
            absolute.setdefault(target, []).append((off, rtype))
    explained = set()
    for s in elf.sections:
        if not (s["flags"] & SHF_ALLOC) or s["size"] == 0:
            continue
        name = s["name"]
        relocated = [off for off, _ in absolute.get(name, [])]
        if name == RELOCATED_CONST_SECTION:
            # GCC puts a const object here, rather than in .rodata, exactly
            # when its initializer holds addresses (-fPIC).
            explained.add(name)
            for obj, size, n in holders(elf, s, relocated):
                errors.append("constant data that needs relocating: %s holds %s, like "
                              "any const table of function or string pointers: %s"
                              % (describe(obj, size, name),
                                 "%d address%s" % (n, "" if n == 1 else "es") if n
                                 else "addresses", RELOCATED_CONST_ADVICE))
        # The header is written by the compiler as data (it holds link-time
        # addresses) but is part of the read-only blob.
        elif name in WRITABLE_SECTIONS or (s["flags"] & SHF_WRITE and name != ".sched_header"):
            explained.add(name)
            for obj, size, n in holders(elf, s, relocated):
                extra = ("; it also holds %d address%s, which would need relocating: keep "
                         "indices, not pointers" % (n, "" if n == 1 else "es")) if n else ""
                errors.append("writable global data: %s: %s%s"
                              % (describe(obj, size, name), WRITABLE_ADVICE, extra))
        if name.startswith((".dynamic", ".rela", ".plt")):
            errors.append("dynamic linking section %s: a blob needs no loader" % name)
    header = elf.section(".sched_header")
    if header is None or header["size"] == 0:
        errors.append("no .sched_header section: end the file with SCHED_POLICY(...)")
    elif header["addr"] != 0:
        errors.append("the header is at 0x%x, not at 0" % header["addr"])
    for name, info, shndx, _ in elf.symbols():
        if shndx == 0 and name:
            errors.append("calls out or uses an outside symbol: '%s' is undefined "
                          "(no libc, no kernel: a blob is freestanding)" % name)
    # Absolute addresses elsewhere (code, .rodata): not from C built with
    # -fPIC, but possible from assembly or other flags.
    for target, relocs in absolute.items():
        if target in explained:
            continue
        for off, rtype in relocs:
            where = function_at(elf, off)
            errors.append("not position-independent: %s at offset 0x%x in %s%s: an absolute "
                          "address (build with -fPIC; take addresses PC-relative)"
                          % (ABSOLUTE_RELOCS[rtype], off, target,
                             ", in %s" % where if where else ""))
    return errors


def check_blob(blob, magic_wanted=MAGIC):
    """The checks the kernel makes too; returns a list of problems."""
    if len(blob) < HEADER_SIZE:
        return ["shorter than the %d-byte header" % HEADER_SIZE]
    (magic, major, minor, header_size, total_size, name, flags, csum,
     *rest) = HEADER.unpack_from(blob)
    ops, yield_fetch, reserved = rest[:8], rest[8], rest[9:]
    errors = []
    if magic != magic_wanted:
        errors.append("bad magic 0x%08x (want 0x%08x)" % (magic, magic_wanted))
    # The same words as the kernel (os/sched/blob.c): a blob from before 2.0
    # may assume a 2 KiB queue and at most 256 tasks.
    label = name.split(b"\0")[0].decode(errors="replace")
    if major < ABI_MAJOR:
        errors.append("policy '%s': built for scheduler ABI %d.%d; this kernel needs %d.x "
                      "(queues now sized by task count, SCHED_QUEUE_WORDS(n)): rebuild it "
                      "against sched_abi/" % (label, major, minor, ABI_MAJOR))
    elif major != ABI_MAJOR or minor > ABI_MINOR:
        errors.append("policy '%s': built for scheduler ABI %d.%d, newer than this kernel's "
                      "%d.%d" % (label, major, minor, ABI_MAJOR, ABI_MINOR))
    want_size = RUNTIME_HEADER_SIZE if magic_wanted == RUNTIME_MAGIC else HEADER_SIZE
    if header_size != want_size:
        errors.append("header size %d, want %d" % (header_size, want_size))
    elif magic_wanted == RUNTIME_MAGIC and len(blob) >= RUNTIME_HEADER_SIZE:
        (release,) = struct.unpack_from("<Q", blob, HEADER_SIZE)
        store = rest[RUNTIME_COMMIT_STORE]
        if not (store < release <= store + RUNTIME_TAIL_MAX and release < len(blob)):
            errors.append("switch_release_offset 0x%x: not within %d bytes after the commit's "
                          "store at 0x%x" % (release, RUNTIME_TAIL_MAX, store))
        (light,) = struct.unpack_from("<Q", blob, HEADER_SIZE + 8)
        if not (RUNTIME_HEADER_SIZE <= light < len(blob)) or light % 2:
            errors.append("light_schedule_offset 0x%x: not an entry inside the blob" % light)
    if total_size != len(blob) or total_size > BLOB_MAX:
        errors.append("total size %d, but the blob is %d bytes (at most %d)" % (total_size, len(blob), BLOB_MAX))
    if b"\0" not in name or name.index(b"\0") == 0:
        errors.append("name is empty or not NUL-terminated")
    if flags & ~FLAGS_KNOWN:
        errors.append("unknown flags 0x%x" % (flags & ~FLAGS_KNOWN))
    if any(reserved):
        errors.append("reserved fields are not zero")
    # 2.4's optional yield_fetch (0: none); reserved before 2.4.
    if yield_fetch and minor < 4:
        errors.append("yield_fetch at offset 0x%x in an ABI %d.%d blob (the field is reserved "
                      "before 2.4)" % (yield_fetch, major, minor))
    if yield_fetch and (not (HEADER_SIZE <= yield_fetch < len(blob)) or yield_fetch % 2):
        errors.append("operation yield_fetch at offset 0x%x, outside the code" % yield_fetch)
    for op, off in zip(OP_NAMES, ops):
        if not (HEADER_SIZE <= off < len(blob)) or off % 2:
            errors.append("operation %s at offset 0x%x, outside the code" % (op, off))
    if csum != checksum(blob):
        errors.append("checksum 0x%08x, computed 0x%08x" % (csum, checksum(blob)))
    return errors


def flat_binary(elf):
    """The allocated sections laid out by address (what objcopy -O binary does)."""
    out = bytearray()
    for s in sorted((s for s in elf.sections if s["flags"] & SHF_ALLOC and s["size"]),
                    key=lambda s: s["addr"]):
        if s["addr"] > len(out):
            out += b"\0" * (s["addr"] - len(out))
        if s["type"] != 8:  # NOBITS
            out[s["addr"]:s["addr"] + s["size"]] = elf.data[s["offset"]:s["offset"] + s["size"]]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input", help="the linked policy ELF (or, with --verify, a blob)")
    ap.add_argument("-o", "--output", help="where to write the blob")
    ap.add_argument("--verify", action="store_true", help="check a finished blob")
    ap.add_argument("--runtime", action="store_true",
                    help="the blob is the user-side runtime, not a policy")
    args = ap.parse_args()
    magic = RUNTIME_MAGIC if args.runtime else MAGIC
    data = open(args.input, "rb").read()
    if args.verify:
        errors = check_blob(data, magic)
    else:
        try:
            elf = Elf(data)
        except ValueError as e:
            sys.exit("blobcheck: %s: %s" % (args.input, e))
        errors = check_elf(elf)
        if not errors:
            blob = flat_binary(elf)
            struct.pack_into("<I", blob, 12, len(blob))
            struct.pack_into("<I", blob, 36, checksum(blob))
            errors = check_blob(blob, magic)
            if not errors and args.output:
                open(args.output, "wb").write(blob)
    for e in errors:
        print("blobcheck: %s: %s" % (args.input, e), file=sys.stderr)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
