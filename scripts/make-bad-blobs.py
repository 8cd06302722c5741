#!/usr/bin/env python3
"""Writes copies of a good policy blob, each breaking exactly one of the
rules the kernel checks before it runs a blob (every other field stays
valid, the checksum included, so the kernel must name that rule).

    scripts/make-bad-blobs.py GOOD.bin OUT_DIR

Prints one line per file: NAME<TAB>the reason the kernel must give.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from blobcheck import checksum  # noqa: E402


def with_checksum(blob):
    struct.pack_into("<I", blob, 36, checksum(blob))
    return blob


def variants(good):
    def copy():
        return bytearray(good)
    v = {}
    b = copy(); struct.pack_into("<I", b, 0, 0xDEADBEEF)
    v["blob_magic"] = (with_checksum(b), "bad magic 0xdeadbeef")
    # A blob built against ABI 1.x (before queues were sized by task count),
    # and one from a future major version.
    # (Minor 0 both: the good blob's minor is the kernel's.)
    b = copy(); struct.pack_into("<HH", b, 4, 1, 0)
    v["blob_version"] = (with_checksum(b), "built for scheduler ABI 1.0; this kernel needs 2.x")
    b = copy(); struct.pack_into("<HH", b, 4, 3, 0)
    v["blob_version_newer"] = (with_checksum(b), "built for scheduler ABI 3.0, newer than")
    # The same major version, a minor one past the kernel's (which the good
    # blob has): it may use what this kernel does not have.
    major, minor = struct.unpack_from("<HH", good, 4)
    b = copy(); struct.pack_into("<HH", b, 4, major, minor + 1)
    v["blob_version_minor"] = (with_checksum(b),
                               f"built for scheduler ABI {major}.{minor + 1}, newer than")
    b = copy(); struct.pack_into("<I", b, 8, 64)
    v["blob_header_size"] = (with_checksum(b), "header size 64, want 128")
    b = copy(); struct.pack_into("<I", b, 12, 70000)
    v["blob_total_size"] = (with_checksum(b), "total size 70000 outside")
    b = copy(); struct.pack_into("<I", b, 12, 64)
    v["blob_total_size_small"] = (with_checksum(b), "total size 64 outside")
    b = copy(); b[16:32] = b"x" * 16
    v["blob_name"] = (with_checksum(b), "name is empty or not NUL-terminated")
    b = copy(); b[16:32] = bytes(16)
    v["blob_name_empty"] = (with_checksum(b), "name is empty or not NUL-terminated")
    b = copy(); struct.pack_into("<I", b, 32, 0x80)
    v["blob_flags"] = (with_checksum(b), "unknown flags 0x80")
    b = copy(); struct.pack_into("<I", b, 112 + 8, 1)
    v["blob_reserved"] = (with_checksum(b), "reserved field 2 is not zero")
    # 2.4's optional yield_fetch (offset 104; the good blob, fifo, has
    # one): past the end, odd, and set in a blob that says 2.3 (where the
    # field was reserved).
    yield_fetch = struct.unpack_from("<Q", good, 104)[0]
    assert yield_fetch, "the good blob should have a yield_fetch (fifo has)"
    b = copy(); struct.pack_into("<Q", b, 104, len(good) + 64)
    v["blob_yield_fetch_offset"] = (with_checksum(b), "operation yield_fetch at offset")
    b = copy(); struct.pack_into("<Q", b, 104, yield_fetch + 1)
    v["blob_yield_fetch_odd"] = (with_checksum(b),
                                 f"operation yield_fetch at offset {yield_fetch + 1:#x}, odd")
    b = copy(); struct.pack_into("<H", b, 6, 3)
    v["blob_yield_fetch_2_3"] = (with_checksum(b), "yield_fetch at offset")
    # Operation offsets (40 + 8 * i; fetch is i = 2): past the end, inside
    # the header, odd (instructions are 2-byte aligned).
    fetch = struct.unpack_from("<Q", good, 40 + 2 * 8)[0]
    b = copy(); struct.pack_into("<Q", b, 40 + 2 * 8, len(good) + 64)
    v["blob_op_offset"] = (with_checksum(b), "operation fetch at offset")
    b = copy(); struct.pack_into("<Q", b, 40 + 2 * 8, 0)
    v["blob_op_in_header"] = (with_checksum(b), "operation fetch at offset 0x0, outside the code")
    b = copy(); struct.pack_into("<Q", b, 40 + 2 * 8, fetch + 1)
    v["blob_op_odd"] = (with_checksum(b), f"operation fetch at offset {fetch + 1:#x}, odd")
    b = copy(); b[-1] ^= 0xFF
    v["blob_checksum"] = (b, "checksum 0x")
    return v


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip())
    good = open(sys.argv[1], "rb").read()
    os.makedirs(sys.argv[2], exist_ok=True)
    for name, (data, why) in variants(good).items():
        with open(os.path.join(sys.argv[2], name + ".bin"), "wb") as f:
            f.write(bytes(data))
        print(f"{name}\t{why}")


if __name__ == "__main__":
    main()
