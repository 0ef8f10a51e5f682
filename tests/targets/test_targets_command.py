"""`erpload targets`: every declared target, its kind, configured or exactly what is missing (names, never
values), its fake; and the declarations themselves."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from erpload.cli.main import app
from erpload.targets import Setting, Target, TargetContract, targets

KEY = "dvelop-key-not-to-be-shown-93f1"
REPO = Path(__file__).resolve().parents[2]


def _targets_output() -> str:
    result = CliRunner().invoke(app, ["targets"], catch_exceptions=False)
    assert result.exit_code == 0
    return " ".join(result.stdout.split())


def test_targets_names_every_target_and_each_missing_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BASE_URL", "BUCKET_ID", "API_KEY"):
        monkeypatch.delenv(f"DESTINATION__DVELOP__{name}", raising=False)
    monkeypatch.setenv("DESTINATION__DVELOP__BUCKET_ID", "b1")

    text = _targets_output()

    for target in targets().values():
        assert target.name in text
    assert "record push" in text
    assert "files" in text
    assert "destination.dvelop.base_url" in text
    assert "destination.dvelop.api_key" in text
    assert "destination.dvelop.bucket_id" not in text  # set
    assert "port 8701" in text


def test_a_configured_target_says_so_and_never_shows_its_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESTINATION__DVELOP__BASE_URL", "https://tenant.d-velop.cloud")
    monkeypatch.setenv("DESTINATION__DVELOP__BUCKET_ID", "b1")
    monkeypatch.setenv("DESTINATION__DVELOP__API_KEY", KEY)

    text = _targets_output()

    assert "destination.dvelop" not in text  # nothing of it missing
    assert "│ yes │" in text
    assert KEY not in text


def test_the_dry_run_needs_only_where_records_go() -> None:
    dvelop = targets()["dvelop"]
    scope = [s.key for s in dvelop.settings if s.scope]
    assert scope == ["destination.dvelop.base_url", "destination.dvelop.bucket_id"]
    assert not any(s.secret for s in dvelop.settings if s.scope)


def test_a_declaration_that_cannot_work_is_refused() -> None:
    contract = TargetContract(name="x", doc="x", reads={})
    with pytest.raises(ValueError, match="declares no export"):
        Target(contract=contract, kind="files", title="X", transform="m:f")
    with pytest.raises(ValueError, match="no sender or no entities"):
        Target(contract=contract, kind="record push", title="X", transform="m:f", sender="m:s")
    with pytest.raises(ValueError, match="kind 'push'"):
        Target(contract=contract, kind="push", title="X", transform="m:f")  # type: ignore[arg-type]
    target = Target(contract=contract, kind="record push", title="X", transform="m:f", sender="m:s",
                    entities=("a",), settings=(Setting("destination.x_never_set.url", scope=True),
                                               Setting("destination.x_never_set.key", secret=True),
                                               Setting("destination.x_never_set.size", required=False)))
    assert target.missing() == ["destination.x_never_set.url", "destination.x_never_set.key"]
    assert target.missing(dry_run=True) == ["destination.x_never_set.url"]


def test_every_declared_reference_can_be_loaded() -> None:
    from erpload.targets import load

    for target in targets().values():
        refs = [target.transform, target.export, target.sender, target.demo, target.demo_notes, target.cli,
                target.missing_settings, target.fake.factory if target.fake else None]
        for ref in filter(None, refs):
            assert load(ref) is not None, ref


def test_help_lists_every_target_under_its_commands() -> None:
    runner = CliRunner()
    listed = {group: runner.invoke(app, [group, "--help"]).stdout for group in ("transform", "export", "push")}
    top = " ".join(runner.invoke(app, ["--help"]).stdout.split())
    for target in targets().values():
        assert f"{target.name} ({target.kind}: {target.title})" in top
        assert target.name in listed["transform"]
        assert (target.name in listed["export"]) == (target.export is not None)
        assert (target.name in listed["push"]) == target.pushes


def test_the_commands_start_without_any_target_implementation_or_web_library() -> None:
    """`erpload --help` builds every target's commands from the declarations alone."""
    code = ("import sys\nfrom typer.testing import CliRunner\nfrom erpload.cli.main import app\n"
            "assert CliRunner().invoke(app, ['push', 'dvelop', '--help']).exit_code == 0\n"
            "print(' '.join(sorted(sys.modules)))")
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                                cwd=REPO).stdout.split())
    heavy = {m for m in loaded if m.split(".")[0] in ("fastapi", "uvicorn", "httpx", "pyarrow", "sqlalchemy")}
    plugin_roots = ("erpload.transforms.", "erpload.destinations.", "erpload.fakes.")
    implementations = {m for m in loaded if m.startswith(plugin_roots)
                       and m.rsplit(".", 1)[-1] in ("transform", "destination", "client", "app", "export")}
    assert heavy == set()
    assert implementations == set()
    assert "erpload.transforms.dvelop.target" in loaded  # the declarations are what it read


def test_what_a_declaration_says_of_create_only_its_sender_does_too() -> None:
    """`erpload ledger resend` and the push read it from different places: they must agree."""
    from erpload.destinations.dvelop.destination import DvelopSender
    from erpload.destinations.maesn.destination import MaesnSender

    declared = targets()
    assert declared["maesn"].create_only
    assert MaesnSender.create_only
    assert not declared["dvelop"].create_only
    assert not DvelopSender.create_only
