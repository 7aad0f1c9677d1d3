"""Cleaning of raw exports into canonical, pseudonymised tables (see :mod:`analysis.clean.run`)."""

from analysis.clean.errors import DataInputError
from analysis.clean.run import CleanReport, clean_raw

__all__ = ["clean_raw", "CleanReport", "DataInputError"]
