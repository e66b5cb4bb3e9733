"""The spiking network behind the mean field: N theta neurons, simulated exactly.

A ThetaModel is one network; a :class:`thetabif.models.Circuit` is one network of
``N`` neurons per population, coupled as its edges say (what a model's network is made
of: :mod:`thetabif.network_layout`; a ThetaModel is one population with a self-edge,
so both run through the same kernel). Each neuron ``j`` is a theta neuron (design.md, section 1)::

    tau dtheta_j/dt = (1 - cos theta_j) + (1 + cos theta_j) (eta_j + I_ext + I_syn)

with excitabilities ``eta_j`` from the Lorentzian ``(eta, Delta)``. Through
``V = tan(theta / 2)`` it is the quadratic integrate-and-fire (QIF) neuron
``tau dV/dt = V^2 + eta_j + I_ext + I_syn``; a spike is ``V`` passing ``+inf``
(``theta`` crossing ``pi``) and re-entering at ``-inf``. The synaptic input is

* current coupling: ``I_syn = s``;
* conductance coupling: ``I_syn = s (v_s - V)``, i.e. ``s (v_s - tan(theta/2))``,
  whose Ott-Antonsen reduction is exactly the model's ``r' = Delta/pi + 2 r v - s r``,
  ``v' = v^2 + eta + I_ext + s (v_s - v) - pi^2 r^2`` (the Lorentzian ansatz with
  centre ``v`` and half width ``pi tau r`` closes because the input is linear in V).

summed over the edges onto the neuron's population (a circuit's population ``T``
receives ``sum_S s_TS`` through its current edges and ``sum_S s_TS (v_s_TS - V)``
through its conductance edges; with adaptation its input also has ``- a_T``).
The drive ``s`` of an edge is ``J p`` (instant synapse), follows
``tau_s ds/dt = -s + J p`` (first-order) or ``tau_r tau_d s'' + (tau_r + tau_d) s' + s
= J p`` (second-order), where the presynaptic activity ``p`` of the SOURCE population
is its network's own firing rate (delta pulses: spikes per neuron per step divided by
the step) or ``mean_j P_n(theta_j) / (pi tau)`` (pulses of its sharpness ``n``), the
two quantities whose Ott-Antonsen averages are the mean field's ``r`` and
``H_n(z) / (pi tau)``. Adaptation is a population variable, as in the mean field:
``tau_a da/dt = -a + alpha r`` with ``r`` the population's spike rate.

The scheme
----------
Over one step ``dt`` the inputs, drives and adaptation are held constant. Then
every neuron obeys a Riccati equation with constant coefficients,
``dV/dt' = V^2 - a V + b`` (``t' = t / tau``; ``a`` the sum of the conductance
drives, 0 without), and completing the square, ``U = V - a/2``, ``c = b - a^2/4``, gives
``dU/dt' = U^2 + c`` whose flow over ``h = dt / tau`` is the Moebius map::

    U(h) = (U0 + c g) / (1 - U0 g),   g = tan(sqrt(c) h) / sqrt(c)     (c > 0)
                                      g = tanh(sqrt(-c) h) / sqrt(-c)  (c < 0)
                                      g = h                            (c = 0)

The neuron spikes in the step exactly when the denominator crosses zero,
``U0 g >= 1`` (for ``sqrt(c) h < pi/2``; beyond that, which needs ``eta_j`` of order
``(pi / (2 h))^2``, the angle form ``U = sqrt(c) tan(phi)`` counts several spikes per
step). No neuron is ever moved "too far", however large its ``eta_j``: the heavy
Lorentzian tail, which makes Euler overestimate the rate by 10-20 %, is integrated
exactly. The only discretisation error left is the coupling being held over a step.
After the step the synapses advance exactly under the activity measured in it (the
propagators of :meth:`thetabif.network_layout.NetEdge.propagator`), and so does the
adaptation.

Everything runs in one numba-compiled, ``prange``-parallel kernel; memory is
``O(N)`` per population (two float64 arrays), plus ``O(steps)`` per population and
edge for the per-step spike counts and drives.
"""

from __future__ import annotations

import json
import math
import time as _time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numba
import numpy as np
import xarray as xr
from numba import njit, prange

from thetabif.errors import InputError
from thetabif.models import Model, ThetaModel, pulse_coefficients
from thetabif.network_layout import NetPopulation, network_layout
from thetabif.protocols import Protocol
from thetabif.records import Record, model_options, options_from_name
from thetabif.simulation import (
    Inputs,
    check_memory,
    initial_state,
    input_protocols,
    output_samples,
    simulate,
    simulation_memory,
)

SAMPLINGS = ("quantiles", "random")

#: Offset b of the quantile nodes ``u_j = (j - 1 + b) / (N - 1 + 2 b)`` that makes
#: the leading ``N^(-1/2)`` error of the population rate vanish. A neuron with large
#: ``eta_j`` fires at ``sqrt(eta_j)/pi``, and ``eta(u) ~ Delta / (pi (1 - u))``, so the
#: rate is a quantile average of a function ``~ (1 - u)^(-1/2)``; the error of such
#: an average over nodes ``(k - 1 + b) h`` is ``zeta(1/2, b) h^(1/2)`` (Hurwitz zeta),
#: which vanishes at ``b = 0.3027...``. The plain quantiles ``j / (N + 1)`` (``b = 1``,
#: ``zeta(1/2, 1) = -1.46``) underestimate the rate by ~1.2 % at N = 1e5 in the
#: tutorial's low state; with this offset the bias is O(1/N).
TAIL_OFFSET = 0.30272182859836605

# |V| is clamped here: V = 1e100 is theta within 2e-100 of pi, and V**2 stays finite.
_V_MAX = 1e100


