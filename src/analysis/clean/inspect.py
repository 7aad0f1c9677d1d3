"""``analysis inspect RAW_DIR``: what a new export looks like to cleaning, before the first evaluation.

For every file: the table it was recognised as (or why not), its rows, which fields were mapped to
which header, which required fields are missing and which headers are unknown; per label column the
labels that match no vocabulary value (with counts and the closest known value); the date formats
seen; unit and kelurahan names that match nothing; and a ``mapping.yaml`` snippet for what was not
recognised. It reads the files but writes no table; the same report goes to the terminal and to an
HTML file. Values are printed only from label, unit and date columns (never from NIP or name
columns), and a value with ten or more digits is hidden.
"""

from __future__ import annotations

import difflib
import html
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.clean import parse as P
from analysis.clean import specs as S
from analysis.clean.profile import MAPPING_FILE, MappingError, for_raw_dir
from analysis.clean.safe import scrub
from analysis.names import lookup as name_lookup, name_key
from analysis.study import load as load_study

#: field -> vocabulary, per table: the columns whose labels must match a vocabulary.
LABEL_FIELDS = {"units": {"type": "unit_type", "opd": "opd", "kel": "kelurahan"},
                "skp": {"hasil": "rating", "perilaku": "rating", "predikat": "predikat"},
                "training": {"diklat": "course"}, "tickets": {"layanan": "service", "jalur": "channel"},
                "skm": {"jk": "sex", "pendidikan": "education", "pekerjaan": "occupation", "layanan": "skm_service"},
                "health": {"penyakit": "disease"}}
UNIT_FIELDS = {"adoption": "name", "asn": "unit", "skp": "unit", "tickets": "unit", "skm": "unit",
               "service_volume": "unit", "health": "unit", "schools": "unit"}
DATE_FIELDS = {"adoption": ("start",), "asn": ("tmt",), "skp": ("periode", "kirim"), "training": ("mulai", "selesai"),
               "tickets": ("tanggal",), "skm": ("tanggal",), "health": ("minggu",), "schools": ("sem",)}
_DATE_FORMATS = [("YYYY-MM-DD", r"^\d{4}-\d{2}-\d{2}"), ("DD/MM/YYYY", r"^\d{1,2}/\d{1,2}/\d{4}$"),
                 ("DD-MM-YYYY", r"^\d{1,2}-\d{1,2}-\d{4}$"), ("D Bulan YYYY", r"^\d{1,2} [A-Za-z]+ \d{4}$"),
                 ("Bulan YYYY", r"^[A-Za-z]+ \d{4}$"), ("YYYY-MM", r"^\d{4}-\d{2}$"),
                 ("Excel serial", r"^\d{5}(\.0)?$"), ("semester", r"(?i)(semester|ganjil|genap)")]
_TOP = 5


def _show(value: str) -> str:
    return scrub(repr(str(value)))


@dataclass
class FileReport:
    file: str
    table: str = ""
    why_not: str = ""
    rows: int = 0
    mapped: dict[str, str] = field(default_factory=dict)  # field -> header
    missing: list[str] = field(default_factory=list)  # required fields without a header
    unknown: list[str] = field(default_factory=list)  # headers no field takes
    labels: dict[str, list[tuple[str, int, str]]] = field(default_factory=dict)  # vocabulary -> (label, n, closest)
    dates: dict[str, dict[str, int]] = field(default_factory=dict)  # field -> format -> n
    names: list[tuple[str, int]] = field(default_factory=list)  # unit names matching no unit
    unit_guess: dict[str, str] = field(default_factory=dict)  # unit name matching no unit -> closest unit id


@dataclass
class Inspection:
    raw_dir: Path
    files: list[FileReport]
    missing_tables: list[str]
    mapping_error: str = ""

    @property
    def ok(self) -> bool:
        return not (self.missing_tables or self.mapping_error or any(f.missing for f in self.files))


def _date_formats(s: pd.Series) -> dict[str, int]:
    out: Counter = Counter()
    for v in s[s.str.strip() != ""].str.strip():
        out[next((name for name, rx in _DATE_FORMATS if re.search(rx, v)), "other")] += 1
    return dict(out.most_common())


