"""Checks: one small pure function per rule (`lmNNN_name.py`), registered by code with
`@check`. Every module of this package whose name starts with `lm` is a rule: a new rule
is its YAML file and its module, found here without editing a list."""
from __future__ import annotations

import importlib
import pkgutil

from .base import CHECKS, Hit, MigrationFacts, at_scale, check, name, unbounded_reason

__all__ = ["CHECKS", "Hit", "MigrationFacts", "at_scale", "check", "name", "unbounded_reason"]

for _module in pkgutil.iter_modules(__path__):
    if _module.name.startswith("lm"):
        importlib.import_module(f"{__name__}.{_module.name}")
