"""Template materials: where the bytes come from (a Base64 ``data:`` stream
or a URL fetched under guard), what they really are, and whether they may be
stored (cards.md §7, openapi.json ``UploadAimTemplateMaterialRequestBody``).

Every check runs before a byte is written; the bytes are written before the
row commits and removed again if it does not, so a refused upload leaves
nothing behind and a stored row always has its bytes.

- image: PNG or JPEG by content (never by name), <= 2 MB, at most
  ``MAX_PIXELS`` pixels (read from the header before decoding), its pixel
  ratio equal to ``image_rate`` within ``RATE_TOLERANCE`` (2 %).
- video: MP4 by its ``ftyp`` box, <= 7 MB, duration from ``moov/mvhd``;
  longer than 33 s is accepted with a warning in ``message``.
- thumbnail: PNG or JPEG <= 100 KB (``KM.80020019``) for a video of the
  tenant's (``material_id``); the first one becomes the video's primary cover.
  A video whose first frame decodes gets an automatic cover (``is_auto_gen``,
  primary) from :mod:`tidings.aim.covers`; it counts against the quota too.
- URLs: http(s), the path ends with the file's extension, fetched with
  ``aim_fetch_timeout_seconds``, stopped past the size limit, through the
  callbacks' guarded transport (every address of every connection checked,
  so a redirect to a private address fails like a direct one).
"""

from __future__ import annotations

import asyncio
import binascii
import hashlib
import re
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import pybase64

from tidings.aim import covers, mp4, queries
from tidings.aim.codes import (
    FETCH_FAILED,
    MATERIAL_NOT_FOUND,
    QUOTA,
    THUMBNAIL_TOO_LARGE,
    TOO_LARGE,
    TOO_MANY_PIXELS,
    URL_EXTENSION,
    URL_SCHEME,
    WRONG_RATE,
    WRONG_TYPE,
)
from tidings.aim.layouts import IMAGE_RATES
from tidings.aim.requests import UploadMaterial
from tidings.aim.rules import rate_matches
from tidings.callbacks.transport import build_client
from tidings.config import Settings
from tidings.context import AppContext
from tidings.errors import KooError
from tidings.ids import uuid_id
from tidings.storage import MAX_PIXELS, ImageRefused, image_size, sniff
from tidings.store.dialect import insert_rows
from tidings.store.models.aim import AimMaterial
from tidings.store.models.core import AuditEvent
from tidings.store.tenants import audit_row
from tidings.timeutil import utcnow

MB = 1024 * 1024
LIMITS = {"image": 2 * MB, "video": 7 * MB, "thumbnail": 100 * 1024}
KINDS = {"image": ("png", "jpg"), "thumbnail": ("png", "jpg"), "video": ("mp4",)}
EXTENSIONS = {"png": (".png",), "jpg": (".jpg", ".jpeg"), "mp4": (".mp4",)}
MIMES = {"png": "image/png", "jpg": "image/jpeg", "mp4": "video/mp4"}
DATA_MIMES = {"image/png": "png", "image/jpeg": "jpg", "image/jpg": "jpg", "video/mp4": "mp4"}
# MAX_PIXELS (tidings.storage, 40 MP) is far above any card image (VIVO's
# largest minimum is 960x1300) and below Pillow's decompression-bomb warning.
RATE_TOLERANCE = 0.02
RECOMMENDED_SECONDS = 33
_DATA_PREFIX = re.compile(r"^data:([\w.+-]+/[\w.+-]+);base64,")


class MaterialError(KooError):
    """A refused upload: answered by the API and the CLI like any KooMessage error (400)."""


@dataclass(frozen=True, slots=True)
class Inspected:
    kind: str  # png | jpg | mp4
    mime: str
    size: int
    width: int
    height: int
    duration_ms: int
    image_rate: str | None
    sha256: str
    warning: str = ""


def new_resource_id() -> str:
    """An ``aim_resource_id`` shaped like upstream's (18 digits)."""
    return str(10**17 + secrets.randbelow(9 * 10**17))


def _limit_words(resource_type: str) -> str:
    limit = LIMITS[resource_type]
    return f"{limit // MB} MB" if limit >= MB else f"{limit // 1024} KB"


