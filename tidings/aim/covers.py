"""Automatic video covers: the first frame of an uploaded MP4, as a JPEG of
at most 100 KB (the thumbnail limit), with PyAV (FFmpeg's libraries shipped
in its wheels, no network, no ffmpeg binary).

Only the first video frame is decoded, from bytes already capped at 7 MB; a
video whose first frame does not decode (no video stream, an unknown codec,
damaged data) simply gets no automatic cover: the structural checks of
:mod:`tidings.aim.mp4` decided whether the upload is accepted.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from PIL import Image

log = logging.getLogger("tidings.aim.covers")

MAX_BYTES = 100 * 1024
MAX_SIDE = 720  # covers are shown on a card ~342 px wide
MAX_FRAME_PIXELS = 4096 * 4096


@dataclass(frozen=True, slots=True)
class Cover:
    data: bytes
    width: int
    height: int


def first_frame(video: bytes) -> Cover | None:
    try:
        import av
    except ImportError:  # pragma: no cover - av is a dependency; kept for a slim install
        return None
    try:
        with av.open(io.BytesIO(video), mode="r") as container:
            stream = next((s for s in container.streams if s.type == "video"), None)
            if stream is None:
                return None
            for frame in container.decode(stream):
                if not isinstance(frame, av.VideoFrame) or frame.width * frame.height > MAX_FRAME_PIXELS:
                    return None
                return _jpeg(frame.to_image())
    except Exception as exc:  # any decoder failure means "no automatic cover"
        log.info("no automatic cover: %s", exc.__class__.__name__)
    return None


def _jpeg(image: Image.Image) -> Cover | None:
    image = image.convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    for _ in range(6):
        for quality in (85, 70, 55, 40):
            out = io.BytesIO()
            image.save(out, "JPEG", quality=quality, optimize=True)
            if out.tell() <= MAX_BYTES:
                return Cover(out.getvalue(), image.width, image.height)
        image = image.resize((max(1, image.width * 3 // 4), max(1, image.height * 3 // 4)))
    return None
