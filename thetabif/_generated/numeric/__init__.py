"""Shipped generated numeric files (see :mod:`thetabif.codegen.pregenerate`)."""