# ---------------------------------------------------------------- the kernel
@njit(cache=True, inline="always")
def _advance(u0: float, c: float, h: float) -> tuple[float, int]:
    """Exact flow of ``U' = U^2 + c`` over time ``h``: new ``U`` and the spike count."""
    ch2 = c * h * h
    if ch2 >= 2.4674011002723395:  # (pi/2)^2: more than a quarter turn, angle form
        w = math.sqrt(c)
        phi = math.atan(u0 / w) + w * h
        k = math.floor((phi + 0.5 * math.pi) / math.pi)
        return w * math.tan(phi - k * math.pi), int(k)
    if abs(ch2) > 1e-4:
        if c > 0.0:
            w = math.sqrt(c)
            g = math.tan(w * h) / w
        else:
            w = math.sqrt(-c)
            g = math.tanh(w * h) / w
    else:
        # tan(x)/x and tanh(x)/x series in c h^2; next term 17/315 (c h^2)^3 < 6e-14.
        g = h * (1.0 + ch2 * (1.0 / 3.0 + ch2 * (2.0 / 15.0)))
    ug = u0 * g
    den = 1.0 - ug
    if den == 0.0:
        return -_V_MAX, 1
    return (u0 + c * g) / den, 1 if ug >= 1.0 else 0


@njit(parallel=True, cache=True)
def _run_chunk(
    V, eta, pop_start, h_pop, n_pulse, a_n, p_scale, I_steps, ad_on, ad_alpha, ad_decay,
    e_src, e_tgt, e_kind, e_J, e_cond, e_vs, e_M, s, u, p, rz, a, n_steps, dt, every,
    step0, counts, s_out, a_out, z_out, raster, r_start, n_raster,
):  # pragma: no cover - compiled
    """Advance the network by ``n_steps`` steps (see the module docstring).

    Per population ``P`` (neurons ``pop_start[P]:pop_start[P+1]``): step ``h_pop``,
    pulse sharpness ``n_pulse`` (0: delta pulses), input ``I_steps[P, k]``, adaptation
    (``ad_on``), and the carried presynaptic activity to use next ``p``, rate implied
    by Z ``rz`` and adaptation ``a``. Per edge ``e``: source and target, synapse
    ``e_kind`` (0 instant, 1 first, 2 second order) with propagator ``e_M``, weight,
    conductance flag and reversal potential, drive ``s`` and its derivative ``u``.
    Writes per-step spike counts, drives and adaptation, and Z every ``every`` steps.
    """
    n_pop = pop_start.shape[0] - 1
    n_edge = e_src.shape[0]
    p_step = np.zeros(n_pop)
    shift = np.zeros(n_pop)
    base = np.zeros(n_pop)
    for k in range(n_steps):
        g = step0 + k
        record = (g + 1) % every == 0
        for e in range(n_edge):
            if e_kind[e] == 0:
                s[e] = e_J[e] * p[e_src[e]]
            s_out[e, g] = s[e]
        for q in range(n_pop):
            drive = I_steps[q, k]
            leak = 0.0
            for e in range(n_edge):
                if e_tgt[e] == q:
                    if e_cond[e]:
                        drive += s[e] * e_vs[e]
                        leak += s[e]
                    else:
                        drive += s[e]
            if ad_on[q]:
                drive -= a[q]
                a_out[q, g] = a[q]
            shift[q] = 0.5 * leak
            base[q] = drive - shift[q] * shift[q]
        for q in range(n_pop):
            lo = pop_start[q]
            N = pop_start[q + 1] - lo
            inv_n = 1.0 / N
            h = h_pop[q]
            sh = shift[q]
            bq = base[q]
            npl = n_pulse[q]
            nr = n_raster[q]
            rc = r_start[q]
            spikes = 0
            sc = 0.0
            ss = 0.0
            sp = 0.0
            for jj in prange(N):
                j = lo + jj
                u1, nk = _advance(V[j] - sh, eta[j] + bq, h)
                v1 = u1 + sh
                if v1 > _V_MAX:
                    v1 = _V_MAX
                elif v1 < -_V_MAX:
                    v1 = -_V_MAX
                V[j] = v1
                spikes += nk
                if jj < nr:
                    raster[k, rc + jj] = nk
                qq = v1 * v1
                inv = 1.0 / (1.0 + qq)
                sc += (1.0 - qq) * inv
                ss += 2.0 * v1 * inv
                if npl > 0:
                    sp += (2.0 * qq * inv) ** npl
            counts[q, g] = spikes
            if record:
                z_out[q, (g + 1) // every] = complex(sc * inv_n, ss * inv_n)
            rate = spikes * inv_n / dt
            if npl > 0:
                p_new = a_n[q] * sp * inv_n * p_scale[q]
                p_step[q] = 0.5 * (p[q] + p_new)
            else:
                # The spikes of this step measure r at its midpoint; the next step needs
                # r one step later. Without a correction that lag is an O(dt) error (4 %
                # at dt = 1e-2 under constant input 3). The change of the rate implied by
                # Z, (1 - |Z|^2) / (pi tau |1 + Z|^2), over the step supplies the slope;
                # it is clipped to +-r so that a near-synchronous Z ~ -1 cannot blow it up.
                p_step[q] = rate
                zr = sc * inv_n
                zi = ss * inv_n
                rz_new = ((1.0 - zr * zr - zi * zi) / ((1.0 + zr) ** 2 + zi * zi + 1e-300)
                          * p_scale[q])
                corr = min(max(rz_new - rz[q], -rate), rate)
                rz[q] = rz_new
                p_new = rate + corr
            if ad_on[q]:
                a[q] = a[q] * ad_decay[q] + ad_alpha[q] * (1.0 - ad_decay[q]) * rate
            p[q] = p_new
        for e in range(n_edge):
            if e_kind[e] == 1:
                d = e_M[e, 0, 0]
                s[e] = s[e] * d + e_J[e] * (1.0 - d) * p_step[e_src[e]]
            elif e_kind[e] == 2:
                target = e_J[e] * p_step[e_src[e]]
                ds = s[e] - target
                s[e] = e_M[e, 0, 0] * ds + e_M[e, 0, 1] * u[e] + target
                u[e] = e_M[e, 1, 0] * ds + e_M[e, 1, 1] * u[e]


# --------------------------------------------------------------- the driver
def lorentzian_quantiles(N: int, eta: float = 0.0, Delta: float = 1.0,
                         offset: float = TAIL_OFFSET) -> np.ndarray:
    """Deterministic Lorentzian sample ``eta + Delta tan(pi (u_j - 1/2))``, j = 1..N.

    Parameters
    ----------
    N : int
        Sample size (>= 1).
    eta, Delta : float
        Centre and half width.
    offset : float
        ``b`` in ``u_j = (j - 1 + b) / (N - 1 + 2 b)``, in (0, 1]; ``b = 1`` gives the
        plain quantiles ``eta + Delta tan(pi (j - (N+1)/2) / (N+1))``, the default
        :data:`TAIL_OFFSET` removes the leading tail bias of the population rate.

    Returns
    -------
    numpy.ndarray
        ``N`` increasing values, symmetric about ``eta``.
    """
    N = _check_n(N)
    if isinstance(offset, bool) or not isinstance(offset, (int, float)) \
            or not 0.0 < offset <= 1.0:
        raise InputError(f"quantile offset must be in (0, 1], got {offset!r}")
    j = np.arange(1, N + 1, dtype=float)
    u = (j - 1 + offset) / (N - 1 + 2 * offset)
    return eta + Delta * np.tan(np.pi * (u - 0.5))


def _check_n(N: Any, name: str = "N") -> int:
    if isinstance(N, bool) or not isinstance(N, (int, np.integer)) or N < 1:
        raise InputError(f"{name} (number of neurons) must be an integer >= 1, got {N!r}")
    return int(N)


def population_sizes(model: Model, N: int | Mapping[str, int]) -> tuple[int, ...]:
    """The number of neurons of each population of ``model``'s network.

    Parameters
    ----------
    model : ThetaModel or Circuit
    N : int or mapping
        One size for every population, or (a circuit) one per population by name,
        ``{"E": 8000, "I": 2000}``: every population named once.

    Raises
    ------
    InputError
        A size that is not an integer >= 1; a mapping that misses a population or names
        one the model does not have (the message lists the populations).
    """
    names = tuple(model.population_names)
    if not isinstance(N, Mapping):
        return (_check_n(N),) * len(names)
    if names == ("",):
        raise InputError(f"N: a single population takes one number of neurons, got {dict(N)!r}")
    unknown = [k for k in N if k not in names]
    missing = [k for k in names if k not in N]
    if unknown or missing:
        what = (f"unknown population(s) {', '.join(map(repr, unknown))}" if unknown
                else f"no size for {', '.join(missing)}")
        raise InputError(f"N: {what}; give one size per population of {model.name!r} "
                         f"({', '.join(names)}), or one number for all")
    return tuple(_check_n(N[k], f"N[{k}]") for k in names)


def _check_pos(name: str, value: Any) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {value!r}") from None
    if not (math.isfinite(x) and x > 0):
        raise InputError(f"{name} must be finite and > 0, got {value!r}")
    return x


def network_memory(N: int | Sequence[int], n_steps: int, n_out: int, raster: int = 0, *,
                   populations: int = 1, edges: int = 1) -> float:
    """Estimated peak memory of :func:`simulate_network`, in bytes.

    ``N`` neurons (and ``raster`` recorded ones) per population, or the populations'
    sizes (:func:`population_sizes`). Per step and
    population 40 bytes (midpoint time, input, spike count, cumulative count and a
    temporary), plus 8 per edge (its drive); per output sample and population 128
    (``Z``, the rates, ``v``, ``|Z|``, ``I_ext``, ``s``, window indices); per neuron 64
    (excitability, voltage, their sampling and reordering); with ``raster``, 4 bytes
    per recorded neuron and step of the buffer (spikes themselves are not counted).
    Measured for one population: 544 MB for 1e7 steps and 1e6 samples, estimated 608 MB.
    """
    n_all = int(sum(N)) if isinstance(N, Sequence) else N * populations
    rows = min(n_steps, max(1, int(2e8 / max(n_all, 1)))) if raster else 0
    return ((40.0 * populations + 8.0 * edges) * n_steps + 128.0 * n_out * populations
            + 64.0 * n_all + 4.0 * rows * raster * populations)


def check_network_size(N: int | Sequence[int], t_end: float, dt: float, dt_out: float, *,
                       raster: int = 0, extra: float = 0.0, extra_what: str = "",
                       populations: int = 1, edges: int = 1) -> tuple[int, int]:
    """Refuse a network run that integrates nothing or would not fit in memory.

    ``extra`` bytes (``extra_what``, e.g. the mean field run alongside) are added to
    the network's estimate (:func:`network_memory`; ``N`` neurons per population, or
    the populations' sizes).

    Returns
    -------
    (int, int)
        Output samples and steps.

    Raises
    ------
    ValueError
        ``N``, ``t_end``, ``dt`` or ``dt_out`` invalid; ``dt_out > t_end``; or the run
        would need more than :func:`thetabif.simulation.memory_limit` bytes (the
        message names ``t_end``, ``dt``, ``dt_out``, ``N`` and the memory).
    """
    sizes = tuple(_check_n(n) for n in N) if isinstance(N, Sequence) else None
    N = sizes if sizes is not None else _check_n(N)
    t_end, dt, dt_out = (_check_pos(k, v) for k, v in
                         (("t_end", t_end), ("dt", dt), ("dt_out", dt_out)))
    n_out = output_samples(t_end, dt_out, dt_name="dt_out")
    every = max(1, int(round(dt_out / dt)))
    n_steps = (n_out - 1) * every
    what = " " + extra_what if extra_what else ""
    per = f" per population ({populations})" if populations > 1 and sizes is None else ""
    check_memory(network_memory(N, n_steps, n_out, raster, populations=populations,
                                edges=edges) + extra,
                 f"t_end={t_end:g} with dt={dt:g} and dt_out={dt_out:g} gives "
                 f"{n_steps:.3g} steps and {n_out:.3g} output samples for "
                 f"N={'+'.join(map(str, sizes)) if sizes else N}{per}{what}",
                 "increase dt and dt_out, or reduce t_end or N")
    return n_out, n_steps


def _w_of_z(z: np.ndarray | complex) -> np.ndarray | complex:
    zc = np.conj(z)
    return (1 - zc) / (1 + zc)


@dataclass
class _Setup:
    eta: np.ndarray
    V: np.ndarray
    sample: np.ndarray  # original neuron index of raster rows 0..K-1


def _initial_population(N: int, pop: NetPopulation, z0: complex, sampling: str,
                        rng: np.random.Generator, n_raster: int, offset: float) -> _Setup:
    """Excitabilities and initial voltages of one population on the Ott-Antonsen
    manifold of ``z0``.

    ``W0 = (1 - conj z0)/(1 + conj z0) = pi tau r0 + i v0``: the OA state is V
    Lorentzian with centre ``Im W0`` and half width ``Re W0``, independent of
    ``eta_j`` (a constant, hence analytic, function of eta). On the unit circle
    ``Re W0 = 0`` and every neuron starts at ``V = v0`` (the same phase).
    """
    if sampling == "quantiles":
        eta = lorentzian_quantiles(N, pop.eta, pop.Delta, offset)
        x = lorentzian_quantiles(N, 0.0, 1.0, offset)[rng.permutation(N)]
    else:
        eta = pop.eta + pop.Delta * rng.standard_cauchy(N)
        x = rng.standard_cauchy(N)
    w0 = complex(_w_of_z(complex(z0)))
    V = np.clip(w0.imag + max(w0.real, 0.0) * x, -_V_MAX, _V_MAX)
    sample = np.zeros(0, dtype=np.int64)
    if n_raster:
        sample = np.unique(np.linspace(0, N - 1, n_raster).round().astype(np.int64))
        rest = np.setdiff1d(np.arange(N), sample, assume_unique=True)
        order = np.concatenate([sample, rest])
        eta, V = eta[order], V[order]
    return _Setup(np.ascontiguousarray(eta), np.ascontiguousarray(V), sample)


def _check_options(N: Any, t_end: Any, dt: Any, dt_out: Any, rate_window: Any,
                   sampling: Any, seed: Any, raster: Any, threads: Any
                   ) -> tuple[int, float, float, float, int, float]:
    """Validate the run options of :func:`simulate_network`; return
    ``(N, t_end, dt, dt_out, every, window)``."""
    N = _check_n(N)
    t_end = _check_pos("t_end", t_end)
    dt = _check_pos("dt", dt)
    dt_out = _check_pos("dt_out", dt_out)
    every = int(round(dt_out / dt))
    if every < 1 or abs(every * dt - dt_out) > 1e-9 * dt_out:
        raise InputError(f"dt_out must be an integer multiple of dt (>= dt), got "
                         f"dt_out={dt_out!r}, dt={dt!r}")
    window = dt_out if rate_window is None else _check_pos("rate_window", rate_window)
    if window < dt * (1 - 1e-9):
        raise InputError(f"rate_window must be >= dt = {dt!r}, got {window!r}")
    if sampling not in SAMPLINGS:
        raise InputError(f"sampling must be one of {', '.join(SAMPLINGS)}, got {sampling!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
                             or seed < 0):
        raise InputError(f"seed must be a non-negative integer or None, got {seed!r}")
    if isinstance(raster, bool) or not isinstance(raster, (int, np.integer)) \
            or not 0 <= raster <= N:
        raise InputError(f"raster (neurons recorded) must be an integer in [0, N={N}], "
                         f"got {raster!r}")
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int)
                                or not 1 <= threads <= numba.config.NUMBA_NUM_THREADS):
        raise InputError(f"threads must be an integer in [1, "
                         f"{numba.config.NUMBA_NUM_THREADS}], got {threads!r}")
    return N, t_end, dt, dt_out, every, window


