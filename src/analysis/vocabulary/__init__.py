"""The one vocabulary: every label, unit and sentence the project prints, per language.

``<language>.yaml`` beside this module holds, for one language, the words of figure axes
(:mod:`analysis.labels`), briefs and ``analysis compare`` (:mod:`analysis.report.i18n`), keyed by
the names used in parameters and tables (``yname``, parameter names, table and column values).
Each file is loaded once, checked against :class:`Vocabulary` (no unknown, missing or duplicate
keys) and against the default language (the same keys in every section), so a label is defined in
one place and no language falls back to another.

Within a file a string is written once; a second use is a YAML alias (``*name``), so two labels
that must read the same cannot drift apart.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

#: The default language first (a brief is in Bahasa Indonesia unless told otherwise).
DEFAULT = "id"
_FOLDER = files("analysis.vocabulary")
LANGUAGES: tuple[str, ...] = (DEFAULT, *sorted(p.name[:-5] for p in _FOLDER.iterdir()
                                               if p.name.endswith(".yaml") and p.name != f"{DEFAULT}.yaml"))
#: Sections whose keys may differ by language: service names are Indonesian names that only other
#: languages gloss.
_OPEN_SECTIONS = ("services",)


class VocabularyError(ValueError):
    """A vocabulary file that cannot be used, with the file and the mistake named."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OutcomeWords(_Strict):
    label: str = Field(min_length=1, description="name on figure axes and in tables")
    axis_unit: str = Field(min_length=1, description="unit of the stored value, on figure axes")
    phrase: str = Field(min_length=1, description="the outcome as the subject of a sentence")


class Vocabulary(_Strict):
    """One language's words (the sections of ``<language>.yaml``)."""

    list_and: str
    months: tuple[str, ...] = Field(min_length=12, max_length=12)
    outcomes: dict[str, OutcomeWords]
    effect_units: dict[str, str]
    axes: dict[str, str]
    unit_types: dict[str, str]
    channels: dict[str, str]
    kinerja: dict[str, str]
    services: dict[str, str]
    estimators: dict[str, str]
    inference: dict[str, str]
    control_groups: dict[str, str]
    het_dimensions: dict[str, str]
    params: dict[str, str]
    param_values: dict[str, str]
    data_tables: dict[str, str]
    source_tables: dict[str, str]
    glossary: tuple[tuple[str, str], ...]
    strings: dict[str, str]


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # the C parser where built: 8x faster
    """A safe loader that refuses a key given twice in one mapping (PyYAML keeps the last silently)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise VocabularyError(f"key '{key}' is defined twice (line {key_node.start_mark.line + 1})")
            seen.add(key)
        return super().construct_mapping(node, deep)


def parse(text: str, source: str) -> Vocabulary:
    """Check one vocabulary file's text; errors name ``source`` and the section or line."""
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a safe loader subclass
    except VocabularyError as exc:
        raise VocabularyError(f"{source}: {exc}") from None
    except yaml.YAMLError as exc:
        raise VocabularyError(f"{source}: not valid YAML: {exc}") from None
    try:
        return Vocabulary.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(top)'}: {e['msg']}" for e in exc.errors())
        raise VocabularyError(f"{source}: {problems}") from None


def _check_same_keys(words: dict[str, Vocabulary]) -> None:
    base = words[DEFAULT]
    for language, vocab in words.items():
        for section in Vocabulary.model_fields:
            ours, theirs = getattr(vocab, section), getattr(base, section)
            if section in _OPEN_SECTIONS or not isinstance(ours, dict):
                continue
            if set(ours) != set(theirs):
                missing, extra = sorted(set(theirs) - set(ours)), sorted(set(ours) - set(theirs))
                raise VocabularyError(f"{language}.yaml: section '{section}' differs from {DEFAULT}.yaml: "
                                      f"missing {missing}, not in {DEFAULT}.yaml {extra}")
        if len(vocab.glossary) != len(base.glossary):
            raise VocabularyError(f"{language}.yaml: glossary has {len(vocab.glossary)} entries, "
                                  f"{DEFAULT}.yaml has {len(base.glossary)}")


@cache
def all_words() -> dict[str, Vocabulary]:
    """Every language's vocabulary, loaded and checked once."""
    words = {lang: parse(_FOLDER.joinpath(f"{lang}.yaml").read_text(encoding="utf-8"), f"vocabulary/{lang}.yaml")
             for lang in LANGUAGES}
    _check_same_keys(words)
    return words


def check_language(language: str) -> str:
    """``language`` if a vocabulary speaks it, else an error naming the languages there are."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)} (got {language!r})")
    return language


def words(language: str) -> Vocabulary:
    """One language's vocabulary."""
    return all_words()[check_language(language)]


def by_language(section: str) -> dict:
    """``{language: section}`` for one section (the shape the brief's tables are read in)."""
    return {lang: getattr(vocab, section) for lang, vocab in all_words().items()}
