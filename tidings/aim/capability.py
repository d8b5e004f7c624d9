"""The capability registry: which handset maker shows cards for a number.

Every number is keyed by the SHA1 hex of ``86`` + its national number, the
form ``encryption_alg: SHA1`` sends, so a plain check and a hashed check of
the same handset meet on one key and the registry never needs the plain
number.

A key's maker comes from, in order:
1. an operator's import (``aim_capabilities``; ``maker`` empty = known
   incapable), through ``POST /admin/v1/aim/capabilities`` or
   ``tidings aim capability import``;
2. the sandbox rule: the feature-phone block ``17000001000``–``17000001999``
   is incapable (docs/sandbox.md); every other handset shows cards of the
   maker chosen by the first byte of its key (:data:`SANDBOX_SPLIT`).

With a template, a number is supported only where the template is active
(approved and enabled) at that number's maker.  :func:`check_keys` is the
batch entry point the send flow reuses for up to 1,000,000 numbers; the pure
parts (:func:`key_of`, :func:`sandbox_maker`, :func:`verdicts`) have no I/O.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tidings.aim.layouts import MAKERS
from tidings.channels.sandbox.magic import FEATURE_PHONES
from tidings.store.dialect import chunks, dialect_insert
from tidings.store.models.aim import AimCapability
from tidings.timeutil import utcnow

NONE, SHA1 = "NONE", "SHA1"
# First byte of the key -> maker: [0, 96) HUAWEI, [96, 128) XIAOMI, [128, 160) OPPO,
# [160, 192) VIVO, [192, 224) MEIZU, [224, 256) SAMSUNG.  HUAWEI (most public
# templates' only maker) gets the largest share, as on the market.
SANDBOX_SPLIT: tuple[tuple[int, str], ...] = ((96, "HUAWEI"), (128, "XIAOMI"), (160, "OPPO"), (192, "VIVO"), (224, "MEIZU"), (256, "SAMSUNG"))
_MAKER_OF_BYTE = tuple(next(m for bound, m in SANDBOX_SPLIT if b < bound) for b in range(256))
_SHA1_HEX = re.compile(r"[0-9a-fA-F]{40}")
_CN_MOBILE = re.compile(r"1\d{10}")
LOOKUP_CHUNK = 2000  # keys per IN (...) query: under both databases' parameter limits


def _digest(e164: str) -> str:
    return hashlib.sha1(e164.encode()).hexdigest()


_FEATURE_KEYS = frozenset(_digest(f"86{n}") for n in range(int(FEATURE_PHONES[0]), int(FEATURE_PHONES[1]) + 1))


def national_cn(raw: str) -> str | None:
    """The 11-digit mainland number in any spelling the contract allows
    (``131…``, ``86131…``, ``0086131…``, ``+86131…``), else None."""
    s = raw.strip()
    if s.startswith("+"):
        s = s[1:]
    elif s.startswith("0086"):
        s = s[2:]
    if len(s) == 13 and s.startswith("86"):
        s = s[2:]
    return s if _CN_MOBILE.fullmatch(s) else None


def key_of(raw: str, alg: str = NONE) -> str | None:
    """The registry key of one number as sent, or None when it is not one
    (a plain number that is no mainland mobile, a malformed digest)."""
    if alg == SHA1:
        s = raw.strip()
        return s.lower() if _SHA1_HEX.fullmatch(s) else None
    national = national_cn(raw)
    return _digest("86" + national) if national else None


def sandbox_maker(key: str) -> str | None:
    """The sandbox rule for a key with no registry row."""
    if key in _FEATURE_KEYS:
        return None
    return _MAKER_OF_BYTE[int(key[:2], 16)]


def maker_of(key: str | None, imported: Mapping[str, str]) -> str | None:
    if key is None:
        return None
    if key in imported:
        return imported[key] or None
    return sandbox_maker(key)


def verdicts(keys: Sequence[str | None], imported: Mapping[str, str], active: frozenset[str] | None) -> list[str | None]:
    """Per key: the maker that will show the card, or None (unsupported).
    ``active``: the makers where the template is active (None: any maker)."""
    out: list[str | None] = []
    for key in keys:
        maker = maker_of(key, imported)
        out.append(maker if maker is not None and (active is None or maker in active) else None)
    return out


async def imported_makers(session: AsyncSession, keys: Iterable[str | None]) -> dict[str, str]:
    """The registry rows among ``keys``: key -> maker ('' = incapable)."""
    wanted = sorted({k for k in keys if k})
    found: dict[str, str] = {}
    for part in chunks(wanted, LOOKUP_CHUNK):
        rows = await session.execute(select(AimCapability.key, AimCapability.maker).where(AimCapability.key.in_(part)))
        found.update({k: m for k, m in rows})
    return found


@dataclass(frozen=True, slots=True)
class Checked:
    supported: list[str]
    unsupported: list[str]
    makers: list[str | None]  # per number as given


async def check(session: AsyncSession, mobiles: Sequence[str], alg: str = NONE, active: frozenset[str] | None = None) -> Checked:
    """Numbers as given (order and spelling kept) -> supported / unsupported."""
    keys = [key_of(m, alg) for m in mobiles]
    makers = verdicts(keys, await imported_makers(session, keys), active)
    supported = [m for m, maker in zip(mobiles, makers, strict=True) if maker]
    unsupported = [m for m, maker in zip(mobiles, makers, strict=True) if not maker]
    return Checked(supported, unsupported, makers)


async def handset_maker(session: AsyncSession, number: str) -> str | None:
    """The maker of one handset (the virtual phone, the parse), None if incapable."""
    key = key_of(number)
    return maker_of(key, await imported_makers(session, [key]))


# --- operators' import ---------------------------------------------------------------------------
class CsvError(ValueError):
    """A CSV row that cannot be imported (names the line)."""


_MAKER_WORDS = {m.lower(): m for m in MAKERS} | {"none": "", "": ""}


def parse_csv(text: str) -> list[tuple[str, str]]:
    """``number_or_sha1,maker`` per line (a header line is skipped; maker
    ``none`` or empty = incapable) -> (key, maker).  Refuses the whole file on
    the first bad line, naming it."""
    rows: list[tuple[str, str]] = []
    for lineno, record in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not record or not "".join(record).strip():
            continue
        if lineno == 1 and record[0].strip().lower() in ("number", "mobile", "key", "sha1"):
            continue
        if len(record) < 2:
            raise CsvError(f"line {lineno}: expected number_or_sha1,maker")
        who, maker = record[0].strip(), record[1].strip().lower()
        key = key_of(who, SHA1) if _SHA1_HEX.fullmatch(who) else key_of(who)
        if key is None:
            raise CsvError(f"line {lineno}: {who!r} is neither a mainland mobile number nor a SHA1 hex digest")
        if maker not in _MAKER_WORDS:
            raise CsvError(f"line {lineno}: maker {record[1].strip()!r} must be one of {', '.join(MAKERS)} or none")
        rows.append((key, _MAKER_WORDS[maker]))
    return rows


async def import_rows(session: AsyncSession, rows: Sequence[tuple[str, str]], source: str) -> int:
    """Insert or replace registry rows (the last row of a key wins)."""
    latest = dict(rows)
    now = utcnow()
    values = [{"key": k, "maker": m, "source": source[:64], "updated_at": now} for k, m in latest.items()]
    for part in chunks(values, 1000):
        stmt = dialect_insert(session, AimCapability.__table__)
        stmt = stmt.on_conflict_do_update(index_elements=["key"], set_={"maker": stmt.excluded.maker, "source": stmt.excluded.source,
                                                                         "updated_at": stmt.excluded.updated_at})
        await session.execute(stmt, list(part))
    return len(values)
