"""Read template.yaml: the local stack builds its resources from the template's own properties."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """A YAML loader that keeps CloudFormation short-form tags (!Ref, !Sub ...) as plain dicts."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _intrinsic)  # type: ignore[no-untyped-call]


@cache
def load() -> dict[str, Any]:
    """The parsed template (intrinsics as {"Ref": ...} / {"Fn::X": ...})."""
    with TEMPLATE.open(encoding="utf-8") as handle:
        data: dict[str, Any] = yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 (safe subclass)
    return data


def resource(logical_id: str) -> dict[str, Any]:
    """The properties of one resource."""
    properties: dict[str, Any] = load()["Resources"][logical_id].get("Properties", {})
    return properties


def functions() -> dict[str, dict[str, Any]]:
    """Every function: logical id -> properties, with the Globals merged in."""
    template = load()
    globals_ = template.get("Globals", {}).get("Function", {})
    found = {}
    for logical_id, body in template["Resources"].items():
        if body["Type"] != "AWS::Serverless::Function":
            continue
        properties = {**globals_, **body["Properties"]}
        variables = {
            **globals_.get("Environment", {}).get("Variables", {}),
            **body["Properties"].get("Environment", {}).get("Variables", {}),
        }
        properties["Environment"] = {"Variables": variables}
        found[logical_id] = properties
    return found


def function_for(provider: str) -> str:
    """The logical id of `provider`'s function (the one whose HOOKGATE_PROVIDER names it)."""
    for logical_id, properties in functions().items():
        if properties["Environment"]["Variables"]["HOOKGATE_PROVIDER"] == provider:
            return logical_id
    raise KeyError(f"no function in template.yaml for provider {provider!r}")


def api_routes() -> dict[tuple[str, str], str]:
    """(METHOD, path) -> function logical id, from each function's Api events."""
    routes = {}
    for logical_id, properties in functions().items():
        for event in properties.get("Events", {}).values():
            if event.get("Type") == "Api":
                spec = event["Properties"]
                routes[(spec["Method"].upper(), spec["Path"])] = logical_id
    return routes
