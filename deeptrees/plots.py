"""Pictures of a trained model: its learning curve (from the history saved with it) and a confusion
matrix of its predictions. matplotlib is an optional extra (``pip install 'nltk-deeptrees[plots]'``)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path

MAX_LABELS = 25   # a confusion matrix shows the most frequent gold labels (the rest are pooled as "other")


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise ValueError("plots need matplotlib: pip install 'nltk-deeptrees[plots]' (or pip install matplotlib)") \
            from None
    matplotlib.use("Agg")   # files only, no screen
    import matplotlib.pyplot as plt

    return plt


def learning_curve(history: Sequence[dict], path: str | Path, title: str = "") -> Path:
    """Training loss and dev score per epoch, one PNG."""
    if not history:
        raise ValueError("the model has no training history to plot (it was saved before histories were kept)")
    plt = _pyplot()
    epochs = [r["epoch"] for r in history]
    fig, loss_ax = plt.subplots(figsize=(6, 3.6))
    loss_ax.plot(epochs, [r["loss"] for r in history], "o-", color="tab:blue", label="training loss")
    loss_ax.set_xlabel("epoch")
    loss_ax.set_ylabel("training loss", color="tab:blue")
    if any("dev" in r for r in history):
        dev_ax = loss_ax.twinx()
        dev_ax.plot([r["epoch"] for r in history if "dev" in r], [100 * r["dev"] for r in history if "dev" in r],
                    "s-", color="tab:orange")
        dev_ax.set_ylabel("dev score (%)", color="tab:orange")
    loss_ax.set_title(title or "learning curve")
    return _save(fig, plt, path)


def confusion_matrix(gold: Sequence[str], predicted: Sequence[str], path: str | Path, title: str = "") -> Path:
    """Row-normalised confusion of gold (rows) and predicted (columns) labels, one PNG."""
    if not gold:
        raise ValueError("nothing to plot: no labelled items")
    plt = _pyplot()
    import numpy as np

    labels = [lab for lab, _ in Counter(gold).most_common(MAX_LABELS)]
    other = len(set(gold) | set(predicted)) > len(labels)
    names = labels + (["other"] if other else [])
    at = {lab: i for i, lab in enumerate(labels)}
    counts = np.zeros((len(names), len(names)))
    for g, p in zip(gold, predicted):
        counts[at.get(g, len(names) - 1), at.get(p, len(names) - 1)] += 1
    rates = counts / np.maximum(counts.sum(1, keepdims=True), 1)
    size = 2.5 + 0.32 * len(names)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(names)), names, rotation=90, fontsize=7)
    ax.set_yticks(range(len(names)), names, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(title or "confusion (rows sum to 1)", fontsize=9)
    return _save(fig, plt, path)


def _save(fig, plt, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
