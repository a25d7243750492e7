"""The one training loop that the tagger, the tree networks and the examples share.

It knows nothing about words or trees: it takes a function that yields batches for an epoch,
a function that turns (model, batch) into a scalar loss, and a function that scores the
model on dev data (higher is better). It adds what every run needs: seeding, Adam/AdaGrad,
gradient-norm clipping, early stopping on the dev score with the best weights kept,
a callback on each new best (to save the model), checkpoints of the whole training state
(:class:`TrainState`) that a later process resumes bit for bit, data-parallel training when
``torchrun`` started the process (:mod:`deeptrees.distributed`), a progress bar, and a clear
error when the loss turns into inf/NaN.
"""
from __future__ import annotations

import math
import random
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from . import distributed
from .device import to_device

# Each optimizer: its torch class and the devices where torch has its fused (one-kernel) step; fused Adagrad
# runs on the CPU only (asking for it on CUDA fails at the first step).
OPTIMIZERS: dict[str, tuple[type[torch.optim.Optimizer], set[str]]] = {
    "adam": (torch.optim.Adam, {"cpu", "cuda"}),
    "adagrad": (torch.optim.Adagrad, {"cpu"}),
    "sgd": (torch.optim.SGD, {"cpu", "cuda"}),
}
RESUMABLE = ("epochs", "max_minutes")   # TrainConfig fields that a resumed run may change


@dataclass
class TrainConfig:
    epochs: int = 40
    batch_size: int = 32
    optimizer: str = "adam"
    lr: float = 2e-3
    weight_decay: float = 0.0         # L2 penalty, applied by the optimizer
    clip_norm: float | None = 5.0     # max global gradient norm; None disables clipping
    patience: int = 8                 # epochs without a better dev score before stopping
    anneal: float = 1.0               # multiply the learning rate by this after anneal_patience epochs
    anneal_patience: int = 3          # ... without a better dev score (and as many since the last cut); 1.0 = off
    seed: int = 1
    max_minutes: float | None = None  # wall-clock budget of the whole run, resumed parts included
    on_nonfinite: str = "raise"       # "raise" NonFiniteLoss, or "stop" and keep the best weights

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {tuple(OPTIMIZERS)}, got {self.optimizer!r}")
        if self.on_nonfinite not in ("raise", "stop"):
            raise ValueError(f"on_nonfinite must be 'raise' or 'stop', got {self.on_nonfinite!r}")
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch_size must be >= 1")
        if self.lr <= 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        if self.clip_norm is not None and self.clip_norm <= 0:
            raise ValueError(f"clip_norm must be > 0 or None, got {self.clip_norm}")
        if not 0 < self.anneal <= 1:
            raise ValueError(f"anneal must be in (0, 1] (1 = constant learning rate), got {self.anneal}")
        if self.anneal_patience < 1:
            raise ValueError(f"anneal_patience must be >= 1, got {self.anneal_patience}")


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
    annealed: list[int] = field(default_factory=list)   # epochs after which the learning rate was cut
    nonfinite_step: int | None = None


