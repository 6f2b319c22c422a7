"""Files and folders -> the supported files under them, each with the name it is shown by."""

from __future__ import annotations

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
    """Expand files and folders (recursively, hidden files and folders left out) into the
    supported files, and the unsupported ones as skipped results."""
    found = Discovery()
    seen: set[Path] = set()
    for given in paths:
        given = Path(given).expanduser()
        if not given.exists():
            raise InputError("err.no_path", path=given)
        if given.is_file():
            candidates = [(given, given.name)]
        else:
            candidates = [(p, p.relative_to(given).as_posix()) for p in sorted(given.rglob("*"))
                          if p.is_file() and not any(part.startswith(".") for part in p.relative_to(given).parts)]
        for path, source in candidates:
            if kind_of(path) is None:
                found.skipped.append(file_problem(source, path.resolve(),
                                             InputError("err.unsupported_type", suffix=path.suffix or "(none)")))
            elif path.resolve() not in seen:
                seen.add(path.resolve())
                found.files.append(FoundFile(path.resolve(), source))
    return found
