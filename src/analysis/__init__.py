"""Evaluation toolkit for performance-based ASN management in a study area (a kecamatan or a city)."""

__version__ = "0.1.0"