def too_large(resource_type: str, size: int) -> MaterialError:
    code = THUMBNAIL_TOO_LARGE if resource_type == "thumbnail" else TOO_LARGE
    return MaterialError(code, f"Invalid parameter file: a {resource_type} must be at most {_limit_words(resource_type)} "
                               f"({LIMITS[resource_type]} bytes); this one is {size} bytes")


def decode_stream(resource_type: str, stream: str | None, file_name: str | None) -> tuple[bytes, str | None]:
    """The bytes of a ``file_stream`` and the kind its ``data:`` prefix declares."""
    if not stream:
        raise MaterialError("KM.90016414", "Invalid parameter file_stream: required when file_type is stream")
    if not file_name or not file_name.strip():
        raise MaterialError("KM.90016414", "Invalid parameter file_name: required when file_type is stream")
    m = _DATA_PREFIX.match(stream)
    if m is None:
        raise MaterialError(WRONG_TYPE, "Invalid parameter file_stream: must start with data:<mime>;base64, (e.g. data:image/png;base64,)")
    declared = DATA_MIMES.get(m.group(1).lower())
    if declared is None or declared not in KINDS[resource_type]:
        raise MaterialError(WRONG_TYPE, f"Invalid parameter file_stream: data:{m.group(1)} is not allowed for a {resource_type} "
                                        f"({', '.join(KINDS[resource_type])})")
    encoded = stream[m.end():]
    # Refuse before decoding what cannot fit: Base64 is 4 characters per 3 bytes.
    if len(encoded) * 3 // 4 > LIMITS[resource_type] + 2:
        raise too_large(resource_type, len(encoded) * 3 // 4)
    try:
        # The standard library's rules (only the alphabet, padding only at the end),
        # decoded with SIMD: 0.2 ms for a 2 MB image instead of 5 ms.
        data = pybase64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise MaterialError(WRONG_TYPE, "Invalid parameter file_stream: not valid Base64 after the data: prefix") from None
    return data, declared


def check_url(resource_type: str, url: str | None) -> str:
    if not url:
        raise MaterialError("KM.90016414", "Invalid parameter file_url: required when file_type is url")
    if not re.match(r"^https?://", url, re.IGNORECASE):
        raise MaterialError(URL_SCHEME, "Invalid parameter file_url: the file URL must start with http or https")
    path = urlsplit(url).path.lower()
    allowed = [ext for kind in KINDS[resource_type] for ext in EXTENSIONS[kind]]
    if not path.endswith(tuple(allowed)):
        raise MaterialError(URL_EXTENSION, f"Invalid parameter file_url: must end with the file's extension ({', '.join(allowed)})")
    return url


async def fetch(client: httpx.AsyncClient, resource_type: str, url: str) -> bytes:
    """GET ``url`` (at most 3 redirects, each connection guarded), stopping past the limit."""
    limit = LIMITS[resource_type]
    try:
        async with client.stream("GET", url, follow_redirects=True) as response:
            if response.status_code != 200:
                raise MaterialError(FETCH_FAILED, f"Invalid parameter file_url: fetching it answered HTTP {response.status_code}")
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise too_large(resource_type, int(declared))
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    raise too_large(resource_type, size)
                chunks.append(chunk)
            return b"".join(chunks)
    except httpx.TooManyRedirects:
        raise MaterialError(FETCH_FAILED, "Invalid parameter file_url: more than 3 redirects") from None
    except httpx.TimeoutException:
        raise MaterialError(FETCH_FAILED, "Invalid parameter file_url: fetching it timed out") from None
    except httpx.HTTPError as exc:
        reason = str(exc) or exc.__class__.__name__
        raise MaterialError(FETCH_FAILED, f"Invalid parameter file_url: cannot fetch it ({reason})") from None


def _image_size(data: bytes) -> tuple[int, int]:
    try:
        return image_size(data, MAX_PIXELS)
    except ImageRefused as exc:
        raise MaterialError(TOO_MANY_PIXELS if exc.too_many_pixels else WRONG_TYPE, f"Invalid parameter file: {exc.reason}") from None


def inspect(resource_type: str, data: bytes, *, image_rate: str | None, file_name: str | None, declared: str | None = None) -> Inspected:
    """Judge the bytes of an upload; raise :class:`MaterialError` naming the limit."""
    if not data:
        raise MaterialError(WRONG_TYPE, "Invalid parameter file: the file is empty")
    if len(data) > LIMITS[resource_type]:
        raise too_large(resource_type, len(data))
    found = sniff(data)
    allowed = KINDS[resource_type]
    if found is None or found.kind not in allowed:
        what = f"a {found.kind} file" if found else "of an unrecognised type"
        raise MaterialError(WRONG_TYPE, f"Invalid parameter file: the content is {what}; a {resource_type} must be "
                                        f"{' or '.join(k.upper() for k in allowed)}")
    kind = found.kind
    if declared and declared != kind:
        raise MaterialError(WRONG_TYPE, f"Invalid parameter file_stream: the data: prefix says {MIMES[declared]} but the content is {MIMES[kind]}")
    if file_name and "." in file_name and not file_name.lower().endswith(EXTENSIONS[kind]):
        raise MaterialError(WRONG_TYPE, f"Invalid parameter file_name: the content is {kind.upper()}; name it *{EXTENSIONS[kind][0]}")
    width = height = duration_ms = 0
    warning = ""
    if kind == "mp4":
        try:
            duration_ms = mp4.inspect(data).duration_ms
        except mp4.Mp4Error as exc:
            raise MaterialError(WRONG_TYPE, f"Invalid parameter file: {exc}") from None
        if duration_ms > RECOMMENDED_SECONDS * 1000:
            warning = f"the video is {duration_ms / 1000:.1f} s long; at most {RECOMMENDED_SECONDS} s is recommended"
    else:
        width, height = _image_size(data)
        if resource_type == "image" and image_rate is None:
            raise MaterialError("KM.90016414", "Invalid parameter image_rate: required when resource_type is image")
        if image_rate and not rate_matches(width, height, image_rate, RATE_TOLERANCE):
            raise MaterialError(WRONG_RATE, f"Invalid parameter image_rate: the image is {width}x{height}, which is not {image_rate} "
                                            f"(within {RATE_TOLERANCE:.0%})")
    return Inspected(kind, MIMES[kind], len(data), width, height, duration_ms, image_rate, hashlib.sha256(data).hexdigest(), warning)


def storage_key(tenant_id: str, material_id: str, kind: str, yyyymm: str) -> str:
    return f"aim/{tenant_id}/{yyyymm}/{material_id}.{kind}"


# --- storing an upload -----------------------------------------------------------------------
async def read_upload(settings: Settings, body: UploadMaterial) -> tuple[bytes, str | None, str]:
    """The upload's bytes, the kind its data: prefix declares, and its file name."""
    if body.file_type == "stream":
        data, declared = decode_stream(body.resource_type, body.file_stream, body.file_name)
        return data, declared, (body.file_name or "").strip()
    url = check_url(body.resource_type, body.file_url)
    timeout = settings.aim_fetch_timeout_seconds
    async with build_client(allow_private=settings.allow_private_material_urls, connect_timeout=timeout, total_timeout=timeout,
                            max_connections=4) as client:
        client.max_redirects = 3
        data = await fetch(client, body.resource_type, url)
    name = body.file_name or urlsplit(url).path.rsplit("/", 1)[-1]
    return data, None, name


def quota_of(settings: Settings, tenant_settings: dict) -> int:
    return int(tenant_settings.get("aim_material_quota_bytes") or settings.aim_material_quota_bytes)


def _check_quota(used: int, size: int, quota: int) -> None:
    if used + size > quota:
        raise MaterialError(QUOTA, f"material space is full: {used} of {quota} bytes used (recycle bin included), this file needs {size} more; "
                                   "delete materials and wait for the recycle bin to be emptied, or ask the operator for more")


async def save(ctx: AppContext, *, tenant_id: str, tenant_settings: dict, actor: str, body: UploadMaterial) -> tuple[AimMaterial, str]:
    """Check and store one upload; returns the row and a warning ("" if none)."""
    for field, value in (("file_name", body.file_name), ("description", body.description)):
        if value and FORBIDDEN_TEXT.search(value):
            raise MaterialError("KM.00000001", f"Invalid parameter {field}: must not contain <, > or several spaces in a row")
    if body.resource_type == "image" and body.image_rate is None:
        raise MaterialError("KM.90016414", "Invalid parameter image_rate: required when resource_type is image")
    if body.resource_type == "thumbnail" and not body.material_id:
        raise MaterialError("KM.90016414", "Invalid parameter material_id: required when resource_type is thumbnail (the video's material_id)")
    quota = quota_of(ctx.settings, tenant_settings)
    async with ctx.db.read() as session:
        if body.resource_type == "thumbnail" and await queries.own_material(session, tenant_id, body.material_id or "", resource_type="video") is None:
            raise MaterialError(MATERIAL_NOT_FOUND, "Invalid parameter material_id: video material does not exist")
        used = await queries.quota_used(session, tenant_id)
    data, declared, name = await read_upload(ctx.settings, body)
    found = inspect(body.resource_type, data, image_rate=body.image_rate, file_name=name, declared=declared)
    cover = await asyncio.to_thread(covers.first_frame, data) if found.kind == "mp4" else None
    size = found.size + (len(cover.data) if cover else 0)
    _check_quota(used, size, quota)
    now = utcnow()
    material_id = uuid_id()
    key = storage_key(tenant_id, material_id, found.kind, now.strftime("%Y%m"))
    cover_id = uuid_id()
    cover_key = storage_key(tenant_id, cover_id, "jpg", now.strftime("%Y%m"))
    files = ctx.storage
    written = [key]
    try:
        await files.put(key, data)
        if cover:
            written.append(cover_key)
            await files.put(cover_key, cover.data)
        async with ctx.db.write() as session:
            _check_quota(await queries.quota_used(session, tenant_id), size, quota)  # again: a parallel upload may have landed
            primary = False
            if body.resource_type == "thumbnail":
                video = await queries.own_material(session, tenant_id, body.material_id or "", resource_type="video")
                if video is None:
                    raise MaterialError(MATERIAL_NOT_FOUND, "Invalid parameter material_id: video material does not exist")
                primary = not any(t.is_primary for t in (await queries.thumbnails_of(session, [video.id]))[video.id])
            rate = found.image_rate or (_nearest_rate(found.width, found.height) if found.width else None)
            file_name = (name or f"{material_id}.{found.kind}")[:200]
            # New rows only: one INSERT per table (store.dialect.insert_rows), no ORM flush.
            material = {"id": material_id, "tenant_id": tenant_id, "aim_resource_id": new_resource_id(), "resource_type": body.resource_type,
                        "video_id": body.material_id if body.resource_type == "thumbnail" else None, "file_name": file_name,
                        "description": body.description or "", "image_rate": rate, "kind": found.kind, "mime": found.mime, "size": found.size,
                        "width": found.width, "height": found.height, "duration_ms": found.duration_ms, "sha256": found.sha256,
                        "storage_key": key, "is_primary": primary, "is_auto_gen": False, "created_at": now, "last_used_at": now,
                        "deleted_at": None}
            rows = [material]
            if cover:
                rows.append({**material, "id": cover_id, "aim_resource_id": new_resource_id(), "resource_type": "thumbnail", "video_id": material_id,
                             "file_name": (file_name.rsplit(".", 1)[0] + "_cover.jpg")[:200], "description": "",
                             "image_rate": _nearest_rate(cover.width, cover.height), "kind": "jpg", "mime": "image/jpeg", "size": len(cover.data),
                             "width": cover.width, "height": cover.height, "duration_ms": 0, "sha256": hashlib.sha256(cover.data).hexdigest(),
                             "storage_key": cover_key, "is_primary": True, "is_auto_gen": True})
            event = audit_row(actor=actor, action="aim_material.upload", object_type="aim_material", object_id=material_id, tenant_id=tenant_id,
                              detail={"resource_type": body.resource_type, "kind": found.kind, "size": found.size, "file_type": body.file_type,
                                      "auto_cover": cover_id if cover else None}, at=now)
            await insert_rows(session, (AimMaterial.__table__, rows), (AuditEvent.__table__, [event]))
            row = AimMaterial(**material)  # what the caller answers with (not in the session)
        return row, found.warning
    except BaseException:
        for written_key in written:
            await files.delete(written_key)
        raise


def _nearest_rate(width: int, height: int) -> str | None:
    """A cover's rate when the client gave none: the listed rate it matches, if any."""
    return next((rate for rate in IMAGE_RATES if rate_matches(width, height, rate, RATE_TOLERANCE)), None)


FORBIDDEN_TEXT = re.compile(r"[<>]|  ")
