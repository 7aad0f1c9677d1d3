"""Export profiles: what each source system's files, headers and labels look like, as data.

One YAML file per source system ships in ``profiles/`` (SIMPEG, e-Kinerja, SKM, queue, SKDR, school,
training, unit master list). A ``mapping.yaml`` beside the raw files extends them: more file
patterns, header spellings and label spellings, checked first. It is validated; a mistake (an
unknown table, field or vocabulary, a label mapped to a value the vocabulary does not hold) stops
cleaning with the file, the place and the closest known name.

Shape of a profile and of mapping.yaml::

    tables:
      asn:
        files: [kepegawaian/*.csv]            # globs relative to the raw folder
        headers: {nip: [nomor induk pegawai]}  # field -> extra header spellings
    labels:
      service: {KTP-el: [kartu tanda penduduk]}  # vocabulary -> canonical value -> spellings
      kelurahan: {<official name>: [<spelling>]}
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

PROFILE_DIR = Path(__file__).with_name("profiles")
MAPPING_FILE = "mapping.yaml"
#: Vocabularies whose labels a profile or mapping may extend. The study vocabularies' values come from
#: the study; the others are fixed by regulation or by the canonical schemas.
STUDY_VOCABULARIES = ("service", "skm_service", "course", "disease", "unit_type", "opd", "kelurahan")
#: How many spellings of a header or label (the first ones) the synthetic generator writes.
PRINTED = 3
FIXED_VOCABULARIES = ("channel", "sex", "education", "occupation", "rating", "predikat", "test_service")


def key(s: str) -> str:
    return re.sub(r"[^0-9a-z]+", " ", str(s).lower()).strip()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TableSpec(_Strict):
    files: list[str] = Field(default_factory=list)
    headers: dict[str, list[str]] = Field(default_factory=dict)
    optional: list[str] = Field(default_factory=list)


class ProfileFile(_Strict):
    system: str = ""
    tables: dict[str, TableSpec] = Field(default_factory=dict)
    labels: dict[str, dict[str, list[str]] | list[str]] = Field(default_factory=dict)


class MappingError(ValueError):
    """A mapping.yaml (or profile) mistake, naming the file and the place."""


@dataclass
class Profile:
    """The merged profiles (and mapping): what cleaning accepts."""

    file_patterns: list[tuple[str, str]] = field(default_factory=list)  # (glob, table), first match wins
    headers: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    optional: dict[str, set[str]] = field(default_factory=dict)
    labels: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)  # vocabulary -> canon -> spellings
    test_services: set[str] = field(default_factory=set)
    sources: list[str] = field(default_factory=list)

    def add(self, doc: ProfileFile, source: str, *, first: bool = False) -> None:
        patterns = [(g, t) for t, spec in doc.tables.items() for g in spec.files]
        self.file_patterns = patterns + self.file_patterns if first else self.file_patterns + patterns
        for t, spec in doc.tables.items():
            fields = self.headers.setdefault(t, {})
            for f, spellings in spec.headers.items():
                old = fields.get(f, ())
                fields[f] = (*spellings, *old) if first else (*old, *spellings)
            self.optional.setdefault(t, set()).update(spec.optional)
        for voc, entries in doc.labels.items():
            if voc == "test_service":
                self.test_services.update(key(s) for s in entries)
                continue
            d = self.labels.setdefault(voc, {})
            for canon, spellings in entries.items():
                d[canon] = (*d.get(canon, ()), *spellings)
        self.sources.append(source)

    def printed_headers(self, table: str, n: int = PRINTED) -> dict[str, tuple[str, ...]]:
        """``field -> its first n header spellings``: what the synthetic generator writes (usual one first)."""
        out = {f: spellings[:n] for f, spellings in self.headers[table].items()}
        short = [f for f, spellings in out.items() if len(spellings) < n]
        if short:
            raise MappingError(f"profile of '{table}': fields {short} need {n} header spellings for the generator")
        return out

    def printed_labels(self, vocabulary: str, n: int = PRINTED) -> dict[str, tuple[str, ...]]:
        """``canonical value -> its first n spellings`` (values the profile gives no spelling are left out)."""
        return {canon: spellings[:n] for canon, spellings in self.labels.get(vocabulary, {}).items() if spellings}

    def aliases(self, vocabulary: str, values) -> dict[str, str]:
        """``normalised spelling -> canonical`` for ``values`` (spellings of values not listed are dropped)."""
        spell = self.labels.get(vocabulary, {})
        if vocabulary == "skm_service":
            spell = {**self.labels.get("service", {}), **spell}
        return {key(a): v for v in values for a in (v, *spell.get(v, ()))}


def _read(path: Path) -> ProfileFile:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise MappingError(f"{path.name}: not valid YAML ({e})") from None
    try:
        return ProfileFile(**data) if isinstance(data, dict) else ProfileFile(tables=data)
    except (ValidationError, TypeError) as e:
        errs = e.errors() if isinstance(e, ValidationError) else [{"loc": (), "msg": str(e)}]
        lines = [f"  {'.'.join(map(str, err['loc'])) or '(top level)'}: {err['msg']}" for err in errs]
        raise MappingError(f"{path.name}: {len(lines)} mistake(s)\n" + "\n".join(lines)) from None


@lru_cache(maxsize=1)
def shipped() -> Profile:
    """The profiles shipped with the package, merged in file-name order."""
    prof = Profile()
    for path in sorted(PROFILE_DIR.glob("*.yaml")):
        prof.add(_read(path), path.name)
    return prof


def _closest(name: str, known) -> str:
    hit = difflib.get_close_matches(str(name), [str(k) for k in known], n=1, cutoff=0.5)
    return f" (closest: {hit[0]!r})" if hit else ""


def check_mapping(doc: ProfileFile, base: Profile, vocabularies: dict[str, tuple[str, ...]], where: str) -> None:
    """Every table, field, vocabulary and canonical value of a mapping must exist; else name the mistake."""
    problems = []
    for t, spec in doc.tables.items():
        if t not in base.headers:
            problems.append(f"tables.{t}: unknown table{_closest(t, base.headers)}; known: {sorted(base.headers)}")
            continue
        for f in spec.headers:
            if f not in base.headers[t]:
                problems.append(f"tables.{t}.headers.{f}: unknown field of '{t}'{_closest(f, base.headers[t])}; "
                                f"known: {list(base.headers[t])}")
        for f in spec.optional:
            problems.append(f"tables.{t}.optional.{f}: a mapping cannot make a field optional")
    for voc, entries in doc.labels.items():
        if voc not in vocabularies:
            problems.append(f"labels.{voc}: unknown vocabulary{_closest(voc, vocabularies)}; "
                            f"known: {sorted(vocabularies)}")
            continue
        if isinstance(entries, list):
            if voc != "test_service":
                problems.append(f"labels.{voc}: expected canonical value -> list of spellings")
            continue
        for canon, spellings in entries.items():
            if canon not in vocabularies[voc]:
                problems.append(f"labels.{voc}.{canon}: not a value of '{voc}'{_closest(canon, vocabularies[voc])}")
            if not isinstance(spellings, list) or not all(isinstance(s, str) for s in spellings):
                problems.append(f"labels.{voc}.{canon}: expected a list of spellings")
    if problems:
        raise MappingError(f"{where}: {len(problems)} mistake(s)\n  " + "\n  ".join(problems))


def read_mapping(raw_dir: Path) -> ProfileFile | None:
    path = Path(raw_dir) / MAPPING_FILE
    return _read(path) if path.is_file() else None


def for_raw_dir(raw_dir: Path | None, vocabularies: dict[str, tuple[str, ...]] | None = None) -> Profile:
    """The shipped profiles extended by ``raw_dir/mapping.yaml`` (validated), if there is one."""
    base = shipped()
    doc = read_mapping(raw_dir) if raw_dir is not None else None
    if doc is None:
        return base
    check_mapping(doc, base, vocabularies or {}, MAPPING_FILE)
    prof = Profile(list(base.file_patterns), {t: dict(f) for t, f in base.headers.items()},
                   {t: set(o) for t, o in base.optional.items()}, {v: dict(d) for v, d in base.labels.items()},
                   set(base.test_services), list(base.sources))
    prof.add(doc, MAPPING_FILE, first=True)
    return prof
