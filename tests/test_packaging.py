"""What the wheel ships: every package of the source tree and the rule catalog."""
from __future__ import annotations

import sys

from conftest import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def test_every_package_of_the_tree_is_listed_for_the_wheel():
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    in_tree = {".".join(init.parent.relative_to(ROOT).parts) for init in (ROOT / "lintmig").rglob("__init__.py")}
    assert set(settings["packages"]) == in_tree | {"lintmig.rules"}
    assert settings["package-dir"] == {"lintmig.rules": "rules"}
    assert set(settings["package-data"]["lintmig.rules"]) == {"*.yaml", "catalog.json"}
