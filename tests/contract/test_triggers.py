"""The contract every trigger target keeps (Telecom X's Uniconta export, Kombo's DATEV push, Papershift's document
syncs), written once and run against each target's fake over loopback:

- a dry run calls nothing and records nothing;
- a call that did its work is not made again by the next push (Kombo: once per company and run);
- a call whose answer was lost is `unknown`: the next push does not repeat it, `--force` included, and says how
  to settle it; settled, the push goes on;
- no secret (password, API key, or a token the vendor issued) appears in any output or in the staging file.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from erpload.exit_codes import ExitCode
from erpload.fakes.faults import Faults
from erpload.fakes.kombo import KomboFake
from erpload.fakes.kombo.app import GENERAL
from erpload.fakes.papershift import DEMO_EMAIL, PapershiftFake, User
from erpload.fakes.papershift.app import INTEGRATIONS
from erpload.fakes.serving import serve_in_thread
from erpload.fakes.telecomx import TelecomXFake
from erpload.fakes.telecomx.app import EXPORT
from erpload.fakes.telecomx.models import Reseller
from erpload.fakes.telecomx.models import User as TelecomXUser
from erpload.fakes.telecomx.seed import DEMO_PASSWORD as TELECOMX_PASSWORD
from erpload.targets import targets
from tests.utils import Prepared, Workspace

KOMBO_KEY = "contract-kombo-key-3b8d1e"
PAPERSHIFT_PASSWORD = "contract-pulse-password-51aa"


@dataclass
class TriggerCase:
    target: str
    fake: Any
    url: str
    #: the requests that do the work (where a dropped answer is planted), as a fault's match
    work: dict[str, str]
    env: dict[str, str]
    seed: Callable[[Path], None]
    #: how many times the vendor did the work
    done: Callable[[], int]
    #: the secrets erpload was given and the tokens the fake issued it so far
    secrets: Callable[[], list[str]] = list
    #: the vendor is called again at every push (a push per run), not once per key
    every_run: bool = False


def _tokens() -> tuple[list[str], Callable[[], str]]:
    issued: list[str] = []
    counter = itertools.count(1)

    def new_token() -> str:
        issued.append(f"contract-token-{next(counter):03d}-Hq2x9")
        return issued[-1]

    return issued, new_token


def _uniconta(url: str, fake: TelecomXFake, tokens: list[str]) -> TriggerCase:
    from erpload.transforms.uniconta.demo import DEMO_USER, resellers_of

    def seed(erp: Path) -> None:
        for body in resellers_of(erp):
            fake.put_reseller(Reseller.model_validate(body))
            fake.put_user(TelecomXUser(username=DEMO_USER, password=TELECOMX_PASSWORD, customer=str(body["id"])))

    return TriggerCase("uniconta", fake, url, {"match_path": EXPORT},
                       {"DESTINATION__UNICONTA__BASE_URL": url, "DESTINATION__UNICONTA__USERNAME": DEMO_USER,
                        "DESTINATION__UNICONTA__PASSWORD": TELECOMX_PASSWORD},
                       seed, lambda: len(fake.calls()), lambda: [*tokens, TELECOMX_PASSWORD])


def _kombo(url: str, fake: KomboFake) -> TriggerCase:
    from erpload.transforms.kombo.demo import seed_fake

    return TriggerCase("kombo", fake, url, {"match_path": GENERAL},
                       {"DESTINATION__KOMBO__BASE_URL": url + "/v1", "DESTINATION__KOMBO__API_KEY": KOMBO_KEY},
                       lambda erp: seed_fake(url, erp) and None, lambda: len(fake.calls()), lambda: [KOMBO_KEY],
                       every_run=True)


def _papershift(url: str, fake: PapershiftFake, tokens: list[str]) -> TriggerCase:
    from erpload.transforms.papershift.demo import seed_fake

    return TriggerCase("papershift", fake, url, {"match_path": INTEGRATIONS, "match_method": "POST"},
                       {"DESTINATION__PAPERSHIFT__BASE_URL": url, "DESTINATION__PAPERSHIFT__EMAIL": DEMO_EMAIL,
                        "DESTINATION__PAPERSHIFT__PASSWORD": PAPERSHIFT_PASSWORD,
                        "DESTINATION__PAPERSHIFT__POLL_INTERVAL_S": "0.01"},
                       lambda erp: seed_fake(url, erp) and None, lambda: len(fake.syncs()),
                       lambda: [*tokens, PAPERSHIFT_PASSWORD])


@pytest.fixture(scope="module", params=["uniconta", "kombo", "papershift"])
def served(request: pytest.FixtureRequest) -> Iterator[TriggerCase]:
    tokens, new_token = _tokens()
    fake: Any
    if request.param == "uniconta":
        fake = TelecomXFake(resellers=[], new_token=new_token)
    elif request.param == "kombo":
        fake = KomboFake(KOMBO_KEY, integrations=[])
    else:
        fake = PapershiftFake(users=[User(email=DEMO_EMAIL, password=PAPERSHIFT_PASSWORD)], integrations=[],
                              new_token=new_token)
    with serve_in_thread(fake.app) as url:
        if request.param == "uniconta":
            yield _uniconta(url, fake, tokens)
        elif request.param == "kombo":
            yield _kombo(url, fake)
        else:
            yield _papershift(url, fake, tokens)


@pytest.fixture
def case(served: TriggerCase, workspace: Workspace, prepared: Prepared,
         monkeypatch: pytest.MonkeyPatch) -> tuple[TriggerCase, Workspace]:
    ws = prepared.into(workspace, ("extract",), ("map",), ("transform", served.target))
    served.fake.reset()
    served.seed(ws.erp_path)
    for name, value in served.env.items():
        monkeypatch.setenv(name, value)
    return served, ws


def _flat(text: str) -> str:
    return " ".join(text.split())


def _ledger(ws: Workspace, target: str) -> dict[str, int]:
    return {str(s): int(n) for s, n in ws.query("select state, count(*) from erpload.ledger where target = ? "
                                                 "group by all", [target])}


def test_a_dry_run_calls_nothing_and_records_nothing(case: tuple[TriggerCase, Workspace]) -> None:
    trigger, ws = case
    result = ws.cli("push", trigger.target, "--dry-run")
    assert result.exit_code == ExitCode.OK, result.output
    assert "would call" in result.output
    assert trigger.done() == 0
    assert not _ledger(ws, trigger.target)


def test_work_done_is_not_done_again_by_the_next_push(case: tuple[TriggerCase, Workspace]) -> None:
    trigger, ws = case
    first = ws.cli("push", trigger.target)
    assert first.exit_code in (ExitCode.OK, ExitCode.DATA), first.output
    done = trigger.done()
    assert done > 0
    assert set(_ledger(ws, trigger.target)) == {"acknowledged"}
    second = ws.cli("push", trigger.target)
    assert second.exit_code in (ExitCode.OK, ExitCode.DATA), second.output
    assert trigger.done() == (2 * done if trigger.every_run else done)


def test_a_lost_answer_is_held_never_repeated_and_settled_by_a_person(case: tuple[TriggerCase, Workspace]) -> None:
    trigger, ws = case
    trigger.fake.set_faults(Faults(drop_on_calls=[1], **trigger.work))
    lost = ws.cli("push", trigger.target)
    assert lost.exit_code == ExitCode.UNDECIDED, lost.output
    assert trigger.done() >= 1  # the call that lost its answer did its work
    declared = targets()[trigger.target]
    calls = declared.entities[0]  # the ledger entity of a call (its other records travel in its batch)
    unknown = [str(k) for (k,) in ws.query("select distinct record_key from erpload.ledger where target = ? "
                                          "and entity = ? and state = 'unknown'", [trigger.target, calls])]
    assert len(unknown) == 1
    trigger.fake.set_faults(Faults())
    done = trigger.done()

    forcing = [("push", trigger.target, "--force")] if any(o.name == "force" for o in declared.push_options) else []
    for args in (("push", trigger.target), *forcing):
        again = ws.cli(*args)
        assert again.exit_code == ExitCode.UNDECIDED, again.output
        assert f"ledger resolve {trigger.target}" in _flat(again.output)
    repeated = trigger.done() - done
    # the lost call is not made again; other work (Kombo: the other companies, at each run) may go on
    held = ws.query("select distinct scope from erpload.ledger where target = ? and entity = ? "
                    "and state = 'unknown'", [trigger.target, calls])
    assert len(held) == 1
    if not trigger.every_run:
        assert repeated == 0

    scope = str(held[0][0])
    settled = ws.cli("ledger", "resolve", trigger.target, unknown[0], "--sent", "--scope", scope,
                     "--staging", str(ws.staging))
    assert settled.exit_code == 0, settled.output
    final = ws.cli("push", trigger.target)
    assert final.exit_code in (ExitCode.OK, ExitCode.DATA), final.output
    assert "unknown" not in _ledger(ws, trigger.target)


def test_no_secret_in_any_output_or_in_the_staging_file(case: tuple[TriggerCase, Workspace]) -> None:
    trigger, ws = case
    trigger.fake.set_faults(Faults(drop_on_calls=[2], **trigger.work))
    outputs = [ws.cli("push", trigger.target), ws.cli("push", trigger.target),
               ws.cli("ledger", "--target", trigger.target, "--state", "unknown", "--staging", str(ws.staging)),
               ws.cli("status", "--runs", "5", "--detail")]
    secrets = trigger.secrets()
    assert len(secrets) >= (1 if trigger.target == "kombo" else 2)  # a password and at least one token issued
    text = "\n".join(o.output for o in outputs)
    for secret in secrets:
        assert secret not in text
    for path in ws.root.rglob("*"):
        if path.is_file() and path.suffix != ".sqlite":
            content = path.read_bytes()
            leaked = [s for s in secrets if s.encode() in content]
            assert not leaked, f"{path}: {leaked}"
