"""Reading CSV exports as they really come: RFC 4180 quoting kept exactly, and the encodings of Excel and CRM
exports in Arabic, Chinese and Russian markets read as themselves (or refused with the right advice)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from cxlens.errors import InputFileError, UsageError
from cxlens.ingest import load, sync_journey
from cxlens.model.journey import read_journey
from cxlens.store import Store
from conftest import PLAIN_JOURNEY as JOURNEY

CUSTOMERS = "customer_id,signup_date,segment\nC1,2024-01-01,family\nC2,2024-02-01,value\n"
HEADER = "response_id,customer_id,ts,touchpoint_id,metric,score,comment\n"

ARABIC = "خدمة العملاء كانت ممتازة وسريعة جدا، شكرا لكم على المساعدة"
CHINESE = "客服态度很好，问题很快就解决了，非常满意"
RUSSIAN = "Оператор быстро решил мою проблему, спасибо большое за помощь"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store.open(f"duckdb:///{tmp_path / 'cx.duckdb'}")
    (tmp_path / "journey.yaml").write_text(textwrap.dedent(JOURNEY), encoding="utf-8")
    sync_journey(s, read_journey(tmp_path / "journey.yaml"))
    (tmp_path / "customers.csv").write_text(CUSTOMERS, encoding="utf-8")
    load(s, tmp_path / "customers.csv", "customers")
    yield s
    s.close()


def responses_file(path: Path, comments: list[str], encoding: str = "utf-8", delimiter: str = ",") -> Path:
    """A responses export whose comment column holds `comments` exactly as given (already CSV-quoted if needed)."""
    lines = [HEADER.replace(",", delimiter)]
    for i, comment in enumerate(comments, start=1):
        lines.append(delimiter.join([f"R{i}", "C1", "2024-03-01", "call", "csat", "4", comment]) + "\n")
    path.write_bytes("".join(lines).encode(encoding))
    return path


def stored_comments(store: Store) -> list[str]:
    return [r[0] for r in store.duckdb.execute("SELECT comment FROM responses ORDER BY response_id").fetchall()]


def assert_refused_and_nothing_stored(store: Store, path: Path, match: str, **kwargs) -> InputFileError:
    before = store.count("responses"), store.count("quarantine"), store.count("loads")
    with pytest.raises(InputFileError, match=match) as err:
        load(store, path, "responses", **kwargs)
    assert path.name in str(err.value)
    assert (store.count("responses"), store.count("quarantine"), store.count("loads")) == before
    return err.value


# RFC 4180 quoting

def test_doubled_quotes_embedded_newlines_and_delimiters_round_trip_exactly(store, tmp_path):
    f = responses_file(tmp_path / "quotes.csv", ['"The agent said ""wait"" twice"', '"line one\nline two"',
                                                 '"a, b; c\tand | d"', '""""', '5" screen'])
    report = load(store, f, "responses")
    assert (report.inserted, report.quarantined) == (5, 0)
    assert stored_comments(store) == ['The agent said "wait" twice', "line one\nline two", "a, b; c\tand | d", '"',
                                      '5" screen']


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_files_are_detected_and_keep_their_quoting(store, tmp_path, delimiter):
    f = responses_file(tmp_path / "export.csv", ['"said ""no"", then; left\tquickly"', "plain"], delimiter=delimiter)
    assert load(store, f, "responses").inserted == 2
    assert stored_comments(store) == ['said "no", then; left\tquickly', "plain"]


def test_an_unbalanced_quote_is_reported_with_its_line_not_as_a_missing_column(store, tmp_path):
    f = responses_file(tmp_path / "open.csv", ["fine", '"never closed', "also fine"])
    error = assert_refused_and_nothing_stored(store, f, r"open\.csv.*quote.*line 3")
    assert "missing" not in str(error)


def test_an_unbalanced_quote_far_beyond_the_sniffed_sample_is_reported_with_its_line(store, tmp_path):
    comments = ["fine"] * 60_000
    comments[49_999] = '"never closed'
    f = responses_file(tmp_path / "late.csv", comments)
    assert_refused_and_nothing_stored(store, f, r"late\.csv.*quote.*line 50001")


def test_text_after_a_closing_quote_is_reported_with_its_line(store, tmp_path):
    f = responses_file(tmp_path / "junk.csv", ["fine", '"closed"junk'])
    assert_refused_and_nothing_stored(store, f, r"junk\.csv.*quote.*line 3")


def test_a_row_with_too_many_fields_names_its_line(store, tmp_path):
    f = responses_file(tmp_path / "ragged.csv", ["fine", "a,b"])
    assert_refused_and_nothing_stored(store, f, r"ragged\.csv.*line 3.*8 fields.*7")


# Encodings

