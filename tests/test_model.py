"""The profile contract: `erpload model`, what each target reads, and map's errors a profile author can act on."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from erpload import canonical
from erpload.profiles import PROFILES_DIR
from erpload.runs import Run
from erpload.staging import ensure_framework_tables
from erpload.targets import TargetContract, contracts, empty_select
from tests.utils import Workspace, shared_workspace

REPO = Path(__file__).resolve().parent.parent


# --- erpload model ---------------------------------------------------------------------------------------------

def test_model_json_carries_every_column_with_required_allowed_and_meaning(workspace: Workspace) -> None:
    result = workspace.cli("model", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [e["name"] for e in doc["entities"]] == [e.name for e in canonical.ENTITIES]
    for shown, ent in zip(doc["entities"], canonical.ENTITIES, strict=True):
        assert shown["key"] == list(ent.key)
        assert [c["name"] for c in shown["columns"]] == ent.column_names
        for c, col in zip(shown["columns"], ent.columns, strict=True):
            assert (c["type"], c["required"], c["allowed"], c["doc"]) == (
                col.type, not col.nullable, list(col.allowed), col.doc)


def test_model_text_shows_the_lifecycle_status_domain_and_its_meaning(workspace: Workspace) -> None:
    result = workspace.cli("model")
    assert result.exit_code == 0, result.output
    status = next(line for line in result.stdout.splitlines() if line.strip().startswith("status ")
                  and "draft" in line)
    assert "required" in status
    assert "allowed: draft | posted | cancelled" in status
    assert "ERPNext docstatus" in status  # the column's doc, the meaning


def test_model_markdown_has_a_table_per_entity(workspace: Workspace) -> None:
    result = workspace.cli("model", "--format", "markdown")
    assert result.exit_code == 0, result.output
    for ent in canonical.ENTITIES:
        assert f"### `{ent.name}`" in result.stdout
    assert "| `status` | varchar | required | `draft` \\| `posted` \\| `cancelled` |" in result.stdout


@pytest.mark.parametrize("target", ["datev", "dvelop", "maesn"])
def test_model_for_a_target_lists_exactly_what_it_reads(workspace: Workspace, target: str) -> None:
    result = workspace.cli("model", "--target", target, "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    reads = contracts()[target].reads
    assert doc["target"]["name"] == target
    assert {e["name"]: tuple(c["name"] for c in e["columns"]) for e in doc["entities"]} == {
        name: tuple(c for c in canonical.entity(name).column_names if c in cols) for name, cols in reads.items()}


def test_model_refuses_an_unknown_target_or_format(workspace: Workspace) -> None:
    unknown = workspace.cli("model", "--target", "sap")
    assert unknown.exit_code == 2
    assert "unknown target 'sap'" in unknown.output
    assert "datev" in unknown.output
    assert workspace.cli("model", "--format", "yaml").exit_code == 2


# --- the targets' contracts against their SQL -------------------------------------------------------------------

def _declared_in_source(target: str) -> set[str]:
    """Every `erp.<entity>` the target's package names in its code."""
    names: set[str] = set()
    for path in (REPO / "erpload" / "transforms" / target).glob("*.py"):
        names |= set(re.findall(r"\berp\.([a-z_]+)\b", path.read_text(encoding="utf-8")))
    return names


@pytest.mark.parametrize("target", ["datev", "dvelop", "maesn"])
def test_every_erp_table_a_target_names_is_in_its_contract(target: str) -> None:
    named = _declared_in_source(target)
    assert named, "the test must find the target's SQL"
    assert named - set(contracts()[target].reads) == set()


@pytest.fixture(scope="module")
def mapped_demo(tmp_path_factory: pytest.TempPathFactory, demo_erp_template: Path) -> Iterator[Path]:
    """The demo ERP extracted and mapped, once for this module; tests copy the staging file."""
    with shared_workspace(tmp_path_factory.mktemp("mapped"), demo_erp_template, ("run", "--until", "map")) as ws:
        yield ws.staging


def _narrowed(source: Path, dest: Path, contract: TargetContract) -> duckdb.DuckDBPyConnection:
    """A staging file whose `erp` holds only what `contract` declares: a column read but not declared fails."""
    con = duckdb.connect(str(dest))
    con.execute(f"ATTACH '{source}' AS src (READ_ONLY)")
    con.execute("CREATE SCHEMA erp")
    for entity, columns in contract.reads.items():
        con.execute(f"CREATE TABLE erp.{entity} AS SELECT {', '.join(columns)} FROM src.erp.{entity}")
    con.execute("DETACH src")
    ensure_framework_tables(con)
    return con


