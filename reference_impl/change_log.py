"""The file of ``serve --db``: an append-only log of what each write changed, in frames.

The file is the line :data:`MAGIC`, then frames: the payload's length and CRC-32 (4 bytes each,
little-endian), then the payload, pickled records one after the other (:mod:`reference_impl.durable_store`
says which records there are). Each request's record is pickled as it ends; the records of the
requests answered together are one frame, one ``write()``. SQLite cost 7-9 us of CPU per row
changed, and a confirm changes five.

A write cut short (the process killed inside ``write()``, or the machine stopping before the
kernel wrote its pages) leaves a damaged last frame: it was never answered, so reading stops
there and the file is cut back to the last whole frame. A damaged frame with whole frames after
it is not a cut write: :class:`DamagedLog`.
"""

from __future__ import annotations

import io
import os
import pickle
import struct
import zlib
from typing import BinaryIO, Iterator

MAGIC = b"stripe-conformance changes v1\n"
SQLITE_MAGIC = b"SQLite format 3\x00"  # the format before this one (reference_impl/sqlite_legacy.py)
HEAD = struct.Struct("<II")
PROTOCOL = 5
READ_CHUNK = 1 << 20
IOV_MAX = 1024  # pieces one writev() takes (POSIX's minimum is 16; Linux takes 1,024)


class NotALog(Exception):
    """The file is neither empty nor a log of ours."""


class DamagedLog(Exception):
    def __init__(self, offset: int) -> None:
        super().__init__(offset)
        self.offset = offset


def serialize(record: tuple) -> bytes:
    return pickle.dumps(record, PROTOCOL)


def frame(serialized: list[bytes]) -> list[bytes]:
    """The frame of these records, as the pieces to write (not joined: ``writev()`` takes them as they are)."""
    crc = length = 0
    for part in serialized:
        crc = zlib.crc32(part, crc)
        length += len(part)
    return [HEAD.pack(length, crc), *serialized]


def write_all(fd: int, parts: list[bytes]) -> None:
    """``writev()`` until every byte is the kernel's: from then on only a machine crash loses them."""
    done = os.writev(fd, parts) if len(parts) <= IOV_MAX else 0
    total = sum(map(len, parts))
    if done < total:  # cut short (or too many pieces): the rest, in one piece
        view = memoryview(b"".join(parts))[done:]
        while view:
            view = view[os.write(fd, view):]


def records(file: BinaryIO, size: int) -> Iterator[tuple[tuple, int]]:
    """Each record of a log of ``size`` bytes read from where ``file`` is, with the offset its frame ends at.

    Stops at a cut last write (the caller truncates the file to the last offset yielded).
    """
    at = file.tell()
    while at < size:
        head = file.read(HEAD.size)
        if len(head) < HEAD.size:
            return _cut(file, at, size)
        length, crc = HEAD.unpack(head)
        payload = file.read(length) if at + HEAD.size + length <= size else b""
        if length == 0 or len(payload) != length or zlib.crc32(payload) != crc:  # no record pickles to nothing
            return _cut(file, at, size)
        at += HEAD.size + length
        yield from ((record, at) for record in _unpickled(payload, at - HEAD.size - length))


def _unpickled(payload: bytes, at: int) -> list[tuple]:
    stream = io.BytesIO(payload)
    found = []
    try:
        while stream.tell() < len(payload):
            found.append(pickle.load(stream))
    except Exception:  # noqa: BLE001 - a frame whose checksum held but whose pickles do not: damage
        raise DamagedLog(at) from None
    return found


def _cut(file: BinaryIO, at: int, size: int) -> None:
    """A bad frame at ``at``: the end of the log if nothing but the cut write follows, else damage."""
    file.seek(at)
    rest = size - at
    if rest <= HEAD.size:
        return
    length, _ = HEAD.unpack(file.read(HEAD.size))
    if at + HEAD.size + length >= size:  # the last frame, cut or garbled by a crash
        return
    # A machine crash can leave the pages past the last written one as zeros.
    while chunk := file.read(READ_CHUNK):
        if chunk.count(0) != len(chunk):
            raise DamagedLog(at)
