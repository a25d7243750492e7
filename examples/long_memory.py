"""Long-range memory and exploding gradients on synthetic tasks.

1. The adding problem (Hochreiter & Schmidhuber 1997): each step carries a random value and a
   marker; two steps are marked, one in the first tenth of the sequence, one in the second half,
   and the target, read after the last step, is the sum of the two marked values. Accuracy =
   share of test sequences predicted within 0.04, against sequence length (10 .. 200), for a
   plain RNN, a GRU and an LSTM, same budget. Predicting the mean scores about 10%.
2. The first-bit task (the answer is the first of L random bits) with a plain ReLU RNN from a
   large initialisation (recurrent weights 1.5 x orthogonal), trained with SGD: without clipping
   the gradient explodes, the weights jump, and the loss becomes inf/NaN; the training loop
   detects it, reports the step and stops. With gradient-norm clipping the same run trains stably.

    python examples/long_memory.py         # writes examples/out/long_memory.png
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402
from torch import nn  # noqa: E402

from _common import parser, save  # noqa: E402
from deeptrees.train import TrainConfig, fit  # noqa: E402
from tagger.model import CELLS  # noqa: E402


class LastStateModel(nn.Module):
    """A one-layer recurrent net (the tagger's cells) read out from its last state."""

    def __init__(self, cell: str, outputs: int, hidden: int = 64, **rnn_options):
        super().__init__()
        self.rnn = CELLS[cell](2, hidden, batch_first=True, **rnn_options)
        self.out = nn.Linear(hidden, outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, _ = self.rnn(x)
        return self.out(h[:, -1]).squeeze(-1)


def adding_data(n: int, length: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    values = torch.rand(n, length, generator=g)
    marks = torch.zeros(n, length)
    rows = torch.arange(n)
    marks[rows, torch.randint(0, max(1, length // 10), (n,), generator=g)] = 1
    marks[rows, torch.randint(length // 2, length, (n,), generator=g)] = 1
    return torch.stack([values, marks], dim=-1), (values * marks).sum(1)


def first_bit_data(n: int, length: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    bits = torch.randint(0, 2, (n, length), generator=g)
    return nn.functional.one_hot(bits, 2).float(), bits[:, 0]


TASKS = {  # data, outputs, loss, "correct" test
    "adding": (adding_data, 1, nn.functional.mse_loss, lambda out, y: (out - y).abs() < 0.04),
    "first-bit": (first_bit_data, 2, nn.functional.cross_entropy, lambda out, y: out.argmax(1) == y),
}


def train(task: str, cell: str, length: int, cfg: TrainConfig, steps_per_epoch: int, init=None, **rnn_options):
    make_data, outputs, loss, correct = TASKS[task]
    torch.manual_seed(cfg.seed)
    model = LastStateModel(cell, outputs, **rnn_options)
    if init is not None:
        init(model)
    g = torch.Generator().manual_seed(cfg.seed)
    test_x, test_y = make_data(1000, length, torch.Generator().manual_seed(10_000 + length))

    def batches(_rng):
        for _ in range(steps_per_epoch):
            yield make_data(cfg.batch_size, length, g)

    def accuracy(m):
        with torch.no_grad():
            return correct(m(test_x), test_y).float().mean().item()

    history = fit(model, batches, lambda m, b: loss(m(b[0]), b[1]), cfg, evaluate=accuracy, progress=False)
    return model, history, accuracy(model)


def large_init(model: LastStateModel) -> None:
    with torch.no_grad():
        nn.init.orthogonal_(model.rnn.weight_hh_l0)
        model.rnn.weight_hh_l0.mul_(1.5)


def main(argv: list[str] | None = None) -> Path:
    args = parser(__doc__).parse_args(argv)
    import matplotlib.pyplot as plt

    torch.set_num_threads(1)
    lengths = [10, 25] if args.quick else [10, 25, 50, 100, 200]
    epochs, steps = (2, 20) if args.quick else (15, 100)
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    print(f"adding problem: share of test sums within 0.04, best of {epochs} epochs x {steps} steps of "
          f"64 sequences (Adam 3e-3, clip 1.0, hidden 64)")
    print(f"{'length':>8}" + "".join(f"{c:>8}" for c in ("rnn", "gru", "lstm")))
    table = {c: [] for c in ("rnn", "gru", "lstm")}
    for length in lengths:
        for cell in table:
            cfg = TrainConfig(epochs=epochs, batch_size=64, lr=3e-3, clip_norm=1.0, patience=epochs, seed=1)
            table[cell].append(train("adding", cell, length, cfg, steps)[1].best_score)
        print(f"{length:>8}" + "".join(f"{table[c][-1]:>8.2f}" for c in table))
    for cell, accs in table.items():
        a.plot(lengths, accs, marker="o", label=cell.upper() if cell != "rnn" else "plain RNN")
    a.set(xscale="log", xlabel="sequence length", ylabel="test sums within 0.04", ylim=(-0.02, 1.02),
          title="adding problem: memory across the sequence")
    a.legend()

    length = 30 if args.quick else 50
    print(f"\nfirst-bit task, plain ReLU RNN (hidden 32), recurrent weights 1.5 x orthogonal, SGD lr 0.05, "
          f"length {length}:")
    for clip, colour in ((None, "tab:red"), (1.0, "tab:blue")):
        cfg = TrainConfig(epochs=min(epochs, 4), batch_size=32, optimizer="sgd", lr=0.05, clip_norm=clip,
                          patience=epochs, seed=1, on_nonfinite="stop")
        _, hist, acc = train("first-bit", "rnn", length, cfg, steps, init=large_init, nonlinearity="relu",
                             hidden=32)
        label = "no clipping" if clip is None else f"clip norm {clip}"
        if hist.stopped == "nonfinite":
            print(f"  {label:<14} loss/gradient became inf or NaN at step {hist.nonfinite_step}: "
                  f"training stopped there (detected, no crash); accuracy of the last finite weights {acc:.2f}")
        else:
            print(f"  {label:<14} trained {len(hist.step_losses)} steps, loss {hist.step_losses[0]:.3g} -> "
                  f"{hist.step_losses[-1]:.3g}, test accuracy {acc:.2f}")
        b.semilogy(range(1, len(hist.step_losses) + 1), hist.step_losses, color=colour, label=label,
                   marker="o" if len(hist.step_losses) < 10 else None)
        if hist.stopped == "nonfinite":
            b.axvline(hist.nonfinite_step, color=colour, ls="--", lw=1)
            b.text(hist.nonfinite_step, max(hist.step_losses), " inf/NaN", color=colour, va="top")
    b.set(xlabel="training step", ylabel="loss", title="exploding gradients: with and without clipping")
    b.legend()
    return save(fig, args.out, "long_memory.png")


if __name__ == "__main__":
    main()
