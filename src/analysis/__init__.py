"""Evaluation toolkit for performance-based ASN management in Plaju, Kota Palembang."""

__version__ = "0.1.0"
