"""Zip archives written by hand, as an attacker would: members of any size made of zeros in a few bytes (the
deflate of a 64 MiB block of zeros is ~64 KiB, and after a full flush it can be repeated), and directories
that may lie about sizes. Used to test that trained-model packages are refused before they are unpacked."""

from __future__ import annotations

import struct
import zlib

BLOCK = 64 * 2**20


def deflated(content: bytes | int) -> tuple[bytes, int, int]:
    """(raw deflate stream, CRC-32, size) of `content`, or of that many zero bytes, fast whatever the size."""
    if isinstance(content, bytes):
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
        return compressor.compress(content) + compressor.flush(), zlib.crc32(content), len(content)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    whole, rest = divmod(content, BLOCK)
    block = compressor.compress(bytes(BLOCK)) + compressor.flush(zlib.Z_FULL_FLUSH) if whole else b""
    stream = block * whole + compressor.compress(bytes(rest)) + compressor.flush()  # a full flush forgets history
    crc = 0
    for _ in range(whole):
        crc = zlib.crc32(bytes(BLOCK), crc)
    return stream, zlib.crc32(bytes(rest), crc), content


def archive(members: dict[str, bytes | int], declared: dict[str, int] | None = None, stored: bool = False) -> bytes:
    """A zip of `members` (bytes, or a number of zero bytes), deflated (or `stored` as they are, as skops writes
    its payloads); `declared` overrides the uncompressed sizes in the headers and the directory (a lying zip)."""
    local, central = b"", b""
    method = 0 if stored else 8
    for name, content in members.items():
        if stored:
            assert isinstance(content, bytes)
            data, crc, size = content, zlib.crc32(content), len(content)
        else:
            data, crc, size = deflated(content)
        size = (declared or {}).get(name, size)
        encoded = name.encode()
        header = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc, len(data), size, len(encoded), 0)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21, crc, len(data), size,
                               len(encoded), 0, 0, 0, 0, 0, len(local)) + encoded
        local += header + encoded + data
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(local), 0)
    return local + central + end
