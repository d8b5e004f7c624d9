"""SmppChannel: the Channel protocol (tidings/channels/base.py) over SMPP 3.4.

One channel = one carrier account.  It keeps ``binds`` binds up (each a
transceiver, or a transmitter + receiver pair) and spreads messages over the
bound ones (fewest submits in flight first).  ``submit(batch)`` splits each
message with :mod:`tidings.domain.sms_text` (the same cut the pipeline billed),
submits the parts one after the other on one bind, and returns one
SubmitResult per message:

* every part accepted: ``ok``, with every part's carrier id (canonical form);
* a part refused: ``ok=False``, ``error_code`` = the SMPP status name, final;
* a part not accepted but retryable (throttled past ``throttle_retries``, not
  bound): ``ok=False, transient=True``;
* a part whose outcome is unknown (written, then the connection dropped or the
  response timed out): ``ok=False, transient=False, error_code="UNKNOWN"``.  The
  SMSC may have it; the caller decides, nothing here retries it.

Parts after a failed part are not sent.  Carrier ids of parts accepted before
a failure are still in ``carrier_message_ids`` (their receipts will match).

Inbound deliver_sm go to one worker task that handles them in batches: first
the carrier ids remembered since its last turn, then the receipts (matched via
the ReceiptMatcher, or parked), then ``events.on_reports`` /
``events.on_uplinks``; only then are the deliver_sm answered.  Reports are per
part: a 3-part message gets 3 reports with the same ``message_id`` and
distinct ``carrier_message_id``.  Multi-part uplink (UDH or SAR) is reassembled
before delivery; a part that arrives alone is held in memory (and already
acknowledged) for ``uplink_reassembly_timeout`` seconds, then whatever arrived
is delivered with ``…`` for the missing parts.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from tidings.channels.base import TEXT, ChannelEvents, DeliveryReport, OutboundMessage, SubmitResult, Uplink
from tidings.domain import sms_text
from tidings.timeutil import utcnow

from .client import ClientConfig, Outcome, SmppClient, SubmitOutcome
from .matcher import InMemoryReceiptMatcher, ReceiptMatcher
from .pdu import CommandStatus, Pdu
from .receipt import IdTransform, canonical_id, fast_delivered, is_receipt, parse_receipt, utc_offset

log = logging.getLogger("tidings.smpp")

UNKNOWN_OUTCOME = "UNKNOWN"  # SubmitResult.error_code when a part's fate is unknown


def _naive_utc(dt: datetime) -> datetime:
    """Reports and uplinks carry naive UTC, the platform's storage convention."""
    return dt if dt.tzinfo is None else dt.astimezone(UTC).replace(tzinfo=None)


@dataclass(slots=True)
class SmppConfig:
    name: str = "smpp"
    host: str = "127.0.0.1"
    port: int = 2775
    system_id: str = ""
    password: str = field(default="", repr=False)
    system_type: str = ""
    bind_mode: Literal["trx", "tx+rx"] = "trx"
    binds: int = 1  # binds (or tx+rx pairs) per carrier
    window: int = 10  # outstanding submits per bind
    mps: float = 0.0  # submits per second per bind; 0 = no cap
    source_ton: int | None = None  # None: 5/0 for alphanumeric senders, 0/1 for digits
    source_npi: int | None = None
    dest_ton: int = 1
    dest_npi: int = 1
    service_type: str = ""
    long_method: Literal["udh", "sar"] = "udh"
    data_coding: Literal["auto", "auto_latin1", "ucs2"] = "auto"  # auto: GSM 7-bit else UCS-2
    gsm_packed: bool = False  # pack GSM septets (most SMSCs want them unpacked)
    registered_delivery: bool = True  # ask for receipts (and the message must ask too)
    receipt_id_transform: IdTransform = "none"
    receipt_utc_offset_minutes: int = 0  # time zone of receipt dates
    inbound_dc0: Literal["gsm", "ascii"] = "gsm"
    throttle_retries: int = 3
    connect_timeout: float = 5.0
    bind_timeout: float = 5.0
    response_timeout: float = 10.0
    enquire_link_interval: float = 30.0
    reconnect_min: float = 0.5
    reconnect_max: float = 30.0
    not_bound_wait: float = 5.0
    report_batch: int = 1000
    uplink_reassembly_timeout: float = 600.0

    def client_config(self, mode: str) -> ClientConfig:
        return ClientConfig(
            host=self.host, port=self.port, system_id=self.system_id, password=self.password,
            system_type=self.system_type, mode=mode, window=self.window, mps=self.mps,  # type: ignore[arg-type]  # mode is one of the bind modes, checked with the options
            connect_timeout=self.connect_timeout, bind_timeout=self.bind_timeout,
            response_timeout=self.response_timeout, enquire_link_interval=self.enquire_link_interval,
            reconnect_min=self.reconnect_min, reconnect_max=self.reconnect_max, not_bound_wait=self.not_bound_wait,
        )


