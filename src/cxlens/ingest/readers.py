"""Read a source file (CSV, Parquet, JSON Lines, Excel) into a DuckDB view, failing whole or not at all.

CSV is read as text so that a bad value reaches validation (and quarantine) instead of failing the
read; Parquet keeps its types. Errors name the file.

CSV follows RFC 4180 exactly: fields quoted with `"`, a quote inside a quoted field doubled (`""`),
delimiters and newlines inside quotes kept; the delimiter (`,` `;` tab `|`) is taken from the header
line. The whole file is parsed before the load starts, so an unbalanced quote or a ragged row is
refused naming its line. Encodings DuckDB reads natively (UTF-8 with or without BOM, Latin-1) are
read in place; the others real exports use (cp1256 Arabic, gb18030/gbk Chinese, cp1251 Cyrillic,
cp1252, UTF-16) are transcoded to UTF-8 in Python, streamed through a temporary file. A file that
is not in the stated encoding is refused naming the line of its first undecodable byte and, when
its encoding can be recognised, the `--encoding` that reads it.
"""

from __future__ import annotations

import codecs
import csv
import re
import tempfile
import unicodedata
from pathlib import Path

import duckdb

from cxlens.errors import InputFileError, UsageError, first_line
from cxlens.store.sql import ident, literal

FORMATS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet",
           ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".xlsx": "excel", ".xlsm": "excel"}
NATIVE_ENCODINGS = {"utf-8": "utf-8", "utf-8-sig": "utf-8", "iso8859-1": "latin-1"}  # Python codec -> DuckDB's
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1", "cp1256", "gb18030", "gbk", "cp1251")
DELIMITERS = (",", ";", "\t", "|")
CHUNK = 1 << 22  # bytes per transcoding / scanning step


def file_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputFileError(str(path), f"unknown file type '{path.suffix}'; use CSV, Parquet, JSON Lines or Excel (.xlsx)")
    return fmt