def set_seed(seed: int) -> random.Random:
    """Seed Python, NumPy and torch; return a ``random.Random`` for batch order."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return random.Random(seed)


def rng_states() -> dict:
    """The global random states that training draws from (dropout, word dropout, ...)."""
    states = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def set_rng_states(states: dict) -> None:
    random.setstate(states["python"])
    np.random.set_state(states["numpy"])
    torch.set_rng_state(states["torch"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"][: torch.cuda.device_count()])   # saved where more GPUs were seen


@dataclass
class TrainState:
    """Everything a run needs to continue exactly where it was (with the model's own weights):
    what :func:`fit` hands to its checkpoint callback and takes back to resume."""

    history: History = field(default_factory=History)
    epoch: int = 0              # epochs finished
    step: int = 0               # optimizer steps taken
    batch: int = 0              # batches of epoch ``epoch + 1`` already trained (a mid-epoch checkpoint)
    loss_sum: float = 0.0       # ... and the sum of their losses
    seconds: float = 0.0        # training time so far
    order: Any = None           # batch-order RNG state at the start of epoch ``epoch + 1``
    best: dict[str, torch.Tensor] | None = None   # weights of the best epoch so far
    optimizer: dict | None = None                 # optimizer.state_dict()
    rng: dict | None = None                       # rng_states()


def make_optimizer(model: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    """The optimizer ``cfg`` names, in torch's fused form where the parameters allow it (float tensors on
    a device ``OPTIMIZERS`` lists for it): one kernel per step instead of a few small ones per tensor, ~10x less
    time in ``step()`` on a CPU (Adagrad's update of a 16k-word embedding: 10.7 -> 1.1 ms), same updates."""
    params = [p for p in model.parameters() if p.requires_grad]
    kind, fused_on = OPTIMIZERS[cfg.optimizer]
    fused = bool(params) and all(p.is_floating_point() and p.device.type in fused_on for p in params)
    return kind(params, lr=cfg.lr, weight_decay=cfg.weight_decay, **({"fused": True} if fused else {}))


def load_optimizer_state(opt: torch.optim.Optimizer, saved: dict) -> None:
    """``opt.load_state_dict(saved)``, keeping ``opt``'s own kernel choice: the saved groups carry the
    saving run's ``fused`` / ``foreach`` flags, and a run resumed on another device (a CPU run on a GPU,
    where Adagrad has no fused kernel) must not take them."""
    opt.load_state_dict(saved)
    for group in opt.param_groups:
        for flag in ("fused", "foreach"):
            if flag in group:
                group[flag] = opt.defaults.get(flag)


def anneal(opt: torch.optim.Optimizer, cfg: TrainConfig, hist: History, epoch: int) -> bool:
    """Cut the learning rate by ``cfg.anneal`` once ``cfg.anneal_patience`` epochs have passed without
    a better dev score and since the last cut; the cut is recorded in ``hist`` (and the new rate lives in
    the optimizer's state), so a resumed run anneals as the uninterrupted one would."""
    last = max(hist.best_epoch, hist.annealed[-1] if hist.annealed else 0)
    if cfg.anneal >= 1 or epoch - last < cfg.anneal_patience:
        return False
    for g in opt.param_groups:
        g["lr"] *= cfg.anneal
    hist.annealed.append(epoch)
    return True


def fit(model: nn.Module,
        batches: Callable[[random.Random], Iterable[Any]],
        loss_fn: Callable[[nn.Module, Any], torch.Tensor],
        cfg: TrainConfig,
        evaluate: Callable[[nn.Module], float] | None = None,
        on_best: Callable[[int, float], None] | None = None,
        progress: bool = True,
        *,
        state: TrainState | None = None,
        checkpoint: Callable[[TrainState], None] | None = None,
        checkpoint_every: int = 0,
        on_step: Callable[[int, float, nn.Module], None] | None = None,
        device: torch.device | None = None) -> History:
    """Train ``model`` in place and leave it holding the weights of its best dev epoch.

    ``batches(rng)`` yields one epoch of batches, ``loss_fn(model, batch)`` returns a scalar,
    ``evaluate(model)`` scores on dev (higher is better; without it the last epoch is kept).
    ``on_best(epoch, score)`` runs after each new best, e.g. to save the model.
    ``checkpoint(state)`` runs after every epoch and every ``checkpoint_every`` steps with the
    whole training state; ``state`` read back from a checkpoint (the model already holding its
    weights) continues that run: the same batches, dropout masks and updates as if it had never
    stopped (a fresh ``TrainState()`` starts a new run whose history the caller can watch). ``on_step(step, loss, model)`` runs after every optimizer step; batches are moved to
    ``device``. Under ``torchrun`` the model trains data-parallel; only rank 0 evaluates and calls
    ``on_best`` and ``checkpoint``.
    """
    group = distributed.current()
    trained = distributed.wrap(model, group)
    opt = make_optimizer(model, cfg)
    order = random.Random(cfg.seed)
    if state is None or state.optimizer is None:   # a new run (the caller may hold its state)
        set_seed(cfg.seed)
        state = state or TrainState()
        state.order = order.getstate()
    else:
        load_optimizer_state(opt, state.optimizer)
        set_rng_states(state.rng)
        if group.rank:   # rank 0's dropout states were saved; give the others their own stream
            torch.manual_seed(cfg.seed * 1000 + group.rank + state.step)
    order.setstate(state.order)
    hist = state.history
    start = time.perf_counter() - state.seconds
    show = progress and group.main
    bars = show and sys.stderr.isatty()   # a log file gets one line an epoch, not bar redraws

    def save_checkpoint() -> None:
        if checkpoint is not None and group.main:
            state.seconds = time.perf_counter() - start
            state.optimizer, state.rng = opt.state_dict(), rng_states()
            checkpoint(state)

    for epoch in range(state.epoch + 1, cfg.epochs + 1):
        trained.train()
        state.order = order.getstate()
        epoch_batches = distributed.shard(list(batches(order)), group)
        bar = tqdm(total=len(epoch_batches), initial=state.batch, desc=f"epoch {epoch}/{cfg.epochs}", leave=False,
                   disable=not bars, unit="batch", dynamic_ncols=True)
        epoch_start = time.perf_counter()
        for i in range(state.batch, len(epoch_batches)):
            batch = to_device(epoch_batches[i], device)
            state.step += 1
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(trained, batch)
            value = loss.item()
            problem = None if distributed.all_true(math.isfinite(value), group) else ("loss", value)
            if problem is None:
                loss.backward()
                if cfg.clip_norm is not None:
                    norm = float(nn.utils.clip_grad_norm_(model.parameters(), cfg.clip_norm))
                    if not math.isfinite(norm):
                        problem = ("gradient norm", norm)
            if problem is not None:
                if cfg.on_nonfinite == "raise":
                    raise NonFiniteLoss(problem[0], problem[1], epoch, state.step)
                hist.stopped, hist.nonfinite_step = "nonfinite", state.step
                if show:
                    tqdm.write(f"stopping: {problem[0]} became {problem[1]} at epoch {epoch}, step {state.step}")
                break
            opt.step()
            hist.step_losses.append(value)
            state.batch, state.loss_sum = i + 1, state.loss_sum + value
            bar.update()
            bar.set_postfix(loss=f"{state.loss_sum / state.batch:.4f}", refresh=False)
            if on_step is not None:
                on_step(state.step, value, model)
            if checkpoint_every and state.step % checkpoint_every == 0 and i + 1 < len(epoch_batches):
                save_checkpoint()
        bar.close()
        if hist.stopped == "nonfinite":
            break
        record = {"epoch": epoch, "loss": state.loss_sum / max(state.batch, 1), "lr": opt.param_groups[0]["lr"],
                  "seconds": time.perf_counter() - start, "train_seconds": time.perf_counter() - epoch_start}
        state.epoch, state.batch, state.loss_sum = epoch, 0, 0.0
        state.order = order.getstate()     # the batch order of the next epoch starts here
        score = evaluate(model) if evaluate is not None and group.main else float(epoch)
        out_of_time = cfg.max_minutes is not None and time.perf_counter() - start > 60 * cfg.max_minutes
        score, out_of_time = distributed.broadcast([score, float(out_of_time)], group)   # rank 0 decides
        if evaluate is not None:
            record["dev"] = score
        hist.epochs.append(record)
        improved = score > hist.best_score
        if improved:
            hist.best_epoch, hist.best_score = epoch, score
            state.best = {k: v.detach().clone() for k, v in model.state_dict().items()}
            if on_best is not None and group.main:
                on_best(epoch, score)
        cut = not improved and anneal(opt, cfg, hist, epoch)
        if show:
            dev = f"  dev {score:.4f}" if evaluate is not None else ""
            lr = f"  lr -> {opt.param_groups[0]['lr']:.3g}" if cut else ""
            tqdm.write(f"epoch {epoch:3d}  loss {record['loss']:.4f}{dev}{'  *best' if improved else ''}{lr}  "
                       f"{record['seconds']:.0f}s")
        if epoch - hist.best_epoch >= cfg.patience:
            hist.stopped = "patience"
        elif out_of_time:
            hist.stopped = "time"
        else:
            hist.stopped = "epochs"
        save_checkpoint()
        if hist.stopped != "epochs":
            break
    if state.best is not None:
        model.load_state_dict(state.best)
    model.eval()
    return hist
