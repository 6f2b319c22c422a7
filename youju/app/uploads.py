"""Uploaded files copied into the upload folder under names that cannot leave it."""

from __future__ import annotations

import hashlib
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from youju.errors import InputError, YoujuError
from youju.i18n import t

_UNSAFE = re.compile(r"[^\w\u3400-\u9fff.()（）\-]+")
UPLOAD_TYPES = [".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"]


def safe_upload_name(name: str) -> str:
    """A file name that cannot leave the upload folder: no directories, no dot-dot, no odd
    characters; the extension is kept."""
    base = Path(str(name).replace("\\", "/")).name
    base = _UNSAFE.sub("_", base).strip("._ ") or "upload"
    stem, dot, ext = base.rpartition(".")
    return (stem[:100] + dot + ext[:10]) if dot else base[:110]


def store_upload(src: Path, upload_dir: Path) -> Path:
    upload_dir = upload_dir.resolve()
    upload_dir.mkdir(parents=True, exist_ok=True)
    dest = (upload_dir / safe_upload_name(Path(src).name)).resolve()
    if dest.parent != upload_dir:  # belt and braces: the name above has no separators left
        raise InputError("err.upload_outside", path=src)
    if dest.exists() and _digest(dest) != _digest(Path(src)):
        # Another upload (perhaps another user's) holds this name: never replace it; the
        # content hash keeps the name unique and stable for the same file.
        dest = dest.with_name(f"{dest.stem}-{_digest(Path(src))[:8]}{dest.suffix}")
    shutil.copyfile(src, dest)
    return dest


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


@dataclass
class Stored:
    paths: list[Path] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # one message per file that could not be copied


def store_uploads(srcs: list[Path], upload_dir: Path, lang: str) -> Stored:
    """Copy each upload in; a file that fails (e.g. a full disk) becomes a message, not a lost
    batch: the others are still returned for indexing."""
    out = Stored()
    for src in srcs:
        try:
            out.paths.append(store_upload(src, upload_dir))
        except YoujuError as exc:
            out.errors.append(exc.text(lang))
        except OSError as exc:
            out.errors.append(f"{t('error', lang)}: {Path(src).name}: {exc.strerror or exc}")
    return out