@pytest.mark.parametrize("encoding, text", [
    ("cp1256", ARABIC), ("windows-1256", ARABIC), ("gb18030", CHINESE), ("gbk", CHINESE), ("cp1251", RUSSIAN),
    ("utf-16", ARABIC + " " + CHINESE), ("utf-8-sig", RUSSIAN), ("latin-1", "très bien"),
])
def test_exports_in_their_encodings_load_as_the_original_text(store, tmp_path, encoding, text):
    f = responses_file(tmp_path / "export.csv", [f'"{text}"', f'"{text}, ""quoted""\nsecond line"'], encoding=encoding)
    report = load(store, f, "responses", encoding=encoding)
    assert (report.inserted, report.quarantined) == (2, 0)
    assert stored_comments(store) == [text, f'{text}, "quoted"\nsecond line']


def test_a_utf8_bom_is_not_part_of_the_first_column_name(store, tmp_path):
    f = responses_file(tmp_path / "bom.csv", [ARABIC], encoding="utf-8-sig")
    assert load(store, f, "responses").inserted == 1  # default encoding: the BOM is dropped, response_id found
    assert stored_comments(store) == [ARABIC]


@pytest.mark.parametrize("encoding, text", [("cp1256", ARABIC), ("gb18030", CHINESE), ("cp1251", RUSSIAN),
                                            ("cp1252", "très bien, ça marche, merci à l'équipe")])
def test_without_an_encoding_the_error_suggests_the_files_encoding_and_never_latin_1(store, tmp_path, encoding, text):
    f = responses_file(tmp_path / "export.csv", ["fine", f'"{text}"'], encoding=encoding)
    error = assert_refused_and_nothing_stored(store, f, rf"export\.csv.*not UTF-8.*line 3.*--encoding {encoding}\b")
    assert "latin" not in str(error).lower()
    assert load(store, f, "responses", encoding=encoding).inserted == 2  # and the advice works
    assert stored_comments(store)[1] == text


def test_a_utf16_file_read_as_utf8_is_recognised_by_its_bom(store, tmp_path):
    f = responses_file(tmp_path / "unicode.csv", [CHINESE], encoding="utf-16")
    assert_refused_and_nothing_stored(store, f, r"unicode\.csv.*--encoding utf-16")


def test_a_wrong_byte_in_a_stated_encoding_names_its_line(store, tmp_path):
    f = tmp_path / "mixed.csv"
    f.write_bytes(HEADER.encode() + "R1,C1,2024-03-01,call,csat,4,ok\n".encode()
                  + b"R2,C1,2024-03-01,call,csat,4,\x81\xff\n")
    assert_refused_and_nothing_stored(store, f, r"mixed\.csv.*not gb18030.*line 3", encoding="gb18030")


def test_an_invalid_utf8_byte_after_the_first_megabyte_names_its_line(store, tmp_path):
    f = responses_file(tmp_path / "late.csv", ["x" * 100] * 20_000 + [ARABIC], encoding="utf-8")
    f.write_bytes(f.read_bytes().replace(ARABIC.encode(), ARABIC.encode("cp1256")))
    assert_refused_and_nothing_stored(store, f, r"late\.csv.*not UTF-8.*line 20002.*--encoding cp1256")


@pytest.mark.parametrize("line", [
    b"R2,C1,2024-03-01,call,csat,4,ok\xff\n",                  # a byte that never starts a character
    b'R2,C1,2024-03-01,call,csat,4,"quoted \xc3 text"\n',      # a sequence cut short inside quotes
    b"R2,C1,2024-03-01,call,csat,4,cut\xe2\x82\n",            # ... at the end of the line
    b"R2,C1\xff,2024-03-01,call,csat,4,ok\n",                  # in a column other than the last
    b"R2,C1,2024-03-01,call,csat,4,\xc0\xaf\n",               # an overlong form
    b"R2,C1,2024-03-01,call,csat,4,\xed\xa0\x80\n",          # a surrogate
])
def test_every_kind_of_invalid_utf8_is_refused_naming_its_line(store, tmp_path, line):
    # The UTF-8 scan runs only once DuckDB has refused the file: DuckDB must refuse every one of these.
    f = tmp_path / "bad.csv"
    f.write_bytes(HEADER.encode() + b"R1,C1,2024-03-01,call,csat,4,fine\n" + line + b"R3,C1,2024-03-01,call,csat,4,ok\n")
    assert_refused_and_nothing_stored(store, f, r"bad\.csv.*not UTF-8.*line 3")


def test_an_unknown_encoding_is_a_usage_error_naming_the_accepted_ones(store, tmp_path):
    f = responses_file(tmp_path / "r.csv", ["fine"])
    with pytest.raises(UsageError, match="encoding.*cp1256.*gb18030"):
        load(store, f, "responses", encoding="klingon")
