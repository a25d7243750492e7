"""Saving and loading models: a folder with ``config.json``, a vocabulary and a weights file.

``config.json`` (versioned JSON: the kind of network, its architecture and training settings)
is the pointer of a crash-safe folder (:mod:`deeptrees.files`): it names
``vocab-<sha>.json`` and ``model-<sha>.safetensors`` and records their SHA-256, and it is written
last, so a save killed at any moment leaves the old model or the new one. No pickle anywhere:
loading a model someone sent you cannot run code.

A model may carry *parts*: other networks it needs at inference, saved in the same unit (e.g. the
POS tagger that writes a tagger's feature column from plain words). A part's vocabulary and weights
are files of the folder like the model's own (``<name>vocab-<sha>.json``, ``<name>model-<sha>.safetensors``),
its config sits in ``config.json`` under ``"parts"``; such a folder is format 3, which older packages refuse.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import torch

from corpora.vocab import Vocab

from .files import ModelFileError, read_file, read_pointer, write_folder

FORMAT_VERSION = 3      # 3: may carry parts; 2: content-named files with SHA-256 in config.json; 1: fixed names
PLAIN_VERSION = 2       # what a folder without parts is written as, so older packages still read it
CONFIG = "config.json"
PART_NAME = re.compile(r"[a-z]+")   # a part's name prefixes its file names (see deeptrees.files)
LEGACY = {"weights": "model.safetensors", "vocab": "vocab.json"}   # format 1 names


def save_model(folder: str | Path, kind: str, config: dict, vocab: Vocab, state: dict[str, torch.Tensor],
               history: list[dict] | None = None, parts: dict[str, SavedPart] | None = None) -> Path:
    """Write a model of ``kind`` ("tagger", "treenet") with its config, vocabulary and weights, as one
    unit; with ``history`` (one record per training epoch: loss, dev score, seconds) also
    ``history-<sha>.json``; with ``parts`` (name -> :class:`SavedPart`) the networks it carries."""
    files = {"weights": ("model.safetensors", tensors_to_bytes(state)), "vocab": ("vocab.json", vocab_to_bytes(vocab))}
    if history is not None:
        files["history"] = ("history.json", json.dumps(history, indent=1).encode("utf-8"))
    meta = {"format_version": FORMAT_VERSION if parts else PLAIN_VERSION, "kind": kind, "config": config}
    for name, part in (parts or {}).items():
        if not PART_NAME.fullmatch(name):
            raise ValueError(f"a part's name is lower-case letters, got {name!r}")
        files[f"{name}.weights"] = (f"{name}model.safetensors", tensors_to_bytes(part.state))
        files[f"{name}.vocab"] = (f"{name}vocab.json", vocab_to_bytes(part.vocab))
        meta.setdefault("parts", {})[name] = {"kind": kind, "config": part.config}
    return write_folder(folder, CONFIG, meta, files, legacy=tuple(LEGACY.values()))


def tensors_to_bytes(state: dict[str, torch.Tensor]) -> bytes:
    from safetensors.torch import save

    return save({k: v.detach().cpu().contiguous() for k, v in state.items()})


def tensors_from_bytes(data: bytes, where: Path) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load

    try:
        return load(data)
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise ModelFileError(f"{where} is corrupt: {e}") from None


def vocab_to_bytes(vocab: Vocab) -> bytes:
    return json.dumps(vocab.to_dict(), ensure_ascii=False).encode("utf-8")


def vocab_from_bytes(data: bytes, where: Path) -> Vocab:
    try:
        return Vocab.from_dict(json.loads(data.decode("utf-8")))
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError, ValueError, AttributeError) as e:
        raise ModelFileError(f"{where} is corrupt or not a vocabulary: {e}") from None


@dataclass
class SavedPart:
    """A network saved inside another of its kind (see the module's docstring)."""
    config: dict                       # {"model": architecture, ...meta}, as a model's own
    vocab: Vocab
    state: dict[str, torch.Tensor]


@dataclass
class SavedModel:
    config: dict                       # what was saved as "config": {"model": architecture, ...meta}
    vocab: Vocab
    state: dict[str, torch.Tensor]
    weights: Path                      # the weights file, for messages
    history: list[dict] | None = None  # per-epoch training records, when the folder has them
    parts: dict[str, SavedModel] = field(default_factory=dict)   # networks saved inside this one, by name


def load_model(folder: str | Path, kind: str) -> SavedModel:
    """Read what :func:`save_model` wrote; every failure is a :class:`ModelFileError` naming the file at fault."""
    folder = Path(folder)
    meta = read_pointer(folder, CONFIG, (1, PLAIN_VERSION, FORMAT_VERSION), "model")
    found_kind, config = meta.get("kind"), meta.get("config")
    if not isinstance(config, dict):
        raise ModelFileError(f"{folder / CONFIG} is corrupt: it has no 'config' object")
    if found_kind != kind:
        raise ModelFileError(f"{folder / CONFIG} holds a {found_kind!r} model, not a {kind!r} model")
    parts = meta.get("parts", {}) if meta["format_version"] >= 3 else {}
    if not isinstance(parts, dict) or not all(isinstance(p, dict) and isinstance(p.get("config"), dict)
                                              and PART_NAME.fullmatch(str(n)) for n, p in parts.items()):
        raise ModelFileError(f"{folder / CONFIG} is corrupt: its 'parts' are not {{name: {{kind, config}}}}")
    for name, part in parts.items():
        if part.get("kind") != kind:
            raise ModelFileError(f"{folder / CONFIG}: part {name!r} is a {part.get('kind')!r} model; a {kind} "
                                 f"carries only {kind}s")
    blobs, paths = {}, {}
    for role, legacy in LEGACY.items():
        if meta["format_version"] == 1:
            paths[role] = folder / legacy
            if not paths[role].is_file():
                raise ModelFileError(f"model folder {folder} is missing {legacy}")
            blobs[role] = paths[role].read_bytes()
        else:
            blobs[role], paths[role] = _listed(folder, meta, role)
    history = None
    if "history" in meta.get("files", {}):
        raw = read_file(folder, CONFIG, meta, "history")
        try:
            history = json.loads(raw.decode("utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ModelFileError(f"{folder / meta['files']['history']['name']} is corrupt: {e}") from None
    saved = {}
    for name, part in parts.items():
        weights = _listed(folder, meta, f"{name}.weights")
        saved[name] = SavedModel(part["config"], vocab_from_bytes(*_listed(folder, meta, f"{name}.vocab")),
                                 tensors_from_bytes(*weights), weights[1])
    return SavedModel(config, vocab_from_bytes(blobs["vocab"], paths["vocab"]),
                      tensors_from_bytes(blobs["weights"], paths["weights"]), paths["weights"], history, saved)


def _listed(folder: Path, meta: dict, role: str) -> tuple[bytes, Path]:
    """The checked bytes and the path of the file ``config.json`` lists under ``role``."""
    return read_file(folder, CONFIG, meta, role), folder / meta["files"][role]["name"]


def model_kind(folder: str | Path) -> str:
    """The kind of network ("tagger", "treenet") saved in ``folder``."""
    return str(read_pointer(folder, CONFIG, (1, PLAIN_VERSION, FORMAT_VERSION), "model").get("kind"))


def check_state(expected: dict[str, torch.Tensor], found: dict[str, torch.Tensor], where: Path) -> None:
    """Refuse weights whose tensor names or shapes differ from what the config builds, naming them."""
    missing = sorted(expected.keys() - found.keys())
    unexpected = sorted(found.keys() - expected.keys())
    shapes = [f"{k} is {tuple(found[k].shape)} in the file, {tuple(expected[k].shape)} for the config"
              for k in sorted(expected.keys() & found.keys()) if found[k].shape != expected[k].shape]
    if missing or unexpected or shapes:
        def few(names: list[str]) -> str:
            return ", ".join(names[:4]) + (f" (+{len(names) - 4} more)" if len(names) > 4 else "")
        parts = ([f"missing tensors {few(missing)}"] if missing else []) + \
                ([f"unexpected tensors {few(unexpected)}"] if unexpected else []) + \
                ([f"shape of {few(shapes)}"] if shapes else [])
        raise ModelFileError(f"{where} does not match {CONFIG}: " + "; ".join(parts))


def load_network(folder: str | Path, kind: str, config_cls, network_cls):
    """Rebuild ``network_cls(vocab, config)`` from a folder: ``(network, vocab, config, meta, parts)``,
    ``parts`` mapping each carried network's name to its own ``(network, vocab, config, meta)``.

    The network is first built on PyTorch's ``meta`` device (no memory) and its tensor shapes
    compared with the file's, so nonsense sizes in ``config.json`` are refused, not allocated."""
    folder = Path(folder)
    saved = load_model(folder, kind)
    parts = {name: _build(part, f"{folder / CONFIG} (part {name!r})", kind, config_cls, network_cls)
             for name, part in saved.parts.items()}
    return (*_build(saved, str(folder / CONFIG), kind, config_cls, network_cls), parts)


def _build(saved: SavedModel, where: str, kind: str, config_cls, network_cls) -> tuple:
    try:
        config = config_cls.from_dict(saved.config["model"])
    except (KeyError, TypeError, ValueError) as e:
        raise ModelFileError(f"{where} does not describe a {kind}: {e}") from None
    config.check_sizes(saved.state, saved.weights)
    try:
        # meta tensors hold no values, so initialising them is moot; and normal_() on one imports
        # torch._dynamo (over a second), which would double the time to load a model. Any other op on
        # a tensor in a network's constructor does the same (torch.where, arithmetic): constructors
        # create parameters with factories and nn.init only (tests/test_loading.py)
        with torch.device("meta"), mock.patch.object(torch.nn.init, "normal_", lambda tensor, *a, **k: tensor):
            skeleton = network_cls(saved.vocab, config)
    except (ValueError, TypeError, RuntimeError) as e:
        raise ModelFileError(f"{where} does not describe a {kind} for its vocabulary: {e}") from None
    check_state(skeleton.state_dict(), saved.state, saved.weights)
    network = network_cls(saved.vocab, config)
    network.load_state_dict(saved.state)
    meta = {k: v for k, v in saved.config.items() if k != "model"}
    if saved.history is not None:
        meta["history"] = saved.history
    return network, saved.vocab, config, meta


def save_network(folder: str | Path, kind: str, network: torch.nn.Module, config, vocab: Vocab,
                 meta: dict, half: bool = False, parts: dict[str, tuple] | None = None) -> Path:
    """Save a network whose architecture dataclass has ``to_dict()``, with free-form ``meta`` (its
    ``"history"``, if any, goes to its own file); ``half`` stores floating-point weights as float16
    (half the file; they load back into the float32 network). ``parts``: name -> ``(network, config,
    vocab, meta)`` of networks of the same kind saved inside this one (their histories are left out)."""
    def weights(net: torch.nn.Module) -> dict[str, torch.Tensor]:
        return {k: v.half() if half and v.is_floating_point() else v for k, v in net.state_dict().items()}
    meta = dict(meta)
    history = meta.pop("history", None)
    saved = {name: SavedPart({"model": c.to_dict(), **{k: v for k, v in m.items() if k != "history"}}, v, weights(n))
             for name, (n, c, v, m) in (parts or {}).items()}
    return save_model(folder, kind, {"model": config.to_dict(), **meta}, vocab, weights(network), history, saved)
