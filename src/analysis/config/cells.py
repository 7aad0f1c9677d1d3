"""The parameter names a notebook declares, read without starting papermill.

papermill (with nbclient, jupyter_client and zmq) takes seconds to import; listing or
checking parameters must answer at once, so the ``parameters``-tagged cell is read
here with :mod:`json` and :mod:`ast`. Its lines are the plain ``name: type = value  # help``
assignments papermill itself parses (tests/test_notebooks.py checks both agree).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path


def declared_parameters(notebook: Path) -> list[str]:
    """Names assigned in the notebook's ``parameters`` cell, in order ([] if it has none)."""
    cells = json.loads(Path(notebook).read_text(encoding="utf-8")).get("cells", [])
    for cell in cells:
        if cell.get("cell_type") == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            names = []
            for node in ast.parse(source).body:
                targets = [node.target] if isinstance(node, ast.AnnAssign) else getattr(node, "targets", [])
                names += [t.id for t in targets if isinstance(t, ast.Name)]
            return names
    return []
