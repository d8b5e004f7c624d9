"""The per-recipient verdicts of a send (KooMessage's ``send_status``) and what
each means.

Every product that sends through the shared pipeline answers a send with one
of these per number, and a refused number's message row keeps it as its
``status_code`` (docs/errors.md), so the message log can explain it
(``tidings messages show``) without knowing which product refused it.
"""

from __future__ import annotations

ACCEPTED = "000000"
TOO_MANY = "E200015"
PARAMS_INVALID = "E200028"
TEMPLATE_NOT_ACTIVE = "E200030"
NUMBER_INVALID = "E200031"
DUPLICATE = "E200041"

MEANING: dict[str, str] = {
    ACCEPTED: "accepted",
    TOO_MANY: "over the recipient's frequency limit (per number and signature; docs/pipeline.md)",
    PARAMS_INVALID: "template_params do not fit the template's variables (count, type or length)",
    TEMPLATE_NOT_ACTIVE: "the template is not approved (Adopted)",
    NUMBER_INVALID: "invalid number (format, length, not a mobile number, or international not enabled)",
    DUPLICATE: "the same number twice in one group with the same content",
}
