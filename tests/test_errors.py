"""The error family of thetabif.errors: one base, built-in bases kept, old names kept."""

from __future__ import annotations

import pytest

import thetabif
from thetabif import errors
from thetabif.auto import RunStatus


@pytest.mark.parametrize(("cls", "builtin", "group"), [
    (errors.InputError, ValueError, errors.ThetabifError),
    (errors.ToolchainError, RuntimeError, errors.ThetabifError),
    (errors.AutoNotFoundError, RuntimeError, errors.ToolchainError),
    (errors.CompilerNotFoundError, RuntimeError, errors.ToolchainError),
    (errors.CompileError, RuntimeError, errors.ToolchainError),
    (errors.NumericalError, RuntimeError, errors.ThetabifError),
    (errors.SimulationError, RuntimeError, errors.NumericalError),
    (errors.ContinuationError, RuntimeError, errors.NumericalError),
    (errors.PolishError, RuntimeError, errors.NumericalError),
])
def test_family_keeps_the_builtin_bases(cls, builtin, group):
    assert issubclass(cls, builtin) and issubclass(cls, group)
    assert issubclass(cls, errors.ThetabifError)


def test_old_names_are_the_same_classes():
    from thetabif import auto, polish, simulation
    from thetabif.auto import build, locate, records

    assert simulation.SimulationError is errors.SimulationError
    assert polish.PolishError is errors.PolishError
    assert auto.ContinuationError is records.ContinuationError is errors.ContinuationError
    assert auto.AutoNotFoundError is locate.AutoNotFoundError is errors.AutoNotFoundError
    assert auto.CompilerNotFoundError is locate.CompilerNotFoundError
    assert auto.CompileError is build.CompileError is errors.CompileError


def test_public_api_exports_the_family():
    for name in errors.__all__:
        assert getattr(thetabif, name) is getattr(errors, name)
        assert name in thetabif.__all__ and name in thetabif.__doc__


def test_continuation_error_keeps_autos_status_or_takes_a_message():
    exc = errors.ContinuationError(RunStatus.NO_CONVERGENCE, "NOTE: no convergence", None)
    assert exc.status is RunStatus.NO_CONVERGENCE
    assert exc.auto_message == "NOTE: no convergence"
    assert str(exc) == f"{RunStatus.NO_CONVERGENCE.message}; AUTO says: NOTE: no convergence"
    plain = errors.ContinuationError("the HB branch never left its start point")
    assert plain.status is None and plain.auto_message == "" and plain.result is None
    assert str(plain) == "the HB branch never left its start point"
    with pytest.raises(RuntimeError, match="never left"):
        raise plain


def test_compile_error_message_names_stage_and_source():
    exc = errors.CompileError("link", ["gfortran", "-o", "x"], 1, "undefined ref\n", "fold")
    assert exc.stage == "link" and exc.returncode == 1 and exc.source_name == "fold"
    assert str(exc).startswith("link of AUTO equation file 'fold' failed (exit code 1)")


# ----------------------------------------------------------- the CLI's exit statuses
@pytest.mark.parametrize(("exc", "status"), [
    (errors.InputError("bad"), 2),
    (FileExistsError("out.nc exists"), 2),
    (errors.AutoNotFoundError("no AUTO"), 1),
    (errors.CompileError("compile", ["gfortran"], 1, "boom", "x"), 1),
    (errors.SimulationError("left the disk"), 1),
    (errors.ContinuationError("never left"), 1),
    (errors.PolishError("diverged"), 1),
    (MemoryError(), 1),
    (PermissionError(13, "Permission denied", "/x"), 1),
    (KeyboardInterrupt(), 130),
    (BrokenPipeError(), 141),
    (ZeroDivisionError("internal"), 1),
])
def test_exit_status_map(exc, status):
    from thetabif.cli.status import exit_status, failure

    assert exit_status(exc) == status
    code, message = failure(exc)
    assert code == status
    assert message and "\n" not in message


def test_cli_error_is_bad_input():
    from thetabif.cli import CLIError
    from thetabif.cli.status import failure

    assert issubclass(CLIError, errors.InputError) and issubclass(CLIError, ValueError)
    assert failure(CLIError("--n must be >= 1")) == (2, "--n must be >= 1")


def test_failure_messages_name_what_failed():
    from thetabif.cli.status import failure

    assert failure(errors.SimulationError("z left")) == (1, "simulation failed: z left")
    assert failure(errors.ContinuationError("no start")) == (1, "continuation failed: no start")
    code, msg = failure(errors.ContinuationError(RunStatus.TIMEOUT, "", None))
    assert (code, msg) == (1, f"continuation failed: {RunStatus.TIMEOUT.message}")
    assert failure(ZeroDivisionError("x"))[1].startswith("internal error: ZeroDivisionError")


def test_main_reports_an_input_error_from_the_library_with_status_2(capsys, monkeypatch):
    import thetabif.simulation
    from thetabif.cli import main

    def bad(*a, **k):
        raise errors.InputError("t_end must be > 0")

    monkeypatch.setattr(thetabif.simulation, "simulate", bad)
    with pytest.raises(SystemExit) as info:
        main(["simulate", "--t-end", "1"])
    assert info.value.code == 2
    # the message names the option that sets the argument (cli.common.library_error)
    assert capsys.readouterr().err == "thetabif: error: --t-end must be > 0\n"


def test_c_compiler_failures_are_toolchain_errors(tmp_path, monkeypatch):
    from thetabif.codegen import numeric
    from thetabif.models import ThetaModel

    monkeypatch.setenv("CC", "false")  # a "compiler" that always fails
    with pytest.raises(errors.ToolchainError, match="compiling the integrator of theta"):
        numeric._build_library(ThetaModel(), tmp_path / "model.so")
    monkeypatch.delenv("CC")
    monkeypatch.setenv("PATH", str(tmp_path))  # neither cc nor gcc
    with pytest.raises(errors.ToolchainError, match="needs a C compiler"):
        numeric._c_compiler()


@pytest.mark.parametrize("call", [
    lambda: __import__("thetabif").ThetaModel(n=0),
    lambda: __import__("thetabif").ThetaModel().validate_params({"Delta": -1}),
    lambda: __import__("thetabif").Protocol.step(5.0, 1.0, 3.0),
    lambda: __import__("thetabif").simulate(__import__("thetabif").ThetaModel(), t_end=-1.0),
    lambda: __import__("thetabif").simulate_network(__import__("thetabif").ThetaModel(), N=0),
    lambda: __import__("thetabif").Continuation().equilibria("zeta"),
    lambda: __import__("thetabif").Continuation().equilibria("eta", 5.0, -5.0),
    lambda: __import__("thetabif").Continuation().equilibria("eta", ds=0.0),
])
def test_bad_input_to_the_library_is_an_input_error(call):
    """Bad arguments raise the family's InputError (still a ValueError), before any work."""
    from thetabif.errors import InputError

    with pytest.raises(InputError):
        call()
