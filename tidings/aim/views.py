"""How smart-message templates and materials look on the wire and to
operators (the API, the CLI, the preview and the public-template admin show
the same thing), and the paths that serve them."""

from __future__ import annotations

from typing import Any

from tidings.aim.layouts import MAKER_WIRE
from tidings.security import SecretBox
from tidings.store.models.aim import AimMaterial, AimTemplate, AimTemplateMaker
from tidings.timeutil import wire_z


def ok(data: object = None, message: str = "success") -> dict:
    """The envelope of the template operations' answers."""
    return {"status": "200", "message": message, "data": data}


PREVIEW_PATH = "/aim/preview/{tpl_id}"


PREVIEW_PURPOSE = "aim-preview"


def preview_token(box: SecretBox, tpl_id: str) -> str:
    """The preview link's token (tidings/aim/preview.py): a MAC of the id."""
    return box.token(PREVIEW_PURPOSE, tpl_id)


def preview_url(base_url: str, box: SecretBox, tpl_id: str) -> str:
    return base_url.rstrip("/") + PREVIEW_PATH.format(tpl_id=tpl_id) + "?token=" + preview_token(box, tpl_id)


MATERIAL_PATH = "/aim/materials/{aim_resource_id}"


def material_url(base_url: str, m: AimMaterial) -> str:
    """Where the console and the renderer fetch a material (served only to them)."""
    return base_url.rstrip("/") + MATERIAL_PATH.format(aim_resource_id=m.aim_resource_id)


def factory_info(makers: list[AimTemplateMaker]) -> list[dict[str, Any]]:
    return [{"factory_type": MAKER_WIRE[m.maker], "state": m.state, "version": m.version} for m in makers]


def template_view(tpl: AimTemplate, makers: list[AimTemplateMaker], base_url: str, box: SecretBox, *, only_status: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "tpl_id": tpl.id, "tpl_name": tpl.name, "scene": tpl.scene, "tpl_state": tpl.tpl_state, "disable_desc": tpl.disable_desc,
        "disable_time": wire_z(tpl.disable_time) or "1970-01-01T00:00:00Z", "audit_state": tpl.audit_state, "audit_desc": tpl.audit_desc,
        "description": tpl.sms_example, "creation_time": wire_z(tpl.created_at), "update_time": wire_z(tpl.updated_at),
        "factory_info": factory_info(makers),
        "match_type": tpl.match_type, "card_id": tpl.card_id, "sub_type": tpl.sub_type, "preview_url": preview_url(base_url, box, tpl.id),
    }
    if not only_status:
        out["pages"] = tpl.pages
        out["params"] = [{"type": "string", "name": p["key"], "has_length": True, "fix_length": 0, "length_restrict": True,
                          "min_length": 1, "max_length": 100} for p in tpl.params]
    return out


def material_view(m: AimMaterial, base_url: str, thumbnail: AimMaterial | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": m.id, "created_at": m.created_at.strftime("%Y-%m-%d %H:%M:%S.0"), "resource_type": m.resource_type, "file_name": m.file_name,
        "aim_resource_id": m.aim_resource_id, "obs_object_key": m.storage_key.rsplit("/", 1)[-1],
        "obs_file_url": material_url(base_url, m), "image_rate": m.image_rate, "description": m.description or None,
    }
    if m.resource_type == "video":
        out["thumbnail"] = thumbnail_view(thumbnail, base_url) if thumbnail else None
    else:
        out["thumbnail"] = None
    return out


def thumbnail_view(t: AimMaterial, base_url: str) -> dict[str, Any]:
    return {"id": t.id, "created_at": t.created_at.strftime("%Y-%m-%d %H:%M:%S.0"), "is_primary": int(t.is_primary), "resource_type": "image",
            "file_name": t.file_name, "aim_resource_id": t.aim_resource_id, "obs_object_key": t.storage_key.rsplit("/", 1)[-1],
            "obs_file_url": material_url(base_url, t), "image_rate": t.image_rate, "is_auto_gen": int(t.is_auto_gen),
            "description": t.description or None, "size": t.size}
