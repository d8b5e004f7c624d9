"""``tidings sandbox ...``: the sandbox carrier's virtual handsets."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from tidings.cli.common import emit, fail, run

if TYPE_CHECKING:
    from tidings.context import AppContext

app = typer.Typer(no_args_is_help=True)


@app.command("reply")
def reply(from_number: str = typer.Argument(..., metavar="FROM"), to: str = typer.Argument(..., metavar="TO"), text: str = typer.Argument(...)) -> None:
    """A handset FROM replies TEXT to channel number TO (an uplink): stored and
    forwarded to the up_link_addr of the application that owns TO."""
    from tidings.channels.sandbox import ReplyError, reply_from_handset
    from tidings.dispatch.intake import intake_of

    async def go(ctx: AppContext) -> str:
        return await reply_from_handset(intake_of(ctx), from_number, to, text)

    try:
        uid = run(go)
    except ReplyError as exc:
        fail(str(exc))
    emit({"smsMsgId": uid})


@app.command("numbers")
def numbers() -> None:
    """The magic numbers and what the sandbox carrier does with them."""
    from tidings.channels.sandbox.magic import describe

    emit(describe())


@app.command("inbox")
def inbox(number: str, limit: int = typer.Option(20, min=1, max=500)) -> None:
    """What a virtual handset received, newest first."""
    from tidings.channels.sandbox import NAME as SANDBOX
    from tidings.domain.numbers import NumberError, normalize
    from tidings.store.messages import inbox as read_inbox
    from tidings.timeutil import wire_z

    try:
        e164 = normalize(number, international=True)
    except NumberError as exc:
        fail(str(exc))

    async def go(ctx: AppContext) -> list[dict]:
        async with ctx.db.read() as session:
            items = await read_inbox(session, e164, SANDBOX, limit)
        return [{"msg_id": i.msg_id, "from": i.source, "text": i.text, "time": wire_z(i.received_at), "status": i.status} for i in items]

    emit(run(go))
