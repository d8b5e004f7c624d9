"""Helpers for the smart-message template tests: the SDK's request models from
a plain body (tidings.aim.samples), images and videos made here, a tiny file
server for material URLs."""

from __future__ import annotations

import base64
import io
import os
import struct
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from huaweicloudsdkkoomessage.v1 import (
    AimPersonalTemplateContent,
    AimPersonalTemplateContentAction,
    AimPersonalTemplateFactory,
    AimPersonalTemplatePage,
    AimPersonalTemplateParam,
    CreateAimPersonalTemplateRequest,
    CreateAimPersonalTemplateRequestBody,
    UploadAimTemplateMaterialRequest,
    UploadAimTemplateMaterialRequestBody,
)
from PIL import Image

from tests.support.harness import Server


def sdk_body(body: dict) -> CreateAimPersonalTemplateRequestBody:
    """The SDK model of a create request given as a plain dict."""
    pages = []
    for page in body["pages"]:
        contents = []
        for c in page["contents"]:
            fields = dict(c)
            if "action" in fields and fields["action"] is not None:
                fields["action"] = AimPersonalTemplateContentAction(**fields["action"])
            contents.append(AimPersonalTemplateContent(**fields))
        pages.append(AimPersonalTemplatePage(page_order=page["page_order"], contents=contents))
    fields = {k: v for k, v in body.items() if k not in ("pages", "params", "factorys")}
    return CreateAimPersonalTemplateRequestBody(
        **fields, pages=pages,
        params=[AimPersonalTemplateParam(**p) for p in body.get("params") or []] or None,
        factorys=[AimPersonalTemplateFactory(**f) for f in body.get("factorys") or []] or None,
    )


def create(sdk, body: dict) -> str:
    response = sdk.create_aim_personal_template(CreateAimPersonalTemplateRequest(body=sdk_body(body)))
    assert response.status == "200" and response.message == "success"
    return response.data["tpl_id"] if isinstance(response.data, dict) else response.data.tpl_id


def image_bytes(width: int, height: int, fmt: str = "PNG", noise: bool = False) -> bytes:
    img = Image.new("RGB", (width, height), (200, 40, 40))
    if noise:  # incompressible pixels, to reach a size
        img = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    out = io.BytesIO()
    img.save(out, fmt)
    return out.getvalue()


def real_mp4(width: int = 320, height: int = 180, frames: int = 10) -> bytes:
    """A playable MP4 (MPEG-4 Part 2 video) made with PyAV: its first frame is red."""
    import av

    out = io.BytesIO()
    with av.open(out, "w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(frames):
            frame = av.VideoFrame.from_image(Image.new("RGB", (width, height), (220, 20 + i * 20, 20)))
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A small PNG whose header claims ``width x height`` (a decompression bomb's shape)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 1024)) + chunk(b"IEND", b"")


def stream(data: bytes, mime: str) -> str:
    return f"data:{mime};base64," + base64.b64encode(data).decode()


def upload(sdk, resource_type: str, data: bytes, *, mime: str = "image/png", name: str = "card.png", image_rate: str | None = None,
           material_id: str | None = None, description: str | None = None):
    body = UploadAimTemplateMaterialRequestBody(resource_type=resource_type, file_type="stream", file_stream=stream(data, mime), file_name=name,
                                                image_rate=image_rate, material_id=material_id, description=description)
    return sdk.upload_aim_template_material(UploadAimTemplateMaterialRequest(body=body))


def upload_url(sdk, resource_type: str, url: str, image_rate: str | None = None):
    body = UploadAimTemplateMaterialRequestBody(resource_type=resource_type, file_type="url", file_url=url, image_rate=image_rate)
    return sdk.upload_aim_template_material(UploadAimTemplateMaterialRequest(body=body))


def data_of(response) -> dict:
    data = response.data
    return data if isinstance(data, dict) else data.to_dict()


def review_item(server: Server, tpl_id: str) -> dict:
    with server.admin() as c:
        r = c.get("/admin/v1/reviews", params={"object_id": tpl_id, "state": "all", "object_type": "aim_template"})
    assert r.status_code == 200, r.text
    items = r.json()["reviews"]
    assert len(items) == 1, items
    return items[0]


def decide_maker(server: Server, tpl_id: str, maker: str, decision: str, reason: str = "") -> dict:
    item = review_item(server, tpl_id)
    with server.admin() as c:
        r = c.post(f"/admin/v1/reviews/{item['review_id']}/{'approve' if decision == 'approved' else 'reject'}",
                   json={"party": maker, "reason": reason})
    assert r.status_code == 200, r.text
    return r.json()


class FileServer:
    """Serves fixed bytes at paths on 127.0.0.1; ``redirects`` maps a path to a Location."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.redirects: dict[str, str] = {}
        self.hits: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits.append(self.path)
                if self.path in outer.redirects:
                    self.send_response(302)
                    self.send_header("Location", outer.redirects[self.path])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                data = outer.files.get(self.path)
                if data is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FileServer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
