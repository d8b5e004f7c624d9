"""The smart-message (AIM) product as the house sees it (tidings.product): its
entry in the installed list, and what it plugs in once loaded."""

from __future__ import annotations

from tidings.aim.cli import app as cli_app
from tidings.product import CliGroup, Entry, Product


def load() -> Product:
    from tidings.aim import cardpage, codes, demo, handset, lifecycle, preview, receipts
    from tidings.aim.api import flows as flows_api
    from tidings.aim.api import links, materials, sends, templates
    from tidings.aim.flows import SendFlowRunner
    from tidings.aim.parse import METRIC as PARSE_METRIC
    from tidings.aim.public import admin as public_admin
    from tidings.aim.public import api as public_api
    from tidings.aim.settings import AimSettings
    from tidings.aim.sweeper import MaterialSweeper
    from tidings.channels.base import TEXT
    from tidings.meters.stream import per_part
    from tidings.sms.codes import PART_DELIVERED

    return Product(
        name="aim",
        carried_as=TEXT,  # a smart message goes out as an SMS carrying its link
        routers=(templates.router, materials.router, links.router, sends.router, flows_api.router, public_api.router, links.admin_router,
                 preview.router, cardpage.router),
        fast_paths={"/s/": cardpage.fast_card_page},
        receipts=receipts.RECEIPTS,
        handset=handset.HANDSET,
        tenant_settings=AimSettings,
        # Card parses; and the link goes out as an SMS (through SMS acceptance), so
        # its delivered parts are metered like SMS parts, under product "aim".
        meter_kinds=(PARSE_METRIC, PART_DELIVERED),
        meter_delivered=per_part(PART_DELIVERED),
        review_hooks={codes.OBJ_TEMPLATE: lifecycle.on_decision},
        review_links={codes.OBJ_TEMPLATE: preview.review_links},
        services=lambda ctx: [MaterialSweeper(ctx)],
        # Send flows take the tenant's message and smart-message tokens: beside the API's limiter.
        api_services=lambda ctx: [SendFlowRunner(ctx)],
        on_start=(public_admin.install_library,),  # the shipped public templates (docs/smart-messages.md)
        demo=demo.create,
        banner=demo.banner,
    )


entry = Entry("aim", load, cli=CliGroup("aim", cli_app, "Smart messages: templates, materials, the capability registry (operators)."))
