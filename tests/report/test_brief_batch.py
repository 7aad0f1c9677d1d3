"""Briefs for many areas in one process pool (no kernel per brief), their index page, and the audit of both.

One fabricated run (tests/report/brief_run_fixture.py: areas are its kelurahan); a batch of
three area briefs and one that must fail (a language the brief does not speak) in two
worker processes; the index page opened in headless Chromium.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from brief_chromium import chromium_binary, load
from brief_run_fixture import make_run

ROOT = Path(__file__).resolve().parents[2]
AREAS = ["Komperta", "Plaju Darat", "Talang Bubuk"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    from analysis.report.batch import Job, build_all
    from analysis.report.index import write_index

    run = make_run(tmp_path_factory.mktemp("batch") / "run")
    jobs = [Job("id", area=a) for a in AREAS] + [Job("xx", area="Komperta")]
    with pytest.MonkeyPatch.context() as patch:
        if shutil.which("quarto"):
            patch.setenv("ANALYSIS_RENDERER", "pandoc")  # the path CI has
        outcomes = build_all(run, jobs, workers=2, root=ROOT)
    return run, outcomes, write_index(run, outcomes, "id")


def test_every_area_brief_is_made_and_a_failure_is_reported_without_a_folder(batch):
    run, outcomes, _ = batch
    assert [o.status for o in outcomes] == ["complete"] * 3 + ["failed"]
    failed = outcomes[-1]
    assert "language must be one of id, en" in failed.error and "\n" not in failed.error
    assert not failed.folder.exists(), "a failed brief left its folder behind"
    for o in outcomes[:3]:
        assert o.folder.parent == run / "areas"
        assert {"brief.html", "brief.pdf", "claims.csv", "brief.ipynb"} <= {p.name for p in o.folder.iterdir()}
        text = o.outputs["html"].read_text(encoding="utf-8")
        assert f"Kelurahan {o.job.area}" in text
        assert "data sintetis" in text  # the synthetic-data warning of every brief
        claims = pd.read_csv(o.folder / "claims.csv", dtype=str, keep_default_na=False)
        assert set(claims["brief"]) == {f"area-{o.folder.name}"}


def test_area_profile_counts_the_areas_units(batch):
    from brief_run_fixture import units

    run, outcomes, _ = batch
    schedule = units()
    for o in outcomes[:3]:
        claims = pd.read_csv(o.folder / "claims.csv", dtype=str, keep_default_na=False)
        mine = schedule[schedule["kelurahan"] == o.job.area]
        counts = claims[(claims["section"] == "summary") & (claims["table"] == "adoption_schedule")
                        & (claims["rule"] == "count")]
        assert int(counts.iloc[0]["value"]) == len(mine)
        assert int(counts[counts["row"].str.endswith("&adoption_month!=")].iloc[0]["value"]) == \
            int((mine["adoption_month"] != "").sum())
        # recommendations name the area's units only (not adopted, weak IKM, low uptake)
        named = claims[(claims["section"] == "recommendations") & (claims["rule"] == "values")
                       & (claims["column"] == "unit_name")]
        assert len(named), "no recommendation names units"
        for value in named["value"]:
            assert set(filter(None, value.split(";"))) <= set(mine["unit_name"]), value


def test_the_audit_covers_every_brief_and_the_index(batch, tmp_path):
    from analysis.audit import audit_run

    run, outcomes, index = batch
    checked, problems = audit_run(run)
    assert not problems, [p.line() for p in problems[:5]]
    per_brief = sum(len(pd.read_csv(o.folder / "claims.csv")) for o in outcomes[:3])
    shown = len(re.findall(r'data-brief="', index.read_text(encoding="utf-8")))
    assert shown >= 6 and checked == per_brief + shown
    # a figure on the index that is not what its brief's claim records is caught
    copy = Path(shutil.copytree(run, tmp_path / "run"))
    page = copy / index.name
    text = page.read_text(encoding="utf-8")
    first = re.search(r'(data-claim="[^"]+"[^>]*>)([^<]+)(</span>)', text)
    page.write_text(text.replace(first.group(0), first.group(1) + "99" + first.group(3), 1), encoding="utf-8")
    _, problems = audit_run(copy)
    assert len(problems) == 1 and "index-id.html shows other text" in problems[0].why


def test_a_brief_without_a_kernel_equals_the_papermill_brief(tmp_path):
    """The kernel-free notebook holds what papermill's holds: same Markdown, same claims, same parameters."""
    from analysis.brief_source import notebook_markdown
    from analysis.report.cli import build_brief

    built = {}
    for kernel in (True, False):
        run = make_run(tmp_path / f"kernel-{kernel}" / "run")
        out = build_brief(run, "", "id", root=ROOT, render=False, area="Komperta", kernel=kernel)
        nb = nbformat.read(out["ipynb"], as_version=4)
        text = notebook_markdown(nb, tmp_path / f"media-{kernel}").replace(str(run), "RUN")
        claims = pd.read_csv(out["ipynb"].parent / "claims.csv", dtype=str, keep_default_na=False)
        built[kernel] = text, claims, nb.metadata["papermill"]["parameters"]
    assert built[True][0] == built[False][0]
    pd.testing.assert_frame_equal(built[True][1], built[False][1])
    assert {k: v for k, v in built[True][2].items() if k != "run_dir"} == \
        {k: v for k, v in built[False][2].items() if k != "run_dir"}


