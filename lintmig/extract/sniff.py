"""How a Python front end recognises its files, on their text (cheap: no parser imported).
The registry picks a front end with these; the front ends use them for sibling files."""
from __future__ import annotations


def is_alembic(text: str) -> bool:
    return "def upgrade" in text and ("alembic" in text or "down_revision" in text)


def is_django(text: str) -> bool:
    return "class Migration" in text and "migrations" in text


def is_runner(text: str) -> bool:
    return "def schema(" in text
