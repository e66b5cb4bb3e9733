"""Where in the theta family fold curves carry SNIC stretches: the scan that shows it.

For each variant (pulse sharpness, synapse, coupling, ``Delta``, ``tau_s``) every fold
curve met by equilibrium runs in ``eta`` at several ``J`` is followed in (eta, J)
inside a box (:func:`thetabif.continuation.scan.fold_hopf_curves`), and its
saddle-nodes are sampled and classified by simulation
(:func:`thetabif.snic.snic_stretches`). A variant without a stretch has no SNIC on
any fold curve it met, at the sampled points; the table says how many fold branches
and samples that rests on.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from thetabif.continuation.scan import fold_hopf_curves
from thetabif.errors import ContinuationError
from thetabif.models import ThetaModel
from thetabif.snic import snic_stretches

if TYPE_CHECKING:
    import pandas as pd

#: The box of the scan and the J of its equilibrium runs.
BOX = {"eta": (-20.0, 40.0), "J": (-60.0, 30.0)}
ROWS = (-50.0, -35.0, -25.0, -18.0, -12.0, -8.0, -4.0, 5.0, 15.0, 25.0)


@dataclass(frozen=True)
class Variant:
    """One member of the family and the parameters it is scanned at."""

    model: ThetaModel
    params: Mapping[str, float]

    @property
    def label(self) -> str:
        extra = ", ".join(f"{k}={v:g}" for k, v in self.params.items())
        return f"{self.model.name} ({extra})"


def family(deltas: Sequence[float] = (0.1, 0.5), tau_s: float = 0.2) -> list[Variant]:
    """Every variant: pulses (delta, n = 1, 2, 3) x synapse x coupling x ``Delta``."""
    out = []
    for n, syn, coup, delta in itertools.product((None, 1, 2, 3), ("instant", "first-order"),
                                                 ("current", "conductance"), deltas):
        model = ThetaModel(n=n, synapse=syn, coupling=coup)
        params = {"Delta": delta, **({"tau_s": tau_s} if syn == "first-order" else {})}
        out.append(Variant(model, params))
    return out


def scan_variant(variant: Variant, *, box: Mapping[str, tuple[float, float]] = BOX,
                 rows: Sequence[float] = ROWS, samples: int = 8, tol: float = 1e-3
                 ) -> dict[str, Any]:
    """Fold curves of one variant in the box and their SNIC stretches.

    Returns
    -------
    dict
        ``variant``, ``fold_branches``, ``samples`` (saddle-nodes classified),
        ``snic_stretches`` (count), ``saddle_node_loops`` (their (eta, J)), ``notes``.
    """
    eta_range = box["eta"]
    try:
        followed, notes = fold_hopf_curves(variant.model, {**variant.params, "eta": eta_range[0]},
                                           rows, eta_range, box)
    except ContinuationError as exc:  # pragma: no cover - reported, not raised
        return {"variant": variant.label, "fold_branches": 0, "samples": 0,
                "snic_stretches": 0, "saddle_node_loops": [], "notes": [str(exc)]}
    folds = [f.result for f in followed if f.result.kind == "fold"]
    branches = sum(len(f.branches) for f in folds)
    stretches, loops = 0, []
    for fold in folds:
        usable = [b for b in fold.branches if len(b) >= 2]
        if not usable:
            continue
        try:
            found = snic_stretches(fold, samples=samples, tol=tol)
        except (ContinuationError, ValueError) as exc:
            notes.append(f"classification of a fold curve failed: {exc}")
            continue
        stretches += len(found)
        for s in found:
            for end in (s.start, s.end):
                if end.kind == "saddle-node-loop":
                    loops.append((round(end.params["eta"], 4), round(end.params["J"], 4)))
    return {"variant": variant.label, "fold_branches": branches,
            "samples": samples * branches, "snic_stretches": stretches,
            "saddle_node_loops": sorted(set(loops)), "notes": list(notes)}


def scan_family(variants: Iterable[Variant] | None = None, *, progress: bool = False,
                **options: Any) -> pd.DataFrame:
    """:func:`scan_variant` for each variant (default :func:`family`), as a table."""
    import pandas as pd
    from tqdm import tqdm

    variants = list(family() if variants is None else variants)
    rows = [scan_variant(v, **options) for v in tqdm(variants, disable=not progress,
                                                     desc="SNIC scan")]
    table = pd.DataFrame(rows)
    table["has_snic"] = np.asarray(table["snic_stretches"]) > 0
    return table
