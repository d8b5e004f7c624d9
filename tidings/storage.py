"""File storage behind a small interface, so object storage can come later.

Uploaded bytes are addressed by an opaque key (``files/<tenant>/<yyyymm>/<id>.<ext>``);
the database keeps the metadata and ownership (``stored_files``), the store
only bytes.  :class:`LocalStorage` writes under ``<data_dir>`` atomically
(temp file + rename) so a crash never leaves a half-written file under a key
the database knows.

:func:`sniff` decides a file's real type from its content (``filetype``), never
from its name or the client's Content-Type; a name's extension, when it has
one, must agree with that type (a PNG+HTML polyglot named ``a.html`` is
refused).  :func:`safe_file_name` keeps only a safe base name of what the
client sent.  :func:`image_size` opens an image with Pillow, reading only its
header, and refuses one past ``MAX_PIXELS`` before anything is decoded or
stored: the products that decode images later rely on it.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import re
import tempfile
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import filetype
from PIL import Image, UnidentifiedImageError
from sqlalchemy.ext.asyncio import AsyncSession

from tidings.context import AppContext
from tidings.errors import KooError
from tidings.ids import uuid_id
from tidings.store.models.core import StoredFile
from tidings.store.tenants import audit, owned
from tidings.timeutil import utcnow

FILE_NOT_FOUND = "KM.00001121"
FILE_TYPE = "KM.00001122"
FILE_TOO_LARGE = "KM.00001123"
FILE_EMPTY = "KM.00001124"

# What qualification documents may be: scans and photos, or a PDF.
DOCUMENT_KINDS: dict[str, str] = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "bmp": "image/bmp",
    "pdf": "application/pdf",
}
# The file-name extensions that may name each sniffed kind.
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "jpg": ("jpg", "jpeg"),
    "png": ("png",),
    "bmp": ("bmp",),
    "pdf": ("pdf",),
    "mp4": ("mp4",),
}
IMAGE_KINDS = ("jpg", "png", "bmp")
# 40 megapixels: far above any scan or card image, and below Pillow's own
# decompression-bomb warning (~89 MP).  A 30000x30000 PNG is 875 KB on the wire
# and 900 MP (2.7 GB decoded).
MAX_PIXELS = 40_000_000
MAX_NAME_LENGTH = 64


class Storage(Protocol):
    async def put(self, key: str, data: bytes) -> None: ...
    async def get(self, key: str) -> bytes: ...
    async def delete(self, key: str) -> None: ...


_SAFE_KEY = re.compile(r"^[A-Za-z0-9_\-./]+$")


class LocalStorage:
    def __init__(self, root: Path):
        self.root = root

    def _path(self, key: str) -> Path:
        if not _SAFE_KEY.match(key) or ".." in key.split("/"):
            raise ValueError(f"unsafe storage key {key!r}")
        return self.root / key

    async def put(self, key: str, data: bytes) -> None:
        await asyncio.to_thread(self._put, self._path(key), data)

    @staticmethod
    def _put(path: Path, data: bytes) -> None:
        created = _make_dirs(path.parent)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            with_suppressed_unlink(tmp)
            raise
        # The file's own fsync does not make its name durable: after a crash the
        # rename (and any folder made for it) could be gone while the database
        # row that names the file survives.  Sync the folder that holds the new
        # name, and the parents of folders made just now.
        for folder in (path.parent, *(d.parent for d in created)):
            _sync_dir(folder)

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._path(key).read_bytes)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(with_suppressed_unlink, str(self._path(key)))


def _make_dirs(folder: Path) -> list[Path]:
    """``mkdir -p`` that says which folders it made, deepest last."""
    missing: list[Path] = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for d in reversed(missing):
        d.mkdir(exist_ok=True)
    return list(reversed(missing))


def _sync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def with_suppressed_unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


@dataclass(frozen=True, slots=True)
class Sniffed:
    kind: str  # jpg | png | bmp | pdf | the detected extension of something else
    mime: str


def sniff(data: bytes) -> Sniffed | None:
    """The real type of ``data`` from its magic bytes, or None if unknown."""
    guess = filetype.guess(data[:8192])
    if guess is None:
        return None
    return Sniffed(guess.extension, guess.mime)


def safe_file_name(name: str, max_length: int = MAX_NAME_LENGTH) -> str:
    """The base name of a client's file name, safe to store and echo: what
    follows the last ``/`` or ``\\``; letters, digits, ``. _ - ( )`` and
    spaces kept, any other character (controls, bidirectional overrides,
    quotes, ``<>``, ...) replaced by ``_``; leading dots and spaces dropped (no
    ``..``, no hidden names); at most ``max_length`` characters, the extension
    kept.  Empty when nothing is left."""
    base = re.split(r"[/\\]", name)[-1]
    kept = "".join(c if (unicodedata.category(c)[0] in "LN" or c in "._-() ") else "_" for c in base)
    kept = kept.lstrip(". ").rstrip(" ")
    if len(kept) > max_length:
        stem, dot, ext = kept.rpartition(".")
        ext = ext[:16]
        kept = (stem[: max_length - len(ext) - 1] + "." + ext) if dot and stem else kept[:max_length]
    return kept


def extension_of(name: str) -> str | None:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else None


def image_size(data: bytes, max_pixels: int = MAX_PIXELS) -> tuple[int, int]:
    """(width, height) of an image, read from its header, after checking the
    structure without decoding the pixels; raises :class:`ImageRefused`."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as img:
                width, height = img.size
                if width * height > max_pixels:
                    raise ImageRefused(True, f"{width}x{height} is more than {max_pixels} pixels")
                img.verify()
                return width, height
        except ImageRefused:
            raise
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise ImageRefused(True, f"the image has more than {max_pixels} pixels") from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
            raise ImageRefused(False, "the image cannot be read (damaged or not the type its content claims)") from None


