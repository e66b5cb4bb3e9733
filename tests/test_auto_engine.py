"""Tests of the AUTO engine (thetabif.auto) that really compile and run AUTO-07p.

Models with closed-form answers:

* fold normal form    x' = p - x^2,  y' = -2 y      (LP at p = 0, x = 0;
  equilibria x = +-sqrt(p) with eigenvalues -2x and -2)
* Hopf normal form    u' = mu u - v - u r^2,  v' = u + mu v - v r^2
  (HB at mu = 0 with eigenvalues mu +- i; cycles of radius sqrt(mu), period 2 pi,
  nontrivial Floquet multiplier exp(-2 mu * 2 pi))
* cusp normal form    x' = a + b x - x^3  (fold curve a = +-2 (b/3)^(3/2), cusp at 0)

No mocks: every run goes through gfortran and the AUTO-07p core.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import pickle
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from thetabif.auto import (
    AutoNotFoundError,
    CompileError,
    CompilerNotFoundError,
    ContinuationError,
    NameMap,
    RunResult,
    RunStatus,
    compile_equations,
    find_auto,
    find_compiler,
    fortran_float,
    parse_constants,
    parse_fort7,
    parse_fort8,
    parse_fort9,
    reset_cache,
    run_auto,
    type_code,
)
from thetabif.auto.run import allow_runs, cancel_runs

try:
    find_auto()
    find_compiler()
except (AutoNotFoundError, CompilerNotFoundError) as _exc:  # pragma: no cover
    pytest.skip(f"AUTO-07p/gfortran not available: {_exc}", allow_module_level=True)


# ---------------------------------------------------------------------------
# equation files and constants
# ---------------------------------------------------------------------------

_HEADER = """\
SUBROUTINE FUNC(NDIM,U,ICP,PAR,IJAC,F,DFDU,DFDP)
  IMPLICIT NONE
  INTEGER, INTENT(IN) :: NDIM, ICP(*), IJAC
  DOUBLE PRECISION, INTENT(IN) :: U(NDIM), PAR(*)
  DOUBLE PRECISION, INTENT(OUT) :: F(NDIM)
  DOUBLE PRECISION, INTENT(INOUT) :: DFDU(NDIM,NDIM), DFDP(NDIM,*)
"""
_STUBS = """\
SUBROUTINE BCND
END SUBROUTINE BCND
SUBROUTINE ICND
END SUBROUTINE ICND
SUBROUTINE FOPT
END SUBROUTINE FOPT
"""

FOLD_F90 = (
    _HEADER
    + """\
  F(1) = PAR(1) - U(1)**2
  F(2) = -2.0D0*U(2)
END SUBROUTINE FUNC

SUBROUTINE STPNT(NDIM,U,PAR,T)
  IMPLICIT NONE
  INTEGER, INTENT(IN) :: NDIM
  DOUBLE PRECISION, INTENT(INOUT) :: U(NDIM), PAR(*)
  DOUBLE PRECISION, INTENT(IN) :: T
  PAR(1) = 1.0D0
  U(1) = 1.0D0
  U(2) = 0.0D0
END SUBROUTINE STPNT

SUBROUTINE PVLS(NDIM,U,PAR)
  IMPLICIT NONE
  INTEGER, INTENT(IN) :: NDIM
  DOUBLE PRECISION, INTENT(IN) :: U(NDIM)
  DOUBLE PRECISION, INTENT(INOUT) :: PAR(*)
  PAR(2) = U(1)**3
END SUBROUTINE PVLS
"""
    + _STUBS
)

HOPF_F90 = (
    _HEADER
    + """\
  DOUBLE PRECISION :: R2
  R2 = U(1)**2 + U(2)**2
  F(1) = PAR(1)*U(1) - U(2) - U(1)*R2
  F(2) = U(1) + PAR(1)*U(2) - U(2)*R2
END SUBROUTINE FUNC

SUBROUTINE STPNT(NDIM,U,PAR,T)
  IMPLICIT NONE
  INTEGER, INTENT(IN) :: NDIM
  DOUBLE PRECISION, INTENT(INOUT) :: U(NDIM), PAR(*)
  DOUBLE PRECISION, INTENT(IN) :: T
  PAR(1) = -1.0D0
  U(1) = 0.0D0
  U(2) = 0.0D0
