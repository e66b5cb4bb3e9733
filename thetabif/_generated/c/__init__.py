"""Shipped generated c files (see :mod:`thetabif.codegen.pregenerate`)."""
