"""Command line: ``python -m treernn {train,evaluate,predict}`` (also installed as ``treernn``).

  treernn train --corpus sst --cell treelstm --out runs/sst
  treernn evaluate --model runs/sst --split test
  treernn predict --model runs/sst "(2 (2 a) (3 (3 good) (2 film)))"
"""
from __future__ import annotations

import argparse
import sys

from corpora.embedding import EmbeddingConfig
from corpora.options import (EMB_HELP, TRAIN_HELP, add_dataclass_options, add_word_vector_options,
                             dataclass_from_args, run_command)
from corpora.train import TrainConfig


def _trees(args: argparse.Namespace, split: str):
    from corpora.trees import load_trees

    return load_trees(args.corpus, split, args.sst_dir)


def _add_corpus_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--corpus", default="sst", choices=["sst", "ptb"],
                   help="sst: Stanford Sentiment Treebank (labels 0-4 on every node); ptb: Penn Treebank sample, "
                        "phrase labels on binarised trees (default: sst)")
    p.add_argument("--sst-dir", help="folder with SST train.txt/dev.txt/test.txt (default: $SST_DIR or "
                                     "data/sst beside NLTK_DATA)")


def build_parser() -> argparse.ArgumentParser:
    from .model import TreeNetConfig

    parser = argparse.ArgumentParser(prog="treernn", description="Recursive neural networks over parse trees.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train a tree network, select on dev, save the best model")
    _add_corpus_options(p)
    p.add_argument("--out", required=True, help="folder to write the model to (the best model is saved as it trains)")
    p.add_argument("--max-train-trees", type=int, help="use only the first N training trees")
    p.add_argument("--select-on", choices=["root", "all"], help="dev accuracy used for early stopping "
                   "(default: root for sst, all for ptb)")
    p.add_argument("--init-embeddings-from", metavar="TAGGER_DIR",
                   help="start from a trained tagger's embedding layer and vocabulary (its word vectors "
                        "included; --word-vectors is then not used)")
    p.add_argument("--min-count", type=int, default=1, help="words seen fewer times in training become <unk> (default: %(default)s)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    m = p.add_argument_group("network")
    m.add_argument("--cell", default=TreeNetConfig.cell, choices=["rnn", "rntn", "treelstm"],
                   help="composition: rnn (Socher 2011), rntn (tensor, Socher 2013), treelstm (Tai 2015) (default: %(default)s)")
    m.add_argument("--hidden", type=int, help="node vector size (default: per cell, rnn 100, rntn 40, treelstm 150)")
    m.add_argument("--dropout", type=float, default=TreeNetConfig.dropout, help="dropout rate (default: %(default)s)")
    emb = add_dataclass_options(p, EmbeddingConfig, "embedding layer", helps=EMB_HELP)
    add_word_vector_options(emb)
    add_dataclass_options(p, TrainConfig, "training", helps=TRAIN_HELP,
                          defaults={"optimizer": "adagrad", "lr": 0.05, "batch_size": 25, "weight_decay": 1e-5})

    p = sub.add_parser("evaluate", help="fine-grained accuracy (all nodes, root) and binary root accuracy")
    p.add_argument("--model", required=True, help="model folder")
    _add_corpus_options(p)
    p.add_argument("--split", default="test", choices=["train", "dev", "test"], help="which split (default: test)")

    p = sub.add_parser("predict", help="label every node of bracketed trees and pretty-print them")
    p.add_argument("trees", nargs="*", help="bracketed trees; one a line on standard input when absent")
    p.add_argument("--model", required=True, help="model folder")
    p.add_argument("--probs", action="store_true", help="also print the root's class probabilities")
    return parser


def cmd_train(args: argparse.Namespace) -> int:
    from corpora.trees import corpus_classes, tree_words
    from corpora.wordvectors import word_vectors_from

    from .model import SUGGESTED_HIDDEN, TreeNetConfig
    from .train import train_treenet

    train = _trees(args, "train")
    if args.max_train_trees:
        train = train[: args.max_train_trees]
    dev = _trees(args, "dev")
    vectors = None if args.init_embeddings_from else \
        word_vectors_from(args.word_vectors, [tree_words(t) for t in train], args.learned_vector_dim)
    config = TreeNetConfig(embedding=dataclass_from_args(EmbeddingConfig, args), cell=args.cell,
                           hidden_size=args.hidden or SUGGESTED_HIDDEN[args.cell], dropout=args.dropout)
    select_on = args.select_on or ("root" if args.corpus == "sst" else "all")
    net, history = train_treenet(train, dev, config, dataclass_from_args(TrainConfig, args), out=args.out,
                                 init_embeddings_from=args.init_embeddings_from, select_on=select_on,
                                 min_count=args.min_count, progress=not args.quiet, meta={"corpus": args.corpus},
                                 classes=corpus_classes(args.corpus), word_vectors=vectors)
    print(f"saved {net!r} to {args.out}, best dev {select_on} accuracy {100 * history.best_score:.2f}% "
          f"at epoch {history.best_epoch} (stopped: {history.stopped})")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .api import load

    print(load(args.model).evaluate(_trees(args, args.split)).summary())
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from .api import load

    net = load(args.model)
    lines = args.trees or [line for line in sys.stdin.read().splitlines() if line.strip()]
    for tree in net.predict_batch(lines):
        tree.pretty_print()
        if args.probs:
            print("root:", " ".join(f"{c}={p:.3f}" for c, p in tree.probs.items()))
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_command("treernn", build_parser().parse_args(argv), {"train": cmd_train, "evaluate": cmd_evaluate, "predict": cmd_predict})


if __name__ == "__main__":
    sys.exit(main())