class ImageRefused(ValueError):
    def __init__(self, too_many_pixels: bool, reason: str):
        super().__init__(reason)
        self.too_many_pixels = too_many_pixels
        self.reason = reason


def document_key(tenant_id: str, file_id: str, kind: str, yyyymm: str) -> str:
    return f"files/{tenant_id}/{yyyymm}/{file_id}.{kind}"


class UploadError(KooError):
    """A refused upload: answered by the API and the CLI like any KooMessage error (400)."""


async def save_document(ctx: AppContext, *, tenant_id: str, purpose: str, file_name: str, data: bytes, desc: str, actor: str) -> StoredFile:
    """Check and store an uploaded qualification document; returns the
    ``StoredFile`` row.  The bytes are written before the row commits and
    removed again if the row does not, so neither exists without the other."""
    limit = ctx.settings.max_upload_bytes
    if not data:
        raise UploadError(FILE_EMPTY, "Invalid parameter file: the file is empty")
    if len(data) > limit:
        raise UploadError(FILE_TOO_LARGE, f"Invalid parameter file: {len(data)} bytes exceeds the limit of {limit} bytes per file")
    found = sniff(data)
    if found is None or found.kind not in DOCUMENT_KINDS:
        what = f"a {found.kind} file" if found else "of an unrecognised type"
        raise UploadError(FILE_TYPE, f"Invalid parameter file: the content is {what}; allowed are JPEG, PNG, BMP and PDF")
    file_name = safe_file_name(file_name)
    declared = extension_of(file_name)
    if declared is not None and declared not in EXTENSIONS[found.kind]:
        raise UploadError(FILE_TYPE, f"Invalid parameter file: the name says .{declared[:16]} but the content is "
                                     f"{found.kind.upper()}; name it *.{EXTENSIONS[found.kind][0]}")
    if found.kind in IMAGE_KINDS:
        try:
            await asyncio.to_thread(image_size, data)
        except ImageRefused as exc:
            code = FILE_TOO_LARGE if exc.too_many_pixels else FILE_TYPE
            raise UploadError(code, f"Invalid parameter file: {exc.reason}") from None
    file_id = uuid_id()
    key = document_key(tenant_id, file_id, found.kind, utcnow().strftime("%Y%m"))
    store = ctx.storage
    await store.put(key, data)
    try:
        async with ctx.db.write() as session:
            row = StoredFile(id=file_id, tenant_id=tenant_id, purpose=purpose, file_name=file_name or f"{file_id}.{found.kind}",
                             file_desc=desc[:255], kind=found.kind, mime=found.mime, size=len(data),
                             sha256=hashlib.sha256(data).hexdigest(), storage_key=key)
            session.add(row)
            await audit(session, actor=actor, action="file.upload", object_type="file", object_id=file_id, tenant_id=tenant_id,
                        detail={"purpose": purpose, "kind": found.kind, "size": len(data), "file_name": row.file_name})
        return row
    except BaseException:
        await store.delete(key)
        raise


async def get_file(session: AsyncSession, tenant_id: str, file_id: str, field: str = "file_id") -> StoredFile:
    row = await owned(session, StoredFile, tenant_id, file_id)
    if row is None:
        raise KooError(FILE_NOT_FOUND, f"Invalid parameter {field}: file {file_id} does not exist")
    return row
