"""Reading an uploaded file from a multipart request: HTTP's part of storing
documents (``tidings.storage`` keeps and checks them, knowing no HTTP)."""

from __future__ import annotations

from starlette.requests import Request

from tidings.storage import FILE_EMPTY, UploadError


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
