"""POS tagging on the Brown corpus (universal tags, 930k training tokens): our BiLSTM vs NLTK's
perceptron vs a CRF, trained in one run, one table.

    python benchmarks/pos_brown.py              # full run (~1 hour on 2 cores)
    python benchmarks/pos_brown.py --quick      # 300 sentences, 2 epochs: checks the script works

Split as in shared/README.md: ``brown.tagged_sents(tagset='universal')`` in corpus order, index % 10
== 9 test, == 8 dev, the rest train. Brown's own raw text is among the unlabelled text our word
vectors learn from; its dev and test sentences are removed from it first. Our tagger: CLI defaults,
but patience 3 and a 50-minute budget (the epoch that crosses it is the last).
"""
from __future__ import annotations

import argparse

from _tagging import add_limit_options, add_options, print_table, run_all


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_options(p)
    add_limit_options(p, max_minutes=50.0, patience=3)
    args = p.parse_args()
    rows = run_all("brown", args)
    print_table(rows, "Brown corpus, universal tags" + ("  [--quick: 300 training sentences]" if args.quick else ""),
                minutes=True)


if __name__ == "__main__":
    main()
