"""An exponential moving average of a model's weights (Polyak averaging), kept beside training.

Adam's last steps leave the weights wherever the last few batches pushed them: a tagger's dev F1
moves by half a point from one epoch to the next. The average of the weights over the last few
thousand steps sits in the middle of that wander and usually scores better and steadier. With
``TrainConfig.average`` (the decay per step, e.g. 0.999) :func:`deeptrees.train.fit` updates
the average after every optimizer step, scores the dev data with it, and keeps and saves it as the
model; training itself goes on from the raw weights.

>>> import torch
>>> net = torch.nn.Linear(2, 1)
>>> avg = WeightAverage(net, decay=0.9)
>>> with torch.no_grad():
...     _ = net.weight.add_(1.0)
>>> avg.update(step=100)
>>> with avg.applied():
...     moved = net.weight.clone()
>>> bool(torch.allclose(moved, net.weight - 0.9))   # 10% of the way towards the new weights
True
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn


class WeightAverage:
    """The moving average of ``model``'s trainable parameters (buffers are not averaged). Its
    ``decay`` ramps up as ``(1 + step) / (10 + step)`` while that is smaller, so the first steps do
    not tie the average to the random initial weights."""

    def __init__(self, model: nn.Module, decay: float, tensors: dict[str, torch.Tensor] | None = None):
        if not 0 < decay < 1:
            raise ValueError(f"the weight average's decay must be in (0, 1), got {decay}")
        self.decay = decay
        self.params = {k: p for k, p in model.named_parameters() if p.requires_grad}
        if tensors is None:   # a new run starts the average at the initial weights
            tensors = {k: p.detach().clone() for k, p in self.params.items()}
        elif tensors.keys() != self.params.keys():
            raise ValueError(f"the saved weight average holds {sorted(tensors)[:3]}..., not the model's "
                             f"trainable parameters {sorted(self.params)[:3]}...")
        self.tensors = {k: v.to(self.params[k].device) for k, v in tensors.items()}

    @torch.no_grad()
    def update(self, step: int) -> None:
        """Move the average towards the current weights, after optimizer step ``step`` (1, 2, ...)."""
        rate = 1 - min(self.decay, (1 + step) / (10 + step))
        for k, p in self.params.items():
            self.tensors[k].lerp_(p.detach(), rate)

    @contextmanager
    def applied(self) -> Iterator[None]:
        """Give the model the averaged weights inside the block, its own ones back after it."""
        own = {k: p.detach().clone() for k, p in self.params.items()}
        try:
            with torch.no_grad():
                for k, p in self.params.items():
                    p.copy_(self.tensors[k])
            yield
        finally:
            with torch.no_grad():
                for k, p in self.params.items():
                    p.copy_(own[k])
