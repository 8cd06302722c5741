#!/usr/bin/env python3
"""Turns the counts of the profiling plugin (bench/profile/insn_profile.c)
into a table of instructions per function: make profile's last step.

    scripts/profile_report.py PROFILE --kernel build/kernel.elf \\
        --policy build/sched/heap.elf --runtime build/sched/runtime.elf \\
        --user build/user/bin/b_coro --prof build/user/bin/prof [--top N]

Where an address comes from (os/memlayout.h, sched_abi/vdso.h, read from
the headers so the two cannot drift apart):

  kernel    the direct map, where the kernel image runs: kernel.elf
  policy    the booted policy blob: at SHARED_KALIAS when the kernel calls
            it, at SHARED_CODE_ADDR when a process does (linked at 0)
  runtime   the runtime blob: at SHARED_KALIAS_RUNTIME, SHARED_RUNTIME_ADDR
  user      below USER_TOP: the profiled program's ELF
  prof      below USER_TOP, but the bytes are prof's, not the program's
            (prof spawning and waiting: every process has its code at the
            same addresses, so the instruction's bytes tell them apart)
  firmware  OpenSBI, in machine mode without paging (SBI calls)
  unknown   anything else

An address whose bytes differ from the ELF's (say the wrong policy's ELF
was given) is not put under that ELF's functions: it counts as
REGION:other, and a warning says how many instructions that was.
"""
import argparse
import bisect
import os
import re
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAYOUT_HEADERS = [os.path.join(ROOT, "os", "memlayout.h"),
                  os.path.join(ROOT, "sched_abi", "vdso.h")]
FIRMWARE_START, FIRMWARE_END = 0x80000000, 0x80200000   # OpenSBI, below the kernel


class ProfileError(Exception):
    """Something the user must fix; the message says what."""


# ---- the memory layout, from the C headers ----

def header_constants(paths=LAYOUT_HEADERS):
    """The integer #defines of the headers, evaluated: a define may use
    earlier ones and + - * << ( ), with C's U/L suffixes."""
    raw = {}
    for path in paths:
        with open(path) as f:
            for line in f:
                m = re.match(r"\s*#define\s+([A-Z_][A-Z0-9_]*)\s+(.+?)\s*(/\*.*)?$", line)
                if m:
                    raw[m.group(1)] = m.group(2)
    values = {}

    def evaluate(name, depth=0):
        if name in values:
            return values[name]
        if depth > 20 or name not in raw:
            raise KeyError(name)
        expr = re.sub(r"\b(0x[0-9a-fA-F]+|\d+)[uUlL]*\b", r"\1", raw[name])
        expr = re.sub(r"[A-Z_][A-Z0-9_]*",
                      lambda m: str(evaluate(m.group(0), depth + 1)), expr)
        if not re.fullmatch(r"[0-9a-fA-Fx+\-*<>() ]+", expr):
            raise KeyError(name)
        values[name] = eval(expr, {"__builtins__": {}})   # digits and operators only
        return values[name]

    wanted = ["DIRECT_MAP_BASE", "SHARED_KALIAS", "SHARED_KALIAS_RUNTIME",
              "SHARED_CODE_PAGES", "SHARED_CODE_ADDR", "SHARED_RUNTIME_ADDR",
              "SHARED_RUNTIME_PAGES", "USER_TOP", "PAGE_SIZE"]
    try:
        return {name: evaluate(name) for name in wanted}
    except KeyError as e:
        raise ProfileError(f"cannot read {e.args[0]} from {', '.join(paths)}") from None


# ---- ELF files: function symbols and code bytes ----

