"""Shipped generated fortran files (see :mod:`thetabif.codegen.pregenerate`)."""
