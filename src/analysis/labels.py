"""Names, units and axis labels of the outcomes, for figures and result tables.

The words come from the one vocabulary (:mod:`analysis.vocabulary`), so one run's exhibits speak
the brief's language (``RunParams.language``) with the brief's own words.
"""

from __future__ import annotations

from analysis.vocabulary import all_words, words

#: yname: {language: (label, unit)}
OUTCOME_LABELS: dict[str, dict[str, tuple[str, str]]] = {}
for _language, _vocab in all_words().items():
    for _yname, _words in _vocab.outcomes.items():
        OUTCOME_LABELS.setdefault(_yname, {})[_language] = (_words.label, _words.axis_unit)
AXIS = {language: vocab.axes for language, vocab in all_words().items()}


def outcome_label(yname: str, language: str = "id", with_unit: bool = False) -> str:
    label, unit = OUTCOME_LABELS[yname][language]
    return f"{label} ({unit})" if with_unit else label


def outcome_unit(yname: str, language: str = "id") -> str:
    return OUTCOME_LABELS[yname][language][1]


def axis(key: str, language: str = "id") -> str:
    return words(language).axes[key]


def axis_or(key: str, default: str, language: str = "id") -> str:
    """The axis word ``key``, or ``default`` where the vocabulary has none (a value shown as it is)."""
    return words(language).axes.get(key, default)
