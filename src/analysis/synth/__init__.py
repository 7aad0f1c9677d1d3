"""Seeded synthetic data of a study area: messy raw exports plus the truth they encode.

    from analysis.synth import generate, SynthConfig, MessyConfig
    generate(Path("data/raw"), SynthConfig(seed=1, scale=1.0))
"""

from analysis.synth.config import MessyConfig, SynthConfig
from analysis.synth.generate import GENERATOR_VERSION, MARKER, generate

__all__ = ["generate", "SynthConfig", "MessyConfig", "GENERATOR_VERSION", "MARKER"]