END SUBROUTINE STPNT

SUBROUTINE PVLS
END SUBROUTINE PVLS
"""
    + _STUBS
)

CUSP_F90 = (
    _HEADER
    + """\
  F(1) = PAR(1) + PAR(2)*U(1) - U(1)**3
END SUBROUTINE FUNC

SUBROUTINE STPNT(NDIM,U,PAR,T)
  IMPLICIT NONE
  INTEGER, INTENT(IN) :: NDIM
  DOUBLE PRECISION, INTENT(INOUT) :: U(NDIM), PAR(*)
  DOUBLE PRECISION, INTENT(IN) :: T
  ! a = -2, b = 1: the only real root of x^3 - x - 2 = 0
  PAR(1) = -2.0D0
  PAR(2) = 1.0D0
  U(1) = -1.5213797068045676D0
END SUBROUTINE STPNT

SUBROUTINE PVLS
END SUBROUTINE PVLS
"""
    + _STUBS
)

# Keyword-style constants as in the c.* files of AUTO 0.9's demos.
FOLD_C = """\
parnames = {1: 'p', 2: 'cube'}
unames = {1: 'x', 2: 'y'}
NDIM=   2, IPS =   1, IRS =   0, ILP =   1
ICP =  ['p', 'cube']
NTST=  20, NCOL=   4, IAD =   3, ISP =   1, ISW = 1, IPLT= 0, NBC= 0, NINT= 0
NMX=   60, NPR= 100, MXBF=  10, IID =   2, ITMX= 8, ITNW= 5, NWTN= 3, JAC= 0
EPSL= 1e-08, EPSU = 1e-08, EPSS =1e-06
DS  =  -0.05, DSMIN=  0.001, DSMAX=   0.1, IADS=   1
NPAR=  2, THL =  {}, THU =  {}
UZR = {'p': 0.5}
UZSTOP = {'p': 1.0}
"""

HOPF_EQ_C = """\
parnames = {1: 'mu'}
unames = {1: 'u', 2: 'v'}
NDIM=   2, IPS =   1, IRS =   0, ILP =   1
ICP =  ['mu']
NTST=  20, NCOL=   4, IAD =   3, ISP =   1, ISW = 1, IPLT= 0, NBC= 0, NINT= 0
NMX=  100, NPR= 100, MXBF=  10, IID =   2, ITMX= 8, ITNW= 5, NWTN= 3, JAC= 0
EPSL= 1e-08, EPSU = 1e-08, EPSS =1e-06
DS  =  0.05, DSMIN=  0.001, DSMAX=   0.1, IADS=   1
NPAR=  1, THL =  {}, THU =  {}
UZSTOP = {'mu': 0.5}
"""

HOPF_PO_C = """\
parnames = {1: 'mu', 11: 'period'}
unames = {1: 'u', 2: 'v'}
NDIM=   2, IPS =   2, IRS = @LABEL@, ILP =   1
ICP =  ['mu', 'period']
NTST=  20, NCOL=   4, IAD =   3, ISP =   2, ISW = 1, IPLT= 0, NBC= 0, NINT= 0
NMX=  200, NPR= 100, MXBF=  10, IID =   2, ITMX= 8, ITNW= 5, NWTN= 3, JAC= 0
EPSL= 1e-08, EPSU = 1e-08, EPSS =1e-06
DS  =  0.02, DSMIN=  0.001, DSMAX=   0.1, IADS=   1
NPAR=  1, THL =  {11: 0.0}, THU =  {}
UZR = {'mu': 0.25}
UZSTOP = {'mu': 0.5}
"""


def hopf_po_constants(label: int) -> str:
    """Constants for periodic orbits from the HB with the given label (IPS=2)."""
    return HOPF_PO_C.replace("@LABEL@", f"{label:3d}")


# No parnames/unames: AUTO labels the columns PAR(i) / U(i).
CUSP_C = """\
NDIM=   1, IPS =   1, IRS =   {irs}, ILP =   1
ICP =  {icp}
NTST=  20, NCOL=   4, IAD =   3, ISP =   1, ISW = {isw}, IPLT= 0, NBC= 0, NINT= 0
NMX=   80, NPR= 500, MXBF=   0, IID =   2, ITMX= 8, ITNW= 5, NWTN= 3, JAC= 0
EPSL= 1e-08, EPSU = 1e-08, EPSS =1e-06
DS  =  {ds}, DSMIN=  0.001, DSMAX=   0.1, IADS=   1
NPAR=  2, THL =  {{}}, THU =  {{}}
UZSTOP = {{1: 2.0}}
"""


# ---------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory):
    """Build into a private cache so the tests neither use nor fill the user's."""
    mp = pytest.MonkeyPatch()
    mp.setenv("THETABIF_CACHE_DIR", str(tmp_path_factory.mktemp("auto-cache")))
    yield
    mp.undo()


