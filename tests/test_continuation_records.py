"""The continuation's records: notes with reasons, how points were found, files.

A result saved and loaded again is equal to the one computed, reasons and ways of
locating points included, in both file formats.
"""

from __future__ import annotations

import pickle
import warnings

import pytest

from thetabif import Continuation, ThetaModel
from thetabif.continuation import ContinuationResult, Located, LocatedBy, Note, StopReason


@pytest.fixture(scope="module")
def scanned():
    """eta in [-80, 20] at J = 20, Delta = 0.3: AUTO steps over the fold near -10.13
    (the scan adds it) and the branches are cut at 400 points (step_limit notes)."""
    cont = Continuation(ThetaModel(), {"J": 20.0, "Delta": 0.3, "eta": -5.0})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        full = cont.equilibria("eta", -80.0, 20.0)
        short = cont.equilibria("eta", -80.0, 20.0, max_points=400)
    return full, short


def test_notes_carry_their_reason(scanned):
    full, short = scanned
    steps = [m for m in short.messages if m.reason is StopReason.STEP_LIMIT]
    assert steps and all(isinstance(m, Note) and m.startswith("step_limit: ") for m in steps)
    assert [m for m in short.messages if m.startswith("step_limit")] == steps
    added = [m for m in full.messages if m.reason is StopReason.POINT_ADDED]
    assert len(added) == 1 and added[0].startswith("LP at eta = -10.13433951")
    assert all(isinstance(m, Note) for m in full.messages)


def test_points_say_how_they_were_found(scanned):
    full, _ = scanned
    lp1, lp2 = full.point("LP1"), full.point("LP2")
    assert lp1.detected_by is LocatedBy.TURNING_POINT
    assert isinstance(lp1.extra["detected_by"], Located)
    assert lp1.extra["detected_by"] == LocatedBy.TURNING_POINT.template
    assert lp2.detected_by is None and lp2.located_by is None  # AUTO's own label


def test_records_name_their_model(scanned):
    full, _ = scanned
    options = {"n": None, "synapse": "instant", "coupling": "current"}
    assert full.model == "theta" and full.model_options == options
    assert all(r.model == "theta" and r.model_options == options
               for r in (*full.branches, *full.special_points))
    assert ThetaModel(**full.model_options).name == full.model


@pytest.mark.parametrize("suffix", [".json", ".nc"])
def test_saved_and_loaded_result_is_equal(scanned, tmp_path, suffix):
    for res in scanned:
        path = res.save(tmp_path / f"{len(res.messages)}{suffix}")
        with pytest.raises(FileExistsError):
            res.save(path)
        back = ContinuationResult.load(path)
        assert back == res
        assert [m.reason for m in back.messages] == [m.reason for m in res.messages]
        assert [(p.detected_by, p.located_by) for p in back.special_points] == [
            (p.detected_by, p.located_by) for p in res.special_points]
        assert back.to_dict() == res.to_dict() == res.to_json_dict()


def test_files_without_reasons_or_options_load():
    """Records written before reasons and model options were saved: from the prefixes
    and the model's name."""
    d = {"model": "theta_n2_cond_syn", "kind": "equilibria", "free": ["eta"],
         "params": {"eta": 0.0}, "special_points": [], "branches": [],
         "messages": ["step_limit: the branch stopped", "MX at eta = 1"]}
    res = ContinuationResult.from_dict(d)
    assert [m.reason for m in res.messages] == [StopReason.STEP_LIMIT, StopReason.AUTO]
    assert res.model_options == {"n": 2, "synapse": "first-order", "coupling": "conductance"}


def test_enum_texts_round_trip():
    for reason in StopReason:
        note = reason.note("text")
        assert note.reason is reason and StopReason.from_code(reason.code) is reason
        assert pickle.loads(pickle.dumps(note)).reason is reason
        assert Note.parse(note).reason is (reason if reason.prefixed else StopReason.AUTO)
    for by in LocatedBy:
        text = by.text(dsmax=0.0024)
        assert LocatedBy.parse(text).by is by
        assert pickle.loads(pickle.dumps(text)).by is by
    assert LocatedBy.RERUN.text(dsmax=0.0024) == "AUTO, rerun with DSMAX = 0.0024"
    with pytest.raises(ValueError, match="unknown way"):
        LocatedBy.parse("guessed")
