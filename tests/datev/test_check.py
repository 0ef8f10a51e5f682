"""The EXTF reader and checker on DATEV's own sample files and on deliberately broken copies of them.

The "datev-portal" samples were stored by a third-party repository with LF line ends, two of them
re-encoded to UTF-8 (see samples/README.md); they are restored to DATEV's Windows-1252/CRLF before
checking. The ledermann copies are byte-exact and are checked as they are.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from erpload.cli.main import app
from erpload.transforms.datev.check import check_bytes, check_file
from erpload.transforms.datev.findings import Finding, Report
from erpload.transforms.datev.reader import read_extf, split_line, unquote

SAMPLES = Path(__file__).parent / "samples"
#: Sample files the README says were re-encoded to UTF-8 by the repository that stored them.
STORED_AS_UTF8 = {"datev-portal-EXTF_Buchungsstapel.csv", "datev-portal-EXTF_Zahlungsbedingungen.csv"}
CHECKED_SAMPLES = sorted(p.name for p in SAMPLES.glob("*.csv") if "Naturalstapel" not in p.name)


def restored(sample: str) -> bytes:
    """The sample as DATEV wrote it: Windows-1252 and CR LF (ledermann copies are already so)."""
    data = (SAMPLES / sample).read_bytes()
    if sample.startswith("ledermann-"):
        return data
    text = data.decode("utf-8" if sample in STORED_AS_UTF8 else "cp1252")
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("cp1252")


def extf_name(sample: str) -> str:
    """DATEV only imports EXTF_….csv; the stored copies carry their origin in front."""
    return sample[sample.index("EXTF_"):]


def lines_of(data: bytes) -> list[str]:
    return data.decode("cp1252").split("\r\n")


def join(lines: list[str]) -> bytes:
    return "\r\n".join(lines).encode("cp1252")


def broken(sample: str, line: int, old: str, new: str) -> bytes:
    """The restored sample with `old` replaced by `new` once, on 1-based line `line`."""
    lines = lines_of(restored(sample))
    assert old in lines[line - 1], (line, old)
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    return join(lines)


def errors(report: Report, rule: str) -> list[Finding]:
    return [f for f in report.findings if f.rule == rule and f.severity == "error"]


BOOKINGS = "datev-portal-EXTF_Buchungsstapel.csv"
PARTNERS = "datev-portal-EXTF_DebKred_Stamm.csv"
LABELS = "datev-portal-EXTF_Sachkontobeschriftungen.csv"
TERMS = "datev-portal-EXTF_Zahlungsbedingungen.csv"
ADDRESSES = "datev-portal-EXTF_Div-Adressen.csv"


# -- DATEV's own files pass ----------------------------------------------------------------------

@pytest.mark.parametrize("sample", CHECKED_SAMPLES)
def test_every_datev_sample_passes_without_errors(sample: str, tmp_path: Path) -> None:
    path = tmp_path / extf_name(sample)
    path.write_bytes(restored(sample))
    report = check_file(path)
    assert report.ok, [(f.where, f.message) for f in report.errors]
    assert report.rows > 0
    assert report.category in (16, 20, 21, 46, 48, 65)


def test_datev_quirks_are_warnings_not_errors() -> None:
    """The official Buchungsstapel breaks the portal's own regexes in places; DATEV wrote it, so it is read."""
    report = check_bytes(restored(BOOKINGS), "EXTF_Buchungsstapel.csv")
    warned = {(f.line, f.column, f.rule) for f in report.warnings}
    assert (5, 1, "amount.decimals") in warned  # Umsatz 64083 without decimals
    assert (5, 8, "account.short") in warned  # Gegenkonto 85 with Sachkontenlänge 4
    assert (3, 17, "number.pattern") in warned  # one-digit Geschäftspartnerbank
    assert (21, 101, "account.zero") in warned  # 0 in Erlöskonto (Anzahlungen)
    assert (46, 115, "bookings.service_date") in warned  # Leistungsdatum without its tax period
    assert (19, 5, "bookings.base_amount") in warned  # Basis-Umsatz off by 0,03
    assert not [f for f in report.findings if f.line == 39]  # Kurs 0,830000 below 1 is fine


