"""Every provider is described once, by its module: everything else that names a provider is
derived from the definition or agrees with it. Walks every provider; fails on any drift."""

from __future__ import annotations

import ast
import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import hookgate.providers
from dev import template
from dev.local.samples import STORED_DEV_SECRETS
from dev.rendering import docs
from hookgate import providers
from hookgate.devtools import cli

ROOT = template.ROOT
PROVIDER_MODULES = sorted(
    m.name
    for m in pkgutil.iter_modules(hookgate.providers.__path__)
    if hasattr(__import__(f"hookgate.providers.{m.name}", fromlist=["x"]), "PROVIDER")
)


def test_the_registry_is_every_module_that_defines_a_provider() -> None:
    assert list(providers.NAMES) == PROVIDER_MODULES
    assert len(providers.NAMES) >= 21


@pytest.mark.parametrize("name", providers.NAMES)
def test_definition_is_named_after_its_module(name: str) -> None:
    assert providers.get(name).name == name


@pytest.mark.parametrize("name", providers.NAMES)
def test_function_folder_is_the_one_line_handler_for_its_provider(name: str) -> None:
    source = (ROOT / "functions" / name / "app.py").read_text(encoding="utf-8")
    calls = [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "handler"
    ]

    assert len(calls) == 1
    assert ast.literal_eval(calls[0].args[0]) == name


def test_no_function_folder_without_a_provider() -> None:
    folders = sorted(p.name for p in (ROOT / "functions").iterdir() if p.is_dir())

    assert folders == sorted(providers.NAMES)


@pytest.mark.parametrize("name", providers.NAMES)
def test_template_function_route_methods_and_secret_follow_the_definition(name: str) -> None:
    definition = providers.get(name)
    logical_id = template.function_for(name)
    properties = template.functions()[logical_id]
    resources = template.load()["Resources"]

    assert properties["CodeUri"] == f"functions/{name}/"
    routes = {route for route, fid in template.api_routes().items() if fid == logical_id}
    # Every method on the bare route and on the accounts' route alike.
    assert routes == {
        (method, path)
        for method in definition.methods
        for path in (f"/webhooks/{name}", f"/webhooks/{name}/{{account}}")
    }
    secret = resources[properties["Environment"]["Variables"]["HOOKGATE_SECRET_ID"]["Ref"]]
    assert secret["Properties"]["Name"] == {"Fn::Sub": f"${{AWS::StackName}}/{name}"}
    assert secret["Properties"]["Description"].strip() == definition.deployment.secret
    outputs = template.load()["Outputs"]
    url = outputs[f"{logical_id.removesuffix('Function')}WebhookUrl"]
    # On the custom domain when there is one, on the API's own otherwise.
    condition, on_domain, on_api = url["Value"]["Fn::If"]
    assert condition == "HasCustomDomain"
    assert on_domain == {"Fn::Sub": f"https://${{DomainName}}/webhooks/{name}"}
    assert on_api["Fn::Sub"].endswith(f"/${{StageName}}/webhooks/{name}")
    variables = properties["Environment"]["Variables"]
    assert variables["HOOKGATE_PUBLIC_URL"] == {
        "Fn::If": ["HasCustomDomain", on_domain, {"Ref": "AWS::NoValue"}]
    }
    assert definition.deployment.console in url["Description"]
    parameter = template.load()["Parameters"][f"Enable{name.capitalize()}"]
    assert parameter["Default"] == ("true" if definition.deployment.enabled else "false")
    for setting in definition.deployment.settings:
        variables = properties["Environment"]["Variables"]
        assert variables[setting.variable] == {"Ref": setting.parameter}


def test_the_archive_keeps_every_providers_events() -> None:
    from hookgate.aws.publish import source_for

    patterns = [
        body["Properties"]["EventPattern"]["source"]
        for body in template.load()["Resources"].values()
        if body["Type"] == "AWS::Events::Archive"
    ]
    prefixes = [p["prefix"] for pattern in patterns for p in pattern if isinstance(p, dict)]

    for name in providers.NAMES:
        assert source_for(name) == f"hookgate.{name}"
        assert any(source_for(name).startswith(prefix) for prefix in prefixes)


@pytest.mark.parametrize("name", providers.NAMES)
def test_events_folder_holds_a_valid_and_a_tampered_delivery_to_its_route(name: str) -> None:
    for kind in ("valid", "tampered"):
        event = json.loads((ROOT / "events" / name / f"{kind}.json").read_text(encoding="utf-8"))

        assert event["path"] == f"/webhooks/{name}"
        assert event["httpMethod"] in providers.get(name).methods


def test_no_events_folder_without_a_provider() -> None:
    folders = sorted(p.name for p in (ROOT / "events").iterdir() if p.is_dir())

    assert folders == sorted(providers.NAMES)


@pytest.mark.parametrize("path", sorted(docs.REGIONS))
def test_generated_docs_are_current(path: str) -> None:
    current = (ROOT / path).read_text(encoding="utf-8")

    assert docs.render(current, docs.REGIONS[path], name=path) == current, "run `make docs`"


@pytest.mark.parametrize("name", providers.NAMES)
def test_every_provider_has_its_rows_in_the_docs(name: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = (ROOT / "docs" / "providers.md").read_text(encoding="utf-8")

    assert f"\n| `{name}` |" in readme
    assert table.count(f"\n| `{name}` |") == 3  # signatures, answers, oracles


def test_the_template_is_current() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dev.rendering.template", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout


def test_the_local_stack_holds_a_secret_for_every_provider() -> None:
    assert sorted(STORED_DEV_SECRETS) == sorted(providers.NAMES)


def test_the_cli_offers_every_provider(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["sign", "--help"])
    usage = capsys.readouterr().out

    for name in providers.NAMES:
        assert name in usage


def test_scaffolding_leaves_no_unfilled_provider() -> None:
    for name in providers.NAMES:
        module = importlib.import_module(f"hookgate.providers.{name}")
        source = Path(str(module.__file__)).read_text(encoding="utf-8")
        assert "TODO(new-provider)" not in source, name
