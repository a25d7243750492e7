"""Where tensors live: ``--device auto|cpu|cuda`` and moving batches there.

``auto`` means the GPU when PyTorch sees one (under ``torchrun``, the one of this process's
``LOCAL_RANK``), else the CPU. Asking for ``cuda`` on a machine without one is a one-line
``ValueError``, not a traceback from deep inside torch.
"""
from __future__ import annotations

import os

import torch

DEVICES = ("auto", "cpu", "cuda")
DEFAULT_DEVICE = "auto"


def resolve_device(name: str | torch.device | None = DEFAULT_DEVICE) -> torch.device:
    """``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"`` -> a ``torch.device`` that exists here."""
    if isinstance(name, torch.device):
        name = str(name)
    if name is not None and not isinstance(name, str):
        raise TypeError(f"device must be a str or torch.device, got {type(name).__name__}")
    name = (name or DEFAULT_DEVICE).strip().lower()
    if not (name in DEVICES or name.startswith("cuda:")):
        raise ValueError(f"device must be auto, cpu, cuda or cuda:N, got {name!r}")
    if name == "cpu" or (name == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise ValueError(f"device {name!r} asked for, but PyTorch sees no CUDA GPU on this machine "
                         f"(torch.cuda.is_available() is False); use --device cpu or auto")
    if name in ("auto", "cuda"):
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")) % torch.cuda.device_count())
    index = name.split(":", 1)[1]
    if not index.isdigit() or int(index) >= torch.cuda.device_count():
        raise ValueError(f"device {name!r}: this machine has {torch.cuda.device_count()} CUDA device(s)")
    return torch.device("cuda", int(index))


def to_device(obj, device: torch.device | None):
    """``obj`` on ``device``: a tensor or anything with a ``to(device)`` method (``WordBatch``,
    ``TreeBatch``), or a tuple/list of those. Anything else is returned as it is."""
    if device is None:
        return obj
    if isinstance(obj, (tuple, list)):
        return type(obj)(to_device(x, device) for x in obj)
    return obj.to(device) if hasattr(obj, "to") else obj