@pytest.mark.parametrize("sample", [TERMS, ADDRESSES])
def test_the_inferred_46_and_48_columns_fit_datevs_samples_exactly(sample: str) -> None:
    """Kinds and lengths of 46 and 48 are inferred from these samples: no data line may get a finding."""
    report = check_bytes(restored(sample), extf_name(sample))
    assert report.category in (46, 48)
    assert [(f.where, f.message) for f in report.findings if f.line != 1] == []
    # the Skonto decision: hundredths without a comma, so 300, 000 and the sample's odd 2200 all pass
    if sample == TERMS:
        assert {row.fields[3] for row in read_extf(restored(sample)).rows} == {"2200", "300", "000"}


def test_a_semicolon_inside_a_quoted_text_is_not_a_separator() -> None:
    extf = read_extf(restored("datev-portal-EXTF_Zahlungsbedingungen.csv"))
    assert {len(row.fields) for row in extf.rows} == {31}
    assert extf.rows[0].values[1] == "30 Tage 2,0%; 60 Tage netto"


def test_natural_stapel_is_not_supported_and_says_so(tmp_path: Path) -> None:
    """Category 66 is a real DATEV format, but not one erpload knows: a clear error, never a silent pass."""
    sample = "datev-portal-EXTF_Naturalstapel.csv"
    report = check_bytes(restored(sample), extf_name(sample))
    [finding] = errors(report, "header.category_unsupported")
    assert (finding.line, finding.column, finding.value) == (1, 3, "66")
    assert "not supported" in finding.message
    assert "Natural-Stapel" in finding.message
    assert report.category == 66
    assert report.rows == 1
    assert len(report.errors) == 1  # its lines are well-formed; only the category is refused


# -- deliberately broken copies ------------------------------------------------------------------

def test_utf8_bytes_are_an_error_that_says_what_datev_would_show() -> None:
    data = restored(BOOKINGS).decode("cp1252").encode("utf-8")
    [finding] = errors(check_bytes(data, "EXTF_Buchungsstapel.csv"), "encoding.utf8")
    assert finding.line == 2  # the first non-ASCII character is in the heading line (BU-Schlüssel)
    assert "UTF-8" in finding.message
    assert "Ã¤" in finding.message
    assert "SchlÃ¼ssel" in finding.message


def test_lf_line_ends_are_an_error() -> None:
    data = restored(BOOKINGS).replace(b"\r\n", b"\n")
    [finding] = errors(check_bytes(data, "EXTF_Buchungsstapel.csv"), "line_end.lf")
    assert finding.line == 1
    assert "56 lines end with LF only" in finding.message
    assert "CR LF" in finding.message


def test_a_missing_field_on_one_line_is_an_error_on_that_line() -> None:
    lines = lines_of(restored(BOOKINGS))
    fields = lines[9].split(";")
    del fields[20]  # an empty Beleginfo field
    lines[9] = ";".join(fields)
    report = check_bytes(join(lines), "EXTF_Buchungsstapel.csv")
    [finding] = errors(report, "line.field_count")
    assert finding.line == 10
    assert "124 fields instead of 125" in finding.message
    assert "1 field missing" in finding.message
    assert len(report.errors) == 1


def test_a_dot_as_decimal_separator_in_umsatz_is_an_error() -> None:
    report = check_bytes(broken(BOOKINGS, 7, "4979,65;", "4979.65;"), "EXTF_Buchungsstapel.csv")
    [finding] = errors(report, "amount.decimal_point")
    assert (finding.line, finding.column, finding.heading) == (7, 1, "Umsatz (ohne Soll/Haben-Kz)")
    assert finding.value == "4979.65"
    assert "comma" in finding.message
    assert "4979,65" in finding.message


def test_header_version_510_is_an_error() -> None:
    report = check_bytes(broken(BOOKINGS, 1, '"EXTF";700;', '"EXTF";510;'), "EXTF_Buchungsstapel.csv")
    [finding] = errors(report, "header.version")
    assert (finding.line, finding.column, finding.heading, finding.value) == (1, 2, "Versionsnummer", "510")
    assert "700" in finding.message
    assert "before 2016" in finding.message


def test_formatversion_12_with_125_columns_is_an_error() -> None:
    report = check_bytes(broken(BOOKINGS, 1, '"Buchungsstapel";13;', '"Buchungsstapel";12;'),
                         "EXTF_Buchungsstapel.csv")
    [finding] = errors(report, "header.version_columns")
    assert (finding.line, finding.column, finding.value) == (1, 5, "12")
    assert "formatversion 12 (124 columns)" in finding.message
    assert "formatversion 13" in finding.message
    # the lines are reported once, not 54 times
    [lines] = errors(report, "line.field_count")
    assert lines.line == 3
    assert lines.message.startswith("54 data lines have 125 fields")


