"""Materials in-process: the private-address guard of file_url, the MP4
reader, the sweeper (once a day per cluster, recycle bin and idle materials,
rows and bytes, materials of live templates kept)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from tidings.aim import materials, mp4
from tidings.aim.queries import referenced_ids
from tidings.aim.requests import UploadMaterial
from tidings.aim.sweeper import sweep_once
from tidings.config import Settings
from tidings.context import AppContext
from tidings.store.migrate import upgrade
from tidings.store.models.aim import AimMaterial, AimMaterialSweep, AimTemplate
from tidings.store.tenants import create_tenant
from tidings.timeutil import utcnow


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/a.png", "http://[::1]/a.png", "http://10.1.2.3/a.png", "http://[64:ff9b::127.0.0.1]/a.png"])
async def test_file_urls_on_private_addresses_are_refused(url):
    settings = Settings(allow_private_material_urls=False, aim_fetch_timeout_seconds=2)
    body = UploadMaterial(resource_type="image", file_type="url", file_url=url, image_rate="oneToOne")
    with pytest.raises(materials.MaterialError) as info:
        await materials.read_upload(settings, body)
    assert info.value.code == materials.FETCH_FAILED and "private" in info.value.msg


def test_mp4_reader():
    assert mp4.inspect(mp4.minimal(33_000)).duration_ms == 33_000
    with pytest.raises(mp4.Mp4Error, match="ftyp"):
        mp4.inspect(b"\x00" * 64)
    with pytest.raises(mp4.Mp4Error, match="brand"):
        mp4.inspect(mp4.minimal(1000, brand=b"qt  ")[:8] + b"qt  " + b"\x00" * 4 + b"qt  qt  " + mp4.minimal(1000)[24:])
    with pytest.raises(mp4.Mp4Error, match="moov"):
        mp4.inspect(mp4.minimal(1000)[:24])
    with pytest.raises(mp4.Mp4Error, match="past the end"):
        mp4.inspect(mp4.minimal(1000, payload=100)[:-10])


@pytest.fixture
async def ctx(tmp_path):
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path / 'aim.db'}", aim_material_idle_days=30)
    await asyncio.to_thread(upgrade, settings.db_url)
    context = AppContext.build(settings)
    yield context
    await context.db.dispose()


async def _material(ctx, tenant_id, *, kind="image", used_days_ago=0, deleted=False, video_id=None, rid=None):
    now = utcnow()
    m = AimMaterial(tenant_id=tenant_id, aim_resource_id=rid or materials.new_resource_id(), resource_type=kind, video_id=video_id,
                    file_name="x", kind="png", mime="image/png", size=10, sha256="0" * 64, storage_key="", created_at=now,
                    last_used_at=now - timedelta(days=used_days_ago), deleted_at=now if deleted else None)
    m.storage_key = materials.storage_key(tenant_id, m.aim_resource_id, "png", "202612")
    await ctx.storage.put(m.storage_key, b"0123456789")
    async with ctx.db.write() as s:
        s.add(m)
    return m


async def test_the_sweeper_purges_materials_unused_for_30_days_once_a_day(ctx):
    async with ctx.db.write() as s:
        tenant_id = (await create_tenant(s, "t")).id
    fresh = await _material(ctx, tenant_id, used_days_ago=2)
    idle = await _material(ctx, tenant_id, used_days_ago=31)
    recycled = await _material(ctx, tenant_id, deleted=True, used_days_ago=31)
    binned = await _material(ctx, tenant_id, deleted=True, used_days_ago=3)  # in the bin, still counted, not old enough
    video = await _material(ctx, tenant_id, kind="video", used_days_ago=40)
    cover = await _material(ctx, tenant_id, kind="thumbnail", video_id=video.id)
    kept = await _material(ctx, tenant_id, used_days_ago=60, rid="700000000000000001")
    async with ctx.db.write() as s:
        s.add(AimTemplate(id="600000001", tenant_id=tenant_id, name="t", card_id="StandardImageAndText", pages="[]",
                          request={"pages": [{"contents": [{"type": "image", "src_type": 1, "src": kept.aim_resource_id}]}]}))
    result = await sweep_once(ctx, worker="a")
    assert result.ran and result.purged == 4 and result.freed_bytes == 40
    async with ctx.db.read() as s:
        left = {m.id: m for m in (await s.execute(select(AimMaterial))).scalars()}
        sweep = await s.get(AimMaterialSweep, result.day)
    assert set(left) == {fresh.id, kept.id, binned.id}
    assert left[kept.id].last_used_at > utcnow() - timedelta(minutes=1)  # a live template uses it
    assert (sweep.worker, sweep.purged, sweep.freed_bytes) == ("a", 4, 40) and sweep.finished_at is not None
    root = ctx.settings.data_dir
    assert not (root / idle.storage_key).exists() and not (root / recycled.storage_key).exists() and not (root / cover.storage_key).exists()
    assert (root / fresh.storage_key).exists()
    second = await sweep_once(ctx, worker="b")
    assert not second.ran and second.day == result.day


def test_referenced_ids():
    request = {"pages": [{"contents": [
        {"src_type": 1, "src": "1", "cover": "2"}, {"src_type": 2, "src": "https://x/y.png"}, {"src_type": 1, "src": "3", "oppo_background": "4"},
    ]}]}
    assert referenced_ids(request) == {"1", "2", "3", "4"}
