"""The front door (issue 21): ``/`` links the API reference and the virtual
phone, pages have a favicon, and the served OpenAPI documents the error
answers the API really gives, in KooMessage's error body."""

from __future__ import annotations

import socket

from tests.support.harness import Server

ERROR_STATUSES = {"400", "401", "403", "409", "413", "429"}


def test_the_start_page_links_the_reference_and_the_phone(server: Server):
    with server.http() as c:
        home = c.get("/")
        assert home.status_code == 200 and home.headers["content-type"].startswith("text/html")
        for link in ('href="/docs"', 'href="/openapi.json"', 'action="/phone"'):
            assert link in home.text
        opened = c.get("/phone", params={"number": "13800138000"})
        assert opened.status_code == 303 and opened.headers["location"] == "/phone/13800138000"
        assert c.get("/docs").status_code == 200
        phone = c.get("/phone/13800138000")
        assert 'rel="icon" href="/favicon.svg"' in phone.text
        for icon in ("/favicon.svg", "/favicon.ico"):
            r = c.get(icon)
            assert r.status_code == 200 and r.headers["content-type"] == "image/svg+xml" and r.content.startswith(b"<svg")


def test_openapi_documents_the_real_error_answers(server: Server):
    with server.http() as c:
        doc = c.get("/openapi.json").json()
    assert "422" not in str(doc) and "HTTPValidationError" not in doc["components"]["schemas"]
    body = doc["components"]["schemas"]["KooError"]
    assert body["required"] == ["error_code", "error_msg"]
    assert "APIGW.0101" in doc["info"]["description"]
    documented: set[str] = set()
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            errors = {s for s in op["responses"] if s.startswith("4")}
            documented |= errors
            assert "400" in errors, f"{method} {path}"
            for status in errors:
                assert op["responses"][status]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/KooError"}
            if path.startswith(("/v1/", "/tidings/v1/")):
                assert {"401", "403", "429"} <= errors, f"{method} {path}"
            if method in ("post", "put"):
                assert "413" in errors, f"{method} {path}"
    assert documented == ERROR_STATUSES
    send = doc["paths"]["/v1/aim/sms/messages"]["post"]["responses"]
    assert "409" in send
    for upload in ("/v1/sms/signatures/files", "/tidings/v1/filings/files"):
        schema = doc["paths"][upload]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
        assert schema["properties"]["file"] == {"type": "string", "format": "binary", "description": "The document (JPEG, PNG, BMP or PDF)"}


def test_the_documented_answers_are_really_given(server: Server):
    """400, 401, 403, 404 and 413 here; 409 in test_send_idempotency, 429 in test_sdk_auth and test_send_errors."""
    tenant = server.create_tenant()

    def koo(r, status: int, code: str) -> None:
        assert r.status_code == status, r.text
        assert r.json()["error_code"] == code and r.json()["error_msg"] and r.headers["x-request-id"]

    with server.http() as c:
        koo(c.get("/v1/sms/apps"), 401, "APIGW.0301")
        koo(c.get("/v1/no-such-api"), 404, "APIGW.0101")
    with server.http(server.operator) as c:
        koo(c.get("/v1/sms/apps"), 403, "APIGW.0302")
    with server.http(tenant) as c:
        koo(c.post("/v1/sms/apps", json={"app_name": "x" * 31}), 400, "KM.00000001")
    # A declared length over 12 MB is refused before a byte of the body is sent.
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as s:
        s.sendall(b"POST /v1/sms/apps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 13000000\r\n\r\n")
        answer = b""
        while chunk := s.recv(4096):  # the server closes the connection after a 413
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413") and b'"error_code":"APIGW.0201"' in answer
