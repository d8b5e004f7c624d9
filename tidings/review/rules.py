"""How party decisions combine into an outcome (pure).

Three shapes cover every reviewable object Tidings has or will have:

``single``  one operator decision (SMS signatures and templates, filings).
``any``     one decision per party; the object is usable once *any* party
            approves (smart-message templates, one party per handset maker).
            It is rejected only when every party rejected.
``each``    one decision per party and each party's state stands on its own
            (basic-edition templates per carrier: cmcc, cucc, ctcc).  The
            overall state is ``approved`` only when all approved, ``rejected``
            when all rejected, ``partial`` when all decided with mixed results;
            the product reads ``party_states`` to know where it is usable.
"""

from __future__ import annotations

from enum import StrEnum


class ReviewState(StrEnum):
    """A review's (and a party's) state, stored and answered as its value."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    PARTIAL = "partial"


class ReviewRule(StrEnum):
    SINGLE = "single"
    ANY = "any"
    EACH = "each"


PENDING = ReviewState.PENDING
APPROVED = ReviewState.APPROVED
REJECTED = ReviewState.REJECTED
PARTIAL = ReviewState.PARTIAL

SINGLE = ReviewRule.SINGLE
ANY = ReviewRule.ANY
EACH = ReviewRule.EACH
RULES = tuple(ReviewRule)

OPERATOR = "operator"
MAKERS = ("HUAWEI", "HONOR", "XIAOMI", "OPPO", "VIVO", "MEIZU", "SAMSUNG")
CARRIERS = ("cmcc", "cucc", "ctcc")


def check_parties(rule: str, parties: list[str]) -> None:
    if rule not in RULES:
        raise ValueError(f"unknown review rule {rule!r}")
    if not parties or len(set(parties)) != len(parties):
        raise ValueError("parties must be a non-empty list without duplicates")
    if rule == SINGLE and len(parties) != 1:
        raise ValueError("a single-decision review has exactly one party")


def outcome(rule: str, party_states: dict[str, str]) -> str:
    states = list(party_states.values())
    if rule == SINGLE:
        return states[0]
    if rule == ANY:
        if APPROVED in states:
            return APPROVED
        if states and all(s == REJECTED for s in states):
            return REJECTED
        return PENDING
    if rule == EACH:
        if PENDING in states:
            return PENDING
        if all(s == APPROVED for s in states):
            return APPROVED
        if all(s == REJECTED for s in states):
            return REJECTED
        return PARTIAL
    raise ValueError(f"unknown review rule {rule!r}")


def usable_for(rule: str, party_states: dict[str, str], party: str | None = None) -> bool:
    """Whether the object may be used (for ``party`` when the rule is ``each``)."""
    if rule == EACH:
        if party is None:
            return outcome(rule, party_states) == APPROVED
        return party_states.get(party) == APPROVED
    return outcome(rule, party_states) == APPROVED
