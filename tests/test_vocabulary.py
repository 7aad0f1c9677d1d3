"""The one vocabulary: each label defined once, every name labelled in every language."""

from __future__ import annotations

import ast
from importlib.resources import files
from pathlib import Path
from typing import Literal, get_args, get_origin

import pytest
import yaml

from analysis import vocabulary
from analysis.config.params import OUTCOMES, RunParams
from analysis.report.sentences import outcome_specs

SRC = Path(vocabulary.__file__).parents[1]


def _text(language: str) -> str:
    return files("analysis.vocabulary").joinpath(f"{language}.yaml").read_text(encoding="utf-8")


def _value_nodes(node, out):
    """Scalar nodes in value position (mapping values, list items); an alias is the node it names."""
    if isinstance(node, yaml.MappingNode):
        for _, value in node.value:
            _value_nodes(value, out)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _value_nodes(item, out)
    elif isinstance(node, yaml.ScalarNode):
        out.setdefault(node.value, set()).add(id(node))


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


@pytest.mark.parametrize("language", vocabulary.LANGUAGES)
def test_no_label_string_is_defined_twice(language):
    nodes: dict[str, set[int]] = {}
    _value_nodes(yaml.compose(_text(language)), nodes)
    twice = sorted(value for value, ids in nodes.items() if len(ids) > 1)
    assert not twice, f"{language}.yaml writes these strings more than once (use an anchor &name and *name): {twice}"


def test_a_key_given_twice_is_refused_with_its_line():
    text = _text("id").replace("list_and: ' dan '", "list_and: ' dan '\nlist_and: ', '", 1)
    with pytest.raises(vocabulary.VocabularyError, match=r"id\.yaml: key 'list_and' is defined twice \(line \d+\)"):
        vocabulary.parse(text, "id.yaml")


def test_no_python_module_holds_a_label():
    """Labels live in the vocabulary files only: no module of the package spells one out."""
    labels = set()
    for words in vocabulary.all_words().values():
        data = words.model_dump()
        codes = {k for section in data.values() if isinstance(section, dict) for k in section}
        labels |= {s for s in _strings(data) if " " in s.strip() and s not in codes}  # codes label themselves
    found = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in labels:
                found.append(f"{path.relative_to(SRC)}:{node.lineno} {node.value!r}")
    assert not found, found


def _literal_values(annotation) -> set[str]:
    if get_origin(annotation) is Literal:
        return {str(a) for a in get_args(annotation)}
    return set().union(*(_literal_values(a) for a in get_args(annotation))) if get_args(annotation) else set()


@pytest.mark.parametrize("language", vocabulary.LANGUAGES)
def test_every_outcome_and_parameter_has_a_label(language):
    words = vocabulary.words(language)
    assert set(OUTCOMES) | set(outcome_specs()) <= set(words.outcomes), "outcome without words"
    assert {s.unit for s in outcome_specs().values()} <= set(words.effect_units)
    assert set(RunParams.model_fields) <= set(words.params), \
        f"parameters without a name in {language}.yaml: {sorted(set(RunParams.model_fields) - set(words.params))}"
    for name, field in RunParams.model_fields.items():
        if name in ("language", "outcomes", "unit_types", "covariates"):  # in words elsewhere (or a name)
            continue
        values = _literal_values(field.annotation)
        missing = sorted(values - set(words.param_values))
        assert not missing, f"{name}: values without words in {language}.yaml: {missing}"
    assert set(vocabulary.LANGUAGES) <= set(words.param_values)


def test_a_language_missing_a_key_is_refused_naming_the_section():
    words = vocabulary.all_words()
    broken = words["en"].model_copy(update={"channels": {"online": "online"}})
    with pytest.raises(vocabulary.VocabularyError, match=r"en\.yaml: section 'channels' differs .*missing \['walk_in'\]"):
        vocabulary._check_same_keys({**words, "en": broken})


def test_an_unknown_section_is_refused():
    with pytest.raises(vocabulary.VocabularyError, match=r"xx\.yaml: .*labelz"):
        vocabulary.parse(_text("en") + "\nlabelz: {}\n", "xx.yaml")


def test_unknown_language_names_the_known_ones():
    with pytest.raises(ValueError, match="language must be one of id, en"):
        vocabulary.words("fr")