_WORST = {Outcome.ACCEPTED: 0, Outcome.TRANSIENT: 1, Outcome.REFUSED: 2, Outcome.UNKNOWN: 3}


class _UplinkBuffer:
    __slots__ = ("parts", "total", "data_coding", "first_seen", "source", "destination")

    def __init__(self, total: int, data_coding: int, source: str, destination: str) -> None:
        self.parts: dict[int, bytes] = {}
        self.total = total
        self.data_coding = data_coding
        self.first_seen = time.monotonic()
        self.source, self.destination = source, destination


def _concat_info(pdu: Pdu, sm: bytes) -> tuple[tuple[int, int, int] | None, bytes]:
    """((ref, total, seq) or None, payload without UDH)."""
    if pdu.params.get("esm_class", 0) & 0x40 and sm:
        udhl = sm[0]
        header, payload = sm[1 : 1 + udhl], sm[1 + udhl :]
        i, info = 0, None
        while i + 2 <= len(header):
            iei, length = header[i], header[i + 1]
            data = header[i + 2 : i + 2 + length]
            if iei == 0x00 and length == 3:
                info = (data[0], data[1], data[2])
            elif iei == 0x08 and length == 4:
                info = ((data[0] << 8) | data[1], data[2], data[3])
            i += 2 + length
        return info, payload
    t = pdu.tlvs
    if "sar_msg_ref_num" in t and t.get("sar_total_segments", 1) > 1:
        return (t["sar_msg_ref_num"], t["sar_total_segments"], t.get("sar_segment_seqnum", 1)), sm
    return None, sm