class Elf:
    """The functions and executable bytes of a 64-bit little-endian ELF."""

    def __init__(self, path):
        self.path = path
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            raise ProfileError(f"cannot read {path}: {e.strerror}") from None
        if data[:4] != b"\x7fELF" or data[4:6] != b"\x02\x01":
            raise ProfileError(f"{path} is not a 64-bit little-endian ELF file")
        try:
            self._read(data)
        except (struct.error, IndexError, ValueError):
            raise ProfileError(f"{path}: a broken ELF file (its section or symbol "
                               "tables point outside it)") from None

    def _read(self, data):
        shoff, = struct.unpack_from("<Q", data, 0x28)
        shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
        sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
                    for i in range(shnum)]
        self.code = []                  # (start, end, file offset) of code
        executable = set()
        for i, (_, kind, flags, addr, offset, size, _, _, _, _) in enumerate(sections):
            if kind == 1 and flags & 0x2 and flags & 0x4:   # PROGBITS, ALLOC, EXECINSTR
                self.code.append((addr, addr + size, offset))
                executable.add(i)
        self.data = data
        symbols = []
        for (_, kind, _, _, offset, size, link, _, _, entsize) in sections:
            if kind != 2:                                     # SHT_SYMTAB
                continue
            strtab = sections[link]
            for at in range(offset, offset + size, entsize):
                name_off, info, _, shndx, value, sym_size = struct.unpack_from(
                    "<IBBHQQ", data, at)
                sym_type = info & 0xF
                if shndx not in executable or sym_type not in (0, 2):   # NOTYPE, FUNC
                    continue
                start = strtab[4] + name_off
                name = data[start:data.index(b"\0", start)].decode(errors="replace")
                if not name or name.startswith(("$", ".L")):
                    continue
                # Functions before plain labels at one address, globals first.
                rank = (sym_type != 2, (info >> 4) != 1, name)
                symbols.append((value, rank, sym_size, name))
        symbols.sort()
        self.starts, self.symbols = [], []
        for value, _, sym_size, name in symbols:
            if self.starts and self.starts[-1] == value:
                continue
            self.starts.append(value)
            self.symbols.append((value, sym_size, name))

    def bytes_at(self, addr, size):
        for start, end, offset in self.code:
            if start <= addr and addr + size <= end:
                return self.data[offset + addr - start:offset + addr - start + size]
        return None

    def function_at(self, addr):
        """The function covering addr, or None: a symbol with a size
        covers that many bytes, one without (an assembly label) reaches
        to the next symbol within its section."""
        i = bisect.bisect_right(self.starts, addr) - 1
        if i < 0:
            return None
        value, size, name = self.symbols[i]
        if size:
            return name if addr < value + size else None
        end = self.starts[i + 1] if i + 1 < len(self.starts) else None
        for start, code_end, _ in self.code:
            if start <= value < code_end:
                end = code_end if end is None else min(end, code_end)
        return name if end is not None and addr < end else None


# ---- the plugin's output ----

class Profile:
    """The plugin's file: section counts, then (vaddr, size, bytes, count)."""

    def __init__(self, path):
        self.header = {}
        self.insns = []
        try:
            f = open(path)
        except OSError as e:
            raise ProfileError(f"no profile at {path} ({e.strerror}): did QEMU load "
                               "the plugin and exit cleanly?") from None
        with f:
            for n, line in enumerate(f, 1):
                words = line.split()
                if not words or words[0].startswith("#"):
                    continue
                try:
                    if words[0] == "insn" and len(words) == 5:
                        self.insns.append((int(words[1], 16), int(words[2]),
                                           int(words[3], 16), int(words[4])))
                    elif len(words) == 2:
                        self.header[words[0]] = int(words[1])
                    else:
                        raise ValueError
                except ValueError:
                    raise ProfileError(f"{path}:{n}: not a line of the plugin's: "
                                       f"{line.strip()!r}") from None
        if "sections" not in self.header or "total" not in self.header:
            raise ProfileError(f"{path} is not a complete profile (no sections/total line)")
        if sum(c for _, _, _, c in self.insns) != self.header["total"]:
            raise ProfileError(f"{path}: the counts do not add up to its total")


# ---- attributing addresses ----

