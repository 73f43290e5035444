"""The commands the dossier decides alone (`handlers.alone`): each command's own fields are exactly
the arguments of its method, so none is dropped on the way and none is missing."""

from __future__ import annotations

import inspect

import pytest

from ketnap.platform.commands import Command
from ketnap.services.dossiers import commands as cmd
from ketnap.services.dossiers.handlers import COMMANDS, Handler

DECIDED_ALONE = [(name, model, handler) for name, model, handler in COMMANDS if hasattr(handler, "__wrapped__")]


def test_most_commands_are_decided_by_the_dossier_alone() -> None:
    assert len(DECIDED_ALONE) == 13


@pytest.mark.parametrize(("name", "model", "handler"), DECIDED_ALONE, ids=[name for name, _, _ in DECIDED_ALONE])
def test_the_command_carries_exactly_the_arguments_of_its_method(name: str, model: type[Command], handler: Handler) -> None:
    method = handler.__wrapped__  # type: ignore[attr-defined]
    arguments = set(inspect.signature(method).parameters) - {"self", "today"}
    fields = set(model.model_fields) - set(cmd.DossierCommand.model_fields)
    assert method.__name__ == name
    assert fields == arguments
