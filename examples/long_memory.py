"""Long-range memory and exploding gradients on a synthetic task.

Task: a sequence of random bits; the answer is the *first* bit, read only after the whole
sequence. Nothing in between helps, so the network must carry one bit across L steps.

1. Accuracy vs sequence length (10 .. 200) for a plain RNN, a GRU and an LSTM, same budget.
2. A plain ReLU RNN from a large initialisation (recurrent weights 1.5 x orthogonal) trained
   with SGD: without clipping the gradient explodes, the weights jump, and the loss becomes
   inf/NaN; the training loop detects it, reports the step and stops. With gradient-norm
   clipping the same run trains stably.

    python examples/long_memory.py         # writes examples/out/long_memory.png
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402
from torch import nn  # noqa: E402

from _common import parser, save  # noqa: E402
from corpora.train import TrainConfig, fit  # noqa: E402
from tagger.model import CELLS  # noqa: E402


class FirstBitClassifier(nn.Module):
    def __init__(self, cell: str, hidden: int = 32, **rnn_options):
        super().__init__()
        self.rnn = CELLS[cell](2, hidden, batch_first=True, **rnn_options)
        self.out = nn.Linear(hidden, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, _ = self.rnn(x)
        return self.out(h[:, -1])


def make_data(n: int, length: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    bits = torch.randint(0, 2, (n, length), generator=generator)
    return nn.functional.one_hot(bits, 2).float(), bits[:, 0]


def loss_fn(model, batch):
    x, y = batch
    return nn.functional.cross_entropy(model(x), y)


def train(cell: str, length: int, cfg: TrainConfig, steps_per_epoch: int, init=None, **rnn_options):
    torch.manual_seed(cfg.seed)
    model = FirstBitClassifier(cell, **rnn_options)
    if init is not None:
        init(model)
    g = torch.Generator().manual_seed(cfg.seed)
    test_x, test_y = make_data(1000, length, torch.Generator().manual_seed(10_000 + length))

    def batches(_rng):
        for _ in range(steps_per_epoch):
            yield make_data(cfg.batch_size, length, g)

    def accuracy(m):
        with torch.no_grad():
            return (m(test_x).argmax(1) == test_y).float().mean().item()

    history = fit(model, batches, loss_fn, cfg, evaluate=accuracy, progress=False)
    return model, history, accuracy(model)


def large_init(model: FirstBitClassifier) -> None:
    with torch.no_grad():
        nn.init.orthogonal_(model.rnn.weight_hh_l0)
        model.rnn.weight_hh_l0.mul_(1.5)


def main(argv: list[str] | None = None) -> Path:
    args = parser(__doc__).parse_args(argv)
    import matplotlib.pyplot as plt

    torch.set_num_threads(1)
    lengths = [10, 25] if args.quick else [10, 25, 50, 100, 200]
    epochs, steps = (2, 20) if args.quick else (8, 50)
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    print(f"first-bit task: test accuracy after {epochs * steps} steps of 32 sequences (Adam, clip 1.0)")
    print(f"{'length':>8}" + "".join(f"{c:>8}" for c in ("rnn", "gru", "lstm")))
    table = {c: [] for c in ("rnn", "gru", "lstm")}
    for length in lengths:
        for cell in table:
            cfg = TrainConfig(epochs=epochs, batch_size=32, lr=3e-3, clip_norm=1.0, patience=epochs, seed=1)
            table[cell].append(train(cell, length, cfg, steps)[2])
        print(f"{length:>8}" + "".join(f"{table[c][-1]:>8.2f}" for c in table))
    for cell, accs in table.items():
        a.plot(lengths, accs, marker="o", label=cell.upper() if cell != "rnn" else "plain RNN")
    a.axhline(0.5, color="grey", ls=":", lw=1)
    a.set(xscale="log", xlabel="sequence length", ylabel="test accuracy", ylim=(0.4, 1.02),
          title="remembering the first bit")
    a.legend()

    length = 30 if args.quick else 50
    print(f"\nplain ReLU RNN, recurrent weights 1.5 x orthogonal, SGD lr 0.05, length {length}:")
    for clip, colour in ((None, "tab:red"), (1.0, "tab:blue")):
        cfg = TrainConfig(epochs=epochs, batch_size=32, optimizer="sgd", lr=0.05, clip_norm=clip,
                          patience=epochs, seed=1, on_nonfinite="stop")
        _, hist, acc = train("rnn", length, cfg, steps, init=large_init, nonlinearity="relu")
        label = "no clipping" if clip is None else f"clip norm {clip}"
        if hist.stopped == "nonfinite":
            print(f"  {label:<14} loss/gradient became inf or NaN at step {hist.nonfinite_step}: "
                  f"training stopped there (detected, no crash); accuracy of the last finite weights {acc:.2f}")
        else:
            print(f"  {label:<14} trained {len(hist.step_losses)} steps, loss {hist.step_losses[0]:.3g} -> "
                  f"{hist.step_losses[-1]:.3g}, test accuracy {acc:.2f}")
        b.semilogy(range(1, len(hist.step_losses) + 1), hist.step_losses, color=colour, label=label)
        if hist.stopped == "nonfinite":
            b.axvline(hist.nonfinite_step, color=colour, ls="--", lw=1)
            b.text(hist.nonfinite_step, max(hist.step_losses), " inf/NaN", color=colour, va="top")
    b.set(xlabel="training step", ylabel="loss", title="exploding gradients: with and without clipping")
    b.legend()
    return save(fig, args.out, "long_memory.png")


if __name__ == "__main__":
    main()
