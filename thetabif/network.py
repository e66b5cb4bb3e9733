"""The spiking network behind the mean field: N theta neurons, simulated exactly.

Each neuron ``j`` is a theta neuron (design.md, section 1)::

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

The drive ``s`` is ``J p`` (instant synapse) or follows ``tau_s ds/dt = -s + J p``
(first-order synapse), where the presynaptic activity ``p`` is the network's own
firing rate (delta pulses: spikes per neuron per step divided by the step) or
``mean_j P_n(theta_j) / (pi tau)`` (pulses of sharpness ``n``), the two quantities
whose Ott-Antonsen averages are the mean field's ``r`` and ``H_n(z) / (pi tau)``.

The scheme
----------
Over one step ``dt`` the input ``I_ext`` and the drive ``s`` are held constant. Then
every neuron obeys a Riccati equation with constant coefficients,
``dV/dt' = V^2 - a V + b`` (``t' = t / tau``; ``a = s`` for conductance coupling, 0
otherwise), and completing the square, ``U = V - a/2``, ``c = b - a^2/4``, gives
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

Everything runs in one numba-compiled, ``prange``-parallel kernel; memory is
``O(N)`` (two float64 arrays), plus ``O(steps)`` for the per-step spike counts.
"""

from __future__ import annotations

import json
import math
import time as _time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numba
import numpy as np
import xarray as xr
from numba import njit, prange

