"""The model layer: every model of the package, defined once, symbolically.

* :mod:`~thetabif.models.parameters`: a parameter's name, default and allowed range;
* :mod:`~thetabif.models.equations`: the equations of a theta population, its
  synapses and adaptation, which every model is assembled from;
* :mod:`~thetabif.models.theta`: :class:`ThetaModel`, the single population;
* :mod:`~thetabif.models.circuit`: :class:`Circuit`, named populations and edges;
* :mod:`~thetabif.models.circuit_file`: circuits from TOML files, and the shipped ones.

A model (``ThetaModel`` or ``Circuit``) has ``name``, ``description``,
``state_names``, ``parameters``, ``parameter_names``, ``defaults``,
``validate_params``, ``population_names``, ``population_states``, ``input_names``,
``output_names``, ``record_options``, ``equilibrium_reduction``, ``symbolic`` and
``numeric``; everything above this layer uses only these.
"""

from __future__ import annotations

from typing import Any

from thetabif.errors import InputError
from thetabif.models.circuit import Circuit, Edge, Population
from thetabif.models.equations import (
    COUPLINGS,
    SymbolicForm,
    pulse_coefficients,
)
from thetabif.models.parameters import Parameter
from thetabif.models.theta import SYNAPSES, ThetaModel, model_from_options

#: What every layer above accepts as a model.
Model = ThetaModel | Circuit

__all__ = ["COUPLINGS", "SYNAPSES", "Circuit", "Edge", "Model", "Parameter", "Population",
           "SymbolicForm", "ThetaModel", "model_from_options", "model_from_record",
           "pulse_coefficients"]


def model_from_record(options: dict[str, Any]) -> Model:
    """The model that :meth:`record_options` (``model_options`` of records) describes.

    Raises
    ------
    InputError
        The options describe no model.
    """
    opts = dict(options)
    if "circuit" in opts:
        return Circuit.from_spec(opts["circuit"])
    unknown = sorted(set(opts) - {"n", "synapse", "coupling"})
    if unknown:
        raise InputError(f"model options {', '.join(unknown)} describe no model")
    return ThetaModel(**opts)
