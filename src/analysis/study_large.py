"""Study areas with population-scaled sizes: a province (``--area 16``), all of Indonesia (``--area ID``),
or one kabupaten/kota (``--area 16.72``) when ``--population`` is given.

Same catalogue as :mod:`analysis.study_create` for a city (per kecamatan a kantor camat, a Disdukcapil
service point, a puskesmas and two schools; a kantor lurah or kantor desa per desa/kelurahan), with
three differences that the size of the area asks for:

* Unit ids are built from the Kemendagri code (``KEC160101``, ``KEL1601012001``), so they are unique in
  the whole country and a unit's kabupaten/kota can be read off its id without a lookup.
* Desa names repeat across Indonesia, so a unit's name carries its kecamatan and kabupaten/kota
  (``Kantor Kepala Desa <desa>, Kec. <kecamatan>, <kabupaten/kota>``); a rare remaining clash gets its code.
* Sizes (staff, daily tickets, users a day) come from kabupaten/kota population (``penduduk.csv``, given
  by path and never copied into the repository) by the rule in ``study_sizes.yaml``, so the national
  world totals about 4.3 million ASN. Units are grouped by kabupaten/kota (``grouping: kabkota``).
"""

from __future__ import annotations

import csv
from pathlib import Path

import click
import yaml

SIZES = Path(__file__).with_name("study_sizes.yaml")
SIZE_COLUMNS = ("staff", "daily_tickets", "users_per_day")
NATION = "ID"


def read_population(path: Path) -> dict[str, int]:
    """Population per kabupaten/kota code from ``penduduk.csv`` (``kode,nama,...,total``)."""
    with Path(path).open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if not rows or not {"kode", "total"} <= set(rows[0]):
        raise click.ClickException(f"{path}: expected columns 'kode,...,total' (population per kabupaten/kota)")
    out = {}
    for i, r in enumerate(rows, start=2):
        code = r["kode"].strip()
        if code.count(".") == 1:
            try:
                out[code] = int(r["total"])
            except ValueError:
                raise click.ClickException(f"{path}: row {i}, total: {r['total']!r} is not a whole number") from None
    return out


def _sizes(spec: dict, pop_share: float, types: list[str]) -> list[dict[str, int]]:
    """Sizes of one kabupaten/kota's units (types in catalogue order) by the rule of ``study_sizes.yaml``."""
    out = [{} for _ in types]
    for col in SIZE_COLUMNS:
        w = [spec["weights"][t][col] for t in types]
        total = sum(w)
        budget = spec["national"][col] * pop_share
        for i, wi in enumerate(w):
            out[i][col] = max(spec["minimum"][col], round(budget * wi / total)) if total else spec["minimum"][col]
    return out


def _names(area: str, name: str) -> dict:
    if "." in area:
        bare = name.removeprefix("Kota ").removeprefix("Kabupaten ")
        return {"id": {"area": name, "short": name, "title": name},
                "en": {"area": f"{bare} city" if name.startswith("Kota ") else bare, "short": bare, "title": bare}}
    if area == NATION:
        return {"id": {"area": "Indonesia", "short": "Indonesia", "title": "Indonesia"},
                "en": {"area": "Indonesia", "short": "Indonesia", "title": "Indonesia"}}
    return {"id": {"area": f"Provinsi {name}", "short": name, "title": f"Provinsi {name}"},
            "en": {"area": f"{name} province", "short": name, "title": name}}