def test_a_wrong_heading_is_an_error_naming_the_column() -> None:
    report = check_bytes(broken(BOOKINGS, 2, ";Belegfeld 1;", ";Rechnungsnummer;"), "EXTF_Buchungsstapel.csv")
    [finding] = errors(report, "heading.wrong")
    assert (finding.line, finding.column, finding.heading, finding.value) == (2, 11, "Belegfeld 1", "Rechnungsnummer")
    assert "'Rechnungsnummer'" in finding.message
    assert "'Belegfeld 1'" in finding.message


def test_a_known_heading_variant_is_only_a_warning() -> None:
    report = check_bytes(broken(BOOKINGS, 2, ";Basis-Umsatz;", ";Basisumsatz;"), "EXTF_Buchungsstapel.csv")
    assert report.ok
    [finding] = [f for f in report.warnings if f.rule == "heading.variant"]
    assert (finding.line, finding.column) == (2, 5)


def test_an_unbalanced_quote_is_an_error_on_its_line() -> None:
    report = check_bytes(broken(BOOKINGS, 12, '"201802026"', '"201802026'), "EXTF_Buchungsstapel.csv")
    [finding] = errors(report, "line.quoting")
    assert finding.line == 12
    assert "the quote opened in field 11 is not closed" in finding.message
    assert len(report.errors) == 1  # the other lines are read normally


def test_a_belegdatum_outside_the_batch_period_is_an_error() -> None:
    # header period 01.01.2024 - 31.08.2024; line 8 is dated 0902 (9 February)
    report = check_bytes(broken(BOOKINGS, 8, ";0902;", ";1509;"), "EXTF_Buchungsstapel.csv")
    [finding] = errors(report, "date.outside_period")
    assert (finding.line, finding.column, finding.heading, finding.value) == (8, 10, "Belegdatum", "1509")
    assert "15.09.2024" in finding.message
    assert "01.01.2024 to 31.08.2024" in finding.message


def test_a_belegdatum_that_is_no_date_is_an_error() -> None:
    report = check_bytes(broken(BOOKINGS, 8, ";0902;", ";3002;"), "EXTF_Buchungsstapel.csv")
    [finding] = errors(report, "date.invalid")
    assert (finding.line, finding.column) == (8, 10)
    assert "not a real date" in finding.message


def test_a_bad_iban_in_debitoren_kreditoren_is_an_error() -> None:
    report = check_bytes(broken(PARTNERS, 3, '"DE49100102220002222222"', '"DE49100102220002222223"'),
                         "EXTF_DebKred_Stamm.csv")
    [finding] = errors(report, "iban.invalid")
    assert (finding.line, finding.column, finding.heading) == (3, 45, "IBAN-Nr. 1")
    assert "not a valid IBAN" in finding.message
    assert "checksum" in finding.message


def test_a_five_digit_account_in_kontenbeschriftungen_with_sachkontenlaenge_4_is_an_error() -> None:
    report = check_bytes(broken(LABELS, 3, "691;", "69100;"), "EXTF_Sachkontobeschriftungen.csv")
    [finding] = errors(report, "account.length")
    assert (finding.line, finding.column, finding.heading, finding.value) == (3, 1, "Konto", "69100")
    assert "5 digits" in finding.message
    assert "Sachkontenlänge 4" in finding.message


def test_foreign_currency_columns_must_agree() -> None:
    report = check_bytes(broken(BOOKINGS, 39, ";123,86;", ";150,00;"), "EXTF_Buchungsstapel.csv")
    [finding] = errors(report, "bookings.base_amount")
    assert (finding.line, finding.column) == (39, 5)
    assert "102,80 ÷ 0,830000 = 123,86" in finding.message


def with_field(sample: str, line: int, column: int, raw: str) -> bytes:
    """The restored sample with field `column` (1-based) of line `line` replaced by `raw`."""
    lines = lines_of(restored(sample))
    fields, problem = split_line(lines[line - 1])
    assert problem is None
    fields[column - 1] = raw
    lines[line - 1] = ";".join(fields)
    return join(lines)


