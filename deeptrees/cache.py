"""An on-disk cache of computed tensors, shared by processes: the first run to need an entry computes
and writes it, runs that need it at the same time wait for it, later ones read it.

Distillation uses it (:mod:`tagger.distill`): the teachers' outputs over the unlabelled text take minutes
and are the same for every student of the same teachers and text, e.g. students of several seeds
trained at once, or a resumed run. An entry is a safetensors file (nothing runs code on load) named by
a SHA-256 key of all it was computed from, written atomically; a lock file (``filelock``, which torch
already requires) makes concurrent runs compute it once. A cache that cannot be written (read-only
or full disk) costs only the time: the entry is then computed and not kept.

Where: ``$DEEPTREES_CACHE``, else ``$XDG_CACHE_HOME/deeptrees``, else ``~/.cache/deeptrees``;
``DEEPTREES_CACHE=none`` turns it off. Deleting the folder is always safe.
"""
from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

import torch
from filelock import FileLock
from safetensors import SafetensorError, safe_open
from safetensors.torch import save

from corpora.wordvectors import names_nothing

from .files import write_atomic

ENV = "DEEPTREES_CACHE"
AUTO = "auto"                                # the cache option's default: the folder above

Entry = tuple[dict[str, torch.Tensor], dict[str, str]]   # tensors and string metadata


def cache_folder(option: str | Path | None = AUTO) -> Path | None:
    """The cache folder an option names: ``"auto"`` (see above), a folder, or None / ``"none"`` (no cache),
    as ``--word-vectors`` names none (:func:`corpora.wordvectors.names_nothing`)."""
    if option is None or names_nothing(str(option)):
        return None
    if str(option).strip().lower() != AUTO:
        return Path(option).expanduser()
    env = os.environ.get(ENV)
    if env is not None and env.strip().lower() != AUTO:
        return cache_folder(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "deeptrees"


def cache_key(*parts: str | bytes | Iterable[str]) -> str:
    """SHA-256 (hex) of the parts in order; an iterable part (e.g. a text's tokens) is hashed as it streams."""
    h = hashlib.sha256()
    for part in parts:
        for piece in [part] if isinstance(part, (str, bytes)) else part:
            h.update(piece.encode("utf-8") if isinstance(piece, str) else piece)
            h.update(b"\x1f")
        h.update(b"\x1e")
    return h.hexdigest()


def cached(folder: Path | None, kind: str, key: str, compute: Callable[[], Entry]) -> tuple[Entry, str]:
    """The entry ``kind-key`` of ``folder``, computed by ``compute()`` if it is not there (and then kept).
    Also says where it came from: ``"cache"``, ``"computed"`` or ``"computed, not cached (why)"``."""
    if folder is None:
        return compute(), "computed"
    path = folder / f"{kind}-{key}.safetensors"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(path) + ".lock")
        lock.acquire()
    except OSError as e:
        return compute(), f"computed, not cached ({e})"
    try:
        if path.exists():
            try:
                return _read(path), "cache"
            except (OSError, SafetensorError, ValueError) as e:   # a damaged entry is replaced
                warnings.warn(f"recomputing the damaged cache entry {path}: {e}", stacklevel=2)
        tensors, meta = compute()
        try:
            write_atomic(path, save({k: v.contiguous() for k, v in tensors.items()}, metadata=meta))
        except OSError as e:
            return (tensors, meta), f"computed, not cached ({e})"
        return (tensors, meta), "computed"
    finally:
        lock.release()


def _read(path: Path) -> Entry:
    with safe_open(path, "pt") as f:
        return {k: f.get_tensor(k) for k in f.keys()}, f.metadata() or {}