from thetabif.errors import InputError
from thetabif.models import ThetaModel, pulse_coefficients
from thetabif.records import Record, model_options, options_from_name
from thetabif.simulation import (
    InputSpec,
    _as_protocol,
    check_memory,
    initial_state,
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
    V, eta, n_steps, h, dt, I_steps, carry, J, conductance, v_s, first_order, decay,
    n_pulse, a_n, p_scale, every, step0, counts, s_out, z_out, raster, n_raster,
):  # pragma: no cover - compiled
    """Advance the network by ``n_steps`` steps (see the module docstring).

    ``carry = [s, p, rz]``: the synaptic drive, the presynaptic activity to use next
    and the rate implied by Z now. Writes per-step spike counts and drive, and Z
    every ``every`` steps.
    """
    N = V.shape[0]
    inv_n = 1.0 / N
    s = carry[0]
    p = carry[1]
    rz = carry[2]
    for k in range(n_steps):
        if not first_order:
            s = J * p
        if conductance:
            shift = 0.5 * s
            base = I_steps[k] + s * v_s - shift * shift
        else:
            shift = 0.0
            base = I_steps[k] + s
        g = step0 + k
        record = (g + 1) % every == 0
        need_sums = True
        spikes = 0
        sc = 0.0
        ss = 0.0
        sp = 0.0
        for j in prange(N):
            u1, nk = _advance(V[j] - shift, eta[j] + base, h)
            v1 = u1 + shift
            if v1 > _V_MAX:
                v1 = _V_MAX
            elif v1 < -_V_MAX:
                v1 = -_V_MAX
            V[j] = v1
            spikes += nk
            if j < n_raster:
                raster[k, j] = nk
            if need_sums:
                q = v1 * v1
                inv = 1.0 / (1.0 + q)
                sc += (1.0 - q) * inv
                ss += 2.0 * v1 * inv
                if n_pulse > 0:
                    sp += (2.0 * q * inv) ** n_pulse
        counts[g] = spikes
        s_out[g] = s
        if record:
            z_out[(g + 1) // every] = complex(sc * inv_n, ss * inv_n)
        if n_pulse > 0:
            p_new = a_n * sp * inv_n * p_scale
            p_step = 0.5 * (p + p_new)
        else:
            # The spikes of this step measure r at its midpoint; the next step needs r
            # one step later. Without a correction that lag is an O(dt) error (4 % at
            # dt = 1e-2 under constant input 3). The change of the rate implied by Z,
            # (1 - |Z|^2) / (pi tau |1 + Z|^2), over the step supplies the slope; it is
            # clipped to +-r so that a near-synchronous Z ~ -1 cannot blow it up.
            p_step = spikes * inv_n / dt
            zr = sc * inv_n
            zi = ss * inv_n
            rz_new = (1.0 - zr * zr - zi * zi) / ((1.0 + zr) ** 2 + zi * zi + 1e-300) * p_scale
            corr = min(max(rz_new - rz, -p_step), p_step)
            rz = rz_new
            p_new = p_step + corr
        if first_order:
            s = s * decay + J * (1.0 - decay) * p_step
        p = p_new
    carry[0] = s
    carry[1] = p
    carry[2] = rz


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


def _check_n(N: Any) -> int:
    if isinstance(N, bool) or not isinstance(N, (int, np.integer)) or N < 1:
        raise InputError(f"N (number of neurons) must be an integer >= 1, got {N!r}")
    return int(N)


def _check_pos(name: str, value: Any) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {value!r}") from None
    if not (math.isfinite(x) and x > 0):
        raise InputError(f"{name} must be finite and > 0, got {value!r}")
    return x


def network_memory(N: int, n_steps: int, n_out: int, raster: int = 0) -> float:
    """Estimated peak memory of :func:`simulate_network`, in bytes.

    Per step 48 bytes (midpoint time, input, spike count, drive, cumulative count and
    a temporary), per output sample 128 (``Z``, the rates, ``v``, ``|Z|``, ``I_ext``,
    ``s``, window indices), per neuron 64 (excitability, voltage, their sampling and
    reordering); with ``raster``, 4 bytes per recorded neuron and step of the buffer
    (spikes themselves are not counted). Measured: 544 MB for 1e7 steps and 1e6
    samples, estimated 608 MB.
    """
    rows = min(n_steps, max(1, int(2e8 / max(N, 1)))) if raster else 0
    return 48.0 * n_steps + 128.0 * n_out + 64.0 * N + 4.0 * rows * raster


def check_network_size(N: int, t_end: float, dt: float, dt_out: float, *,
                       raster: int = 0, extra: float = 0.0, extra_what: str = ""
                       ) -> tuple[int, int]:
    """Refuse a network run that integrates nothing or would not fit in memory.

    ``extra`` bytes (``extra_what``, e.g. the mean field run alongside) are added to
    the network's estimate.

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
    N = _check_n(N)
    t_end, dt, dt_out = (_check_pos(k, v) for k, v in
                         (("t_end", t_end), ("dt", dt), ("dt_out", dt_out)))
    n_out = output_samples(t_end, dt_out, dt_name="dt_out")
    every = max(1, int(round(dt_out / dt)))
    n_steps = (n_out - 1) * every
    what = " " + extra_what if extra_what else ""
    check_memory(network_memory(N, n_steps, n_out, raster) + extra,
                 f"t_end={t_end:g} with dt={dt:g} and dt_out={dt_out:g} gives "
                 f"{n_steps:.3g} steps and {n_out:.3g} output samples for N={N}{what}",
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


def _initial_population(N: int, params: Mapping[str, float], z0: complex, sampling: str,
                        rng: np.random.Generator, n_raster: int, offset: float) -> _Setup:
    """Excitabilities and initial voltages on the Ott-Antonsen manifold of ``z0``.

    ``W0 = (1 - conj z0)/(1 + conj z0) = pi tau r0 + i v0``: the OA state is V
    Lorentzian with centre ``Im W0`` and half width ``Re W0``, independent of
    ``eta_j`` (a constant, hence analytic, function of eta). On the unit circle
    ``Re W0 = 0`` and every neuron starts at ``V = v0`` (the same phase).
    """
    if sampling == "quantiles":
        eta = lorentzian_quantiles(N, params["eta"], params["Delta"], offset)
        x = lorentzian_quantiles(N, 0.0, 1.0, offset)[rng.permutation(N)]
    else:
        eta = params["eta"] + params["Delta"] * rng.standard_cauchy(N)
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


def simulate_network(
    model: ThetaModel | None = None,
    params: Mapping[str, float] | None = None,
    *,
    N: int = 10_000,
    t_end: float = 100.0,
    dt: float = 1e-3,
    dt_out: float = 0.01,
    inputs: InputSpec = None,
    z0: complex = -0.6 - 0.8j,
    s0: float | None = None,
    sampling: str = "quantiles",
    quantile_offset: float = TAIL_OFFSET,
    seed: int | None = 0,
    raster: int = 0,
    rate_window: float | None = None,
    threads: int | None = None,
    progress: bool | None = None,
) -> xr.Dataset:
    """Simulate ``N`` coupled theta neurons, the microscopic model behind ``model``.

    Parameters
    ----------
    model : ThetaModel, optional
        The mean-field variant whose network is simulated (pulse shape, synapse,
        coupling); default: delta pulses, instant synapse, current coupling.
    params : mapping, optional
        Parameter values by name (defaults fill the rest); ``I_ext`` is the input
        when ``inputs`` is None.
    N : int
        Number of neurons (>= 1).
    t_end : float
        End time (> 0).
    dt : float
        Step of the exact scheme (> 0); input and synaptic drive are held constant
        over a step.
    dt_out : float
        Output spacing, an integer multiple of ``dt``. The output grid
        ``0, dt_out, 2 dt_out, ...`` is the one :func:`thetabif.simulate` uses.
    inputs : number, Protocol or (values, dt), optional
        ``I_ext(t)`` as in :func:`thetabif.simulate`; each step takes the value at its
        midpoint (exact when the protocol's switch times lie on the step grid).
    z0 : complex
        Initial order parameter (``|z0| <= 1``, not -1): the neurons start on the
        Ott-Antonsen manifold of ``z0`` (on the unit circle: all at one phase).
    s0 : float, optional
        Initial synaptic drive (first-order synapse; default ``J p(z0)``).
    sampling : {"quantiles", "random"}
        ``eta_j`` from deterministic Lorentzian quantiles
        ``eta + Delta tan(pi (u_j - 1/2))`` (see :func:`lorentzian_quantiles`), or
        drawn at random.
    quantile_offset : float
        Node offset ``b`` of the quantiles, in (0, 1]; 1 gives the plain
        ``u_j = j / (N + 1)``, the default :data:`TAIL_OFFSET` removes the tail bias.
    seed : int or None
        Seed of the random draws (also of the initial-voltage order).
    raster : int
        Number of neurons (evenly spaced in the excitability order) whose spikes
        are recorded; 0 for none.
    rate_window : float, optional
        Width of the centred window over which spike counts give ``r`` (default
        ``dt_out``; at least ``dt``).
    threads : int, optional
        numba threads. Default: all available for ``N >= 50000``, one below that,
        where a step is too short (< 0.3 ms) to pay for a barrier between threads
        (and on a loaded machine that barrier can cost milliseconds).
    progress : bool, optional
        Show a tqdm progress bar (default: when ``N * steps >= 1e9``).

    Returns
    -------
    xarray.Dataset
        Like :func:`thetabif.simulate`'s: coordinate ``time``; ``z`` (the network's
        ``Z = mean exp(i theta_j)``), ``r`` (spike counts per neuron in the window,
        divided by its width), ``r_from_z`` and ``v`` (``pi tau r + i v =
        (1 - conj Z)/(1 + conj Z)``), ``abs_z``, ``I_ext``, ``s`` (synaptic drive);
        per-step spike counts ``spike_count`` on coordinate ``step_time`` (step
        midpoints); with ``raster``, ``spike_time`` and ``spike_neuron`` (step end
        time and excitability rank) on dimension ``spike``. attrs record the model,
        parameters, N, scheme and timing (``wall_time``, ``neuron_updates_per_s``).

    Raises
    ------
    ValueError
        Invalid model parameters, ``N``, times, sampling, seed, raster or threads;
        ``dt_out > t_end`` (nothing to integrate); a run that would need more memory
        than :func:`thetabif.simulation.memory_limit` allows (the message names the
        sizes and the memory).
    """
    model = model or ThetaModel()
    full = model.validate_params(params)
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
    n_out, n_steps = check_network_size(N, t_end, dt, dt_out, raster=int(raster))
    protocol = _as_protocol(inputs, full["I_ext"])
    u0 = initial_state(model, full, z0, s0)  # validates z0 and s0
    z0 = complex(u0[0], u0[1])
    tau = full["tau"]

    rng = np.random.default_rng(seed)
    setup = _initial_population(N, full, z0, sampling, rng, int(raster), quantile_offset)
    V, eta = setup.V, setup.eta
    n_r = len(setup.sample)

    # presynaptic activity at t = 0 and the coupling constants
    if model.n is None:
        n_pulse, a_n = 0, 0.0
        w0 = complex(_w_of_z(z0))
        p0 = max(w0.real, 0.0) / (math.pi * tau)  # mean-field r(z0): no step has run yet
    else:
        n_pulse = model.n
        a_n = float(pulse_coefficients(model.n)[0])
        q = V * V
        p0 = a_n * float(np.mean((2 * q / (1 + q)) ** n_pulse)) / (math.pi * tau)
    first = model.synapse == "first-order"
    z_out = np.zeros(n_out, dtype=complex)
    z_out[0] = np.mean(np.cos(2 * np.arctan(V))) + 1j * np.mean(np.sin(2 * np.arctan(V)))
    zz = z_out[0]
    rz0 = (1 - abs(zz) ** 2) / (math.pi * tau * max(abs(1 + zz) ** 2, 1e-300))
    carry = np.array([float(u0[2]) if first else full["J"] * p0, p0, rz0])
    decay = math.exp(-dt / full["tau_s"]) if first else 0.0
    conductance = model.coupling == "conductance"
    v_s = full.get("v_s", 0.0)

    t_mid = (np.arange(n_steps) + 0.5) * dt
    I_all = np.ascontiguousarray(protocol(t_mid), dtype=float)
    counts = np.zeros(n_steps, dtype=np.int64)
    s_steps = np.zeros(n_steps)

    updates = float(N) * n_steps
    show = updates >= 1e9 if progress is None else bool(progress)
    # chunks of ~2e8 neuron-updates (~1 s) keep the bar moving and the overhead nil
    chunk = max(every, int(2e8 / N) // every * every)
    rows = min(chunk, n_steps) if n_r else 1
    raster_buf = np.zeros((rows, max(n_r, 1)), dtype=np.int32)
    spikes_t: list[np.ndarray] = []
    spikes_j: list[np.ndarray] = []

    old_threads = numba.get_num_threads()
    if threads is None and N < 50_000:
        threads = 1
    if threads is not None:
        numba.set_num_threads(threads)
    from tqdm.auto import tqdm

    start = _time.perf_counter()
    try:
        with tqdm(total=n_steps, disable=not show, unit="step", desc=f"network N={N}",
                  leave=False) as bar:
            done = 0
            while done < n_steps:
                m = min(chunk, n_steps - done)
                if n_r:
                    raster_buf[:m] = 0
                _run_chunk(V, eta, m, dt / tau, dt, I_all[done:done + m], carry,
                           full["J"], conductance, v_s, first, decay, n_pulse, a_n,
                           1.0 / (math.pi * tau), every, done, counts, s_steps, z_out,
                           raster_buf, n_r)
                if n_r:
                    kk, jj = np.nonzero(raster_buf[:m])
                    reps = raster_buf[kk, jj]
                    spikes_t.append(np.repeat((done + kk + 1) * dt, reps))
                    spikes_j.append(np.repeat(jj, reps))
                done += m
                bar.update(m)
    finally:
        if threads is not None:
            numba.set_num_threads(old_threads)
    wall = _time.perf_counter() - start

    times = dt_out * np.arange(n_out)
    # r: spikes in the centred window around each output time, per neuron and time
    cum = np.concatenate([[0], np.cumsum(counts)])
    lo = np.searchsorted(t_mid, times - 0.5 * window, side="left")
    hi = np.searchsorted(t_mid, times + 0.5 * window, side="left")
    width = np.maximum(hi - lo, 1)
    r = (cum[hi] - cum[lo]) / (N * dt * width)
    s_end = carry[0] if first else full["J"] * carry[1]  # drive for a step after t_end
    s_grid = np.concatenate([s_steps[::every], [s_end]])
    w = _w_of_z(z_out)
    data: dict[str, Any] = {
        "z": ("time", z_out, {"long_name": "network order parameter Z = mean exp(i theta_j)",
                              "units": "1"}),
        "r": ("time", r, {"long_name": "firing rate from spike counts",
                          "window": window}),
        "r_from_z": ("time", w.real / (math.pi * tau),
                     {"long_name": "firing rate implied by Z (Re W / (pi tau))"}),
        "v": ("time", w.imag, {"long_name": "mean membrane potential implied by Z (Im W)"}),
        "abs_z": ("time", np.abs(z_out), {"long_name": "|Z|, synchrony"}),
        "I_ext": ("time", protocol(times), {"long_name": "external input"}),
        "s": ("time", s_grid, {"long_name": "synaptic drive (held over the step)"}),
        "spike_count": ("step_time", counts, {"long_name": "spikes in the step"}),
    }
    coords: dict[str, Any] = {"time": ("time", times, {"units": "tau"}),
                              "step_time": ("step_time", t_mid, {"units": "tau"})}
    if n_r:
        st = np.concatenate(spikes_t) if spikes_t else np.zeros(0)
        sj = np.concatenate(spikes_j) if spikes_j else np.zeros(0, dtype=np.int64)
        data["spike_time"] = ("spike", st, {"long_name": "end of the step of the spike"})
        data["spike_neuron"] = ("spike", setup.sample[sj],
                                {"long_name": "neuron index in excitability order"})
    attrs = {
        "model": model.name,
        "model_description": model.description,
        "parameters": json.dumps(full),
        "protocol": protocol.describe(),
        "N": N,
        "dt": dt,
        "sampling": sampling,
        "quantile_offset": quantile_offset if sampling == "quantiles" else float("nan"),
        "seed": -1 if seed is None else int(seed),
        "scheme": "exact QIF step (Riccati/Moebius), input held over the step",
        "wall_time": wall,
        "neuron_updates_per_s": updates / wall if wall > 0 else float("nan"),
        "threads": threads or numba.get_num_threads(),
    }
    attrs.update({f"param_{k}": v for k, v in full.items()})
    return xr.Dataset(data, coords=coords, attrs=attrs)


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
        Over ``time``: ``z_error = |Z - z|``, ``r_error = r_network - r_mean_field``.
    phases : list of dict
        Per protocol phase: ``name``, ``start``, ``stop``, ``I_ext``, ``r_network``
        (all spikes in the phase per neuron and time), ``r_mean_field`` (time average),
        ``r_rel_error``, ``z_error_mean``.
    summary : dict
        ``N``, ``z_error_max``, ``z_error_mean``, ``r_error_rms``,
        ``r_rel_error_max_phase``, ``neuron_updates_per_s``, ``wall_time``.
    model_options : dict
        The options of the model (n, synapse, coupling; from its name when not given).
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


def compare_network(
    model: ThetaModel | None = None,
    params: Mapping[str, float] | None = None,
    *,
    N: int = 100_000,
    protocol: InputSpec = None,
    t_end: float = 100.0,
    dt: float = 1e-3,
    dt_out: float = 0.01,
    z0: complex = -0.6 - 0.8j,
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
        As in :func:`simulate_network` (``protocol`` is its ``inputs``).
    skip : float
        Ignore ``t < skip`` in the time-course error summaries (``>= 0``).
    **network_options
        Passed on to :func:`simulate_network` (``raster``, ``threads``, ``progress``,
        ``rate_window``).

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
    check_network_size(N, t_end, dt, dt_out, raster=raster,
                       extra=simulation_memory(model, n_out), extra_what="and the mean field")
    prot = _as_protocol(protocol, full["I_ext"])
    net = simulate_network(model, full, N=N, t_end=t_end, dt=dt, dt_out=dt_out,
                           inputs=prot, z0=z0, s0=s0, sampling=sampling, seed=seed,
                           **network_options)
    mf = simulate(model, full, t_end=t_end, dt=dt_out, inputs=prot, z0=z0, s0=s0)
    times = net.time.to_numpy()
    z_err = np.abs(net.z.to_numpy() - mf.z.to_numpy())
    r_err = net.r.to_numpy() - mf.r.to_numpy()
    errors = xr.Dataset({"z_error": ("time", z_err, {"long_name": "|Z - z|"}),
                         "r_error": ("time", r_err, {"long_name": "r_network - r_mean_field"})},
                        coords={"time": net.time})
    keep = times >= skip
    phases = []
    counts = net.spike_count.to_numpy()
    t_mid = net.step_time.to_numpy()
    r_mf = mf.r.to_numpy()
    for ph in prot.phases(0.0, float(times[-1])):
        in_steps = (t_mid >= ph.start) & (t_mid < ph.stop)
        length = in_steps.sum() * dt
        r_net = counts[in_steps].sum() / (N * length) if length > 0 else float("nan")
        sel = (times >= ph.start - 1e-9) & (times <= ph.stop + 1e-9)
        r_mean = float(np.trapezoid(r_mf[sel], times[sel]) / (times[sel][-1] - times[sel][0])) \
            if sel.sum() > 1 else float("nan")
        phases.append({"name": ph.name, "start": ph.start, "stop": ph.stop, "I_ext": ph.value,
                       "r_network": float(r_net), "r_mean_field": r_mean,
                       "r_rel_error": float((r_net - r_mean) / r_mean),
                       "z_error_mean": float(np.mean(z_err[sel]))})
    summary = {
        "N": N, "dt": dt, "sampling": sampling,
        "z_error_max": float(np.max(z_err[keep])),
        "z_error_mean": float(np.mean(z_err[keep])),
        "r_error_rms": float(np.sqrt(np.mean(r_err[keep] ** 2))),
        "r_rel_error_max_phase": float(max(abs(p["r_rel_error"]) for p in phases)),
        "neuron_updates_per_s": float(net.attrs["neuron_updates_per_s"]),
        "wall_time": float(net.attrs["wall_time"]),
    }
    return NetworkComparison(net, mf, errors, phases, summary, model_options(model))


__all__ = ["SAMPLINGS", "NetworkComparison", "check_network_size", "compare_network",
           "lorentzian_quantiles", "network_memory", "simulate_network"]
