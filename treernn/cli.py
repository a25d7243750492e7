"""Command line: ``python -m treernn {train,evaluate,predict,train-parser,evaluate-parser,parse}``
(also installed as ``treernn``).

  treernn train --corpus sst --cell treelstm --out runs/sst
  treernn evaluate --model runs/sst --split test
  treernn predict --model runs/sst "(2 (2 a) (3 (3 good) (2 film)))"
  treernn train-parser --out runs/parser
  treernn evaluate-parser --model runs/parser --split test
  echo "The cat sat on the mat ." | treernn parse --model runs/parser
"""
from __future__ import annotations

import argparse
import sys

from dataclasses import asdict

from corpora.embedding import EmbeddingConfig
from deeptrees.distributed import is_main_process
from deeptrees.options import (EMB_HELP, TRAIN_HELP, add_dataclass_options, add_device_option, add_plot_option,
                               add_run_options, add_word_vector_options, cli_options, dataclass_from_args,
                               positive_int, resumed_args, run_command, run_options, write_plots)
from deeptrees.train import TrainConfig


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
    from .model import SUGGESTED_HIDDEN, TreeNetConfig
    from .parser import PARSER_TRAINING, ParserConfig
    from .train import TRAINING

    parser = argparse.ArgumentParser(prog="treernn", description="Recursive neural networks over parse trees.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train a tree network, select on dev, save the best model")
    _add_corpus_options(p)
    p.add_argument("--max-train-trees", type=positive_int, metavar="N", help="use only the first N training trees")
    p.add_argument("--select-on", choices=["root", "all"], help="dev accuracy used for early stopping "
                   "(default: root for sst, all for ptb)")
    add_run_options(p)
    m = p.add_argument_group("network")
    m.add_argument("--cell", default=TreeNetConfig.cell, choices=["rnn", "rntn", "treelstm"],
                   help="composition: rnn (Socher 2011), rntn (tensor, Socher 2013), treelstm (Tai 2015) (default: %(default)s)")
    m.add_argument("--hidden", type=positive_int, help="node vector size (default: per cell, " +
                   ", ".join(f"{c} {h}" for c, h in SUGGESTED_HIDDEN.items()) + ")")
    m.add_argument("--dropout", type=float, default=TreeNetConfig.dropout, help="dropout rate (default: %(default)s)")
    emb = add_dataclass_options(p, EmbeddingConfig, "embedding layer", helps=EMB_HELP,
                                defaults=asdict(TreeNetConfig().embedding))
    add_word_vector_options(emb)
    add_dataclass_options(p, TrainConfig, "training", helps=TRAIN_HELP, defaults=asdict(TRAINING))

    p = sub.add_parser("evaluate", help="fine-grained accuracy (all nodes, root) and binary root accuracy")
    p.add_argument("--model", help="model folder (default: the sentiment model shipped with the package)")
    _add_corpus_options(p)
    p.add_argument("--split", default="test", choices=["train", "dev", "test"], help="which split (default: test)")
    add_device_option(p)
    add_plot_option(p)

    p = sub.add_parser("predict", help="label every node of trees or plain sentences and pretty-print them")
    p.add_argument("trees", nargs="*", help="bracketed trees, or plain sentences (parsed first with the shipped "
                   "parser); one a line on standard input when absent")
    p.add_argument("--model", help="model folder (default: the sentiment model shipped with the package)")
    p.add_argument("--text", action="store_true", help="read every argument or line as a plain sentence, even one "
                   "that starts with '(' (otherwise such a line is read as a bracketed tree)")
    p.add_argument("--probs", action="store_true", help="also print the root's class probabilities")
    add_device_option(p)

    p = sub.add_parser("train-parser", help="train the constituency parser on the Penn Treebank sample (files "
                       "0-158; dev 159-178 selects on labelled-bracket F1), save the best model")
    p.add_argument("--max-train-trees", type=positive_int, metavar="N", help="use only the first N training trees")
    add_run_options(p)
    m = p.add_argument_group("network")
    m.add_argument("--hidden", type=positive_int, default=ParserConfig.hidden_size,
                   help="BiLSTM size per direction (default: %(default)s)")
    m.add_argument("--layers", type=positive_int, default=ParserConfig.num_layers, help="BiLSTM layers (default: %(default)s)")
    m.add_argument("--span-hidden", type=positive_int, default=ParserConfig.span_hidden,
                   help="hidden layer of the span scorer (default: %(default)s)")
    m.add_argument("--dropout", type=float, default=ParserConfig.dropout, help="dropout rate (default: %(default)s)")
    emb = add_dataclass_options(p, EmbeddingConfig, "embedding layer", helps=EMB_HELP)
    add_word_vector_options(emb)
    add_dataclass_options(p, TrainConfig, "training", helps=TRAIN_HELP, defaults=asdict(PARSER_TRAINING))

    p = sub.add_parser("evaluate-parser", help="labelled bracket P/R/F1 (evalb conventions) and POS accuracy "
                       "on a treebank split")
    p.add_argument("--model", help="parser folder (default: the parser shipped with the package)")
    p.add_argument("--split", default="test", choices=["train", "dev", "test"], help="which split (default: test)")
    add_device_option(p)

    p = sub.add_parser("parse", help="parse sentences into bracketed trees, one sentence a line (arguments or "
                       "standard input, read as it comes)")
    p.add_argument("text", nargs="*", help="one sentence; standard input, a sentence a line, when absent")
    p.add_argument("--model", help="parser folder (default: the parser shipped with the package)")
    p.add_argument("--pretokenized", action="store_true", help="split lines on whitespace only (default: the "
                   "Penn-Treebank-style tokenizer)")
    p.add_argument("--pretty", action="store_true", help="draw each tree instead of one bracketed line")
    add_device_option(p)
    return parser


