"""The engine under ``tagger`` and ``treernn``: how a network is trained, saved, resumed and placed.

- :mod:`deeptrees.train`: the training loop (:func:`fit`, :class:`TrainConfig`, resumable :class:`TrainState`)
- :mod:`deeptrees.recipe`: the recipe both trainers follow (:func:`train_network`, :class:`RunOptions`)
- :mod:`deeptrees.checkpoint`: checkpoints of a run, beside its best model
- :mod:`deeptrees.files` / :mod:`deeptrees.modelfile`: crash-safe model folders (JSON + safetensors, no pickle)
- :mod:`deeptrees.network`: :class:`TrainedNetwork`, the saved-model wrapper, and :func:`load_embedding`
- :mod:`deeptrees.distributed`: data-parallel training under ``torchrun``
- :mod:`deeptrees.device`: ``--device auto|cpu|cuda``
- :mod:`deeptrees.options`: command-line options shared by the CLIs
"""
from .device import resolve_device
from .files import ModelFileError
from .modelfile import load_model, save_model
from .network import NetworkConfig, TrainedNetwork, load_embedding
from .recipe import RunOptions, train_network
from .train import History, NonFiniteLoss, TrainConfig, TrainState, fit, set_seed

__all__ = ["resolve_device", "ModelFileError", "load_model", "save_model", "NetworkConfig", "TrainedNetwork",
           "load_embedding", "RunOptions", "train_network", "History", "NonFiniteLoss", "TrainConfig", "TrainState",
           "fit", "set_seed"]
