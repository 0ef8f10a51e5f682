"""Maesn settings the dlt way (environment variables here): which systems are configured, what is missing, and
secrets that never show."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from erpload.destinations.maesn.config import (
    configured_systems,
    load_maesn_settings,
    make_sender,
    missing_for_target,
    missing_settings,
)
from erpload.errors import ConfigError
from erpload.redact import redact

API_KEY = "cfg-test-api-key-7781"
DATEV_KEY = "cfg-test-datev-account-1234"
XERO_KEY = "cfg-test-xero-account-5678"


@pytest.fixture(autouse=True)
def no_project_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no .dlt/ here: only the environment speaks
    for system in ("DATEV_UO", "EXACT", "LEXWARE_OFFICE", "SEVDESK", "XERO"):
        for key in ("ACCOUNT_KEY", "COMPANY_ID"):
            monkeypatch.delenv(f"DESTINATION__MAESN__{system}__{key}", raising=False)
    for key in ("API_KEY", "BASE_URL", "CONCURRENCY", "RATE_LIMIT_PER_S", "POLL_INTERVAL_S", "TASK_TIMEOUT_S"):
        monkeypatch.delenv(f"DESTINATION__MAESN__{key}", raising=False)


def configure(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    for key, value in env.items():
        monkeypatch.setenv(f"DESTINATION__MAESN__{key.upper()}", value)


def test_nothing_set_names_the_api_key_and_the_account_keys() -> None:
    assert missing_settings() == ["destination.maesn.api_key", "destination.maesn.<system>.account_key for at "
                                  "least one of datev_uo, exact, lexware_office, sevdesk, xero"]
    with pytest.raises(ConfigError, match="Maesn is not configured"):
        load_maesn_settings()


def test_systems_with_an_account_key_are_configured_in_push_order(monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, api_key=API_KEY, xero__account_key=XERO_KEY, datev_uo__account_key=DATEV_KEY,
              datev_uo__company_id="455148-10001", concurrency="4", rate_limit_per_s="2.5")
    settings = load_maesn_settings()

    assert configured_systems() == ["datev_uo", "xero"]
    assert settings.systems == ("datev_uo", "xero")
    assert settings.base_url == "https://api.maesn.dev"
    assert (settings.concurrency, settings.rate_limit_per_s) == (4, 2.5)
    assert settings.connection("datev_uo").company_id == "455148-10001"
    assert settings.connection("xero").company_id is None
    with pytest.raises(ConfigError, match="'exact' is not configured"):
        settings.connection("exact")


def test_company_id_is_required_for_datev_uo_and_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, api_key=API_KEY, datev_uo__account_key=DATEV_KEY, exact__account_key="cfg-exact-key-99")
    assert missing_settings() == ["destination.maesn.datev_uo.company_id", "destination.maesn.exact.company_id"]
    with pytest.raises(ConfigError, match=r"destination\.maesn\.datev_uo\.company_id"):
        load_maesn_settings()


def test_one_system_can_be_chosen_and_must_be_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, api_key=API_KEY, xero__account_key=XERO_KEY, datev_uo__account_key=DATEV_KEY)
    assert load_maesn_settings(["xero"]).systems == ("xero",)  # datev_uo's missing company id does not matter
    with pytest.raises(ConfigError, match=r"destination\.maesn\.sevdesk\.account_key"):
        load_maesn_settings(["sevdesk"])
    with pytest.raises(ConfigError, match="unknown Maesn system"):
        load_maesn_settings(["bexio"])


def test_a_dry_run_needs_no_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, xero__account_key=XERO_KEY)
    assert missing_for_target(dry_run=True) == []
    assert missing_for_target(dry_run=False) == ["destination.maesn.api_key"]
    sender = make_sender(SimpleNamespace(dry_run=True, options={"system": "xero"}))
    assert sender.entities == ("xero",)
    sender.close()


def test_a_bad_number_says_which_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, api_key=API_KEY, xero__account_key=XERO_KEY, task_timeout_s="soon")
    with pytest.raises(ConfigError, match=r"destination\.maesn\.task_timeout_s is 'soon'"):
        load_maesn_settings()


def test_secrets_never_show_in_reprs_and_are_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    configure(monkeypatch, api_key=API_KEY, datev_uo__account_key=DATEV_KEY, datev_uo__company_id="1-2")
    settings = load_maesn_settings()
    shown = repr(settings)

    assert API_KEY not in shown
    assert DATEV_KEY not in shown
    assert "company_id='1-2'" in shown
    assert redact(f"key {API_KEY} and {DATEV_KEY}") == "key *** and ***"
