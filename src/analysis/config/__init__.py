"""Run parameters: declared once, validated before anything runs."""

from analysis.config.params import (
    OUTCOMES,
    ParameterError,
    RunParams,
    load_params,
    parse_overrides,
    describe_parameters,
)

__all__ = ["OUTCOMES", "ParameterError", "RunParams", "load_params", "parse_overrides", "describe_parameters"]
