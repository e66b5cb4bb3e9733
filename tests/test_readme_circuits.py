"""The README's circuit sections run as written.

* the Python blocks of "## Circuits" are executed as they stand, in order;
* the shell block of "### Circuits on the command line" runs in bash (``set -e``) in a
  temporary folder with the ``thetabif`` command of this environment, except the last
  step of its export line, the script run by AUTO-07p's own command line, which
  ``tests/test_cli_circuits.py::test_export_ping_runs_under_auto_cli`` runs and checks.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
#: The part of the export line left to tests/test_cli_circuits.py (AUTO's own CLI).
AUTO_STEP = " && (cd ping_auto && auto-07p ping_3d5fbed9.auto)"


def section(title: str) -> str:
    """The README text under the heading ``title`` up to the next heading of its level
    or above."""
    text = README.read_text()
    level = title.split(" ")[0]
    start = text.index("\n" + title + "\n")
    rest = text[start + len(title) + 2:]
    stop = re.search(rf"\n#{{1,{len(level)}}} ", rest)
    return rest[:stop.start()] if stop else rest


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


def test_circuit_section_python_runs(tmp_path, monkeypatch):
    codes = blocks(section("## Circuits"), "python")
    assert len(codes) >= 2  # continuation; phase diagram and verification
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for k, code in enumerate(codes):  # in order, in one namespace, as a reader runs them
        exec(compile(code, f"README.md (Circuits, block {k + 1})", "exec"), namespace)
    cyc = namespace["cyc"]
    assert any(m.reason.code == "hopf_end" for m in cyc.messages)
    assert namespace["res"].passed
    assert namespace["grid"].passed


def test_circuit_command_lines_run(tmp_path):
    (script,) = blocks(section("### Circuits on the command line"), "sh")
    assert AUTO_STEP in script
    script = script.replace(AUTO_STEP, "")
    bin_dir = str(Path(sys.executable).parent)
    # thetabif from this environment; python3 stays the system's (AUTO's CLI needs it)
    env = dict(os.environ, PATH=os.environ.get("PATH", "") + os.pathsep + bin_dir)
    proc = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, (proc.stdout[-3000:], proc.stderr[-3000:])
    for name in ("ping.nc", "my.toml", "drive.csv", "run.csv"):
        assert (tmp_path / name).is_file(), name
    assert (tmp_path / "ping_auto" / "ping_3d5fbed9.auto").is_file()
    assert '"kind": "homoclinic"' in proc.stdout
