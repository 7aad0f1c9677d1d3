"""Canonical tables of the data layer, declared once as pandera schemas.

Every canonical table (what cleaning writes to ``interim/``, what the generator's
clean truth holds, what panels read) is declared here with its dtype, unit,
allowed values and source. :func:`conform` casts a frame to the declared dtypes
and column order, :func:`validate` checks it, and :func:`codebook_markdown`
renders ``docs/codebook.md`` from the same objects, so the documentation cannot
drift from the code.

The controlled vocabularies (unit types, services, SKP ratings, ...) live here
too because they are part of the contract a real export is mapped to.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import yaml

# --------------------------------------------------------------------------
# Vocabularies
# --------------------------------------------------------------------------
# Vocabularies that vary by place (kelurahan, OPDs, unit types, services, diseases, courses) come from
# the study (analysis.study); a column holding one carries metadata["vocabulary"] and validate() checks it.
CHANNELS = ("online", "walk_in")
RATINGS = ("di_atas", "sesuai", "di_bawah")
PREDIKAT = ("Sangat Baik", "Baik", "Butuh Perbaikan", "Kurang", "Sangat Kurang")
GOOD_PREDIKAT = ("Sangat Baik", "Baik")
ASN_STATUS = ("PNS", "PPPK")
GOLONGAN_PNS = tuple(f"{g}/{s}" for g, subs in (("I", "abcd"), ("II", "abcd"), ("III", "abcd"), ("IV", "abcde"))
                     for s in subs)
GOLONGAN_PPPK = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV",
                 "XV", "XVI", "XVII")
SEX = ("L", "P")
EDUCATION = ("SD", "SMP", "SMA", "D1-D3", "D4/S1", "S2/S3")
OCCUPATION = ("PNS/TNI/Polri", "Pegawai Swasta", "Wiraswasta", "Pelajar/Mahasiswa", "Ibu Rumah Tangga", "Lainnya")
LIKERT = (1, 2, 3, 4)
MUTU = ("A", "B", "C", "D")
KINERJA = ("Sangat Baik", "Baik", "Kurang Baik", "Tidak Baik")

#: Reject reason codes (rejects.parquet ``reason``). Duplicates are not rejects:
#: they are merged and counted in ``rows_duplicate``.
REASONS = {
    "invalid_value": "value cannot be parsed as the column's type or is outside its vocabulary",
    "invalid_date": "date or timestamp cannot be parsed",
    "missing_value": "required value is empty",
    "unknown_unit": "unit name matches no unit of the master list",
    "invalid_nip": "NIP/NI is not 18 digits",
    "unknown_asn": "employee is not in the roster",
    "test_ticket": "test ticket written by the queue system, not a citizen",
    "missing_timestamp": "issued, called or finished time is missing",
    "timestamp_order": "timestamps out of order (negative wait or service time)",
    "likert_out_of_range": "SKM answer outside 1-4",
    "implausible_date": "date outside the study window (plus tolerance)",
    "implausible_wait": "waiting time (issued to called) above the declared maximum",
    "implausible_service_time": "service time (served to finished) above the declared maximum",
    "implausible_nip_birth": "NIP/NI birth date outside the declared birth years",
    "implausible_nip_tmt": "NIP/NI TMT before the minimum working age or after the study window",
    "implausible_nip_sex": "NIP/NI sex digit is not 1 or 2",
    "implausible_nip_serial": "NIP/NI serial is 000 (an 18-digit NIP cut to 15 digits by Excel)",
    "implausible_age": "respondent age outside the declared range",
}

#: Plausibility bounds (study window, queue-time maxima, NIP layout, value ranges, history flags) and
#: missing-value spellings: data, in plausibility.yaml beside this module.
PLAUSIBILITY: dict = yaml.safe_load((Path(__file__).with_name("plausibility.yaml")).read_text(encoding="utf-8"))
MISSING_VALUES: frozenset[str] = frozenset(str(v).strip().lower() for v in PLAUSIBILITY["missing_values"])

TS = "datetime64[ms]"  # timestamps and dates: millisecond resolution survives Parquet unchanged


def column_spec(dtype, description: str, *, unit: str = "", source: str = "", allowed=None, nullable: bool = False,
                checks=None, unique: bool = False, vocabulary: str = "") -> pa.Column:
    """A pandera Column carrying what the codebook prints (unit, source, exact dtype).

    ``vocabulary`` names a study vocabulary (:meth:`analysis.study.Study.vocabulary`) the values must
    belong to; it is checked by :func:`validate` against the run's study.
    """
    chk = list(checks or [])
    if allowed is not None:
        chk.append(pa.Check.isin(list(allowed)))
    return pa.Column(dtype, checks=chk, nullable=nullable, unique=unique, description=description,
                     metadata={"unit": unit, "source": source, "dtype": str(dtype), "vocabulary": vocabulary})


_UNIT_ID = dict(description="stable unit code (not personal)", source="unit master list")
_ASN_ID = dict(description="keyed pseudonym of NIP/NI (HMAC-SHA256, truncated)", source="NIP/NI, pseudonymised")


def _plausible(table: str, column: str) -> dict:
    """This column's bound from plausibility.yaml: {min, max, reason} or {window: True, reason}."""
    P = PLAUSIBILITY
    if column in P["study_window"]["columns"].get(table, ()):
        w = P["study_window"]
        return {"window": True, "reason": w["reason"],
                "tolerance_days": w.get("tolerance_days_by_column", {}).get(column, w["tolerance_days"])}
    return dict(P["columns"].get(table, {}).get(column, {}))


