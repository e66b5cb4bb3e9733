"""A torus (Neimark-Sacker, AUTO type TR) bifurcation of a limit cycle, through the engine.

No model of the theta family has a torus bifurcation, so AUTO's TR labelling is checked
here on the Langford system (the "Aizawa attractor" values; continuation parameter b):

    x' = (z - b) x - w y,   y' = w x + (z - b) y,
    z' = c + a z - z^3/3 - (x^2 + y^2)(1 + e z) + f z x^3,
    a = 0.95, c = 0.6, w = 3.5, e = 0.25, f = 0.1 (and f = 0).

The equilibrium x = y = 0, z = z* (largest root of c + a z - z^3/3, z* = 1.9432644) has
eigenvalues z* - b +- i w and a - z*^2 < 0, so it has a Hopf point at b = z*. The cycles
born there exist for b < z* and lose stability at a torus bifurcation, b_TR = 0.8373709
(f = 0.1; b = 0.7 is the textbook torus attractor).

In polar coordinates x = r cos(phi), y = r sin(phi): r' = (z - b) r, phi' = w,
z' = c + a z - z^3/3 - r^2 (1 + e z) + f z r^3 cos(phi)^3.  Every cycle has period
2 pi / w.  For f = 0 the (r, z) system decouples, so the cycle is its equilibrium
z = b, r^2 = (c + a b - b^3/3) / (1 + e b) and its Floquet multipliers are 1 and
exp(lambda 2 pi / w), lambda the eigenvalues of [[0, r], [-2 r (1 + e b), a - b^2 - e r^2]]:
a closed-form torus point (trace 0).  For f = 0.1 the torus point is checked by Newton
shooting with the variational equations (scipy DOP853, rtol 1e-11).

What AUTO stores (AUTO-07p 0.9.2, periodic.f90, FNSPBV/TPSPBV): on a cycle branch with
ISP = 2, TPSPBV takes the nontrivial multiplier nearest the unit circle (excluding the
one nearest +1); if |Im mu| > sqrt(EPSS) the type is TR and
THETA = ABS(ATAN2(AIMAG(mu), REAL(mu))), and FNSPBV sets PAR(12) = THETA; the test
function located by secant iteration is |mu| - 1. So PAR(12) of the TR solution is the
argument, in [0, pi], of the critical complex pair (thetabif reports it as
``extra["torus_angle"]``). PAR(12) is overwritten at every cycle point whose critical
multiplier is complex, not only at the TR (thetabif's code generator keeps PAR(10)-PAR(14)
free, so no model parameter is clobbered).

No mocks: every run goes through gfortran and the AUTO-07p core.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import periodic_orbit_by_shooting
from scipy.optimize import brentq

from thetabif.auto import (
    AutoNotFoundError,
    CompilerNotFoundError,
    compile_equations,
    find_auto,
    find_compiler,
    run_auto,
)

try:
    find_auto()
    find_compiler()
except (AutoNotFoundError, CompilerNotFoundError) as _exc:  # pragma: no cover
    pytest.skip(f"AUTO-07p/gfortran not available: {_exc}", allow_module_level=True)

A, C, W, E = 0.95, 0.6, 3.5, 0.25
Z_STAR = 1.9432643761744766  # largest root of c + a z - z^3/3 (brentq, full precision)
PERIOD = 2 * math.pi / W

LANGFORD_F90 = """\
SUBROUTINE FUNC(NDIM,U,ICP,PAR,IJAC,F,DFDU,DFDP)
  IMPLICIT NONE
  INTEGER, INTENT(IN) :: NDIM, ICP(*), IJAC
  DOUBLE PRECISION, INTENT(IN) :: U(NDIM), PAR(*)
  DOUBLE PRECISION, INTENT(OUT) :: F(NDIM)
  DOUBLE PRECISION, INTENT(INOUT) :: DFDU(NDIM,NDIM), DFDP(NDIM,*)
  DOUBLE PRECISION :: X, Y, Z
  X = U(1)
  Y = U(2)
  Z = U(3)
  F(1) = (Z - PAR(2))*X - PAR(4)*Y
  F(2) = PAR(4)*X + (Z - PAR(2))*Y
  F(3) = PAR(3) + PAR(1)*Z - Z**3/3.0D0 - (X**2 + Y**2)*(1.0D0 + PAR(5)*Z) &
       + PAR(6)*Z*X**3
END SUBROUTINE FUNC

