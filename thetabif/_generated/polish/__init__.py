"""Shipped generated polish files (see :mod:`thetabif.codegen.pregenerate`)."""
