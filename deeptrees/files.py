"""Folders that survive a crash: content-named files plus one pointer file, written last.

A saved folder (a model, a checkpoint) holds a small JSON *pointer* (``config.json``,
``checkpoint.json``) and data files whose names carry the start of their SHA-256
(``model-3fa8c1d2e4b5a6f7.safetensors``). Saving writes the data files first, each atomically,
then replaces the pointer with one rename, then deletes the files the pointer no longer names
(and temporary files a killed save left behind). Whenever a process dies, the pointer names a
complete set of files: the old save or the new one, never a mix. The pointer records every
file's full SHA-256 and reading checks it, so a file from another save is refused by name.
No pickle anywhere: JSON and safetensors only.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path


class ModelFileError(ValueError):
    """A saved folder is missing a file, holds a corrupt or foreign one, or comes from an unknown format."""


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder, fsync and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; a saved model is an ordinary file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    """Make a rename inside ``folder`` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# what a save may leave behind: content-named files and temporary files of write_atomic
_OURS = re.compile(r"^[a-z]+-[0-9a-f]{16}\.[a-z.]+$|^\..+\.tmp$")


SEAL = "sealed_sha256"


def _seal(meta: dict) -> str:
    return sha256(json.dumps(meta, sort_keys=True).encode("utf-8"))


def write_folder(folder: str | Path, pointer: str, meta: dict, files: dict[str, tuple[str, bytes]],
                 legacy: tuple[str, ...] = (), seal: bool = False) -> Path:
    """Save ``files`` (role -> (name such as ``"model.safetensors"``, bytes)) and ``meta`` as one unit.

    The pointer file gets ``meta`` plus ``"files": {role: {"name", "sha256"}}``; with ``seal`` also a
    SHA-256 of its own content, for files nobody should edit by hand (checkpoints). Afterwards files
    of earlier saves in ``folder`` (content-named, temporary, or named in ``legacy``) are removed;
    sub-folders are left alone.
    """
    folder = Path(folder)
    listed = {}
    for role, (name, data) in files.items():
        digest = sha256(data)
        stem, _, suffix = name.partition(".")
        fname = f"{stem}-{digest[:16]}.{suffix}"
        write_atomic(folder / fname, data)
        listed[role] = {"name": fname, "sha256": digest}
    body = {**meta, "files": listed}
    if seal:
        body[SEAL] = _seal(body)
    write_atomic(folder / pointer, json.dumps(body, indent=2).encode("utf-8"))
    keep = {pointer} | {f["name"] for f in listed.values()}
    for path in folder.iterdir():
        if path.name not in keep and path.is_file() and (_OURS.match(path.name) or path.name in legacy):
            path.unlink(missing_ok=True)
    return folder


def read_pointer(folder: str | Path, pointer: str, versions: tuple[int, ...], what: str, sealed: bool = False) -> dict:
    """The JSON of ``folder/pointer``, whose ``format_version`` must be one of ``versions`` (and whose
    seal must match its content, if ``sealed``)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ModelFileError(f"{what} folder {folder} does not exist or is not a folder")
    path = folder / pointer
    if not path.is_file():
        raise ModelFileError(f"{what} folder {folder} is missing {pointer}")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ModelFileError(f"{path} is corrupt: {e}") from None
    if not isinstance(meta, dict):
        raise ModelFileError(f"{path} is corrupt: it holds a JSON {type(meta).__name__}, not an object")
    version = meta.get("format_version")
    if type(version) is not int or version not in versions:
        known = " or ".join(map(str, versions))
        newer = " (newer than this package; upgrade it)" if type(version) is int and version > max(versions) else ""
        raise ModelFileError(f"{path} has format_version {version!r}{newer}; this package reads format {known}")
    if sealed and meta.pop(SEAL, None) != _seal(meta):
        raise ModelFileError(f"{path} was changed or damaged after it was written (its content does not match "
                             f"its {SEAL})")
    return meta


def read_file(folder: str | Path, pointer: str, meta: dict, role: str) -> bytes:
    """The bytes of the file that ``meta`` (read from ``folder/pointer``) lists under ``role``, checked
    against its recorded SHA-256."""
    folder = Path(folder)
    try:
        entry = meta["files"][role]
        name, digest = entry["name"], entry["sha256"]
    except (KeyError, TypeError):
        raise ModelFileError(f"{folder / pointer} is corrupt: it names no {role} file") from None
    if not isinstance(name, str) or Path(name).name != name or name in ("", ".", ".."):
        raise ModelFileError(f"{folder / pointer} is corrupt: {role} file name {name!r} is not a plain file name")
    path = folder / name
    if not path.is_file():
        raise ModelFileError(f"folder {folder} is missing {name} (the {role} file {pointer} names)")
    data = path.read_bytes()
    if sha256(data) != digest:
        raise ModelFileError(f"{path} does not match the SHA-256 that {pointer} records: the file was changed, "
                             f"damaged, or comes from another save")
    return data

