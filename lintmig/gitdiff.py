"""What a change adds, read from git with gitpython.

`changes(...)` returns, for each migration file the change adds or modifies, the lines it
added or changed (None: the whole file is new), and whether the file existed at the base.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Optional

from .config import UsageError

DEFAULT_INCLUDE = ["**/migrations/**", "**/versions/*.py", "**/migrate/**", "db/**/*.sql"]
# Added or removed lines with these words can change the verdict on lines they do not touch:
# a transaction boundary, atomic = False, an autocommit block, an opt-out, a timeout.
_CONTEXT = re.compile(r"atomic|autocommit|preflight|unsafe-ack|\+goose|migrate:|morph:|\bbegin\b|\bcommit\b|"
                      r"transaction|lock_timeout|statement_timeout|lock_wait_timeout", re.I)
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@", re.M)
_FETCH = ("fetch the full history (actions/checkout with fetch-depth: 0; GitLab GIT_DEPTH: 0; "
          "or git fetch --unshallow) or name the base with --base")


@dataclass
class FileChange:
    path: str  # absolute
    lines: Optional[set[int]]  # None: a new file, every line added
    existed: bool  # the file (or the file it was renamed from) exists at the base
    context_changed: bool = False  # added or removed lines that change verdicts elsewhere in the file


def _repo():
    try:
        import git
    except ImportError as err:  # pragma: no cover - gitpython is a dependency
        raise UsageError(f"git support is missing: {err}") from None
    try:
        return git.Repo(os.getcwd(), search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise UsageError("not in a git repository: name the migration files or folders to lint") from None


def _resolve(repo, ref: str) -> Optional[str]:
    try:
        return repo.git.rev_parse("--verify", "--quiet", f"{ref}^{{commit}}")
    except Exception:
        return None


def base_ref(repo, explicit: Optional[str]) -> tuple[str, str]:
    """(the sha, how it was chosen) of the base the change is measured from."""
    candidates: list[tuple[str, str]] = []
    if explicit:
        candidates.append((explicit, "--base"))
    elif os.environ.get("LINTMIG_BASE"):
        candidates.append((os.environ["LINTMIG_BASE"], "LINTMIG_BASE"))
    else:
        event = os.environ.get("GITHUB_EVENT_PATH")
        if event and os.path.isfile(event):
            try:
                with open(event, encoding="utf-8") as fh:
                    data = json.load(fh)
                sha = (data.get("pull_request") or {}).get("base", {}).get("sha")
                if sha:
                    candidates.append((sha, "the GitHub event's pull_request.base.sha"))
                elif (data.get("merge_group") or {}).get("base_sha"):
                    candidates.append((data["merge_group"]["base_sha"], "the GitHub event's merge_group.base_sha"))
            except (OSError, ValueError):
                pass
        if os.environ.get("GITHUB_BASE_REF"):
            candidates.append((f"origin/{os.environ['GITHUB_BASE_REF']}", "GITHUB_BASE_REF"))
        if os.environ.get("CI_MERGE_REQUEST_DIFF_BASE_SHA"):
            candidates.append((os.environ["CI_MERGE_REQUEST_DIFF_BASE_SHA"], "CI_MERGE_REQUEST_DIFF_BASE_SHA"))
        candidates += [("origin/HEAD", "origin/HEAD"), ("main", "main"), ("master", "master")]
    for ref, how in candidates:
        sha = _resolve(repo, ref)
        if sha:
            return sha, how
    if explicit or candidates[0][1] != "origin/HEAD":
        ref, how = candidates[0]
        raise UsageError(f"the base {ref} (from {how}) is not in this clone: {_FETCH}")
    raise UsageError(f"no base branch found (origin/HEAD, main, master): {_FETCH}")


def _added_lines(diff_text: str) -> dict[str, tuple[Optional[set[int]], Optional[str], bool]]:
    """Per new path: (added line numbers, or None for a new file; the old path; context changed)."""
    out: dict[str, tuple[Optional[set[int]], Optional[str]]] = {}
    for block in re.split(r"^diff --git ", diff_text, flags=re.M)[1:]:
        old = re.search(r"^--- (?:a/(.*)|/dev/null)$", block, re.M)
        new = re.search(r"^\+\+\+ (?:b/(.*)|/dev/null)$", block, re.M)
        rename_from = re.search(r"^rename from (.*)$", block, re.M)
        rename_to = re.search(r"^rename to (.*)$", block, re.M)
        path = (new.group(1) if new and new.group(1) else None) or (rename_to.group(1) if rename_to else None)
        if path is None:  # deleted
            continue
        old_path = (rename_from.group(1) if rename_from else None) or (old.group(1) if old and old.group(1) else None)
        if old_path is None and not rename_from and re.search(r"^new file mode", block, re.M):
            out[path] = (None, None, False)
            continue
        lines: set[int] = set()
        for m in _HUNK.finditer(block):
            start, count = int(m.group(1)), int(m.group(2) if m.group(2) is not None else 1)
            lines.update(range(start, start + count))
        changed_text = [ln[1:] for ln in block.splitlines() if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]
        out[path] = (lines, old_path, any(_CONTEXT.search(t) for t in changed_text))
    return out


def repo_root() -> str:
    return _repo().working_tree_dir


def changes(explicit_base: Optional[str], staged: bool, named: Optional[list[str]] = None) -> list[FileChange]:
    repo = _repo()
    root = repo.working_tree_dir
    if staged:
        diff = repo.git.diff("--cached", "-U0", "-M", "--no-color", "--no-ext-diff", "HEAD")
        found = _added_lines(diff)
        named_rel = {os.path.relpath(os.path.abspath(p), root) for p in named or []}
        if named_rel and not named_rel & set(found):
            # pre-commit's --all-files / --files: no staged changes in these files
            src, dst = os.environ.get("PRE_COMMIT_FROM_REF"), os.environ.get("PRE_COMMIT_TO_REF")
            if src and dst:
                found = _added_lines(repo.git.diff("-U0", "-M", "--no-color", "--no-ext-diff", f"{src}...{dst}"))
            else:
                base, _ = base_ref(repo, explicit_base)
                found = _diff_from_base(repo, base)
        base_commit = "HEAD"
    else:
        base, _ = base_ref(repo, explicit_base)
        found = _diff_from_base(repo, base)
        base_commit = _merge_base(repo, base)
    out = []
    for rel, (lines, old_path, context) in found.items():
        full = os.path.join(root, rel)
        if not os.path.isfile(full):
            continue
        existed = lines is not None and _exists_at(repo, base_commit, old_path or rel)
        out.append(FileChange(full, lines if existed else None, existed, context))
    return out


def _merge_base(repo, base: str) -> str:
    try:
        found = repo.git.merge_base("HEAD", base)
    except Exception:
        found = ""
    if not found:
        raise UsageError(f"no merge base between HEAD and {base[:12]}: the clone is probably shallow; {_FETCH}")
    return found.split()[0]


def _diff_from_base(repo, base: str) -> dict:
    merge_base = _merge_base(repo, base)
    found = _added_lines(repo.git.diff("-U0", "-M", "--no-color", "--no-ext-diff", merge_base))
    for rel in repo.untracked_files:
        found[rel] = (None, None, False)
    return found


def _exists_at(repo, commit: str, rel: str) -> bool:
    try:
        repo.git.cat_file("-e", f"{commit}:{rel}")
        return True
    except Exception:
        return False
