"""The family scan for SNIC stretches (thetabif.snic_scan) on two variants.

The n = 2 model with a first-order synapse (Delta 0.2, tau_s 0.2) has one stretch,
ending at the saddle-node-loop point that tests/test_snic.py brackets by plain
simulation (J = -14.16757 +- 1e-4, eta 3.74171); the instant-synapse n = 2 model
(Delta 0.5) has fold curves but no SNIC on them.
"""

from __future__ import annotations

import pytest

from thetabif import ThetaModel
from thetabif.snic_scan import Variant, family, scan_family


@pytest.fixture(scope="module")
def table():
    return scan_family([Variant(ThetaModel(n=2, synapse="first-order"),
                                {"Delta": 0.2, "tau_s": 0.2}),
                        Variant(ThetaModel(n=2), {"Delta": 0.5})])


def test_the_synaptic_variant_has_one_stretch(table):
    row = table.iloc[0]
    assert row.snic_stretches == 1 and row.has_snic
    ((eta, J),) = row.saddle_node_loops
    # the scan bisects to tol = 1e-3 (rounded to 4 digits); the reference is +-1e-4
    assert eta == pytest.approx(3.74171, abs=2e-3)
    assert J == pytest.approx(-14.16757, abs=2e-3)


def test_the_instant_variant_has_folds_but_no_snic(table):
    row = table.iloc[1]
    assert row.fold_branches >= 2 and row.samples >= 16  # the verdict rests on samples
    assert row.snic_stretches == 0 and not row.has_snic and row.saddle_node_loops == []


def test_family_lists_every_variant():
    names = {v.model.name for v in family(deltas=(0.5,))}
    assert len(names) == 16 and {"theta", "theta_n3_cond_syn"} <= names
