"""The words of briefs and ``analysis compare``: sentence templates and vocabularies, per language.

The words themselves live in the one vocabulary (:mod:`analysis.vocabulary`, ``id.yaml`` and
``en.yaml``); this module gives the brief its view of them and formats templates. Strings are
``str.format`` templates keyed by name; every language holds the same keys (checked when the
vocabulary loads), so a brief never falls back to another language.
"""

from __future__ import annotations

from contextvars import ContextVar

from analysis.vocabulary import LANGUAGES, all_words, by_language, check_language  # noqa: F401 - re-exported

STRINGS: dict[str, dict[str, str]] = by_language("strings")
MONTHS: dict[str, tuple[str, ...]] = by_language("months")
#: Outcome noun phrases (as the subject of a sentence), keyed by yname, and units of their effects.
OUTCOME_LABEL = {lang: {y: w.phrase for y, w in v.outcomes.items()} for lang, v in all_words().items()}
OUTCOME_UNIT = by_language("effect_units")
UNIT_TYPES = by_language("unit_types")
CHANNELS = by_language("channels")
KINERJA = by_language("kinerja")
#: Service names are official Indonesian names; English briefs gloss them.
SERVICES = by_language("services")
ESTIMATORS = by_language("estimators")
INFERENCE = by_language("inference")
#: Run parameters in words (a brief never prints a parameter's code name).
PARAM_NAMES = by_language("params")
PARAM_VALUES = by_language("param_values")
#: Raw data tables (data_quality ``table``) in words.
DATA_TABLES = by_language("data_tables")
#: Result tables in words, for the Sumber angka appendix.
SOURCE_TABLES = by_language("source_tables")
#: A short glossary at the end of every brief: the technical words it still uses, in plain language.
GLOSSARY = by_language("glossary")
CONTROL_GROUPS = by_language("control_groups")
HET_DIMENSIONS = by_language("het_dimensions")
LIST_AND = by_language("list_and")


_STUDY: ContextVar = ContextVar("study", default=None)


def use_study(study) -> None:
    """Name this study's area in the strings that follow (``{area}``, ``{area_short}``, ``{area_title}``)."""
    _STUDY.set(study)


def area_values(language: str) -> dict[str, str]:
    """The study's area names in ``language`` (default study until :func:`use_study`)."""
    from analysis.study import load  # late: the study module reads files, i18n stays import-light

    n = (_STUDY.get() or load()).names[check_language(language)]
    return {"area": n.area, "area_short": n.short, "area_title": n.title}


def t(language: str, key: str, **values) -> str:
    """The string ``key`` in ``language``, formatted with ``values`` (and the study's area names)."""
    text = STRINGS[check_language(language)][key]
    if "{area" in text:
        values = {**area_values(language), **values}
    return text.format(**values)


def vocab(table: dict[str, dict[str, str]], language: str, value: str) -> str:
    """Translate a vocabulary value; values a vocabulary does not list (names) stay as they are."""
    return table[check_language(language)].get(value, value)


def join_list(items: list[str], language: str) -> str:
    """``a, b dan c`` / ``a, b and c``."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + LIST_AND[check_language(language)] + items[-1]