def test_datev_reads_nothing_beyond_its_contract(mapped_demo: Path, tmp_path: Path) -> None:
    from erpload.transforms.datev.export import publish, run_export
    from erpload.transforms.datev.reconcile import run_reconcile
    from erpload.transforms.datev.transform import run_transform

    con = _narrowed(mapped_demo, tmp_path / "narrow.duckdb", contracts()["datev"])
    for period in ("quarter", "fiscal_year", "month"):
        run_transform(con, Run("transform datev", None), period)
    assert con.execute("SELECT count(*) FROM datev.bookings").fetchone()[0] > 0  # type: ignore[index]
    plan = run_export(con, Run("export datev", None), tmp_path / "out")
    publish(con, tmp_path / "out")
    assert plan.files
    assert run_reconcile(con).files > 0


def test_dvelop_reads_nothing_beyond_its_contract(mapped_demo: Path, tmp_path: Path) -> None:
    from erpload.transforms.dvelop.transform import transform

    con = _narrowed(mapped_demo, tmp_path / "narrow.duckdb", contracts()["dvelop"])
    transform(con, Run("transform dvelop", None))
    assert con.execute("SELECT count(*) FROM dvelop.vendors").fetchone()[0] > 0  # type: ignore[index]


def test_maesn_reads_nothing_beyond_its_contract(mapped_demo: Path, tmp_path: Path) -> None:
    from erpload.transforms.maesn.demo import demo_systems
    from erpload.transforms.maesn.transform import transform

    con = _narrowed(mapped_demo, tmp_path / "narrow.duckdb", contracts()["maesn"])
    transform(con, Run("transform maesn", None), demo_systems())
    for system in ("datev_uo", "exact", "lexware_office", "sevdesk", "xero"):
        assert con.execute(f"SELECT count(*) FROM maesn.{system}").fetchone()[0] > 0, system  # type: ignore[index]


# --- map and transform against the contracts ---------------------------------------------------------------------

@pytest.fixture
def staged(mapped_demo: Path, workspace: Workspace) -> Workspace:
    """A workspace holding a copy of the mapped demo staging file."""
    shutil.copyfile(mapped_demo, workspace.staging)
    return workspace


def _profile_without(ws: Workspace, *entities: str, replace: dict[str, str] | None = None) -> str:
    """The demo profile with `entities` left out and the SQL of others replaced; returns its path."""
    import tomllib

    text = (PROFILES_DIR / "demo.toml").read_text(encoding="utf-8")
    raw = tomllib.loads(text)
    for name in entities:
        block = re.search(rf'\[entities\.{name}\]\nsql = """.*?"""\n', text, re.S)
        assert block, name
        text = text.replace(block.group(0), "")
    for name, sql in (replace or {}).items():
        old = raw["entities"][name]["sql"]
        text = text.replace(old, sql)
    path = ws.root / "mine.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_map_fails_early_naming_the_entity_a_target_needs_and_the_idiom(staged: Workspace) -> None:
    profile = _profile_without(staged, "payment_terms")
    result = staged.cli("map", profile=profile)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "payment_terms (read by datev, dvelop)" in result.output
    assert "[entities.payment_terms]" in result.output
    assert "where false" in result.output


def test_the_empty_select_idiom_passes_map_and_transform(staged: Workspace) -> None:
    profile = _profile_without(staged, replace={"payment_terms": empty_select("payment_terms")})
    for _ in range(2):  # the second map runs incrementally over a select without any input table
        result = staged.cli("map", profile=profile)
        assert result.finished, result.output
    assert staged.scalar("select count(*) from erp.payment_terms") == 0
    assert staged.cli("transform", "datev").finished
    assert staged.scalar("select count(*) from datev.payment_terms") == 0
    assert staged.scalar("select count(*) from datev.bookings") > 0  # type: ignore[operator]


