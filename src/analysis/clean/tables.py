"""Per-table cleaning of a batch of raw files: text cells -> canonical rows + rejects.

Each ``clean_<table>`` gets a :class:`RawTable` (the files' cells under field
names, see :mod:`analysis.clean.specs`) and a :class:`Context` (units and
roster already cleaned, the pseudonym key, a memo of parsed values) and returns
the canonical frame with ``_fi``/``_row`` (file index, 1-based data row in the
file). Rejected rows are recorded on the RawTable with the first failing check,
in column order; checks that decide "wrong column" are made per file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import difflib

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.clean import parse as P
from analysis.clean import specs as S
from analysis import schemas
from analysis.clean.errors import DataInputError
from analysis.clean.safe import shown
from analysis.measures import SKP_MATRIX
from analysis.pseudonym import pseudonymise_series
from analysis.names import lookup as name_lookup, name_key
from analysis.study import Study, load as load_study
from analysis.clean.profile import Profile, shipped

#: A required column where more than this share of non-empty cells fails to parse is
#: "the wrong column", not a few bad rows: stop instead of rejecting most of the file.
MAX_BAD_SHARE = 0.5


class Roster:
    """The cleaned roster's pseudonyms (``asn_id``), for "NIP not in the roster" checks.

    Held as Arrow strings rather than a ``set`` of Python strings: a national roster (4.3 million ASN)
    costs about 0.1 GB this way against 0.4 GB as Python objects, and those long-lived objects, created batch
    by batch between the cleaner's temporaries, kept the interpreter's heap fragmented for the rest of the
    run (measured on the national world: 1.4 GB held when the engine started, 1.0 GB without the set).
    """

    def __init__(self):
        self._chunks: list[pa.Array] = []
        self._ids: pa.Array | None = None

    def update(self, ids) -> None:
        self._chunks.append(pa.array(ids, type=pa.string()))
        self._ids = None

    @property
    def ids(self) -> pa.Array:
        """The distinct pseudonyms (nulls dropped)."""
        if self._ids is None:
            ids = pa.chunked_array(self._chunks, type=pa.string()).combine_chunks()
            self._ids = pc.unique(pc.drop_null(ids))
            self._chunks = [self._ids]
        return self._ids

    def isin(self, values: pd.Series) -> np.ndarray:
        """Per value: in the roster (False where missing)."""
        arr = pa.array(values.astype(object).where(values.notna(), None).tolist(), type=pa.string())
        return pc.fill_null(pc.is_in(arr, value_set=self.ids, skip_nulls=True), False).to_numpy(zero_copy_only=False)


@dataclass
class Context:
    key: bytes
    window: tuple[pd.Timestamp, pd.Timestamp] = (pd.Timestamp("1900-01-01"), pd.Timestamp("2100-12-31"))  # study
    unit_lookup: dict[str, str] = field(default_factory=dict)  # unit_key(name) or code -> unit_id
    roster: Roster = field(default_factory=Roster)  # asn_id
    memo: dict[str, dict] = field(default_factory=dict)  # parser name -> {text: (value, bad)}, shared by files
    study: Study | None = None  # vocabularies; None: the default study
    profile: Profile | None = None  # export profiles (+ mapping.yaml); None: the shipped profiles

    def __post_init__(self):
        self.study = self.study or load_study()
        self.profile = self.profile or shipped()
        self.aliases = S.label_aliases(self.study, self.profile)
        self.areas = name_lookup(self.study.kelurahan)
        for canon, spellings in self.profile.labels.get("kelurahan", {}).items():
            self.areas.update({name_key(s): canon for s in spellings})
        self.city_words = frozenset(S.key(self.study.city).split())


@dataclass
class RawTable:
    """The cells of one or more raw files of one table (a batch), with per-row file and row number."""

    files: list[str]
    table: str
    cells: pd.DataFrame  # columns: field ids, all text
    file_idx: np.ndarray = None  # index into ``files`` per row
    rows: np.ndarray = None  # 1-based data row within its file
    memo: dict | None = None

    def __post_init__(self):
        n = len(self.cells)
        self.reason = np.full(n, None, dtype=object)
        self.column = np.full(n, None, dtype=object)
        self.cells = self.cells.reset_index(drop=True)
        if self.file_idx is None:
            self.file_idx = np.zeros(n, dtype="int64")
            self.rows = np.arange(1, n + 1)
        self._fac: dict[str, tuple[np.ndarray, pd.Series]] = {}
        self._empty: dict[str, np.ndarray] = {}

    # Exports repeat few distinct values per column (dates, names, labels): parse each distinct
    # value once and broadcast, which is what keeps per-cell regex parsing affordable.
    def _factor(self, fld: str) -> tuple[np.ndarray, pd.Series]:
        if fld not in self._fac:
            codes, uniq = pd.factorize(self.cells[fld].to_numpy(dtype=object))
            self._fac[fld] = (codes, pd.Series(uniq, dtype=object))
        return self._fac[fld]

    def parsed(self, fld: str, parser, name: str | None = None) -> tuple[pd.Series, np.ndarray]:
        """Parse distinct values once per file, and once per run when ``name`` keys a shared memo."""
        codes, uniq = self._factor(fld)
        if name is None or self.memo is None:
            vals, bad = parser(uniq)
            return pd.Series(vals.array.take(codes), index=self.cells.index), np.asarray(bad)[codes]
        entry = self.memo.setdefault(name, {"dtype": object, "values": {}})
        memo = entry["values"]
        keys = uniq.tolist()
        todo = [k for k in keys if k not in memo]
        if todo:
            v, b = parser(pd.Series(todo, dtype=object))
            entry["dtype"] = v.dtype
            memo.update(zip(todo, zip(v.array, np.asarray(b).tolist())))
        got = [memo[k] for k in keys]
        vals = pd.array([g[0] for g in got], dtype=entry["dtype"])
        bad = np.array([g[1] for g in got], dtype=bool)
        return pd.Series(vals.take(codes), index=self.cells.index), bad[codes]

    def empty(self, fld: str) -> np.ndarray:
        if fld not in self._empty:
            codes, uniq = self._factor(fld)
            self._empty[fld] = P.is_empty(uniq)[codes]
        return self._empty[fld]

    @property
    def ok(self) -> np.ndarray:
        return pd.isna(self.reason)

    def reject(self, mask: np.ndarray, reason: str, column: str) -> None:
        m = np.asarray(mask, dtype=bool) & self.ok
        self.reason[m] = reason
        self.column[m] = column

    def _check_share(self, bad: np.ndarray, nonempty: np.ndarray, column: str, problem) -> None:
        """Stop when, in any one file, most non-empty cells of a column fail: that is a wrong column."""
        nf = len(self.files)
        n_bad = np.bincount(self.file_idx[bad], minlength=nf)
        n_all = np.bincount(self.file_idx[nonempty], minlength=nf)
        over = np.flatnonzero((n_all > 0) & (n_bad > MAX_BAD_SHARE * n_all))
        if len(over):
            f = int(over[0])
            i = int(np.flatnonzero(bad & (self.file_idx == f))[0])
            raise DataInputError(self.files[f], column, int(self.rows[i]), problem(int(n_bad[f]), int(n_all[f]), i))

    def _guard(self, bad: np.ndarray, fld: str, column: str) -> None:
        self._check_share(bad, ~self.empty(fld), column, lambda nb, n, i: (
            f"{nb} of {n} values do not parse (e.g. {shown(self.cells[fld].iat[i], column, int(self.rows[i]))}); "
            "is this the right column?"))

    def _guard_labels(self, bad: np.ndarray, fld: str, column: str, vocabulary: str, aliases: dict) -> None:
        """Like :meth:`_guard`, naming the unknown labels, their counts and the closest known label."""
        def problem(nb, n, i):
            f = self.file_idx[i]
            unknown = self.cells[fld][bad & (self.file_idx == f)].str.strip().value_counts().head(5)
            known = sorted(set(aliases.values()))
            parts = []
            for label, count in unknown.items():
                near = difflib.get_close_matches(P.norm(pd.Series([label])).iat[0], list(aliases), n=1, cutoff=0.4)
                hint = f", closest known: {aliases[near[0]]!r}" if near else ""
                parts.append(f"{shown(label, column, int(self.rows[i]))} x{count}{hint}")
            return (f"{nb} of {n} labels match no known {vocabulary} label: {'; '.join(parts)}. Known values: "
                    f"{known[:8]}{' ...' if len(known) > 8 else ''}. If these are spellings of known values, add them "
                    f"to mapping.yaml beside the raw files (labels: {vocabulary}: {{value: [spelling]}})")
        self._check_share(bad, ~self.empty(fld), column, problem)

    def bound(self, vals: pd.Series, column: str, ctx: Context | None = None) -> None:
        """Reject values outside the column's plausibility bound declared in the schema (plausibility.yaml)."""
        hit = out_of_bound(vals, self.table, column, ctx)
        if hit is not None:
            self.reject(hit[0], hit[1], column)

    def durations(self, ts: dict[str, pd.Series]) -> None:
        """Reject waits and service times above the maxima declared in the schema's metadata."""
        for d in schemas.CANONICAL[self.table].metadata.get("durations", {}).values():
            minutes = (ts[d["to"]] - ts[d["from"]]).dt.total_seconds() / 60
            self.reject((minutes > d["max_minutes"]).to_numpy(), d["reason"], d["to"])

    # typed field accessors: parse, guard against wrong columns, reject bad and (if required) empty cells
    def field(self, fld: str, parser, column: str, *, reason: str, empty_reason: str | None = "missing_value",
              guard: bool = True, ctx: Context | None = None):
        """Parse a field; reject empty (if required), unparseable and (by the schema) implausible cells."""
        name = getattr(parser, "__name__", "<lambda>")
        vals, bad = self.parsed(fld, parser, None if name == "<lambda>" else name)
        if guard:
            self._guard(bad, fld, column)
        if empty_reason:
            self.reject(self.empty(fld), empty_reason, column)
        self.reject(bad, reason, column)
        self.bound(vals, column, ctx)
        return vals

    def integer(self, fld: str, column: str):
        """An integer field read by its column's declared number locale (plausibility.yaml)."""
        locale = schemas.CANONICAL[self.table].columns[column].metadata["locale"]
        return self.field(fld, P.INT_PARSERS[locale], column, reason="invalid_value")

    def category(self, fld: str, aliases: dict, column: str, vocabulary: str = ""):
        vals, bad = self.parsed(fld, lambda s: P.parse_category(s, aliases), f"category:{id(aliases)}")
        self._guard_labels(bad, fld, column, vocabulary or column, aliases)
        self.reject(self.empty(fld), "missing_value", column)
        self.reject(bad, "invalid_value", column)
        return vals

    def area(self, fld: str, ctx: Context, unit_ids: pd.Series | None = None) -> pd.Series:
        """Kelurahan names matched to the study's official names (spacing, case, "Kel." tolerant).

        A name several desa share (common across a province) is resolved only through ``unit_ids``: when
        the study's unit catalogue places that unit in a kelurahan of exactly this name, that one is meant.
        """
        vals, bad = self.parsed(fld, lambda s: _mapped(s.map(name_key).map(ctx.areas), s), f"area:{id(ctx.areas)}")
        if unit_ids is not None and bad.any():
            listed = unit_ids[bad].map(ctx.study.unit_kelurahan).fillna("")
            same = listed.map(name_key).to_numpy() == self.cells[fld][bad].map(name_key).to_numpy()
            resolved = np.flatnonzero(bad)[same]
            vals, bad = vals.copy(), bad.copy()
            vals.iloc[resolved] = listed.to_numpy()[same]
            bad[resolved] = False
        self._guard_labels(bad, fld, "kelurahan", "kelurahan", ctx.areas)
        self.reject(self.empty(fld), "missing_value", "kelurahan")
        self.reject(bad, "invalid_value", "kelurahan")
        return vals

    def unit(self, fld: str, ctx: Context) -> pd.Series:
        names = self.cells[fld]
        def lookup(u: pd.Series):
            out = unit_ids(u, ctx)
            return out, out.isna().to_numpy()

        out, _ = self.parsed(fld, lookup, "unit")
        empty = self.empty(fld)
        unknown = out.isna().to_numpy() & ~empty
        self._check_share(unknown, ~empty, "unit_id", lambda nb, n, i: (
            f"{nb} of {n} unit names match no unit (e.g. {shown(names.iat[i], 'unit_id', int(self.rows[i]))}); "
            "wrong column or wrong master list?"))
        self.reject(empty, "missing_value", "unit_id")
        self.reject(unknown, "unknown_unit", "unit_id")
        return out

    def nip(self, fld: str, ctx: Context, column: str, *, must_be_known: bool) -> tuple[pd.Series, pd.Series]:
        """Validate NIP/NI and replace them by pseudonyms at once (digits never leave this function)."""
        digits, _ = self.parsed(fld, lambda u: (P.nip_digits(u), np.zeros(len(u), bool)))
        codes, uniq = self._factor(fld)
        problems = P.nip_problems(P.nip_digits(uniq), schemas.PLAUSIBILITY["nip"], ctx.window[1].year)
        empty = self.empty(fld)
        shape = problems[0][1][codes]
        self._check_share(shape & ~empty, ~empty, column, lambda nb, n, i: (
            f"{nb} of {n} values are not 18-digit NIP/NI (values not shown: personal data)"))
        serial = problems[-1][1][codes]
        self._check_share(serial & ~empty, ~empty, column, lambda nb, n, i: (
            f"{nb} of {n} NIP/NI end in 000: stored as Excel numbers, which keep 15 digits; export the column "
            "as text (values not shown: personal data)"))
        self.reject(empty, "missing_value", column)
        valid = ~empty
        for reason, bad in problems:
            self.reject(bad[codes], reason, column)
            valid &= ~bad[codes]
        ids = pseudonymise_series(digits.where(valid), ctx.key)
        if must_be_known:
            self.reject(~ctx.roster.isin(ids), "unknown_asn", column)
        return ids, digits.where(valid)

    def result(self, data: dict) -> pd.DataFrame:
        out = pd.DataFrame(data)
        out["_fi"] = self.file_idx
        out["_row"] = self.rows
        return out[self.ok].reset_index(drop=True)