@pytest.fixture(autouse=True)
def _fresh_lookup():
    """Tests change AUTO_DIR/FC; never let a cached lookup leak between tests."""
    reset_cache()
    yield
    reset_cache()


@pytest.fixture(scope="session")
def fold_exe(_private_cache) -> Path:
    return compile_equations(FOLD_F90, "fold")


@pytest.fixture(scope="session")
def hopf_exe(_private_cache) -> Path:
    return compile_equations(HOPF_F90, "hopf")


@pytest.fixture(scope="session")
def cusp_exe(_private_cache) -> Path:
    return compile_equations(CUSP_F90, "cusp")


@pytest.fixture(scope="session")
def fold_run(fold_exe):
    return run_auto(fold_exe, FOLD_C).raise_for_status()


@pytest.fixture(scope="session")
def hopf_runs(hopf_exe):
    eq = run_auto(hopf_exe, HOPF_EQ_C).raise_for_status()
    hb = eq.find("HB")[0]
    po = run_auto(hopf_exe, hopf_po_constants(hb.label), restart=eq.fort8)
    return eq, po.raise_for_status()


# ---------------------------------------------------------------------------
# locating AUTO and gfortran
# ---------------------------------------------------------------------------


def test_locate_default_installation():
    inst = find_auto()
    names = {p.name for p in inst.objects}
    assert {"main.o", "ae.o", "periodic.o"} <= names
    assert all(p.suffix == ".o" for p in inst.objects)  # libauto_c.a is not linked
    comp = find_compiler()
    assert comp.path.is_file() and "Fortran" in comp.version


def test_auto_dir_empty_folder_gives_clear_error(tmp_path, monkeypatch, fold_exe):
    monkeypatch.setenv("AUTO_DIR", str(tmp_path))
    reset_cache()
    with pytest.raises(AutoNotFoundError) as info:
        find_auto()
    msg = str(info.value)
    assert str(tmp_path) in msg and "AUTO_DIR" in msg
    assert "lib" in msg and "apt-get install auto-07p" in msg
    assert isinstance(info.value, RuntimeError)
    # compile_equations goes through the same lookup
    with pytest.raises(AutoNotFoundError):
        compile_equations(FOLD_F90 + "\n! other\n", "fold_other")
    # a folder that does not exist at all
    monkeypatch.setenv("AUTO_DIR", str(tmp_path / "nope"))
    with pytest.raises(AutoNotFoundError, match="not a directory"):
        find_auto()
    # and back to normal once the variable is restored
    monkeypatch.undo()
    reset_cache()
    assert find_auto().objects


def test_missing_compiler_gives_clear_error(monkeypatch):
    monkeypatch.setenv("FC", "/nonexistent/gfortran-99")
    with pytest.raises(CompilerNotFoundError) as info:
        find_compiler()
    msg = str(info.value)
    assert "/nonexistent/gfortran-99" in msg and "apt-get install gfortran" in msg


# ---------------------------------------------------------------------------
# building
# ---------------------------------------------------------------------------


def test_compile_error_carries_gfortran_message():
    bad = FOLD_F90.replace("F(2) = -2.0D0*U(2)", "F(2) = -2.0D0*U(2) +* 3")
    with pytest.raises(CompileError) as info:
        compile_equations(bad, "broken")
    err = info.value
    assert err.stage == "compile"
    assert "Error" in err.stderr and "broken.f90" in err.stderr  # gfortran's own text
    assert err.stderr.strip() in str(err)


def test_link_error_for_missing_subroutine():
    no_pvls = HOPF_F90.replace("SUBROUTINE PVLS\nEND SUBROUTINE PVLS\n", "")
    with pytest.raises(CompileError) as info:
        compile_equations(no_pvls, "no_pvls")
    assert info.value.stage == "link"
    assert "pvls" in info.value.stderr.lower()


