"""Staggered-adoption difference-in-differences estimators (see results.DiDResult)."""

from analysis.did.results import TIDY_COLUMNS, DiDResult

__all__ = ["DiDResult", "TIDY_COLUMNS"]
from analysis.did.attgt import ATTgtResult, att_gt
from analysis.did.aggte import AggteResult, aggte

__all__ += ["att_gt", "aggte", "ATTgtResult", "AggteResult"]
