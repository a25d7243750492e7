"""Does bidirectionality help? Does depth? Which cell? POS tagging on the treebank split.

Same embedding layer (word vectors learned once from unlabelled NLTK text, as ``tagger train``
does by default), hidden size, optimiser and epoch budget for every row; each row changes
one thing from the 2-layer BiLSTM. Selection on dev, accuracy on test (shared/README split).

    python benchmarks/pos_architectures.py            # table + benchmarks/out/pos_architectures.png
    python benchmarks/pos_architectures.py --quick    # 200 sentences, 1 epoch: checks the script
"""
from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import corpora
from corpora.wordvectors import DEFAULT_VECTORS, word_vectors_from
from deeptrees import TrainConfig
from tagger import TaggerConfig, evaluate, train_tagger

VARIANTS = [  # (name, changes to the default TaggerConfig)
    ("1-layer forward LSTM", dict(num_layers=1, bidirectional=False)),
    ("1-layer BiLSTM", dict(num_layers=1)),
    ("2-layer BiLSTM", dict(num_layers=2)),
    ("3-layer BiLSTM", dict(num_layers=3)),
    ("2-layer Bi plain RNN", dict(num_layers=2, cell="rnn")),
    ("2-layer BiGRU", dict(num_layers=2, cell="gru")),
]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=12, help="epoch budget for every variant")
    p.add_argument("--quick", action="store_true")
    p.add_argument("--word-vectors", default=DEFAULT_VECTORS,
                   help="as tagger train --word-vectors (default: %(default)s)")
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "out")
    args = p.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    train, dev, test = (corpora.load("treebank", s) for s in ("train", "dev", "test"))
    epochs = args.epochs
    if args.quick:
        train, dev, test, epochs = train[:200], dev[:50], test[:50], 1
    known = {w for s in train for w, _ in s}
    vectors = word_vectors_from(args.word_vectors, [[w for w, _ in s] for s in train],
                                held_out=[[w for w, _ in s] for s in dev + test])
    base = TaggerConfig()
    rows = []
    for name, change in VARIANTS:
        cfg = replace(base, **change)
        t0 = time.perf_counter()
        tagger, hist = train_tagger(train, dev, cfg, TrainConfig(epochs=epochs, patience=epochs), progress=False,
                                    word_vectors=vectors)
        secs = time.perf_counter() - t0
        result = evaluate(tagger.tag_sents, test, lambda w: w in known)
        params = sum(p.numel() for p in tagger.model.rnn.parameters())
        rows.append((name, result.accuracy, result.oov_accuracy, hist.best_score, secs, params))
        print(f"  done: {name} ({secs:.0f}s)", flush=True)
    print(f"\nPOS, treebank test split ({result.tokens} tokens), {epochs} epochs each, hidden {base.hidden_size}, "
          f"word vectors: {args.word_vectors}" + ("  [--quick]" if args.quick else ""))
    print(f"{'variant':<24}{'test acc':>9}{'OOV acc':>9}{'dev acc':>9}{'train s':>9}{'RNN params':>12}")
    for name, acc, oov, dev_acc, secs, params in rows:
        print(f"{name:<24}{100 * acc:>8.2f}%{100 * oov:>8.2f}%{100 * dev_acc:>8.2f}%{secs:>9.0f}{params:>12,}")
    fig, ax = plt.subplots(figsize=(9, 4))
    names = [r[0] for r in rows]
    ax.bar(names, [100 * r[1] for r in rows], color=["tab:grey", "tab:blue", "tab:blue", "tab:blue", "tab:orange",
                                                      "tab:green"])
    low = min(100 * r[1] for r in rows)
    ax.set_ylim(max(0, low - 2), 100 * max(r[1] for r in rows) + 0.5)
    for i, r in enumerate(rows):
        ax.text(i, 100 * r[1] + 0.05, f"{100 * r[1]:.2f}", ha="center", va="bottom", fontsize=8)
    ax.set(ylabel="test accuracy (%)", title="POS tagging on the treebank sample: direction, depth, cell")
    plt.setp(ax.get_xticklabels(), rotation=20, ha="right")
    args.out.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(args.out / "pos_architectures.png", dpi=110)
    print(f"wrote {args.out / 'pos_architectures.png'}")


if __name__ == "__main__":
    main()
