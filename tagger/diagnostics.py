"""Looking inside recurrent networks: how the gradient reaching step t shrinks or grows with
its distance from the loss (the vanishing / exploding gradient problem).

>>> import torch
>>> from tagger.diagnostics import gradient_flow, linear_rnn_gradient
>>> norms = gradient_flow(torch.nn.LSTM(8, 16, batch_first=True), torch.randn(4, 50, 8))
>>> norms.shape                       # ||dL/dh_t|| for t = 1..50; the loss reads h_50
torch.Size([50])
>>> round(linear_rnn_gradient(0.9, 10)[1], 4)    # d(w^n)/dw = n w^(n-1)
3.8742
"""
from __future__ import annotations

import torch
from torch import nn

_CELLS = {nn.RNN: nn.RNNCell, nn.GRU: nn.GRUCell, nn.LSTM: nn.LSTMCell}


def as_cell(rnn: nn.RNNBase) -> nn.RNNCellBase:
    """The first layer of a one-direction ``nn.RNN/GRU/LSTM`` as a step-by-step cell (same weights)."""
    kind = type(rnn)
    if kind not in _CELLS:
        raise TypeError(f"expected torch.nn.RNN, GRU or LSTM, got {kind.__name__}")
    if rnn.bidirectional or rnn.num_layers != 1:
        raise ValueError("gradient_flow() looks at one layer in one direction: use num_layers=1, bidirectional=False")
    extra = {"nonlinearity": rnn.nonlinearity} if kind is nn.RNN else {}
    w = rnn.weight_ih_l0
    cell = _CELLS[kind](rnn.input_size, rnn.hidden_size, bias=rnn.bias, device=w.device, dtype=w.dtype, **extra)
    with torch.no_grad():
        cell.weight_ih.copy_(rnn.weight_ih_l0)
        cell.weight_hh.copy_(rnn.weight_hh_l0)
        if rnn.bias:
            cell.bias_ih.copy_(rnn.bias_ih_l0)
            cell.bias_hh.copy_(rnn.bias_hh_l0)
    return cell


def gradient_flow(rnn: nn.RNNBase, inputs: torch.Tensor, loss_fn=None) -> torch.Tensor:
    """``||dL/dh_t||`` (mean over the batch) for every step t, where L reads only the last state.

    ``inputs`` is ``(batch, time, features)``; ``loss_fn(h_T)`` defaults to ``h_T.sum()``.
    Entry ``t`` is ``T - 1 - t`` steps away from the loss: plot it against that distance.
    """
    cell = as_cell(rnn)
    if inputs.dim() != 3 or inputs.shape[2] != rnn.input_size:
        raise ValueError(f"inputs must be (batch, time, {rnn.input_size}), got {tuple(inputs.shape)}")
    B, T, _ = inputs.shape
    h = inputs.new_zeros(B, rnn.hidden_size)
    state = (h, torch.zeros_like(h)) if isinstance(cell, nn.LSTMCell) else h
    hidden = []
    for t in range(T):
        state = cell(inputs[:, t], state)
        h = state[0] if isinstance(state, tuple) else state
        h.retain_grad()
        hidden.append(h)
    loss = (loss_fn or torch.sum)(hidden[-1])
    loss.backward()
    return torch.stack([h.grad.norm(dim=1).mean() for h in hidden]).detach()


def linear_rnn(w: float | torch.Tensor, n: int) -> torch.Tensor:
    """``h_t = w h_{t-1} + x_t`` with ``h_0 = 1`` and no further input: ``h_n = w^n``, by unrolling."""
    h = torch.ones(())
    for _ in range(n):
        h = w * h + 0.0
    return h


def linear_rnn_gradient(w: float, n: int) -> tuple[float, float]:
    """``(h_n, dh_n/dw)`` measured by autograd through the unrolled scalar RNN."""
    wt = torch.tensor(float(w), dtype=torch.float64, requires_grad=True)
    h = linear_rnn(wt, n)
    h.backward()
    return float(h.detach()), float(wt.grad)
