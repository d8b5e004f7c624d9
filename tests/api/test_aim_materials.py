"""Template materials through the official SDK: images, videos and covers by
stream and by URL, each limit and refusal, listing, covers, the recycle bin
and the quota; a refused upload leaves no bytes behind."""

from __future__ import annotations

from pathlib import Path

import httpx
from huaweicloudsdkkoomessage.v1 import (
    DeleteTemplateMaterialRequest,
    DeleteTemplateMaterialRequestBody,
    ListAimTemplateMaterialsRequest,
    SetPrimaryVideoThumbnailRequest,
    SetPrimaryVideoThumbnailRequestBody,
    ShowTemplateVideoThumbnailRequest,
    UploadAimTemplateMaterialRequest,
    UploadAimTemplateMaterialRequestBody,
)

from tests.api.aim_support import (
    FileServer,
    data_of,
    image_bytes,
    png_claiming,
    real_mp4,
    stream,
    upload,
    upload_url,
)
from tests.api.sms_support import koo_error
from tests.support.harness import Server
from tidings.aim import mp4


def stored_files(server: Server, tenant_id: str) -> list[Path]:
    root = server.data_dir / "aim" / tenant_id
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def stored_bytes(server: Server, tenant, material: dict) -> bytes:
    return next(p for p in stored_files(server, tenant.tenant_id) if p.stem == material["material_id"]).read_bytes()


def listing(sdk, resource_type: str = "image", offset: int = 1, limit: int = 10, **kw):
    r = sdk.list_aim_template_materials(ListAimTemplateMaterialsRequest(resource_type=resource_type, offset=offset, limit=limit, **kw))
    return data_of(r)


def test_image_upload_listing_and_every_refusal(server: Server, tenant, sdk):
    r = upload(sdk, "image", image_bytes(1600, 900), image_rate="sixteenToNine", name="banner.png", description="autumn banner")
    assert (r.status, r.message) == ("200", "success")
    got = data_of(r)
    assert len(got["aim_resource_id"]) == 18 and got["material_id"]
    jpeg = data_of(upload(sdk, "image", image_bytes(600, 600, "JPEG"), mime="image/jpeg", name="square.jpg", image_rate="oneToOne"))
    page = listing(sdk)
    assert page["page_info"] == {"offset": 1, "limit": 10, "total": 2}
    first = page["results"][0]
    assert (first["id"], first["file_name"], first["resource_type"], first["image_rate"]) == (jpeg["material_id"], "square.jpg", "image", "oneToOne")
    assert page["results"][1]["description"] == "autumn banner" and page["results"][1]["obs_file_url"].endswith(got["aim_resource_id"])
    assert listing(sdk, offset=2, limit=1)["results"][0]["id"] == got["material_id"]
    assert listing(sdk, material_id=got["material_id"])["page_info"]["total"] == 1
    assert listing(sdk, "video")["page_info"]["total"] == 0
    served = httpx.get(page["results"][1]["obs_file_url"])  # the renderer's and console's URL, no keys needed
    assert served.status_code == 200 and served.headers["content-type"] == "image/png" and served.content == stored_bytes(server, tenant, got)
    assert httpx.get(server.url + "/aim/materials/123456789012345678").status_code == 404
    files_before = stored_files(server, tenant.tenant_id)
    assert len(files_before) == 2

    big = image_bytes(1024, 1024, noise=True)  # ~3 MB of incompressible pixels
    cases = [
        (lambda: upload(sdk, "image", image_bytes(1000, 900), image_rate="sixteenToNine"), "KM.80020012", "1000x900, which is not sixteenToNine"),
        (lambda: upload(sdk, "image", big, image_rate="oneToOne"), "KM.80020010", "at most 2 MB"),
        (lambda: upload(sdk, "image", image_bytes(20, 20, "GIF"), mime="image/png", name="a.png", image_rate="oneToOne"), "KM.80020011", "gif"),
        (lambda: upload(sdk, "image", image_bytes(20, 20), mime="image/jpeg", name="a.jpg", image_rate="oneToOne"),
         "KM.80020011", "data: prefix says image/jpeg"),
        (lambda: upload(sdk, "image", image_bytes(20, 20), name="a.jpg", image_rate="oneToOne"), "KM.80020011", "name it *.png"),
        (lambda: upload(sdk, "image", image_bytes(20, 20)), "KM.90016414", "image_rate"),
        (lambda: upload(sdk, "image", png_claiming(30000, 30000), image_rate="oneToOne"), "KM.80020017", "pixels"),
        (lambda: upload(sdk, "image", png_claiming(8000, 8000), image_rate="oneToOne"), "KM.80020017", "pixels"),
        (lambda: sdk.upload_aim_template_material(UploadAimTemplateMaterialRequest(body=UploadAimTemplateMaterialRequestBody(
            resource_type="image", file_type="stream", file_stream="iVBORw0KGgo=", file_name="a.png", image_rate="oneToOne"))),
         "KM.80020011", "data:<mime>;base64,"),
        (lambda: sdk.upload_aim_template_material(UploadAimTemplateMaterialRequest(body=UploadAimTemplateMaterialRequestBody(
            resource_type="image", file_type="stream", file_stream="data:image/png;base64,@@@@", file_name="a.png", image_rate="oneToOne"))),
         "KM.80020011", "Base64"),
        (lambda: sdk.upload_aim_template_material(UploadAimTemplateMaterialRequest(body=UploadAimTemplateMaterialRequestBody(
            resource_type="image", file_type="stream", file_stream=stream(image_bytes(20, 20), "image/png"), image_rate="oneToOne"))),
         "KM.90016414", "file_name"),
    ]
    for call, code, words in cases:
        err = koo_error(call)
        assert err.status_code == 400 and err.error_code == code and words in err.error_msg, (code, err.error_msg)
    assert stored_files(server, tenant.tenant_id) == files_before
    assert listing(sdk)["page_info"]["total"] == 2