def _schema(name: str, columns: dict[str, pa.Column], key: list[str], description: str) -> pa.DataFrameSchema:
    loc = PLAUSIBILITY["number_locale"]
    for cname, col in columns.items():
        col.metadata["plausible"] = _plausible(name, cname)
        col.metadata["locale"] = loc["columns"].get(name, {}).get(cname, loc["default"])
        col.metadata["flag_history"] = cname in PLAUSIBILITY["history_flags"]["columns"].get(name, ())
    durations = {k: d for k, d in PLAUSIBILITY["durations"].items() if d["from"] in columns and d["to"] in columns}
    return pa.DataFrameSchema(columns, name=name, strict=True, ordered=True, unique=key,
                              description=description, metadata={"key": key, "durations": durations})


def bounds(table: str) -> dict[str, dict]:
    """Columns of a canonical table with a plausibility bound, and the bound."""
    return {c: col.metadata["plausible"] for c, col in CANONICAL[table].columns.items() if col.metadata["plausible"]}


UNITS = _schema("units", {
    "unit_id": column_spec("str", **_UNIT_ID, unique=True),
    "unit_name": column_spec("str", "official unit name", source="unit master list"),
    "unit_type": column_spec("str", "kind of service unit", vocabulary="unit_type", source="unit master list"),
    "opd": column_spec("str", "parent office (OPD)", vocabulary="opd", source="unit master list"),
    "kelurahan": column_spec("str", "kelurahan where the unit sits", vocabulary="kelurahan", source="unit master list"),
    "distance_km": column_spec("float64", "road distance to the office the study measures from", unit="km",
                        checks=[pa.Check.ge(0)], source="unit master list"),
}, ["unit_id"], "Service units of the study area (one row per unit).")

ADOPTION = _schema("adoption", {
    "unit_id": column_spec("str", **_UNIT_ID, unique=True),
    "adoption_month": column_spec(TS, "first month under KPI management (first day); empty if not adopted",
                           nullable=True, source="KPI rollout schedule"),
}, ["unit_id"], "KPI-management rollout: adoption month per unit (every unit listed).")

ASN = _schema("asn", {
    "asn_id": column_spec("str", **_ASN_ID, unique=True),
    "status": column_spec("str", "PNS or PPPK (from the NIP/NI layout)", allowed=ASN_STATUS, source="roster NIP/NI"),
    "sex": column_spec("str", "sex from the NIP/NI sex digit", allowed=SEX, source="roster NIP/NI"),
    "golongan": column_spec("str", "rank: PNS golongan or PPPK grade", allowed=GOLONGAN_PNS + GOLONGAN_PPPK,
                     source="roster"),
    "unit_id": column_spec("str", **_UNIT_ID),
    "active_from": column_spec(TS, "first day of work at the unit (TMT unit)", source="roster"),
}, ["asn_id"], "ASN roster, pseudonymised (one row per employee).")