def _unknown_labels(s: pd.Series, aliases: dict[str, str], keyfn) -> list[tuple[str, int, str]]:
    s = s.str.strip()
    s = s[s != ""]
    bad = s[s.map(keyfn).map(aliases).isna()]
    out = []
    for label, n in bad.value_counts().head(_TOP).items():
        near = difflib.get_close_matches(keyfn(label), list(aliases), n=1, cutoff=0.4)
        out.append((label, int(n), aliases[near[0]] if near else ""))
    return out


def inspect_raw(raw_dir: Path, study: str | None = None) -> Inspection:
    from analysis.clean.run import _header_key, discover, read_table
    from analysis.synth.marker import check_marker

    raw_dir = Path(raw_dir)
    marker = check_marker(raw_dir)
    recorded = (marker.info or {}).get("parameters", {}).get("study") if marker.synthetic else None
    st = load_study(study or recorded or None) if (study or recorded) else load_study()
    try:
        profile = for_raw_dir(raw_dir, S.vocabularies(st))
        mapping_error = ""
    except MappingError as exc:
        profile, mapping_error = for_raw_dir(None), str(exc)
    aliases = S.label_aliases(st, profile)
    areas = name_lookup(st.kelurahan)
    for canon, spellings in profile.labels.get("kelurahan", {}).items():
        areas.update({name_key(s): canon for s in spellings})
    city = frozenset(S.key(st.city).split())
    units = {S.unit_key(n, city) for n in st.units["unit_name"]} | {S.key(u) for u in st.units["unit_id"]}
    units |= {S.unit_key(s, city) for spellings in profile.labels.get("unit", {}).values() for s in spellings}
    found, ignored = discover(raw_dir, generator_files=marker.synthetic, profile=profile)
    reports = [FileReport(rel, why_not=why) for rel, why in ignored.items()]
    for table in S.TABLE_ORDER:
        spec = profile.headers[table]
        lookup = {_header_key(a): fld for fld, al in spec.items() for a in (fld, *al)}
        for path in found[table]:
            rep = FileReport(path.relative_to(raw_dir).as_posix(), table=table)
            reports.append(rep)
            try:
                df, _ = read_table(path)
            except Exception as exc:  # noqa: BLE001 -- any unreadable file is reported, not raised
                rep.why_not = f"not readable: {scrub(str(exc))}"
                continue
            df = df.fillna("").astype(str)
            rep.rows = len(df)
            cols: dict[str, str] = {}
            for h in df.columns:
                fld = lookup.get(_header_key(h))
                if fld and fld not in rep.mapped:
                    rep.mapped[fld], cols[fld] = str(h), h
                else:
                    rep.unknown.append(scrub(str(h)))
            rep.missing = [f for f in spec if f not in rep.mapped and f not in profile.optional.get(table, set())]
            for fld, voc in LABEL_FIELDS.get(table, {}).items():
                if fld in cols:
                    col = df[cols[fld]]
                    if voc == "course":
                        col = col.str.replace(r"(?i)\s+angkatan\b.*$", "", regex=True)
                    if voc == "service":  # test tickets are rejected as such, not unknown labels
                        col = col[~P.norm(col).isin(profile.test_services)]
                    keyfn = name_key if voc == "kelurahan" else S.key
                    bad = _unknown_labels(col, areas if voc == "kelurahan" else aliases[voc], keyfn)
                    if bad:
                        rep.labels.setdefault(voc, []).extend(bad)
            for fld in DATE_FIELDS.get(table, ()):
                if fld in cols:
                    rep.dates[fld] = _date_formats(df[cols[fld]])
            ufld = UNIT_FIELDS.get(table)
            if ufld in cols:
                names = df[cols[ufld]].str.strip()
                names = names[names != ""]
                unknown = names[~names.map(lambda v: S.unit_key(v, city) in units or S.key(v) in units)]
                rep.names = [(str(n), int(c)) for n, c in unknown.value_counts().head(_TOP).items()]
                rep.unit_guess = {n: _closest_unit(n, st, city) for n, _ in rep.names}
    missing_tables = [t for t in S.TABLE_ORDER if not found[t]]
    return Inspection(raw_dir, sorted(reports, key=lambda r: r.file), missing_tables, mapping_error)


