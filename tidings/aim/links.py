"""Resolve tasks and their short links (openapi.json ``/v1/aim/resolve-*``).

A link is ``<domain>/s/<code>``.  Standard codes are 8 random base62
characters from :mod:`secrets` (62^8 ≈ 2.2·10^14: guessing one among a
billion live links takes ~10^5 tries, and unknown-code lookups are rate
limited on the card page); custom codes (``generation_type "2"``) are the
tenant's, on an operator-registered ``custom`` domain.  ``(domain, code)`` is
unique in the database, so a code is never handed out twice.

:func:`plan` is the pure part (request + what the database said -> rows and
per-row results); :func:`mint` writes one task and its links in the caller's
transaction.  The send flow (tidings/aim/ send tasks) calls :func:`mint` for
its individual links too, with its own ``task_name``.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import and_, exists, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tidings.aim import codes
from tidings.domain.text import RULE, forbidden_character
from tidings.ids import uuid_id
from tidings.store.dialect import executemany
from tidings.store.models.aim import AimDomain, AimLink, AimParse, AimResolveTask, AimTemplate
from tidings.timeutil import wire_z

ALPHABET = string.ascii_letters + string.digits
CODE_LENGTH = 8
PATH = "/s/"
GROUP, INDIVIDUAL = "group", "individual"
SHORT, CUSTOM, LANDING = "short", "custom", "landing"
DOMAIN_KINDS = (SHORT, CUSTOM, LANDING)
GROUP_TIMES = (2, 10_000_000)
GROUP_DAYS = (1, 180)
INDIVIDUAL_DAYS = (1, 7)
MAX_LINKS = 100

OK = "0"  # result_code of a minted link; the refusals are in codes.py


# Random bytes to base62 without bias: 248 = 4 x 62, so each byte below 248 maps
# to ALPHABET[byte % 62] with equal odds and the 8 bytes from 248 up are dropped.
_BASE62 = bytes(ord(ALPHABET[b % 62]) for b in range(248)) + bytes(8)
_ABOVE = bytes(range(248, 256))


def new_codes(n: int) -> list[str]:
    """``n`` standard codes from one draw of the operating system's CSPRNG
    (:func:`secrets.token_bytes`), not ``8 x n`` calls of ``secrets.choice``."""
    text = ""
    need = n * CODE_LENGTH
    while len(text) < need:
        text += secrets.token_bytes(need - len(text) + need // 32 + 8).translate(_BASE62, _ABOVE).decode("ascii")
    return [text[i : i + CODE_LENGTH] for i in range(0, need, CODE_LENGTH)]


def new_code() -> str:
    return new_codes(1)[0]


def aim_url(domain: str, code: str) -> str:
    return f"{domain}{PATH}{code}"


def default_domain(base_url: str, extra: Mapping[str, Any]) -> str:
    """``[extra] aim_link_domain`` (a real short domain pointed at Tidings), or
    the host:port the server is reached at (embedded: 127.0.0.1:8000)."""
    configured = str(extra.get("aim_link_domain") or "").strip().strip("/")
    return configured or urlsplit(base_url).netloc


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


@dataclass(slots=True)
class Request:
    """A validated create request (field limits already checked by the router)."""

    tpl_id: str
    sms_signs: list[str]
    code_type: str
    generation_type: str
    domain: str
    resolving_times: int
    days: int
    params: list[dict]  # cust_flag, dync_params, custom_url, custom_short_code
    task_name: str = ""


@dataclass(slots=True)
class Facts:
    """What the database says about a request: template parameter names,
    landing domains allowed, custom codes already taken on the domain."""

    param_names: tuple[str, ...]
    landing: frozenset[str]
    taken: frozenset[str] = frozenset()


@dataclass(slots=True)
class Planned:
    task: dict
    links: list[dict] = field(default_factory=list)


def bad_param(dync_params: Mapping[str, str] | None) -> str | None:
    """Why ``dync_params`` cannot fill a card (a name or value carrying a control
    character other than line feed, a bidirectional override or a lone
    surrogate: tidings/domain/text.py), or None.  Refused per link, like the
    SMS send operations refuse ``template_params`` per number."""
    if not dync_params or forbidden_character("".join(f"{k}{v}" for k, v in dync_params.items())) is None:
        return None  # the usual case: one search over all names and values
    for name, value in dync_params.items():
        for what, text in ((f"dync_params name {name!r}", name), (f"dync_params.{name}", value)):
            if isinstance(text, str) and (found := forbidden_character(text)) is not None:
                return f"{what} {RULE} (found {found})"
    return None


def _refuse(row: dict, code: str, message: str) -> None:
    row.update(code=None, result_code=code, error_message=message[:255])


def plan(req: Request, facts: Facts, *, tenant_id: str, now: datetime, fresh_codes: Sequence[str] | None = None) -> Planned:
    """The task and one row per requested link; a row that cannot be made is
    kept with its ``result_code`` and ``error_message`` (code None)."""
    times = req.resolving_times if req.code_type == GROUP else 1
    task = {"id": None, "tenant_id": tenant_id, "tpl_id": req.tpl_id, "task_name": req.task_name, "code_type": req.code_type,
            "generation_type": req.generation_type, "domain": req.domain, "sms_signs": list(req.sms_signs),
            "resolving_times": times, "expiration_days": req.days, "created_at": now}
    out = Planned(task)
    expires = now + timedelta(days=req.days)
    seen_flags: set[str] = set()
    seen_codes: set[str] = set()
    fresh = iter(fresh_codes if fresh_codes is not None else new_codes(len(req.params)))
    for p in req.params:
        flag = p["cust_flag"]
        custom_url = p.get("custom_url") or None
        wanted = p.get("custom_short_code") if req.generation_type == "2" else None
        row = {"id": None, "task_id": None, "tenant_id": tenant_id, "tpl_id": req.tpl_id, "domain": req.domain, "cust_flag": flag,
               "dync_params": p.get("dync_params") or None, "custom_url": custom_url if req.generation_type != "2" else None,
               "custom_short_code": wanted, "result_code": OK, "error_message": "", "resolving_times": times, "resolved_times": 0,
               "failed_times": 0, "resolved_at": None, "created_at": now, "expires_at": expires, "code": None}
        out.links.append(row)
        missing = [n for n in facts.param_names if n not in (p.get("dync_params") or {})]
        if req.code_type == INDIVIDUAL and flag in seen_flags:
            _refuse(row, codes.FLAG_REPEATED, f"cust_flag {flag} appears more than once in this task")
        elif missing:
            _refuse(row, codes.PARAM_MISSING, f"dync_params lacks {', '.join(missing)} declared by template {req.tpl_id}")
        elif (bad := bad_param(p.get("dync_params"))) is not None:
            _refuse(row, codes.PARAM_CHARACTERS, bad)
        elif row["custom_url"] and host_of(row["custom_url"]) not in facts.landing:
            _refuse(row, codes.LANDING_NOT_REGISTERED, f"custom_url domain {host_of(row['custom_url'])} is not a registered landing domain")
        elif req.generation_type == "2" and not wanted:
            _refuse(row, codes.CODE_MISSING, "custom_short_code is required when generation_type is 2")
        elif wanted and (wanted in facts.taken or wanted in seen_codes):
            _refuse(row, codes.CODE_TAKEN, f"custom_short_code {wanted} is already used on {req.domain}")
        else:
            row["code"] = wanted or next(fresh)
            seen_codes.add(row["code"])
        seen_flags.add(flag)
    return out


# --- database --------------------------------------------------------------------------------------
async def domain_registered(session: AsyncSession, tenant_id: str, name: str, kind: str) -> bool:
    q = select(AimDomain.id).where(AimDomain.name == name.lower(), AimDomain.kind == kind,
                                   or_(AimDomain.tenant_id.is_(None), AimDomain.tenant_id == tenant_id))
    return (await session.execute(q.limit(1))).first() is not None


async def landing_domains(session: AsyncSession, tenant_id: str, hosts: set[str]) -> frozenset[str]:
    if not hosts:
        return frozenset()
    q = select(AimDomain.name).where(AimDomain.kind == LANDING, AimDomain.name.in_(hosts),
                                     or_(AimDomain.tenant_id.is_(None), AimDomain.tenant_id == tenant_id))
    return frozenset(code for code in (await session.execute(q)).scalars() if code is not None)


async def taken_codes(session: AsyncSession, domain: str, wanted: set[str]) -> frozenset[str]:
    if not wanted:
        return frozenset()
    q = select(AimLink.code).where(AimLink.domain == domain, AimLink.code.in_(wanted))
    return frozenset(code for code in (await session.execute(q)).scalars() if code is not None)


_TASK_INSERT = insert(AimResolveTask.__table__)
_LINK_INSERT = insert(AimLink.__table__)


async def mint(session: AsyncSession, planned: Planned) -> str:
    """Write the task and its rows (one statement each, the rows as one
    driver executemany).  A random code that collides makes the unique index
    refuse; the caller retries the whole transaction with fresh codes."""
    task_id = uuid_id()
    planned.task["id"] = task_id
    await executemany(session, _TASK_INSERT, [planned.task])
    for row, link_id in zip(planned.links, uuid_ids(len(planned.links)), strict=True):
        row["id"], row["task_id"] = link_id, task_id
    await executemany(session, _LINK_INSERT, planned.links)
    return task_id


def uuid_ids(n: int) -> list[str]:
    """``n`` version-4 UUID strings from one draw of the CSPRNG (what ``str(uuid4())`` makes)."""
    raw = secrets.token_bytes(16 * n)
    out = []
    for i in range(0, 16 * n, 16):
        h = raw[i : i + 16].hex()
        out.append(f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}")
    return out


def link_views(rows: Sequence[Mapping[str, Any]], tenant_id: str) -> list[dict[str, Any]]:
    """The links of one create request as it answers them (:func:`link_view`,
    with the dates the rows share formatted once)."""
    times = TimeMemo()
    out = []
    for row in rows:
        code = row["code"]
        view: dict[str, Any] = {"cust_flag": row["cust_flag"], "cust_id": tenant_id}
        if row["dync_params"]:
            view["dync_params"] = row["dync_params"]
        if row["custom_url"] is not None:
            view["custom_url"] = row["custom_url"]
        if code:
            view["aim_url"] = f"{row['domain']}{PATH}{code}"
            view["aim_code"] = code
        view["result_code"] = row["result_code"]
        if row["error_message"]:
            view["error_message"] = row["error_message"]
        view["generate_date"] = times[row["created_at"]]
        view["expire_date"] = times[row["expires_at"]]
        view["custom_short_code"] = row["custom_short_code"]
        out.append(view)
    return out


class TimeMemo(dict):
    """wire_z with a memo: a batch of links shares its creation and expiry times."""

    def __missing__(self, dt: datetime) -> str:
        text = self[dt] = wire_z(dt)
        return text


def link_view(row: Mapping[str, Any], tenant_id: str, *, listing: bool = False) -> dict[str, Any]:
    """One link as ``create_resolve_task`` / ``list_resolve_tasks`` show it."""
    code = row["code"]
    out: dict[str, Any] = {
        "cust_flag": row["cust_flag"],
        "cust_id": tenant_id,
        "dync_params": row["dync_params"] or None,
        "custom_url": row["custom_url"],
        "aim_url": aim_url(row["domain"], code) if code else None,
        "aim_code": code,
        "result_code": row["result_code"],
        "error_message": row["error_message"] or ("-" if listing else None),
        "generate_date": wire_z(row["created_at"]),
        "expire_date": wire_z(row["expires_at"]),
        "custom_short_code": row["custom_short_code"],
    }
    if listing:
        out["resolved_date"] = wire_z(row["resolved_at"]) or None
        out["resolved_times"] = row["resolved_times"]
    return {k: v for k, v in out.items() if v is not None or k in ("custom_short_code",)}


# --- lists ---------------------------------------------------------------------------------------------
@dataclass(slots=True)
class LinkFilter:
    task_id: str | None = None
    task_name: str | None = None
    tpl_id: str | None = None
    tpl_name: str | None = None
    cust_flag: str | None = None
    aim_url: str | None = None
    sms_sign: str | None = None
    resolved_status: str | None = None
    begin: datetime | None = None
    end: datetime | None = None


def parse_url(url: str) -> tuple[str, str] | None:
    text = url.strip()
    for prefix in ("https://", "http://"):
        if text.lower().startswith(prefix):
            text = text[len(prefix):]
    if PATH in text:
        domain, _, code = text.partition(PATH)
    elif "/" in text:
        domain, _, code = text.rpartition("/")
    else:
        return None
    return (domain.lower(), code) if domain and code else None


SUCCESS, FAIL, UNRESOLVED = "success", "fail", "unresolved"


def resolved_status(resolved_times: int, failed_times: int) -> str:
    return SUCCESS if resolved_times else (FAIL if failed_times else UNRESOLVED)


async def list_links(session: AsyncSession, tenant_id: str, f: LinkFilter, offset: int, limit: int) -> tuple[list[Any], int]:
    """Links (joined with their task and template name), newest first."""
    L, T = AimLink.__table__.c, AimResolveTask.__table__.c
    conds = [L.tenant_id == tenant_id]
    if f.task_id:
        conds.append(L.task_id == f.task_id)
    if f.task_name:
        conds.append(T.task_name == f.task_name)
    if f.tpl_id:
        conds.append(L.tpl_id == f.tpl_id)
    if f.tpl_name:
        conds.append(L.tpl_id.in_(select(AimTemplate.id).where(AimTemplate.name == f.tpl_name)))
    if f.cust_flag:
        conds.append(L.cust_flag == f.cust_flag)
    if f.aim_url:
        parsed = parse_url(f.aim_url)
        if parsed is None:
            return [], 0
        conds.extend([L.domain == parsed[0], L.code == parsed[1]])
    if f.sms_sign:
        conds.append(exists().where(AimParse.link_id == L.id, AimParse.sms_sign == f.sms_sign))
    if f.resolved_status == SUCCESS:
        conds.append(L.resolved_times > 0)
    elif f.resolved_status == FAIL:
        conds.extend([L.resolved_times == 0, L.failed_times > 0])
    elif f.resolved_status == UNRESOLVED:
        conds.extend([L.resolved_times == 0, L.failed_times == 0])
    if f.begin is not None and f.end is not None:
        conds.extend([L.created_at >= f.begin, L.created_at <= f.end])
    joined = AimLink.__table__.join(AimResolveTask.__table__, T.id == L.task_id)
    where = and_(*conds)
    total = int((await session.execute(select(func.count()).select_from(joined).where(where))).scalar_one())
    if offset + limit > 10_000 or offset >= total:
        return [], total
    rows = (await session.execute(
        select(*L, T.task_name, T.code_type, T.sms_signs, T.resolving_times.label("task_times"), T.expiration_days,
               T.domain.label("task_domain"))
        .select_from(joined).where(where).order_by(L.created_at.desc(), L.id).offset(offset).limit(limit)
    )).mappings().all()
    return list(rows), total


async def template_names(session: AsyncSession, tpl_ids: set[str]) -> dict[str, str]:
    if not tpl_ids:
        return {}
    return dict((await session.execute(select(AimTemplate.id, AimTemplate.name).where(AimTemplate.id.in_(tpl_ids)))).all())
