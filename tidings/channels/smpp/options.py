"""An SMPP channel definition's options: what the operator may set (with the
limits SMPP 3.4 or common sense sets), and how a stored definition becomes an
:class:`SmppChannel`.

Secrets: the bind password is sealed with the secret box before it is
stored, never put in ``config``, never returned (views say ``has_password``)
and never logged (SmppConfig keeps it out of its repr).
"""

from __future__ import annotations

from dataclasses import fields
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tidings.security import SecretBox
from tidings.store.models.smpp import ChannelDef

from .channel import SmppChannel, SmppConfig
from .matcher import ReceiptStore

PASSWORD_MAX = 8  # SMPP 3.4 password: C-Octet String of at most 9 octets with the NUL


class OptionError(ValueError):
    """An invalid option; ``field`` names it (``config.window``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class SmppOptions(BaseModel):
    """The operator-settable SmppConfig fields, with the limits SMPP 3.4 sets
    (C-Octet string sizes) or common sense does.  Unknown keys are refused so
    a typo is named instead of silently ignored."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(default="127.0.0.1", min_length=1, max_length=255)
    port: int = Field(default=2775, ge=1, le=65535)
    system_id: str = Field(default="", max_length=15)
    system_type: str = Field(default="", max_length=12)
    bind_mode: Literal["trx", "tx+rx"] = "trx"
    binds: int = Field(default=1, ge=1, le=16)
    window: int = Field(default=10, ge=1, le=1000)
    mps: float = Field(default=0.0, ge=0, le=100_000)
    source_ton: int | None = Field(default=None, ge=0, le=255)
    source_npi: int | None = Field(default=None, ge=0, le=255)
    dest_ton: int = Field(default=1, ge=0, le=255)
    dest_npi: int = Field(default=1, ge=0, le=255)
    service_type: str = Field(default="", max_length=5)
    long_method: Literal["udh", "sar"] = "udh"
    data_coding: Literal["auto", "auto_latin1", "ucs2"] = "auto"
    gsm_packed: bool = False
    registered_delivery: bool = True
    receipt_id_transform: Literal["none", "dec_to_hex", "hex_to_dec"] = "none"
    receipt_utc_offset_minutes: int = Field(default=0, ge=-720, le=840)
    inbound_dc0: Literal["gsm", "ascii"] = "gsm"
    throttle_retries: int = Field(default=3, ge=0, le=10)
    connect_timeout: float = Field(default=5.0, gt=0, le=120)
    bind_timeout: float = Field(default=5.0, gt=0, le=120)
    response_timeout: float = Field(default=10.0, gt=0, le=300)
    enquire_link_interval: float = Field(default=30.0, ge=1, le=3600)
    reconnect_min: float = Field(default=0.5, gt=0, le=300)
    reconnect_max: float = Field(default=30.0, gt=0, le=3600)
    not_bound_wait: float = Field(default=5.0, ge=0, le=60)
    report_batch: int = Field(default=1000, ge=1, le=10_000)
    uplink_reassembly_timeout: float = Field(default=600.0, ge=1, le=86_400)


def _describe(exc: ValidationError, prefix: str = "config") -> OptionError:
    from tidings.errors import describe_validation

    err = exc.errors()[0]
    err = {**err, "loc": (prefix, *err.get("loc", ()))}
    text = describe_validation(err)
    return OptionError(text.split(" ", 1)[0], text)


def check_options(options: dict) -> dict:
    """Validated options with defaults dropped (only what the operator chose is stored)."""
    try:
        parsed = SmppOptions.model_validate(options)
    except ValidationError as exc:
        raise _describe(exc) from None
    if parsed.reconnect_max < parsed.reconnect_min:
        raise OptionError("config.reconnect_max", "config.reconnect_max must be >= config.reconnect_min")
    return parsed.model_dump(exclude_unset=True)


def smpp_config(row: ChannelDef, box: SecretBox) -> SmppConfig:
    cfg = SmppConfig(name=row.name)
    known = {f.name for f in fields(SmppConfig)}
    for key, value in (row.config or {}).items():
        if key in known and key not in ("name", "password"):
            setattr(cfg, key, value)
    if row.password_sealed:
        cfg.password = box.open(row.password_sealed)
    return cfg


def build_channel(row: ChannelDef, box: SecretBox, receipts: ReceiptStore, fingerprint: tuple) -> SmppChannel:
    """The live channel for an enabled definition, matching receipts through
    the pipeline's carrier-id store."""
    from .db_matcher import DbReceiptMatcher

    return SmppChannel(smpp_config(row, box), matcher=DbReceiptMatcher(receipts),
                       unknown_policy=row.unknown_policy, definition=fingerprint)
