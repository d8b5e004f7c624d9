"""File storage behind a small interface, so object storage can come later.

Uploaded bytes are addressed by an opaque key (``files/<tenant>/<yyyymm>/<id>.<ext>``);
the database keeps the metadata and ownership (``stored_files``), the store
only bytes.  :class:`LocalStorage` writes under ``<data_dir>`` atomically
(temp file + rename) so a crash never leaves a half-written file under a key
the database knows.

:func:`sniff` decides a file's real type from its content (``filetype``), never
from its name or the client's Content-Type.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import filetype
from starlette.requests import Request

from tidings.api.errors import KooError
from tidings.context import AppContext
from tidings.ids import uuid_id
from tidings.store.models.sms import StoredFile
from tidings.store.sms import FILE_EMPTY, FILE_TOO_LARGE, FILE_TYPE
from tidings.store.tenants import audit
from tidings.timeutil import utcnow

# What qualification documents may be: scans and photos, or a PDF.
DOCUMENT_KINDS: dict[str, str] = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "bmp": "image/bmp",
    "pdf": "application/pdf",
}


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
        path.parent.mkdir(parents=True, exist_ok=True)
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

    async def get(self, key: str) -> bytes:
        return await asyncio.to_thread(self._path(key).read_bytes)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(with_suppressed_unlink, str(self._path(key)))


def with_suppressed_unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def storage_of(ctx: AppContext) -> Storage:
    store = ctx.extras.get("storage")
    if store is None:
        store = ctx.extras["storage"] = LocalStorage(ctx.settings.data_dir)
    return store


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
    file_id = uuid_id()
    key = document_key(tenant_id, file_id, found.kind, utcnow().strftime("%Y%m"))
    store = storage_of(ctx)
    await store.put(key, data)
    try:
        async with ctx.db.write() as session:
            row = StoredFile(id=file_id, tenant_id=tenant_id, purpose=purpose, file_name=(file_name or f"{file_id}.{found.kind}")[:64],
                             file_desc=desc[:255], kind=found.kind, mime=found.mime, size=len(data),
                             sha256=hashlib.sha256(data).hexdigest(), storage_key=key)
            session.add(row)
            await audit(session, actor=actor, action="file.upload", object_type="file", object_id=file_id, tenant_id=tenant_id,
                        detail={"purpose": purpose, "kind": found.kind, "size": len(data), "file_name": row.file_name})
        return row
    except BaseException:
        await store.delete(key)
        raise


async def read_upload(request: Request, field: str = "file") -> tuple[str, bytes]:
    """The named part of a multipart request: (file name, bytes)."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise UploadError(FILE_EMPTY, f"Invalid parameter {field}: send the file as multipart/form-data in a part named {field!r}")
    form = await request.form()
    try:
        part = form.get(field)
        if part is None or isinstance(part, str):
            raise UploadError(FILE_EMPTY, f"Invalid parameter {field}: the multipart part {field!r} with a file is required")
        data = await part.read()
        return part.filename or "", data
    finally:
        await form.close()
