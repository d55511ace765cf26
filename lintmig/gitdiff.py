"""What a change adds, read from git with gitpython.

`changes(...)` returns, for each migration file the change adds or modifies, the lines it
added or changed (None: the whole file is new), and whether the file existed at the base.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Optional

from .config import UsageError

DEFAULT_INCLUDE = ["**/migrations/**", "**/versions/*.py", "**/migrate/**", "db/**/*.sql"]
# Every git call: no pager, colour, external diff, text conversion, relative paths or
# rename limits from the user's or the repository's settings; every file read as text.
_DIFF = ("diff", "--no-color", "--no-ext-diff", "--no-textconv", "--no-relative", "--text", "-M")
_EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
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


def _git(repo, *args: str) -> bytes:
    import git

    try:
        return repo.git.execute(["git", "-c", "core.quotePath=false", *args], stdout_as_string=False)
    except git.GitCommandError as err:
        stderr = err.stderr if isinstance(err.stderr, str) else bytes(err.stderr or b"").decode("utf-8", "replace")
        detail = stderr.strip().replace("stderr: ", "").strip("'").strip() or f"exit code {err.status}"
        raise UsageError(f"git {args[0]} failed: {detail}") from None


def _safe_ref(ref: str, source: str) -> str:
    if not ref or ref.startswith("-") or "\0" in ref:
        raise UsageError(f"{source}: {ref!r} is not a git revision")
    return ref


def _resolve(repo, ref: str) -> Optional[str]:
    import git

    try:
        found = repo.git.rev_parse("--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    except git.GitCommandError:
        return None
    return found.strip() or None


def _dig(data, *keys: str) -> Optional[str]:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, str) else None


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
                sha = _dig(data, "pull_request", "base", "sha")
                if sha:
                    candidates.append((sha, "the GitHub event's pull_request.base.sha"))
                elif _dig(data, "merge_group", "base_sha"):
                    candidates.append((_dig(data, "merge_group", "base_sha"), "the GitHub event's merge_group.base_sha"))
            except (OSError, ValueError):
                pass
        if os.environ.get("GITHUB_BASE_REF"):
            candidates.append((f"origin/{os.environ['GITHUB_BASE_REF']}", "GITHUB_BASE_REF"))
        if os.environ.get("CI_MERGE_REQUEST_DIFF_BASE_SHA"):
            candidates.append((os.environ["CI_MERGE_REQUEST_DIFF_BASE_SHA"], "CI_MERGE_REQUEST_DIFF_BASE_SHA"))
        candidates += [("origin/HEAD", "origin/HEAD"), ("main", "main"), ("master", "master")]
    for ref, how in candidates:
        sha = _resolve(repo, _safe_ref(ref, how))
        if sha:
            return sha, how
    if explicit or candidates[0][1] != "origin/HEAD":
        ref, how = candidates[0]
        raise UsageError(f"the base {ref} (from {how}) is not in this clone: {_FETCH}")
    raise UsageError(f"no base branch found (origin/HEAD, main, master): {_FETCH}")


def repo_root() -> str:
    return _repo().working_tree_dir


def changes(explicit_base: Optional[str], staged: bool, named: Optional[list[str]] = None) -> list[FileChange]:
    repo = _repo()
    root = repo.working_tree_dir
    if staged:
        head = "HEAD" if _resolve(repo, "HEAD") else _EMPTY_TREE  # the first commit of a repository
        found = _diff(repo, head, options=("--cached",))
        named_rel = {os.path.relpath(os.path.abspath(p), root) for p in named or []}
        if named_rel and not named_rel & {c.path for c in found}:
            # pre-commit's --all-files / --files: no staged changes in these files
            src, dst = os.environ.get("PRE_COMMIT_FROM_REF"), os.environ.get("PRE_COMMIT_TO_REF")
            if src and dst:
                for ref, name in ((src, "PRE_COMMIT_FROM_REF"), (dst, "PRE_COMMIT_TO_REF")):
                    if not _resolve(repo, _safe_ref(ref, name)):
                        raise UsageError(f"{name}: {ref!r} is not a commit in this clone: {_FETCH}")
                found = _diff(repo, f"{src}...{dst}")
            else:
                base, _ = base_ref(repo, explicit_base)
                found = _diff_from_base(repo, base)
        found = _unapplied_on_branch(repo, found, explicit_base)
    else:
        base, _ = base_ref(repo, explicit_base)
        found = _diff_from_base(repo, base)
    out = []
    for change in found:
        full = os.path.join(root, change.path)
        if os.path.lexists(full) and not os.path.isdir(full):
            out.append(FileChange(full, change.lines if change.existed else None, change.existed, change.context))
    return out


def _unapplied_on_branch(repo, found: list["_Change"], explicit_base: Optional[str]) -> list["_Change"]:
    """A staged edit to a migration committed earlier on this branch, but absent from the
    base branch, edits a migration no database applied yet: read it whole, as new."""
    existing = [c.path for c in found if c.existed]
    if not existing:
        return found
    try:
        base = _merge_base(repo, base_ref(repo, explicit_base)[0])
    except UsageError:
        return found  # no base branch to compare with: what HEAD has counts as applied
    at_base: set[str] = set()
    for start in range(0, len(existing), 500):
        listed = _git(repo, "ls-tree", "-r", "-z", "--name-only", "--end-of-options", base, "--",
                      *(f":(literal){p}" for p in existing[start:start + 500]))
        at_base.update(os.fsdecode(p) for p in listed.split(b"\0") if p)
    for change in found:
        if change.existed and change.path not in at_base:
            change.existed, change.lines = False, None
    return found


@dataclass
class _Change:
    """One file of `git diff`: its path now, whether it existed before, the lines added."""

    path: str
    existed: bool
    lines: Optional[set[int]] = field(default_factory=set)  # None: read it whole
    context: bool = False


def _diff(repo, *revisions: str, options: tuple[str, ...] = ()) -> list[_Change]:
    """Per changed file (deleted ones left out), from `--raw -z` (paths exactly as they are,
    whatever characters they hold) and `-U0` hunks (line numbers, counted, never matched)."""
    tail = ("--end-of-options", *revisions, "--")
    raw = _git(repo, *_DIFF, *options, "--raw", "-z", "--no-abbrev", *tail)
    entries = _raw_entries(raw)
    patches = _patches(_git(repo, *_DIFF, *options, "-U0", *tail))
    if len(patches) != len(entries):  # cannot pair them: judge every changed file whole
        patches = [(None, True)] * len(entries)
    out = []
    for (status, path), (lines, context) in zip(entries, patches):
        if status == "D":
            continue
        existed = status not in ("A", "C")
        out.append(_Change(path, existed, lines if existed and status != "U" else None, context))
    return out


def _raw_entries(raw: bytes) -> list[tuple[str, str]]:
    """(status letter, path now) per entry of `git diff --raw -z`."""
    fields = raw.split(b"\0")
    out, i = [], 0
    while i < len(fields) and fields[i].startswith(b":"):
        status = fields[i].split(b" ")[-1][:1].decode("ascii", "replace")
        paths = 2 if status in ("R", "C") else 1
        names = fields[i + 1:i + 1 + paths]
        out.append((status, os.fsdecode(names[-1])))
        i += 1 + paths
    return out


def _patches(patch: bytes) -> list[tuple[Optional[set[int]], bool]]:
    """(added line numbers, whether changed text touches verdict context) per file of a
    `-U0` patch. Hunk bodies are consumed by the counts in their headers, so no content
    line can pass for a header."""
    from .extract.registry import context_words

    words = context_words()  # added or removed, they can change verdicts on untouched lines
    out: list[tuple[Optional[set[int]], bool]] = []
    old_left = new_left = 0
    new_line = 0
    changed: list[bytes] = []

    def finish() -> None:
        if out:
            lines, _ = out[-1]
            out[-1] = (lines, any(word in t.decode("utf-8", "replace").lower() for t in changed for word in words))
        changed.clear()

    for line in patch.split(b"\n"):
        if old_left or new_left:
            if line.startswith(b"\\"):  # "\ No newline at end of file"
                continue
            if line.startswith(b"-") and old_left:
                old_left -= 1
            elif line.startswith(b"+") and new_left:
                new_left -= 1
                out[-1][0].add(new_line)
                new_line += 1
            else:  # not a -U0 body line: read the file whole
                out[-1] = (None, True)
                old_left = new_left = 0
                continue
            changed.append(line[1:])
            continue
        if line.startswith((b"diff --git ", b"diff --cc ", b"diff --combined ")):
            finish()
            out.append((set(), False))
        elif line.startswith(b"@@ ") and out and out[-1][0] is not None:
            parts = line.split(b" ")
            try:
                old_left = _count(parts[1])
                start, new_left = _start_count(parts[2])
            except (IndexError, ValueError):
                out[-1] = (None, True)
                continue
            new_line = start
    finish()
    return out


def _start_count(field_: bytes) -> tuple[int, int]:
    start, _, count = field_[1:].partition(b",")
    return int(start), int(count) if count else 1


def _count(field_: bytes) -> int:
    return _start_count(field_)[1]


def _merge_base(repo, base: str) -> str:
    import git

    try:
        found = repo.git.merge_base("HEAD", base)
    except git.GitCommandError:
        found = ""
    if not found:
        raise UsageError(f"no merge base between HEAD and {base[:12]}: the clone is probably shallow; {_FETCH}")
    return found.split()[0]


def _diff_from_base(repo, base: str) -> list[_Change]:
    found = _diff(repo, _merge_base(repo, base))
    listed = _git(repo, "ls-files", "-z", "--others", "--exclude-standard", "--full-name")
    for name in listed.split(b"\0"):
        if name:
            found.append(_Change(os.fsdecode(name), existed=False, lines=None))
    return found


def base_commit(explicit_base: Optional[str], staged: bool) -> str:
    """The commit the change is measured from: HEAD for --staged, else the merge base."""
    repo = _repo()
    if staged:
        return _resolve(repo, "HEAD") or _EMPTY_TREE
    return _merge_base(repo, base_ref(repo, explicit_base)[0])


def file_at(commit: str, rel: str) -> Optional[bytes]:
    """A file's bytes at a commit (None when it is not there)."""
    import git

    repo = _repo()
    try:
        return repo.git.execute(["git", "cat-file", "blob", f"{commit}:{rel}"], stdout_as_string=False)
    except git.GitCommandError:
        return None
