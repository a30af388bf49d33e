"""Ketenlink: signal sharing for Dutch chain partners fighting human trafficking."""

__version__ = "0.1.0"