def _unit_rows(codes: dict[str, str], kab: str, kec_codes: list[str], desa_by_kec: dict[str, list[str]],
               opds: dict[str, str]) -> list[dict]:
    kname = codes[kab]
    rows = []
    for k in kec_codes:
        kel = desa_by_kec.get(k, [])
        if not kel:
            continue
        d = k.replace(".", "")
        kec, office = codes[k], f"Kecamatan {codes[k]}, {kname}"
        rows += [{"unit_id": f"KEC{d}", "unit_name": f"Kantor Camat {kec}, {kname}", "unit_type": "kecamatan",
                  "opd": office, "kelurahan_code": kel[0]},
                 {"unit_id": f"DUK{d}", "unit_name": f"UPTD Disdukcapil Kecamatan {kec}, {kname}",
                  "unit_type": "disdukcapil", "opd": opds["kependudukan"], "kelurahan_code": kel[0]},
                 {"unit_id": f"PKM{d}", "unit_name": f"Puskesmas {kec}, {kname}", "unit_type": "puskesmas",
                  "opd": opds["kesehatan"], "kelurahan_code": kel[len(kel) // 2]}]
        rows += [{"unit_id": f"SCH{d}{j + 1}", "unit_name": f"SD Negeri {j + 1} {kec}, {kname}", "unit_type": "school",
                  "opd": opds["pendidikan"], "kelurahan_code": kel[(j * len(kel)) // 2]} for j in range(2)]
        for c in kel:
            office_name = "Kantor Lurah" if c.rsplit(".", 1)[1].startswith("1") else "Kantor Kepala Desa"
            rows.append({"unit_id": f"KEL{c.replace('.', '')}", "unit_name": f"{office_name} {codes[c]}, Kec. {kec}, {kname}",
                         "unit_type": "kelurahan", "opd": office, "kelurahan_code": c})
    return rows


def _unique_names(rows: list[dict]) -> None:
    """Give the rare unit whose name normalises like another's (as cleaning matches names) its code."""
    from analysis.clean.specs import unit_key

    seen: set[str] = set()
    for r in rows:
        k = unit_key(r["unit_name"])
        if k in seen:
            r["unit_name"] = f"{r['unit_name']} ({r['kelurahan_code']})"
            k = unit_key(r["unit_name"])
        seen.add(k)


def build_large(codes: dict[str, str], population: dict[str, int], area: str, template) -> tuple[dict, list[dict]]:
    """The study document and unit catalogue rows for a province code or ``ID`` (all of Indonesia)."""
    if area != NATION and (area not in codes or area.count(".") > 1):
        raise click.ClickException(f"area {area!r}: not a province or kabupaten/kota code of the catalogue, "
                                   f"nor {NATION} (Indonesia)")
    inside = "" if area == NATION else area + "."
    kabkota = [area] if area.count(".") == 1 else sorted(c for c in codes if c.count(".") == 1 and c.startswith(inside))
    missing = [c for c in kabkota if c not in population]
    if missing:
        raise click.ClickException(f"population file lists no total for kabupaten/kota {missing[:5]} "
                                   f"({len(missing)} in all)")
    national = sum(v for c, v in population.items() if c.count(".") == 1)
    kecamatan = sorted(c for c in codes if c.count(".") == 2 and c.startswith(inside))
    desa = sorted(c for c in codes if c.count(".") == 3 and c.startswith(inside))
    desa_by_kec: dict[str, list[str]] = {}
    for c in desa:
        desa_by_kec.setdefault(c.rsplit(".", 1)[0], []).append(c)
    kec_by_kab: dict[str, list[str]] = {}
    for c in kecamatan:
        kec_by_kab.setdefault(c.rsplit(".", 1)[0], []).append(c)
    fixed_opds = [o for o in template.opds if not o.startswith("Kecamatan ")]
    opds = {w: next((o for o in fixed_opds if w in o.lower()), fixed_opds[0])
            for w in ("kependudukan", "kesehatan", "pendidikan")}
    spec = yaml.safe_load(SIZES.read_text(encoding="utf-8"))
    rows: list[dict] = []
    for kab in kabkota:
        part = _unit_rows(codes, kab, kec_by_kab.get(kab, []), desa_by_kec, opds)
        for r, s in zip(part, _sizes(spec, population[kab] / national, [r["unit_type"] for r in part])):
            r.update(s)
        rows += part
    if not rows:
        raise click.ClickException(f"area {area!r}: the catalogue lists no kelurahan/desa under it")
    _unique_names(rows)
    used_kec = sorted({r["kelurahan_code"].rsplit(".", 1)[0] for r in rows})
    name = "Indonesia" if area == NATION else codes[area]
    level = "nasional" if area == NATION else "provinsi" if "." not in area else \
        "kota" if name.startswith("Kota ") else "kabupaten"
    doc = {
        "name": name.lower().removeprefix("kota ").removeprefix("kabupaten ").replace(" ", "_"),
        "area": {"code": area, "level": level, "name": name, "parent": codes[area.split(".")[0]] if "." in area else ""},
        "names": _names(area, name),
        "grouping": "kecamatan" if "." in area else "kabkota",
        "window": {"start": template.window.start, "end": template.window.end},
        "areas": [{"code": c, "name": codes[c]} for c in desa],
        "kecamatan": [{"code": c, "name": codes[c]} for c in used_kec],
        "kabkota": [{"code": c, "name": codes[c]} for c in kabkota] if "." not in area else [],
        "catalogue": "units.csv",
        "opds": fixed_opds + sorted({r["opd"] for r in rows if r["unit_type"] == "kecamatan"}),
        "unit_types": list(template.unit_types),
        "services": {s: {"priority": v.priority} for s, v in template.services.items()},
        "skm_services": list(template.skm_services),
        "diseases": list(template.diseases),
        "courses": dict(template.courses),
    }
    return doc, rows


def header(doc: dict, rows: list[dict]) -> str:
    """Comment lines at the top of study.yaml: where the data come from and the size rule with its totals."""
    tot = {c: sum(int(r[c]) for r in rows) for c in SIZE_COLUMNS}
    return (f"# Unit sizes: population-scaled by the rule in analysis/study_sizes.yaml (each kabupaten/kota gets its\n"
            f"# share of the national totals by population, split over its units by unit-type weight). Totals here:\n"
            f"# {tot['staff']:,} ASN, {tot['daily_tickets']:,} daily tickets (reported volume; the generator writes\n"
            f"# scale x 10% of it), {tot['users_per_day']:,} service users a day, {len(rows):,} units.\n")
