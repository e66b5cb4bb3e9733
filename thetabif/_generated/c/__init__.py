"""Shipped generated c files (see :mod:`thetabif.generate`)."""
