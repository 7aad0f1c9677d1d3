"""``analysis study create``: write a study folder for any kota or kecamatan from the official code list.

The user gives the Kemendagri catalogue (``kode,nama`` CSV, Kepmendagri 300.2.2-2138/2025) and an
area code; the project never ships that table. Vocabularies that do not depend on the place
(services, diseases, courses, unit types) are copied from a template study; the OPD list gets one
"Kecamatan <name>" office per kecamatan. The unit catalogue is synthetic: per kecamatan a kantor
camat, a Disdukcapil service point, a puskesmas and two schools, and a kantor lurah per kelurahan,
so units are spread over every kecamatan. Sizes are left empty (the generator's defaults by type).
"""

from __future__ import annotations

import csv
from pathlib import Path

import click
import yaml

_LEVELS = {1: "provinsi", 2: "kota", 3: "kecamatan"}


def _read_codes(path: Path) -> dict[str, str]:
    with Path(path).open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows or not {"kode", "nama"} <= set(rows[0]):
        raise click.ClickException(f"{path}: expected columns 'kode,nama' (the Kemendagri code list)")
    return {r["kode"].strip(): r["nama"].strip() for r in rows}


def _names(level: str, name: str, parent: str) -> dict:
    bare_parent = parent.removeprefix("Kota ").removeprefix("Kabupaten ")
    if level == "kecamatan":
        return {"id": {"area": f"Kecamatan {name}", "short": f"Kecamatan {name}", "title": f"Kecamatan {name}, {parent}"},
                "en": {"area": f"{name} district", "short": name, "title": f"{name}, {bare_parent}"}}
    bare = name.removeprefix("Kota ").removeprefix("Kabupaten ")
    return {"id": {"area": name, "short": name, "title": name},
            "en": {"area": f"{bare} city" if name.startswith("Kota ") else bare, "short": bare, "title": bare}}


