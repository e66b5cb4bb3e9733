"""Shipped generated fortran files (see :mod:`thetabif.generate`)."""
