"""Shared by the hardening tests: small real-looking exports, the clean CLI, and the invariants."""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from analysis import schemas
from analysis.clean.cli import clean
from analysis.clean.run import clean_raw
from analysis.pseudonym import ENV_VAR
from analysis.synth import MessyConfig, SynthConfig, generate

KEY = "a test secret"
SMALL = SynthConfig(months=4, scale=0.2, skm_sample_scale=0.2, messy=MessyConfig.none())


def make_base(folder: Path) -> tuple[Path, pd.DataFrame]:
    """Clean synthetic exports (kept with marker and truth) and its roster of raw NIPs and names."""
    raw = generate(folder / "raw", SMALL)
    people = pd.read_csv(raw / "simpeg" / "pegawai.csv", dtype=str, keep_default_na=False)
    return raw, people


def clean_reference(root: Path, key: bytes) -> tuple[Path, dict[str, pd.DataFrame]]:
    """Synthetic exports under ``root`` and the canonical tables of their real copy (cleaned into root/ref_out)."""
    base, _ = make_base(root)
    clean_raw(real_copy(base, root / "ref"), root / "ref_out", key=key)
    return base, canonical_tables(root / "ref_out")


def canonical_tables(folder: Path) -> dict[str, pd.DataFrame]:
    return {t: schemas.conform(pd.read_parquet(folder / f"{t}.parquet"), s) for t, s in schemas.CANONICAL.items()}


def real_copy(base: Path, dest: Path) -> Path:
    """The exports as a real user would hold them: no marker, no truth."""
    shutil.copytree(base, dest, ignore=shutil.ignore_patterns("SYNTHETIC.json", "_truth"))
    return dest


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def write(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, index=False, lineterminator="\n")


def run_clean(raw: Path, out: Path, key: str | None = KEY):
    env = {ENV_VAR: key} if key else {ENV_VAR: ""}
    return CliRunner().invoke(clean, ["--raw", str(raw), "--out", str(out)], env=env, catch_exceptions=True)


def independent_rows(raw: Path) -> dict[str, int]:
    """Data rows per readable export, counted with the csv module / openpyxl (not with cleaning's reader)."""
    counts = {}
    for p in sorted(raw.rglob("*")):
        if not p.is_file() or p.name == "SYNTHETIC.json" or "_truth" in p.parts:
            continue
        rel = p.relative_to(raw).as_posix()
        counts[rel] = None  # not a data file: must be listed as ignored
        if p.name.startswith("~$"):
            continue
        if p.suffix.lower() == ".xlsx":
            from openpyxl import load_workbook

            ws = load_workbook(p, read_only=True).active
            counts[rel] = sum(1 for r in ws.iter_rows(min_row=2, values_only=True) if any(v not in (None, "") for v in r))
        elif p.suffix.lower() == ".xls":  # no second .xls reader installed: calamine itself, without pandas
            from python_calamine import CalamineWorkbook

            rows = CalamineWorkbook.from_path(str(p)).get_sheet_by_index(0).to_python()
            counts[rel] = sum(1 for r in rows[1:] if any(v not in (None, "") for v in r))
        elif p.suffix.lower() == ".csv":
            b = p.read_bytes()
            for bom, enc in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"), (b"\xef\xbb\xbf", "utf-8")):
                if b.startswith(bom):
                    text = b[len(bom):].decode(enc, errors="replace")
                    break
            else:
                text = b.decode("utf-8", errors="replace")
            first = text.split("\n", 1)[0]
            sep = max((",", ";", "\t"), key=first.count)
            rows = list(csv.reader(io.StringIO(text), delimiter=sep))
            counts[rel] = sum(1 for r in rows[1:] if any(c.strip() for c in r))
    return counts


def assert_invariants(res, raw: Path, out: Path, people: pd.DataFrame, before: dict[str, bytes]) -> None:
    """Exit code + named message or success; exact accounting; no partial output; no identifier anywhere."""
    text = res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in text
    nips = set(people["NIP"].str.replace(r"\D", "", regex=True))
    names = set(people["Nama"])
    digits = re.sub(r"\D", " ", text).split()
    assert not nips & set(digits) and not any(n in text for n in names), "identifier in a message"
    if res.exit_code != 0:
        assert res.exit_code in (1, 2) and text.startswith("error: ")
        after = {p.name: p.read_bytes() for p in out.iterdir()} if out.exists() else {}
        assert after == before, "partial output"
        assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]
        return
    q = pd.read_parquet(out / "data_quality.parquet")
    done = q[q["status"] == "cleaned"]
    assert (done["rows_raw"] == done["rows_clean"] + done["rows_rejected"] + done["rows_duplicate"]).all()
    truth = independent_rows(raw)
    assert dict(zip(done["file"], done["rows_raw"])) == {f: n for f, n in truth.items() if f in set(done["file"])}
    ign = q[q["status"] == "ignored"]
    assert (ign["note"].str.len() > 0).all() and (ign[["rows_raw", "rows_clean"]] == 0).all().all()
    assert set(truth) <= set(q["file"]), "a file neither cleaned nor listed as ignored"
    for table, n in done.groupby("table")["rows_clean"].sum().items():
        assert len(pd.read_parquet(out / f"{table}.parquet")) == n
    for p in out.glob("*.parquet"):
        if p.name == "previous.parquet":
            continue
        df = pd.read_parquet(p)
        for c in df.columns:
            if df[c].dtype == object:
                vals = set(df[c].dropna().astype(str))
                assert not vals & nips and not vals & names, f"identifier in {p.name}:{c}"
