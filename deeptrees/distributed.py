"""Data-parallel training on ``torch.distributed``: what ``torchrun`` starts, and the few collective
steps the training loop needs. A plain single process never touches any of it.

``torchrun --standalone --nproc-per-node 2 -m tagger train ...`` starts two processes with
``RANK``/``WORLD_SIZE``/``LOCAL_RANK``/``MASTER_ADDR`` set; :func:`setup` joins them (gloo on
CPU, nccl on CUDA). Every rank builds the same data and vocabulary deterministically
(:func:`check_same` proves it), the model is wrapped in ``DistributedDataParallel`` (which
averages gradients, so the weights stay equal), each rank takes every ``world``-th batch of the
epoch's shared order (:func:`shard`), rank 0 alone evaluates, saves and checkpoints, and its
decisions (dev score, stop) are broadcast so all ranks stop together.
"""
from __future__ import annotations

import hashlib
import inspect
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

from .device import resolve_device


@dataclass(frozen=True)
class Group:
    """This process's place in the run: rank 0 of 1 when not distributed."""

    rank: int = 0
    world: int = 1
    device: torch.device = torch.device("cpu")   # where collective tensors live (CUDA for nccl)

    @property
    def main(self) -> bool:
        return self.rank == 0


def launched() -> bool:
    """True in a process started by ``torchrun`` with more than one process."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def is_main_process() -> bool:
    """True unless this is a ``torchrun`` process of rank > 0 (the one that prints and saves)."""
    return int(os.environ.get("RANK", "0")) == 0


def training_device(name: str | torch.device) -> torch.device:
    """The device this process trains on: :func:`resolve_device`'s, but nccl needs a GPU for each process
    ("Duplicate GPU detected" otherwise), so several ``torchrun`` processes on one machine may neither name
    one GPU (``cuda:N``) nor outnumber its GPUs, unless ``CUDA_VISIBLE_DEVICES`` gives each its own."""
    device = resolve_device(name)
    local = int(os.environ.get("LOCAL_WORLD_SIZE", "1"))
    if device.type == "cuda" and local > 1 and not os.environ.get("CUDA_VISIBLE_DEVICES"):
        if ":" in str(name):
            raise ValueError(f"--device {name}: torchrun started {local} processes on this machine and nccl needs "
                             f"a GPU for each; use --device cuda (each process takes its LOCAL_RANK's)")
        if local > torch.cuda.device_count():
            raise ValueError(f"torchrun started {local} processes on this machine, which has "
                             f"{torch.cuda.device_count()} CUDA GPU(s), and nccl needs a GPU for each; use "
                             f"--nproc-per-node {torch.cuda.device_count()}, or --device cpu")
    return device


def setup(device: torch.device) -> bool:
    """Join the process group ``torchrun`` describes, if any and not joined yet; True when this
    call created it (the caller then tears it down with :func:`teardown`)."""
    if not launched() or (dist.is_available() and dist.is_initialized()):
        return False
    if not dist.is_available():
        raise RuntimeError("this PyTorch build has no torch.distributed; run a single process")
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return True


def teardown() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def current() -> Group:
    """The process group in use (joined by :func:`setup` or by the caller), or a group of one."""
    if not (dist.is_available() and dist.is_initialized()):
        return Group()
    nccl = dist.get_backend() == "nccl"
    device = torch.device("cuda", torch.cuda.current_device()) if nccl else torch.device("cpu")
    return Group(dist.get_rank(), dist.get_world_size(), device)


def shard(items: list, group: Group) -> list:
    """This rank's share of an epoch's batches: every ``world``-th, the list first cut to a multiple
    of ``world`` so every rank takes the same number of steps (DDP needs that)."""
    if group.world == 1:
        return items
    usable = len(items) // group.world * group.world
    if usable == 0:
        raise ValueError(f"{group.world} processes but only {len(items)} training batch(es) an epoch: "
                         f"use fewer processes (--nproc-per-node) or a smaller batch size")
    return items[group.rank:usable:group.world]


def all_true(flag: bool, group: Group) -> bool:
    """True on every rank when ``flag`` is true on every rank."""
    if group.world == 1:
        return flag
    t = torch.tensor([1 if flag else 0], dtype=torch.int32, device=group.device)
    dist.all_reduce(t, op=dist.ReduceOp.MIN)
    return bool(t.item())


def broadcast(values: list[float], group: Group) -> list[float]:
    """Rank 0's ``values`` on every rank (the others pass placeholders of the same length)."""
    if group.world == 1:
        return values
    t = torch.tensor(values, dtype=torch.float64, device=group.device)
    dist.broadcast(t, src=0)
    return t.tolist()


def check_same(data: bytes, what: str, group: Group) -> None:
    """Raise on every rank unless ``data`` (e.g. the vocabulary as JSON) is identical on all ranks."""
    if group.world == 1:
        return
    mine = torch.tensor(list(hashlib.sha256(data).digest()), dtype=torch.uint8, device=group.device)
    gathered = [torch.empty_like(mine) for _ in range(group.world)]
    dist.all_gather(gathered, mine)
    if any(not torch.equal(g, gathered[0]) for g in gathered):
        raise RuntimeError(f"the {what} differs between processes; every rank must build it from the same "
                           f"data and options")


def wrap(model: nn.Module, group: Group) -> nn.Module:
    """``model`` inside ``DistributedDataParallel`` (rank 0's weights copied to all ranks), or as it is."""
    if group.world == 1:
        return model
    from torch.nn.parallel import DistributedDataParallel

    device_ids = [group.device.index] if group.device.type == "cuda" else None
    # buffers (the frozen vector table, word counts) never change: no need to send them every step
    # (torch >= 2.13 names that option forward_sync_buffers; earlier releases broadcast_buffers)
    newer = "forward_sync_buffers" in inspect.signature(DistributedDataParallel).parameters
    quiet = {"forward_sync_buffers" if newer else "broadcast_buffers": False}
    return DistributedDataParallel(model, device_ids=device_ids, **quiet)
