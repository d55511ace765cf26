"""The peer tools the benchmarks compare lintmig with, installed from the package index
into benchmarks/.peers (not into the environment lintmig runs in): squawk (`squawk-cli`,
a Rust binary) and alembic-guard.

    python benchmarks/peers.py          # install them, print where they are
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Optional

HERE = Path(__file__).resolve().parent
TARGET = HERE / ".peers"
PACKAGES = {"squawk": "squawk-cli", "alembic-guard": "alembic-guard"}


def ensure(tool: str) -> Optional[list[str]]:
    """The command that runs the tool: found on PATH, else installed into benchmarks/.peers;
    None when the package index cannot be reached. Run it with `environment()`."""
    found = ([shutil.which(tool)] if shutil.which(tool) else None) or _installed(tool)
    if found:
        return found
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                           "--target", str(TARGET), PACKAGES[tool]], capture_output=True, text=True)
    if done.returncode != 0:
        print(f"(could not install {PACKAGES[tool]}: {done.stderr.strip().splitlines()[-1:]})", file=sys.stderr)
        return None
    return _installed(tool)


def _installed(tool: str) -> Optional[list[str]]:
    script = TARGET / "bin" / tool
    if script.exists():  # squawk ships a binary
        return [str(script)]
    module = tool.replace("-", "_")
    if (TARGET / module).is_dir():  # a Python tool: pip --target writes no console script for it
        return [sys.executable, "-m", module]
    return None


def environment() -> dict:
    """What a peer installed with --target needs to find its own modules; and bytecode
    allowed (an environment that forbids writing it would time compilation, not linting)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(TARGET), os.environ.get("PYTHONPATH")])))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


if __name__ == "__main__":
    for name in PACKAGES:
        print(f"{name}: {ensure(name)}")