def out_of_bound(vals: pd.Series, table: str, column: str, ctx: Context | None) -> tuple[np.ndarray, str] | None:
    """Values outside the column's plausibility bound (schema metadata from plausibility.yaml) and the
    reason code; None when the column has no bound (or a window bound but no context or dates)."""
    cols = schemas.CANONICAL[table].columns
    b = cols[column].metadata["plausible"] if column in cols else {}
    if not b:
        return None
    if b.get("window"):
        if ctx is None or not pd.api.types.is_datetime64_any_dtype(vals):
            return None
        tol = pd.Timedelta(days=b["tolerance_days"])
        lo, hi = ctx.window[0] - tol, ctx.window[1] + tol + pd.Timedelta(days=1)
        out = vals.notna() & ((vals < lo) | (vals >= hi))
    else:
        out = vals.notna() & ((vals < b["min"]) | (vals > b["max"]))
    return out.to_numpy(), b["reason"]


def unit_ids(u: pd.Series, ctx: Context) -> pd.Series:
    """Unit names (any spelling the unit master list normalises to) or codes -> unit_id; NaN if unknown."""
    return u.map(lambda v: S.unit_key(v, ctx.city_words)).map(ctx.unit_lookup).fillna(u.str.strip().map(ctx.unit_lookup))