class SmppChannel:
    carries = frozenset({TEXT})
    confirms_in_transaction = False
    persists_carrier_ids = True  # receipts name only the SMSC's id, and may reach any worker
    validity_seconds: float | None = None  # the pipeline's default

    def __init__(self, config: SmppConfig, matcher: ReceiptMatcher | None = None, *,
                 unknown_policy: str | None = None, definition: tuple[object, ...] | None = None) -> None:
        self.config = config
        self.name = config.name
        self.unknown_policy = unknown_policy
        self.definition = definition
        self.matcher: ReceiptMatcher = matcher if matcher is not None else InMemoryReceiptMatcher()
        self._events: ChannelEvents | None = None
        self._senders: list[SmppClient] = []
        self._clients: list[SmppClient] = []
        self._rr = 0
        self._ref = random.randrange(0x10000)
        self._tz = utc_offset(config.receipt_utc_offset_minutes)
        # Worker queues (see the module docstring).
        self._remembered: list[tuple[str, str, int]] = []
        self._receipts: list[tuple[DeliveryReport, asyncio.Future]] = []
        self._uplinks: list[tuple[Uplink, asyncio.Future | None]] = []
        self._wake = asyncio.Event()
        self._worker: asyncio.Task | None = None
        self._uplink_parts: dict[tuple[str, str, int, int], _UplinkBuffer] = {}

    def __repr__(self) -> str:
        c = self.config
        return f"SmppChannel({self.name!r}, {c.system_id}@{c.host}:{c.port}, {c.bind_mode} x{c.binds})"

    # ---- lifecycle ---------------------------------------------------------

    async def start(self, events: ChannelEvents) -> None:
        self._events = events
        self._wake = asyncio.Event()
        self._worker = asyncio.create_task(self._work(), name=f"smpp-{self.name}-worker")
        c = self.config
        for i in range(c.binds):
            if c.bind_mode == "trx":
                client = SmppClient(c.client_config("trx"), self._on_deliver, name=f"{self.name}#{i}")
                self._senders.append(client)
                self._clients.append(client)
            else:
                tx = SmppClient(c.client_config("tx"), self._on_deliver, name=f"{self.name}#{i}tx")
                rx = SmppClient(c.client_config("rx"), self._on_deliver, name=f"{self.name}#{i}rx")
                self._senders.append(tx)
                self._clients += [tx, rx]
        for client in self._clients:
            await client.start()

    async def wait_bound(self, timeout: float = 10.0) -> bool:
        results = await asyncio.gather(*(c.wait_bound(timeout) for c in self._clients))
        return all(results)

    async def stop(self) -> None:
        await asyncio.gather(*(c.stop() for c in self._clients), return_exceptions=True)
        if self._worker is not None:
            self._worker.cancel()
            try:
                await self._worker
            except (asyncio.CancelledError, Exception):
                pass
        self._remembered = []  # the dispatcher stores the carrier ids with the outcome
        self._clients, self._senders = [], []

    # ---- submitting --------------------------------------------------------

    def _encoding(self, text: str) -> sms_text.Encoding:
        policy = self.config.data_coding
        if policy == "ucs2":
            return sms_text.UCS2
        return sms_text.pick_encoding(text, allow_latin1=policy == "auto_latin1")

    def _pick_sender(self) -> SmppClient:
        senders = self._senders
        self._rr = (self._rr + 1) % len(senders)
        best = senders[self._rr]
        if len(senders) > 1:
            for client in senders:
                if client.bound and (not best.bound or client.in_flight < best.in_flight):
                    best = client
        return best

    def _source_ton_npi(self, source: str) -> tuple[int, int]:
        c = self.config
        if source.isdigit():
            return (0 if c.source_ton is None else c.source_ton, 1 if c.source_npi is None else c.source_npi)
        return (5 if c.source_ton is None else c.source_ton, 0 if c.source_npi is None else c.source_npi)

    async def submit(self, batch: Sequence[OutboundMessage]) -> list[SubmitResult]:
        if not self._senders:
            raise RuntimeError("channel not started")
        # As many submitters as the binds' windows can use, each taking the next
        # message: a task per message cost more than the submits themselves.
        results: list[SubmitResult | None] = [None] * len(batch)
        todo = iter(enumerate(batch))

        async def submitter() -> None:
            for i, msg in todo:
                results[i] = await self._submit_one(msg)

        width = min(len(batch), sum(c.config.window for c in self._senders))
        await asyncio.gather(*(submitter() for _ in range(width)))
        return results  # type: ignore[return-value]  # every slot is filled: the submitters drain the whole batch

    async def _submit_one(self, msg: OutboundMessage) -> SubmitResult:
        c = self.config
        encoding = self._encoding(msg.text)
        self._ref = (self._ref + 1) & 0xFFFF
        try:
            parts = sms_text.split(msg.text, encoding, c.long_method, self._ref, c.gsm_packed)
        except ValueError as exc:
            return SubmitResult(msg.message_id, False, error_code="ESME_RINVMSGLEN", error_desc=str(exc))
        if len(parts) != msg.parts:
            log.warning("smpp %s: message %s counted %d parts, sending %d", self.name, msg.message_id, msg.parts, len(parts))
        ton, npi = self._source_ton_npi(msg.source)
        base = {
            "service_type": c.service_type, "source_addr_ton": ton, "source_addr_npi": npi, "source_addr": msg.source,
            "dest_addr_ton": c.dest_ton, "dest_addr_npi": c.dest_npi, "destination_addr": msg.destination.lstrip("+"),
            "registered_delivery": 1 if (c.registered_delivery and msg.registered_delivery) else 0,
            "data_coding": sms_text.DATA_CODING[encoding],
        }
        client = self._pick_sender()
        carrier_ids: list[str] = []
        failure: SubmitOutcome | None = None
        for number, part in enumerate(parts, 1):
            params = dict(base, short_message=part.short_message)
            tlvs = None
            if part.udh:
                params["esm_class"] = 0x40
            elif part.sar:
                ref, total, seq = part.sar
                tlvs = {"sar_msg_ref_num": ref, "sar_total_segments": total, "sar_segment_seqnum": seq}
            outcome = await client.submit(params, tlvs)
            retries = c.throttle_retries
            while outcome.outcome is Outcome.TRANSIENT and outcome.command_status in (
                CommandStatus.ESME_RTHROTTLED, CommandStatus.ESME_RMSGQFUL) and retries > 0:
                retries -= 1  # a throttled part was not accepted: resending cannot duplicate it
                outcome = await client.submit(params, tlvs)
            if outcome.outcome is not Outcome.ACCEPTED:
                failure = outcome
                break
            cid = canonical_id(outcome.message_id or "")
            carrier_ids.append(cid)
            self._remembered.append((cid, msg.message_id, number))
            self._wake.set()
        if failure is None:
            return SubmitResult(msg.message_id, True, carrier_ids)
        if failure.outcome is Outcome.UNKNOWN:
            return SubmitResult(msg.message_id, False, carrier_ids, UNKNOWN_OUTCOME,
                                f"part {len(carrier_ids) + 1}/{len(parts)}: outcome unknown ({failure.reason})",
                                outcome_unknown=True)
        code = failure.status_name or ("NOT_BOUND" if failure.reason == "not bound" else "SUBMIT_FAILED")
        # Once a part is with the carrier, a retry would send it again: a message
        # refused half-way is a final failure, whatever the refusal was.
        return SubmitResult(msg.message_id, False, carrier_ids, code,
                            f"part {len(carrier_ids) + 1}/{len(parts)}: {failure.reason}"
                            + (f" ({len(carrier_ids)} part(s) already accepted; not retried)" if carrier_ids else ""),
                            transient=failure.outcome is Outcome.TRANSIENT and not carrier_ids)

    # ---- inbound -----------------------------------------------------------

    def _on_deliver(self, pdu: Pdu) -> asyncio.Future:
        """Client handler: returns a future the worker resolves once stored."""
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        params = pdu.params
        sm = params.get("short_message") or pdu.tlvs.get("message_payload") or b""
        if is_receipt(params.get("esm_class", 0), pdu.tlvs):
            fast = fast_delivered(sm, pdu.tlvs.get("receipted_message_id"), pdu.tlvs.get("message_state"),
                                  self.config.receipt_id_transform, self._tz)
            if fast is not None:
                carrier_id, done_at, desc = fast
                report = DeliveryReport(None, carrier_id, "DELIVRD", desc, _naive_utc(done_at) if done_at else utcnow(), self.name)
                self._receipts.append((report, fut))
                self._wake.set()
                return fut
            r = parse_receipt(sm.decode("latin-1"), pdu.tlvs.get("receipted_message_id"),
                              pdu.tlvs.get("message_state"), self.config.receipt_id_transform, self._tz)
            if r is None or not r.final:
                if r is None:
                    log.warning("smpp %s: receipt without a message id: %r", self.name, sm[:120])
                fut.set_result(0)
                return fut
            report = DeliveryReport(None, r.carrier_message_id, r.status, r.description,
                                    _naive_utc(r.done_at) if r.done_at else utcnow(), self.name)
            self._receipts.append((report, fut))
            self._wake.set()
            return fut
        self._on_uplink(pdu, sm, fut)
        return fut

    def _on_uplink(self, pdu: Pdu, sm: bytes, fut: asyncio.Future) -> None:
        params = pdu.params
        source = params.get("source_addr", "").lstrip("+")
        destination = params.get("destination_addr", "")
        dc = params.get("data_coding", 0)
        info, payload = _concat_info(pdu, sm)
        self._expire_uplinks()
        if info is None or info[1] <= 1:
            text = sms_text.decode_by_data_coding(dc, payload, self.config.inbound_dc0)
            self._uplinks.append((Uplink(source, destination, text, utcnow(), self.name), fut))
            self._wake.set()
            return
        ref, total, seq = info
        key = (source, destination, ref, total)
        buf = self._uplink_parts.get(key)
        if buf is None:
            buf = self._uplink_parts[key] = _UplinkBuffer(total, dc, source, destination)
        buf.parts[seq] = payload
        if len(buf.parts) < total:
            # Held in memory and acknowledged: the SMSC may not send the next part before this ack.
            fut.set_result(0)
            return
        del self._uplink_parts[key]
        self._uplinks.append((self._assemble(buf), fut))
        self._wake.set()

    def _assemble(self, buf: _UplinkBuffer) -> Uplink:
        decode = sms_text.decode_by_data_coding
        if all(i in buf.parts for i in range(1, buf.total + 1)):
            # Bytes first, then decode: a surrogate pair split by the sender survives.
            text = decode(buf.data_coding, b"".join(buf.parts[i] for i in range(1, buf.total + 1)), self.config.inbound_dc0)
        else:
            text = "".join(decode(buf.data_coding, buf.parts[i], self.config.inbound_dc0) if i in buf.parts else "…"
                           for i in range(1, buf.total + 1))
        return Uplink(buf.source, buf.destination, text, utcnow(), self.name)

    def _expire_uplinks(self) -> None:
        if not self._uplink_parts:
            return
        limit = time.monotonic() - self.config.uplink_reassembly_timeout
        for key in [k for k, b in self._uplink_parts.items() if b.first_seen < limit]:
            buf = self._uplink_parts.pop(key)
            log.warning("smpp %s: uplink from %s incomplete (%d/%d parts); delivering what arrived",
                        self.name, buf.source, len(buf.parts), buf.total)
            self._uplinks.append((self._assemble(buf), None))
            self._wake.set()

    async def _work(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await asyncio.sleep(0)  # let submits whose responses just arrived queue their ids
            try:
                await self._work_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("smpp %s: receipt worker error", self.name)

    async def _work_once(self) -> None:
        events = self._events
        assert events is not None
        matcher = self.matcher
        remembered, self._remembered = self._remembered, []
        receipts, self._receipts = self._receipts, []
        uplinks, self._uplinks = self._uplinks, []
        if remembered:
            try:
                await matcher.remember(remembered)
            except BaseException:
                self._remembered[:0] = remembered  # retried next turn (or by stop()), never dropped
                raise
            parked = await matcher.parked([e[0] for e in remembered])
            if parked:
                await self._report_parked(parked)
        if receipts:
            try:
                await self._report(receipts)
            except Exception as exc:
                for _, fut in receipts:
                    if not fut.done():
                        fut.set_exception(exc)
            else:
                for _, fut in receipts:
                    if not fut.done():
                        fut.set_result(0)
        if uplinks:
            try:
                await events.on_uplinks([u for u, _ in uplinks])
            except Exception as exc:
                for _, ufut in uplinks:
                    if ufut is not None and not ufut.done():
                        ufut.set_exception(exc)
            else:
                for _, ufut in uplinks:
                    if ufut is not None and not ufut.done():
                        ufut.set_result(0)

    async def _emit(self, reports: list[DeliveryReport]) -> None:
        step = self.config.report_batch
        for i in range(0, len(reports), step):
            await self._events.on_reports(reports[i : i + step])  # type: ignore[union-attr]  # events are set by start(), before any receipt

    async def _report(self, receipts: list[tuple[DeliveryReport, asyncio.Future]]) -> None:
        matcher = self.matcher
        found = await matcher.match([r.carrier_message_id for r, _ in receipts])  # type: ignore[misc]  # start() builds the matcher; receipts carry a carrier id
        if len(found) < len(receipts) and self._remembered:
            # A receipt read in the same packet as its submit_sm_resp overtakes the id
            # on its way to the matcher: hand those ids over now instead of parking.
            missing = {r.carrier_message_id for r, _ in receipts} - found.keys()
            early = [e for e in self._remembered if e[0] in missing]
            if early:
                await matcher.remember(early)
                found.update(await matcher.match([e[0] for e in early]))
        ready: list[DeliveryReport] = []
        unknown: list[DeliveryReport] = []
        for report, _ in receipts:
            hit = found.get(report.carrier_message_id)  # type: ignore[arg-type]  # receipts carry a carrier id (parsed from their text)
            if hit is None:
                unknown.append(report)
            else:
                report.message_id, report.part = hit
                ready.append(report)
        if ready:
            await self._emit(ready)
        if unknown:
            await matcher.park(unknown)
            # Its id may have been remembered while we parked: look again (see matcher.py).
            ids = [r.carrier_message_id for r in unknown]
            if await matcher.match(ids):  # type: ignore[arg-type]  # receipts carry a carrier id (parsed from their text)
                await self._report_parked(await matcher.parked(ids))  # type: ignore[arg-type]  # receipts carry a carrier id (parsed from their text)

    async def _report_parked(self, parked: list[DeliveryReport]) -> None:
        found = await self.matcher.match([r.carrier_message_id for r in parked])  # type: ignore[misc]  # start() builds the matcher; receipts carry a carrier id
        ready = []
        for report in parked:
            hit = found.get(report.carrier_message_id)  # type: ignore[arg-type]  # receipts carry a carrier id (parsed from their text)
            if hit is not None:
                ready.append(DeliveryReport(hit[0], report.carrier_message_id, report.status, report.description,
                                            report.done_at, report.channel, hit[1]))
        if ready:
            await self._emit(ready)
            await self.matcher.unpark([r.carrier_message_id for r in ready])  # type: ignore[misc]  # start() builds the matcher; receipts carry a carrier id

    # ---- introspection (tests, metrics) -------------------------------------

    @property
    def clients(self) -> list[SmppClient]:
        return list(self._clients)

    @property
    def started(self) -> bool:
        return bool(self._clients)

    def is_up(self) -> bool:
        return any(c.bound for c in self._clients)

    def stats(self) -> dict[str, Any]:
        return {
            "bound": sum(c.bound for c in self._clients), "binds": len(self._clients), "window": self.config.window,
            "in_flight": sum(c.in_flight for c in self._senders),
            "uplinks_reassembling": len(self._uplink_parts),
        }