SUBROUTINE STPNT(NDIM,U,PAR,T)
  IMPLICIT NONE
  INTEGER, INTENT(IN) :: NDIM
  DOUBLE PRECISION, INTENT(INOUT) :: U(NDIM), PAR(*)
  DOUBLE PRECISION, INTENT(IN) :: T
  PAR(1) = 0.95D0
  PAR(2) = 2.5D0
  PAR(3) = 0.6D0
  PAR(4) = 3.5D0
  PAR(5) = 0.25D0
  PAR(6) = @F@
  U(1) = 0.0D0
  U(2) = 0.0D0
  U(3) = @Z@
END SUBROUTINE STPNT

SUBROUTINE PVLS
END SUBROUTINE PVLS
SUBROUTINE BCND
END SUBROUTINE BCND
SUBROUTINE ICND
END SUBROUTINE ICND
SUBROUTINE FOPT
END SUBROUTINE FOPT
"""

EQ_C = """\
parnames = {1: 'a', 2: 'b', 3: 'c', 4: 'w', 5: 'e', 6: 'f'}
unames = {1: 'x', 2: 'y', 3: 'z'}
NDIM=   3, IPS =   1, IRS =   0, ILP =   1
ICP =  ['b']
NTST=  20, NCOL=   4, IAD =   3, ISP =   1, ISW = 1, IPLT= 0, NBC= 0, NINT= 0
NMX=   50, NPR= 100, MXBF=  10, IID =   2, ITMX= 8, ITNW= 5, NWTN= 3, JAC= 0
EPSL= 1e-08, EPSU = 1e-08, EPSS =1e-06
DS  =  -0.05, DSMIN=  0.001, DSMAX=   0.1, IADS=   1
NPAR=  6, THL =  {}, THU =  {}
UZSTOP = {'b': 1.5}
"""

PO_C = """\
parnames = {1: 'a', 2: 'b', 3: 'c', 4: 'w', 5: 'e', 6: 'f', 11: 'period'}
unames = {1: 'x', 2: 'y', 3: 'z'}
NDIM=   3, IPS =   2, IRS = @LABEL@, ILP =   1
ICP =  ['b', 'period']
NTST=  20, NCOL=   4, IAD =   3, ISP =   2, ISW = 1, IPLT= 0, NBC= 0, NINT= 0
NMX=  200, NPR= 500, MXBF=  10, IID =   2, ITMX= 8, ITNW= 5, NWTN= 3, JAC= 0
EPSL= 1e-08, EPSU = 1e-08, EPSS =1e-06
DS  =  -0.02, DSMIN=  0.0001, DSMAX=   0.05, IADS=   1
NPAR=  6, THL =  {11: 0.0}, THU =  {}
UZSTOP = {'b': 0.6}
"""


# ---------------------------------------------------------------------------
# the system in Python (for shooting) and the f = 0 closed form
# ---------------------------------------------------------------------------


def rhs(u, b, f):
    x, y, z = u
    return np.array([(z - b) * x - W * y, W * x + (z - b) * y,
                     C + A * z - z**3 / 3 - (x * x + y * y) * (1 + E * z) + f * z * x**3])


def jacobian(u, b, f):
    x, y, z = u
    return np.array([[z - b, -W, x],
                     [W, z - b, y],
                     [-2 * x * (1 + E * z) + 3 * f * z * x * x, -2 * y * (1 + E * z),
                      A - z * z - E * (x * x + y * y) + f * x**3]])


def shoot(u0, period, b, f):
    """Periodic orbit, period and Floquet multipliers by Newton shooting (conftest)."""
    return periodic_orbit_by_shooting(lambda u: rhs(u, b, f),
                                      lambda u: jacobian(u, b, f), u0, period)


def torus_pair(mu):
    """The multiplier of the complex pair with positive imaginary part."""
    mu = np.asarray(mu, complex)
    cpx = mu[np.abs(mu.imag) > 1e-6]
    assert len(cpx) == 2 and abs(cpx[0] - np.conj(cpx[1])) < 1e-9
    return complex(cpx[np.argmax(cpx.imag)])


def closed_form_lambda(b):
    """f = 0: the eigenvalue with Im > 0 of the (r, z) system at its equilibrium z = b."""
    r2 = (C + A * b - b**3 / 3) / (1 + E * b)
    r = math.sqrt(r2)
    lam = np.linalg.eigvals(np.array([[0.0, r], [-2 * r * (1 + E * b), A - b * b - E * r2]]))
    return complex(lam[np.argmax(lam.imag)]), r2


# ---------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory):
    """Build into a private cache so the tests neither use nor fill the user's."""
    mp = pytest.MonkeyPatch()
    mp.setenv("THETABIF_CACHE_DIR", str(tmp_path_factory.mktemp("auto-cache-torus")))
    yield
    mp.undo()