def simulate_network(
    model: Model | None = None,
    params: Mapping[str, float] | None = None,
    *,
    N: int | Mapping[str, int] = 10_000,
    t_end: float = 100.0,
    dt: float = 1e-3,
    dt_out: float = 0.01,
    inputs: Inputs = None,
    z0: complex | Mapping[str, complex] = -0.6 - 0.8j,
    s0: float | None = None,
    sampling: str = "quantiles",
    quantile_offset: float = TAIL_OFFSET,
    seed: int | None = 0,
    raster: int = 0,
    rate_window: float | None = None,
    threads: int | None = None,
    progress: bool | None = None,
) -> xr.Dataset:
    """Simulate ``N`` coupled theta neurons per population, the microscopic model
    behind ``model``.

    Parameters
    ----------
    model : ThetaModel or Circuit, optional
        The mean-field model whose network is simulated (pulse shape, synapses,
        coupling, adaptation; see :mod:`thetabif.network_layout`); default: delta
        pulses, instant synapse, current coupling.
    params : mapping, optional
        Parameter values by name (defaults fill the rest); ``I_ext`` (``I_ext_P``) is
        the input when ``inputs`` does not give it.
    N : int or mapping
        Number of neurons of each population (>= 1), or, for a circuit, one number per
        population by name (``{"E": 8000, "I": 2000}``; see :func:`population_sizes`).
    t_end : float
        End time (> 0).
    dt : float
        Step of the exact scheme (> 0); inputs and synaptic drives are held constant
        over a step.
    dt_out : float
        Output spacing, an integer multiple of ``dt``. The output grid
        ``0, dt_out, 2 dt_out, ...`` is the one :func:`thetabif.simulate` uses.
    inputs : number, Protocol, (values, dt) or mapping, optional
        ``I_ext(t)`` as in :func:`thetabif.simulate` (a circuit: one per population,
        by population or parameter name, ``{"E": Protocol.step(20, 80, 3)}``); each
        step takes the value at its midpoint (exact when the protocol's switch times
        lie on the step grid).
    z0 : complex or mapping
        Initial order parameter (``|z0| <= 1``, not -1), one for all populations or
        one per population by name: the neurons start on the Ott-Antonsen manifold of
        ``z0`` (on the unit circle: all at one phase). Synaptic and adaptation states
        start at rest, at their targets, as in :func:`thetabif.simulate`.
    s0 : float, optional
        Initial synaptic drive (ThetaModel with a first-order synapse; default
        ``J p(z0)``).
    sampling : {"quantiles", "random"}
        ``eta_j`` from deterministic Lorentzian quantiles
        ``eta + Delta tan(pi (u_j - 1/2))`` (see :func:`lorentzian_quantiles`), or
        drawn at random.
    quantile_offset : float
        Node offset ``b`` of the quantiles, in (0, 1]; 1 gives the plain
        ``u_j = j / (N + 1)``, the default :data:`TAIL_OFFSET` removes the tail bias.
    seed : int or None
        Seed of the random draws (also of the initial-voltage order); the
        populations draw in turn from one generator.
    raster : int
        Number of neurons per population (evenly spaced in the excitability order)
        whose spikes are recorded; 0 for none.
    rate_window : float, optional
        Width of the centred window over which spike counts give ``r`` (default
        ``dt_out``; at least ``dt``).
    threads : int, optional
        numba threads. Default: all available for ``N >= 50000`` neurons in all, one
        below that, where a step is too short (< 0.3 ms) to pay for a barrier between
        threads (and on a loaded machine that barrier can cost milliseconds).
    progress : bool, optional
        Show a tqdm progress bar (default: when ``N * steps >= 1e9``).

    Returns
    -------
    xarray.Dataset
        Like :func:`thetabif.simulate`'s: coordinate ``time``; per population
        (suffix ``_P`` for a circuit's population ``P``, none for a ThetaModel):
        ``z`` (the network's ``Z = mean exp(i theta_j)``), ``r`` (spike counts per
        neuron in the window, divided by its width), ``r_from_z`` and ``v`` (``pi tau
        r + i v = (1 - conj Z)/(1 + conj Z)``), ``abs_z``, its input (``I_ext`` or
        ``I_ext_P``), its adaptation ``a_P`` if any, and per-step spike counts
        ``spike_count`` on coordinate ``step_time`` (step midpoints); per edge its
        synaptic drive (``s`` or ``s_TS``, held over the step); with ``raster``,
        ``spike_time`` and ``spike_neuron`` (step end time and excitability rank) on
        dimension ``spike`` (per population). attrs record the model, parameters, N,
        scheme and timing (``wall_time``, ``neuron_updates_per_s``).

    Raises
    ------
    ValueError
        Invalid model parameters, ``N``, times, sampling, seed, raster, threads or
        inputs; ``dt_out > t_end`` (nothing to integrate); a run that would need more
        memory than :func:`thetabif.simulation.memory_limit` allows (the message names
        the sizes and the memory).
    """
    model = model or ThetaModel()
    full = model.validate_params(params)
    sizes = population_sizes(model, N)
    _, t_end, dt, dt_out, every, window = _check_options(
        min(sizes), t_end, dt, dt_out, rate_window, sampling, seed, raster, threads)
    layout = network_layout(model, full)
    pops, edges = layout.populations, layout.edges
    n_pop, n_edge = len(pops), len(edges)
    n_out, n_steps = check_network_size(sizes, t_end, dt, dt_out, raster=int(raster),
                                        populations=n_pop, edges=n_edge)
    protocols = input_protocols(model, inputs, full)
    u0 = initial_state(model, full, z0, s0)  # validates z0 and s0
    zs = [complex(u0[i], u0[j]) for i, j in model.population_states]

    rng = np.random.default_rng(seed)
    setups = [_initial_population(n, pop, z, sampling, rng, int(raster), quantile_offset)
              for n, pop, z in zip(sizes, pops, zs, strict=True)]
    V = np.ascontiguousarray(np.concatenate([st.V for st in setups]))
    eta = np.ascontiguousarray(np.concatenate([st.eta for st in setups]))
    pop_start = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    n_r = np.array([len(st.sample) for st in setups], dtype=np.int64)
    r_start = np.concatenate([[0], np.cumsum(n_r)]).astype(np.int64)

    # per population: presynaptic activity at t = 0, the rate implied by Z, Z itself
    tau = np.array([pop.tau for pop in pops])
    n_pulse = np.array([pop.n or 0 for pop in pops], dtype=np.int64)
    a_n = np.array([float(pulse_coefficients(pop.n)[0]) if pop.n else 0.0 for pop in pops])
    p = np.empty(n_pop)
    rz = np.empty(n_pop)
    z_out = np.zeros((n_pop, n_out), dtype=complex)
    for q, (pop, z, st) in enumerate(zip(pops, zs, setups, strict=True)):
        if pop.n is None:  # mean-field r(z0): no step has run yet
            p[q] = max(complex(_w_of_z(z)).real, 0.0) / (math.pi * pop.tau)
        else:
            v2 = st.V * st.V
            p[q] = a_n[q] * float(np.mean((2 * v2 / (1 + v2)) ** pop.n)) / (math.pi * pop.tau)
        th = 2 * np.arctan(st.V)
        z_out[q, 0] = np.mean(np.cos(th)) + 1j * np.mean(np.sin(th))
        zz = z_out[q, 0]
        rz[q] = (1 - abs(zz) ** 2) / (math.pi * pop.tau * max(abs(1 + zz) ** 2, 1e-300))
    s = np.array([e.J * p[e.source] if e.s_state is None else float(u0[e.s_state])
                  for e in edges])
    u = np.array([0.0 if e.u_state is None else float(u0[e.u_state]) for e in edges])
    ad_on = np.array([pop.tau_a is not None for pop in pops])
    ad_alpha = np.array([pop.alpha for pop in pops])
    ad_decay = np.array([math.exp(-dt / pop.tau_a) if pop.tau_a else 0.0 for pop in pops])
    a = np.array([float(u0[pop.adaptation_state]) if pop.adaptation_state is not None
                  else 0.0 for pop in pops])
    e_arrays = (
        np.array([e.source for e in edges], dtype=np.int64),
        np.array([e.target for e in edges], dtype=np.int64),
        np.array([e.kind for e in edges], dtype=np.int64),
        np.array([e.J for e in edges]),
        np.array([e.coupling == "conductance" for e in edges], dtype=bool),
        np.array([e.v_s for e in edges]),
        np.array([e.propagator(dt) for e in edges]).reshape(n_edge, 2, 2),
    )

    t_mid = (np.arange(n_steps) + 0.5) * dt
    I_all = np.array([protocols[pop.input_name](t_mid) for pop in pops], dtype=float)
    I_all = I_all.reshape(n_pop, n_steps)
    counts = np.zeros((n_pop, n_steps), dtype=np.int64)
    s_steps = np.zeros((n_edge, n_steps))
    a_steps = np.zeros((n_pop, n_steps))

    n_all = int(sum(sizes))
    updates = float(n_all) * n_steps
    show = updates >= 1e9 if progress is None else bool(progress)
    # chunks of ~2e8 neuron-updates (~1 s) keep the bar moving and the overhead nil
    chunk = max(every, int(2e8 / n_all) // every * every)
    rows = min(chunk, n_steps) if r_start[-1] else 1
    raster_buf = np.zeros((rows, max(int(r_start[-1]), 1)), dtype=np.int32)
    spikes_t: list[np.ndarray] = []
    spikes_j: list[np.ndarray] = []

    old_threads = numba.get_num_threads()
    if threads is None and n_all < 50_000:
        threads = 1
    if threads is not None:
        numba.set_num_threads(threads)
    from tqdm.auto import tqdm

    start = _time.perf_counter()
    try:
        with tqdm(total=n_steps, disable=not show, unit="step", desc=f"network N={n_all}",
                  leave=False) as bar:
            done = 0
            while done < n_steps:
                m = min(chunk, n_steps - done)
                if r_start[-1]:
                    raster_buf[:m] = 0
                _run_chunk(V, eta, pop_start, dt / tau, n_pulse, a_n, 1.0 / (math.pi * tau),
                           I_all[:, done:done + m], ad_on, ad_alpha, ad_decay, *e_arrays,
                           s, u, p, rz, a, m, dt, every, done, counts, s_steps, a_steps,
                           z_out, raster_buf, r_start, n_r)
                if r_start[-1]:
                    kk, jj = np.nonzero(raster_buf[:m])
                    spikes_t.append((done + kk + 1) * dt)
                    spikes_j.append(np.stack([jj, raster_buf[kk, jj]]))
                done += m
                bar.update(m)
    finally:
        if threads is not None:
            numba.set_num_threads(old_threads)
    wall = _time.perf_counter() - start

    times = dt_out * np.arange(n_out)
    lo = np.searchsorted(t_mid, times - 0.5 * window, side="left")
    hi = np.searchsorted(t_mid, times + 0.5 * window, side="left")
    width = np.maximum(hi - lo, 1)
    data: dict[str, Any] = {}
    coords: dict[str, Any] = {"time": ("time", times, {"units": "tau"}),
                              "step_time": ("step_time", t_mid, {"units": "tau"})}
    st_all = np.concatenate(spikes_t) if spikes_t else np.zeros(0)
    sj_all = np.concatenate(spikes_j, axis=1) if spikes_j else np.zeros((2, 0), dtype=np.int64)
    for q, pop in enumerate(pops):
        tail, of = pop.suffix, f" of {pop.name}" if pop.name else ""
        # r: spikes in the centred window around each output time, per neuron and time
        cum = np.concatenate([[0], np.cumsum(counts[q])])
        r = (cum[hi] - cum[lo]) / (sizes[q] * dt * width)
        w = _w_of_z(z_out[q])
        data.update({
            f"z{tail}": ("time", z_out[q], {
                "long_name": f"network order parameter Z = mean exp(i theta_j){of}",
                "units": "1"}),
            f"r{tail}": ("time", r, {"long_name": f"firing rate from spike counts{of}",
                                     "window": window}),
            f"r_from_z{tail}": ("time", w.real / (math.pi * pop.tau),
                                {"long_name": f"firing rate implied by Z (Re W / (pi tau)){of}"}),
            f"v{tail}": ("time", w.imag,
                         {"long_name": f"mean membrane potential implied by Z (Im W){of}"}),
            f"abs_z{tail}": ("time", np.abs(z_out[q]), {"long_name": f"|Z|, synchrony{of}"}),
            pop.input_name: ("time", protocols[pop.input_name](times),
                             {"long_name": f"external input{of}"}),
            f"spike_count{tail}": ("step_time", counts[q],
                                   {"long_name": f"spikes in the step{of}"}),
        })
        if pop.tau_a is not None:  # a for a step after t_end: the carried value
            a_grid = np.concatenate([a_steps[q, ::every], [a[q]]])
            data[f"a_{pop.name}"] = ("time", a_grid, {"long_name": "adaptation (held over "
                                                                   "the step)"})
        if n_r[q]:
            sel = (sj_all[0] >= r_start[q]) & (sj_all[0] < r_start[q + 1])
            reps = sj_all[1, sel]
            data[f"spike_time{tail}"] = (f"spike{tail}", np.repeat(st_all[sel], reps),
                                         {"long_name": "end of the step of the spike"})
            data[f"spike_neuron{tail}"] = (
                f"spike{tail}", setups[q].sample[np.repeat(sj_all[0, sel] - r_start[q], reps)],
                {"long_name": "neuron index in excitability order"})
    for e_i, e in enumerate(edges):
        # the drive for a step after t_end
        s_end = e.J * p[e.source] if e.kind == 0 else s[e_i]
        s_grid = np.concatenate([s_steps[e_i, ::every], [s_end]])
        data[e.drive_name] = ("time", s_grid, {"long_name": "synaptic drive (held over "
                                                            "the step)"})
    attrs = {
        "model": model.name,
        "model_description": model.description,
        "model_options": json.dumps(model.record_options()),
        "parameters": json.dumps(full),
        "protocol": describe_inputs(protocols),
        # one size for all (an int), or the sizes by population (a JSON object)
        "N": sizes[0] if len(set(sizes)) == 1 else json.dumps(
            dict(zip(model.population_names, sizes, strict=True))),
        "populations": n_pop,
        "dt": dt,
        "sampling": sampling,
        "quantile_offset": quantile_offset if sampling == "quantiles" else float("nan"),
        "seed": -1 if seed is None else int(seed),
        "scheme": "exact QIF step (Riccati/Moebius), inputs and drives held over the step",
        "wall_time": wall,
        "neuron_updates_per_s": updates / wall if wall > 0 else float("nan"),
        "threads": threads or numba.get_num_threads(),
    }
    attrs.update({f"param_{k}": v for k, v in full.items()})
    return xr.Dataset(data, coords=coords, attrs=attrs)


def describe_inputs(protocols: Mapping[str, Protocol]) -> str:
    """The inputs in words, as :func:`thetabif.simulate` writes them."""
    if len(protocols) == 1:
        return next(iter(protocols.values())).describe()
    return "; ".join(f"{n}: {p.describe().removeprefix('I_ext = ')}"
                     for n, p in protocols.items())


# --------------------------------------------------------------- agreement
@dataclass
class NetworkComparison(Record):
    """Network against mean field: both time courses, errors over time and per phase.

    :meth:`save` writes :meth:`to_dict` as JSON (the time courses are datasets of their
    own: :func:`thetabif.save_dataset`); it is not loaded back.

    Attributes
    ----------
    network, mean_field : xarray.Dataset
        :func:`simulate_network` and :func:`thetabif.simulate` on the same grid.
    errors : xarray.Dataset
        Over ``time``, per population (suffix ``_P`` for a circuit):
        ``z_error = |Z - z|``, ``r_error = r_network - r_mean_field``.
    phases : list of dict
        Per input phase (the phases of the protocol; for a circuit the intervals on
        which every input is constant, named after the phases of its one varying
        protocol if only one varies) and, for a circuit, per population
        (``population``): ``name``, ``start``, ``stop``, ``I_ext`` (the population's
        input), ``r_network`` (all spikes in the phase per neuron and time),
        ``r_mean_field`` (time average), ``r_rel_error``, ``z_error_mean``.
    summary : dict
        ``N``, ``z_error_max``, ``z_error_mean``, ``r_error_rms`` (the largest over
        the populations), ``r_rel_error_max_phase``, ``neuron_updates_per_s``,
        ``wall_time``; for a circuit also ``populations``: the first three per
        population.
    model_options : dict
        The options of the model (``record_options``; from its name when not given).
    """

    network: xr.Dataset
    mean_field: xr.Dataset
    errors: xr.Dataset
    phases: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    model_options: dict[str, Any] = field(default_factory=dict)

    what: ClassVar[str] = "network comparison"

    def __post_init__(self) -> None:
        self.model_options = dict(self.model_options) or options_from_name(self.model)

    @property
    def model(self) -> str:
        """The model's name."""
        return self.network.attrs["model"]

    @property
    def params(self) -> dict[str, float]:
        """All parameters of both runs."""
        return json.loads(self.network.attrs["parameters"])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: model (name and options), parameters, protocol, summary and the
        per-phase table."""
        return {"model": self.model, "model_options": self.model_options,
                "params": self.params, "protocol": self.network.attrs["protocol"],
                "summary": self.summary, "phases": self.phases}


def input_phases(protocols: Mapping[str, Protocol], t_end: float
                 ) -> list[tuple[str, float, float, dict[str, float]]]:
    """``(name, start, stop, inputs)`` of the intervals of ``[0, t_end]`` on which every
    input is constant; names from the one protocol that varies (``phase k`` if several
    do)."""
    varying = [p for p in protocols.values() if p.breaks]
    if len(varying) <= 1:
        lead = varying[0] if varying else next(iter(protocols.values()))
        return [(ph.name, ph.start, ph.stop, {n: float(p(ph.start))
                                              for n, p in protocols.items()})
                for ph in lead.phases(0.0, t_end)]
    cuts = sorted({0.0, t_end} | {b for p in varying for b in p.breaks if 0.0 < b < t_end})
    return [(f"phase {k + 1}", a, b, {n: float(p(a)) for n, p in protocols.items()})
            for k, (a, b) in enumerate(zip(cuts[:-1], cuts[1:], strict=True))]


def compare_network(
    model: Model | None = None,
    params: Mapping[str, float] | None = None,
    *,
    N: int | Mapping[str, int] = 100_000,
    protocol: Inputs = None,
    t_end: float = 100.0,
    dt: float = 1e-3,
    dt_out: float = 0.01,
    z0: complex | Mapping[str, complex] = -0.6 - 0.8j,
    s0: float | None = None,
    sampling: str = "quantiles",
    seed: int | None = 0,
    skip: float = 0.0,
    **network_options: Any,
) -> NetworkComparison:
    """Simulate the network and its mean field under one protocol and compare them.

    Parameters
    ----------
    model, params, N, t_end, dt, dt_out, z0, s0, sampling, seed
        As in :func:`simulate_network` (``protocol`` is its ``inputs``: for a
        circuit, a mapping by population).
    skip : float
        Ignore ``t < skip`` in the time-course error summaries (``>= 0``).
    **network_options
        Passed on to :func:`simulate_network` (``raster``, ``threads``, ``progress``,
        ``rate_window``, ``quantile_offset``).

    Returns
    -------
    NetworkComparison
    """
    model = model or ThetaModel()
    full = model.validate_params(params)
    if not (math.isfinite(skip) and skip >= 0):
        raise InputError(f"skip must be finite and >= 0, got {skip!r}")
    # both runs are checked before the network starts (the mean field runs second)
    raster = network_options.get("raster", 0)
    raster = raster if isinstance(raster, int) and not isinstance(raster, bool) else 0
    n_out = output_samples(_check_pos("t_end", t_end), _check_pos("dt_out", dt_out),
                           dt_name="dt_out")
    layout = network_layout(model, full)
    sizes = population_sizes(model, N)
    check_network_size(sizes, t_end, dt, dt_out, raster=raster,
                       extra=simulation_memory(model, n_out), extra_what="and the mean field",
                       populations=len(layout.populations), edges=len(layout.edges))
    prots = input_protocols(model, protocol, full)
    net = simulate_network(model, full, N=N, t_end=t_end, dt=dt, dt_out=dt_out,
                           inputs=prots, z0=z0, s0=s0, sampling=sampling, seed=seed,
                           **network_options)
    mf = simulate(model, full, t_end=t_end, dt=dt_out, inputs=prots, z0=z0, s0=s0)
    times = net.time.to_numpy()
    keep = times >= skip
    t_mid = net.step_time.to_numpy()
    errors = xr.Dataset(coords={"time": net.time})
    phases: list[dict[str, Any]] = []
    per_pop: dict[str, dict[str, float]] = {}
    spans = input_phases(prots, float(times[-1]))
    for pop, n_pop in zip(layout.populations, sizes, strict=True):
        tail = pop.suffix
        z_err = np.abs(net[f"z{tail}"].to_numpy() - mf[f"z{tail}"].to_numpy())
        r_err = net[f"r{tail}"].to_numpy() - mf[f"r{tail}"].to_numpy()
        errors[f"z_error{tail}"] = ("time", z_err, {"long_name": "|Z - z|"})
        errors[f"r_error{tail}"] = ("time", r_err,
                                    {"long_name": "r_network - r_mean_field"})
        per_pop[pop.name] = {"z_error_max": float(np.max(z_err[keep])),
                             "z_error_mean": float(np.mean(z_err[keep])),
                             "r_error_rms": float(np.sqrt(np.mean(r_err[keep] ** 2)))}
        counts = net[f"spike_count{tail}"].to_numpy()
        r_mf = mf[f"r{tail}"].to_numpy()
        for name, start, stop, values in spans:
            in_steps = (t_mid >= start) & (t_mid < stop)
            length = in_steps.sum() * dt
            r_net = counts[in_steps].sum() / (n_pop * length) if length > 0 else float("nan")
            sel = (times >= start - 1e-9) & (times <= stop + 1e-9)
            r_mean = float(np.trapezoid(r_mf[sel], times[sel]) / (times[sel][-1] - times[sel][0])) \
                if sel.sum() > 1 else float("nan")
            row = {"name": name, "start": start, "stop": stop,
                   "I_ext": values[pop.input_name]}
            if pop.name:
                row = {"population": pop.name, **row}
            phases.append({**row, "r_network": float(r_net), "r_mean_field": r_mean,
                           "r_rel_error": float((r_net - r_mean) / r_mean),
                           "z_error_mean": float(np.mean(z_err[sel]))})
    summary: dict[str, Any] = {
        "N": sizes[0] if len(set(sizes)) == 1 else dict(
            zip(model.population_names, sizes, strict=True)),
        "dt": dt, "sampling": sampling,
        **{k: max(v[k] for v in per_pop.values())
           for k in ("z_error_max", "z_error_mean", "r_error_rms")},
        "r_rel_error_max_phase": float(max(abs(p["r_rel_error"]) for p in phases)),
        "neuron_updates_per_s": float(net.attrs["neuron_updates_per_s"]),
        "wall_time": float(net.attrs["wall_time"]),
    }
    if len(layout.populations) > 1:
        summary["populations"] = per_pop
    return NetworkComparison(net, mf, errors, phases, summary, model_options(model))


__all__ = ["SAMPLINGS", "NetworkComparison", "check_network_size", "compare_network",
           "describe_inputs", "input_phases", "lorentzian_quantiles", "network_memory",
           "simulate_network"]
