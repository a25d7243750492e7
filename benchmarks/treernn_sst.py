"""Tree networks on the Stanford Sentiment Treebank and Penn Treebank phrase labels.

    python benchmarks/treernn_sst.py                       # every cell on SST + PTB phrase labels
    python benchmarks/treernn_sst.py --cells treelstm --epochs 10
    python benchmarks/treernn_sst.py --quick               # 500 training trees, 2 epochs: checks the script

SST: train on train.txt, select on dev root accuracy, report on test.txt with Socher's protocol
(fine-grained accuracy at all nodes and at the root; binary root accuracy over non-neutral trees).
No pretrained word vectors by default (as Socher et al. 2013); ``--word-vectors brown,conll2000,sentence_polarity``
gives every cell frozen vectors learned from that unlabelled NLTK text plus the SST training sentences,
the SST dev and test sentences removed from it first. PTB phrase labels are trained without vectors.
Published numbers (Socher et al. 2013; Tai et al. 2015, with GloVe vectors) are printed beside.
PTB: phrase label of every labelled node of the cleaned, binarised test trees, next to a
majority-class baseline and logistic regression on bag-of-children features.
"""
from __future__ import annotations

import argparse
import time
from collections import Counter
from dataclasses import replace

from corpora import EmbeddingConfig
from corpora.trees import (NO_LABEL, PTB_PHRASE_LABELS, SST_CLASSES, is_leaf, load_ptb_trees, load_sst,
                           nodes_postorder, tree_words)
from corpora.wordvectors import word_vectors_from
from deeptrees import TrainConfig
from treernn import TreeNetConfig, train_treenet
from treernn.model import SUGGESTED_HIDDEN as HIDDEN
from treernn.train import TRAINING

PUBLISHED = {  # fine all, fine root, binary root
    "rnn": ("RNN (Socher 2013)", 79.0, 43.2, 82.4),
    "rntn": ("RNTN (Socher 2013)", 80.7, 45.7, 85.4),
    "treelstm": ("Tree-LSTM + GloVe (Tai 2015)", None, 51.0, 88.0),
}


def train_config(args: argparse.Namespace) -> TrainConfig:
    """The tree networks' defaults (AdaGrad, lr 0.05 as Tai et al.; batches of 100 trees), patience 4."""
    return replace(TRAINING, epochs=2 if args.quick else args.epochs, patience=4, seed=args.seed)


def sst(args: argparse.Namespace) -> None:
    train, dev, test = load_sst("train"), load_sst("dev"), load_sst("test")
    if args.quick:
        train, dev = train[:500], dev[:200]
    # the SST dev and test sentences are removed from the vectors' text (sentence_polarity holds most of them)
    vectors = word_vectors_from(args.word_vectors, [tree_words(t) for t in train],
                                held_out=[tree_words(t) for t in dev + test])
    rows = []
    for cell in args.cells:
        cfg = TreeNetConfig(cell=cell, hidden_size=HIDDEN[cell], dropout=0.5, embedding=EmbeddingConfig(word_dim=100))
        t0 = time.perf_counter()
        net, hist = train_treenet(train, dev, cfg, train_config(args), progress=not args.no_progress,
                                  classes=SST_CLASSES, word_vectors=vectors)
        secs = time.perf_counter() - t0
        s = net.evaluate(test)
        rows.append((cell, s, hist, secs))
    source = f"word vectors from {args.word_vectors}" if vectors else "no pretrained vectors"
    print(f"\nSST test ({len(test)} trees), {source}" + ("  [--quick]" if args.quick else ""))
    print(f"{'model':<32}{'fine all':>9}{'fine root':>10}{'binary root':>12}{'epochs':>8}{'s/epoch':>9}"
          f"{'best dev root':>15}")
    for cell, s, hist, secs in rows:
        print(f"{'ours: ' + cell:<32}{100 * s.all_nodes:>9.1f}{100 * s.root:>10.1f}{100 * s.binary_root:>12.1f}"
              f"{len(hist.epochs):>8}{secs / max(1, len(hist.epochs)):>9.1f}{100 * hist.best_score:>15.1f}")
    for cell in args.cells:
        name, fa, fr, br = PUBLISHED[cell]
        print(f"{'published: ' + name:<32}{fa if fa else '-':>9}{fr:>10}{br:>12}")


def span_features(tree) -> list[tuple[dict, str]]:
    """(features, gold label) for each labelled node: bag of words of each child's span, edges, length."""
    spans: dict[int, list[str]] = {}
    out = []
    for node in nodes_postorder(tree):
        if is_leaf(node):
            spans[id(node)] = [node[0].lower()]
        else:
            spans[id(node)] = spans[id(node[0])] + spans[id(node[1])]
        if node.label() == NO_LABEL:
            continue
        words = spans[id(node)]
        f = {"first=" + words[0]: 1, "last=" + words[-1]: 1, f"len={min(len(words), 10)}": 1,
             "leaf": int(is_leaf(node))}
        if not is_leaf(node):
            for side, child in (("L", node[0]), ("R", node[1])):
                for w in spans[id(child)]:
                    f[f"{side}={w}"] = 1
                f[f"{side}len={min(len(spans[id(child)]), 10)}"] = 1
        out.append((f, node.label()))
    return out


def ptb(args: argparse.Namespace) -> None:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    train, dev, test = load_ptb_trees("train"), load_ptb_trees("dev"), load_ptb_trees("test")
    if args.quick:
        train = train[:300]
    best = "treelstm" if "treelstm" in args.cells else args.cells[0]
    cfg = TreeNetConfig(cell=best, hidden_size=HIDDEN[best], dropout=0.3)
    tc = replace(train_config(args), optimizer="adam", lr=2e-3)
    net, _ = train_treenet(train, dev, cfg, tc, select_on="all", progress=not args.no_progress,
                           classes=PTB_PHRASE_LABELS, word_vectors=None)
    ours = net.evaluate(test)
    tr = [x for t in train for x in span_features(t)]
    te = [x for t in test for x in span_features(t)]
    majority = Counter(y for _, y in tr).most_common(1)[0][0]
    vec = DictVectorizer()
    lr = LogisticRegression(max_iter=300, C=1.0)
    lr.fit(vec.fit_transform([f for f, _ in tr]), [y for _, y in tr])
    pred = lr.predict(vec.transform([f for f, _ in te]))
    print(f"\nPTB phrase labels, test files ({ours.nodes} labelled nodes)")
    print(f"{'majority class (' + majority + ')':<32}{100 * sum(y == majority for _, y in te) / len(te):>8.2f}%")
    print(f"{'logistic regression, children':<32}{100 * sum(p == y for p, (_, y) in zip(pred, te)) / len(te):>8.2f}%")
    print(f"{'ours: ' + best:<32}{100 * ours.all_nodes:>8.2f}%")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cells", nargs="*", default=["rnn", "rntn", "treelstm"])
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--skip-ptb", action="store_true")
    p.add_argument("--skip-sst", action="store_true")
    p.add_argument("--word-vectors", default="none", help="SST only: frozen word vectors, as treernn train "
                   "--word-vectors (NLTK corpora to learn them from, a GloVe text file, or none; default: none)")
    args = p.parse_args()
    if not args.skip_sst:
        sst(args)
    if not args.skip_ptb:
        ptb(args)


if __name__ == "__main__":
    main()