def test_compile_is_cached(fold_exe):
    again = compile_equations(FOLD_F90, "fold")
    assert again == fold_exe
    other = compile_equations(FOLD_F90 + "\n! a comment changes the hash\n", "fold")
    assert other != fold_exe and other.is_file()


_BARRIER = None


def _pool(n: int) -> ProcessPoolExecutor:
    """A pool of ``n`` processes whose jobs start together (a shared barrier).

    Each job waits at an ``n``-party barrier before working, so ``n`` jobs are
    guaranteed to run in ``n`` different processes at the same time.  ``fork``
    is used when the test process is single-threaded (fast), else ``spawn``.
    """
    ctx = multiprocessing.get_context("fork" if threading.active_count() == 1 else "spawn")
    return ProcessPoolExecutor(
        n, mp_context=ctx, initializer=_init_worker, initargs=(ctx.Barrier(n),)
    )


def _init_worker(barrier) -> None:
    global _BARRIER
    _BARRIER = barrier


def _build_in_child(source: str) -> tuple[int, str]:
    _BARRIER.wait(timeout=60)
    return os.getpid(), str(compile_equations(source, "race"))


def _run_in_child(exe: str, constants: str) -> tuple[int, RunResult]:
    _BARRIER.wait(timeout=60)
    return os.getpid(), run_auto(exe, constants)


def test_concurrent_builds_of_same_model(tmp_path, monkeypatch):
    monkeypatch.setenv("THETABIF_CACHE_DIR", str(tmp_path / "cache"))
    src = FOLD_F90 + "\n! built by two processes at once\n"
    with _pool(2) as pool:
        pids, paths = zip(*pool.map(_build_in_child, [src, src]), strict=True)
    assert len(set(pids)) == 2
    assert paths[0] == paths[1]
    exe = Path(paths[0])
    assert exe.parent == tmp_path / "cache"
    # no temporary build directories are left behind
    assert [p.name for p in exe.parent.iterdir() if p.name.startswith(".build")] == []
    run_auto(exe, FOLD_C).raise_for_status()


# ---------------------------------------------------------------------------
# fold normal form
# ---------------------------------------------------------------------------


def test_fold_found_where_closed_form_says(fold_run):
    lps = fold_run.find("LP")
    assert len(lps) == 1
    lp = lps[0]
    # AUTO locates the fold by a secant iteration on the fold test function until
    # the arclength step is below EPSS = 1e-6 (relative), so x is off by at most
    # ~1e-6 and p = x^2 by ~1e-12; 1e-8 and 1e-5 leave two decades of margin.
    assert abs(lp.parameters["p"]) < 1e-8
    assert abs(lp.state["x"]) < 1e-5
    # the decoupled variable stays at its equilibrium exactly
    assert lp.state["y"] == 0.0
    assert lp.type_number == 2 and lp.label > 0


def test_fold_branch_follows_closed_form(fold_run):
    (branch,) = fold_run.branches
    p = branch.column("p")
    x = branch.column("x")
    # fort.7 carries 11 significant digits and Newton converges to EPSU = 1e-8
    # relative, so x^2 = p holds to ~1e-8 (absolute, |x| <= 2).
    np.testing.assert_allclose(x**2, p, atol=5e-8)
    # PVLS output column: PAR(2) = x^3, listed in ICP for output only
    np.testing.assert_allclose(branch.column("cube"), x**3, rtol=1e-9, atol=1e-12)
    # UZR at p = 0.5 is hit on both sheets (EPSS-accurate location: 1e-6)
    uz = fold_run.find("UZ")
    xs = sorted(pt.state["x"] for pt in uz if abs(pt.parameters["p"] - 0.5) < 1e-6)
    np.testing.assert_allclose(xs, [-math.sqrt(0.5), math.sqrt(0.5)], atol=1e-6)
    assert branch.points[0].type == "EP" and branch.points[-1].type in ("EP", "UZ")


def test_stability_flips_at_fold(fold_run):
    (branch,) = fold_run.branches
    ilp = next(i for i, pt in enumerate(branch.points) if pt.type == "LP")
    before, after = branch.points[:ilp], branch.points[ilp + 1 :]
    assert before and after
    # upper sheet x > 0: eigenvalues -2x, -2 -> stable; lower sheet x < 0: unstable
    assert all(pt.stable and pt.state["x"] > 0 for pt in before)
    assert all(not pt.stable and pt.state["x"] < 0 for pt in after)


