"""What cleaning accepts: file patterns, header aliases and label aliases per table.

The spellings are data: the export profiles in ``profiles/`` (:mod:`analysis.clean.profile`),
extended by a ``mapping.yaml`` beside the raw files. Headers and labels are matched after
:func:`analysis.clean.parse.norm`-style normalisation, so ``Jenis Kelamin``, ``jenis_kelamin`` and
``JENIS KELAMIN`` are one header. Study vocabularies (services, courses, ...) come from the study;
profile spellings are matched only to values the study lists.
"""

from __future__ import annotations

import re

from analysis import names
from analysis.clean.profile import STUDY_VOCABULARIES, Profile, shipped
from analysis.schemas import CHANNELS, EDUCATION, GOLONGAN_PNS, GOLONGAN_PPPK, OCCUPATION, PREDIKAT, RATINGS
from analysis.schemas import SEX as SEX_VALUES


def key(s: str) -> str:
    return re.sub(r"[^0-9a-z]+", " ", str(s).lower()).strip()


#: Why a file under the raw folder is not read: kind (the i18n key the brief words it by) -> the note
#: ``data_quality`` records, a template filled by :func:`analysis.clean.run.discover`.
IGNORED_NOTES = {
    "ignored_temporary": "temporary or hidden file (e.g. an Excel lock file)",
    "ignored_unknown_name": "name matches no known export (see README: Data)",
    "ignored_unreadable": "looks like a '{table}' export but '{suffix}' is not a readable type ({readable})",
}


def ignored_kind(note: str) -> str:
    """The kind of an ignored file's note (``ignored_other`` for a note these templates did not write)."""
    for kind, template in IGNORED_NOTES.items():
        pattern = ".*".join(re.escape(part) for part in re.split(r"\{\w+\}", template))
        if re.fullmatch(pattern, str(note), flags=re.S):
            return kind
    return "ignored_other"


_P = shipped()
#: (glob relative to raw_dir, table), matched case-insensitively; the extension must be a READABLE_SUFFIX.
FILE_PATTERNS: list[tuple[str, str]] = _P.file_patterns
#: Order matters: names and NIPs are resolved against units and the roster.
TABLE_ORDER = ["units", "adoption", "asn", "skp", "training", "tickets", "skm", "service_volume", "health", "schools"]
READABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm", ".xls")
GZIP_TEXT = (".csv", ".txt")  # bulk exports come as x.csv.gz; a gzipped workbook is not read
#: field -> accepted header spellings; fields in OPTIONAL may be absent
HEADERS: dict[str, dict[str, tuple[str, ...]]] = _P.headers
OPTIONAL: dict[str, set[str]] = {t: o for t, o in _P.optional.items() if o}
assert set(HEADERS) == set(TABLE_ORDER), "every canonical table needs a profile"

#: Labels of vocabularies fixed by regulation or the canonical schemas: normalised spelling -> canonical.
CHANNEL = _P.aliases("channel", CHANNELS)
SEX = _P.aliases("sex", SEX_VALUES)
EDUCATION_A = _P.aliases("education", EDUCATION)
OCCUPATION_A = _P.aliases("occupation", OCCUPATION)
RATING = _P.aliases("rating", RATINGS)
PREDIKAT_A = _P.aliases("predikat", PREDIKAT)
TEST_SERVICES = _P.test_services
GOLONGAN = {key(g): g for g in GOLONGAN_PNS + GOLONGAN_PPPK} | {key(g.replace("/", "")): g for g in GOLONGAN_PNS}
FIXED = {"channel": CHANNELS, "sex": SEX_VALUES, "education": EDUCATION, "occupation": OCCUPATION,
         "rating": RATINGS, "predikat": PREDIKAT}


def vocabularies(study) -> dict[str, tuple[str, ...]]:
    """Every vocabulary a label can belong to, with its canonical values (the study's and the fixed ones).

    ``unit``: unit names in exports, mapped to the unit ids of the study's catalogue (matched by
    :func:`unit_key`, like the names of the master list).
    """
    return {**{v: tuple(study.vocabulary(v)) for v in STUDY_VOCABULARIES}, **FIXED, "test_service": (),
            "unit": tuple(study.units["unit_id"])}


def label_aliases(study, profile: Profile | None = None) -> dict[str, dict[str, str]]:
    """``{vocabulary: {normalised label: canonical}}`` for every vocabulary but kelurahan (matched by name)."""
    prof = profile or _P
    courses = {c: (t,) for c, t in study.courses.items()}  # a course's title in the study is one of its labels
    out = {v: prof.aliases(v, vals) for v, vals in vocabularies(study).items()
           if v not in ("kelurahan", "test_service", "unit")}
    out["course"] |= {key(t): c for c, ts in courses.items() for t in ts}
    return out


def study_aliases(study) -> dict[str, dict[str, str]]:
    """Label aliases of the study's vocabularies with the shipped profiles."""
    return label_aliases(study)


def unit_key(name: str, drop: frozenset[str] = frozenset()) -> str:
    """Normalise a unit name so the spellings of one office coincide (``Kel. X`` = ``Kantor Lurah X``).

    ``drop``: further words to ignore, e.g. the study's city (``SD Negeri 1 <city>`` = ``SDN 1``).
    """
    r = names.rules()
    s = key(name)
    for phrase, rep in r.unit_phrases.items():
        s = re.sub(rf"\b{re.escape(phrase)}\b", rep, s)
    toks = [r.unit_words.get(t, t) for t in s.split() if t not in r.unit_ignored_words and t not in drop]
    return " ".join(toks)
