"""The tree reads as the architecture, and this test keeps it so (docs/platform.md, "Layers").

Four layers, each importing only itself and those below it:
`ketnap.platform` (shared/platform) <- `ketnap.domain` (shared/domain) <- `ketnap.services`
(services/) <- `ketnap.operations` (operations/). Within the services' layer, a service reads
another only through its published contracts: the message shapes in its `commands`, `events` and
`values` modules. The one list of a deployment's services (`ketnap.services`) wires them all; a
service's `__main__` asks it for its own wiring, and the gateway, which serves every service's
commands over HTTP, reads it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
FOLDERS = {"shared": "ketnap", "services": "ketnap.services", "operations": "ketnap.operations"}
LAYERS = ("ketnap.platform", "ketnap.domain", "ketnap.services", "ketnap.operations")
CONTRACTS = {"commands", "events", "values"}
"""What a service publishes for others: the shapes of its messages, never its aggregates,
handlers, queries or projections."""
READS_EVERY_SERVICE = {"gateway"}


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    """A module (`from package import name` counts as importing `package.name` when that is a
    module, else `package`)."""
    where: str


def module_name(path: Path) -> str:
    folder, *rest = path.relative_to(REPOSITORY).with_suffix("").parts
    parts = [FOLDERS[folder], *rest]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def sources() -> dict[str, Path]:
    return {module_name(path): path for folder in FOLDERS for path in sorted((REPOSITORY / folder).rglob("*.py"))}


def imports() -> list[Import]:
    modules = sources()
    found = []
    for importer, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            where = f"{path.relative_to(REPOSITORY)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Import):
                found += [Import(importer, alias.name, where) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    submodule = f"{node.module}.{alias.name}"
                    found.append(Import(importer, submodule if submodule in modules else node.module, where))
    return found


def layer(module: str) -> int | None:
    for index, name in enumerate(LAYERS):
        if module == name or module.startswith(name + "."):
            return index
    return None


def service_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[:2] == ["ketnap", "services"] else None


def by_folder_name(found: list[Import]) -> list[str]:
    return [f"{i.where}: {i.imported}" for i in found if i.imported.split(".")[0] in FOLDERS]


def upward(found: list[Import]) -> list[str]:
    return [
        f"{i.where}: {i.importer} imports {i.imported}"
        for i in found
        if layer(i.importer) is not None and layer(i.imported) is not None and layer(i.imported) > layer(i.importer)
    ]


def reaching_in(found: list[Import]) -> list[str]:
    wrong = []
    for i in found:
        importer, imported = service_of(i.importer), service_of(i.imported)
        if importer is None or imported == importer:
            continue
        if i.imported == "ketnap.services":
            if importer not in READS_EVERY_SERVICE and not i.importer.endswith(".__main__"):
                wrong.append(f"{i.where}: {i.importer} imports the list of services")
        elif imported is not None and i.imported.split(".")[3:4] != [] and i.imported.split(".")[3] not in CONTRACTS:
            wrong.append(f"{i.where}: {i.importer} imports {i.imported}")
        elif imported is not None and len(i.imported.split(".")) == 3:
            wrong.append(f"{i.where}: {i.importer} imports the whole of {i.imported}")
    return wrong


def test_nothing_imports_the_folders_by_their_names() -> None:
    """`shared`, `services` and `operations` are folders; the import names carry the project's name."""
    assert by_folder_name(imports()) == []


def test_each_layer_imports_only_itself_and_those_below() -> None:
    assert upward(imports()) == []


def test_a_service_reads_another_only_through_its_published_contracts() -> None:
    assert reaching_in(imports()) == []


def test_the_rules_find_what_they_forbid() -> None:
    """Each check above finds a planted import of the kind it forbids, and lets the allowed ones by."""
    assert by_folder_name([Import("ketnap.services.gateway.api", "shared.bus", "planted")])
    assert upward([Import("ketnap.platform.service", "ketnap.services.registry.handlers", "planted")])
    assert upward([Import("ketnap.domain.rules", "ketnap.operations.cli", "planted")])
    assert not upward([Import("ketnap.operations.cli", "ketnap.platform.bus", "allowed")])
    assert reaching_in([Import("ketnap.services.gateway.scope", "ketnap.services.dossiers.dossier", "planted")])
    assert reaching_in([Import("ketnap.services.voting.roster", "ketnap.services", "planted")])
    assert not reaching_in([Import("ketnap.services.gateway.commands", "ketnap.services.registry.values", "allowed")])
    assert not reaching_in([Import("ketnap.services.gateway.service", "ketnap.services", "allowed")])
