"""Checkpoints: the whole state of a training run, beside its best model, so a killed run resumes.

``OUT/checkpoint/`` is a crash-safe folder (:mod:`deeptrees.files`) with the pointer
``checkpoint.json`` (versioned JSON: the recipe of the run, epoch/step, history, best dev score,
Python/NumPy random states, the optimizer's settings) and two content-named files:
``state-<sha>.safetensors`` (current weights, best weights, optimizer tensors, torch random
states) and ``vocab-<sha>.json``. JSON and safetensors only: reading a checkpoint runs no code.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from corpora.vocab import Vocab

from .files import ModelFileError, read_file, read_pointer, write_folder
from .modelfile import tensors_from_bytes, tensors_to_bytes, vocab_from_bytes, vocab_to_bytes
from .train import History, TrainState

FOLDER, POINTER, FORMAT_VERSION = "checkpoint", "checkpoint.json", 1


def checkpoint_folder(out: str | Path) -> Path:
    return Path(out) / FOLDER


def has_checkpoint(out: str | Path) -> bool:
    return (checkpoint_folder(out) / POINTER).is_file()


@dataclass
class Checkpoint:
    kind: str                          # "tagger", "treenet"
    recipe: dict                       # what the run was asked to do (config, training, data, options)
    vocab: Vocab
    model: dict[str, torch.Tensor]     # the weights at the moment of the checkpoint
    state: TrainState


def _split(prefix: str, tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}


def save_checkpoint(out: str | Path, kind: str, recipe: dict, vocab: Vocab, model: dict[str, torch.Tensor],
                    state: TrainState) -> Path:
    """Write the checkpoint of a run into ``out/checkpoint/``, replacing the previous one as a unit."""
    tensors = {f"model/{k}": v for k, v in model.items()}
    if state.best is not None:
        tensors.update({f"best/{k}": v for k, v in state.best.items()})
    opt_state: dict[str, dict] = {}
    for idx, entries in state.optimizer["state"].items():
        opt_state[str(idx)] = {}
        for key, value in entries.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optimizer/{idx}/{key}"] = value
            else:
                opt_state[str(idx)][key] = value
    tensors["rng/torch"] = state.rng["torch"]
    for i, s in enumerate(state.rng.get("cuda", [])):
        tensors[f"rng/cuda/{i}"] = s
    py, np_state, order = state.rng["python"], state.rng["numpy"], state.order
    history = asdict(state.history)
    history["best_score"] = None if math.isinf(history["best_score"]) else history["best_score"]
    meta = {
        "format_version": FORMAT_VERSION, "kind": kind, "recipe": recipe,
        "progress": {"epoch": state.epoch, "step": state.step, "batch": state.batch, "loss_sum": state.loss_sum,
                     "seconds": state.seconds},
        "history": history,
        "rng": {"python": [py[0], list(py[1]), py[2]], "order": [order[0], list(order[1]), order[2]],
                "numpy": [np_state[0], np_state[1].tolist(), *(x.item() if hasattr(x, "item") else x
                                                                 for x in np_state[2:])]},
        "optimizer": {"param_groups": state.optimizer["param_groups"], "state": opt_state},
    }
    return write_folder(checkpoint_folder(out), POINTER, meta,
                        {"state": ("state.safetensors", tensors_to_bytes(tensors)),
                         "vocab": ("vocab.json", vocab_to_bytes(vocab))}, seal=True)


def _pointer(out: str | Path, kind: str) -> dict:
    folder = checkpoint_folder(out)
    if not (folder / POINTER).is_file():
        raise ModelFileError(f"{out} holds no checkpoint to resume ({folder / POINTER} is missing); "
                             f"train without --resume")
    meta = read_pointer(folder, POINTER, (FORMAT_VERSION,), "checkpoint", sealed=True)
    if meta.get("kind") != kind:
        raise ModelFileError(f"{folder / POINTER} is the checkpoint of a {meta.get('kind')!r} run, not a {kind!r} run")
    return meta


def saved_options(out: str | Path, kind: str) -> dict:
    """The command-line options that started the run checkpointed in ``out`` (for ``--resume``)."""
    folder = checkpoint_folder(out)
    options = (_pointer(out, kind).get("recipe") or {}).get("meta", {}).get("cli")
    if not isinstance(options, dict):
        raise ModelFileError(f"{folder / POINTER} was not written by a command-line run: resume it from Python "
                             f"(resume=True) with the same data and settings")
    return options


def load_checkpoint(out: str | Path, kind: str) -> Checkpoint:
    """Read the checkpoint in ``out``; a missing, corrupt or foreign one is a :class:`ModelFileError`."""
    folder = checkpoint_folder(out)
    meta = _pointer(out, kind)
    vocab = vocab_from_bytes(read_file(folder, POINTER, meta, "vocab"), folder / meta["files"]["vocab"]["name"])
    where = folder / meta["files"]["state"]["name"]
    tensors = tensors_from_bytes(read_file(folder, POINTER, meta, "state"), where)
    try:
        progress, rng = meta["progress"], meta["rng"]
        history = dict(meta["history"])
        history["best_score"] = -math.inf if history["best_score"] is None else history["best_score"]
        opt_tensors = _split("optimizer/", tensors)
        opt_state: dict[int, dict] = {int(i): dict(v) for i, v in meta["optimizer"]["state"].items()}
        for key, value in opt_tensors.items():
            idx, name = key.split("/", 1)
            opt_state.setdefault(int(idx), {})[name] = value
        py, order, np_state = rng["python"], rng["order"], rng["numpy"]
        rng_states = {"python": (py[0], tuple(py[1]), py[2]),
                      "numpy": (np_state[0], np.array(np_state[1], dtype=np.uint32), *np_state[2:]),
                      "torch": tensors["rng/torch"]}
        cuda = _split("rng/cuda/", tensors)
        if cuda:
            rng_states["cuda"] = [cuda[str(i)] for i in range(len(cuda))]
        state = TrainState(
            history=History(**history), epoch=int(progress["epoch"]), step=int(progress["step"]),
            batch=int(progress["batch"]), loss_sum=float(progress["loss_sum"]), seconds=float(progress["seconds"]),
            order=(order[0], tuple(order[1]), order[2]), best=_split("best/", tensors) or None,
            optimizer={"state": opt_state, "param_groups": meta["optimizer"]["param_groups"]}, rng=rng_states)
        recipe = dict(meta["recipe"])
    except (KeyError, TypeError, ValueError, IndexError) as e:
        raise ModelFileError(f"{folder / POINTER} is corrupt: {type(e).__name__}: {e}") from None
    model = _split("model/", tensors)
    if not model:
        raise ModelFileError(f"{where} holds no model weights")
    return Checkpoint(kind, recipe, vocab, model, state)
