"""The order migration tools run files in."""
from __future__ import annotations

import re
from typing import Optional

_DIGITS = re.compile(r"(\d+)")


def natural_key(path: str) -> tuple:
    """Order migration files as their tools do: 2_x before 10_x."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in _DIGITS.split(path))


class ParentsFirst:
    """The order migrations run in: path order, except that a migration naming its parents
    (Alembic's down_revision, Django's dependencies) runs after them.

    Iterative, not recursive: a chain of thousands of revisions whose file names sort
    newest first (hash-named revisions do, by chance) is as deep as it is long."""

    def __init__(self, by_revision: Optional[dict] = None):
        self.by_revision: dict = by_revision if by_revision is not None else {}
        self.placed: set[int] = set()

    def place(self, mig) -> list:
        """`mig` after those of its ancestors not placed yet, parents first; [] when it is
        placed already. A parent named but absent is skipped, and so is a cycle's back edge."""
        if id(mig) in self.placed:
            return []
        out = []
        stack, on_path = [(mig, iter(mig.depends_on))], {id(mig)}
        while stack:
            current, parents = stack[-1]
            for name in parents:
                parent = self.by_revision.get(name)
                if parent is not None and id(parent) not in self.placed and id(parent) not in on_path:
                    stack.append((parent, iter(parent.depends_on)))
                    on_path.add(id(parent))
                    break
            else:
                stack.pop()
                on_path.discard(id(current))
                self.placed.add(id(current))
                out.append(current)
        return out

    def missing(self, mig) -> Optional[str]:
        """A revision among `mig`'s unplaced ancestors that no migration seen so far has;
        None when all are known (placing it now gives what placing it later would)."""
        stack, seen = [mig], {id(mig)}
        while stack:
            for name in stack.pop().depends_on:
                parent = self.by_revision.get(name)
                if parent is None:
                    return name
                if id(parent) not in self.placed and id(parent) not in seen:
                    seen.add(id(parent))
                    stack.append(parent)
        return None


def migration_order(migrations: list) -> list:
    """Path order, except that a migration naming its parents comes after them."""
    ordered = sorted(migrations, key=lambda m: natural_key(m.path))
    # A revision two files claim is the later file's, as in every place that names it.
    order = ParentsFirst({m.revision: m for m in ordered if m.revision})
    return [placed for m in ordered for placed in order.place(m)]