def _mapped(out: pd.Series, raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    out = out.astype(object)
    return out, (out.isna() & ~pd.Series(P.is_empty(raw), index=raw.index)).to_numpy()


def _month_start(s: pd.Series) -> pd.Series:
    return s.dt.to_period("M").dt.to_timestamp().astype(P.TS).where(s.notna())


# --------------------------------------------------------------------------- tables
def clean_units(r: RawTable, ctx: Context) -> pd.DataFrame:
    code = r.cells["code"].str.strip()
    r.reject(r.empty("code"), "missing_value", "unit_id")
    r.reject(r.empty("name"), "missing_value", "unit_name")
    return r.result({
        "unit_id": code, "unit_name": r.cells["name"].str.strip().str.replace(r"\s+", " ", regex=True),
        "unit_type": r.category("type", ctx.aliases["unit_type"], "unit_type"),
        "opd": r.category("opd", ctx.aliases["opd"], "opd"), "kelurahan": r.area("kel", ctx, code),
        "distance_km": r.field("dist", P.parse_float, "distance_km", reason="invalid_value")})


def clean_adoption(r: RawTable, ctx: Context) -> pd.DataFrame:
    uid = r.unit("name", ctx)
    start = r.field("start", P.parse_date, "adoption_month", reason="invalid_date", empty_reason=None, ctx=ctx)
    return r.result({"unit_id": uid, "adoption_month": _month_start(start)})


def clean_asn(r: RawTable, ctx: Context) -> pd.DataFrame:
    ids, digits = r.nip("nip", ctx, "asn_id", must_be_known=False)
    gol = r.field("gol", lambda s: P.parse_category(s.str.upper(), S.GOLONGAN), "golongan", reason="invalid_value")
    uid = r.unit("unit", ctx)
    tmt = r.field("tmt", P.parse_date, "active_from", reason="invalid_date")
    d = digits.fillna("000000000000000000")
    return r.result({"asn_id": ids, "status": P.nip_status(d), "sex": P.nip_sex(d), "golongan": gol,
                     "unit_id": uid, "active_from": tmt})


def clean_skp(r: RawTable, ctx: Context) -> pd.DataFrame:
    ids, _ = r.nip("nip", ctx, "asn_id", must_be_known=True)
    uid = r.unit("unit", ctx)
    month = r.field("periode", P.parse_month, "month", reason="invalid_date", ctx=ctx)
    hasil = r.category("hasil", ctx.aliases["rating"], "hasil_kerja", "rating")
    peril = r.category("perilaku", ctx.aliases["rating"], "perilaku", "rating")
    derived = (hasil + "|" + peril).map({f"{h}|{p}": v for (h, p), v in SKP_MATRIX.items()})
    if "predikat" in r.cells:
        pred, bad = r.parsed("predikat", lambda u: P.parse_category(u, ctx.aliases["predikat"]), "predikat")
        r.reject(bad, "invalid_value", "predikat")  # empty = not exported: the matrix decides
        r.reject((pred.notna() & derived.notna() & (pred != derived)).to_numpy(), "invalid_value", "predikat")
    sup, _ = r.nip("atasan", ctx, "supervisor_id", must_be_known=False)
    sent = r.field("kirim", P.parse_date, "submitted_on", reason="invalid_date", ctx=ctx)
    return r.result({"asn_id": ids, "unit_id": uid, "month": month, "hasil_kerja": hasil, "perilaku": peril,
                     "predikat": derived, "supervisor_id": sup, "submitted_on": sent})


def clean_training(r: RawTable, ctx: Context) -> pd.DataFrame:
    ids, _ = r.nip("nip", ctx, "asn_id", must_be_known=True)
    course = r.field("diklat", lambda s: P.parse_category(s.str.replace(r"(?i)\s+angkatan\b.*$", "", regex=True),
                                                          ctx.aliases["course"]), "course", reason="invalid_value")
    start = r.field("mulai", P.parse_date, "start_date", reason="invalid_date", ctx=ctx)
    end = r.field("selesai", P.parse_date, "end_date", reason="invalid_date", ctx=ctx)
    hours = r.integer("jp", "hours")
    r.reject((end < start).to_numpy(), "invalid_date", "end_date")
    return r.result({"asn_id": ids, "course": course, "start_date": start, "end_date": end, "hours": hours})


def clean_tickets(r: RawTable, ctx: Context) -> pd.DataFrame:
    c = r.cells
    test = c["no"].str.strip().str.upper().str.startswith("TEST") | P.norm(c["layanan"]).isin(ctx.profile.test_services)
    r.reject(test.to_numpy(), "test_ticket", "ticket_id")
    r.reject(r.empty("no"), "missing_value", "ticket_id")
    uid = r.unit("unit", ctx)
    day = r.field("tanggal", P.parse_date, "issued_at", reason="invalid_date", ctx=ctx)
    service = r.category("layanan", ctx.aliases["service"], "service")
    channel = r.category("jalur", ctx.aliases["channel"], "channel")
    ts = {}
    for fld, col in (("ambil", "issued_at"), ("panggil", "called_at"), ("mulai", "served_at"),
                     ("selesai", "finished_at")):
        t = r.field(fld, P.parse_time, col, reason="invalid_date", empty_reason="missing_timestamp")
        ts[col] = (day + t).astype(P.TS)
    r.reject((ts["called_at"] < ts["issued_at"]).to_numpy(), "timestamp_order", "called_at")
    r.reject((ts["served_at"] < ts["called_at"]).to_numpy(), "timestamp_order", "served_at")
    r.reject((ts["finished_at"] < ts["served_at"]).to_numpy(), "timestamp_order", "finished_at")
    r.durations(ts)
    tid = uid.fillna("") + "-" + day.dt.strftime("%Y%m%d").fillna("") + "-" + c["no"].str.strip()
    return r.result({"ticket_id": tid, "unit_id": uid, "service": service,
                     "priority": service.map({k: v.priority for k, v in ctx.study.services.items()}).fillna(False).astype(bool), "channel": channel, **ts})


def clean_skm(r: RawTable, ctx: Context) -> pd.DataFrame:
    r.reject(r.empty("id"), "missing_value", "response_id")
    uid = r.unit("unit", ctx)
    date = r.field("tanggal", P.parse_date, "survey_date", reason="invalid_date", ctx=ctx)
    age = r.integer("umur", "age")
    data = {"response_id": r.cells["id"].str.strip(), "unit_id": uid, "survey_date": date, "age": age,
            "sex": r.category("jk", ctx.aliases["sex"], "sex"), "education": r.category("pendidikan", ctx.aliases["education"], "education"),
            "occupation": r.category("pekerjaan", ctx.aliases["occupation"], "occupation"),
            "service": r.category("layanan", ctx.aliases["skm_service"], "service", "skm_service")}
    for i in range(1, 10):
        data[f"u{i}"] = r.integer(f"u{i}", f"u{i}")
    return r.result(data)


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}