def test_eigenvalues_equal_analytic_ones(fold_run):
    checked = 0
    for pt in fold_run.points:
        assert pt.eigenvalues is not None and pt.multipliers is None
        x = pt.state["x"]
        expected = np.sort_complex(np.array([-2.0 * x, -2.0], complex))
        got = np.sort_complex(pt.eigenvalues)
        # fort.9 prints eigenvalues with 6 significant digits (format ES12.5),
        # i.e. a rounding error of at most 5e-6 relative; 1e-5 rel + 1e-8 abs.
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-8)
        checked += 1
    assert checked == len(fold_run.points) > 10


def test_labelled_solutions_match_diagram(fold_run):
    labelled = [pt for pt in fold_run.points if pt.label > 0]
    assert [s.label for s in fold_run.solutions] == [pt.label for pt in labelled]
    for pt in labelled:
        sol = fold_run.solution(pt.label)
        assert sol.type == pt.type and sol.index == pt.index and sol.branch == pt.branch
        assert sol.t.shape == (1,) and sol.u.shape == (1, 2)  # an equilibrium
        assert sol.state_names == ("x", "y") and sol.free_parameters == (1,)
        assert sol.period is None
        # fort.7 and fort.8 print the same doubles with 11 significant digits
        np.testing.assert_allclose(sol.u[0], [pt.state["x"], pt.state["y"]], rtol=1e-10)
        assert sol.parameters["p"] == pytest.approx(pt.parameters["p"], rel=1e-10, abs=1e-20)
        assert sol.parameters["cube"] == pytest.approx(pt.parameters["cube"], rel=1e-10, abs=1e-20)


def test_caller_names_override_constants(fold_exe):
    res = run_auto(fold_exe, FOLD_C, par_names={1: "eta"}, state_names={2: "w"})
    pt = res.points[0]
    assert set(pt.parameters) == {"eta", "cube"}
    assert set(pt.state) == {"x", "w"}
    assert res.solutions[0].state_names == ("x", "w")


def test_cwd_unchanged_and_no_files_left(tmp_path, monkeypatch, fold_exe):
    monkeypatch.chdir(tmp_path)
    before = os.getcwd()
    res = run_auto(fold_exe, FOLD_C)
    assert res.ok
    assert os.getcwd() == before
    assert list(tmp_path.iterdir()) == []  # no fort.* in the caller's directory


def test_records_pickle_roundtrip(fold_run):
    again = pickle.loads(pickle.dumps(fold_run))
    assert again == fold_run
    assert again.points[5].parameters == fold_run.points[5].parameters


# ---------------------------------------------------------------------------
# concurrency
# ---------------------------------------------------------------------------


def test_four_concurrent_runs_match_serial(fold_exe, hopf_exe, cusp_exe):
    jobs = [
        (str(fold_exe), FOLD_C),
        (str(hopf_exe), HOPF_EQ_C),
        (str(cusp_exe), CUSP_C.format(irs=0, icp="[1]", isw=1, ds=0.05)),
        (str(fold_exe), FOLD_C.replace("DS  =  -0.05", "DS  =  -0.04")),
    ]
    alone = [run_auto(exe, c) for exe, c in jobs]
    with _pool(4) as pool:
        pids, together = zip(*pool.map(_run_in_child, *zip(*jobs, strict=True)), strict=True)
    assert len(set(pids)) == 4  # four processes, running at the same time
    for a, b in zip(alone, together, strict=True):
        assert a.ok and b.ok
        # fort.9 and stdout end with a CPU-time line; everything else is identical
        assert a.fort7 == b.fort7 and a.fort8 == b.fort8
        assert a.branches == b.branches and a.solutions == b.solutions
        assert a.status is b.status and a.message == b.message
        assert a == b  # RunResult equality ignores only the timing lines
    # the four jobs really produced different diagrams
    assert len({r.fort7 for r in together}) == 4


# ---------------------------------------------------------------------------
# failures
# ---------------------------------------------------------------------------


