"""Tiny notebooks for runner tests (a module of its own: conftest names clash across folders)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import yaml


def write_notebook(path: Path, parameters: str, *cells: str) -> Path:
    """A tiny notebook: a `parameters`-tagged cell, then one code cell per string."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    first = nbformat.v4.new_code_cell(parameters)
    first.metadata["tags"] = ["parameters"]
    nb.cells = [first, *(nbformat.v4.new_code_cell(c) for c in cells)]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def declare_pipeline(root: Path, *names: str) -> Path:
    """notebooks/pipeline.yaml with these steps: the first alone, the others after it (together)."""

    steps = [{"name": n, "notebook": f"notebooks/{n}.ipynb", "needs": [] if i == 0 else [names[0]]}
             for i, n in enumerate(names)]
    path = root / "notebooks" / "pipeline.yaml"
    path.write_text(yaml.safe_dump({"steps": steps}, sort_keys=False), encoding="utf-8")
    return path
