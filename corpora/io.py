"""Saving and loading models: a folder with ``config.json``, ``vocab.json`` and ``model.safetensors``.

No pickle anywhere: the config and vocabulary are JSON, the weights are safetensors, so
loading a model someone sent you cannot run code. Every file is written to a temporary
name and renamed into place, so a crash mid-save leaves the previous model intact.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from .vocab import Vocab

FORMAT_VERSION = 1
CONFIG, VOCAB, WEIGHTS = "config.json", "vocab.json", "model.safetensors"


class ModelFileError(ValueError):
    """A saved model folder is missing a file, has a corrupt one, or comes from a newer format."""


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder and an atomic rename."""
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


def save_model(folder: str | Path, kind: str, config: dict, vocab: "Vocab", state: dict[str, torch.Tensor]) -> Path:
    """Write a model of ``kind`` ("tagger", "treenet") with its config, vocabulary and weights."""
    from safetensors.torch import save

    folder = Path(folder)
    tensors = {k: v.detach().cpu().contiguous() for k, v in state.items()}
    write_atomic(folder / WEIGHTS, save(tensors))
    vocab.save(folder / VOCAB)
    meta = {"format_version": FORMAT_VERSION, "kind": kind, "config": config}
    write_atomic(folder / CONFIG, json.dumps(meta, indent=2).encode("utf-8"))
    return folder


def load_model(folder: str | Path, kind: str) -> tuple[dict, "Vocab", dict[str, torch.Tensor]]:
    """Read what :func:`save_model` wrote; every failure names the file at fault."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from .vocab import Vocab

    folder = Path(folder)
    if not folder.is_dir():
        raise ModelFileError(f"model folder {folder} does not exist or is not a folder")
    for name in (CONFIG, VOCAB, WEIGHTS):
        if not (folder / name).is_file():
            raise ModelFileError(f"model folder {folder} is missing {name}")
    try:
        meta = json.loads((folder / CONFIG).read_text(encoding="utf-8"))
        version, found_kind, config = meta["format_version"], meta["kind"], meta["config"]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as e:
        raise ModelFileError(f"{folder / CONFIG} is corrupt: {e}") from None
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelFileError(f"{folder / CONFIG} has format_version {version!r}, newer than this package reads "
                             f"({FORMAT_VERSION}); upgrade the package to load it")
    if found_kind != kind:
        raise ModelFileError(f"{folder / CONFIG} holds a {found_kind!r} model, not a {kind!r} model")
    try:
        vocab = Vocab.load(folder / VOCAB)
    except ValueError as e:
        raise ModelFileError(str(e)) from None
    try:
        state = load_file(str(folder / WEIGHTS))
    except (SafetensorError, OSError, ValueError) as e:
        raise ModelFileError(f"{folder / WEIGHTS} is corrupt: {e}") from None
    return config, vocab, state


def save_network(folder: str | Path, kind: str, network: torch.nn.Module, config, vocab: "Vocab",
                 meta: dict) -> Path:
    """Save a network whose architecture dataclass has ``to_dict()``, with free-form ``meta``."""
    return save_model(folder, kind, {"model": config.to_dict(), **meta}, vocab, network.state_dict())


def load_network(folder: str | Path, kind: str, config_cls, network_cls):
    """Rebuild ``network_cls(vocab, config)`` from a folder: ``(network, vocab, config, meta)``."""
    folder = Path(folder)
    saved, vocab, state = load_model(folder, kind)
    try:
        config = config_cls.from_dict(saved["model"])
    except (KeyError, TypeError, ValueError) as e:
        raise ModelFileError(f"{folder / CONFIG} does not describe a {kind}: {e}") from None
    network = network_cls(vocab, config)
    try:
        network.load_state_dict(state)
    except RuntimeError as e:
        raise ModelFileError(f"{folder / WEIGHTS} does not match {CONFIG}: {str(e).splitlines()[0]}") from None
    return network, vocab, config, {k: v for k, v in saved.items() if k != "model"}