@pytest.mark.parametrize(("sample", "line", "column", "raw", "rule", "phrase"), [
    (BOOKINGS, 7, 1, "0,00", "amount.zero", "greater than 0"),
    (BOOKINGS, 7, 1, "-4979,65", "amount.negative", "Soll/Haben-Kennzeichen"),
    (BOOKINGS, 7, 1, "4.979,65", "amount.thousands_separator", "4979,65"),
    (BOOKINGS, 7, 2, '"X"', "field.not_allowed", "S, H"),
    (BOOKINGS, 7, 7, "0000", "account.zero", "not an account"),
    (BOOKINGS, 7, 7, "840000", "account.length", "4 (G/L) or 5 (Debitor/Kreditor)"),
    (BOOKINGS, 7, 7, '"8400"', "field.quoted_number", "as text"),
    (BOOKINGS, 7, 11, '"RE 2018.02"', "belegfeld.characters", "blank '.'"),
    (BOOKINGS, 7, 11, '"Rechnung-Müller"', "belegfeld.characters", "'ü'"),
    (BOOKINGS, 7, 12, '"1234567890123"', "field.too_long", "13 characters, DATEV allows at most 12"),
    (BOOKINGS, 7, 14, '"' + "x" * 61 + '"', "field.too_long", "61 characters"),
    (BOOKINGS, 7, 14, '"Miete\tJanuar"', "field.control_character", "control character"),
    (BOOKINGS, 7, 105, '"MANDAT-1"', "bookings.sepa_bank", "Geschäftspartnerbank"),
    (BOOKINGS, 3, 96, '""', "bookings.order_type", "Buchungstyp"),
    (BOOKINGS, 3, 96, '"XY"', "field.not_allowed", "AA, AG"),
    (BOOKINGS, 39, 4, "", "bookings.foreign_currency", "column 4 is empty"),
    (BOOKINGS, 39, 4, "0,000000", "bookings.rate_zero", "divides"),
    (BOOKINGS, 7, 115, "31022018", "date.invalid", "not a real date"),
    (BOOKINGS, 7, 118, '"G"', "field.not_allowed", "0, 1"),
    (PARTNERS, 3, 1, "1000", "account.length", "exactly 5 digits"),
    (PARTNERS, 3, 10, '"DE133546770"', "partners.vat_prefix", "write only 133546770"),
    (PARTNERS, 3, 47, '"GENODEF1S1"', "bic.invalid", "8 or 11"),
    (PARTNERS, 3, 60, '"1"', "partners.main_bank", "2 bank accounts"),
    # 46 and 48: a value of the wrong kind is an error even though their lengths are only inferred
    (TERMS, 3, 1, "A10", "number.not_digits", "digits only"),
    (TERMS, 4, 1, '"11"', "field.quoted_number", "as text"),
    (TERMS, 4, 4, "3,00", "number.not_digits", "whole number"),
    (ADDRESSES, 3, 2, "3000A", "account.not_digits", "digits only"),
    (ADDRESSES, 3, 62, "31022013", "date.invalid", "TTMMJJJJ"),
    (ADDRESSES, 5, 101, '"DE83760000000000998878"', "iban.invalid", "not a valid IBAN"),
    (ADDRESSES, 3, 105, '"1"', "partners.main_bank", "2 bank accounts"),
])
def test_each_broken_field_is_an_error_on_its_line_and_column(
        sample: str, line: int, column: int, raw: str, rule: str, phrase: str) -> None:
    report = check_bytes(with_field(sample, line, column, raw), extf_name(sample))
    found = [f for f in report.errors if f.rule == rule]
    assert [(f.line, f.column) for f in found] == [(line, column)], [(f.where, f.message) for f in report.errors]
    assert phrase in found[0].message


@pytest.mark.parametrize(("sample", "line", "column", "raw", "rule"), [
    (TERMS, 4, 4, "30000", "number.too_long"),  # Skonto 300,00 %: the 4-digit limit is inferred
    (TERMS, 3, 2, '"' + "x" * 61 + '"', "field.too_long"),
    (ADDRESSES, 3, 1, '"DIV5000000"', "field.too_long"),  # 10 characters, inferred limit 9
    (ADDRESSES, 3, 25, "2", "field.not_allowed"),
])
def test_an_inferred_limit_of_46_and_48_is_only_a_warning(sample: str, line: int, column: int, raw: str,
                                                          rule: str) -> None:
    report = check_bytes(with_field(sample, line, column, raw), extf_name(sample))
    assert report.ok, [(f.where, f.message) for f in report.errors]
    assert [(f.line, f.column) for f in report.warnings if f.rule == rule] == [(line, column)]


