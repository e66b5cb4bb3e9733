"""AUTO-07p export: generated Fortran compiles cleanly, evaluates the model exactly,
starts on an equilibrium; auto_files/ is in sync; the .auto script runs under AUTO's
own command line and finds the closed-form folds of the theta model."""

from __future__ import annotations

import filecmp
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from thetabif import cli
from thetabif.auto.constants import npar as thetabif_npar
from thetabif.auto.constants import state_indices
from thetabif.codegen.fortran import MAX_LINE, output_indices
from thetabif.export import export_filenames, export_model, export_standard, standard_models
from thetabif.models import ThetaModel

REPO = Path(__file__).resolve().parents[1]
AUTO_DIR = Path(os.environ.get("AUTO_DIR", "/usr/lib/auto-07p"))
GFORTRAN = shutil.which("gfortran")
DEBIAN_PYTHON = "/usr/bin/python3"

needs_gfortran = pytest.mark.skipif(GFORTRAN is None, reason="gfortran not installed "
                                    "(apt-get install gfortran; `make test` does it)")

#: Models checked through the harness: the standard four plus a large one (n = 5,
#: conductance, synapse) whose long expressions exercise line wrapping.
HARNESS_MODELS = [m for m, _ in standard_models()] + [
    ThetaModel(n=5, synapse="first-order", coupling="conductance")]


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    """The standard export plus the extra harness model, in a fresh folder."""
    out = tmp_path_factory.mktemp("export")
    export_standard(out)
    export_model(HARNESS_MODELS[-1], None, out)
    return out


def _code(text: str) -> str:
    """Fortran text without comments (no '!' occurs inside strings in our files)."""
    return "\n".join(line.split("!", 1)[0] for line in text.splitlines())


def test_auto_files_in_sync(exported):
    standard = [name for m, _ in standard_models() for name in export_filenames(m)]
    stored = sorted(p.name for p in (REPO / "auto_files").iterdir())
    assert stored == sorted(standard), "auto_files/ holds other files than the standard export"
    match, mismatch, errors = filecmp.cmpfiles(REPO / "auto_files", exported, standard,
                                               shallow=False)
    assert not mismatch and not errors, (
        f"auto_files/ out of date ({mismatch + errors}); regenerate with "
        "`thetabif export-standard --out auto_files --force`")


def test_export_is_deterministic(tmp_path):
    model = ThetaModel(n=2)
    a = export_model(model, {"J": -20}, tmp_path / "a")
    b = export_model(model, {"J": -20}, tmp_path / "b")
    for pa, pb in zip(a, b, strict=True):
        assert pa.read_bytes() == pb.read_bytes()


@pytest.mark.parametrize("model", HARNESS_MODELS, ids=lambda m: m.name)
def test_fortran_text_rules(exported, model):
    text = (exported / f"{model.name}.f90").read_text()
    assert max(len(line) for line in text.splitlines()) <= MAX_LINE <= 132
    code = _code(text)
    # every real literal carries a d exponent: no single precision anywhere
    reals = re.findall(r"(?<![\w.])(\d+\.\d*|\.\d+|\d+(?=[eEdD][-+]?\d))([eEdD][-+]?\d+)?", code)
    assert reals, "no real literals found: the regex is broken"
    single = [a + b for a, b in reals if not b.lower().startswith("d")]
    assert not single, f"single-precision literals: {single[:5]}"
    assert not re.search(r"(?<![\w.])\d+\s*/\s*\d+(?![\w.])", code), "integer division"
    assert not re.search(r"\breal\b|\bfloat\b", code, re.IGNORECASE)
    for routine in ("FUNC", "STPNT", "BCND", "ICND", "FOPT", "PVLS"):
        body = code.split(f"SUBROUTINE {routine}(", 1)[1].split(f"END SUBROUTINE {routine}")[0]
        assert "IMPLICIT NONE" in body
    # PAR(10)-PAR(14) never written
    assert not re.search(r"PAR\(1[0-4]\)\s*=", code)
    # constants name parameters and measures
    consts = (exported / f"c.{model.name}.eq_eta").read_text()
    for i, name in enumerate(model.parameter_names, start=1):
        assert f"{i}: '{name}'" in consts
    assert "41: 'r'" in consts and "42: 'v'" in consts
    assert "JAC=1" in consts