def read_source(con: duckdb.DuckDBPyConnection, path: str | Path, view: str, encoding: str = "utf-8") -> list[str]:
    """Create temp view `view` over the file (a CSV file: over temp table `<view>_text`, its parsed text); return its
    column names. Raises InputFileError.

    `encoding` applies to CSV files: any name Python knows (see ENCODINGS for those real exports use).
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(str(path), "file not found")
    fmt = file_format(path)
    if _is_empty(path):
        raise InputFileError(str(path), "the file is empty (no header row, no data); export it again, or check the file name")
    con.execute(f"DROP TABLE IF EXISTS {ident(view + '_text')}")  # a previous transcoded CSV's rows
    if fmt == "csv":
        return _read_csv(con, path, view, encoding)
    quoted = literal(str(path))
    if fmt == "parquet":
        sql = f"SELECT * FROM read_parquet({quoted})"
    elif fmt == "jsonl":
        sql = f"SELECT * FROM read_json({quoted}, format='newline_delimited')"
    else:
        con.register(f"{view}_arrow", _read_excel(path))
        sql = f"SELECT * FROM {ident(view + '_arrow')}"
    try:
        con.execute(f"CREATE OR REPLACE TEMP VIEW {ident(view)} AS {sql}")
        return [d[0] for d in con.execute(f"SELECT * FROM {ident(view)} LIMIT 0").description]
    except duckdb.Error as exc:
        raise InputFileError(str(path), f"cannot be read as {fmt}: {first_line(exc)}") from exc


def drop_source(con: duckdb.DuckDBPyConnection, view: str) -> None:
    """Drop what `read_source` and `number_source` made for `view` once the load is over: a CSV file's parsed text
    (a temp table as large as the file) and an Excel file's frame would otherwise stay in the store's connection."""
    con.execute(f"DROP VIEW IF EXISTS {ident(view + '_numbered')}")
    con.execute(f"DROP VIEW IF EXISTS {ident(view)}")
    con.execute(f"DROP TABLE IF EXISTS {ident(view + '_text')}")
    try:
        con.unregister(f"{view}_arrow")
    except duckdb.Error:
        pass


def number_source(con: duckdb.DuckDBPyConnection, path: str | Path, view: str) -> str | None:
    """Create temp view `<view>_numbered`: `view`'s rows with their 1-based file row number `_row` first, numbered
    without `row_number() OVER ()`; returns its name, or None for a source that has no such number.

    DuckDB runs every operator after a `row_number() OVER ()` on one thread (the streaming window is not a
    parallel operator), so typing and checking a whole file used one core. Parquet numbers its own rows
    (`file_row_number`), and a CSV file's rows are a temp table filled in file order by a parallel scan (`rowid`,
    counted from the table's first): DuckDB's CSV reader has no row number of its own (architecture D47).
    """
    path, numbered = Path(path), ident(view + "_numbered")
    fmt = file_format(path)
    # Every result is fetched to the end: a result left open blocks registering functions on the connection.
    text = con.execute("SELECT table_name FROM information_schema.tables WHERE table_catalog = 'temp' "
                       f"AND table_name = {literal(view + '_text')}").fetchall()
    if fmt == "csv" and text:
        table = ident(view + "_text")  # rowids start at 2^55 in a table made inside a transaction
        sql = f"SELECT rowid - (SELECT min(rowid) FROM {table}) + 1 AS _row, * FROM {table}"
    elif fmt == "parquet":
        quoted = literal(str(path))
        names = [d[0] for d in con.execute(f"DESCRIBE SELECT * FROM {ident(view)}").fetchall()]
        if "file_row_number" in names:  # the option would clash with the file's own column
            return None
        sql = f"SELECT file_row_number + 1 AS _row, * EXCLUDE (file_row_number) FROM read_parquet({quoted}, file_row_number=true)"
    else:
        return None
    con.execute(f"CREATE OR REPLACE TEMP VIEW {numbered} AS {sql}")
    return view + "_numbered"


def _is_empty(path: Path, probe: int = 1 << 16) -> bool:
    """Whether the file holds nothing but white space and byte-order marks (a 0-byte export, a few blank lines)."""
    if path.stat().st_size > probe:
        return False
    data = path.read_bytes()
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        data = data.replace(bom, b"")
    return not data.replace(b"\x00", b"").strip()


def _read_csv(con: duckdb.DuckDBPyConnection, path: Path, view: str, encoding: str) -> list[str]:
    """CSV into `view` over temp table `<view>_text`: parsed once, in parallel and in file order (its rowids number
    the rows without a window, `number_source`; a parse error surfaces here, before the load), read in place when
    DuckDB knows the encoding, else transcoded to UTF-8 first. Holding the text costs memory (0.6-0.8 GB more
    peak at 10M answers, spilled to disk past DuckDB's memory limit) and buys 1.2x on the load (D47)."""
    codec = _codec(encoding)
    if codec in NATIVE_ENCODINGS:
        utf8 = NATIVE_ENCODINGS[codec] == "utf-8"
        if utf8:
            _check_utf16_bom(path)
        text_encoding = "utf-8" if utf8 else codec
        sql = _csv_sql(path, NATIVE_ENCODINGS[codec], _delimiter(path, text_encoding))
        try:
            con.execute(f"CREATE TEMP TABLE {ident(view + '_text')} AS {sql}")
        except duckdb.Error as exc:
            if utf8:  # DuckDB refuses any byte that is not UTF-8 (tests/unit/ingest/test_readers.py), tersely
                _check_utf8(path)
            raise _csv_error(path, path, text_encoding, exc) from exc
    else:
        with tempfile.TemporaryDirectory(prefix="cxlens-") as tmp:
            text = Path(tmp) / "utf8.csv"
            _transcode(path, codec, encoding, text)
            sql = _csv_sql(text, "utf-8", _delimiter(text, "utf-8"))
            try:
                con.execute(f"CREATE TEMP TABLE {ident(view + '_text')} AS {sql}")
            except duckdb.Error as exc:
                raise _csv_error(path, text, "utf-8", exc) from exc
    con.execute(f"CREATE OR REPLACE TEMP VIEW {ident(view)} AS SELECT * FROM {ident(view + '_text')}")
    return [d[0] for d in con.execute(f"SELECT * FROM {ident(view)} LIMIT 0").description]


def _codec(encoding: str) -> str:
    """Python's canonical name of `encoding` ('windows-1256' -> 'cp1256'); UsageError if unknown."""
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise UsageError("encoding", encoding, ENCODINGS) from None


def _csv_sql(path: Path, duckdb_encoding: str, delimiter: str) -> str:
    """RFC 4180, strictly: `"` quotes, `""` inside quotes is one quote; nothing guessed but newlines and types."""
    return (f"SELECT * FROM read_csv({literal(str(path))}, all_varchar=true, header=true, "
            f"encoding={literal(duckdb_encoding)}, delim={literal(delimiter)}, quote='\"', escape='\"', strict_mode=true, "
            "skip=0, comment='')")


def _delimiter(path: Path, text_encoding: str) -> str:
    """The delimiter of the header line: the most frequent of , ; tab | outside quotes (',' when none)."""
    with path.open("r", encoding=text_encoding, errors="replace", newline="") as fh:
        header = fh.readline(1 << 16)
    header = re.sub(r'"[^"]*"', "", header)
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


# Quoting and shape errors

def _csv_error(path: Path, text: Path, text_encoding: str, exc: duckdb.Error) -> InputFileError:
    """The error for a CSV DuckDB refused: a quoting or shape problem at a line, else DuckDB's own first line."""
    problem = _csv_problem(text, text_encoding, _delimiter(text, text_encoding))
    if problem:
        return InputFileError(str(path), problem)
    return InputFileError(str(path), f"cannot be read as csv: {first_line(exc)}")


def _csv_problem(path: Path, text_encoding: str, delimiter: str) -> str | None:
    """Walk the file with Python's strict RFC 4180 reader: what is wrong and on which line, or None."""
    with path.open("r", encoding=text_encoding, errors="replace", newline="") as fh:
        reader = csv.reader(fh, delimiter=delimiter, quotechar='"', doublequote=True, strict=True)
        start, width = 1, None
        try:
            for row in reader:
                if width is None:
                    width = len(row)
                elif len(row) != width and row:
                    return (f"line {start} has {len(row)} fields but the header has {width}; quote fields that "
                            f"contain '{_show(delimiter)}' (\"like, this\") or fix the row")
                start = reader.line_num + 1
        except csv.Error as exc:
            if "expected after" in str(exc):
                return (f"bad quote on line {reader.line_num}: text follows a closing quote; quote the whole field "
                        "and write a quote inside it as two (\"\")")
            # end of data, or a field past the csv module's limit: a quote opened and never closed
            return (f"unbalanced quote: the quoted field that opens on line {start} is never closed; close it "
                    "with \" and write a quote inside quoted text as two (\"\")")
    return None


def _show(delimiter: str) -> str:
    return "tab" if delimiter == "\t" else delimiter


# Encodings

def _transcode(path: Path, codec: str, encoding: str, target: Path) -> None:
    """Stream `path` from `codec` into UTF-8 at `target`, in chunks; InputFileError at the first undecodable byte."""
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    line = 1
    with path.open("rb") as src, target.open("wb") as dst:
        while True:
            chunk = src.read(CHUNK)
            pending = decoder.getstate()[0]
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                data = pending + chunk
                line += codecs.decode(data[: exc.start], codec, "replace").count("\n")
                guess = _guess_encoding(_sample(path, src.tell() - len(chunk) + exc.start - len(pending)))
                advice = (f"it looks like {_LABELS[guess]}: pass --encoding {guess}" if guess and guess != codec
                          else "re-save it as UTF-8 or pass the encoding it was saved in with --encoding")
                raise InputFileError(str(path), f"is not {encoding} (byte 0x{data[exc.start]:02x} at line {line} "
                                                f"cannot be decoded); {advice}") from exc
            line += text.count("\n")
            dst.write(text.encode("utf-8"))
            if not chunk:
                return


def _check_utf16_bom(path: Path) -> None:
    """Fail clearly on a UTF-16 file read as UTF-8 (DuckDB's sniffer says only that it cannot sniff it)."""
    with path.open("rb") as fh:
        if fh.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            raise _not_utf8(path, 1, 0)


def _check_utf8(path: Path) -> None:
    """Fail clearly on a file that is not UTF-8, naming the line (DuckDB's error is cryptic). Run only once DuckDB
    has refused the file: scanning 491 MB took 0.37 s, 4% of a 10M-answer load, for files that are nearly always
    valid."""
    _check_utf16_bom(path)
    bad = _first_invalid_utf8(path)
    if bad is not None:
        raise _not_utf8(path, *bad)


def _first_invalid_utf8(path: Path) -> tuple[int, int] | None:
    """(line, byte offset) of the first byte that is not UTF-8, streaming the whole file; None if it is all UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    line, offset = 1, 0
    with path.open("rb") as fh:
        while True:
            chunk = fh.read(CHUNK)
            pending = decoder.getstate()[0]
            try:
                if pending or not chunk.isascii():  # ASCII is UTF-8: the common case costs a byte scan
                    decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                data = pending + chunk
                return line + data[: exc.start].count(b"\n"), offset - len(pending) + exc.start
            line += chunk.count(b"\n")
            offset += len(chunk)
            if not chunk:
                return None


def _not_utf8(path: Path, line: int, offset: int) -> InputFileError:
    """'not UTF-8' naming the line and the encoding the file looks like (never one that turns its letters Latin)."""
    guess = _guess_encoding(_sample(path, offset))
    if guess:
        advice = f"it looks like {_LABELS[guess]}: pass --encoding {guess}, or re-save it as UTF-8"
    else:
        advice = ("re-save it as UTF-8, or pass --encoding with the encoding it was saved in (cp1256 Arabic, "
                  "gb18030 Chinese, cp1251 Cyrillic, cp1252 Western European, utf-16)")
    return InputFileError(str(path), f"is not UTF-8 (invalid byte at line {line}); {advice}")


def _sample(path: Path, offset: int, size: int = 1 << 16) -> bytes:
    """The file's start and the bytes around `offset`: what the encoding guess looks at."""
    with path.open("rb") as fh:
        head = fh.read(size)
        if offset < size - 1024:
            return head
        fh.seek(offset - 1024)
        fh.readline()  # start on a line: a multi-byte character is never cut in two
        return head[:4] + fh.read(size)


_LABELS = {"utf-16": "UTF-16 (it starts with a UTF-16 byte-order mark)", "cp1256": "Windows-1256 (Arabic)",
           "gb18030": "GB18030/GBK (Chinese)", "cp1251": "Windows-1251 (Cyrillic)", "cp1252": "Windows-1252 (Western European)"}
_CANDIDATES = ("cp1256", "cp1251", "gb18030", "cp1252")  # on a tie, the earlier wins


def _guess_encoding(sample: bytes) -> str | None:
    """The encoding a non-UTF-8 sample most likely is, or None when no candidate reads as real text.

    Each candidate decodes the sample; its score is the share of non-ASCII characters that are letters of its
    script in a plausible place (Arabic or Cyrillic letters in words of their own script, Cyrillic capitals only
    first; CJK ideographs and punctuation; accented Latin letters next to ASCII letters). Arabic or Chinese bytes
    decoded as Windows-1252 give runs of accented letters with no ASCII letter beside them, so they score low.
    """
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    best, best_score = None, 0.6  # below this, no guess is better than a wrong one
    for codec in _CANDIDATES:
        try:
            text = codecs.getincrementaldecoder(codec)(errors="strict").decode(sample, final=False)
        except UnicodeDecodeError:
            continue
        score = _script_score(text, codec)
        if score > best_score:
            best, best_score = codec, score
    return best


def _script_score(text: str, codec: str) -> float:
    non_ascii = [c for c in text if ord(c) > 127 and not c.isspace()]
    if not non_ascii:
        return 0.0
    good = 0
    if codec == "gb18030":
        padded = f" {text} "  # an ideograph between two ASCII letters ('Gr' + one + 'e' from 'Größe') is not Chinese
        good = sum(1 for i, c in enumerate(padded) if _is_common_chinese(c)
                   and not (_ascii_letter(padded[i - 1]) and _ascii_letter(padded[i + 1])))
    else:
        for word in re.findall(r"[^\W\d_]+", text):
            if codec == "cp1252":
                if any(c.isascii() for c in word):
                    good += sum(1 for c in word if not c.isascii() and "LATIN" in unicodedata.name(c, ""))
            elif not any(c.isascii() for c in word):
                script = "ARABIC" if codec == "cp1256" else "CYRILLIC"
                letters = [c for c in word if script in unicodedata.name(c, "")]
                cased_ok = codec == "cp1256" or not any(c.isupper() for c in word[1:]) or word.isupper()
                if len(letters) == len(word) and cased_ok:
                    good += len(word)
    return good / len(non_ascii)


def _ascii_letter(char: str) -> bool:
    return char.isascii() and char.isalpha()


def _is_common_chinese(char: str) -> bool:
    """A CJK ideograph or punctuation from GB2312 (both bytes >= 0xA1): what Chinese text is made of. Latin text
    decoded as GBK gives ideographs with an ASCII second byte ('tr\\xe8s' -> 'tr' + one ideograph) instead."""
    if not ("\u3400" <= char <= "\u9fff" or "\u3000" <= char <= "\u303f" or "\uff00" <= char <= "\uffef"):
        return False
    encoded = char.encode("gb18030")
    return len(encoded) == 2 and min(encoded) >= 0xA1


def _read_excel(path: Path):
    """First worksheet as an all-text Arrow table (Excel cells are typed loosely)."""
    import pandas as pd
    import pyarrow as pa

    try:
        frame = pd.read_excel(path, dtype=str, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types for damaged workbooks
        raise InputFileError(str(path), f"cannot be read as Excel: {exc}") from exc
    return pa.Table.from_pandas(frame.astype("string"), preserve_index=False)
