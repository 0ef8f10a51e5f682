"""`erpload push X --dry-run` sends nothing, so it needs no API key; `--entity` offers what can be pushed."""

from __future__ import annotations

import pytest

from erpload.destinations.dvelop.entities import PUSH_ORDER
from erpload.exit_codes import ExitCode
from erpload.transforms.dvelop.entities import entities
from tests.push.conftest import API_KEY, DvelopCase
from tests.utils import Workspace

SETTINGS = ("DESTINATION__DVELOP__BASE_URL", "DESTINATION__DVELOP__BUCKET_ID", "DESTINATION__DVELOP__API_KEY")


def test_a_dry_run_needs_no_api_key(vendors_workspace: Workspace, dvelop: DvelopCase,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DESTINATION__DVELOP__API_KEY")

    result = vendors_workspace.cli("push", "dvelop", "--dry-run")

    assert result.exit_code == ExitCode.OK, result.output
    assert "would send 30 of 30 vendors" in result.stdout
    assert "not set" not in result.output  # it knows where records would go
    assert dvelop.requests() == []
    # a real push still needs the key, and says which setting is missing, by name
    result = vendors_workspace.cli("push", "dvelop")
    assert result.exit_code == ExitCode.CONFIG
    message = " ".join(result.stderr.split())
    assert "destination.dvelop.api_key not set" in message
    assert "DESTINATION__DVELOP__API_KEY" in message
    assert dvelop.requests() == []


def test_a_dry_run_without_any_setting_says_what_it_compares_against(
        vendors_workspace: Workspace, dvelop: DvelopCase, monkeypatch: pytest.MonkeyPatch) -> None:
    assert vendors_workspace.cli("push", "dvelop", "--quiet").exit_code == ExitCode.OK
    for name in SETTINGS:
        monkeypatch.delenv(name)

    sent = len(dvelop.requests())
    result = vendors_workspace.cli("push", "dvelop", "--dry-run")

    assert len(dvelop.requests()) == sent  # the dry run sent nothing
    assert result.exit_code == ExitCode.OK, result.output
    assert "of 30 vendors" in result.stdout
    said = " ".join(result.stdout.split())
    assert "destination.dvelop.base_url, destination.dvelop.bucket_id not set" in said
    assert "cannot tell which d.velop smart invoice it would send to" in said
    assert API_KEY not in result.output


def test_push_offers_exactly_the_entities_the_transform_writes() -> None:
    assert set(PUSH_ORDER) == {e.name for e in entities()}
    assert len(PUSH_ORDER) == len(set(PUSH_ORDER))


def test_an_entity_that_cannot_be_pushed_is_not_offered(vendors_workspace: Workspace) -> None:
    result = vendors_workspace.cli("push", "dvelop", "--entity", "surcharge_types", "--dry-run")
    assert result.exit_code == ExitCode.CONFIG
    assert "surcharge_types" in result.output
    assert "vendors" in result.output  # the choices


def test_an_entity_the_transform_wrote_no_table_for_says_so(vendors_workspace: Workspace) -> None:
    result = vendors_workspace.cli("push", "dvelop", "--entity", "companies", "--dry-run")
    assert result.exit_code == ExitCode.CONFIG
    message = " ".join(result.stderr.split())
    assert "the last `erpload transform dvelop` wrote no table dvelop.companies" in message
