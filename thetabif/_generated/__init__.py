"""Generated code of the standard models (``make generated``; do not edit).

See :mod:`thetabif.generate`.
"""

SYMPY_VERSION = "1.14.0"
