"""Constituency parsing on the Penn Treebank sample: our span parser vs right-branching vs an NLTK PCFG.

    python benchmarks/parse_treebank.py --model runs/parser     # a parser trained by `treernn train-parser`
    python benchmarks/parse_treebank.py --train                 # train one here first (~20 minutes on 2 cores)
    python benchmarks/parse_treebank.py --quick --train         # 150 training trees, 2 epochs: checks the script

Split as in shared/README.md (files 0-158 train, 159-178 dev, 179-198 test; -NONE- elements and emptied
constituents removed, function tags stripped). Scores: labelled brackets with evalb's conventions
(``treernn.parseval``), and unlabelled brackets for right-branching, which has no labels.

- right-branching: every span (i, n) and the words' gold POS tags (an upper bound for such a baseline).
- NLTK PCFG: ``nltk.induce_pcfg`` over the training trees in Chomsky normal form (parent-annotated
  markovisation off, unary chains collapsed), terminals = gold POS tags (a word-level PCFG leaves most test
  words unknown), parsed with ``nltk.ViterbiParser`` on the test sentences of at most ``--pcfg-max-len``
  words, the longest it parses in reasonable time; our parser is scored on the same sentences beside it.
"""
from __future__ import annotations

import argparse
import time
from dataclasses import replace

from nltk import Tree

from corpora.trees import load_parse_trees, tree_spans
from treernn.parser import PARSER_TRAINING, Parser, load_default_parser, train_parser
from treernn.parseval import PUNCTUATION, score_parses


def unlabelled(tree: Tree) -> Tree:
    """The tree with every phrase labelled X (POS tags kept): scores then count unlabelled brackets."""
    out = tree.copy(deep=True)
    for sub in out.subtrees(lambda t: t.height() > 2):
        sub.set_label("X")
    return out


def right_branching(words: list[str], tags: list[str]) -> Tree:
    node = Tree(tags[-1], [words[-1]])
    for w, t in zip(reversed(words[:-1]), reversed(tags[:-1])):
        node = Tree("X", [Tree(t, [w]), node])
    return node if len(words) > 1 else Tree("X", [node])


def pcfg_parses(train: list[Tree], test: list[Tree], max_seconds: float) -> tuple[list[Tree], int]:
    """Viterbi parses of the test trees' POS sequences under a PCFG induced from the training trees, and how
    many found no parse within ``max_seconds`` (those are scored as right-branching trees)."""
    from nltk import Nonterminal, ViterbiParser, induce_pcfg

    productions = []
    for t in train:
        _, tags, _ = tree_spans(t)
        cnf = Tree("TOP", [t.copy(deep=True)])
        for pos in cnf.treepositions("leaves"):          # the POS tag is the terminal
            cnf[pos] = cnf[pos[:-1]].label()
        cnf.collapse_unary(collapsePOS=True)          # not the root: TOP stays the start symbol
        cnf.chomsky_normal_form()
        productions += cnf.productions()
    parser = ViterbiParser(induce_pcfg(Nonterminal("TOP"), productions), max_time=max_seconds)
    out, failed = [], 0
    for t in test:
        words, tags, _ = tree_spans(t)
        try:
            found = next(iter(parser.parse(tags)), None)
        except TimeoutError:
            found = None
        if found is None:
            failed += 1
            out.append(right_branching(words, tags))
            continue
        found.un_chomsky_normal_form()
        tree = found[0] if found.label() == "TOP" else found
        tree = Tree.convert(tree)                          # a plain Tree (the parser gives ProbabilisticTrees)
        leaves = tree.treepositions("leaves")
        for pos, w in zip(leaves, words):                 # terminals back to words under their tags
            tree[pos[:-1]] = Tree(tree[pos], [w])
        out.append(tree)
    return out, failed


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", help="parser folder (default: the shipped parser, unless --train)")
    p.add_argument("--train", action="store_true", help="train our parser in this run (seed --seed)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--max-minutes", type=float, default=25.0, help="training budget with --train (default: %(default)s)")
    p.add_argument("--quick", action="store_true", help="150 training trees, 2 epochs, PCFG on 6-word sentences")
    p.add_argument("--pcfg-max-len", type=int, default=12, help="longest test sentence the PCFG parses (default: %(default)s)")
    p.add_argument("--pcfg-seconds", type=float, default=10.0, help="the PCFG's time limit per sentence (default: %(default)s)")
    args = p.parse_args()
    train, dev, test = (load_parse_trees(s) for s in ("train", "dev", "test"))
    if args.quick:
        train, dev, args.pcfg_max_len = train[:150], dev[:50], 6
    t0 = time.perf_counter()
    if args.train:
        config = replace(PARSER_TRAINING, seed=args.seed, max_minutes=args.max_minutes, **({"epochs": 2} if args.quick else {}))
        parser, history = train_parser(train, dev, train_config=config, progress=False,
                                       held_out=[tree_spans(t)[0] for t in test])
        print(f"trained in {(time.perf_counter() - t0) / 60:.1f} min: {len(history.epochs)} epochs, best dev F1 "
              f"{100 * history.best_score:.2f} at epoch {history.best_epoch}")
    else:
        parser = Parser.load(args.model) if args.model else load_default_parser()
    words = [tree_spans(t)[0] for t in test]
    parser.parse_sents(words[:20])                        # warm-up
    t = time.perf_counter()
    ours = parser.parse_sents(words)
    speed = sum(map(len, words)) / (time.perf_counter() - t)
    rb = [right_branching(*tree_spans(t)[:2]) for t in test]
    print(f"\nPenn Treebank sample, test files 179-198: {len(test)} sentences, {sum(map(len, words))} words "
          f"({sum(tag not in PUNCTUATION for t in test for tag in tree_spans(t)[1])} scored)")
    print(f"{'system':<32}{'P':>7}{'R':>7}{'F1':>7}{'unlab. F1':>11}{'POS':>8}{'tok/s':>9}")

    def row(name, gold, parses, tok_s=None):
        s, u = score_parses(gold, parses), score_parses([unlabelled(g) for g in gold], [unlabelled(x) for x in parses])
        labelled = f"{100 * s.precision:>7.2f}{100 * s.recall:>7.2f}{100 * s.f1:>7.2f}" if name != "right-branching" else f"{'-':>7}" * 3
        print(f"{name:<32}{labelled}{100 * u.f1:>11.2f}{100 * s.tag_accuracy:>7.2f}%"
              + (f"{tok_s:>9,.0f}" if tok_s else ""))

    row("span parser (ours)", test, ours, speed)
    row("right-branching", test, rb)
    short = [k for k, w in enumerate(words) if len(w) <= args.pcfg_max_len]
    t = time.perf_counter()
    pcfg, failed = pcfg_parses(train, [test[k] for k in short], args.pcfg_seconds)
    pcfg_speed = sum(len(words[k]) for k in short) / (time.perf_counter() - t)
    print(f"\n{len(short)} test sentences of at most {args.pcfg_max_len} words (the PCFG's reach; {failed} found no "
          f"parse within {args.pcfg_seconds:.0f} s and are scored as right-branching):")
    row("ours", [test[k] for k in short], [ours[k] for k in short])
    row("NLTK PCFG (gold POS input)", [test[k] for k in short], pcfg, pcfg_speed)


if __name__ == "__main__":
    main()
