"""Shipped generated polish files (see :mod:`thetabif.generate`)."""
