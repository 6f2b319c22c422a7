"""Files and folders -> the supported files under them, each with the name it is shown by."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from youju.errors import InputError, YoujuError
from youju.ingest.loaders import kind_of
from youju.records import FileResult, FileStatus


@dataclass(frozen=True)
class FoundFile:
    path: Path  # absolute
    source: str  # relative to the folder given (the file name for a file given directly)


@dataclass
class Discovery:
    files: list[FoundFile] = field(default_factory=list)
    skipped: list[FileResult] = field(default_factory=list)


def file_problem(source: str, path: Path | str, error: YoujuError, status: FileStatus = "skipped") -> FileResult:
    """A file's outcome when it cannot be indexed, with its reason in both languages."""
    return FileResult(source, str(path), status, error.text("en"), error.text("zh"))


def discover(paths: list[Path]) -> Discovery:
    """Expand files and folders (recursively, following links once, hidden files and folders
    left out) into the supported files; unsupported files, unreadable folders, link loops and
    dangling links become skipped results with their reason, never silence."""
    found = Discovery()
    seen: set[Path] = set()
    for given in paths:
        given = Path(given).expanduser()
        if not given.exists():
            raise InputError("err.no_path", path=given)
        candidates = [(given, given.name)] if given.is_file() else _walk(given, found)
        for path, source in candidates:
            if kind_of(path) is None:
                found.skipped.append(file_problem(source, path.resolve(),
                                             InputError("err.unsupported_type", suffix=path.suffix or "(none)")))
            elif path.resolve() not in seen:
                seen.add(path.resolve())
                found.files.append(FoundFile(path.resolve(), source))
    return found


def _walk(folder: Path, found: Discovery) -> list[tuple[Path, str]]:
    """Files under `folder` with their relative names, recording what cannot be read."""
    out: list[tuple[Path, str]] = []
    visited: set[str] = set()

    def rel(p: str | Path) -> str:
        return Path(p).relative_to(folder).as_posix() if Path(p) != folder else Path(p).name

    def unreadable(err: OSError) -> None:
        name = err.filename or str(folder)
        found.skipped.append(file_problem(rel(name), name, InputError("err.folder_unreadable",
                                                                      detail=err.strerror or type(err).__name__)))

    for root, dirs, files in os.walk(folder, onerror=unreadable, followlinks=True):
        real = os.path.realpath(root)
        if real in visited:  # a link back to a folder already walked
            found.skipped.append(file_problem(rel(root), root, InputError("err.symlink_loop")))
            dirs[:] = []
            continue
        visited.add(real)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(root) / name
            if path.is_symlink() and not path.exists():
                found.skipped.append(file_problem(rel(path), path, InputError("err.dangling_link")))
            elif path.is_file():
                out.append((path, rel(path)))
    return out
