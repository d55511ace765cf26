"""lintmig: a static pre-merge linter for database migrations."""

__version__ = "0.1.0"