SKP = _schema("skp", {
    "asn_id": column_spec("str", **_ASN_ID),
    "unit_id": column_spec("str", **_UNIT_ID),
    "month": column_spec(TS, "appraisal month (first day)", source="e-Kinerja export"),
    "hasil_kerja": column_spec("str", "rating hasil kerja", allowed=RATINGS, source="e-Kinerja export"),
    "perilaku": column_spec("str", "rating perilaku kerja", allowed=RATINGS, source="e-Kinerja export"),
    "predikat": column_spec("str", "predikat from the rating matrix (PermenPANRB 6/2022)", allowed=PREDIKAT,
                     source="e-Kinerja export"),
    "supervisor_id": column_spec("str", "pseudonym of the appraising supervisor's NIP", source="e-Kinerja export"),
    "submitted_on": column_spec(TS, "date the appraisal was submitted", source="e-Kinerja export"),
}, ["asn_id", "month"], "Monthly SKP appraisals (one row per employee and month).")

TRAINING = _schema("training", {
    "asn_id": column_spec("str", **_ASN_ID),
    "course": column_spec("str", "course", vocabulary="course", source="BKPSDM training records"),
    "start_date": column_spec(TS, "first day of the course", source="BKPSDM training records"),
    "end_date": column_spec(TS, "last day of the course", source="BKPSDM training records"),
    "hours": column_spec("int64", "lesson hours (JP)", unit="JP (45 min)", checks=[pa.Check.gt(0)],
                  source="BKPSDM training records"),
}, ["asn_id", "course", "start_date"], "Training records (one row per employee and course run).")

TICKETS = _schema("tickets", {
    "ticket_id": column_spec("str", "unit code, date and queue number", unique=True, source="queue system"),
    "unit_id": column_spec("str", **_UNIT_ID),
    "service": column_spec("str", "service requested", vocabulary="service", source="queue system"),
    "priority": column_spec("bool", "priority service (Permendagri 19/2018, KIA)", source="derived from service"),
    "channel": column_spec("str", "online booking or walk-in", allowed=CHANNELS, source="queue system"),
    "issued_at": column_spec(TS, "ticket issued", source="queue system"),
    "called_at": column_spec(TS, "ticket called to a counter", source="queue system"),
    "served_at": column_spec(TS, "service started", source="queue system"),
    "finished_at": column_spec(TS, "service finished", source="queue system"),
}, ["ticket_id"], "Queue tickets (one row per citizen visit).")

SKM = _schema("skm", {
    "response_id": column_spec("str", "survey form id", unique=True, source="SKM survey export"),
    "unit_id": column_spec("str", **_UNIT_ID),
    "survey_date": column_spec(TS, "date of the response", source="SKM survey export"),
    "age": column_spec("int64", "respondent age", unit="years", checks=[pa.Check.in_range(15, 99)],
                source="SKM survey export"),
    "sex": column_spec("str", "respondent sex", allowed=SEX, source="SKM survey export"),
    "education": column_spec("str", "respondent education", allowed=EDUCATION, source="SKM survey export"),
    "occupation": column_spec("str", "respondent occupation", allowed=OCCUPATION, source="SKM survey export"),
    "service": column_spec("str", "service used", vocabulary="skm_service", source="SKM survey export"),
    **{f"u{i}": column_spec("int64", f"element U{i} score (PermenPANRB 14/2017)", unit="1-4", allowed=LIKERT,
                     source="SKM survey export") for i in range(1, 10)},
}, ["response_id"], "SKM responses, nine elements U1-U9 (one row per respondent).")

SERVICE_VOLUME = _schema("service_volume", {
    "unit_id": column_spec("str", **_UNIT_ID),
    "quarter": column_spec("str", "calendar quarter, e.g. 2023Q1", source="unit service recap"),
    "users_served": column_spec("int64", "people served in the quarter (Krejcie-Morgan N)", unit="persons",
                         checks=[pa.Check.ge(0)], source="unit service recap"),
}, ["unit_id", "quarter"], "Users served per unit and quarter (population for the SKM sample size).")

HEALTH = _schema("health", {
    "unit_id": column_spec("str", **_UNIT_ID),
    "week_start": column_spec(TS, "epi week start (Sunday)", source="SKDR weekly report"),
    "disease": column_spec("str", "reported syndrome", vocabulary="disease", source="SKDR weekly report"),
    "cases": column_spec("int64", "cases in the week", unit="cases", checks=[pa.Check.ge(0)], source="SKDR weekly report"),
    "population": column_spec("int64", "catchment population", unit="persons", checks=[pa.Check.gt(0)],
                       source="SKDR weekly report"),
}, ["unit_id", "week_start", "disease"], "Weekly communicable-disease counts per puskesmas/pustu.")

