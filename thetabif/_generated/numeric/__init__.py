"""Shipped generated numeric files (see :mod:`thetabif.generate`)."""
