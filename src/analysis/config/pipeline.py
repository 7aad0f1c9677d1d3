"""The pipeline's steps, declared once in ``notebooks/pipeline.yaml``: order and dependencies.

The runner executes exactly these notebooks (never "whatever is in the folder"), so a
JupyterLab copy such as ``03_estimate-Copy1.ipynb`` cannot slip into a run. Steps
whose ``needs`` are all met form a stage and run together; the declaration is checked
(unique names, known and earlier dependencies, files that exist) before anything runs.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

PIPELINE_FILE = Path("notebooks") / "pipeline.yaml"


class PipelineError(ValueError):
    """The pipeline declaration is missing or inconsistent."""


class StepSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9_]+$")
    notebook: str = Field(description="Path of the notebook, relative to the project folder")
    does: str = ""
    needs: tuple[str, ...] = ()
    brief: bool = Field(False, description="The brief: executed in report mode and rendered to HTML/PDF")


class Pipeline(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    steps: tuple[StepSpec, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> "Pipeline":
        seen: set[str] = set()
        for step in self.steps:
            if step.name in seen:
                raise ValueError(f"step '{step.name}' is declared twice")
            late = [n for n in step.needs if n not in seen]
            if late:
                raise ValueError(f"step '{step.name}' needs {', '.join(late)}, which is not declared before it")
            seen.add(step.name)
        return self

    def stages(self, chosen: set[str] | None = None) -> list[list[StepSpec]]:
        """Steps grouped by dependency depth, in declaration order (``chosen``: only these names)."""
        depth: dict[str, int] = {}
        for step in self.steps:
            depth[step.name] = 1 + max((depth[n] for n in step.needs), default=-1)
        groups: dict[int, list[StepSpec]] = {}
        for step in self.steps:
            if chosen is None or step.name in chosen:
                groups.setdefault(depth[step.name], []).append(step)
        return [groups[d] for d in sorted(groups)]


def load_pipeline(root: Path) -> Pipeline:
    """Read and check ``notebooks/pipeline.yaml`` of the project at ``root``."""
    path = root / PIPELINE_FILE
    if not path.is_file():
        raise PipelineError(f"no pipeline declared: {path} is missing (it lists the notebooks `analysis run` executes)")
    try:
        pipeline = Pipeline.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    except (ValidationError, yaml.YAMLError) as exc:
        raise PipelineError(f"{path}: {exc}") from None
    missing = [s.notebook for s in pipeline.steps if not (root / s.notebook).is_file()]
    if missing:
        raise PipelineError(f"{path}: declared notebook(s) not found: {', '.join(missing)}")
    return pipeline


def undeclared_notebooks(root: Path, pipeline: Pipeline) -> list[str]:
    """Notebooks in notebooks/ that are not steps (copies, scratch work): the runner ignores them."""
    declared = {str(Path(s.notebook)) for s in pipeline.steps}
    return [str(p.relative_to(root)) for p in sorted((root / "notebooks").glob("*.ipynb"))
            if str(p.relative_to(root)) not in declared]
