"""The public templates (公共模板): ready cards every tenant may use, shipped
as data in this folder.

Each ``NN-<slug>.json`` holds ``tpl_id`` (9 digits, the ``9000000NN`` block),
the ``scenario`` it serves and ``request``: an ordinary create request
(cards.md §3), so a public card passes exactly the rules a tenant's card does
(:func:`tidings.aim.rules.check_create`) and gets its stored pages from the
same :mod:`tidings.aim.pages`.  ``params[].example`` are the variable examples
the preview shows.

Pictures are ``src_type 1`` references ``pub-<name>`` to the PNG files next to
the JSON (drawn by ``tools/draw_public_images.py``); they are checked like
materials (kind and ``image_rate`` from the real pixels) and served by the
renderer's routes at ``/aim/public/<name>.png``.  Operators may add or change
public templates (admin API, ``tidings aim public``); those reference shipped
pictures the same way or full URLs (``src_type 2``).
"""

from __future__ import annotations

import functools
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from tidings.aim import pages, rules
from tidings.aim.layouts import IMAGE_RATES
from tidings.aim.requests import CreateTemplate

HERE = Path(__file__).parent
PREFIX = "pub-"
ASSET_PATH = "/aim/public/"
TPL_ID = re.compile(r"^\d{9}$")
# The tolerance of a picture's pixel ratio against its image_rate.
RATE_TOLERANCE = 0.02
_NAME = re.compile(r"^pub-([a-z0-9][a-z0-9-]{0,60})$")


class LibraryError(ValueError):
    """A public template that does not pass the create rules (names the field)."""


@dataclass(frozen=True, slots=True)
class PublicTemplate:
    tpl_id: str
    scenario: str
    request: CreateTemplate
    body: dict[str, Any]  # the request as written (what the admin API returns and stores)
    pages: str  # the stored editor-format pages (cards.md §4)

    @property
    def examples(self) -> dict[str, str]:
        return examples(self.request)


def examples(req: CreateTemplate) -> dict[str, str]:
    """``{name: example}`` of the declared parameters (``${name}`` -> ``name``)."""
    return {p.name[2:-1]: p.example for p in req.params or []}


def asset(resource_id: str) -> Path | None:
    """The shipped picture a ``pub-<name>`` reference names (None: none)."""
    m = _NAME.match(resource_id or "")
    if not m:
        return None
    path = HERE / f"{m.group(1)}.png"
    return path if path.is_file() else None


def asset_url(resource_id: str) -> str | None:
    return ASSET_PATH + resource_id[len(PREFIX):] + ".png" if asset(resource_id) else None


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise LibraryError(f"{path.name} is not a PNG file")
    return struct.unpack(">II", head[16:24])


def _rate_of(width: int, height: int) -> str | None:
    return next((rate for rate in IMAGE_RATES if rules.rate_matches(width, height, rate, RATE_TOLERANCE)), None)


def _facts(resource_id: str) -> rules.MaterialFacts | None:
    path = asset(resource_id)
    if path is None:
        return None
    width, height = png_size(path)
    return rules.MaterialFacts("image", _rate_of(width, height), width, height, False)


def check(body: dict[str, Any]) -> tuple[CreateTemplate, str]:
    """A public template's request -> (validated request, stored pages).
    Raises :class:`LibraryError` naming the field, like a tenant's create."""
    try:
        req = CreateTemplate.model_validate(body)
        checked = rules.check_create(req)
    except rules.Refusal as exc:
        raise LibraryError(exc.message) from None
    except ValueError as exc:  # pydantic's ValidationError
        raise LibraryError(str(exc)) from None
    for ref in checked.materials:
        refusal = rules.check_material(ref, _facts(ref.resource_id))
        if refusal is not None:
            raise LibraryError(refusal.message + f" (public templates use the shipped pictures {PREFIX}<name>)")
    return req, pages.to_json(req)


def parse(data: dict[str, Any], source: str = "") -> PublicTemplate:
    tpl_id = str(data.get("tpl_id", ""))
    if not TPL_ID.match(tpl_id):
        raise LibraryError(f"{source}: tpl_id must be 9 digits")
    body = data.get("request")
    if not isinstance(body, dict):
        raise LibraryError(f"{source}: request must be a create request object")
    try:
        req, stored = check(body)
    except LibraryError as exc:
        raise LibraryError(f"{source}: {exc}") from None
    return PublicTemplate(tpl_id, str(data.get("scenario", "")), req, body, stored)


@functools.cache
def library() -> dict[str, PublicTemplate]:
    """The shipped public templates by ``tpl_id``, validated (cached)."""
    out: dict[str, PublicTemplate] = {}
    for path in sorted(HERE.glob("*.json")):
        tpl = parse(orjson.loads(path.read_bytes()), path.name)
        if tpl.tpl_id in out:
            raise LibraryError(f"{path.name}: tpl_id {tpl.tpl_id} is used twice")
        out[tpl.tpl_id] = tpl
    return out
