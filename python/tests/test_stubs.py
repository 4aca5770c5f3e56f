"""The stubs (_superscale.pyi) list every public item of the native module with the same
parameters, and every item has a docstring written in Rust."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

import superscale
from superscale import _superscale

STUB = Path(superscale.__file__).with_name("_superscale.pyi")
EXCEPTIONS = {"SuperscaleError", "SpecError", "RunError", "FitError", "MeasureError", "StoreError"}


def public(names: object) -> set[str]:
    return {name for name in names if not name.startswith("_")}  # type: ignore[attr-defined]


def stub_items() -> dict[str, ast.AST]:
    items: dict[str, ast.AST] = {}
    for node in ast.parse(STUB.read_text()).body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            items[node.name] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            items[node.target.id] = node
    return items


def parameters(node: ast.FunctionDef) -> list[str]:
    args = node.args
    names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
    if args.kwarg is not None:
        names.append(args.kwarg.arg)
    return [name for name in names if name not in ("self", "cls")]


def runtime_parameters(item: object) -> list[str]:
    return [name for name in inspect.signature(item).parameters if name not in ("self", "cls")]  # type: ignore[arg-type]


def test_stubs_name_every_public_item_of_the_native_module() -> None:
    native = public(dir(_superscale)) | {"__version__"}
    stubbed = public(stub_items()) | {"__version__"}
    assert stubbed == native, f"only in the module: {native - stubbed}; only in the stubs: {stubbed - native}"


def class_members(cls: type) -> set[str]:
    return public(name for name, _ in inspect.getmembers(cls) if name not in dir(object))


@pytest.mark.parametrize("name", sorted(public(dir(_superscale)) - EXCEPTIONS))
def test_stub_signatures_match(name: str) -> None:
    item, node = getattr(_superscale, name), stub_items()[name]
    if isinstance(item, type):
        assert isinstance(node, ast.ClassDef)
        methods = {n.name: n for n in node.body if isinstance(n, ast.FunctionDef)}
        assert class_members(item) == public(methods), name
        for member, definition in methods.items():
            runtime = item if member == "__init__" else getattr(item, member, None)
            if member.startswith("_") and member != "__init__":
                continue
            if isinstance(inspect.getattr_static(item, member, None), property) or "property" in [
                getattr(d, "id", None) for d in definition.decorator_list
            ]:
                continue
            assert runtime_parameters(runtime) == parameters(definition), f"{name}.{member}"
    elif callable(item):
        assert isinstance(node, ast.FunctionDef)
        assert runtime_parameters(item) == parameters(node), name


def documented(name: str, item: object) -> None:
    doc = inspect.getdoc(item) or ""
    assert len(doc.strip()) > 10, f"{name} has no docstring"


@pytest.mark.parametrize("name", sorted(public(dir(_superscale)) - {"SCHEMA_VERSION", "PALETTE", "REFERENCE_COLOR", "GRID_COLOR"}))
def test_every_public_item_has_a_docstring(name: str) -> None:
    item = getattr(_superscale, name)
    documented(name, item)
    if isinstance(item, type) and name not in EXCEPTIONS:
        for member in class_members(item):
            documented(f"{name}.{member}", inspect.getattr_static(item, member))


def test_functions_document_their_parameters() -> None:
    for name in ["run", "fit_power_law", "fit_law", "measure_geometry"]:
        doc = inspect.getdoc(getattr(_superscale, name)) or ""
        assert "Parameters\n----------" in doc and "Returns\n-------" in doc, name
    assert "Parameters" in (inspect.getdoc(superscale.Spec) or "")
