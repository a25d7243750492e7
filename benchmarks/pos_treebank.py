"""POS tagging on the Penn Treebank sample: our BiLSTM vs NLTK's perceptron vs a CRF, one table.

    python benchmarks/pos_treebank.py                 # full run (~10 minutes on 2 cores)
    python benchmarks/pos_treebank.py --quick         # 300 sentences, 2 epochs: checks the script works

Split as in shared/README.md (files 0-158 train, 159-178 dev, 179-198 test, -NONE- removed).
How systems are run and timed: ``benchmarks/_tagging.py``. "shipped default" is the model
``tagger.load_default()`` loads (trained before, on the same split), timed in this run beside the
peers. ``--word-vectors none`` gives our purely supervised figure.
"""
from __future__ import annotations

import argparse

from _tagging import add_limit_options, add_options, print_table, run_all


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_options(p)
    add_limit_options(p, epochs=40)
    args = p.parse_args()
    rows = run_all("treebank", args, ("ours", "shipped", "perceptron", "crf"))
    print_table(rows, "Penn Treebank sample" + ("  [--quick: 300 training sentences]" if args.quick else ""))


if __name__ == "__main__":
    main()
