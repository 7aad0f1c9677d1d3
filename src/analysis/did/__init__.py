"""Staggered-adoption difference-in-differences estimators (see results.DiDResult)."""

from analysis.did.results import TIDY_COLUMNS, DiDResult

__all__ = ["DiDResult", "TIDY_COLUMNS"]
from analysis.did.attgt import ATTgtResult, att_gt
from analysis.did.aggte import AggteResult, aggte
from analysis.did._checks import NotEstimableError

__all__ += ["att_gt", "aggte", "ATTgtResult", "AggteResult", "NotEstimableError"]
# comparators, few-cluster inference, sensitivity, non-linear outcomes, simulator
from analysis.did.twfe import twfe
from analysis.did.bacon import BaconResult, bacon_decomposition
from analysis.did.sunab import sun_abraham
from analysis.did.imputation import imputation
from analysis.did.inference import (
    choose_inference, cs_multiplier_bootstrap, multiplier_bootstrap, randomization_inference, wild_cluster_bootstrap,
)
from analysis.did.honest import HonestResult, event_study_inputs, honest_bounds
from analysis.did.nonlinear import ordered_did, poisson_did
from analysis.did.simulate import SimulatedPanel, simulate_staggered_panel

__all__ += [
    "twfe", "bacon_decomposition", "BaconResult", "sun_abraham", "imputation", "choose_inference",
    "wild_cluster_bootstrap", "randomization_inference", "multiplier_bootstrap", "cs_multiplier_bootstrap",
    "honest_bounds", "event_study_inputs", "HonestResult", "poisson_did", "ordered_did",
    "simulate_staggered_panel", "SimulatedPanel",
]
# one or a few treated units adopting at once: synthetic DiD / synthetic control (R synthdid)
from analysis.did.synthdid import SynthDiDResult, synth_did

__all__ += ["synth_did", "SynthDiDResult"]