SCHOOLS = _schema("schools", {
    "unit_id": column_spec("str", **_UNIT_ID),
    "semester_start": column_spec(TS, "first day of the semester (January or July)", source="school assessment export"),
    "assessment_score": column_spec("float64", "school assessment score", unit="points 0-100",
                             checks=[pa.Check.in_range(0, 100)], source="school assessment export"),
    "n_students": column_spec("int64", "students assessed", unit="students", checks=[pa.Check.gt(0)],
                       source="school assessment export"),
}, ["unit_id", "semester_start"], "School assessment score per semester.")

REJECTS = _schema("rejects", {
    "file": column_spec("str", "raw file, relative to the raw directory", source="cleaning"),
    "row_number": column_spec("int64", "data row in the file (1 = first row after the header)", source="cleaning"),
    "table": column_spec("str", "canonical table", source="cleaning"),
    "reason": column_spec("str", "reject reason code", allowed=tuple(REASONS), source="cleaning"),
    "column": column_spec("str", "canonical column that failed", source="cleaning"),
}, ["file", "row_number"], "Raw rows that did not enter a clean table, with the reason (no raw values).")

QUALITY_COLUMNS = ["file", "table", "status", "rows_raw", "rows_clean", "rows_rejected", "rows_duplicate"] + [
    f"rejected_{r}" for r in REASONS] + ["rows_flagged", "note"]
#: ``status`` of a raw file in the data-quality summary.
FILE_STATUS = ("cleaned", "ignored")
DATA_QUALITY = _schema("data_quality", {
    "file": column_spec("str", "raw file, relative to the raw directory", source="cleaning"),
    "table": column_spec("str", "canonical table (empty for an ignored file)", source="cleaning"),
    "status": column_spec("str", "cleaned, or ignored (not read; see note)", allowed=FILE_STATUS, source="cleaning"),
    "rows_raw": column_spec("int64", "data rows in the file", unit="rows", source="cleaning"),
    "rows_clean": column_spec("int64", "rows kept in the clean table", unit="rows", source="cleaning"),
    "rows_rejected": column_spec("int64", "rows rejected", unit="rows", source="cleaning"),
    "rows_duplicate": column_spec("int64", "duplicate submissions merged", unit="rows", source="cleaning"),
    **{f"rejected_{r}": column_spec("int64", f"rows rejected: {d}", unit="rows", source="cleaning")
       for r, d in REASONS.items()},
    "rows_flagged": column_spec("int64", "clean rows kept but flagged: a count far outside the unit's own history",
                                unit="rows", source="cleaning"),
    "note": column_spec("str", "why a file was ignored, or which columns were flagged", source="cleaning"),
}, ["file"], "Every file under the raw directory: cleaned (rows_raw = rows_clean + rows_rejected + "
   "rows_duplicate) or ignored with the reason.")

#: Canonical tables written by cleaning, in write order.
CANONICAL: dict[str, pa.DataFrameSchema] = {
    s.name: s for s in (UNITS, ADOPTION, ASN, SKP, TRAINING, TICKETS, SKM, SERVICE_VOLUME, HEALTH, SCHOOLS)
}
ALL_SCHEMAS: dict[str, pa.DataFrameSchema] = {**CANONICAL, "rejects": REJECTS, "data_quality": DATA_QUALITY}


def dtypes(schema: pa.DataFrameSchema) -> dict[str, str]:
    return {name: col.metadata["dtype"] for name, col in schema.columns.items()}