@needs_gfortran
@pytest.mark.parametrize("model", HARNESS_MODELS, ids=lambda m: m.name)
def test_compiles_without_warnings_of_substance(exported, model, tmp_path):
    src = exported / f"{model.name}.f90"
    proc = subprocess.run(
        [GFORTRAN, "-Wall", "-Wextra", "-pedantic", "-fimplicit-none", "-std=f2008",
         "-c", str(src), "-o", str(tmp_path / "m.o")],
        capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    warnings = [ln for ln in proc.stderr.splitlines() if "Warning:" in ln]
    # Unused dummies are dictated by AUTO's interface (ICP in FUNC, T in STPNT, stubs).
    allowed = re.compile(r"Unused dummy argument|declared INTENT\(OUT\) but was not set")
    substantive = [w for w in warnings if not allowed.search(w)]
    assert not substantive, "\n".join(substantive)


_HARNESS = """\
PROGRAM harness
  IMPLICIT NONE
  INTEGER, PARAMETER :: NDIM = {ndim}, NPAR = {npar}, NOUT = {nout}, NTOT = {ntot}
  INTEGER, PARAMETER :: FIRST = {first}, LAST = {last}
  INTEGER :: ICP(1), npts, k
  DOUBLE PRECISION :: U(NDIM), PAR(NTOT), F(NDIM), DFDU(NDIM,NDIM), DFDP(NDIM,NTOT)
  ICP(1) = 1
  PAR = 0.0d0
  U = 0.0d0
  CALL STPNT(NDIM, U, PAR, 0.0d0)
  CALL FUNC(NDIM, U, ICP, PAR, 0, F, DFDU, DFDP)
  WRITE(*,'(*(ES26.17))') U, PAR(1:NPAR), F
  OPEN(10, FILE='points.txt', STATUS='OLD')
  READ(10,*) npts
  DO k = 1, npts
    PAR = 0.0d0
    DFDU = -999.0d0
    DFDP = -999.0d0
    READ(10,*) U, PAR(1:NPAR)
    CALL FUNC(NDIM, U, ICP, PAR, 1, F, DFDU, DFDP)
    IF (ANY(DFDP /= -999.0d0)) STOP 'DFDP written with IJAC=1'
    CALL FUNC(NDIM, U, ICP, PAR, 2, F, DFDU, DFDP)
    CALL PVLS(NDIM, U, PAR)
    WRITE(*,'(*(ES26.17))') F, DFDU, DFDP(:,1:NPAR), PAR(41:40+NOUT), PAR(FIRST:LAST)
  END DO
END PROGRAM harness

DOUBLE PRECISION FUNCTION GETP(CODE, IC, UPS)
  ! AUTO's GETP at an equilibrium (IPS = 1): MAX and MIN of state IC are UPS(IC)
  IMPLICIT NONE
  CHARACTER(LEN=3), INTENT(IN) :: CODE
  INTEGER, INTENT(IN) :: IC
  DOUBLE PRECISION, INTENT(IN) :: UPS(*)
  IF (CODE /= 'MAX' .AND. CODE /= 'MIN') STOP 'GETP asked for another measure'
  GETP = UPS(IC)
END FUNCTION GETP
"""


def _random_points(model: ThetaModel, rng: np.random.Generator, npts: int):
    ranges = {"eta": (-10, 10), "J": (-20, 20), "Delta": (0.5, 2), "tau": (0.5, 2),
              "I_ext": (-2, 2), "tau_s": (0.5, 3), "v_s": (-20, 5)}
    points = []
    for _ in range(npts):
        rad, ang = 0.9 * np.sqrt(rng.uniform()), rng.uniform(-np.pi, np.pi)
        u = [rad * np.cos(ang), rad * np.sin(ang)]
        if model.synapse == "first-order":
            u.append(rng.uniform(-5, 5))
        p = [rng.uniform(*ranges[k]) for k in model.parameter_names]
        points.append((np.array(u), np.array(p)))
    return points


def _close(actual, expected, what):
    actual, expected = np.asarray(actual), np.asarray(expected)
    scale = max(1.0, float(np.max(np.abs(expected))))
    err = float(np.max(np.abs(actual - expected))) / scale
    assert err <= 1e-12, f"{what}: relative error {err:.2e}"


@needs_gfortran
@pytest.mark.parametrize("model", HARNESS_MODELS, ids=lambda m: m.name)
def test_fortran_matches_numpy(exported, model, tmp_path):
    """FUNC, DFDU, DFDP and PVLS through a compiled harness equal model.numeric."""
    ndim, npar = len(model.state_names), len(model.parameter_names)
    outs = output_indices(model)
    ext = state_indices(model.parameter_names, model.state_names)
    (tmp_path / "harness.f90").write_text(_HARNESS.format(
        ndim=ndim, npar=npar, nout=len(outs), first=min(ext.values()), last=max(ext.values()),
        ntot=thetabif_npar(model.parameter_names, model.state_names)))
    shutil.copy(exported / f"{model.name}.f90", tmp_path / "model.f90")
    subprocess.run([GFORTRAN, "-O0", "-ffree-line-length-132", "model.f90", "harness.f90",
                    "-o", "harness"], cwd=tmp_path, check=True, capture_output=True)
    points = _random_points(model, np.random.default_rng(12345), 25)
    with open(tmp_path / "points.txt", "w") as fh:
        fh.write(f"{len(points)}\n")
        for u, p in points:
            fh.write(" ".join(repr(float(v)) for v in (*u, *p)) + "\n")
    proc = subprocess.run(["./harness"], cwd=tmp_path, capture_output=True, text=True,
                          check=True)
    rows = [np.array(line.split(), dtype=float) for line in proc.stdout.splitlines()]
    num = model.numeric

    # STPNT: the default (or standard) parameters and an equilibrium there
    start = rows[0]
    u0, p0, f0 = start[:ndim], start[ndim:ndim + npar], start[ndim + npar:]
    std = dict(standard_models()).get(model, {})
    expected_p = num.parameter_vector(model.validate_params(std))
    np.testing.assert_array_equal(p0, expected_p)
    assert np.max(np.abs(f0)) < 1e-12, f"STPNT is no equilibrium: |F| = {np.max(np.abs(f0))}"
    assert np.max(np.abs(num.rhs(u0, p0))) < 1e-12
    assert u0[0] ** 2 + u0[1] ** 2 < 1

    for (u, p), row in zip(points, rows[1:], strict=True):
        k = 0
        f = row[k:k + ndim]
        k += ndim
        dfdu = row[k:k + ndim * ndim].reshape((ndim, ndim), order="F")
        k += ndim * ndim
        dfdp = row[k:k + ndim * npar].reshape((ndim, npar), order="F")
        k += ndim * npar
        measures = row[k:k + len(outs)]
        k += len(outs)
        # the states' max and min PARs (in index order): at an equilibrium, the state
        extremes = dict(zip(sorted(ext.values()), row[k:], strict=True))
        for (name, _what), idx in ext.items():
            assert extremes[idx] == u[model.state_names.index(name)], (name, idx)
        _close(f, num.rhs(u, p), "F")
        _close(dfdu, num.jacobian(u, p), "DFDU")
        _close(dfdp, num.parameter_jacobian(u, p), "DFDP")
        for (name, _idx), value in zip(outs.items(), measures, strict=True):
            _close(value, num.output(name, u, p), f"PVLS {name}")


def _cli_main(argv):
    return cli.main(argv)


def test_cli_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["export", "--n", "2", "--set", "J=-20", "--out", str(out)]
    assert _cli_main(argv) == 0
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted(export_filenames(ThetaModel(n=2)))
    first = (out / "theta_n2.f90").read_bytes()
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        _cli_main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "theta_n2.f90" in err and "--force" in err
    assert _cli_main([*argv, "--force"]) == 0
    assert (out / "theta_n2.f90").read_bytes() == first


def test_export_checks_all_targets_before_writing(tmp_path):
    model = ThetaModel()
    (tmp_path / "c.theta.fold").write_text("mine\n")
    with pytest.raises(FileExistsError, match="c.theta.fold"):
        export_model(model, None, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.theta.fold"]
    assert (tmp_path / "c.theta.fold").read_text() == "mine\n"
    with pytest.raises(ValueError, match="Delta"):
        export_model(model, {"Delta": -1}, tmp_path / "x")


# ------------------------------------------------------------- AUTO's own CLI
def _auto_cli_problem() -> str | None:
    if GFORTRAN is None:
        return "gfortran not installed"
    if not (AUTO_DIR / "lib").is_dir() or not (AUTO_DIR / "python" / "auto").is_dir():
        return f"AUTO-07p not found at {AUTO_DIR} (apt-get install auto-07p)"
    probe = subprocess.run([DEBIAN_PYTHON, "-c", "import numpy"], capture_output=True,
                           check=False)
    if probe.returncode != 0:
        return f"{DEBIAN_PYTHON} has no numpy (apt-get install python3-numpy)"
    return None


def _read_b(path: Path) -> list[tuple[int, int, np.ndarray]]:
    """(branch, point type, values) of every row of an AUTO b. file."""
    rows = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) < 5 or parts[0] == "0":
            continue
        try:
            br, ty = int(parts[0]), int(parts[2])
            vals = np.array([float(v.replace("D", "E")) for v in parts[4:]])
        except ValueError:
            continue
        rows.append((br, ty, vals))
    return rows


def test_auto_script_under_auto_cli(tmp_path):
    """`auto theta.auto` (AUTO's own CLI) finds the closed-form folds of theta."""
    problem = _auto_cli_problem()
    if problem:
        pytest.skip(problem)
    for name in export_filenames(ThetaModel()):
        shutil.copy(REPO / "auto_files" / name, tmp_path / name)
    env = dict(os.environ, AUTO_DIR=str(AUTO_DIR))
    proc = subprocess.run(
        [DEBIAN_PYTHON, str(AUTO_DIR / "python" / "auto" / "interactiveBindings.py"),
         "theta.auto"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
        check=False)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "Traceback" not in log, log[-3000:]
    for stem in ("theta_eq", "theta_fold"):
        for kind in "bsd":
            assert (tmp_path / f"{kind}.{stem}").is_file(), f"{kind}.{stem} missing\n{log[-2000:]}"
    assert not list(tmp_path.glob("fort.*")), "the script should clean up fort.* files"

    # Equilibria: columns eta, L2-norm, x, y, r, v. LP type code 2.
    J, Delta = 15.0, 1.0
    pi = np.pi
    lp = [vals for _, ty, vals in _read_b(tmp_path / "b.theta_eq") if ty == 2]
    r_fold = np.sort([r.real for r in np.roots([4 * pi**4, -2 * pi**2 * J, 0, 0, Delta**2])
                      if abs(r.imag) < 1e-12 and r.real > 0])
    eta_fold = pi**2 * r_fold**2 - J * r_fold - Delta**2 / (4 * pi**2 * r_fold**2)
    assert len(lp) == 2, f"expected two folds, AUTO found {len(lp)}"
    lp_eta = np.sort([v[0] for v in lp])
    np.testing.assert_allclose(lp_eta, np.sort(eta_fold), rtol=0, atol=1e-9)
    lp_r = np.sort([v[4] for v in lp])
    # eta is quadratic in r at a fold: an eta exact to 1e-12 leaves r uncertain by ~1e-6
    np.testing.assert_allclose(lp_r, r_fold, rtol=1e-6)

    # Fold curve: columns eta, L2-norm, x, y, J, r, v. At each printed J, eta is one of
    # the closed-form fold values (AUTO prints 11 significant digits).
    fold = [vals for _, _, vals in _read_b(tmp_path / "b.theta_fold")]
    assert len(fold) > 50
    for vals in fold:
        eta, j, r = vals[0], vals[4], vals[5]
        roots = np.roots([4 * pi**4, -2 * pi**2 * j, 0, 0, Delta**2])
        rs = roots[np.abs(roots.imag) < 1e-6 * np.abs(roots)].real
        rs = rs[rs > 0]
        etas = pi**2 * rs**2 - j * rs - Delta**2 / (4 * pi**2 * rs**2)
        assert np.min(np.abs(etas - eta)) < 1e-8 * (1 + abs(eta)), (eta, j, etas)
        assert np.min(np.abs(rs - r)) < 1e-4 * r
    # the cusp: r^4 = 3 Delta^2 / (4 pi^4), J = 8 pi^2 r / 3
    # AUTO-07p writes type -22 for a cusp on a fold curve (CP; parseB lists -2 too)
    cusp = [vals for _, ty, vals in _read_b(tmp_path / "b.theta_fold") if ty in (-22, -2)]
    r_c = (3 * Delta**2 / (4 * pi**4)) ** 0.25
    assert cusp, "no cusp (CP) found on the fold curve"
    np.testing.assert_allclose(cusp[0][4], 8 * pi**2 * r_c / 3, rtol=1e-8)

    # The same special points through thetabif's own engine (AUTO's unpolished values):
    # both runs are AUTO on the same equations and constants, so they agree to the
    # 11 significant digits AUTO prints.
    from thetabif import Continuation

    cont = Continuation(ThetaModel(), {"J": J})
    eq = cont.equilibria("eta", -20.0, 20.0)
    engine_lp = np.sort([p.auto_params["eta"] for p in eq.special("LP")])
    np.testing.assert_allclose(engine_lp, lp_eta, rtol=1e-10, atol=1e-10)
    cp = cont.curve(eq.point("LP1"), ("eta", "J")).special("CP")
    assert len(cp) == 1
    np.testing.assert_allclose(cp[0].auto_params["J"], cusp[0][4], rtol=1e-9)


def _run_auto_script(model: ThetaModel, folder: Path) -> str:
    """Copy the standard export of ``model`` into ``folder`` and run its script with
    AUTO's own command line; the log."""
    for name in export_filenames(model):
        shutil.copy(REPO / "auto_files" / name, folder / name)
    env = dict(os.environ, AUTO_DIR=str(AUTO_DIR))
    proc = subprocess.run(
        [DEBIAN_PYTHON, str(AUTO_DIR / "python" / "auto" / "interactiveBindings.py"),
         f"{model.name}.auto"], cwd=folder, env=env, capture_output=True, text=True,
        timeout=300, check=False)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "Traceback" not in log, log[-3000:]
    return log


def test_homcont_scenario_only_for_planar_models():
    names = {m.name: export_filenames(m) for m, _ in standard_models()}
    assert "c.theta_n2.hom" in names["theta_n2"] and "c.theta.hom" in names["theta"]
    assert not any(n.endswith(".hom") for n in names["theta_syn"] + names["theta_cond_syn"])
    hom = (REPO / "auto_files" / "c.theta_n2.hom").read_text()
    for setting in ("IPS=9", "NUNSTAB=1, NSTAB=1, IEQUIB=1, ITWIST=0, ISTART=5",
                    "IPSI=[1, 10]", "NTST=120", "21: 'psi1'", "30: 'psi10'"):
        assert setting in hom, setting


def test_homoclinic_run_under_auto_cli(tmp_path):
    """`auto theta_n2.auto` (AUTO's own CLI) follows the homoclinic curve of the standard
    theta_n2 (Delta = 0.5, J = -25) with HomCont, from the cycles of its Hopf point.

    Checked against an independent study (the manifold split integrated with scipy,
    tests/test_homoclinic.py): eta = 8.7250890592 at J = -25 and 11.5716086670 at
    J = -30, neutral saddles at (4.1431046622, -16.597881083) and (15.787700136,
    -37.135920904); HomCont agreed with the split to 4e-10, AUTO prints 11 digits, the
    start orbit (period 500) is off the homoclinic orbit by e^(-lambda T), so 1e-7 in eta
    (the fixed-period curve past BT, which is no homoclinic one, is > 0.1 off). At
    J = -30 eta is interpolated by a cubic through the four nearest points (spacing
    ~0.2 in J: the cubic's error was 1e-9, a straight line's 1.4e-5). Neutral saddles
    are AUTO's UZ points psi1 = 0, to 1e-6 as in tests/test_homoclinic.py. psi1 and
    psi10 are the saddle's lambda_s + lambda_u and lambda_u: checked against the
    eigenvalues of the saddle found by thetabif's Newton (AUTO's saddle converges to
    EPSL = 1e-8; 1e-6).
    """
    problem = _auto_cli_problem()
    if problem:
        pytest.skip(problem)
    model = ThetaModel(n=2)
    log = _run_auto_script(model, tmp_path)
    assert "do not reach period" not in log
    header = next(ln for ln in (tmp_path / "b.theta_n2_hom").read_text().splitlines()
                  if " PT " in ln and "LAB" in ln)
    assert re.search(r"eta\s+L2-NORM\s+MAX x\s+J\s+psi1\s+psi10\s+r\s+v", header), header
    rows = [(ty, vals) for _, ty, vals in _read_b(tmp_path / "b.theta_n2_hom")]
    table = np.array([vals[[0, 3, 4, 5]] for _, vals in rows])  # eta, J, psi1, psi10
    eta, J, psi1, psi10 = table.T
    assert len(table) > 100
    # nothing outside the exported box, eta in [-20, 20], J in [-60, 60]
    assert np.all(np.abs(eta) <= 20 + 1e-9) and np.all(np.abs(J) <= 60 + 1e-9)
    # the start, at J = -25
    start = np.flatnonzero(np.abs(J + 25) < 1e-9)
    assert len(start) and np.all(np.abs(eta[start] - 8.7250890592) < 1e-7)
    # J = -30, on the branch of decreasing J
    near = np.sort(np.argsort(np.abs(J + 30))[:4])
    assert np.ptp(J[near]) < 1.0
    assert abs(np.polyval(np.polyfit(J[near], eta[near], 3), -30.0) - 11.5716086670) < 1e-7
    # neutral saddles: AUTO's UZ points where psi1 = 0 (type -4 in b. files)
    uz = [k for k, (ty, _) in enumerate(rows) if ty in (4, -4)]
    ns = sorted((eta[k], J[k]) for k in uz if abs(psi1[k]) < 1e-6)
    assert len(ns) == 2
    for (e, j), (e_want, j_want) in zip(ns, [(4.1431046622, -16.597881083),
                                             (15.787700136, -37.135920904)], strict=True):
        assert abs(e - e_want) < 1e-6 and abs(j - j_want) < 1e-6
    # the stop before BT (psi10 = lambda_u = 100 / T), near the engine's cut at J = -13.02
    bt_side = [k for k in uz if abs(psi10[k] - 0.2) < 1e-6]
    assert len(bt_side) == 1 and -13.3 < J[bt_side[0]] < -13.0
    # psi1, psi10: the saddle's lambda_s + lambda_u and lambda_u
    from thetabif.equilibrium import find_equilibria

    for k in (start[0], near[0], bt_side[0]):
        params = {"Delta": 0.5, "eta": eta[k], "J": J[k]}
        (sad,) = [e for e in find_equilibria(model, params) if e.kind == "saddle"]
        lam_s, lam_u = np.sort(sad.eigenvalues.real)
        assert abs(psi1[k] - (lam_s + lam_u)) < 1e-6 and abs(psi10[k] - lam_u) < 1e-6
