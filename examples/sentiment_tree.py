"""Sentiment of every phrase of a plain sentence: parsed by the shipped parser, classified node by node by
the shipped Tree-LSTM (SST classes 0-4), drawn with each node coloured from red (very negative) through
grey (neutral) to green (very positive).

    python examples/sentiment_tree.py                                   # writes examples/out/sentiment_tree.png
    python examples/sentiment_tree.py --text "The plot is thin but the actors are wonderful ."
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import parser, save  # noqa: E402
from corpora.trees import nodes_postorder  # noqa: E402

COLOURS = {"0": "#c0392b", "1": "#e59866", "2": "#bfc9ca", "3": "#82e0aa", "4": "#1e8449"}
TEXT = "The acting is not bad , but the story is a complete mess ."


def main(argv: list[str] | None = None) -> Path:
    p = parser(__doc__)
    p.add_argument("--text", default=TEXT, help="the sentence to draw (default: %(default)r)")
    args = p.parse_args(argv)
    import matplotlib.pyplot as plt

    import treernn

    tree = treernn.load_default().predict(args.text)
    tree.pretty_print()
    place: dict[int, tuple[float, float]] = {}
    leaves = 0
    for node in nodes_postorder(tree):                 # leaves left to right; a parent above its children
        kids = [c for c in node if not isinstance(c, str)]
        if kids:
            xs = [place[id(k)][0] for k in kids]
            place[id(node)] = (sum(xs) / len(xs), 1 + max(place[id(k)][1] for k in kids))
        else:
            place[id(node)] = (leaves, 0)
            leaves += 1
    fig, ax = plt.subplots(figsize=(max(6, 0.9 * leaves), 5))
    for node in nodes_postorder(tree):
        x, y = place[id(node)]
        for kid in node:
            if not isinstance(kid, str):
                ax.plot([x, place[id(kid)][0]], [y, place[id(kid)][1]], color="#7f8c8d", lw=1, zorder=1)
        ax.scatter([x], [y], s=260, color=COLOURS.get(node.label(), "white"), edgecolor="black", zorder=2)
        ax.text(x, y, node.label(), ha="center", va="center", fontsize=8, zorder=3)
        if isinstance(node[0], str):
            ax.text(x, y - 0.45, node[0], ha="center", va="top", fontsize=9, rotation=30)
    ax.set_title("SST sentiment of every phrase (0 very negative ... 4 very positive)")
    ax.set_ylim(-1.6, 1 + max(y for _, y in place.values()))
    ax.axis("off")
    return save(fig, args.out, "sentiment_tree.png")


if __name__ == "__main__":
    main()