@pytest.mark.parametrize(("sample", "line", "old", "new", "rule", "phrase"), [
    (TERMS, 1, '"Zahlungsbedingungen";2;', '"Zahlungsbedingung";2;', "header.format_name",
     "category 46 is called 'Zahlungsbedingungen'"),
    (TERMS, 1, '"Zahlungsbedingungen";2;', '"Zahlungsbedingungen";3;', "header.format_version",
     "no formatversion 3"),
    (TERMS, 2, ";Skonto 1 Tage;", ";Skontotage 1;", "heading.wrong", "'Skonto 1 Tage'"),
    (TERMS, 6, ';"";0', ";0", "line.field_count", "30 fields instead of 31"),
    (TERMS, 3, '"30 Tage 2,0%; 60 Tage netto"', '"30 Tage 2,0%; 60 Tage netto', "line.quoting",
     "opened in field 2 is never closed"),
    (ADDRESSES, 1, '"Diverse Adressen";2;', '"Diverse Adressen";1;', "header.format_version", "no formatversion 1"),
    (ADDRESSES, 2, "Adressnummer;Konto;", "Nummer;Konto;", "heading.wrong", "'Adressnummer'"),
    (ADDRESSES, 4, '"DIV600";', '"DIV600";;', "line.field_count", "192 fields instead of 191"),
])
def test_a_broken_46_or_48_file_fails_with_the_right_finding(sample: str, line: int, old: str, new: str, rule: str,
                                                             phrase: str) -> None:
    report = check_bytes(broken(sample, line, old, new), extf_name(sample))
    found = errors(report, rule)
    assert [f.line for f in found] == [line], [(f.where, f.message) for f in report.errors]
    assert phrase in found[0].message


def test_a_wrong_file_name_is_an_error() -> None:
    report = check_bytes(restored(BOOKINGS), "Buchungen.csv")
    [finding] = errors(report, "file.name")
    assert "EXTF_" in finding.message


# -- garbage in, findings out --------------------------------------------------------------------

@pytest.mark.parametrize(("data", "rule"), [
    (b"", "file.empty"),
    (bytes(range(256)) * 4, "encoding.binary"),
    ("\ufeffKonto;Name\r\n".encode("utf-16"), "encoding.binary"),
    (b"Konto;Name;Betrag\r\n1200;Bank;12,50\r\n", "header.not_extf"),
    (b'"EXTF";700;21;"Buchungsstapel"\r\n', "header.field_count"),
    (b'"EXTF";"offen\r\n', "line.quoting"),
    (b"\xef\xbb\xbf" + restored(BOOKINGS), "encoding.bom"),
])
def test_garbage_gives_findings_not_tracebacks(data: bytes, rule: str) -> None:
    report = check_bytes(data, "EXTF_x.csv")
    assert rule in {f.rule for f in report.errors}


def test_reader_keeps_raw_fields_with_quotes_and_line_numbers() -> None:
    extf = read_extf(restored(BOOKINGS))
    assert extf.header is not None
    assert len(extf.header.fields) == 31
    assert extf.header.fields[:4] == ['"EXTF"', "700", "21", '"Buchungsstapel"']
    assert extf.heading is not None
    assert extf.heading.fields[0] == "Umsatz (ohne Soll/Haben-Kz)"
    first = extf.rows[0]
    assert first.number == 3
    assert first.fields[1] == '"S"'
    assert first.values[1] == "S"
    assert extf.facts.encoding == "cp1252"
    assert extf.facts.crlf_lines == 56
    assert extf.facts.last_line_terminated


# -- the command line ----------------------------------------------------------------------------