def test_no_convergence_gives_mx_status(fold_exe):
    # Fixed step size (IADS=0) with at most 2 Newton iterations: the first step
    # cannot converge to EPSU=1e-8, and AUTO stops with MX.
    consts = FOLD_C.replace("ITNW= 5", "ITNW= 2").replace("IADS=   1", "IADS=   0")
    res = run_auto(fold_exe, consts)
    assert res.status is RunStatus.NO_CONVERGENCE
    assert res.points[-1].type == "MX"
    assert "No convergence" in res.message  # AUTO's own note from fort.9
    with pytest.raises(ContinuationError) as info:
        res.raise_for_status()
    assert info.value.status is RunStatus.NO_CONVERGENCE
    assert "No convergence" in str(info.value) and "MX" in str(info.value)
    assert info.value.result is res


def test_branch_that_never_leaves_start(fold_exe):
    res = run_auto(fold_exe, FOLD_C.replace("NMX=   60", "NMX=    1"))
    assert res.status is RunStatus.NO_PROGRESS
    assert len(res.branches[0]) == 1
    with pytest.raises(ContinuationError, match="never left its starting point"):
        res.raise_for_status()


def test_auto_input_error_is_reported(fold_exe, fold_run):
    # IRS names a label that is not in the restart file: AUTO prints a message
    # to standard output, exits with 0 and writes no fort.7.
    res = run_auto(fold_exe, FOLD_C.replace("IRS =   0", "IRS =  99"), restart=fold_run.fort8)
    assert res.status is RunStatus.NO_OUTPUT
    assert "Restart label 99 not found" in res.message
    with pytest.raises(ContinuationError, match="Restart label 99 not found"):
        res.raise_for_status()
    res = run_auto(fold_exe, "NOSUCHKEY = 3\n" + FOLD_C)
    assert res.status is RunStatus.NO_OUTPUT
    assert "Unknown AUTO constant NOSUCHKEY" in res.message


def test_runaway_run_is_stopped(fold_exe):
    # With ITNW=1 AUTO 0.9.2 retries the same step forever and writes fort.9 at
    # tens of MB/s; both the output limit and the timeout must stop it.
    consts = FOLD_C.replace("ITNW= 5", "ITNW= 1")
    res = run_auto(fold_exe, consts, max_output_bytes=2**20)
    assert res.status is RunStatus.OUTPUT_LIMIT and res.returncode is None
    assert "Retrying step" in res.message
    res = run_auto(fold_exe, consts, timeout=0.2)
    assert res.status is RunStatus.TIMEOUT
    with pytest.raises(ContinuationError, match="time limit"):
        res.raise_for_status()


# ---------------------------------------------------------------------------
# Hopf normal form: equilibria, HB, periodic orbits
# ---------------------------------------------------------------------------


def test_hopf_found_at_zero(hopf_runs):
    eq, _ = hopf_runs
    (hb,) = eq.find("HB")
    # HB is located by secant iteration on the Hopf test function (the real part
    # mu of the critical pair) to EPSS = 1e-6 relative; 1e-5 is a safe bound.
    assert abs(hb.parameters["mu"]) < 1e-5
    # eigenvalues mu +- i, printed with 6 significant digits
    np.testing.assert_allclose(
        np.sort_complex(hb.eigenvalues),
        [hb.parameters["mu"] - 1j, hb.parameters["mu"] + 1j],
        atol=1e-5,
    )
    # stable (both eigenvalues mu +- i in the left half plane) before, unstable after
    for pt in eq.points:
        if pt.type != "HB":
            assert pt.stable == (pt.parameters["mu"] < 0)
            np.testing.assert_allclose(pt.eigenvalues.real, [pt.parameters["mu"]] * 2, atol=1e-5)


