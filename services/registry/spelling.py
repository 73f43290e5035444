"""Every unit a command names, read as the registry stores its code, however it was typed
(ORG_CODE_UNIQUE: `cb-a1` is the unit `CB-A1`): the one normaliser of codes, for each command of
the registry whoever sends it (the API, the web, the CLI, the operator over NATS), and a new
unit's own code, stored in capitals. The gateway's scope check reads the stored spelling from the
same place (`registry.query.authority`)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Collection
from types import NoneType, UnionType
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel

from ketnap.platform.commands import Decision, NotFound
from ketnap.platform.service import ServiceContext
from ketnap.services.registry.readmodel import RegistryView, current_view
from ketnap.services.registry.values import UNIT_CODE

C = TypeVar("C", bound=BaseModel)
Stored = Callable[[str], Awaitable[str]]


async def as_stored(view: RegistryView, command: C, new: Collection[str] = ()) -> C:
    """`command` with each unit code it names (nested parts and lists too) as stored; a code no unit
    ever had is left as typed (the handler says it does not exist). `new`: top-level fields naming a
    unit being founded, written in capitals as codes are (`cb-new` is founded as `CB-NEW`); a code
    some unit already has in any case is left as typed, so ORG_CODE_UNIQUE quotes what was typed."""
    known: dict[str, str] = {}

    async def stored(typed: str) -> str:
        if typed not in known:
            known[typed] = await view.stored_code(typed) or typed
        return known[typed]

    founded: dict[str, str] = {}
    for name in new:
        typed = getattr(command, name)
        if typed is not None and typed != typed.upper() and await view.stored_code(typed) is None:
            founded[name] = typed.upper()
    command = command.model_copy(update=founded) if founded else command
    return await _model(command, stored, new)


async def codes_as_stored(model: Any, stored: Stored, new: Collection[str] = ()) -> Any:
    """`model` with each unit code it names (nested parts and lists too, all but the fields `new`)
    as `stored` spells it: one walk of a model's codes, for commands and the importer's rows."""
    return await _model(model, stored, new)


async def _model(model: Any, stored: Stored, new: Collection[str] = ()) -> Any:
    changed = {}
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        if name in new or value is None:
            continue
        spelled = await stored(value) if UNIT_CODE in field.metadata else await _value(value, field.annotation, stored)
        if spelled is not value:
            changed[name] = spelled
    return model.model_copy(update=changed) if changed else model


async def _value(value: Any, annotation: Any, stored: Stored) -> Any:
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return await stored(value) if UNIT_CODE in args[1:] and isinstance(value, str) else await _value(value, args[0], stored)
    if origin in (Union, UnionType):
        (inner, *_) = [a for a in args if a is not NoneType] or [Any]
        return await _value(value, inner, stored)
    if origin is list and isinstance(value, list) and args:
        spelled = [await _value(item, args[0], stored) for item in value]
        return value if all(a is b for a, b in zip(spelled, value, strict=True)) else spelled
    if isinstance(value, BaseModel):
        return await _model(value, stored)
    return value


Handler = Callable[[ServiceContext, C], Awaitable[Decision]]


def reading_stored_codes(handler: Handler, new: Collection[str] = ()) -> Handler:
    """The handler, given the command with its units' codes as stored."""

    @functools.wraps(handler)
    async def spelled(ctx: ServiceContext, command: C) -> Decision:
        async with current_view(ctx) as view:
            command = await as_stored(view, command, new)
        return await handler(ctx, command)

    return spelled


Answer = Callable[[ServiceContext, Any], Awaitable[dict[str, Any]]]


def answering_any_case(query: Answer) -> Answer:
    """The query, answering for a unit typed in another case as for its stored code. Asked as typed
    first: services send codes as the registry answered them, so only a unit not found this way costs
    the look-up of its spelling (and a unit no spelling finds keeps the first answer's message)."""

    @functools.wraps(query)
    async def answer(ctx: ServiceContext, asked: Any) -> dict[str, Any]:
        try:
            return await query(ctx, asked)
        except NotFound:
            async with current_view(ctx) as view:
                spelled = await as_stored(view, asked)
            if spelled == asked:
                raise
            return await query(ctx, spelled)

    return answer