def _closest_unit(name: str, st, city) -> str:
    """The catalogue unit id whose name is closest to ``name`` ('' if none is close)."""
    by_key = dict(zip((S.unit_key(n, city) for n in st.units["unit_name"]), st.units["unit_id"]))
    hit = difflib.get_close_matches(S.unit_key(name, city), list(by_key), n=1, cutoff=0.6)
    return by_key[hit[0]] if hit else ""


def mapping_snippet(ins: Inspection) -> str:
    """A mapping.yaml to edit: every missing field and unknown label, with the closest guess filled in."""
    tables: dict[str, dict[str, list[str]]] = {}
    labels: dict[str, dict[str, list[str]]] = {}
    for rep in ins.files:
        for f in rep.missing:
            near = difflib.get_close_matches(f, [S.key(u) for u in rep.unknown], n=1, cutoff=0.0)
            tables.setdefault(rep.table, {}).setdefault(f, []).append(near[0] if near else "<header in the file>")
        for voc, items in rep.labels.items():
            for label, _, closest in items:
                labels.setdefault(voc, {}).setdefault(closest or "<known value>", [])
                if S.key(label) not in labels[voc][closest or "<known value>"]:
                    labels[voc][closest or "<known value>"].append(S.key(label))
        for name, _ in rep.names:  # unit names: the unit id of the catalogue they stand for
            spellings = labels.setdefault("unit", {}).setdefault(rep.unit_guess.get(name) or "<unit id>", [])
            if S.key(name) not in spellings:
                spellings.append(S.key(name))
    if not tables and not labels:
        return ""
    lines = [f"# {MAPPING_FILE}: put beside the raw files; check every guess (the value after each label)"]
    if tables:
        lines.append("tables:")
        for t, flds in tables.items():
            lines.append(f"  {t}:\n    headers:")
            lines += [f"      {f}: [{', '.join(sorted(set(h)))}]" for f, h in flds.items()]
    if labels:
        lines.append("labels:")
        for voc, canon in labels.items():
            lines.append(f"  {voc}:")
            lines += [f"    {c}: [{', '.join(spellings)}]" for c, spellings in canon.items()]
    return "\n".join(lines) + "\n"


def render_text(ins: Inspection) -> str:
    out = [f"inspect {ins.raw_dir}: {len(ins.files)} files"]
    if ins.mapping_error:
        out.append(f"ERROR {MAPPING_FILE}: {ins.mapping_error}")
    for rep in ins.files:
        if not rep.table or rep.why_not:
            out.append(f"\n{rep.file}: not read ({rep.why_not})")
            continue
        flag = "MISSING COLUMNS" if rep.missing else "ok"
        out.append(f"\n{rep.file}: {rep.table}, {rep.rows} rows [{flag}]")
        out.append("  mapped:  " + ", ".join(f"{f} <- {h!r}" for f, h in rep.mapped.items()))
        if rep.missing:
            out.append(f"  missing: {', '.join(rep.missing)}")
        if rep.unknown:
            out.append(f"  unknown headers: {', '.join(repr(u) for u in rep.unknown)}")
        for voc, items in rep.labels.items():
            out.append(f"  {voc} labels matching nothing: " + "; ".join(
                f"{_show(lb)} x{n}" + (f" (closest: {c!r})" if c else "") for lb, n, c in items))
        if rep.dates:
            out.append("  date formats: " + "; ".join(f"{f}: " + ", ".join(f"{k} x{v}" for k, v in fm.items())
                                                     for f, fm in rep.dates.items()))
        if rep.names:
            out.append("  unit names matching no unit: " + "; ".join(f"{_show(n)} x{c}" for n, c in rep.names))
    if ins.missing_tables:
        out.append(f"\nMISSING TABLES: {', '.join(ins.missing_tables)} (no file matches their patterns)")
    snippet = mapping_snippet(ins)
    out.append("\n" + (f"Suggested {MAPPING_FILE}:\n{snippet}" if snippet else "Nothing to map: every header and "
                                                                                 "label is known."))
    out.append("result: " + ("ok" if ins.ok else "a required table or column is missing (exit 1)"))
    return "\n".join(out)


def render_html(ins: Inspection, text: str) -> str:
    return ("<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>analysis inspect</title>"
            "<style>body{font-family:sans-serif;margin:2em}pre{white-space:pre-wrap}</style>"
            f"<h1>Raw exports in {html.escape(str(ins.raw_dir))}</h1><pre>{html.escape(text)}</pre></html>\n")