def build(codes: dict[str, str], area: str, template) -> tuple[dict, list[dict]]:
    """The study document and the unit catalogue rows for ``area`` (a kota or kecamatan code)."""
    depth = area.count(".") + 1
    if area not in codes or depth not in (2, 3):
        raise click.ClickException(f"area {area!r}: not a kota/kabupaten or kecamatan code of the catalogue")
    level = "kecamatan" if depth == 3 else ("kota" if codes[area].startswith("Kota ") else "kabupaten")
    parent = codes.get(area.rsplit(".", 1)[0], "") if depth == 3 else codes.get(area.split(".")[0], "")
    kecamatan = sorted(c for c in codes if c.startswith(area + ".") and c.count(".") == 2) if depth == 2 else [area]
    desa = sorted(c for c in codes if c.count(".") == 3 and c.rsplit(".", 1)[0] in set(kecamatan))
    if not desa:
        raise click.ClickException(f"area {area!r}: the catalogue lists no kelurahan/desa under it")
    city = (codes[area] if depth == 2 else parent).removeprefix("Kota ").removeprefix("Kabupaten ")
    fixed_opds = [o for o in template.opds if not o.startswith("Kecamatan ")]
    doc = {
        "name": codes[area].lower().removeprefix("kota ").removeprefix("kabupaten ").replace(" ", "_"),
        "area": {"code": area, "level": level, "name": codes[area], "parent": parent},
        "names": _names(level, codes[area], parent),
        "grouping": "kecamatan" if depth == 2 else "kelurahan",
        "window": {"start": template.window.start, "end": template.window.end},
        "areas": [{"code": c, "name": codes[c]} for c in desa],
        "kecamatan": [{"code": c, "name": codes[c]} for c in kecamatan] if depth == 2 else [],
        "catalogue": "units.csv",
        "opds": fixed_opds + [f"Kecamatan {codes[k]}" for k in kecamatan],
        "unit_types": list(template.unit_types),
        "services": {s: {"priority": v.priority} for s, v in template.services.items()},
        "skm_services": list(template.skm_services),
        "diseases": list(template.diseases),
        "courses": dict(template.courses),
    }
    dukcapil, health, school = (next((o for o in fixed_opds if word in o.lower()), fixed_opds[0])
                                for word in ("kependudukan", "kesehatan", "pendidikan"))
    rows, sd = [], 0
    for i, k in enumerate(kecamatan, start=1):
        kname, office = codes[k], f"Kecamatan {codes[k]}"
        kel = [c for c in desa if c.startswith(k + ".")]
        seat = kel[0]
        rows += [{"unit_id": f"KEC{i:02d}", "unit_name": f"Kantor Camat {kname}", "unit_type": "kecamatan",
                  "opd": office, "kelurahan_code": seat, "distance_km": "0.0" if depth == 3 else ""},
                 {"unit_id": f"DUK{i:02d}", "unit_name": f"UPTD Disdukcapil Kecamatan {kname}",
                  "unit_type": "disdukcapil", "opd": dukcapil, "kelurahan_code": seat},
                 {"unit_id": f"PKM{i:02d}", "unit_name": f"Puskesmas {kname}", "unit_type": "puskesmas",
                  "opd": health, "kelurahan_code": kel[len(kel) // 2]}]
        for j in range(2):
            sd += 1
            rows.append({"unit_id": f"SCH{sd:03d}", "unit_name": f"SD Negeri {sd} {city}", "unit_type": "school",
                         "opd": school, "kelurahan_code": kel[(j * len(kel)) // 2]})
    rows += [{"unit_id": f"KEL{n:03d}", "unit_name": f"Kantor Lurah {codes[c]}", "unit_type": "kelurahan",
              "opd": f"Kecamatan {codes[c.rsplit('.', 1)[0]]}", "kelurahan_code": c}
             for n, c in enumerate(desa, start=1)]
    return doc, rows


def write(doc: dict, rows: list[dict], folder: Path, note: str = "") -> Path:
    from analysis.study import CATALOGUE_COLUMNS, load

    folder.mkdir(parents=True, exist_ok=True)
    head = (f"# Study area {doc['area']['name']} ({doc['area']['code']}), written by `analysis study create` from the\n"
            "# Kemendagri code list (Kepmendagri 300.2.2-2138/2025). The unit catalogue is synthetic: edit it\n"
            "# (units.csv) to the real service units before evaluating real exports.\n" + note)
    (folder / "study.yaml").write_text(head + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=110),
                                       encoding="utf-8")
    with (folder / "units.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, CATALOGUE_COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    load(folder)  # what we wrote must validate
    return folder


@click.group()
def study() -> None:
    """Study areas: create one from the Kemendagri code list."""


@study.command()
@click.option("--catalogue", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True,
              help="Kemendagri code list (kode,nama CSV), e.g. ../shared/data/wilayah/kode_wilayah.csv.")
@click.option("--area", required=True, help="Kemendagri code of a kota/kabupaten (16.71) or kecamatan (16.71.14); "
              "with --population also a province (16) or ID for all of Indonesia.")
@click.option("--population", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Population per kabupaten/kota (kode,...,total CSV, e.g. ../shared/data/wilayah/penduduk.csv): "
                   "unit sizes scaled by population (analysis/study_sizes.yaml); needed for a province or ID.")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Study folder to write (default: studies/<area name>).")
@click.option("--template", default=None, help="Study whose services, diseases and courses are copied "
                                               "(default: the default study).")
def create(catalogue: Path, area: str, population: Path | None, out: Path | None, template: str | None) -> None:
    """Write a study folder (study.yaml + synthetic unit catalogue) for AREA from the code list."""
    from analysis.study import DEFAULT, load

    area, note = area.strip(), ""
    if population is not None and area.count(".") < 2:
        from analysis import study_large as L

        doc, rows = L.build_large(_read_codes(catalogue), L.read_population(population), area, load(template or DEFAULT))
        note = L.header(doc, rows)
    elif area.count(".") == 0:
        raise click.ClickException(f"area {area!r}: a province or all of Indonesia needs --population "
                                   "(unit sizes are scaled by kabupaten/kota population)")
    else:
        doc, rows = build(_read_codes(catalogue), area, load(template or DEFAULT))
    folder = write(doc, rows, out or Path("studies") / doc["name"], note)
    n_kec = len(doc["kecamatan"]) or 1
    click.echo(f"wrote {folder}: {doc['area']['name']} ({area}), {n_kec} kecamatan, {len(doc['areas'])} "
               f"kelurahan/desa, {len(rows)} units")
