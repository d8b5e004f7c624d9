"""The send flow with fallback (``/tidings/v1/aim/send-flows``) over real
HTTP: each fallback does what it says, the message log shows what each number
got, ``basic`` is refused clearly, a large flow runs in the background with
its progress readable, a foreign flow answers like a missing one."""

from __future__ import annotations

from tests.api.aim_send_support import FEATURE_PHONE, PARCEL, PARCEL_VALUES, AimSender, aim_sender, list_tasks, number_of
from tests.support.harness import Server
from tests.support.wait import wait_until


def flow_body(s: AimSender, mobiles: list[str], fallback: str, **over) -> dict:
    body = {"task_name": "flow", "tpl_id": PARCEL, "fallback": fallback, "mobiles": mobiles, "sms_params": ["客户"], "dync_params": PARCEL_VALUES,
            "sms_channel": {"channel_number": s.channel_num, "sms_tpl_id": s.sms_tpl, "sms_sign": s.sign, "sms_app_name": s.app_name}}
    body.update(over)
    return body


def start(server: Server, s: AimSender, body: dict):
    with server.http(s.creds) as c:
        return c.post("/tidings/v1/aim/send-flows", json=body)


def log_by_number(server: Server, s: AimSender) -> dict[str, dict]:
    with server.http(s.creds) as c:
        r = c.get("/tidings/v1/messages", params={"limit": 100})
    assert r.status_code == 200, r.text
    return {m["to"]: m for m in r.json()["messages"]}


def mixed() -> tuple[str, str, str, str]:
    # PARCEL is active at HUAWEI and XIAOMI: an OPPO handset shows cards, but not this one.
    return number_of("HUAWEI"), number_of("OPPO"), FEATURE_PHONE, "12345"


def test_fallback_sms_sends_the_unsupported_numbers_a_plain_sms_with_their_link(server: Server):
    s = aim_sender(server)
    huawei, oppo, feature, bad = mixed()
    r = start(server, s, flow_body(s, [huawei, oppo, feature, bad], "sms"))
    assert r.status_code == 200, r.text
    flow = r.json()
    assert (flow["state"], flow["total"], flow["processed"], flow["support_resolve_count"]) == ("done", 4, 4, 1)
    assert flow["counts"] == {"aim": 1, "sms": 2, "none": 0, "invalid": 1, "refused": 0}

    log = log_by_number(server, s)
    assert set(log) == {huawei, oppo, feature}
    assert log[huawei]["product"] == "aim" and log[huawei]["aim_tpl_id"] == PARCEL and "/s/" in log[huawei]["aim_url"]
    for n in (oppo, feature):
        assert (log[n]["product"], log[n]["aim_url"]) == ("sms", None)
    with server.http(s.creds) as c:
        texts = {n: c.get(f"/tidings/v1/messages/{log[n]['msg_id']}").json()["text"] for n in (huawei, oppo)}
        numbers = c.get(f"/tidings/v1/aim/send-flows/{flow['flow_id']}/numbers").json()["numbers"]
    assert "/s/" in texts[oppo] and texts[oppo].startswith(f"【{s.sign}】客户您好")  # the link opens the card page in a browser
    assert [(n["mobile"], n["outcome"]) for n in numbers] == [(huawei, "aim"), (oppo, "sms"), (feature, "sms"), (bad, "invalid")]
    # The flow's send task counts the capable numbers for real (an API task says -1).
    task = list_tasks(s).aim_send_tasks[0]
    assert (task.support_resolve_count, task.send_count, task.submission_count) == (1, 1, 3)


def test_fallback_none_sends_only_the_supported_numbers(server: Server):
    s = aim_sender(server)
    huawei, oppo, feature, bad = mixed()
    r = start(server, s, flow_body(s, [huawei, oppo, feature, bad], "none"))
    assert r.status_code == 200, r.text
    assert r.json()["counts"] == {"aim": 1, "sms": 0, "none": 2, "invalid": 1, "refused": 0}
    log = log_by_number(server, s)
    assert set(log) == {huawei} and log[huawei]["product"] == "aim"


