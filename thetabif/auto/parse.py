"""Parsers for AUTO-07p's files: constants (``fort.2``), ``fort.7``, ``fort.8``, ``fort.9``.

This module owns the text formats.  It turns raw file texts into the records of
:mod:`thetabif.auto.records` and does not run anything.  It is written from the
AUTO-07p manual and from the files AUTO 0.9.2 writes; it does not use AUTO's own
Python parsers (``parseS.py`` breaks with numpy >= 1.25).

Numbers: Fortran writes numbers such as ``-0.123456789E+01`` and, when a
three-digit exponent does not fit the format, ``1.00000-100`` (no ``E``);
:func:`fortran_float` and :func:`numbers` read both.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from .records import BranchData, Point, Solution, type_code

__all__ = [
    "NameMap",
    "Diagnostics",
    "fortran_float",
    "numbers",
    "parse_constants",
    "parse_fort7",
    "parse_fort8",
    "parse_fort9",
    "output_messages",
]

_NUM_RE = re.compile(
    r"[-+]?(?:(?:\d+\.\d*|\.\d+|\d+)(?:[EeDd][-+]?\d+|[-+]\d{2,})?|nan|inf(?:inity)?)",
    re.IGNORECASE,
)
_NOE_EXP_RE = re.compile(r"(?<=[\d.])([-+]\d+)$")


def fortran_float(token: str) -> float:
    """Convert one Fortran-formatted number to float.

    Parameters
    ----------
    token : str
        E.g. ``"-0.12E+01"``, ``"1.0D-3"``, ``"1.00000-100"``, ``"NaN"``.

    Returns
    -------
    float

    Examples
    --------
    >>> fortran_float("1.0-100"), fortran_float("-2.5D+02"), fortran_float("3.0E+000")
    (1e-100, -250.0, 3.0)
    """
    s = token.strip().replace("D", "E").replace("d", "e")
    try:
        return float(s)
    except ValueError:
        fixed = _NOE_EXP_RE.sub(r"E\1", s)
        return float(fixed)


def numbers(text: str) -> list[float]:
    """Return all numbers in a line of Fortran output, even if they run together.

    Parameters
    ----------
    text : str
        E.g. ``" 1.0E+00-2.0E+00  3.0-100"``.

    Returns
    -------
    list of float
    """
    return [fortran_float(m) for m in _NUM_RE.findall(text)]


# ---------------------------------------------------------------------------
# constants files
# ---------------------------------------------------------------------------

_KEY_RE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*")


def _strip_comments(text: str) -> str:
    out = []
    for line in text.splitlines():
        quote = None
        for i, ch in enumerate(line):
            if quote:
                if ch == quote:
                    quote = None
            elif ch in "'\"":
                quote = ch
            elif ch in "#!":
                line = line[:i]
                break
        out.append(line)
    return "\n".join(out)


def _scan_value(text: str, pos: int) -> tuple[str, int]:
    """Return the raw text of one value starting at ``pos`` and the end position."""
    depth = 0
    quote = None
    i = pos
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
        elif depth == 0 and ch in ",\n":
            break
        i += 1
    return text[pos:i].strip(), i


def _convert(raw: str) -> Any:
    if not raw:
        return None
    try:
        return ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        pass
    try:
        return int(raw)
    except ValueError:
        pass
    try:
        return fortran_float(raw)
    except ValueError:
        return raw.strip("'\"")


def parse_constants(text: str) -> dict[str, Any]:
    """Read a keyword-style AUTO constants file (``c.NAME`` / ``fort.2``).

    AUTO-07p 0.9 reads files such as::

        parnames = {1: 'eta', 11: 'period'}
        unames = {1: 'r', 2: 'v'}
        NDIM= 2, IPS = 1, IRS = 0, ILP = 1
        ICP = ['eta']
        UZSTOP = {'eta': 10.0}

    directly; this function only needs to understand them to learn the names of
    parameters and states.  Old-style numeric constants files (lines of bare
    numbers) contain no names and give an empty dictionary.

    Parameters
    ----------
    text : str
        The file's text.

    Returns
    -------
    dict
        Key -> Python value (dicts, lists, numbers, strings).
    """
    text = _strip_comments(text)
    result: dict[str, Any] = {}
    pos = 0
    n = len(text)
    while pos < n:
        m = _KEY_RE.match(text, pos)
        if m is None:
            # skip to the next separator (unparseable or old-style numeric line)
            nxt = min((i for i in (text.find(",", pos), text.find("\n", pos)) if i >= 0), default=n)
            pos = nxt + 1
            continue
        raw, end = _scan_value(text, m.end())
        result[m.group(1)] = _convert(raw)
        pos = end + 1
    return result


def _index_map(value: Any) -> dict[int, str]:
    out: dict[int, str] = {}
    if isinstance(value, Mapping):
        items = value.items()
    elif isinstance(value, (list, tuple)):
        items = (tuple(v) for v in value if isinstance(v, (list, tuple)) and len(v) == 2)
    else:
        return out
    for k, v in items:
        try:
            out[int(k)] = str(v)
        except (TypeError, ValueError):
            continue
    return out


@dataclass(frozen=True)
class NameMap:
    """How to name parameters and states.

    Attributes
    ----------
    parameters : Mapping[int, str]
        Caller's names, ``PAR(i)`` index -> name (take precedence).
    states : Mapping[int, str]
        Caller's names, ``U(i)`` index -> name.
    auto_parameters : Mapping[int, str]
        ``parnames`` from the constants file: the labels AUTO itself prints.
    auto_states : Mapping[int, str]
        ``unames`` from the constants file.
    extremes : Mapping[int, tuple[str, str]]
        ``PAR(i)`` index -> ``(state name, "max" | "min")``: parameters in which the
        equation file's ``PVLS`` stores a state's maximum or minimum over the solution
        (an equilibrium's state itself). Listed in ``ICP``, their columns in
        ``fort.7`` become state columns (:attr:`Point.state`, :attr:`Point.state_min`).
    """

    parameters: Mapping[int, str] = field(default_factory=dict)
    states: Mapping[int, str] = field(default_factory=dict)
    auto_parameters: Mapping[int, str] = field(default_factory=dict)
    auto_states: Mapping[int, str] = field(default_factory=dict)
    extremes: Mapping[int, tuple[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("parameters", "states", "auto_parameters", "auto_states"):
            val = {int(k): str(v) for k, v in dict(getattr(self, name)).items()}
            object.__setattr__(self, name, MappingProxyType(val))
        ext = {int(k): (str(n), str(w)) for k, (n, w) in dict(self.extremes).items()}
        bad = sorted({w for _, w in ext.values()} - {"max", "min"})
        if bad:
            raise ValueError(f"extremes must be 'max' or 'min', got {bad}")
        object.__setattr__(self, "extremes", MappingProxyType(ext))

    @classmethod
    def build(
        cls,
        constants: str | None = None,
        par_names: Mapping[int, str] | None = None,
        state_names: Mapping[int, str] | None = None,
        extremes: Mapping[int, tuple[str, str]] | None = None,
    ) -> NameMap:
        """Combine the caller's names with ``parnames``/``unames`` of a constants file."""
        c = parse_constants(constants) if constants else {}
        return cls(
            parameters=dict(par_names or {}),
            states=dict(state_names or {}),
            auto_parameters=_index_map(c.get("parnames")),
            auto_states=_index_map(c.get("unames")),
            extremes=dict(extremes or {}),
        )

    def par_name(self, i: int) -> str:
        """Name of ``PAR(i)``: caller's, else the constants file's, else ``PAR(i)``."""
        return self.parameters.get(i) or self.auto_parameters.get(i) or f"PAR({i})"

    def state_name(self, i: int) -> str:
        """Name of ``U(i)``: caller's, else the constants file's, else ``U(i)``."""
        return self.states.get(i) or self.auto_states.get(i) or f"U({i})"


_PAR_LABEL = re.compile(r"PAR\((\d+)\)")
_U_LABEL = re.compile(r"U\((\d+)\)")
_MEASURES = {"MAX": "max", "MIN": "min", "INTEGRAL": "integral"}


def _classify_column(label: str, names: NameMap) -> tuple[str, str, str]:
    """Return (kind, name, measure); kind in par/state/norm/extra/extreme (a state's
    maximum or minimum stored in a parameter, :attr:`NameMap.extremes`: measure
    ``max`` or ``min``)."""
    if label.upper() == "L2-NORM":
        return "norm", label, ""
    measure = "value"
    body = label
    head, _, rest = label.partition(" ")
    if rest and head.upper() in _MEASURES:
        measure, body = _MEASURES[head.upper()], rest.strip()
    rev_par = {v: k for k, v in names.auto_parameters.items()}
    rev_u = {v: k for k, v in names.auto_states.items()}
    m = _U_LABEL.fullmatch(body)
    if m:
        return "state", names.state_name(int(m.group(1))), measure
    if body in rev_u:
        return "state", names.state_name(rev_u[body]), measure
    if measure == "value":
        m = _PAR_LABEL.fullmatch(body)
        index = int(m.group(1)) if m else rev_par.get(body)
        if index is not None:
            if index in names.extremes:
                state, what = names.extremes[index]
                return "extreme", state, what
            return "par", names.par_name(index), ""
    return "extra", label, ""


# ---------------------------------------------------------------------------
# fort.9
# ---------------------------------------------------------------------------

_SPECTRUM_RE = re.compile(
    r"^[ \t]*(-?\d+)[ \t]+(-?\d+)[ \t]+(Eigenvalue|Multiplier)[ \t]+(\d+)[ \t]*:?(.*)$",
    re.MULTILINE,
)
_BR_PT_RE = re.compile(r"^-?\d+\s+-?\d+\s+")
_MSG_RE = re.compile(
    r"NOTE\s*:|WARNING|\*\*\*|No convergence|not found|Unknown|error|Error|ERROR|"
    r"Starting direction|too small|failed|Failed|\bSTOP\b",
)


@dataclass(frozen=True)
class Diagnostics:
    """What :func:`parse_fort9` extracts from ``fort.9``.

    Attributes
    ----------
    eigenvalues : Mapping[tuple[int, int], numpy.ndarray]
        ``(branch, point) -> complex eigenvalues`` (equilibria).
    multipliers : Mapping[tuple[int, int], numpy.ndarray]
        ``(branch, point) -> complex Floquet multipliers`` (periodic orbits).
    messages : tuple of str
        AUTO's notes and error messages, in order, de-duplicated.
    """

    eigenvalues: Mapping[tuple[int, int], np.ndarray]
    multipliers: Mapping[tuple[int, int], np.ndarray]
    messages: tuple[str, ...]


def _complex_pair(rest: str) -> complex | None:
    toks = rest.split(None, 2)
    if len(toks) >= 2:
        try:  # the common case: two blank-separated numbers with an E exponent
            return complex(float(toks[0]), float(toks[1]))
        except ValueError:
            pass
    vals = numbers(rest)
    if len(vals) < 2:
        return None
    return complex(vals[0], vals[1])


#: Literal parts of :data:`_MSG_RE`: a line can only match if it holds one of them.
_MSG_LITERALS = ("NOTE", "WARNING", "***", "No convergence", "not found", "Unknown", "error",
                 "Error", "ERROR", "Starting direction", "too small", "failed", "Failed",
                 "STOP")


def _message_lines(text: str) -> list[str]:
    """Lines of ``text`` that hold a message (not spectra), each once, in file order.

    Runaway runs repeat the same lines millions of times, so the distinct lines are
    collected first. Messages are rare: only the lines holding one of
    :data:`_MSG_LITERALS` (found by substring search) are tested with the regex.
    """
    present = [lit for lit in _MSG_LITERALS if lit in text]
    if not present:
        return []
    unique = "\n".join(dict.fromkeys(text.splitlines()))
    starts: set[int] = set()
    for lit in present:
        pos = unique.find(lit)
        while pos >= 0:
            start = unique.rfind("\n", 0, pos) + 1
            starts.add(start)
            end = unique.find("\n", pos)
            if end < 0:
                break
            pos = unique.find(lit, end)
    found = []
    for start in sorted(starts):
        end = unique.find("\n", start)
        line = unique[start:] if end < 0 else unique[start:end]
        if ("Eigenvalue " not in line and "Multiplier " not in line
                and _MSG_RE.search(line)):
            found.append(line)
    return found


def parse_fort9(text: str, points: Collection[tuple[int, int]] | None = None
                ) -> Diagnostics:
    """Parse AUTO's diagnostics file ``fort.9``.

    Eigenvalue lines look like ``   1    12         Eigenvalue  1:  -2.0E+00  0.0E+00``
    and Floquet multipliers like
    ``   2     5         Multiplier  2    9.9E-01   0.0E+00  Abs. Val.   9.9E-01``.
    When AUTO prints the spectrum of a point more than once (e.g. while locating a
    bifurcation), the last printout wins: it belongs to the accepted point.

    Parameters
    ----------
    text : str
        Contents of ``fort.9``.
    points : collection of (int, int), optional
        ``(branch, point)`` (absolute values) of the points whose spectra are wanted;
        default: every point's.

    Returns
    -------
    Diagnostics
    """
    spectra = _spectra_fast(text, points)
    if spectra is None:  # numbers or lines the fast path does not read
        spectra = _spectra_by_regex(text, points)
    eig, mult = spectra
    messages: list[str] = []
    seen: set[str] = set()
    for line in _message_lines(text):
        msg = " ".join(line.split())
        msg = _BR_PT_RE.sub("", msg)  # drop the BR PT prefix
        msg = msg.replace("NOTE:", "NOTE: ").replace("  ", " ")
        if msg not in seen:
            seen.add(msg)
            messages.append(msg)
    return Diagnostics(eigenvalues=MappingProxyType(eig), multipliers=MappingProxyType(mult),
                       messages=tuple(messages))


Spectra = dict[tuple[int, int], np.ndarray]


def _spectra_by_regex(text: str, points: Collection[tuple[int, int]] | None = None
                      ) -> tuple[Spectra, Spectra]:
    """Eigenvalues and multipliers of ``fort.9`` by ``(branch, point)`` (those of
    ``points`` only, when given), line by line (any number format :func:`numbers`
    reads)."""
    eig: dict[tuple[int, int], list[complex]] = {}
    mult: dict[tuple[int, int], list[complex]] = {}
    for br, pt, what, index, rest in _SPECTRUM_RE.findall(text):
        target = eig if what == "Eigenvalue" else mult
        key = (abs(int(br)), abs(int(pt)))
        if points is not None and key not in points:
            continue
        val = _complex_pair(rest)
        if val is None:
            continue
        if int(index) == 1 or key not in target:
            target[key] = []
        target[key].append(val)
    return ({k: np.array(v, complex) for k, v in eig.items()},
            {k: np.array(v, complex) for k, v in mult.items()})


#: The spectrum lines as AUTO 0.9 writes them: ``BR PT Eigenvalue I: RE IM`` and
#: ``BR PT Multiplier I RE IM Abs. Val. ABS``; the words and the colon dropped, the
#: numbers in each (``BR PT I RE IM [ABS]``).
_SPECTRUM_LAYOUT = {"Eigenvalue ": (("Eigenvalue", ":"), 5),
                    "Multiplier ": (("Multiplier", "Abs. Val."), 6)}


def _spectra_fast(text: str, points: Collection[tuple[int, int]] | None = None
                  ) -> tuple[Spectra, Spectra] | None:
    """What :func:`_spectra_by_regex` reads, by numpy at once: the spectrum lines
    without their words, converted together. None when they do not have the layout of
    :data:`_SPECTRUM_LAYOUT` (the regex reads them then): the same count of numbers on
    every line, integers where they belong, E-exponent numbers throughout."""
    lines = text.splitlines()
    out = []
    for word, (drop, width) in _SPECTRUM_LAYOUT.items():
        mine = [ln for ln in lines if word in ln]
        if points is not None:
            mine = _lines_of(mine, word, points)
            if mine is None:
                return None
        if not mine:
            out.append({})
            continue
        joined = " ".join(mine)
        for w in drop:
            joined = joined.replace(w, " ")
        toks = joined.split()
        if len(toks) != width * len(mine):
            return None
        try:
            table = np.array(toks, dtype=float).reshape(len(mine), width)
        except ValueError:  # D exponents, 1.0-100, words
            return None
        head = table[:, :3]
        if not (np.all(head == np.round(head)) and np.all(head[:, 2] >= 1)):
            return None
        out.append(_group_spectra(np.abs(head).astype(np.int64),
                                  table[:, 3] + 1j * table[:, 4]))
    return out[0], out[1]


def _lines_of(lines: list[str], word: str, points: Collection[tuple[int, int]]
              ) -> list[str] | None:
    """The spectrum ``lines`` of ``points``: those whose text before ``word`` reads
    ``BR PT`` of one of them (a point's lines share that text, read once); None when a
    line has no such two integers there."""
    wanted: dict[str, bool] = {}
    out = []
    for ln in lines:
        head = ln[:ln.index(word)]
        keep = wanted.get(head)
        if keep is None:
            toks = head.split()
            if len(toks) != 2:
                return None
            try:
                keep = wanted[head] = (abs(int(toks[0])), abs(int(toks[1]))) in points
            except ValueError:
                return None
        if keep:
            out.append(ln)
    return out


def _group_spectra(head: np.ndarray, vals: np.ndarray) -> Spectra:
    """Spectra by ``(branch, point)`` from rows (branch, point, index) and values, as
    :func:`_spectra_by_regex` groups them: a row of index 1 starts a new printout of its
    point (the last printout wins), other rows add to their point's."""
    key_change = np.any(head[1:, :2] != head[:-1, :2], axis=1)
    starts = np.flatnonzero(np.concatenate([[True], key_change | (head[1:, 2] == 1)]))
    ends = np.append(starts[1:], len(head))
    found: dict[tuple[int, int], np.ndarray] = {}
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        key = (int(head[a, 0]), int(head[a, 1]))
        if head[a, 2] == 1 or key not in found:
            found[key] = vals[a:b]
        else:
            found[key] = np.concatenate([found[key], vals[a:b]])
    return found


def output_messages(stdout: str) -> tuple[str, ...]:
    """Return the lines of AUTO's standard output that are messages, not table rows.

    AUTO echoes the bifurcation table to standard output; anything else it prints
    there (e.g. ``Restart label 5 not found`` or ``Unknown AUTO constant ...``) is
    a message about the run.
    """
    out: list[str] = []
    for line in stdout.splitlines():
        s = line.strip()
        if not s or s.startswith("BR ") or s.startswith("Total Time"):
            continue
        toks = s.split()
        if len(toks) >= 4 and all(re.fullmatch(r"-?\d+", t) for t in toks[:2]):
            continue  # a table row: BR PT TY LAB ...
        msg = " ".join(toks)
        if msg not in out:
            out.append(msg)
    return tuple(out)


# ---------------------------------------------------------------------------
# fort.7
# ---------------------------------------------------------------------------

_PREFIX_WIDTH = 19  # "%4d%6d%4d%5d": BR, PT, TY, LAB


def _header_labels(header: str | None, dataline: str, ncols: int) -> list[str]:
    labels: list[str] = []
    if header is not None and " PT " in header and ncols > 0:
        width = (len(dataline.rstrip()) - _PREFIX_WIDTH) // ncols
        if width > 0:
            for k in range(ncols):
                start = _PREFIX_WIDTH + k * width
                labels.append(header[start : start + width].strip())
    if len(labels) != ncols or any(not lab for lab in labels):
        labels = [f"COLUMN({k + 1})" for k in range(ncols)]
    # make duplicates unique
    seen: dict[str, int] = {}
    unique = []
    for lab in labels:
        if lab in seen:
            seen[lab] += 1
            unique.append(f"{lab}#{seen[lab]}")
        else:
            seen[lab] = 0
            unique.append(lab)
    return unique


def _make_branch(
    raw_br: int,
    rows: list[tuple[int, int, int, int, list[float]]],
    labels: list[str],
    names: NameMap,
    diag: Diagnostics | None,
) -> BranchData:
    kinds = [_classify_column(lab, names) for lab in labels]
    # Column positions of each kind, worked out once per branch. The first column
    # of a name wins for parameters and states, the last for extras (as when the
    # dicts were filled column by column).
    par_cols: dict[str, int] = {}
    state_cols: dict[str, int] = {}
    extra_cols: dict[str, int] = {}
    extreme_cols: dict[str, dict[str, int]] = {"max": {}, "min": {}}
    norm_col: int | None = None
    measure = "value"
    for j, (kind, name, meas) in enumerate(kinds):
        if kind == "par":
            par_cols.setdefault(name, j)
        elif kind == "state":
            state_cols.setdefault(name, j)
            measure = meas
        elif kind == "extreme":
            extreme_cols[meas].setdefault(name, j)
        elif kind == "norm":
            norm_col = j
        else:
            extra_cols[name] = j
    if extreme_cols["max"]:
        # the states' maxima stored by PVLS (equilibria: the states) replace and complete
        # the states AUTO prints: every state, in the order of the PARs
        state_cols = {**extreme_cols["max"],
                      **{k: j for k, j in state_cols.items() if k not in extreme_cols["max"]}}
        measure = "max" if raw_br < 0 else "value"
    min_items = tuple(extreme_cols["min"].items()) if raw_br < 0 else ()
    par_items, state_items = tuple(par_cols.items()), tuple(state_cols.items())
    extra_items = tuple(extra_cols.items())
    points = []
    for br, pt, ty, lab, vals in rows:
        if len(vals) != len(labels):
            raise ValueError(f"fort.7 point {pt} of branch {br}: {len(vals)} values for "
                             f"{len(labels)} columns")
        # fresh dicts, wrapped here: the record takes them without a copy
        params = MappingProxyType({name: vals[j] for name, j in par_items})
        state = MappingProxyType({name: vals[j] for name, j in state_items})
        extra = MappingProxyType({name: vals[j] for name, j in extra_items})
        columns = MappingProxyType(dict(zip(labels, vals)))  # noqa: B905 (checked above)
        norm = vals[norm_col] if norm_col is not None else float("nan")
        key = (abs(br), abs(pt))
        eigen = diag.eigenvalues.get(key) if diag is not None else None
        mults = diag.multipliers.get(key) if diag is not None else None
        points.append(
            Point(
                branch=abs(br),
                index=abs(pt),
                type_number=ty,
                type=type_code(ty),
                label=lab,
                stable=pt < 0,
                parameters=params,
                state=state,
                state_measure=measure if state else "value",
                state_min=MappingProxyType({name: vals[j] for name, j in min_items}),
                l2_norm=norm,
                extra=extra,
                columns=columns,
                eigenvalues=eigen,
                multipliers=mults,
                periodic=br < 0,
            )
        )
    return BranchData(
        number=abs(raw_br), raw_number=raw_br, points=tuple(points), column_labels=tuple(labels)
    )


def parse_fort7(
    text: str, names: NameMap | None = None, diagnostics: Diagnostics | None = None
) -> list[BranchData]:
    """Parse a bifurcation diagram file (``fort.7`` / ``b.NAME``).

    Each branch is preceded by header lines starting with ``0``; the last of them
    holds the column labels (``PT TY LAB <ICP(1)> L2-NORM <states> <more ICP>``),
    which are placed in fixed-width fields matching the data columns.  Data lines
    are ``BR PT TY LAB`` followed by the columns; ``PT < 0`` marks a stable point
    and ``BR < 0`` a branch of periodic (BVP) solutions.

    Parameters
    ----------
    text : str
        Contents of ``fort.7``.
    names : NameMap, optional
        How to name parameters and states (default ``PAR(i)``/``U(i)`` or the
        labels AUTO printed).
    diagnostics : Diagnostics, optional
        Parsed ``fort.9``; eigenvalues/multipliers are attached to the points.

    Returns
    -------
    list of BranchData
        In file order.  A new branch starts after a header block or when the
        branch number changes.
    """
    names = names or NameMap()
    branches: list[BranchData] = []
    header: str | None = None
    labels: list[str] | None = None
    rows: list[tuple[int, int, int, int, list[float]]] = []
    current_br: int | None = None

    def flush() -> None:
        nonlocal rows, current_br
        if rows and current_br is not None and labels is not None:
            branches.append(_make_branch(current_br, rows, labels, names, diagnostics))
        rows = []
        current_br = None

    in_header = False
    for line in text.splitlines():
        toks = line.split()
        if not toks:
            continue
        if toks[0] == "0":
            if not in_header:
                flush()
                header = None
                labels = None
                in_header = True
            if " PT " in line:
                header = line
            continue
        in_header = False
        try:
            br, pt, ty, lab = (int(t) for t in toks[:4])
        except ValueError:
            continue  # not a data line (e.g. trailing text)
        try:  # the common case: blank-separated numbers with an E exponent
            vals = [float(t) for t in toks[4:]]
        except ValueError:  # D exponents, "1.0-100", numbers run together
            vals = numbers(line[_PREFIX_WIDTH:]) if len(line) > _PREFIX_WIDTH else []
            if len(line) <= _PREFIX_WIDTH or len(vals) != len(toks) - 4:
                vals = [fortran_float(t) for t in toks[4:]]
        if rows and (br != current_br or abs(pt) == 1):
            flush()  # a new branch without its own header
        if labels is None or len(labels) != len(vals):
            if rows:
                flush()
            labels = _header_labels(header, line, len(vals))
        current_br = br
        rows.append((br, pt, ty, lab, vals))
    flush()
    return branches


# ---------------------------------------------------------------------------
# fort.8
# ---------------------------------------------------------------------------


def _block_numbers(block: list[str]) -> list[float]:
    """The numbers of a ``fort.8`` block: split on blanks when they separate every
    number (the usual case, parsed at once), else number by number (:func:`numbers`:
    numbers that run together, exponents without ``E``)."""
    try:
        return np.array(" ".join(block).replace("D", "E").replace("d", "e").split(),
                        dtype=float).tolist()
    except ValueError:
        return [v for line in block for v in numbers(line)]


def parse_fort8(text: str, names: NameMap | None = None) -> list[Solution]:
    """Parse a labelled-solutions file (``fort.8`` / ``s.NAME``).

    Each solution starts with a header of 12 (old) or 16 integers::

        IBR NTOT ITP LAB NFPR ISW NTPL NAR NROWPR NTST NCOL NPAR [NPARI NDM IPS IPRIV]

    followed by ``NROWPR`` lines: ``NTPL`` rows of ``t, U(1..NAR-1)``; the ``NFPR``
    indices of the free parameters; the direction vector (``NFPR`` parameter
    components, then ``NTPL`` rows of ``NAR-1`` state components); and the
    ``NPAR`` parameters.

    Parameters
    ----------
    text : str
        Contents of ``fort.8``.
    names : NameMap, optional
        How to name parameters and states.

    Returns
    -------
    list of Solution

    Raises
    ------
    ValueError
        If a block is truncated or its numbers do not add up.
    """
    names = names or NameMap()
    lines = text.splitlines()
    sols: list[Solution] = []
    par_keys: dict[int, tuple[str, ...]] = {}  # parameter names by NPAR, looked up once
    i = 0
    while i < len(lines):
        toks = lines[i].split()
        if not toks:
            i += 1
            continue
        try:
            head = [int(t) for t in toks]
        except ValueError as exc:
            raise ValueError(
                f"fort.8 line {i + 1}: expected a solution header: {lines[i]!r}"
            ) from exc
        if len(head) not in (12, 16):
            raise ValueError(f"fort.8 line {i + 1}: header has {len(head)} integers, not 12/16")
        ibr, ntot, itp, lab, nfpr, isw, ntpl, nar, nrowpr, ntst, ncol, npar = head[:12]
        ndm = head[13] if len(head) == 16 else nar - 1
        ips = head[14] if len(head) == 16 else 0
        block = lines[i + 1 : i + 1 + nrowpr]
        if len(block) != nrowpr:
            raise ValueError(f"fort.8 solution label {lab}: truncated block")
        i += 1 + nrowpr
        vals = _block_numbers(block)
        nprof = ntpl * nar
        rest = len(vals) - nprof - nfpr - npar
        if rest == nfpr + ntpl * (nar - 1):
            has_dir = True
        elif rest == 0:
            has_dir = False
        else:
            raise ValueError(
                f"fort.8 solution label {lab}: {len(vals)} numbers do not match "
                f"NTPL={ntpl}, NAR={nar}, NFPR={nfpr}, NPAR={npar}"
            )
        prof = np.array(vals[:nprof], float).reshape(ntpl, nar)
        pos = nprof
        icp = tuple(int(round(v)) for v in vals[pos : pos + nfpr])
        pos += nfpr
        dpar = du = None
        if has_dir:
            dpar = np.array(vals[pos : pos + nfpr], float)
            pos += nfpr
            du = np.array(vals[pos : pos + ntpl * (nar - 1)], float).reshape(ntpl, nar - 1)
            pos += ntpl * (nar - 1)
        par = np.array(vals[pos : pos + npar], float)
        if npar not in par_keys:
            par_keys[npar] = tuple(names.par_name(k + 1) for k in range(npar))
        sols.append(
            Solution(
                branch=abs(ibr),
                index=abs(ntot),
                type_number=itp,
                type=type_code(itp),
                label=lab,
                ips=ips,
                isw=isw,
                ntst=ntst,
                ncol=ncol,
                ndim=ndm,
                t=prof[:, 0],
                u=prof[:, 1:],
                state_names=tuple(names.state_name(j) for j in range(1, nar)),
                free_parameters=icp,
                par=par,
                parameters=dict(zip(par_keys[npar], par.tolist(), strict=True)),
                direction_par=dpar,
                direction_u=du,
            )
        )
    return sols
