"""The version of thetabif (the lowest layer: importable from anywhere, imports nothing)."""

__version__ = "0.1.0"