def test_basic_is_refused_clearly_and_refusals_write_nothing(server: Server):
    s = aim_sender(server)
    for body, named in [
        (flow_body(s, [number_of(None)], "basic"), "not available yet"),
        (flow_body(s, [number_of(None)], "video"), "fallback"),
        (flow_body(s, [number_of(None)], "sms", sms_params=[]), "sms_params"),
        (flow_body(s, [number_of(None)], "sms", dync_params={"name": "x"}), "dync_params"),
        # The same values go to every number of a flow: a control character refuses it whole.
        (flow_body(s, [number_of(None)], "sms", sms_params=["客户\x07"]), "sms_params[0]"),
        (flow_body(s, [number_of(None)], "sms", dync_params=dict(PARCEL_VALUES, name="a\x1b")), "dync_params"),
        (flow_body(s, [number_of(None)], "sms", tpl_id="123456789"), "123456789"),
        (flow_body(s, [], "sms"), "mobiles"),
    ]:
        r = start(server, s, body)
        assert r.status_code == 400 and named in r.json()["error_msg"], (named, r.text)
    assert log_by_number(server, s) == {} and list_tasks(s).page_info.total == 0


def test_a_large_flow_runs_in_the_background_with_progress(server: Server):
    s = aim_sender(server)
    mobiles = [f"1360{i:07d}" for i in range(1200)]
    r = start(server, s, flow_body(s, mobiles, "none"))
    assert r.status_code == 202, r.text
    flow_id = r.json()["flow_id"]
    seen: list[int] = []

    def done():
        with server.http(s.creds) as c:
            f = c.get(f"/tidings/v1/aim/send-flows/{flow_id}").json()
        seen.append(f["processed"])
        return f if f["state"] == "done" else None

    f = wait_until(done, 120, interval=0.2, what="the flow to finish")
    assert f["processed"] == 1200 and sum(f["counts"].values()) == 1200 and f["counts"]["aim"] == f["support_resolve_count"] > 0
    assert seen == sorted(seen)
    other = aim_sender(server)
    with server.http(other.creds) as c:
        theirs = c.get(f"/tidings/v1/aim/send-flows/{flow_id}")
        missing = c.get("/tidings/v1/aim/send-flows/00000000-0000-0000-0000-000000000000")
    assert theirs.status_code == missing.status_code and theirs.json()["error_code"] == missing.json()["error_code"] == "TD.00000404"


def test_tidings_aim_send_starts_a_flow_the_server_runs(server: Server, tmp_path):
    s = aim_sender(server)
    huawei, oppo = number_of("HUAWEI"), number_of("OPPO")
    path = tmp_path / "numbers.txt"
    path.write_text(f"{huawei}\n{oppo}\n")
    out = server.cli_json("aim", "send", "--tenant", s.creds.name, "--tpl-id", PARCEL, "--app", s.app_name, "--sign", s.sign,
                          "--channel-number", s.channel_num, "--sms-tpl-id", s.sms_tpl, "--mobiles", str(path), "--fallback", "sms",
                          "--sms-param", "客户", *[a for k, v in PARCEL_VALUES.items() for a in ("--param", f"{k}={v}")], "--wait")
    assert (out["state"], out["counts"]["aim"], out["counts"]["sms"], out["support_resolve_count"]) == ("done", 1, 1, 1)
    assert server.cli_json("aim", "flow", out["flow_id"], "--tenant", s.creds.name)["processed"] == 2
    log = log_by_number(server, s)
    assert (log[huawei]["product"], log[oppo]["product"]) == ("aim", "sms")
    bad = server.cli("aim", "send", "--tenant", s.creds.name, "--tpl-id", PARCEL, "--app", s.app_name, "--sign", s.sign,
                     "--channel-number", s.channel_num, "--sms-tpl-id", s.sms_tpl, "--mobiles", str(path), "--fallback", "basic", check=False)
    assert bad.returncode == 1 and "not available yet" in bad.stderr


