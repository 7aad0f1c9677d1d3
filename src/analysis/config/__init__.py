"""Run parameters and the pipeline's steps: declared once, validated before anything runs.

Nothing here imports the estimators, papermill or matplotlib, so the command line can
check parameters and answer ``--help`` at once.
"""

from analysis.config.cells import declared_parameters
from analysis.config.params import (
    LIST_FORMS,
    OUTCOMES,
    RUNNER_PARAMETERS,
    ParameterError,
    RunParams,
    describe_parameters,
    load_params,
    parse_overrides,
)
from analysis.config.pipeline import Pipeline, PipelineError, StepSpec, load_pipeline, undeclared_notebooks

__all__ = ["LIST_FORMS", "OUTCOMES", "RUNNER_PARAMETERS", "ParameterError", "Pipeline", "PipelineError", "RunParams",
           "StepSpec", "declared_parameters", "describe_parameters", "load_params", "load_pipeline", "parse_overrides",
           "undeclared_notebooks"]