def test_only_the_configured_targets_are_checked_and_transform_names_what_is_missing(
        staged: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    # a fresh staging file: the copied one already holds erp.journal_entries from the full demo profile
    staged.staging.unlink()
    profile = _profile_without(staged, "journal_entries", "journal_lines")  # only DATEV reads these
    assert staged.cli("extract", profile=profile).finished
    assert staged.cli("map", profile=profile).exit_code == 2
    monkeypatch.setenv("ERPLOAD__TARGETS", "dvelop")
    result = staged.cli("map", profile=profile)
    assert result.finished, result.output
    transform = staged.cli("transform", "datev")
    assert transform.exit_code == 2, transform.output
    assert "Traceback" not in transform.output
    assert "target datev reads erp.journal_entries, erp.journal_lines" in transform.output
    assert staged.cli("transform", "dvelop").finished


def test_an_unknown_configured_target_is_a_config_error(staged: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERPLOAD__TARGETS", "datev,sap")
    result = staged.cli("map")
    assert result.exit_code == 2
    assert "unknown target(s) sap" in result.output


def test_a_table_not_in_the_profile_names_the_missing_tables_entry(staged: Workspace) -> None:
    profile = _profile_without(staged, replace={"currencies": "select currency_code, description as name, "
                                                "cast(decimals as integer) as decimals, currency_code as erp_id, "
                                                "updated_at from erp_raw.currency_master"})
    result = staged.cli("map", profile=profile)
    assert result.exit_code == 2, result.output
    assert "Table with name currency_master does not exist" in result.output
    assert "Did you mean" in result.output  # DuckDB's own hint is kept
    assert "no [tables] entry extracts 'currency_master'" in result.output
    assert "run `erpload extract` first" not in result.output


def test_a_listed_table_not_yet_extracted_says_run_extract(staged: Workspace) -> None:
    profile = _profile_without(staged, replace={"currencies": "select currency_code, description as name, "
                                                "cast(decimals as integer) as decimals, currency_code as erp_id, "
                                                "updated_at from erp_raw.currency_master"})
    path = Path(profile)
    path.write_text(path.read_text(encoding="utf-8") + '\n[tables."CurrencyMaster"]\nprimary_key = ["code"]\n',
                    encoding="utf-8")
    result = staged.cli("map", profile=profile)
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())  # the console wraps long lines
    assert 'the profile lists [tables."CurrencyMaster"], but erp_raw has no currency_master yet' in said
    assert "run `erpload extract`" in said
    assert f"fix: edit {profile}:" in said


@pytest.mark.parametrize(("column", "duckdb_says"), [
    ('"currencyCode"', 'Referenced column "currencyCode" not found'),
    ('c."currencyCode"', 'Table "c" does not have a column named "currencyCode"'),
], ids=["plain", "qualified"])
def test_an_erp_column_name_in_a_select_gets_its_snake_case_name(staged: Workspace, column: str,
                                                                 duckdb_says: str) -> None:
    profile = _profile_without(staged, replace={"currencies": "select currency_code, description as name, "
                                                f"cast(decimals as integer) as decimals, {column} as erp_id, "
                                                "updated_at from erp_raw.currency c"})
    result = staged.cli("map", profile=profile)
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert duckdb_says in said
    assert 'Candidate bindings: "currency_code"' in said  # DuckDB's own hint, kept
    assert "write currency_code, not currencyCode" in said


def test_the_readmes_empty_select_is_the_one_map_suggests() -> None:
    import tomllib

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r'```toml\n(\[entities\.payment_terms\]\nsql = """.*?"""\n)```', readme, re.S)
    assert block, "README shows the empty select for payment_terms"
    sql = tomllib.loads(block.group(1))["entities"]["payment_terms"]["sql"]
    assert " ".join(sql.split()) == empty_select("payment_terms")


def test_an_untyped_empty_select_is_refused_with_the_cast_to_write(staged: Workspace) -> None:
    untyped = "select " + ", ".join(f"null as {c}" for c in canonical.entity("payment_terms").column_names) + \
        " where false"
    result = staged.cli("map", profile=_profile_without(staged, replace={"payment_terms": untyped}))
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert "entity 'payment_terms', column 'company_code'" in said
    assert "CAST(<expr> AS VARCHAR)" in said


def test_a_reference_is_shown_on_the_column_that_names_the_record() -> None:
    from types import SimpleNamespace

    from erpload.model_doc import _Row

    # the shape the canonical model gives a reference: the entity, its columns in the order of that key
    ref = SimpleNamespace(entity="customers", columns=("company_code", "customer_no"), when="")
    company = SimpleNamespace(entity="companies", columns=("company_code",), when="")
    invoices = SimpleNamespace(key=("company_code", "invoice_no"), references=(company, ref))
    sales = canonical.entity("sales_invoices")
    assert _Row(invoices, sales.column("customer_no")).references == "customers.customer_no"  # type: ignore[arg-type]
    assert _Row(invoices, sales.column("company_code")).references == "companies.company_code"  # type: ignore[arg-type]
    assert _Row(invoices, sales.column("invoice_date")).references == ""  # type: ignore[arg-type]


def test_targets_that_are_no_list_are_a_config_error(staged: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERPLOAD__TARGETS", '["datev"')
    result = staged.cli("map")
    assert result.exit_code == 2
    assert "not a list of target names" in " ".join(result.output.split())


def test_model_json_shows_the_models_references(workspace: Workspace) -> None:
    doc = json.loads(workspace.cli("model", "--format", "json").stdout)
    columns = {(e["name"], c["name"]): c for e in doc["entities"] for c in e["columns"]}
    assert columns[("sales_invoices", "customer_no")]["references"] == "customers.customer_no"
    assert columns[("sales_invoice_lines", "invoice_no")]["references"] == "sales_invoices.invoice_no"
    assert columns[("sales_invoices", "invoice_date")]["references"] is None
    for ent in canonical.ENTITIES:  # every declared reference is shown on its column
        for ref in ent.references:
            assert ref.entity in str(columns[(ent.name, ref.columns[-1])]["references"])