def _parse_quarter(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """``2023Q1``, ``2023-Q1``, ``TW I 2023``, ``Triwulan 1 2023`` -> ``2023Q1``."""
    t = P.norm(s)
    a = t.str.extract(r"^(\d{4}) ?q([1-4])$")
    b = t.str.extract(r"^(?:tw|triwulan) (i{1,3}|iv|[1-4]) (\d{4})$")
    out = (a[0] + "Q" + a[1]).fillna(b[1] + "Q" + b[0].map(_ROMAN).astype("Int64").astype(str))
    out = out.where(out.str.fullmatch(r"\d{4}Q[1-4]").fillna(False))
    bad = (out.isna() & ~pd.Series(P.is_empty(s), index=s.index)).to_numpy()
    return out, bad


def clean_service_volume(r: RawTable, ctx: Context) -> pd.DataFrame:
    uid = r.unit("unit", ctx)
    q = r.field("tw", _parse_quarter, "quarter", reason="invalid_value")
    n = r.integer("n", "users_served")
    return r.result({"unit_id": uid, "quarter": q, "users_served": n})


def clean_health(r: RawTable, ctx: Context) -> pd.DataFrame:
    uid = r.unit("unit", ctx)
    week = r.field("minggu", P.parse_date, "week_start", reason="invalid_date", ctx=ctx)
    r.reject((week.dt.day_of_week != 6).to_numpy() & week.notna().to_numpy(), "invalid_date", "week_start")
    dis = r.category("penyakit", ctx.aliases["disease"], "disease")
    cases = r.integer("kasus", "cases")
    pop = r.integer("pop", "population")
    return r.result({"unit_id": uid, "week_start": week, "disease": dis, "cases": cases, "population": pop})


def _parse_semester(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """``Ganjil 2023/2024`` = July 2023, ``Genap 2023/2024`` = January 2024 (also ``Semester 1/2 ...``)."""
    t = P.norm(s)
    a = t.str.extract(r"^(ganjil|genap|semester 1|semester 2) (\d{4}) (\d{4})$")
    b = t.str.extract(r"^(\d{4}) (\d{4}) (ganjil|genap)$")
    half = a[0].fillna(b[2]).replace({"semester 1": "ganjil", "semester 2": "genap"})
    y1 = pd.to_numeric(a[1].fillna(b[0]), errors="coerce")
    year = np.where(half == "ganjil", y1, y1 + 1)
    month = np.where(half == "ganjil", 7, 1)
    out = P._from_parts(pd.Series(year, index=s.index).where(half.notna()), pd.Series(month, index=s.index),
                        pd.Series(1, index=s.index))
    iso, _ = P.parse_month(s.where(half.isna(), ""))  # also accept 2023-07
    out = out.fillna(iso.where(iso.dt.month.isin([1, 7])))
    bad = (out.isna() & ~pd.Series(P.is_empty(s), index=s.index)).to_numpy()
    return out.astype(P.TS), bad


def clean_schools(r: RawTable, ctx: Context) -> pd.DataFrame:
    uid = r.unit("unit", ctx)
    sem = r.field("sem", _parse_semester, "semester_start", reason="invalid_date", ctx=ctx)
    score = r.field("nilai", P.parse_float, "assessment_score", reason="invalid_value")
    n = r.integer("siswa", "n_students")
    return r.result({"unit_id": uid, "semester_start": sem, "assessment_score": score, "n_students": n})


CLEANERS = {"units": clean_units, "adoption": clean_adoption, "asn": clean_asn, "skp": clean_skp,
            "training": clean_training, "tickets": clean_tickets, "skm": clean_skm,
            "service_volume": clean_service_volume, "health": clean_health, "schools": clean_schools}
