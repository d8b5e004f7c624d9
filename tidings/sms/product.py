"""The SMS product as the house sees it (tidings.product): its entry in the
installed list, and what it plugs in once loaded."""

from __future__ import annotations

from tidings.product import CliGroup, Entry, Product
from tidings.sms.cli import app as cli_app


def load() -> Product:
    from tidings.channels.base import TEXT
    from tidings.meters.stream import per_part
    from tidings.sms import codes, demo, lifecycle, receipts
    from tidings.sms.api import admin, apps, send, signatures, templates

    return Product(
        name="sms",
        carried_as=TEXT,
        routers=(apps.router, signatures.router, templates.router, send.router, admin.router),
        review_hooks={
            codes.OBJ_SIGNATURE: lifecycle.on_signature_decision,
            codes.OBJ_TEMPLATE: lifecycle.on_template_decision,
        },
        receipts=receipts.RECEIPTS,
        uplinks=receipts.UPLINKS,
        callback_renderers={receipts.UPLINK_KIND: receipts.render_uplink},
        meter_kinds=(codes.PART_DELIVERED,),
        meter_delivered=per_part(codes.PART_DELIVERED),
        demo=demo.create,
        banner=demo.banner,
    )


entry = Entry("sms", load, cli=CliGroup("sms", cli_app, "SMS applications and the channel-number pool (operators)."))