def test_periodic_orbits_from_hopf(hopf_runs):
    _, po = hopf_runs
    (branch,) = po.branches
    assert branch.periodic and branch.points[0].periodic
    (uz,) = [pt for pt in po.find("UZ") if abs(pt.parameters["mu"] - 0.25) < 1e-6]
    assert uz.state_measure == "max"
    sol = po.solution(uz.label)
    assert sol.periodic and sol.ips == 2 and sol.ntst == 20 and sol.ncol == 4
    assert sol.u.shape == (20 * 4 + 1, 2) and sol.t[0] == 0.0 and sol.t[-1] == 1.0
    mu = sol.parameters["mu"]
    # The exact cycle is a circle of radius sqrt(mu) with period 2 pi.  Collocation
    # with NTST=20, NCOL=4 is accurate to ~h^8 ~ 1e-10 here, and Newton stops at
    # EPSL/EPSU = 1e-8 relative, so 1e-6 is a generous bound.
    assert sol.period == pytest.approx(2 * math.pi, rel=1e-6)
    assert uz.parameters["period"] == pytest.approx(2 * math.pi, rel=1e-6)
    radius = np.hypot(sol.state("u"), sol.state("v"))
    np.testing.assert_allclose(radius, math.sqrt(mu), rtol=1e-6)
    # fort.7's "MAX u" is the maximum over mesh points, never above the amplitude
    assert uz.state["u"] <= math.sqrt(mu) * (1 + 1e-6)
    assert uz.state["u"] == pytest.approx(sol.state("u").max(), rel=1e-9)
    # Floquet multipliers: trivial 1 and exp(-2 mu T) = exp(-4 pi mu) (radial
    # linearisation r' = -2 mu r).  Printed with 6 significant digits; AUTO's
    # periodic Schur computation is accurate to ~1e-6 here, hence 1e-4.
    mults = np.sort(np.abs(uz.multipliers))
    np.testing.assert_allclose(mults, [math.exp(-4 * math.pi * mu), 1.0], rtol=1e-4)
    # a supercritical Hopf: every computed cycle is stable
    assert all(pt.stable for pt in branch.points[1:])


# ---------------------------------------------------------------------------
# two-parameter continuation: cusp
# ---------------------------------------------------------------------------


def test_fold_curve_finds_cusp(cusp_exe):
    one = run_auto(cusp_exe, CUSP_C.format(irs=0, icp="[1]", isw=1, ds=0.05)).raise_for_status()
    lps = one.find("LP")
    assert len(lps) == 2
    # folds of a + x - x^3 (b = 1) at a = +-2/(3 sqrt 3); EPSS-accurate location
    np.testing.assert_allclose(
        sorted(p.parameters["PAR(1)"] for p in lps), [-2 / 3**1.5, 2 / 3**1.5], atol=1e-8
    )
    consts = CUSP_C.format(irs=lps[0].label, icp="[1, 2]", isw=2, ds=-0.05)
    two = run_auto(cusp_exe, consts, restart=one.fort8, par_names={1: "a", 2: "b"})
    two.raise_for_status()
    (cp,) = two.find("CP")
    assert cp.type_number == -22
    # the cusp is at a = b = 0; located to EPSS = 1e-6 relative in arclength, and
    # a ~ b^(3/2) along the curve, so 1e-6 bounds both.
    assert abs(cp.parameters["a"]) < 1e-6 and abs(cp.parameters["b"]) < 1e-6
    # on the fold curve F = a + b x - x^3 = 0 and F_x = b - 3 x^2 = 0, so b = 3 x^2
    # and a = -2 x^3; fort.7 has 11 digits and Newton stops at EPSU = 1e-8.
    for pt in two.points:
        a, b, x = pt.parameters["a"], pt.parameters["b"], pt.state["U(1)"]
        assert b >= -1e-8
        assert 3 * x**2 == pytest.approx(b, abs=1e-7)
        assert a == pytest.approx(-2 * x**3, abs=1e-7)
    assert two.solution(cp.label).type == "CP"


# ---------------------------------------------------------------------------
# parsers on hand-written text
# ---------------------------------------------------------------------------


def test_type_codes():
    table = {
        0: "", 1: "BP", 2: "LP", 3: "HB", 4: "RG", -4: "UZ", 5: "LP", 6: "BP",
        7: "PD", 8: "TR", 9: "EP", -9: "MX", -21: "BT", -31: "BT", -22: "CP",
        -32: "GH", -13: "ZH", -23: "ZH", -33: "ZH", -55: "R1", -76: "R2",
        -87: "R3", -88: "R4", 29: "EP", 22: "LP", 39: "EP",
    }  # fmt: skip
    assert {k: type_code(k) for k in table} == table


def test_fortran_numbers():
    assert fortran_float("-0.123456789E+01") == -1.23456789
    assert fortran_float("1.0-100") == 1e-100
    assert fortran_float("-2.5+105") == -2.5e105
    assert fortran_float("1.5D-3") == 1.5e-3
    assert math.isnan(fortran_float("NaN"))


