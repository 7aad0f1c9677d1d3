"""Execute the brief notebook without a kernel: the same cells, called in this process.

``reports/brief.ipynb`` is a parameters cell, a setup cell and one cell per section, each
``display(Markdown(brief.<section>(<parameter names>)))``. Starting a Jupyter kernel for
each of hundreds of briefs costs more than the brief itself, so a batch
(:mod:`analysis.report.batch`) fills the notebook here instead: it calls each section
function with the parameters the cell names, in the notebook's order, and stores what it
returns as the cell's Markdown output, as papermill would (an ``injected-parameters`` cell
and ``metadata.papermill.parameters`` included). The result is rendered by
:func:`analysis.render.render_brief` like any executed brief, with the same contract checks.

The notebook stays the one list of sections: a cell this module cannot read raises
:class:`NotKernelFree`, and a test checks the output equals papermill's.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

_SECTION_CALL = re.compile(r"^display\(Markdown\(brief\.(\w+)\(([\w\s,]*)\)\)\)$")
#: Cells that only prepare the kernel (imports, the working folder): nothing to do in this process.
_SETUP = ("from IPython.display import", "from analysis.report import brief", "from analysis.runner import",
          "_ = enter_project()")


class NotKernelFree(RuntimeError):
    """The brief notebook has a cell this module cannot execute without a kernel."""


def _is_setup(source: str) -> bool:
    lines = [line.split("#", 1)[0].strip() for line in source.splitlines()]
    return all(not line or line.startswith(_SETUP) for line in lines)


def _parameter_cell(values: dict):
    cell = nbformat.v4.new_code_cell("# Parameters\n" + "\n".join(f"{k} = {v!r}" for k, v in values.items()))
    cell.metadata["tags"] = ["injected-parameters"]
    return cell


def _plan(nb, template: Path, values: dict) -> dict[int, tuple[str, list[str]]]:
    """Cell index -> (section function, parameter names) of every section cell; refuses any other code cell."""
    from analysis.report import brief

    plan = {}
    for index, cell in enumerate(nb.cells):
        source = cell.source.strip()
        if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []) or _is_setup(source):
            continue
        match = _SECTION_CALL.match(source)
        if not match or not callable(getattr(brief, match.group(1), None)):
            raise NotKernelFree(f"{template} cell {index} is not `display(Markdown(brief.<section>(...)))`: "
                                "only a kernel can run it")
        names = [n.strip() for n in match.group(2).split(",") if n.strip()]
        unknown = [n for n in names if n not in values]
        if unknown:
            raise NotKernelFree(f"{template} cell {index} uses {', '.join(unknown)}, which is not a parameter")
        plan[index] = match.group(1), names
    return plan


def execute(template: Path, executed: Path, values: dict) -> Path:
    """Write ``executed``: ``template`` with ``values`` injected and every section's Markdown as its output.

    Every cell is checked before any section runs, so a notebook this module cannot run costs nothing.
    """
    from analysis.report import brief

    nb = nbformat.read(template, as_version=4)
    plan = _plan(nb, template, values)
    cells = []
    for index, cell in enumerate(nb.cells):
        cells.append(cell)
        if cell.cell_type != "code":
            continue
        cell.outputs, cell.execution_count = [], None
        if "parameters" in cell.metadata.get("tags", []):
            cells.append(_parameter_cell(values))
        elif index in plan:
            function, names = plan[index]
            markdown = getattr(brief, function)(*(values[n] for n in names))
            cell.outputs = [nbformat.v4.new_output("display_data", data={
                "text/markdown": markdown, "text/plain": "<IPython.core.display.Markdown object>"})]
    nb.cells = cells
    nb.metadata["papermill"] = {"parameters": dict(values), "input_path": str(template),
                                "output_path": str(executed)}
    executed.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, executed)
    return executed
