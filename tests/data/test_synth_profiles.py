"""The synthetic generator writes only the spellings the export profiles hold (it has none of its own)."""

from __future__ import annotations

import ast
import fnmatch
import re
from pathlib import Path

import pandas as pd
import pytest

from analysis import schemas
from analysis.clean.profile import shipped
from analysis.study import load
from analysis.synth import MessyConfig, SynthConfig, generate
from analysis.synth import export as X

#: raw field of a table -> the label vocabulary its cells are written in
LABEL_FIELDS = {("units", "type"): "unit_type", ("tickets", "jalur"): "channel", ("tickets", "layanan"): "service",
                ("skm", "jk"): "sex", ("skm", "pendidikan"): "education", ("skm", "pekerjaan"): "occupation",
                ("skm", "layanan"): "service", ("skp", "hasil"): "rating", ("skp", "perilaku"): "rating",
                ("skp", "predikat"): "predikat", ("health", "penyakit"): "disease"}
#: every spelling written, no file-level variety (plain UTF-8 CSV) and no corrupted rows
LOUD = MessyConfig(**{**{f: v for f, v in vars(MessyConfig.none()).items()}, "header_variants": True,
                      "category_variants": 1.0})


def _table(rel: str) -> str | None:
    return next((t for g, t in shipped().file_patterns if fnmatch.fnmatch(rel.lower(), g.lower())), None)


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("loud") / "raw",
                    SynthConfig(months=6, scale=0.2, skm_sample_scale=0.2, messy=LOUD))


def test_every_header_and_label_the_generator_writes_is_a_profile_spelling(raw):
    study = load()
    prof = shipped()
    # values the profiles give no spelling are written as they are (or in upper case)
    extra = {"service": {*study.services, *study.vocabulary("skm_service")}, "predikat": schemas.PREDIKAT}
    seen_headers, seen_labels = set(), set()
    for path in sorted(raw.rglob("*.csv")):
        rel = path.relative_to(raw).as_posix()
        table = _table(rel)
        if rel.startswith("_truth") or table is None:
            continue
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        spelled = {h: f for f, spellings in prof.headers[table].items() for h in spellings}
        unknown = [h for h in frame.columns if h not in spelled]
        assert not unknown, f"{rel}: headers in no profile: {unknown}"
        seen_headers |= set(frame.columns)
        for header in frame.columns:
            vocabulary = LABEL_FIELDS.get((table, spelled[header]))
            if vocabulary is None:
                continue
            written = {s for spellings in prof.labels.get(vocabulary, {}).values() for s in spellings}
            written |= {s for v in extra.get(vocabulary, ()) for s in (v, v.upper())}
            stray = sorted(set(frame[header]) - written - {""})
            assert not stray, f"{rel}: {header} cells in no profile: {stray}"
            seen_labels |= set(frame[header])
    # the check saw the variety it is about: more than one spelling per header and label
    assert len(seen_headers) > 2 * len(LABEL_FIELDS) and {"Daring", "Walk-in", "Laki-laki"} <= seen_labels


def test_the_generator_reads_every_spelling_from_the_profiles():
    """No header or label spelling of a profile is spelled out in the generator's code."""
    prof = shipped()
    spellings = {s for fields in prof.headers.values() for ss in fields.values() for s in ss}
    spellings |= {s for labels in prof.labels.values() for ss in labels.values() for s in ss}
    spellings -= {canon for labels in prof.labels.values() for canon in labels}  # canonical values are data
    spellings = {s for s in spellings if not re.fullmatch(r"[a-z0-9_]+", s)}  # identifiers are code words too
    code = Path(X.__file__).parent
    found = []
    for path in (code / "export.py", code / "generate.py"):  # the modules that write exports
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in spellings:
                found.append(f"{path.name}:{node.lineno} {node.value!r}")
    assert not found, found


def test_the_generator_writes_three_header_spellings_per_field():
    for table in shipped().headers:
        assert all(len(v) == 3 for v in X.headers(table).values()), table