def test_a_flow_left_by_a_dead_runner_is_taken_over_from_the_database(server: Server):
    """A flow stored by a process that died (its lease ran out) is claimed by the
    server's runner and finished, every number once."""
    import asyncio

    from sqlalchemy import update

    from tidings.aim import flows, sending
    from tidings.config import Settings
    from tidings.installed import build_context
    from tidings.store.models.aim_send import AimSendFlow
    from tidings.timeutil import utcnow

    s = aim_sender(server)
    mobiles = [f"1361{i:07d}" for i in range(700)]  # two chunks

    async def leave_behind() -> str:
        ctx = build_context(Settings(data_dir=server.data_dir, database_url=server.db_url))
        try:
            inp = flows.FlowInput(task_name="orphan", tpl_id=PARCEL, channel=sending.SmsChannel(s.app_name, s.sign, s.channel_num, s.sms_tpl),
                                  fallback="sms", mobiles=mobiles, sms_params=["客户"], dync_params=PARCEL_VALUES)
            flow_id = await flows.create(ctx, s.creds.tenant_id, inp, holder="a-runner-that-died")
            async with ctx.db.write() as session:
                await session.execute(update(AimSendFlow).where(AimSendFlow.id == flow_id).values(lease_until=utcnow() - flows.LEASE))
            return flow_id
        finally:
            await ctx.db.dispose()

    flow_id = asyncio.run(leave_behind())

    def done():
        with server.http(s.creds) as c:
            f = c.get(f"/tidings/v1/aim/send-flows/{flow_id}").json()
        return f if f["state"] == "done" else None

    f = wait_until(done, 120, interval=0.2, what="the orphaned flow to be taken over and finished")
    assert f["processed"] == 700 and f["counts"]["aim"] + f["counts"]["sms"] == 700
    with server.http(s.creds) as c:
        total = c.get("/tidings/v1/messages", params={"limit": 1}).json()["page_info"]["total"]
    assert total == 700  # every number exactly once


def test_a_flow_that_keeps_crashing_ends_as_failed_with_the_reason(server: Server):
    """A flow whose runner keeps raising, or keeps dying while holding it, is
    not retried for ever: at MAX_CRASHES in a row it ends failed, saying why,
    and sends nothing more."""
    import asyncio

    from sqlalchemy import update

    from tidings.aim import flows, sending
    from tidings.config import Settings
    from tidings.installed import build_context
    from tidings.store.models.aim_send import AimSendFlow
    from tidings.timeutil import utcnow

    s = aim_sender(server)
    mobiles = [number_of(None) for _ in range(3)]

    async def leave_behind() -> tuple[str, str]:
        ctx = build_context(Settings(data_dir=server.data_dir, database_url=server.db_url))
        try:
            inp = flows.FlowInput(task_name="crash", tpl_id=PARCEL, channel=sending.SmsChannel(s.app_name, s.sign, s.channel_num, s.sms_tpl),
                                  fallback="none", mobiles=mobiles, sms_params=["客户"], dync_params=PARCEL_VALUES)
            raising = await flows.create(ctx, s.creds.tenant_id, inp, holder="this-test")
            dying = await flows.create(ctx, s.creds.tenant_id, inp, holder="a-runner-that-died-twice")
            async with ctx.db.write() as session:
                # A spec the runner cannot read: every try raises.
                await session.execute(update(AimSendFlow).where(AimSendFlow.id == raising).values(
                    spec={"task_name": "crash", "tpl_id": PARCEL, "channel": {"bogus": 1}, "days": 7, "sms_params": [], "dync_params": None},
                    state=flows.QUEUED, holder=None, lease_until=None))
                await session.execute(update(AimSendFlow).where(AimSendFlow.id == dying).values(
                    lease_until=utcnow() - flows.LEASE, crashes=flows.MAX_CRASHES - 1))
            return raising, dying
        finally:
            await ctx.db.dispose()

    raising, dying = asyncio.run(leave_behind())

    def ended(flow_id: str):
        def check():
            with server.http(s.creds) as c:
                f = c.get(f"/tidings/v1/aim/send-flows/{flow_id}").json()
            return f if f["state"] in ("done", "failed") else None
        return check

    f = wait_until(ended(raising), 120, interval=0.2, what="the crashing flow to end")
    assert f["state"] == "failed" and f["finish_time"], f
    assert f"{flows.MAX_CRASHES} crashes in a row" in f["error"] and "TypeError" in f["error"], f["error"]
    f = wait_until(ended(dying), 120, interval=0.2, what="the flow whose runner kept dying to end")
    assert f["state"] == "failed" and "died holding it" in f["error"], f["error"]
    assert f["processed"] == 0 and log_by_number(server, s) == {}
