"""Just enough of the ISO base media format (MP4) to judge an upload (pure):
the file starts with an ``ftyp`` box naming an MP4 brand, and its ``moov``
box's ``mvhd`` gives the duration (``duration / timescale``).  No decoding."""

from __future__ import annotations

import struct
from dataclasses import dataclass

MP4_BRANDS = frozenset({b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ", b"dash", b"mmp4", b"MSNV"})


class Mp4Error(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Mp4Info:
    brand: str
    duration_ms: int


def _boxes(data: bytes, start: int, end: int):
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if pos + 16 > end:
                raise Mp4Error("truncated box header")
            size = struct.unpack_from(">Q", data, pos + 8)[0]
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise Mp4Error(f"box {kind!r} at {pos} runs past the end of the file")
        yield kind, pos + header, pos + size
        pos += size


def inspect(data: bytes) -> Mp4Info:
    if len(data) < 16 or data[4:8] != b"ftyp":
        raise Mp4Error("the file does not start with an MP4 ftyp box")
    brand = b""
    duration_ms = -1
    for kind, body, end in _boxes(data, 0, len(data)):
        if kind == b"ftyp":
            major = data[body:body + 4]
            compatible = [data[i:i + 4] for i in range(body + 8, end - 3, 4)]
            if major not in MP4_BRANDS and not any(b in MP4_BRANDS for b in compatible):
                raise Mp4Error(f"ftyp brand {major.decode('latin-1')!r} is not an MP4 brand")
            brand = major
        elif kind == b"moov":
            for inner, ibody, _iend in _boxes(data, body, end):
                if inner == b"mvhd":
                    version = data[ibody]
                    if version == 1:
                        timescale, duration = struct.unpack_from(">IQ", data, ibody + 20)
                    else:
                        timescale, duration = struct.unpack_from(">II", data, ibody + 12)
                    if timescale == 0:
                        raise Mp4Error("mvhd has a zero timescale")
                    duration_ms = duration * 1000 // timescale
    if duration_ms < 0:
        raise Mp4Error("no moov/mvhd box: the MP4 is incomplete or not playable")
    return Mp4Info(brand.decode("latin-1"), duration_ms)


def minimal(duration_ms: int, payload: int = 0, brand: bytes = b"isom") -> bytes:
    """A structurally valid MP4 of ``duration_ms`` (ftyp, moov/mvhd, mdat of
    ``payload`` bytes): for tests and the bench, not for playing."""
    ftyp = struct.pack(">I4s4sI", 24, b"ftyp", brand, 512) + b"isom" + b"mp41"
    mvhd_body = bytes([0, 0, 0, 0]) + struct.pack(">IIII", 0, 0, 1000, duration_ms) + b"\x00" * 80
    mvhd = struct.pack(">I4s", 8 + len(mvhd_body), b"mvhd") + mvhd_body
    moov = struct.pack(">I4s", 8 + len(mvhd), b"moov") + mvhd
    mdat = struct.pack(">I4s", 8 + payload, b"mdat") + b"\x00" * payload
    return ftyp + moov + mdat
