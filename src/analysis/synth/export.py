"""Write the simulated tables as the source systems would export them, messily.

Each raw file is built as a frame of text cells, then (per :class:`MessyConfig`)
cells get Indonesian date styles, spaced NIPs, unit-name and category variants;
rows get corrupted (and logged with the reject reason cleaning must give),
duplicated or test rows inserted; headers get renamed; and the file is written
as ``,``/UTF-8, ``;``+decimal comma with a BOM or in Windows-1252, or ``.xlsx``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.clean.profile import shipped
from analysis.io import write_xlsx
from analysis.synth.config import MessyConfig
from analysis.vocabulary import words

BULAN = words("id").months  # Indonesian month names, as regional systems print dates


def headers(table: str) -> dict[str, tuple[str, ...]]:
    """``raw field -> header spellings`` the generator writes (0 = what the system normally prints).

    Drawn from the export profiles (:mod:`analysis.clean.profile`), so cleaning accepts every one.
    """
    return shipped().printed_headers(table)


def labels(vocabulary: str, values=()) -> dict[str, tuple[str, ...]]:
    """``canonical value -> spellings`` the generator writes (0 = the usual one), from the export profiles.

    ``values`` without a spelling in the profiles are written as themselves or in upper case.
    """
    printed = shipped().printed_labels(vocabulary)
    return {**{v: (v, v.upper()) for v in values}, **printed}


def unknown_unit(study) -> str:
    """A plausible office name that is in no catalogue (the generator's unknown_unit corruption)."""
    return f"UPT Pelayanan Terpadu {study.area.name} Seberang"


def name_variants(name: str, city: str = "") -> tuple[str, ...]:
    """Ways the same unit is written across systems (all map back in cleaning)."""
    v = [name, name.upper(), f"  {name} ", name.replace(" ", "  ", 1)]
    for a, b in (("Kantor Lurah ", "Kel. "), ("Kantor Lurah ", "Kelurahan "), ("Kantor Camat ", "Kecamatan "),
                 ("Puskesmas ", "PKM "), ("Pustu ", "Puskesmas Pembantu "), ("SD Negeri ", "SDN "),
                 ("SMP Negeri ", "SMPN "), (f" {city}" if city else "\0", ""), ("Disdukcapil Kecamatan", "Dukcapil Kec."),
                 ("Gerai Dukcapil", "Gerai Disdukcapil")):
        if a in name:
            v.append(name.replace(a, b))
    return tuple(v)


# --------------------------------------------------------------------------- text formatting
# Only the rows drawn for a variant are formatted in Python; the rest use numpy's C formatting.
def _iso(d: pd.Series, unit: str) -> np.ndarray:
    return pd.to_datetime(d).to_numpy().astype(f"datetime64[{unit}]").astype(str).astype(object)


def _join(*parts) -> np.ndarray:
    out = parts[0]
    for p in parts[1:]:
        out = np.char.add(out, p)
    return out


def fmt_date(d: pd.Series, style: np.ndarray) -> pd.Series:
    """style 0 ISO, 1 '12 Maret 2024', 2 '12/03/2024'; NaT -> ''."""
    d = pd.to_datetime(d)
    out = _iso(d, "D")
    out[d.isna().to_numpy()] = ""
    idx = np.flatnonzero((style > 0) & d.notna().to_numpy())
    if len(idx):
        dd = d.dt.day.to_numpy()[idx].astype(int).astype(str)
        mm = d.dt.month.to_numpy()[idx].astype(int)
        yy = d.dt.year.to_numpy()[idx].astype(int).astype(str)
        indo = _join(dd, " ", np.array(BULAN)[mm - 1], " ", yy)
        slash = _join(np.char.zfill(dd, 2), "/", np.char.zfill(mm.astype(str), 2), "/", yy)
        out[idx] = np.where(style[idx] == 1, indo, slash).astype(object)
    return pd.Series(out, index=d.index, dtype=object)


def fmt_month(d: pd.Series, style: np.ndarray) -> pd.Series:
    d = pd.to_datetime(d)
    out = _iso(d, "M")
    idx = np.flatnonzero(style > 0)
    for i, y, m in zip(idx, d.dt.year.to_numpy()[idx], d.dt.month.to_numpy()[idx]):
        out[i] = f"{BULAN[m - 1]} {y}" if style[i] == 1 else f"{m:02d}/{y}"
    return pd.Series(out, index=d.index, dtype=object)


def fmt_time(ts: pd.Series, style: np.ndarray) -> pd.Series:
    """'08:15:32' or, Indonesian style, '08.15.32'."""
    hms = np.array([s[11:19] for s in _iso(ts, "s")], dtype=object)
    dots = style > 0
    hms[dots] = [h.replace(":", ".") for h in hms[dots]]
    return pd.Series(hms, index=ts.index, dtype=object)


def fmt_nip(nip: pd.Series, style: np.ndarray) -> pd.Series:
    """style 0 plain 18 digits, 1 grouped 'YYYYMMDD YYYYMM S NNN', 2 Excel text (a leading apostrophe)."""
    out = nip.astype(str).to_numpy(dtype=object).copy()
    for i in np.flatnonzero(style > 0):
        s = out[i]
        out[i] = f"{s[:8]} {s[8:14]} {s[14]} {s[15:]}" if style[i] == 1 else "'" + s
    return pd.Series(out, index=nip.index, dtype=object)


def pick(values: pd.Series, variants: dict, rate: float, rng: np.random.Generator) -> pd.Series:
    """Write each value as its usual label (variant 0), or with probability ``rate`` a random variant."""
    vals = values.to_numpy(dtype=object)
    codes, uniq = pd.factorize(vals)
    out = np.array([variants[u][0] if u in variants else u for u in uniq] + [""], dtype=object)[codes]
    use = np.flatnonzero(rng.random(len(vals)) < rate)
    k = rng.integers(0, 8, len(use))
    for i, k_ in zip(use, k):
        v = variants.get(vals[i])
        if v:
            out[i] = v[k_ % len(v)]
    return pd.Series(out, index=values.index, dtype=object)


def styles(n: int, rate: float, rng: np.random.Generator, n_styles: int = 3) -> np.ndarray:
    use = rng.random(n) < rate
    return np.where(use, rng.integers(1, n_styles, n), 0)


# --------------------------------------------------------------------------- raw files
@dataclass
class RawFile:
    """One raw export: text cells per raw field (object arrays), plus the row log for the truth.

    Plain numpy arrays rather than a DataFrame: corrupting single cells and inserting rows
    is then cheap, and the frame is built once when the file is written.
    """

    relpath: str  # without extension
    table: str
    cells: dict[str, np.ndarray]  # raw field id -> text cells
    excel: bool = False  # written as .xlsx when formats are on
    numeric: tuple[str, ...] = ()  # fields written as numbers in xlsx / with decimal comma in ';' CSV
    status: dict[str, np.ndarray] = field(default=None)  # per row: kind ('ok','dup','corrupt','test'), reason, ...

    def __post_init__(self):
        if self.status is None:
            n = self.n
            self.status = {"kind": np.full(n, "ok", dtype=object), "reason": np.full(n, "", dtype=object),
                           "column": np.full(n, "", dtype=object), "src": np.arange(n)}

    @property
    def n(self) -> int:
        return len(next(iter(self.cells.values())))

    def take(self, idx: np.ndarray) -> None:
        self.cells = {k: v[idx] for k, v in self.cells.items()}
        self.status = {k: v[idx] for k, v in self.status.items()}


def corrupt(f: RawFile, rng: np.random.Generator, rate: float, reason: str, apply) -> None:
    """Corrupt a random share of still-clean rows in place; ``apply(idx) -> column`` edits the cells."""
    if rate <= 0 or f.n == 0:
        return
    kind = f.status["kind"]
    ok = np.flatnonzero(kind == "ok")
    for i in ok[rng.random(len(ok)) < rate]:
        f.status["column"][i] = apply(i)
        kind[i], f.status["reason"][i] = "corrupt", reason


def add_duplicates(f: RawFile, rng: np.random.Generator, rate: float) -> None:
    if rate <= 0 or f.n == 0:
        return
    ok = np.flatnonzero(f.status["kind"] == "ok")
    chosen = ok[rng.random(len(ok)) < rate]
    if not len(chosen):
        return
    rep = np.ones(f.n, dtype="int64")
    rep[chosen] = 2
    idx = np.repeat(np.arange(f.n), rep)
    f.take(idx)
    dup = np.zeros(len(idx), dtype=bool)
    dup[1:] = idx[1:] == idx[:-1]  # the resubmitted copy follows its original
    f.status["kind"] = np.where(dup, "dup", f.status["kind"]).astype(object)


def insert_rows(f: RawFile, rows: dict[str, np.ndarray], reason: str, column: str, rng: np.random.Generator) -> None:
    """Insert extra rows (e.g. test tickets) at random positions."""
    k = len(next(iter(rows.values())))
    if not k:
        return
    pos = np.sort(rng.integers(0, f.n + 1, k))
    where = pos + np.arange(k)  # final positions of the inserted rows
    total = f.n + k
    keep = np.ones(total, dtype=bool)
    keep[where] = False
    extra = {"kind": "test", "reason": reason, "column": column, "src": -1}
    cells, status = {}, {}
    for fld, v in f.cells.items():
        out = np.empty(total, dtype=object)
        out[keep], out[where] = v, rows[fld]
        cells[fld] = out
    for key, v in f.status.items():
        out = np.empty(total, dtype=v.dtype)
        out[keep], out[where] = v, extra[key]
        status[key] = out
    f.cells, f.status = cells, status


def write_file(f: RawFile, raw_dir: Path, m: MessyConfig, rng: np.random.Generator) -> str:
    """Write ``f`` under ``raw_dir``; return the relative path written."""
    variant = int(rng.integers(0, 3)) if m.header_variants else 0
    style = int(rng.integers(0, 3)) if m.formats else 0  # 0 utf8 ',', 1 BOM ';', 2 cp1252 ';'
    if m.formats and f.numeric and not f.excel:
        style = 1 + style % 2  # files with decimals come from Indonesian Excel: ';' and decimal comma
    cells = pd.DataFrame(f.cells)
    names = {k: v[variant] for k, v in headers(f.table).items()}
    path = raw_dir / f.relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    if f.excel and m.formats:
        out = cells.astype(object)
        for c in f.numeric:  # numbers as Excel numbers; unparseable text stays text
            out[c] = [_excel_number(x) for x in out[c]]
        rel = f"{f.relpath}.xlsx"
        write_xlsx(out.rename(columns=names), raw_dir / rel)
        return rel
    if style in (1, 2):
        for c in f.numeric:
            cells[c] = cells[c].astype(str).str.replace(".", ",", regex=False)
    rel = f"{f.relpath}.csv"
    sep = "," if style == 0 else ";"
    enc = ("utf-8", "utf-8-sig", "cp1252")[style]
    text = cells.rename(columns=names).to_csv(index=False, sep=sep, lineterminator="\n" if style == 0 else "\r\n")
    (raw_dir / rel).write_bytes(text.encode(enc))
    return rel


def _excel_number(x):
    try:
        return float(x) if "." in str(x) else int(x)
    except (TypeError, ValueError):
        return x


def log_rows(f: RawFile, rel: str) -> pd.DataFrame:
    idx = np.flatnonzero(f.status["kind"] != "ok")
    return pd.DataFrame({"file": rel, "row_number": idx + 1, "table": f.table, "kind": f.status["kind"][idx],
                         "reason": f.status["reason"][idx], "column": f.status["column"][idx]})

