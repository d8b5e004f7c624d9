"""The SMS product's error codes (docs/errors.md), the kinds of object it
submits for review and its meter metric."""

from __future__ import annotations

TEMPLATE_NOT_FOUND = "KM.00001080"  # upstream's "Template ID does not exist"
SIGNATURE_EMPTY = "KM.00001075"  # upstream's "SMS signature is empty"
SIGNATURE_NAME_LENGTH = "KM.00001076"  # upstream's signature length error
APP_NOT_FOUND = "KM.00001101"
APP_SUSPENDED_CODE = "KM.00001102"
APP_NAME_TAKEN = "KM.00001103"
APP_UNKNOWN_TO_OPERATOR = "TD.00000404"  # the operator API and CLI name any tenant's application
SIGNATURE_NOT_FOUND = "KM.00001111"
SIGNATURE_STATE = "KM.00001112"
SIGNATURE_NAME_TAKEN = "KM.00001113"
SIGNATURE_BUSY = "KM.00001114"
TEMPLATE_STATE = "KM.00001131"
TEMPLATE_NAME_TAKEN = "KM.00001132"
TEMPLATE_DEFINITION = "KM.00001133"
TEMPLATE_OPT_OUT = "KM.00001134"
TEMPLATE_TYPE = "KM.00001135"

# Review kinds: the object types this product puts in the review queue.
OBJ_SIGNATURE = "sms_signature"
OBJ_TEMPLATE = "sms_template"

# Meter metric: one delivered part of an SMS (meters/stream.py).
PART_DELIVERED = "sms.part.delivered"