def _runs(f_literal: str):
    src = LANGFORD_F90.replace("@F@", f_literal).replace("@Z@", f"{Z_STAR:.16f}D0")
    exe = compile_equations(src, "langford")
    eq = run_auto(exe, EQ_C).raise_for_status()
    (hb,) = eq.find("HB")
    po = run_auto(exe, PO_C.replace("@LABEL@", f"{hb.label:3d}"), restart=eq.fort8)
    return eq, po.raise_for_status()


@pytest.fixture(scope="module")
def runs_f01(_private_cache):
    return _runs("0.1D0")


@pytest.fixture(scope="module")
def runs_f0(_private_cache):
    return _runs("0.0D0")


@pytest.fixture(scope="module")
def tr_f01(runs_f01):
    _, po = runs_f01
    (tr,) = po.find("TR")
    return tr, po.solution(tr.label)


# ---------------------------------------------------------------------------
# tests
# ---------------------------------------------------------------------------


def test_hopf_point_of_the_equilibrium(runs_f01):
    eq, _ = runs_f01
    (hb,) = eq.find("HB")
    # the equilibrium does not depend on b; HB at b = z*, located by secant iteration
    # to EPSS = 1e-6 relative (seen: 4e-9 off)
    assert hb.parameters["b"] == pytest.approx(Z_STAR, abs=1e-5)
    assert hb.state["z"] == pytest.approx(Z_STAR, abs=1e-9)
    # eigenvalues z* - b +- i w and a - z*^2, printed with 6 significant digits
    np.testing.assert_allclose(np.sort_complex(hb.eigenvalues),
                               np.sort_complex([-3.5j, 3.5j, A - Z_STAR**2]), atol=1e-4)


def test_torus_point_is_labelled(runs_f01, tr_f01):
    _, po = runs_f01
    tr, sol = tr_f01
    assert tr.type == "TR" and tr.type_number == 8 and tr.label > 0 and tr.periodic
    assert sol.type == "TR" and sol.label == tr.label and sol.ips == 2
    assert sol.parameters["b"] == pytest.approx(tr.parameters["b"], rel=1e-10)
    # AUTO's location (the value reported below)
    assert tr.parameters["b"] == pytest.approx(0.8373709, abs=1e-6)
    # every cycle of the system has period 2 pi / w (phi' = w); collocation + Newton
    # (EPSL/EPSU = 1e-8) and 11 printed digits: seen 5e-11 off
    assert sol.period == pytest.approx(PERIOD, rel=1e-8)
    # fort.9: the trivial multiplier, and a complex-conjugate pair on the unit circle.
    # The components are printed with 6 significant digits (ES14.5, |.| < 1: error
    # <= 5e-7 each, <= 7.1e-7 in the modulus); AUTO stops the secant iteration on
    # |mu| - 1 when the step is below EPSS = 1e-6, |d|mu|/db| = 1.50 here (shooting),
    # so <= 1.5e-6 more; 5e-6 is safe (seen: 4.4e-7, i.e. rounding).
    mu = tr.multipliers
    assert mu is not None and len(mu) == 3
    assert abs(mu[np.argmin(np.abs(mu - 1))] - 1) < 1e-5
    pair = torus_pair(mu)
    assert abs(abs(pair) - 1) < 5e-6
    assert abs(pair.imag) > math.sqrt(1e-6)  # AUTO's own TR criterion (|Im| > sqrt(EPSS))
    # stability flips at the TR: stable cycles between the Hopf point and the TR, unstable
    # beyond it. (The Hopf point itself has a double multiplier 1 and is flagged unstable;
    # AUTO counts |mu| <= 1 + 1e-5 as inside, so the TR itself is flagged stable.)
    (branch,) = po.branches
    i_tr = next(i for i, p in enumerate(branch.points) if p.type == "TR")
    assert all(p.stable for p in branch.points[1:i_tr + 1])
    assert not any(p.stable for p in branch.points[i_tr + 1:])
    assert branch.points[-1].parameters["b"] == pytest.approx(0.6, abs=1e-6)


