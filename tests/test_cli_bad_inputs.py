"""Issue 16, items 5, 7, 8, 9: bad inputs fail before the work, as one line.

Every command is run with bad inputs of each kind -- output paths (missing folder,
read-only folder, a folder where a file is expected and the reverse, an extension
that does not match the format written, an existing file without ``--force``),
sizes that would not fit in memory or integrate nothing, missing or failing tools --
and must exit non-zero with a one-line ``thetabif: error: ...`` that names the
culprit, no traceback and no file written. The work itself (continuation,
simulation, export, demo) is replaced by a stub that records being called, so the
tests also prove that the checks come *before* the work, and stay fast.

A few runs are real: Ctrl-C and a closed pipe in a subprocess, strict JSON of a
cycles run (whose record holds NaN), the formats of ``equilibria --out``, a compile
failure and an unwritable cache.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

import thetabif.continuation
import thetabif.demo
import thetabif.export
import thetabif.network
import thetabif.phase_diagram
import thetabif.simulation
import thetabif.verification
from thetabif.auto import build, locate
from thetabif.cli import build_parser, jsonable, main, print_json

ROOT = Path(__file__).resolve().parents[1]

# The work of each command; the stubs record the call instead of doing it.
WORK = [
    (thetabif.simulation, "simulate"),
    (thetabif.network, "simulate_network"),
    (thetabif.network, "compare_network"),
    (thetabif.continuation.Continuation, "equilibria"),
    (thetabif.continuation.Continuation, "curve"),
    (thetabif.continuation.Continuation, "cycles"),
    (thetabif.phase_diagram, "compute"),
    (thetabif.verification, "verify"),
    (thetabif.verification, "verify_grid"),
    (thetabif.demo, "run_demo"),
    (thetabif.export, "export_model"),
    (thetabif.export, "export_standard"),
]


class WorkStarted(Exception):
    """Raised by a stub: the command got past its checks."""


@pytest.fixture
def work(monkeypatch):
    """Replace the work of every command by a stub; the list records what was called."""
    calls: list[str] = []

    def stub(name):
        def run(*args, **kwargs):
            calls.append(name)
            raise WorkStarted(name)
        return run

    for owner, name in WORK:
        monkeypatch.setattr(owner, name, stub(name))
    return calls


@pytest.fixture
def tools(monkeypatch):
    """Environment variables of the tool lookups, restored (and the lookups forgotten)."""
    locate.reset_cache()
    yield monkeypatch
    monkeypatch.undo()
    locate.reset_cache()


def tree(folder: Path) -> list[tuple[str, bytes]]:
    """Every file under ``folder`` with its content: "no file written" is equality."""
    return sorted((str(p.relative_to(folder)), p.read_bytes())
                  for p in folder.rglob("*") if p.is_file())


def run_main(capsys, argv: list[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, out: str, err: str, status: int, *culprits: str) -> None:
    assert code == status, err
    assert "Traceback" not in err
    assert err.startswith("thetabif: error: ") and err.count("\n") == 1, err
    for c in culprits:
        assert c in err, (c, err)
    assert out == ""


def check_fails(capsys, tmp_path, argv, status, *culprits) -> str:
    before = tree(tmp_path)
    code, out, err = run_main(capsys, argv)
    assert_one_line_error(code, out, err, status, *culprits)
    assert tree(tmp_path) == before
    return err


def _probe(folder: Path) -> bool:
    try:
        (folder / ".probe").write_text("")
    except OSError:
        return False
    (folder / ".probe").unlink()
    return True


@pytest.fixture
def readonly(tmp_path):
    """A folder no file can be created in (as root, chmod does not stop writes: /sys)."""
    ro = tmp_path / "readonly"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        if not _probe(ro):
            yield ro
        elif Path("/sys").is_dir() and not _probe(Path("/sys")):
            yield Path("/sys")
        else:
            pytest.skip("no read-only folder available (running as root)")
    finally:
        ro.chmod(0o700)


# --------------------------------------------------------------- item 5: outputs
# command line up to the output option, the option, a valid extension
FILE_OUTPUTS = {
    "simulate": (["simulate", "--t-end", "1"], "--out", ".nc"),
    "network": (["network", "--N", "10", "--t-end", "1"], "--out", ".csv"),
    "equilibria": (["equilibria"], "--out", ".nc"),
    "curve": (["curve", "--from", "LP1"], "--out", ".json"),
    "cycles": (["cycles", "--from", "HB1"], "--out", ".csv"),
    "verify": (["verify"], "--figure", ".png"),
}
# command line up to --out, a file the command writes into the folder
FOLDER_OUTPUTS = {
    "verify-grid": (["verify-grid", "--eta=-8:0:3", "--J=5:25:3"], "summary.json"),
    "phase-diagram": (["phase-diagram"], "theta_phase.png"),
    "export": (["export"], "theta.f90"),
    "export-standard": (["export-standard"], "theta_n2.auto"),
    "demo": (["demo"], "report.md"),
}


@pytest.mark.parametrize("command", FILE_OUTPUTS)
def test_file_outputs_are_checked_before_the_work(command, tmp_path, readonly, capsys, work):
    argv, opt, ext = FILE_OUTPUTS[command]
    (tmp_path / "afile").write_text("user data")
    cases = [
        (tmp_path / "missing" / f"r{ext}", "does not exist"),
        (readonly / f"r{ext}", "cannot write"),
        (tmp_path, "is a folder"),
        (tmp_path / "r.txt", "must end in"),
        (tmp_path / "r", "must end in"),
        (tmp_path / "afile" / f"r{ext}", "is a file, not a folder"),
    ]
    for path, why in cases:
        check_fails(capsys, tmp_path, [*argv, opt, str(path)], 2, opt, str(path), why)
    mine = tmp_path / f"r{ext}"
    mine.write_text("user data")
    check_fails(capsys, tmp_path, [*argv, opt, str(mine)], 2, str(mine), "--force")
    assert work == []
    # --force lets the same command through to the work
    run_main(capsys, [*argv, opt, str(mine), "--force"])
    assert len(work) == 1
    assert mine.read_text() == "user data"


@pytest.mark.parametrize("command", FOLDER_OUTPUTS)
def test_folder_outputs_are_checked_before_the_work(command, tmp_path, readonly, capsys,
                                                    work):
    argv, written = FOLDER_OUTPUTS[command]
    (tmp_path / "afile").write_text("user data")
    taken = tmp_path / "taken"
    (taken / written).mkdir(parents=True)
    cases = [
        (tmp_path / "afile", "is a file"),
        (tmp_path / "afile" / "sub", "is a file, not a folder"),
        (readonly / "sub", "cannot write"),
        (taken, "is a folder where the command writes a file"),
    ]
    for path, why in cases:
        check_fails(capsys, tmp_path, [*argv, "--out", str(path)], 2, "--out", why)
    out = tmp_path / "out"
    out.mkdir()
    (out / written).write_text("user data")
    check_fails(capsys, tmp_path, [*argv, "--out", str(out)], 2, str(out / written), "--force")
    assert work == []
    run_main(capsys, [*argv, "--out", str(out), "--force"])
    assert len(work) == 1
    assert (out / written).read_text() == "user data"


def test_a_missing_output_folder_is_fine_for_folder_commands(tmp_path, capsys, work):
    run_main(capsys, ["export", "--out", str(tmp_path / "new" / "deeper")])
    assert work == ["export_model"]


AUTO_COMMANDS = {
    "equilibria": ["equilibria"],
    "curve": ["curve", "--from", "LP1"],
    "cycles": ["cycles", "--from", "HB1"],
    "homoclinic": ["homoclinic", "--from", "HB1"],
    "phase-diagram": ["phase-diagram", "--out", "{tmp}/pd"],
    "verify": ["verify"],
    "verify-grid": ["verify-grid", "--eta=-8:0:3", "--J=5:25:3", "--out", "{tmp}/grid"],
    "demo": ["demo", "--out", "{tmp}/demo"],
}


@pytest.mark.parametrize("command", AUTO_COMMANDS)
def test_missing_or_failing_tools_are_one_line_before_the_work(command, tmp_path, capsys,
                                                                work, tools):
    argv = [a.format(tmp=tmp_path) for a in AUTO_COMMANDS[command]]
    tools.setenv("AUTO_DIR", str(tmp_path / "no-auto"))
    check_fails(capsys, tmp_path, argv, 1, "AUTO-07p not found", "no-auto",
                "apt-get install auto-07p")
    tools.delenv("AUTO_DIR", raising=False)
    locate.reset_cache()
    tools.setenv("FC", str(tmp_path / "no-gfortran"))
    check_fails(capsys, tmp_path, argv, 1, "Fortran compiler not found", "no-gfortran",
                "apt-get install gfortran")
    tools.setenv("FC", "false")  # found, but fails
    locate.reset_cache()
    check_fails(capsys, tmp_path, argv, 1, "failed on --version", "set the environment "
                "variable FC")
    assert work == []


def test_a_failing_compiler_is_one_line(tmp_path, capsys, tools):
    fake = tmp_path / "fakefc"
    fake.write_text('#!/bin/sh\nif [ "$1" = --version ]; then echo "GNU Fortran (fake) 0"; '
                    'exit 0; fi\necho "x.f90:1:1: Error: broken on purpose" >&2\n'
                    'echo "second line" >&2\nexit 3\n')
    fake.chmod(0o755)
    tools.setenv("FC", str(fake))
    tools.setenv("THETABIF_CACHE_DIR", str(tmp_path / "cache"))
    code, out, err = run_main(capsys, ["equilibria"])
    assert_one_line_error(code, out, err, 1, str(fake), "exit code 3",
                          "broken on purpose", "set FC")


def test_an_unwritable_cache_falls_back_to_a_temporary_one(tmp_path, monkeypatch):
    (tmp_path / "afile").write_text("")
    bad = tmp_path / "afile" / "cache"  # under a file: not even root can create it
    env = {**os.environ, "THETABIF_CACHE_DIR": str(bad), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "thetabif", "simulate", "--t-end", "1"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "final state at t=1" in proc.stdout
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("thetabif: note: cache folder")
    assert str(bad) in lines[0] and "THETABIF_CACHE_DIR" in lines[0]
    # the Python layer: the AUTO build cache falls back with a warning
    monkeypatch.setenv("THETABIF_CACHE_DIR", str(bad))
    monkeypatch.setattr(build, "_fallback", {})
    with pytest.warns(RuntimeWarning, match="cannot be written"):
        folder = build.cache_dir()
    assert folder != bad and _probe(folder)
    assert build.cache_dir() == folder  # once per session, no second warning


def test_equilibria_out_writes_the_format_its_extension_names(tmp_path, capsys):
    from thetabif.continuation import ContinuationResult

    paths = {ext: tmp_path / f"eq{ext}" for ext in (".nc", ".json", ".csv")}
    for path in paths.values():
        assert main(["equilibria", "--range=-10:5", "--out", str(path)]) == 0
    out = capsys.readouterr().out
    assert all(f"wrote {p}" in out for p in paths.values())
    nc = ContinuationResult.load(paths[".nc"])
    doc = json.loads(paths[".json"].read_text(), parse_constant=_no_constant)
    assert doc["kind"] == "equilibria" and doc["free"] == ["eta"]
    header = paths[".csv"].read_text().splitlines()[0].split(",")
    assert {"eta", "r", "stable", "branch"} <= set(header)
    rows = len(paths[".csv"].read_text().splitlines()) - 1
    assert rows == sum(len(b) for b in nc.branches) == sum(b["points"] for b in doc["branches"])
    assert not list(tmp_path.glob(".*partial*"))


def test_ctrl_c_exits_130_with_one_line(tmp_path):
    # continuations, then 58 000 grid cells: minutes of work (801x801 took 198 s), so
    # the run is busy when Ctrl-C comes; it stops within a second of it
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "thetabif", "phase-diagram", "--n", "2",
                             "--grid", "241x241", "--out", str(tmp_path / "pd")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(2.0)
    assert proc.poll() is None, "finished before Ctrl-C; choose a longer run"
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"still running 30 s after Ctrl-C; stderr: {err[-2000:]}") from None
    assert proc.returncode == 130, err[-2000:]
    assert err == "thetabif: interrupted\n"
    assert not (tmp_path / "pd").exists() or not any((tmp_path / "pd").iterdir())


# A closed stdout (`| head`) discards the rest of the output: the command still does
# its work (--out written) and exits with the status it would have had, 0, whether the
# reader left before or after the last line (that was a race: 141 or 0).
@pytest.mark.parametrize("argv", [["simulate", "--t-end", "1", "--out", "{tmp}/run.csv"],
                                  ["--help"]])
def test_a_closed_pipe_ends_quietly(argv, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [a.format(tmp=tmp_path) for a in argv]
    proc = subprocess.Popen([sys.executable, "-m", "thetabif", *argv], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    proc.stdout.close()  # the reader is gone before the first line: `| head -0`
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert err == ""
    assert proc.returncode == 0
    if "--out" in argv:
        assert (tmp_path / "run.csv").read_text().startswith("time")


# ----------------------------------------------------------------- item 7: sizes
SIZES = [
    (["simulate", "--t-end", "1e7"], ["--t-end=1e+07", "--dt=0.01", "119 GiB", "increase --dt"]),
    (["simulate", "--dt", "1e-9"], ["--dt=1e-09", "GiB", "reduce --t-end"]),
    (["simulate", "--t-end", "1", "--dt", "5"], ["--dt = 5", "--t-end = 1"]),
    (["network", "--t-end", "1e7"], ["--t-end=1e+07", "GiB", "reduce --t-end"]),
    (["network", "--dt", "1e-9", "--dt-out", "1e-9"], ["--dt=1e-09", "GiB"]),
    (["network", "--t-end", "1", "--dt-out", "5"], ["--dt-out = 5"]),
    (["network", "--N", "10", "--t-end", "1e6", "--dt", "0.01", "--compare"],
     ["and the mean field", "GiB"]),
    (["network", "--N", "1000000000", "--t-end", "1"], ["--N=1000000000", "GiB", "or --N"]),
    (["verify", "--t-end", "1e8"], ["--t-end=1e+08", "GiB", "reduce --t-end"]),
    (["verify-grid", "--eta=-8:0:3", "--J=5:25:3", "--out", "{tmp}/g", "--t-end", "1e8"],
     ["--t-end", "GiB"]),
]


@pytest.mark.parametrize("argv,culprits", SIZES, ids=[" ".join(a) for a, _ in SIZES])
def test_sizes_are_refused_before_starting(argv, culprits, tmp_path, capsys, work):
    argv = [a.format(tmp=tmp_path) for a in argv]
    check_fails(capsys, tmp_path, argv, 2, *culprits)
    assert work == []


def test_python_layer_refuses_sizes_with_a_value_error(monkeypatch):
    from thetabif.network import compare_network, simulate_network
    from thetabif.simulation import simulate

    # t_end / dt = 1e10 samples: 1.2 TB; before the check this was a MemoryError or a
    # run of hours, now a ValueError naming the argument, its value and the memory
    with pytest.raises(ValueError, match=r"t_end=1e\+07 with dt=0\.001 .* 1\.19e\+03 GiB"):
        simulate(t_end=1e7, dt=1e-3)
    with pytest.raises(ValueError, match=r"dt \(output spacing\) = 5\.0 is larger than t_end"):
        simulate(t_end=1.0, dt=5.0)
    with pytest.raises(ValueError, match=r"1e\+300 output samples"):
        simulate(t_end=1e300, dt=1e-300)
    with pytest.raises(ValueError, match=r"t_end=1e\+07 with dt=0\.001 and dt_out=0\.01 "
                                         r"gives 1e\+10 steps .* GiB"):
        simulate_network(N=10, t_end=1e7)
    with pytest.raises(ValueError, match=r"dt_out \(output spacing\) = 2\.0"):
        simulate_network(N=10, t_end=1.0, dt_out=2.0)
    started = []
    monkeypatch.setattr(thetabif.network, "simulate_network",
                        lambda *a, **k: started.append(1))
    with pytest.raises(ValueError, match="and the mean field"):
        compare_network(N=10, t_end=1e6, dt=0.01, dt_out=0.01)
    assert started == []
    # the limit is the environment's when set: 1e-4 GiB = 0.102 MiB < 1001 samples x 128 B
    monkeypatch.setenv("THETABIF_MEMORY_LIMIT", "1e-4")
    with pytest.raises(ValueError, match="0.122 MiB of memory, more than the limit of 0.102 MiB"):
        simulate(t_end=10.0, dt=0.01)
    monkeypatch.setenv("THETABIF_MEMORY_LIMIT", "lots")
    with pytest.raises(ValueError, match="THETABIF_MEMORY_LIMIT must be a positive number"):
        simulate(t_end=1.0)


def test_memory_estimate_is_an_upper_bound_of_the_arrays():
    # the Dataset's own arrays must not exceed the estimate that guards them
    from thetabif.models import ThetaModel
    from thetabif.simulation import simulate, simulation_memory

    for model in (ThetaModel(), ThetaModel(n=2, synapse="first-order")):
        ds = simulate(model, t_end=10.0, dt=0.01)
        assert ds.nbytes <= simulation_memory(model, ds.sizes["time"])


# ------------------------------------------------------------------ item 8: JSON
def _no_constant(name: str):
    raise ValueError(f"not strict JSON: {name}")


def test_json_output_is_strict_and_alone_on_stdout(capsys, tmp_path):
    # the cycles record holds NaN (r of orbits without a stored profile)
    out = tmp_path / "cycles.nc"
    code = main(["cycles", "--n", "2", "--set", "J=-40", "--from", "HB1", "--free", "eta",
                 "--json", "--out", str(out)])
    stdout, stderr = capsys.readouterr()
    assert code == 0
    doc = json.loads(stdout, parse_constant=_no_constant)  # one document, nothing else
    assert doc["kind"] == "cycles"
    assert f"wrote {out}" in stderr and out.exists()
    assert "null" in stdout  # the NaN are there, as null


def test_warnings_go_to_stderr_as_one_line_with_json(capsys, monkeypatch):
    real = thetabif.continuation.Continuation.equilibria

    def warn_then_run(self, *args, **kwargs):
        warnings.warn("AUTO was restarted\nat the end of the range", RuntimeWarning,
                      stacklevel=1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(thetabif.continuation.Continuation, "equilibria", warn_then_run)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        assert main(["equilibria", "--range=-10:5", "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out, parse_constant=_no_constant)["kind"] == "equilibria"
    assert "thetabif: warning: AUTO was restarted at the end of the range\n" in err


def test_jsonable_turns_nan_and_numpy_into_strict_json(capsys):
    value = {"a": math.nan, "b": [1.0, -math.inf, np.float32("nan")],
             "c": np.array([1.5, np.nan]), "d": np.int64(3), "e": (True, None, 1 + 2j),
             1: np.bool_(True)}
    assert jsonable(value) == {"a": None, "b": [1.0, None, None], "c": [1.5, None], "d": 3,
                               "e": [True, None, [1.0, 2.0]], "1": True}
    print_json(value)
    text = capsys.readouterr().out
    assert text.count("\n") == 1
    json.loads(text, parse_constant=_no_constant)


# -------------------------------------------------------- item 9: help, messages
def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def test_every_option_of_every_command_has_help():
    parser = build_parser()
    commands = _subparsers(parser)
    assert {"simulate", "network", "equilibria", "curve", "cycles", "verify", "verify-grid",
            "phase-diagram", "export", "export-standard", "demo"} <= set(commands)
    missing = [f"{name} {action.option_strings or action.dest}"
               for name, sub in commands.items() for action in sub._actions
               if not isinstance(action, argparse._HelpAction)
               and (not action.help or action.help == argparse.SUPPRESS)]
    assert missing == []


@pytest.mark.parametrize("command", ["simulate", "network"])
def test_step_help_says_the_amplitude_is_added_to_i_ext(command, capsys):
    sub = _subparsers(build_parser())[command]
    step = next(a for a in sub._actions if "--step" in a.option_strings)
    assert "add AMPLITUDE to the I_ext parameter" in step.help


def test_step_adds_the_amplitude_to_i_ext(capsys):
    # what the help says: I_ext = 1 plus a step of 3 is 4 during the step
    assert main(["simulate", "--set", "I_ext=1", "--step", "2:4:3", "--t-end", "5",
                 "--dt", "0.5"]) == 0
    rows = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines()
            if line.split() and line.split()[0] in ("before", "during", "after")}
    assert [float(rows[k][3]) for k in ("before", "during", "after")] == [1.0, 4.0, 1.0]


# every command with its required options
COMMANDS = {
    "simulate": [], "network": [], "equilibria": [], "curve": ["--from", "LP1"],
    "cycles": ["--from", "HB1"], "homoclinic": ["--from", "HB1"], "verify": [],
    "verify-grid": ["--eta=-8:0:3", "--J=5:25:3", "--out", "{tmp}/g"],
    "phase-diagram": ["--out", "{tmp}/pd"], "export": ["--out", "{tmp}/e"],
    "export-standard": ["--out", "{tmp}/s"], "demo": ["--out", "{tmp}/d"],
}


@pytest.mark.parametrize("command", COMMANDS)
def test_usage_errors_are_one_line_in_the_common_style(command, capsys, tmp_path, work):
    argv = [command, *(a.format(tmp=tmp_path) for a in COMMANDS[command])]
    check_fails(capsys, tmp_path, [*argv, "--no-such-option"], 2,
                "unrecognized arguments: --no-such-option", f"'thetabif {command} --help'")
    if command in ("curve", "cycles", "homoclinic", "verify-grid", "phase-diagram", "export"):
        check_fails(capsys, tmp_path, argv[:1], 2, "the following arguments are required",
                    f"'thetabif {command} --help'")
    if command not in ("export-standard", "demo"):  # the commands with model options
        check_fails(capsys, tmp_path, [*argv, "--n", "x"], 2,
                    "argument --n: must be a positive integer, got 'x'")
    assert work == []


@pytest.mark.parametrize("argv,culprit", [
    (["simulate", "--t-end", "-1"], "argument --t-end: must be a finite number > 0, got '-1'"),
    (["simulate", "--rtol", "nan"], "argument --rtol"),
    (["network", "--N", "0"], "--N must be an integer >= 1, got 0"),
    (["network", "--raster", "-2"], "argument --raster: must be an integer >= 0"),
    (["simulate", "--set", "Delta=-1"], "--set: parameter 'Delta' must be > 0"),
    (["curve", "--from", "LP1", "--free", "eta"], "--free: a curve needs two parameters"),
    (["curve", "--from", "LP1", "--range", "Delta=0:1"], "'Delta' is not one of the --free"),
    (["curve", "--from", "XX1"], "--from must name a fold or Hopf point"),
    (["cycles", "--from", "LP1"], "--from must name a Hopf point"),
    (["equilibria", "--free", "nope"], "--free 'nope' is not a parameter"),
    (["verify-grid", "--eta=-8:0:3", "--J=5:25:3", "--out", "{tmp}/g", "--t-end", "30"],
     "--t-end must be >= 60"),
])
def test_bad_values_are_one_line_before_the_work(argv, culprit, capsys, tmp_path, work):
    check_fails(capsys, tmp_path, [a.format(tmp=tmp_path) for a in argv], 2, culprit)
    assert work == []


def test_failed_computations_exit_1_in_the_common_style(capsys, monkeypatch):
    from thetabif.continuation import ContinuationFailed
    from thetabif.simulation import SimulationError

    def fail_cont(*a, **k):
        raise ContinuationFailed("AUTO stopped\nat step 3")

    def fail_sim(*a, **k):
        raise SimulationError("integration stopped at t = 1: z left the unit disk")

    monkeypatch.setattr(thetabif.continuation.Continuation, "equilibria", fail_cont)
    monkeypatch.setattr(thetabif.simulation, "simulate", fail_sim)
    code, out, err = run_main(capsys, ["equilibria"])
    assert_one_line_error(code, out, err, 1, "continuation failed: AUTO stopped at step 3")
    code, out, err = run_main(capsys, ["simulate", "--t-end", "1"])
    assert_one_line_error(code, out, err, 1, "simulation failed: integration stopped at t = 1")


# -------------------------------------------- review: F11, F11b, --force help
# F11: an empty output path is an error naming the option
EMPTY_OUTPUTS = [["simulate", "--t-end", "1", "--out", ""], ["network", "--out", ""],
                 ["equilibria", "--out", ""], ["curve", "--from", "LP1", "--out", ""],
                 ["cycles", "--from", "HB1", "--out", ""], ["verify", "--figure", ""]]


@pytest.mark.parametrize("argv", EMPTY_OUTPUTS, ids=[a[0] for a in EMPTY_OUTPUTS])
def test_an_empty_output_path_is_refused(argv, capsys, tmp_path, work):
    check_fails(capsys, tmp_path, argv, 2, f"{argv[-2]} needs a path, got ''")
    assert work == []


# F11b: a symbolic link, dangling or not, is an existing output
@pytest.mark.parametrize("command", FILE_OUTPUTS)
def test_a_symlink_is_an_existing_output(command, tmp_path, capsys, work):
    argv, opt, ext = FILE_OUTPUTS[command]
    link = tmp_path / f"r{ext}"
    link.symlink_to(tmp_path / f"nowhere{ext}")
    check_fails(capsys, tmp_path, [*argv, opt, str(link)], 2, str(link), "symbolic link",
                "--force")
    assert link.is_symlink() and not link.exists()
    assert work == []
    run_main(capsys, [*argv, opt, str(link), "--force"])
    assert len(work) == 1


@pytest.mark.parametrize("command", FOLDER_OUTPUTS)
def test_a_symlink_in_an_output_folder_is_an_existing_output(command, tmp_path, capsys, work):
    argv, written = FOLDER_OUTPUTS[command]
    out = tmp_path / "out"
    out.mkdir()
    (out / written).symlink_to(tmp_path / "nowhere")
    check_fails(capsys, tmp_path, [*argv, "--out", str(out)], 2, str(out / written), "--force")
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "no-folder")
    check_fails(capsys, tmp_path, [*argv, "--out", str(dangling)], 2, "symbolic link",
                "no-folder")
    assert work == []


def test_force_help_is_grammatical():
    for name, command in _subparsers(build_parser()).items():
        for action in command._actions:
            if "--force" in action.option_strings:
                assert "if it exists" not in action.help or \
                    action.help.startswith(("overwrite --out", "overwrite --figure")), \
                    (name, action.help)


# -------------------------------------------- review: F9, option names
# F9: the library's messages name the options, not the Python arguments
OPTION_NAMES = [
    (["network", "--N", "0"], "--N must be", "N (number of neurons)"),
    (["network", "--N", "10", "--dt-out", "0.0015", "--t-end", "1"],
     "--dt-out must be an integer multiple of --dt", "dt_out"),
    (["simulate", "--t-end", "10", "--dt", "20"], "--dt = 20.0 is larger than --t-end = 10.0",
     "output spacing"),
    (["equilibria", "--free", "foo"], "--free 'foo' is not a parameter", "free parameter"),
    (["curve", "--from", "LP1", "--eq-free", "foo"], "--eq-free 'foo' is not a parameter",
     "free parameter"),
]


@pytest.mark.parametrize("argv,culprit,python_name", OPTION_NAMES,
                         ids=[" ".join(a) for a, _, _ in OPTION_NAMES])
def test_library_errors_name_the_options(argv, culprit, python_name, capsys, tmp_path):
    err = check_fails(capsys, tmp_path, argv, 2, culprit)
    assert python_name not in err


# -------------------------------------------- review: F8, ranges and domains
# F8: a range outside its parameter's domain names the option, and says when its
# default is the problem, before the work
RANGES = [
    (["cycles", "--n", "2", "--set", "Delta=0.5", "--set", "J=-28.27", "--from", "HB1",
      "--free", "tau", "--range=0.1:2"],
     ["--eq-range:", "'tau' must be > 0", "its default -20:20", "--eq-range=0.1:10"]),
    (["cycles", "--from", "HB1", "--free", "tau", "--eq-range=0.1:2"],
     ["--range:", "its default -20:20", "--range=0.1:10"]),
    (["equilibria", "--free", "tau"], ["--range:", "'tau' must be > 0", "its default -20:20",
                                       "--range=0.1:10"]),
    (["equilibria", "--free", "Delta"], ["--range:", "'Delta' must be > 0",
                                         "its default -20:20"]),
    (["equilibria", "--free", "Delta", "--range=-1:3"], ["--range:", "got -1:3"]),
    (["curve", "--from", "LP1", "--free", "J,Delta"],
     ["--range Delta=START:STOP", "'Delta' must be > 0"]),
    (["curve", "--from", "LP1", "--free", "J,I_ext"], ["--range I_ext=START:STOP"]),
    (["curve", "--from", "LP1", "--free", "J,Delta", "--range", "Delta=-1:2"],
     ["--range Delta:", "got -1:2", "--range Delta=0.1:10"]),
    (["curve", "--from", "LP1", "--eq-free", "Delta"], ["--eq-range:", "its default -20:20"]),
]


@pytest.mark.parametrize("argv,culprits", RANGES, ids=[" ".join(a) for a, _ in RANGES])
def test_ranges_outside_the_domain_name_the_option(argv, culprits, capsys, tmp_path, work):
    err = check_fails(capsys, tmp_path, argv, 2, *culprits)
    assert "bounds" not in err
    assert work == []


def test_ranges_inside_the_domain_reach_the_work(capsys, monkeypatch):
    seen = []

    def record(self, *args, **kwargs):
        seen.append(args)
        raise WorkStarted("equilibria")

    monkeypatch.setattr(thetabif.continuation.Continuation, "equilibria", record)
    for argv in (["equilibria", "--free", "tau", "--range=0.1:2"],
                 ["cycles", "--from", "HB1", "--free", "tau", "--range=0.1:2",
                  "--eq-range=0.5:3"]):
        run_main(capsys, argv)
    assert seen == [("tau", 0.1, 2.0), ("tau", 0.5, 3.0)]


def test_range_help_says_what_positive_parameters_need():
    commands = _subparsers(build_parser())
    for command, option in [("equilibria", "--range"), ("cycles", "--range"),
                            ("cycles", "--eq-range"), ("curve", "--range"),
                            ("curve", "--eq-range")]:
        (action,) = [a for a in commands[command]._actions if option in a.option_strings]
        assert "default" in action.help and "START > 0" in action.help, (command, option)