def test_videos_covers_and_the_primary_cover(server: Server, tenant, sdk):
    short = data_of(upload(sdk, "video", mp4.minimal(12_000, 1000), mime="video/mp4", name="clip.mp4"))
    r = upload(sdk, "video", mp4.minimal(40_500, 1000), mime="video/mp4", name="long.mp4")
    assert "warning: the video is 40.5 s long; at most 33 s is recommended" in r.message
    err = koo_error(lambda: upload(sdk, "video", b"\x00\x00\x00\x18ftypqt  " + b"\x00" * 100, mime="video/mp4", name="x.mp4"))
    assert err.error_code == "KM.80020011"
    err = koo_error(lambda: upload(sdk, "video", mp4.minimal(5000, 7 * 1024 * 1024), mime="video/mp4", name="big.mp4"))
    assert err.error_code == "KM.80020010" and "7 MB" in err.error_msg
    broken = mp4.minimal(5000, 10)[:40]  # ftyp without moov
    assert koo_error(lambda: upload(sdk, "video", broken, mime="video/mp4", name="cut.mp4")).error_code == "KM.80020011"

    cover1 = data_of(upload(sdk, "thumbnail", image_bytes(320, 180), material_id=short["material_id"], name="c1.png"))
    cover2 = data_of(upload(sdk, "thumbnail", image_bytes(200, 200, "JPEG"), mime="image/jpeg", material_id=short["material_id"], name="c2.jpg",
                            image_rate="oneToOne"))
    err = koo_error(lambda: upload(sdk, "thumbnail", image_bytes(300, 300, noise=True), material_id=short["material_id"]))
    assert err.error_code == "KM.80020019" and "100 KB" in err.error_msg
    assert koo_error(lambda: upload(sdk, "thumbnail", image_bytes(32, 32))).error_code == "KM.90016414"
    other = server.sdk(server.create_tenant())
    foreign = koo_error(lambda: upload(other, "thumbnail", image_bytes(32, 32), material_id=short["material_id"]))
    missing = koo_error(lambda: upload(other, "thumbnail", image_bytes(32, 32), material_id="00000000-0000-0000-0000-000000000000"))
    assert (foreign.error_code, foreign.error_msg) == (missing.error_code, missing.error_msg)

    covers = sdk.show_template_video_thumbnail(ShowTemplateVideoThumbnailRequest(aim_resource_id=short["aim_resource_id"])).data
    as_dicts = [c if isinstance(c, dict) else c.to_dict() for c in covers]
    assert [(c["id"], c["is_primary"], c["is_auto_gen"], c["image_rate"]) for c in as_dicts] == [
        (cover1["material_id"], 1, 0, "sixteenToNine"), (cover2["material_id"], 0, 0, "oneToOne")]
    assert as_dicts[0]["size"] > 0 and as_dicts[0]["domain_id"] == tenant.tenant_id
    r = sdk.set_primary_video_thumbnail(SetPrimaryVideoThumbnailRequest(body=SetPrimaryVideoThumbnailRequestBody(
        aim_resource_id=short["aim_resource_id"], thumbnail_id=cover2["material_id"])))
    assert (r.status, r.message, r.data) == ("200", "success", None)
    covers = sdk.show_template_video_thumbnail(ShowTemplateVideoThumbnailRequest(aim_resource_id=short["aim_resource_id"])).data
    assert [(c if isinstance(c, dict) else c.to_dict())["is_primary"] for c in covers] == [0, 1]
    videos = listing(sdk, "video")
    assert videos["page_info"]["total"] == 2
    listed_short = next(v for v in videos["results"] if v["id"] == short["material_id"])
    assert listed_short["thumbnail"]["id"] == cover2["material_id"]
    err = koo_error(lambda: other.show_template_video_thumbnail(ShowTemplateVideoThumbnailRequest(aim_resource_id=short["aim_resource_id"])))
    assert err.error_code == "KM.80020016"
    err = koo_error(lambda: sdk.set_primary_video_thumbnail(SetPrimaryVideoThumbnailRequest(body=SetPrimaryVideoThumbnailRequestBody(
        aim_resource_id=short["aim_resource_id"], thumbnail_id="nope"))))
    assert err.error_code == "KM.80020016"


