"""Regenerate the README's pictures of what a planner gets (``make docs-images``).

From a complete run of ``params/main.yaml`` (made here if ``reports/runs/latest`` is not one):
page one of the Indonesian brief's PDF (``pdftoppm``) and the brief's event-study figure of the
headline outcome, and 07_design's schedule comparison, copied to ``docs/``. The default data are seeded, so the pictures change only
when the brief or the estimates do.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGE = DOCS / "brief_page1_id.png"
EVENT = DOCS / "brief_event_study_id.png"
DESIGN = DOCS / "design_mde_id.png"


def main_run() -> Path:
    latest = ROOT / "reports" / "runs" / "latest"
    if latest.exists():
        manifest = json.loads((latest / "manifest.json").read_text(encoding="utf-8"))
        if manifest.get("status") == "complete" and not manifest.get("parameters_changed"):
            return latest.resolve()
    subprocess.run([str(ROOT / ".venv" / "bin" / "analysis"), "run", "--params", "params/main.yaml"], cwd=ROOT,
                   check=True)
    return latest.resolve()


def main() -> int:
    if shutil.which("pdftoppm") is None:
        print("pdftoppm (poppler-utils) is needed for docs images", file=sys.stderr)
        return 1
    run = main_run()
    pdf = run / "brief" / "brief.pdf"
    stem = PAGE.with_suffix("")
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)],
                   check=True)
    headline = json.loads((run / "manifest.json").read_text(encoding="utf-8"))["parameters"]["outcomes"][0]
    shutil.copyfile(run / "brief" / "figures" / f"brief_event_{headline}.png", EVENT)
    shutil.copyfile(run / "figures" / "design_mde.png", DESIGN)  # 07_design: the next rollout's schedules
    print(f"{PAGE.relative_to(ROOT)}, {EVENT.relative_to(ROOT)}, {DESIGN.relative_to(ROOT)} from {run.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
