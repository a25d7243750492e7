"""A stacked LSTM forecasting the airline passenger series, against a seasonal-naive baseline.

The classic exercise: 144 monthly totals (1949-1960), train on the first 2/3, forecast the rest
one month ahead from the previous 12 months. A 1-layer and a 3-layer LSTM, everything else
equal, each over 5 seeds, trained with the package's own training loop (Adam, gradient
clipping, early stopping on the last training year). The series is log-scaled and each window
is expressed relative to its last value, so the network predicts the next month's change and
is not asked to extrapolate beyond the levels it saw in training.

    python examples/airline.py             # writes examples/out/airline.png, prints test RMSE
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from _common import parser, save  # noqa: E402
from deeptrees.train import TrainConfig, fit  # noqa: E402
from tagger.model import CELLS  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "airline-passengers.csv"
WINDOW = 12


class Forecaster(nn.Module):
    """Stacked recurrent layers (the tagger's cells) reading a window, a linear head on the last state."""

    def __init__(self, layers: int, hidden: int = 32, cell: str = "lstm"):
        super().__init__()
        self.rnn = CELLS[cell](1, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x.unsqueeze(-1))
        return self.head(out[:, -1]).squeeze(-1)


def load_series() -> np.ndarray:
    with open(DATA, newline="") as f:
        return np.array([float(r["passengers"]) for r in csv.DictReader(f)])


def windows(logs: np.ndarray, targets: range) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs: the 12 log values before t minus the last of them; target: log value at t minus it."""
    x = np.stack([logs[t - WINDOW: t] - logs[t - 1] for t in targets])
    y = np.array([logs[t] - logs[t - 1] for t in targets])
    return torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.float32)


def forecast(model: nn.Module, logs: np.ndarray, targets: range) -> np.ndarray:
    x, _ = windows(logs, targets)
    with torch.no_grad():
        change = model.eval()(x).numpy()
    return np.exp(logs[[t - 1 for t in targets]] + change)


def rmse(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean((a - b) ** 2)))


def run(layers: int, seed: int, series: np.ndarray, split: int, epochs: int) -> np.ndarray:
    logs = np.log(series)
    fit_range, val_range = range(WINDOW, split - 12), range(split - 12, split)   # last train year selects
    x, y = windows(logs, fit_range)
    torch.manual_seed(seed)
    model = Forecaster(layers)

    def batches(rng):
        order = list(range(len(x)))
        rng.shuffle(order)
        for i in range(0, len(order), 16):
            yield order[i: i + 16]

    def loss(m, idx):
        return nn.functional.mse_loss(m(x[idx]), y[idx])

    def val_score(m):
        return -rmse(forecast(m, logs, val_range), series[list(val_range)])

    cfg = TrainConfig(epochs=epochs, lr=3e-3, clip_norm=1.0, patience=max(20, epochs // 5), seed=seed)
    fit(model, batches, loss, cfg, evaluate=val_score, progress=False)
    return forecast(model, logs, range(split, len(series)))


def main(argv: list[str] | None = None) -> Path:
    p = parser(__doc__)
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--epochs", type=int, default=300)
    args = p.parse_args(argv)
    import matplotlib.pyplot as plt

    seeds, epochs = (1, 5) if args.quick else (args.seeds, args.epochs)
    torch.set_num_threads(1)  # 96 tiny windows: threads only add overhead
    series = load_series()
    split = len(series) * 2 // 3
    test = series[split:]
    naive = series[split - 12: len(series) - 12]
    print(f"airline passengers: {len(series)} months, train {split}, test {len(test)}; "
          f"{seeds} seeds, up to {epochs} epochs")
    print(f"{'model':<22}{'test RMSE (mean)':>18}{'std':>8}{'min':>8}{'max':>8}")
    print(f"{'seasonal naive (t-12)':<22}{rmse(naive, test):>18.1f}")
    fig, ax = plt.subplots(figsize=(10, 4.5))
    months = np.arange(len(series))
    ax.plot(months, series, color="black", lw=1.5, label="passengers (thousands)")
    ax.axvline(split - 0.5, color="grey", ls="--", lw=1)
    ax.text(split + 1, series.max() * 0.95, "test", color="grey")
    ax.text(split - 12, series.max() * 0.95, "train", color="grey", ha="right")
    means = {}
    for layers, colour in ((1, "tab:blue"), (3, "tab:red")):
        preds = [run(layers, s, series, split, epochs) for s in range(seeds)]
        scores = [rmse(p, test) for p in preds]
        means[layers] = float(np.mean(scores))
        print(f"{f'{layers}-layer LSTM':<22}{np.mean(scores):>18.1f}{np.std(scores):>8.1f}"
              f"{min(scores):>8.1f}{max(scores):>8.1f}")
        ax.plot(months[split:], np.mean(preds, axis=0), color=colour, lw=1.2,
                label=f"{layers}-layer LSTM (mean of {seeds} seeds), RMSE {np.mean(scores):.1f}")
    ax.plot(months[split:], naive, color="tab:green", lw=1, ls=":", label=f"seasonal naive, RMSE {rmse(naive, test):.1f}")
    ax.set(xlabel="month since 1949-01", ylabel="passengers (thousands)",
           title="one-month-ahead forecasts on the last third")
    ax.legend(loc="upper left", fontsize=8)
    best = min([("1-layer LSTM", means[1]), ("3-layer LSTM", means[3]), ("seasonal naive", rmse(naive, test))],
               key=lambda kv: kv[1])
    print(f"lowest test RMSE: {best[0]} ({best[1]:.1f})")
    return save(fig, args.out, "airline.png")


if __name__ == "__main__":
    main()
