"""Where `erpload push kombo` goes: EU by default, US by region, or a configured base URL; a region erpload does
not know is a configuration error that says what to set."""

from __future__ import annotations

import pytest

from erpload.errors import ConfigError
from erpload.transforms.kombo.plan import configured_base_url, scope


@pytest.mark.parametrize(("env", "expected"), [
    ({}, "https://api.kombo.dev/v1"),
    ({"DESTINATION__KOMBO__REGION": "us"}, "https://api.us.kombo.dev/v1"),
    ({"DESTINATION__KOMBO__REGION": "EU"}, "https://api.kombo.dev/v1"),
    ({"DESTINATION__KOMBO__REGION": "us", "DESTINATION__KOMBO__BASE_URL": "http://127.0.0.1:8705/v1/"},
     "http://127.0.0.1:8705/v1"),
])
def test_the_base_url_by_region_or_configured(monkeypatch: pytest.MonkeyPatch, env: dict[str, str],
                                             expected: str) -> None:
    for key in ("DESTINATION__KOMBO__REGION", "DESTINATION__KOMBO__BASE_URL"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert configured_base_url() == expected


def test_an_unknown_region_says_which_ones_there_are(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DESTINATION__KOMBO__BASE_URL", raising=False)
    monkeypatch.setenv("DESTINATION__KOMBO__REGION", "mars")
    with pytest.raises(ConfigError, match="'mars', not one of eu, us") as raised:
        configured_base_url()
    assert "region" in (raised.value.hint or "")


def test_the_ledger_scope_names_the_api_and_the_integration_never_the_key() -> None:
    assert scope("https://api.kombo.dev/v1/", "datev:abc") == "https://api.kombo.dev/v1 integration=datev:abc"