def test_parse_handwritten_fort7_fort8_fort9():
    fort7 = (
        "   0    PT  TY  LAB      PAR(1)            L2-NORM             U(1)        \n"
        "   1    -1   9    1 -1.0000000000E+000  2.0000000000E+000 -2.0000000000E+000\n"
        "   1    -2   0    0 -0.1234567890E+001  1.0-100            1.0000000000-100\n"
        "   1     3   2    2  0.0000000000E+000  0.0000000000E+000  0.0000000000E+000\n"
    )
    fort9 = (
        "   1     3         Eigenvalue  1:   1.00000-100   0.00000E+00\n"
        "   1     3         Eigenvalue  2:  -3.00000E+00   4.00000E+00\n"
        "   1     3 NOTE:No convergence with fixed   step size\n"
    )
    diag = parse_fort9(fort9)
    (br,) = parse_fort7(fort7, NameMap(parameters={1: "eta"}, states={1: "r"}), diag)
    assert [p.index for p in br] == [1, 2, 3]
    assert [p.stable for p in br] == [True, True, False]
    assert [p.type for p in br] == ["EP", "", "LP"]
    assert br[1].parameters == {"eta": -1.23456789}
    assert br[1].l2_norm == 1e-100 and br[1].state == {"r": 1e-100}
    np.testing.assert_array_equal(br[2].eigenvalues, [1e-100, -3 + 4j])
    assert br[0].eigenvalues is None
    assert diag.messages == ("NOTE: No convergence with fixed step size",)

    fort8 = (
        "     1     3     2     2     1     1       1     2       5    1    0    3"
        "    0    1    1    0\n"
        "      0.0000000000E+000  0.0000000000E+000\n"
        "    1\n"
        "      1.0000000000E+000\n"
        "      0.5000000000E+000\n"
        "      0.0000000000E+000  7.0000000000E+000 -1.0000000000-100\n"
    )
    (sol,) = parse_fort8(fort8, NameMap(parameters={2: "b"}))
    assert (sol.branch, sol.index, sol.type, sol.label, sol.ips) == (1, 3, "LP", 2, 1)
    np.testing.assert_array_equal(sol.par, [0.0, 7.0, -1e-100])
    assert dict(sol.parameters) == {"PAR(1)": 0.0, "b": 7.0, "PAR(3)": -1e-100}
    np.testing.assert_array_equal(sol.direction_u, [[0.5]])


def test_parse_keyword_constants():
    c = parse_constants(hopf_po_constants(2) + "# a comment\nSTOP = ['HB1', 'UZ2']\n")
    assert c["parnames"] == {1: "mu", 11: "period"}
    assert c["unames"] == {1: "u", 2: "v"}
    assert c["NDIM"] == 2 and c["IPS"] == 2 and c["IRS"] == 2
    assert c["ICP"] == ["mu", "period"] and c["THL"] == {11: 0.0}
    assert c["UZSTOP"] == {"mu": 0.5} and c["EPSL"] == 1e-8
    assert c["STOP"] == ["HB1", "UZ2"]


def test_cancel_runs_stops_runs_in_other_threads(fold_exe):
    """Ctrl-C reaches only the main thread; the AUTO runs other threads wait on (the two
    directions of a branch) are stopped by cancel_runs: the run ends at once with
    KeyboardInterrupt, and new runs are refused until allow_runs."""
    consts = FOLD_C.replace("ITNW= 5", "ITNW= 1")  # AUTO retries forever (see above)
    outcome: list = []

    def worker() -> None:
        try:
            outcome.append(run_auto(fold_exe, consts, timeout=120, max_output_bytes=2**34))
        except KeyboardInterrupt as exc:
            outcome.append(exc)

    t = threading.Thread(target=worker)
    t.start()
    time.sleep(1.0)
    assert t.is_alive()  # the run goes on by itself
    t0 = time.monotonic()
    cancel_runs()
    try:
        t.join(timeout=30)
        assert not t.is_alive() and time.monotonic() - t0 < 5
        assert isinstance(outcome[0], KeyboardInterrupt)
        with pytest.raises(KeyboardInterrupt):
            run_auto(fold_exe, FOLD_C)
    finally:
        allow_runs()
    assert run_auto(fold_exe, FOLD_C).ok