def test_a_playable_video_gets_its_first_frame_as_cover(server: Server, tenant, sdk):
    video = data_of(upload(sdk, "video", real_mp4(), mime="video/mp4", name="promo.mp4"))
    covers = [c if isinstance(c, dict) else c.to_dict() for c in
              sdk.show_template_video_thumbnail(ShowTemplateVideoThumbnailRequest(aim_resource_id=video["aim_resource_id"])).data]
    assert [(c["is_auto_gen"], c["is_primary"], c["file_name"], c["image_rate"]) for c in covers] == [(1, 1, "promo_cover.jpg", "sixteenToNine")]
    assert 0 < covers[0]["size"] <= 100 * 1024
    jpeg = next(p for p in stored_files(server, tenant.tenant_id) if p.suffix == ".jpg").read_bytes()
    import io

    from PIL import Image

    with Image.open(io.BytesIO(jpeg)) as img:
        assert img.size == (320, 180) and img.getpixel((160, 90))[0] > 180  # the red first frame
    uploaded = data_of(upload(sdk, "thumbnail", image_bytes(320, 180), material_id=video["material_id"], name="mine.png"))
    covers = sdk.show_template_video_thumbnail(ShowTemplateVideoThumbnailRequest(aim_resource_id=video["aim_resource_id"])).data
    assert [((c if isinstance(c, dict) else c.to_dict())["is_auto_gen"], (c if isinstance(c, dict) else c.to_dict())["is_primary"])
            for c in covers] == [(1, 1), (0, 0)]
    listed = listing(sdk, "video")["results"][0]
    assert listed["thumbnail"]["is_auto_gen"] == 1 and uploaded["material_id"]