def test_cli_exit_codes_are_0_1_and_2(tmp_path: Path) -> None:
    good = tmp_path / "EXTF_Buchungsstapel.csv"
    good.write_bytes(restored(BOOKINGS))
    bad = tmp_path / "EXTF_Buchungsstapel_LF.csv"
    bad.write_bytes(restored(BOOKINGS).replace(b"\r\n", b"\n"))
    runner = CliRunner()

    result = runner.invoke(app, ["datev", "check", str(good)])
    assert result.exit_code == 0, result.output
    assert "✓ ok" in result.stdout
    assert "54 rows, 0 errors" in result.stdout

    result = runner.invoke(app, ["datev", "check", str(good), str(bad)])
    assert result.exit_code == 1
    assert "LF only" in result.stdout
    assert "2 files checked, 1 with errors" in result.stdout

    result = runner.invoke(app, ["datev", "check", str(good), str(tmp_path / "EXTF_missing.csv")])
    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_cli_names_each_file_once_and_counts_in_the_right_number(tmp_path: Path) -> None:
    good = tmp_path / "EXTF_Buchungsstapel.csv"
    good.write_bytes(restored(BOOKINGS))
    bad = tmp_path / "EXTF_Buchungsstapel_comma.csv"
    bad.write_bytes(broken(BOOKINGS, 7, "4979,65;", "4979.65;"))
    result = CliRunner().invoke(app, ["datev", "check", str(good), str(bad)])
    assert result.exit_code == 1
    text = " ".join(result.stdout.split())
    assert text.count(str(good)) == 1
    assert text.count(str(bad)) == 1
    assert "1 error," in text  # one error, not "1 errors"
    assert "✗ DATEV would reject or misread it: 54 rows, 1 error" in text


def test_cli_json_lists_every_finding(tmp_path: Path) -> None:
    path = tmp_path / "EXTF_Buchungsstapel.csv"
    path.write_bytes(broken(BOOKINGS, 7, "4979,65;", "4979.65;"))
    result = CliRunner().invoke(app, ["datev", "check", "--json", str(path)])
    assert result.exit_code == 1
    [report] = json.loads(result.stdout)
    assert (report["category"], report["version"], report["rows"], report["errors"]) == (21, 13, 54, 1)
    [error] = [f for f in report["findings"] if f["severity"] == "error"]
    assert (error["line"], error["column"], error["rule"]) == (7, 1, "amount.decimal_point")


def test_cli_caps_output_per_file_unless_all(tmp_path: Path) -> None:
    path = tmp_path / "EXTF_Buchungsstapel.csv"
    # a tab in every empty text field of line 3: one kind of finding per column, far more than the cap
    lines = lines_of(restored(BOOKINGS))
    lines[2] = ";".join('"\t"' if f == '""' else f for f in lines[2].split(";"))
    path.write_bytes(join(lines))
    capped = CliRunner().invoke(app, ["datev", "check", str(path)])
    assert capped.exit_code == 1
    assert "more kinds of finding (use --all" in capped.stdout
    everything = CliRunner().invoke(app, ["datev", "check", "--all", str(path)])
    assert "use --all" not in everything.stdout
    assert everything.stdout.count("control character") > capped.stdout.count("control character") >= 40


# -- the splitter --------------------------------------------------------------------------------

_TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=12)
_BARE = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters='\r\n;"'), max_size=12)
_FIELD = st.one_of(_TEXT.map(lambda t: '"' + t.replace('"', '""') + '"'), _BARE)


@given(st.lists(_FIELD, min_size=1, max_size=20))
def test_splitting_a_joined_line_gives_the_fields_back(fields: list[str]) -> None:
    line = ";".join(fields)
    split, problem = split_line(line)
    assert problem is None
    assert split == fields


@given(st.lists(_TEXT, min_size=1, max_size=20))
def test_quoted_texts_with_semicolons_and_quotes_survive_a_round_trip(texts: list[str]) -> None:
    line = ";".join('"' + t.replace('"', '""') + '"' for t in texts)
    split, problem = split_line(line)
    assert problem is None
    assert [unquote(f) for f in split] == texts


@given(st.text(st.sampled_from('ab;"\t\r '), max_size=40))
def test_the_splitter_never_raises_and_a_clean_split_joins_back(line: str) -> None:
    fields, problem = split_line(line)
    if problem is None:
        assert ";".join(fields) == line


@given(st.binary(max_size=400), st.booleans())
def test_the_checker_never_raises_on_random_bytes(data: bytes, behind_a_header: bool) -> None:
    prefix = b'"EXTF";700;21;"Buchungsstapel";13;' if behind_a_header else b""
    report = check_bytes(prefix + data, "EXTF_fuzz.csv")
    assert report.name == "EXTF_fuzz.csv"  # a report, not a traceback
