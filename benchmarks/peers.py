"""Where the benchmarks run each tool: one virtual environment, benchmarks/.venv, holding
lintmig installed from this checkout as the README installs it (`pip install .`, not the
editable development install, whose import hook costs every process about 20 ms) and the
peer tools from the package index: squawk (`squawk-cli`, a Rust binary) and alembic-guard.
lintmig is reinstalled there whenever its source changes.

    python benchmarks/peers.py          # set it up, print the commands
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENV = HERE / ".venv"
PACKAGES = {"squawk": "squawk-cli", "alembic-guard": "alembic-guard"}


def _python() -> Path:
    return VENV / "bin" / "python"


def _pip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(_python()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args],
                          capture_output=True, text=True, env=environment())


def _ensure_venv() -> None:
    if not _python().exists():
        venv.create(VENV, with_pip=True)


def _source_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted([*(ROOT / "lintmig").rglob("*.py"), *(ROOT / "rules").iterdir(), ROOT / "pyproject.toml"]):
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def lintmig() -> list[str]:
    """The command that runs lintmig as installed from this checkout."""
    _ensure_venv()
    marker = VENV / "lintmig-source"
    fingerprint = _source_fingerprint()
    if not marker.exists() or marker.read_text() != fingerprint:
        # setuptools builds in the checkout's build/ and reuses it: a rule file renamed since
        # would be installed twice.
        shutil.rmtree(ROOT / "build", ignore_errors=True)
        # Its dependencies (and lintmig, the first time), then this checkout's code over it.
        done = _pip(str(ROOT))
        if done.returncode == 0:
            done = _pip("--force-reinstall", "--no-deps", str(ROOT))
        if done.returncode != 0:
            sys.exit(f"cannot install lintmig into {VENV}: {done.stderr.strip()[-500:]}")
        marker.write_text(fingerprint)
    return [str(_python()), "-m", "lintmig"]


def ensure(tool: str) -> Optional[list[str]]:
    """The command that runs a peer tool, installed into benchmarks/.venv when missing; None
    when the package index cannot be reached."""
    _ensure_venv()
    found = _installed(tool)
    if found:
        return found
    done = _pip(PACKAGES[tool])
    if done.returncode != 0:
        print(f"(could not install {PACKAGES[tool]}: {done.stderr.strip().splitlines()[-1:]})", file=sys.stderr)
        return None
    return _installed(tool)


def _installed(tool: str) -> Optional[list[str]]:
    script = VENV / "bin" / tool
    if tool == "squawk" and script.exists():  # a binary
        return [str(script)]
    module = tool.replace("-", "_")
    probe = subprocess.run([str(_python()), "-c", f"import {module}"], capture_output=True)
    return [str(_python()), "-m", module] if probe.returncode == 0 else None


def environment() -> dict:
    """The benchmark's environment: bytecode allowed (an environment that forbids writing it
    would time compilation, not linting), nothing of the developer's Python leaking in."""
    env = dict(os.environ)
    for name in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH", "VIRTUAL_ENV"):
        env.pop(name, None)
    return env


if __name__ == "__main__":
    print(f"lintmig: {lintmig()}")
    for name in PACKAGES:
        print(f"{name}: {ensure(name)}")
    shutil.rmtree(HERE / ".peers", ignore_errors=True)  # the previous layout
