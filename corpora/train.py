"""The one training loop that the tagger, the tree networks and the examples share.

It knows nothing about words or trees: it takes a function that yields batches for an epoch,
a function that turns (model, batch) into a scalar loss, and a function that scores the
model on dev data (higher is better). It adds what every run needs: seeding, Adam/AdaGrad,
gradient-norm clipping, early stopping on the dev score with the best weights kept,
a callback to checkpoint each new best (nothing lost on a crash), a progress bar, and a
clear error when the loss turns into inf/NaN.
"""
from __future__ import annotations

import copy
import math
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

OPTIMIZERS = ("adam", "adagrad", "sgd")


@dataclass
class TrainConfig:
    epochs: int = 40
    batch_size: int = 32
    optimizer: str = "adam"
    lr: float = 2e-3
    weight_decay: float = 0.0         # L2 penalty, applied by the optimizer
    clip_norm: float | None = 5.0     # max global gradient norm; None disables clipping
    patience: int = 8                 # epochs without a better dev score before stopping
    seed: int = 1
    max_minutes: float | None = None  # wall-clock budget; training stops after the epoch that crosses it
    on_nonfinite: str = "raise"       # "raise" NonFiniteLoss, or "stop" and keep the best weights

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        if self.on_nonfinite not in ("raise", "stop"):
            raise ValueError(f"on_nonfinite must be 'raise' or 'stop', got {self.on_nonfinite!r}")
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch_size must be >= 1")
        if self.lr <= 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        if self.clip_norm is not None and self.clip_norm <= 0:
            raise ValueError(f"clip_norm must be > 0 or None, got {self.clip_norm}")


class NonFiniteLoss(FloatingPointError):
    """The loss or the gradient became inf/NaN: the run diverged."""

    def __init__(self, what: str, value: float, epoch: int, step: int):
        self.epoch, self.step, self.value = epoch, step, value
        super().__init__(f"{what} became {value} at epoch {epoch}, step {step} (global); training diverged. "
                         f"Lower the learning rate or enable gradient clipping (clip_norm).")


@dataclass
class History:
    """What happened in a run: one record per epoch and the best dev score."""

    epochs: list[dict[str, float]] = field(default_factory=list)
    step_losses: list[float] = field(default_factory=list)
    best_epoch: int = 0
    best_score: float = -math.inf
    stopped: str = "epochs"           # "epochs", "patience", "time", or "nonfinite"
    nonfinite_step: int | None = None


def set_seed(seed: int) -> random.Random:
    """Seed Python, NumPy and torch; return a ``random.Random`` for batch order."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return random.Random(seed)


def make_optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    params = [p for p in model.parameters() if p.requires_grad]
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adagrad":
        return torch.optim.Adagrad(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    return torch.optim.SGD(params, lr=cfg.lr, weight_decay=cfg.weight_decay)


def fit(model: nn.Module,
        batches: Callable[[random.Random], Iterable[Any]],
        loss_fn: Callable[[nn.Module, Any], torch.Tensor],
        cfg: TrainConfig,
        evaluate: Callable[[nn.Module], float] | None = None,
        on_best: Callable[[int, float], None] | None = None,
        progress: bool = True) -> History:
    """Train ``model`` in place and leave it holding the weights of its best dev epoch.

    ``batches(rng)`` yields one epoch of batches, ``loss_fn(model, batch)`` returns a scalar,
    ``evaluate(model)`` scores on dev (higher is better; without it the last epoch is kept).
    ``on_best(epoch, score)`` runs after each new best, e.g. to save a checkpoint.
    """
    rng = set_seed(cfg.seed)
    opt = make_optimizer(model, cfg)
    hist = History()
    best_state = None
    start = time.perf_counter()
    step = 0
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        epoch_batches = list(batches(rng))
        total, count = 0.0, 0
        bar = tqdm(epoch_batches, desc=f"epoch {epoch}/{cfg.epochs}", leave=False, disable=not progress,
                   unit="batch", dynamic_ncols=True)
        for batch in bar:
            step += 1
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model, batch)
            value = loss.item()
            problem = None if math.isfinite(value) else ("loss", value)
            if problem is None:
                loss.backward()
                if cfg.clip_norm is not None:
                    norm = float(nn.utils.clip_grad_norm_(model.parameters(), cfg.clip_norm))
                    if not math.isfinite(norm):
                        problem = ("gradient norm", norm)
            if problem is not None:
                if cfg.on_nonfinite == "raise":
                    raise NonFiniteLoss(problem[0], problem[1], epoch, step)
                hist.stopped, hist.nonfinite_step = "nonfinite", step
                if progress:
                    tqdm.write(f"stopping: {problem[0]} became {problem[1]} at epoch {epoch}, step {step}")
                break
            opt.step()
            hist.step_losses.append(value)
            total, count = total + value, count + 1
            bar.set_postfix(loss=f"{total / count:.4f}")
        bar.close()
        if hist.stopped == "nonfinite":
            break
        record = {"epoch": epoch, "loss": total / max(count, 1), "seconds": time.perf_counter() - start}
        score = evaluate(model) if evaluate is not None else float(epoch)
        if evaluate is not None:
            record["dev"] = score
        hist.epochs.append(record)
        improved = score > hist.best_score
        if improved:
            hist.best_epoch, hist.best_score = epoch, score
            best_state = copy.deepcopy(model.state_dict())
            if on_best is not None:
                on_best(epoch, score)
        if progress:
            dev = f"  dev {score:.4f}" if evaluate is not None else ""
            tqdm.write(f"epoch {epoch:3d}  loss {record['loss']:.4f}{dev}{'  *best' if improved else ''}  "
                       f"{record['seconds']:.0f}s")
        if epoch - hist.best_epoch >= cfg.patience:
            hist.stopped = "patience"
            break
        if cfg.max_minutes is not None and time.perf_counter() - start > 60 * cfg.max_minutes:
            hist.stopped = "time"
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return hist