def test_a_notebook_cell_that_needs_a_kernel_is_refused(tmp_path):
    from analysis.report.inprocess import NotKernelFree, execute

    nb = nbformat.read(ROOT / "reports" / "brief.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("print('hello')"))
    template = tmp_path / "brief.ipynb"
    nbformat.write(nb, template)
    with pytest.raises(NotKernelFree, match="only a kernel can run it"):
        execute(template, tmp_path / "out.ipynb", {"run_dir": "", "language": "id", "min_cell": 10, "alp": 0.05,
                                                    "unit_id": "", "area": ""})


def needs_chromium() -> None:
    if chromium_binary() is None:
        pytest.skip("chromium is not installed (apt-get install chromium): cannot open the pages")
    pytest.importorskip("websocket", reason="websocket-client drives Chromium's DevTools protocol")


FILTER = """(() => { const f = document.getElementById('filter'); f.value = 'komp';
  f.dispatchEvent(new Event('input'));
  return [...document.querySelectorAll('#briefs tbody tr')].filter(r => r.getClientRects().length > 0)
    .map(r => r.dataset.name); })()"""
SORT = """(() => { const f = document.getElementById('filter'); f.value = ''; f.dispatchEvent(new Event('input'));
  const s = document.getElementById('sort'); s.value = 'units'; s.dispatchEvent(new Event('change'));
  return [...document.querySelectorAll('#briefs tbody tr')].map(r => [r.dataset.name, Number(r.dataset.units)]); })()"""
NONE = """(() => { const f = document.getElementById('filter'); f.value = 'zzz'; f.dispatchEvent(new Event('input'));
  return [document.getElementById('none').getClientRects().length > 0, document.getElementById('count').textContent,
          [...document.querySelectorAll('#briefs tbody tr')].filter(r => r.getClientRects().length > 0).length]; })()"""
LINKS = "[...document.querySelectorAll('a[href]')].map(a => a.href)"


@pytest.mark.parametrize("width", [390, 1280])
def test_index_page_filters_sorts_links_and_fits_the_screen(batch, artifacts, tmp_path, width):
    needs_chromium()
    run, outcomes, index = batch
    result = load(index, artifacts / f"index-{width}.png", tmp_path / "profile", width=width,
                  height=1600, mobile=width < 500, scripts=(LINKS, FILTER, SORT, NONE))
    links, filtered, ordered, nothing = result["results"]
    external = [u for u in result["requests"] if not u.startswith(("file:", "data:"))]
    assert not external and not result["failed"] and not result["console_errors"] and not result["exceptions"]
    layout = result["layout"]
    assert layout["innerWidth"] == width and layout["scrollWidth"] <= width, layout
    assert not layout["sticking"], layout["sticking"]
    # every brief that was made, by HTML and PDF, and the links open files that exist
    assert len(links) == 6 and all(Path(re.sub("^file://", "", u)).is_file() for u in links), links
    assert filtered == ["Kelurahan Komperta"]
    counts = [n for _, n in ordered]
    assert counts == sorted(counts, reverse=True) and len(ordered) == 3
    assert nothing == [True, "Ditampilkan 0 dari 3", 0]  # the message shows, and no row does


@pytest.mark.parametrize("width", [390, 1280])
def test_area_brief_fits_the_screen(batch, artifacts, tmp_path, width):
    """An area brief (its units' IKM table included) never scrolls sideways, on a phone or a desktop."""
    needs_chromium()
    _, outcomes, _ = batch
    result = load(outcomes[0].outputs["html"], artifacts / f"area-{width}.png", tmp_path / "profile", width=width,
                  height=2400 if width < 500 else 1600, mobile=width < 500)
    layout = result["layout"]
    assert layout["innerWidth"] == width and layout["scrollWidth"] <= width, layout
    assert not layout["sticking"] and all(t["fits"] for t in layout["tables"]), layout
    assert not result["failed"] and not result["exceptions"]


def test_index_names_the_failed_brief_and_its_reason(batch):
    _, outcomes, index = batch
    text = index.read_text(encoding="utf-8")
    assert "Ringkasan yang gagal dibuat" in text and "language must be one of id, en" in text
    assert "<script src" not in text and "<link" not in text and "http" not in text.replace("http-equiv", "")


def test_index_speaks_english_by_parameter(batch, tmp_path):
    from analysis.report.index import write_index

    run, outcomes, _ = batch
    path = write_index(run, outcomes, "en")
    page = path.read_text(encoding="utf-8")
    path.unlink()  # the other tests audit the batch's own (Indonesian) page
    assert '<html lang="en">' in page and "Policy briefs by area" in page and "Filter by name" in page
    assert "Briefs that could not be made" in page and "Saring" not in page
    assert page.count('data-brief="area-') >= 6  # the same claims as the Indonesian page


def test_areas_follow_the_study_grouping(tmp_path):
    """kab/kota grouping: a kelurahan belongs to the kab/kota of its code (a province or national study)."""
    import yaml

    from analysis.study import load

    source = ROOT / "studies" / "plaju"
    doc = yaml.safe_load((source / "study.yaml").read_text(encoding="utf-8"))
    head = doc["areas"][0]["code"].split(".")
    doc.update(grouping="kabkota", area={"code": head[0], "level": "provinsi", "name": "Provinsi"},
               kabkota=[{"code": ".".join(head[:2]), "name": "Kota Contoh"}])
    folder = tmp_path / "province"
    folder.mkdir()
    (folder / "study.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    shutil.copy(source / "units.csv", folder / "units.csv")
    study = load(folder)
    assert {study.group_of(k) for k in study.kelurahan} == {"Kota Contoh"}
    assert study.kabkota_of("99.01.01.1001") == ""  # a kab/kota the study does not list
    from analysis.report.areas import unit_areas

    schedule = study.units[["unit_id", "kelurahan"]].to_dict("records")
    assert set(unit_areas(study, schedule).values()) == {"Kota Contoh"}


def test_since_previous_is_not_rewritten_by_every_brief(tmp_path, monkeypatch):
    from analysis import continuity

    run = make_run(tmp_path / "run")
    table = pd.DataFrame({"outcome": ["ikm"], "estimate": [1.0]})
    monkeypatch.setattr(continuity, "previous_run", lambda run_dir: run)
    monkeypatch.setattr(continuity, "since_table", lambda run_dir, previous: table)
    stored = run / "tables" / "since_previous.parquet"
    continuity.write_since_table(run)
    first = stored.stat().st_mtime_ns
    exhibits = (run / "exhibits.csv").read_text(encoding="utf-8")
    continuity.write_since_table(run)
    assert stored.stat().st_mtime_ns == first and (run / "exhibits.csv").read_text(encoding="utf-8") == exhibits
    monkeypatch.setattr(continuity, "since_table", lambda run_dir, previous: table.assign(estimate=2.0))
    continuity.write_since_table(run)
    assert pd.read_parquet(stored)["estimate"].tolist() == [2.0]


def test_cli_refuses_an_unknown_area_before_making_anything(tmp_path):
    from click.testing import CliRunner

    from analysis.cli import main

    run = make_run(tmp_path / "run")
    result = CliRunner().invoke(main, ["brief", "--area", "Kompert", "--run", str(run)])
    assert result.exit_code == 2
    assert "unknown area 'Kompert'" in result.output and "Komperta" in result.output
    assert not (run / "areas").exists()
    assert json.loads((run / "manifest.json").read_text(encoding="utf-8"))


def test_audit_selects_many_units_as_it_selects_a_few():
    """The audit's set lookup for long alternatives (an area's unit ids) agrees with its cell-by-cell test."""
    from analysis.audit import _same, select

    frame = pd.DataFrame({"unit_id": ["DUK01", "KEL002", None, "  ", "SCH010", "12", "PKM03"] * 3,
                          "n": range(21)})
    wanted = ["DUK01", "KEL002", "SCH010", "KEL003", "KEL004", "KEL005", "KEL006", "KEL007", "KEL008"]
    fast = select(frame, "unit_id=" + "|".join(wanted))
    slow = frame[frame["unit_id"].map(lambda c: any(_same(c, v) for v in wanted))]
    pd.testing.assert_frame_equal(fast, slow)
    assert len(fast) == 9
    assert len(select(frame, "unit_id!=" + "|".join(wanted))) == 12


def test_an_effect_on_the_index_carries_its_interval_as_claims():
    from analysis.report.index import _cell

    claim = {"brief": "area-x-id", "claim_id": "summary-010", "text": "+3,8 poin", "value": "3.8",
             "table": "heterogeneity", "row": "outcome=ikm&dimension=kecamatan&level=X", "column": "estimate"}
    claim["interval"] = [{**claim, "claim_id": "summary-011", "text": "1,6", "column": "conf_low"},
                         {**claim, "claim_id": "summary-012", "text": "6,0 poin", "column": "conf_high"}]
    value, cell = _cell(claim, "Dampak", "id")
    assert value == "3.8"
    assert re.findall(r'data-claim="([^"]+)"[^>]*>([^<]+)<', cell) == [
        ("summary-010", "+3,8 poin"), ("summary-011", "1,6"), ("summary-012", "6,0 poin")]
    assert "sampai" in cell