def conform(df: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame:
    """Columns in declared order and dtype, rows sorted by the key: one byte-stable form."""
    out = pd.DataFrame({c: df[c].astype(t) for c, t in dtypes(schema).items()})
    return out.sort_values(schema.metadata["key"], kind="mergesort").reset_index(drop=True)


def validate(df: pd.DataFrame, schema: pa.DataFrameSchema, study=None) -> pd.DataFrame:
    """pandera's checks, then each study-vocabulary column against ``study`` (default: the default study)."""
    from analysis import study as St  # study reads schemas' neighbours only; imported late to keep imports light

    out = schema.validate(df, lazy=True)
    st = study if study is not None else St.load()
    for cname, col in schema.columns.items():
        voc = col.metadata.get("vocabulary")
        if voc and cname in df:
            bad = sorted(set(df[cname].dropna()) - set(st.vocabulary(voc)))
            if bad:
                raise ValueError(f"table {schema.name}, column {cname}: {len(bad)} value(s) outside the study "
                                 f"{st.name!r} {voc} vocabulary, e.g. {bad[:3]}")
    return out


# --------------------------------------------------------------------------
# Codebook
# --------------------------------------------------------------------------
def _allowed(col: pa.Column) -> str:
    if col.metadata.get("vocabulary"):
        return f"study vocabulary `{col.metadata['vocabulary']}`"
    for chk in col.checks:
        stats = chk.statistics or {}
        if "allowed_values" in stats:
            vals = stats["allowed_values"]
            return ", ".join(f"`{v}`" for v in vals)
        if {"min_value", "max_value"} <= set(stats):
            return f"{stats['min_value']} to {stats['max_value']}"
        if "min_value" in stats:
            return f">= {stats['min_value']}" if chk.name == "greater_than_or_equal_to" else f"> {stats['min_value']}"
    return ""


def codebook_markdown(schemas: dict[str, pa.DataFrameSchema] | None = None) -> str:
    """Render the codebook of every canonical table (and panels if passed) as Markdown."""
    schemas = schemas if schemas is not None else ALL_SCHEMAS
    lines = ["# Codebook", "",
             "Generated by `analysis.schemas.write_codebook()` from the pandera schemas in",
             "`src/analysis/schemas.py` and `src/analysis/panels.py`; do not edit by hand.", ""]
    for name, sch in schemas.items():
        lines += [f"## `{name}`", "", sch.description or "", "",
                  f"Key: {', '.join(f'`{k}`' for k in sch.metadata['key'])}", "",
                  "| column | type | unit | allowed values | nullable | source | description |",
                  "|---|---|---|---|---|---|---|"]
        for cname, col in sch.columns.items():
            md = col.metadata
            lines.append(f"| `{cname}` | {md['dtype']} | {md['unit']} | {_allowed(col)} | "
                         f"{'yes' if col.nullable else 'no'} | {md['source']} | {col.description} |")
        lines.append("")
    lines += ["## Plausibility bounds", "", "From `src/analysis/plausibility.yaml`; a value outside its bound is "
              "rejected with the reason code.", "", "| table | column | bound | reason |", "|---|---|---|---|"]
    w = PLAUSIBILITY["study_window"]
    for name, sch in schemas.items():
        for cname, col in sch.columns.items():
            b = col.metadata.get("plausible") or {}
            if b:
                bound = (f"study window +/- {b['tolerance_days']} days" if b.get("window")
                         else f"{b['min']} to {b['max']}")
                lines.append(f"| `{name}` | `{cname}` | {bound} | `{b['reason']}` |")
        for d in sch.metadata.get("durations", {}).values():
            lines.append(f"| `{name}` | `{d['from']}` to `{d['to']}` | at most {d['max_minutes']} min | "
                         f"`{d['reason']}` |")
    n = PLAUSIBILITY["nip"]
    lines += [f"| NIP/NI | birth date | valid date, year {n['birth_year'][0]} to {n['birth_year'][1]} | "
              f"`{n['reasons']['birth']}` |",
              f"| NIP/NI | TMT | at least {n['min_age_at_tmt']} years after birth, not after the study window | "
              f"`{n['reasons']['tmt']}` |",
              f"| NIP/NI | sex digit | one of {', '.join(n['sex_digits'])} | `{n['reasons']['sex']}` |",
              f"| NIP/NI | serial | not 000 | `{n['reasons']['serial']}` |", ""]
    lines += ["## Reject reasons", "", "| reason | meaning |", "|---|---|"]
    lines += [f"| `{r}` | {d} |" for r, d in REASONS.items()]
    return "\n".join(lines) + "\n"


def write_codebook(path: Path | str = Path("docs/codebook.md")) -> Path:
    """Write the codebook of canonical tables and analysis panels to ``path``."""
    from analysis.panels import PANEL_SCHEMAS  # panels import schemas; import here to avoid a cycle

    path = Path(path)
    path.write_text(codebook_markdown({**ALL_SCHEMAS, **PANEL_SCHEMAS}), encoding="utf-8")
    return path