def test_uploads_by_url(server: Server, tenant, sdk):
    with FileServer() as files:
        files.files["/img/banner.png"] = image_bytes(1600, 900)
        files.files["/img/photo.JPG"] = image_bytes(400, 400, "JPEG")
        files.files["/clip.mp4"] = mp4.minimal(3000, 100)
        files.files["/img/fake.png"] = b"<html>not an image</html>"
        files.files["/img/huge.png"] = b"\x89PNG" + b"\x00" * (3 * 1024 * 1024)
        files.redirects["/go/banner.png"] = "/img/banner.png"
        assert data_of(upload_url(sdk, "image", files.url("/img/banner.png"), "sixteenToNine"))["aim_resource_id"]
        assert data_of(upload_url(sdk, "image", files.url("/img/photo.JPG"), "oneToOne"))["material_id"]
        assert data_of(upload_url(sdk, "video", files.url("/clip.mp4")))["material_id"]
        assert data_of(upload_url(sdk, "image", files.url("/go/banner.png"), "sixteenToNine"))["material_id"]
        names = {m["file_name"] for m in listing(sdk)["results"]}
        assert names == {"banner.png", "photo.JPG"}
        cases = [
            (files.url("/img/banner.gif"), "KM.80020015", "extension"),
            ("ftp://127.0.0.1/a.png", "KM.80020018", "http or https"),
            (files.url("/img/missing.png"), "KM.80020014", "HTTP 404"),
            (files.url("/img/fake.png"), "KM.80020011", "unrecognised"),
            (files.url("/img/huge.png"), "KM.80020010", "at most 2 MB"),
        ]
        for url, code, words in cases:
            err = koo_error(lambda url=url: upload_url(sdk, "image", url, "sixteenToNine"))
            assert err.error_code == code and words in err.error_msg, (url, err.error_msg)
    assert len(stored_files(server, tenant.tenant_id)) == 4


def test_recycle_bin_and_quota(server: Server):
    creds = server.create_tenant(settings={"aim_material_quota_bytes": 60_000})
    sdk = server.sdk(creds)
    a = data_of(upload(sdk, "image", image_bytes(120, 120, noise=True), image_rate="oneToOne"))
    b = data_of(upload(sdk, "image", image_bytes(60, 60, noise=True), image_rate="oneToOne"))
    r = sdk.delete_template_material(DeleteTemplateMaterialRequest(body=DeleteTemplateMaterialRequestBody(material_ids=[a["material_id"]])))
    assert (r.status, r.message) == ("200", "success")
    assert [m["id"] for m in listing(sdk)["results"]] == [b["material_id"]]
    assert httpx.get(f"{server.url}/aim/materials/{a['aim_resource_id']}").status_code == 404  # recycled: no longer served
    # The recycle bin still counts: a ~43 KB image plus ~11 KB leaves no room for another ~11 KB.
    err = koo_error(lambda: upload(sdk, "image", image_bytes(60, 60, noise=True), image_rate="oneToOne"))
    assert err.error_code == "KM.80020013" and "of 60000 bytes used" in err.error_msg
    assert len(stored_files(server, creds.tenant_id)) == 2
    other = server.sdk(server.create_tenant())
    foreign = koo_error(lambda: other.delete_template_material(DeleteTemplateMaterialRequest(body=DeleteTemplateMaterialRequestBody(
        material_ids=[b["material_id"]]))))
    missing = koo_error(lambda: other.delete_template_material(DeleteTemplateMaterialRequest(body=DeleteTemplateMaterialRequestBody(
        material_ids=["00000000-0000-0000-0000-000000000000"]))))
    assert foreign.error_code == missing.error_code == "KM.80020016"
    assert foreign.error_msg.replace(b["material_id"], "X") == missing.error_msg.replace("00000000-0000-0000-0000-000000000000", "X")
    again = koo_error(lambda: sdk.delete_template_material(DeleteTemplateMaterialRequest(body=DeleteTemplateMaterialRequestBody(
        material_ids=[a["material_id"]]))))
    assert again.error_code == "KM.80020016"
    quota = server.cli_json("aim", "quota", "--tenant", creds.name)
    assert quota["limit_bytes"] == 60_000 and 50_000 < quota["used_bytes"] <= 60_000