class Symbolizer:
    def __init__(self, kernel, policy, runtime, user, prof, layout=None):
        self.layout = layout or header_constants()
        self.kernel, self.policy, self.runtime = kernel, policy, runtime
        self.user, self.prof = user, prof
        self.mismatched = {}            # region -> instructions whose bytes differ

    def _blob_offset(self, addr):
        """(region, offset) of an address in the shared code, or None."""
        L = self.layout
        policy_bytes = L["SHARED_CODE_PAGES"] * L["PAGE_SIZE"]
        runtime_bytes = L["SHARED_RUNTIME_PAGES"] * L["PAGE_SIZE"]
        for base, size, region in ((L["SHARED_KALIAS"], policy_bytes, "policy"),
                                   (L["SHARED_CODE_ADDR"], policy_bytes, "policy"),
                                   (L["SHARED_KALIAS_RUNTIME"], runtime_bytes, "runtime"),
                                   (L["SHARED_RUNTIME_ADDR"], runtime_bytes, "runtime")):
            if base <= addr < base + size:
                return region, addr - base
        return None

    @staticmethod
    def _matches(elf, addr, size, word):
        return elf is not None and elf.bytes_at(addr, size) == \
            word.to_bytes(4, "little")[:size]

    def _in(self, elf, region, addr, size, word, count):
        if elf is None:
            return region, f"{region}:other"
        if not self._matches(elf, addr, size, word):
            self.mismatched[region] = self.mismatched.get(region, 0) + count
            return region, f"{region}:other"
        return region, elf.function_at(addr) or f"{region}:other"

    def attribute(self, addr, size, word, count):
        """(region, function) of one instruction."""
        L = self.layout
        if addr >= L["DIRECT_MAP_BASE"]:
            return self._in(self.kernel, "kernel", addr, size, word, count)
        blob = self._blob_offset(addr)
        if blob:
            region, offset = blob
            elf = self.policy if region == "policy" else self.runtime
            return self._in(elf, region, offset, size, word, count)
        if FIRMWARE_START <= addr < FIRMWARE_END:
            return "firmware", "opensbi"
        if addr < L["USER_TOP"]:
            if self._matches(self.user, addr, size, word):
                return "user", self.user.function_at(addr) or "user:other"
            if self._matches(self.prof, addr, size, word):
                return "prof", self.prof.function_at(addr) or "prof:other"
            return "user", "user:other"
        return "unknown", "unknown"


def tabulate(profile, symbolizer):
    """[(function, region, instructions)], most instructions first."""
    totals = {}
    for addr, size, word, count in profile.insns:
        key = symbolizer.attribute(addr, size, word, count)
        totals[key] = totals.get(key, 0) + count
    rows = [(fn, region, n) for (region, fn), n in totals.items()]
    rows.sort(key=lambda r: (-r[2], r[1], r[0]))
    return rows


def format_table(rows, total, top=None):
    """The table as text; top=N keeps the first N rows and sums the rest."""
    shown = rows if top is None else rows[:top]
    rest = rows[len(shown):]
    width = max([len("function"), len("total")] + [len(r[0]) for r in shown])
    pct = lambda n: f"{100.0 * n / total:6.2f}%" if total else "     -"
    lines = [f"{'function':<{width}}  {'region':<8}  {'instructions':>12}  {'percent':>7}"]
    for fn, region, n in shown:
        lines.append(f"{fn:<{width}}  {region:<8}  {n:>12}  {pct(n)}")
    if rest:
        n = sum(r[2] for r in rest)
        label = f"({len(rest)} more)"
        lines.append(f"{label:<{width}}  {'':<8}  {n:>12}  {pct(n)}")
    lines.append(f"{'total':<{width}}  {'':<8}  {total:>12}  {pct(total)}")
    return "\n".join(lines)


def no_section_message(profile):
    return ("no marked section ran: the plugin saw no prof_begin() ... prof_end() "
            "(user/include/profile.h) completed, so there is nothing to show"
            + (" (a section began but never ended)" if profile.header.get("unfinished") else ""))


def report(args):
    profile = Profile(args.profile)
    if profile.header["sections"] == 0:
        raise ProfileError(no_section_message(profile))
    load = lambda path: Elf(path) if path else None
    symbolizer = Symbolizer(load(args.kernel), load(args.policy), load(args.runtime),
                            load(args.user), load(args.prof))
    rows = tabulate(profile, symbolizer)
    lines = [format_table(rows, profile.header["total"], args.top)]
    for region, n in sorted(symbolizer.mismatched.items()):
        lines.append(f"warning: {n} {region} instructions do not match the bytes of the "
                     f"{region} ELF given: counted as {region}:other (another build or "
                     "policy than the one booted?)")
    if profile.header.get("unfinished"):
        lines.append("warning: the last section began but never ended: counted up to "
                     "QEMU's exit")
    return "\n".join(lines)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("profile", help="the plugin's output file")
    p.add_argument("--kernel", help="kernel.elf")
    p.add_argument("--policy", help="the booted policy's ELF (build/sched/NAME.elf)")
    p.add_argument("--runtime", help="the runtime blob's ELF (build/sched/runtime.elf)")
    p.add_argument("--user", help="the profiled program's ELF (build/user/bin/NAME)")
    p.add_argument("--prof", help="prof's ELF (build/user/bin/prof)")
    p.add_argument("--top", type=int, metavar="N", help="show the N biggest rows only")
    args = p.parse_args(argv)
    if args.top is not None and args.top < 1:
        p.error("--top takes a number of rows, 1 or more")
    return args


def main(argv=None):
    args = parse_args(argv)
    try:
        print(report(args))
    except ProfileError as e:
        print(f"profile: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
