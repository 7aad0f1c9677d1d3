"""Byte-stable Parquet writing and tolerant reading of messy raw exports.

Why hand-written: Indonesian exports mix ``;`` and ``,`` separators, decimal
commas, UTF-8 with or without BOM and Windows-1252, and Excel files; pandas'
readers need the encoding and separator up front, so we sniff them here and
read every cell as text (types are parsed later, column by column, so a bad
cell becomes a reject with a reason instead of a silent NaN).
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from decimal import Decimal
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

#: Fixed writer options: same frame => same bytes (no timestamps, no pandas index).
PARQUET_OPTIONS = dict(compression="zstd", compression_level=3, use_dictionary=True, write_statistics=True,
                       version="2.6", data_page_size=1 << 20)


#: Rows per row group of :func:`write_parquet` (pyarrow's default, stated so a streamed writer can match it).
ROW_GROUP_ROWS = 1 << 20


def write_parquet(df: pd.DataFrame, path: Path) -> Path:
    table = pa.Table.from_pandas(df, preserve_index=False)
    table = table.replace_schema_metadata(None)  # pandas metadata embeds library versions
    # one contiguous array per column: the writer cuts pages where the input's chunks end, and pandas' Arrow
    # strings keep the chunks of whatever made the frame; the streamed writer (finish_parquet) does the same
    table = table.combine_chunks()
    pq.write_table(table, path, row_group_size=ROW_GROUP_ROWS, **PARQUET_OPTIONS)
    return path


def arrow_schema_of(dtypes: dict[str, str]) -> pa.Schema:
    """The Arrow schema :func:`write_parquet` gives a frame of these pandas dtypes (e.g. pandas' ``str`` is
    ``large_string``): what a table streamed to Parquet without pandas must have to give the same bytes."""
    empty = pd.DataFrame({c: pd.Series([], dtype=t) for c, t in dtypes.items()})
    return pa.Schema.from_pandas(empty, preserve_index=False).remove_metadata()


def read_parquet(path: Path) -> pd.DataFrame:
    return pq.read_table(path).to_pandas()


class UnreadableFileError(ValueError):
    """Raised by the sniffers; cleaning turns it into a DataInputError with the file name."""

    def __init__(self, message: str, row: int = 0, column: str = "-"):
        super().__init__(message)
        self.row, self.column = row, column


def _locate(raw: bytes, offset: int) -> tuple[int, str]:
    """Data row (1 = first after the header) and header of the cell holding byte ``offset``."""
    line_no = raw.count(b"\n", 0, offset)
    header = raw.split(b"\n", 1)[0].decode("latin-1")
    sep = ";" if header.count(";") > header.count(",") else ","
    line_start = raw.rfind(b"\n", 0, offset) + 1
    col_idx = raw[line_start:offset].decode("latin-1").count(sep)
    names = [h.strip() for h in header.split(sep)]
    return line_no, names[col_idx] if col_idx < len(names) else "-"


@dataclass(frozen=True)
class TextFormat:
    encoding: str
    sep: str


_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
SEPARATORS = (",", ";", "\t", "|")


def _decode_lines(raw: bytes) -> tuple[str, str]:
    """UTF-8, else Windows-1252; a UTF-8 file with some Windows-1252 rows (two sources pasted) per line."""
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    lines = raw.split(b"\n")
    utf8 = []
    for ln in lines:
        try:
            ln.decode("utf-8")
            utf8.append(not ln.isascii())
        except UnicodeDecodeError:
            utf8.append(False)
    enc = "utf-8+cp1252" if any(utf8) else "cp1252"
    out, offset = [], 0
    for ln, is_utf8 in zip(lines, utf8):
        try:
            out.append(ln.decode("utf-8") if is_utf8 else ln.decode("cp1252"))
        except UnicodeDecodeError as exc:
            row, col = _locate(raw, offset + exc.start)
            raise UnreadableFileError(
                f"unreadable encoding: tried UTF-8 and Windows-1252 (byte 0x{ln[exc.start]:02x} at offset "
                f"{offset + exc.start}); re-save the file as UTF-8", row, col) from exc
        offset += len(ln) + 1
    return "\n".join(out), enc


def sniff_text(raw: bytes) -> tuple[str, TextFormat]:
    """Decode bytes (UTF-8 with/without BOM, UTF-16 with BOM, Windows-1252, UTF-8 with Windows-1252 rows)
    and guess the separator from the header line."""
    for bom, enc in _BOMS:
        if raw.startswith(bom):
            body = raw[len(bom):]
            if enc.startswith("utf-16"):
                try:
                    text = body.decode(enc)
                except UnicodeDecodeError as exc:
                    raise UnreadableFileError(f"unreadable encoding: not valid {enc.upper()} (byte-order mark "
                                              f"found; error at offset {exc.start})") from exc
            else:
                text, inner = _decode_lines(body)
                enc = "utf-8-sig" if inner == "utf-8" else f"utf-8-sig+{inner.split('+')[-1]}"
            break
    else:
        if b"\x00" in raw[:4096]:
            raise UnreadableFileError("unreadable encoding: NUL bytes without a byte-order mark (UTF-16 without "
                                      "BOM, or not a text file); re-save as UTF-8 or 'Unicode text' with BOM")
        text, enc = _decode_lines(raw)
    text = text.replace("\r\n", "\n")
    return text, TextFormat(enc, guess_separator(text.split("\n", 1)[0]))


def guess_separator(header: str) -> str:
    """The separator of a text export: the most frequent candidate in its header line (ties: comma)."""
    return max(SEPARATORS, key=lambda c: (header.count(c), c == ","))


def data_suffix(path: Path) -> str:
    """``.csv`` for ``x.csv`` and for a gzip-compressed ``x.csv.gz`` (bulk exports come compressed)."""
    p = Path(path)
    return (Path(p.stem).suffix if p.suffix.lower() == ".gz" else p.suffix).lower()


_LINE = re.compile(r"line (\d+)")


def read_text_table(path: Path) -> tuple[pd.DataFrame, TextFormat]:
    raw = Path(path).read_bytes()
    if Path(path).suffix.lower() == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise UnreadableFileError(f"not a valid gzip file ({exc})") from exc
    if not raw.strip():
        raise UnreadableFileError("file is empty")
    text, fmt = sniff_text(raw)
    try:
        df = pd.read_csv(io.StringIO(text), sep=fmt.sep, dtype=object, keep_default_na=False, na_values=[],
                         quoting=csv.QUOTE_MINIMAL, skip_blank_lines=True, engine="c")
    except pd.errors.ParserError as exc:  # pandas counts lines from 1 = header
        m = _LINE.search(str(exc))
        row = int(m.group(1)) - 1 if m else 0
        raise UnreadableFileError(f"not a readable table ({fmt.encoding}, separator {fmt.sep!r}): row {row} "
                                  "does not match the header (a stray separator or quote?)" if m else
                                  f"not a readable table ({fmt.encoding}, separator {fmt.sep!r})", max(row, 0)) from exc
    return df, fmt


EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")


def read_excel_table(path: Path) -> pd.DataFrame:
    """First sheet as text; python-calamine reads legacy ``.xls`` too (and xlsx faster than openpyxl)."""
    try:
        df = pd.read_excel(path, dtype=object, keep_default_na=False, na_values=[], engine="calamine")
    except Exception as exc:  # the reader raises several types for corrupt workbooks
        raise UnreadableFileError(f"cannot read workbook ({type(exc).__name__}): not a valid "
                                  f"{Path(path).suffix.lower()} file, or password-protected") from exc
    return df.apply(lambda col: col.map(_excel_text)).astype(object)


def _excel_text(v) -> str:
    """A cell as text. Excel keeps 15 significant digits: an 18-digit NIP typed as a number comes back as
    the nearest double (``...011008``); show what Excel kept (``...011000``) so the NIP check sees it."""
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 10**15:
        return str(int(Decimal(f"{float(v):.15g}")))
    return str(v)


def read_table(path: Path) -> tuple[pd.DataFrame, str]:
    """Read a raw export as all-text columns; return the frame and a format label."""
    path = Path(path)
    if path.suffix.lower() in EXCEL_SUFFIXES:
        return read_excel_table(path), path.suffix.lower().lstrip(".")
    df, fmt = read_text_table(path)
    return df, f"csv[{fmt.encoding},{fmt.sep}]"


FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def write_xlsx(df: pd.DataFrame, path: Path) -> Path:
    """Write an .xlsx whose bytes depend only on ``df``.

    openpyxl stamps "now" into docProps/core.xml and every zip entry; we rewrite
    both with fixed values so a seeded generator gives identical files.
    """
    import re
    import zipfile

    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Sheet1")
    ws.append([str(c) for c in df.columns])
    for row in df.itertuples(index=False):
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst:
        for name in sorted(src.namelist()):
            data = src.read(name)
            if name == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>2000-01-01T00:00:00Z", data)
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)
    Path(path).write_bytes(out.getvalue())
    return Path(path)