def configs_from_args(args: argparse.Namespace):
    """The architecture and training configs a ``treernn train`` command line asks for."""
    from .model import TreeNetConfig

    config = TreeNetConfig(embedding=dataclass_from_args(EmbeddingConfig, args), cell=args.cell,
                           hidden_size=args.hidden, dropout=args.dropout)
    return config, dataclass_from_args(TrainConfig, args)


def cmd_train(args: argparse.Namespace) -> int:
    from corpora.trees import corpus_classes, tree_words
    from deeptrees.recipe import RunOptions, check_out

    from .train import train_treenet

    args = resumed_args(args, vars(build_parser().parse_args(["train", "--out", "-"])), "treenet")
    check_out(RunOptions(**run_options(args)))      # before any data is read
    train = _trees(args, "train")
    if args.max_train_trees:
        train = train[: args.max_train_trees]
    dev = _trees(args, "dev")
    config, train_config = configs_from_args(args)
    select_on = args.select_on or ("root" if args.corpus == "sst" else "all")
    net, history = train_treenet(train, dev, config, train_config, init_embeddings_from=args.init_embeddings_from,
                                 select_on=select_on, min_count=args.min_count, progress=not args.quiet,
                                 meta={"corpus": args.corpus, "cli": cli_options(args)},
                                 classes=corpus_classes(args.corpus), word_vectors=args.word_vectors,
                                 vector_dim=args.learned_vector_dim,
                                 held_out=[tree_words(t) for t in _trees(args, "test")], **run_options(args))
    if is_main_process():
        print(f"saved {net!r} to {args.out}, best dev {select_on} accuracy {100 * history.best_score:.2f}% "
              f"at epoch {history.best_epoch} (stopped: {history.stopped})")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .api import load, load_default

    net = load(args.model, args.device) if args.model else load_default(args.device)
    scores = net.evaluate(_trees(args, args.split))
    print(scores.summary())
    if args.plot:
        for path in write_plots(args.plot, net.meta.get("history"), scores.gold, scores.predicted, str(net)):
            print(f"wrote {path}")
    return 0


PRETTY_DEPTH = 100   # deeper trees are printed bracketed, not drawn


def cmd_predict(args: argparse.Namespace) -> int:
    from corpora.text import tokenize
    from corpora.trees import bracketed, tree_depth

    from .api import load, load_default

    net = load(args.model, args.device) if args.model else load_default(args.device)
    lines = args.trees or [line for line in sys.stdin.read().splitlines() if line.strip()]
    if args.text:
        lines = [tokenize(line) for line in lines]
    for tree in net.predict_batch(lines):
        if tree_depth(tree) <= PRETTY_DEPTH:
            tree.pretty_print()
        else:   # NLTK's drawing recurses once per level: a deep tree is printed on one line instead
            print(bracketed(tree))
        if args.probs:
            print("root:", " ".join(f"{c}={p:.3f}" for c, p in tree.probs.items()))
    return 0


def cmd_train_parser(args: argparse.Namespace) -> int:
    from corpora.trees import load_parse_trees, tree_spans
    from deeptrees.recipe import RunOptions, check_out

    from .parser import ParserConfig, train_parser

    args = resumed_args(args, vars(build_parser().parse_args(["train-parser", "--out", "-"])), "parser")
    check_out(RunOptions(**run_options(args)))      # before any data is read
    train = load_parse_trees("train")[: args.max_train_trees]
    config = ParserConfig(embedding=dataclass_from_args(EmbeddingConfig, args), hidden_size=args.hidden,
                          num_layers=args.layers, span_hidden=args.span_hidden, dropout=args.dropout)
    parser, history = train_parser(train, load_parse_trees("dev"), config, dataclass_from_args(TrainConfig, args),
                                   progress=not args.quiet, min_count=args.min_count, word_vectors=args.word_vectors,
                                   vector_dim=args.learned_vector_dim, init_embeddings_from=args.init_embeddings_from,
                                   held_out=[tree_spans(t)[0] for t in load_parse_trees("test")],
                                   meta={"cli": cli_options(args)}, **run_options(args))
    if is_main_process():
        print(f"saved {parser!r} to {args.out}, best dev F1 {100 * history.best_score:.2f} at epoch "
              f"{history.best_epoch} (stopped: {history.stopped})")
    return 0


def _load_parser(args: argparse.Namespace):
    from .parser import Parser, load_default_parser

    return Parser.load(args.model, args.device) if args.model else load_default_parser(args.device)


def cmd_evaluate_parser(args: argparse.Namespace) -> int:
    from corpora.trees import load_parse_trees

    print(_load_parser(args).evaluate(load_parse_trees(args.split)).summary())
    return 0


def cmd_parse(args: argparse.Namespace) -> int:
    from corpora.text import tokenize
    from corpora.trees import bracketed, tree_depth

    from .parser import escaped

    parser = _load_parser(args)
    lines = [" ".join(args.text)] if args.text else sys.stdin
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        tokens = line.split() if args.pretokenized else tokenize(line)
        try:
            tree = escaped(parser.parse(tokens))
        except ValueError as e:
            raise ValueError(f"line {number}: {e}") from None
        if args.pretty and tree_depth(tree) <= PRETTY_DEPTH:
            tree.pretty_print()
        else:
            print(bracketed(tree), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_command("treernn", build_parser().parse_args(argv),
                       {"train": cmd_train, "evaluate": cmd_evaluate, "predict": cmd_predict,
                        "train-parser": cmd_train_parser, "evaluate-parser": cmd_evaluate_parser, "parse": cmd_parse})


if __name__ == "__main__":
    sys.exit(main())
