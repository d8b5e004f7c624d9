"""The smart-message product's error codes (docs/errors.md, docs/smart-messages.md
"Error codes") and its review kind.  ``KM.80020018`` and ``KM.80020019`` are
upstream's; the others are Tidings' in the same families."""

from __future__ import annotations

# Review kind (``review_items.object_type``): one party per handset maker.
OBJ_TEMPLATE = "aim_template"

# Templates
INVALID = "KM.00000001"
EMPTY = "KM.90016414"
TEMPLATE_NOT_FOUND = "KM.80040007"
TEMPLATE_PUBLIC = "KM.80040008"
LAYOUT_MAKER = "KM.80040010"
ACTION_MAKER = "KM.80040011"
MATERIAL_REF = "KM.80040012"
OPT_OUT = "KM.80040013"
PARAMS = "KM.80040014"
VIVO_RULES = "KM.80040015"

# Materials
TOO_LARGE = "KM.80020010"
WRONG_TYPE = "KM.80020011"
WRONG_RATE = "KM.80020012"
QUOTA = "KM.80020013"
FETCH_FAILED = "KM.80020014"
URL_EXTENSION = "KM.80020015"
MATERIAL_NOT_FOUND = "KM.80020016"
TOO_MANY_PIXELS = "KM.80020017"
URL_SCHEME = "KM.80020018"  # upstream: the file URL must start with http or https
THUMBNAIL_TOO_LARGE = "KM.80020019"  # upstream: image size must not exceed 100 KB
MATERIAL_IN_USE = "KM.80020020"

# Delivery: capability, resolve tasks and links (KM.90016416-18 are upstream's).
TOO_MANY_LINKS = "KM.90016416"
SIGNS_COUNT = "KM.90016417"
CODE_TYPE = "KM.90016418"
TEMPLATE_NOT_USABLE = "KM.90016420"
CODE_TAKEN = "KM.90016421"  # per-link result_code
CODE_MISSING = "KM.90016422"  # per-link result_code
LANDING_NOT_REGISTERED = "KM.90016423"  # per-link result_code
PARAM_MISSING = "KM.90016424"  # per-link result_code
FLAG_REPEATED = "KM.90016425"  # per-link result_code
DOMAIN_NOT_REGISTERED = "KM.90016426"
PARAM_CHARACTERS = "KM.90016427"  # per-link result_code: a dync_params name or value carries a forbidden character