def test_shooting_confirms_torus_at_auto_parameter(tr_f01):
    _, sol = tr_f01
    b = sol.parameters["b"]
    u, T, mu = shoot(sol.u[0], sol.period, b, 0.1)
    # AUTO's orbit (fort.8 keeps 11 digits) is the periodic orbit
    assert T == pytest.approx(sol.period, abs=1e-9)
    np.testing.assert_allclose(u, sol.u[0], atol=1e-9)
    assert abs(mu[np.argmin(np.abs(mu - 1))] - 1) < 1e-8
    # |mu| = 1 at AUTO's b: location to ~EPSS = 1e-6 in b times |d|mu|/db| = 1.5, plus
    # the integration error (rtol 1e-11): 5e-6 (seen: -3.3e-10; AUTO's own test
    # function, fort.9 "SPB Function", is -3.1e-10 there)
    pair = torus_pair(mu)
    assert abs(abs(pair) - 1) < 5e-6
    # ... and it crosses: inside the unit circle towards the Hopf point (larger b),
    # outside on the unstable side (smaller b). |mu| - 1 = -1.50 (b - b_TR).
    inside = abs(torus_pair(shoot(u, T, b + 1e-3, 0.1)[2]))
    outside = abs(torus_pair(shoot(u, T, b - 1e-3, 0.1)[2]))
    assert 0.998 < inside < 0.999 and 1.001 < outside < 1.002
    # the torus point re-located as the root of |mu(b)| - 1: within EPSS-accuracy of
    # AUTO's b (seen: 2.2e-10)
    b_root = brentq(lambda bb: abs(torus_pair(shoot(u, T, bb, 0.1)[2])) - 1,
                    b - 1e-3, b + 1e-3, xtol=1e-12)
    assert b_root == pytest.approx(b, abs=2e-6)


def test_par12_is_argument_of_torus_multiplier(tr_f01):
    tr, sol = tr_f01
    theta = sol.par[11]
    assert sol.parameters["PAR(12)"] == theta
    assert 0 < theta < math.pi
    # AUTO: PAR(12) = |atan2(Im mu, Re mu)| of the critical pair. Against shooting at the
    # same b, only AUTO's collocation error in the multipliers and the integration error
    # enter (seen: 1.4e-10); 11 printed digits add 5e-11. 1e-7.
    _, _, mu = shoot(sol.u[0], sol.period, sol.parameters["b"], 0.1)
    assert theta == pytest.approx(abs(np.angle(torus_pair(mu))), abs=1e-7)
    # and the pair printed in fort.9 (6 significant digits: 5e-7 per component) agrees
    assert theta == pytest.approx(abs(np.angle(torus_pair(tr.multipliers))), abs=2e-6)
    assert theta == pytest.approx(2.7908812, abs=1e-6)


def test_closed_form_torus_point_without_forcing_term(runs_f0):
    """f = 0: the cycle, its multipliers and the TR point in closed form."""
    _, po = runs_f0
    (tr,) = po.find("TR")
    sol = po.solution(tr.label)
    b = sol.parameters["b"]
    # TR where the trace a - b^2 - e r^2 of the (r, z) Jacobian vanishes
    b_tr = brentq(lambda bb: A - bb * bb - E * closed_form_lambda(bb)[1], 0.5, 1.0, xtol=1e-14)
    assert b_tr == pytest.approx(0.8378401108, abs=1e-10)
    # located to EPSS = 1e-6 (seen: 4.5e-10 off)
    assert b == pytest.approx(b_tr, abs=2e-6)
    # the cycle is the circle r^2 = (c + a b - b^3/3) / (1 + e b) at z = b
    # (collocation with NTST=20, NCOL=4, Newton to 1e-8: seen 4e-10 in z, 8e-9 in r^2)
    lam, r2 = closed_form_lambda(b)
    np.testing.assert_allclose(sol.state("z"), b, atol=1e-7)
    np.testing.assert_allclose(sol.state("x") ** 2 + sol.state("y") ** 2, r2, atol=1e-7)
    assert sol.period == pytest.approx(PERIOD, rel=1e-8)
    # multipliers exp(lambda 2 pi / w); printed with 6 significant digits
    pair = torus_pair(tr.multipliers)
    expected = complex(np.exp(lam * PERIOD))
    assert abs(pair - expected) < 2e-6
    assert abs(abs(pair) - 1) < 5e-6
    # PAR(12) = Im(lambda) 2 pi / w = 2.78099 (in (pi/2, pi), so no wrapping): seen 1e-10
    assert sol.par[11] == pytest.approx(lam.imag * PERIOD, abs=1e-7)
    assert sol.par[11] == pytest.approx(abs(np.angle(expected)), abs=1e-7)
