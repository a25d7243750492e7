"""Chunking on CoNLL-2000: our BiLSTM with a softmax and with a CRF output layer vs a CRF-suite tagger
on word/POS context features, trained in one run: span precision / recall / F1 (exact chunks, the
conlleval convention via seqeval), token accuracy, train time, tagging speed.

    python benchmarks/chunk_conll2000.py            # full run (~1 hour on 2 cores)
    python benchmarks/chunk_conll2000.py --quick    # 300 sentences, 2 epochs: checks the script works

Split as in shared/README.md: train.txt (its last 1,000 sentences dev), test.txt. Every system reads the
(automatic) POS column as an input feature. Our word vectors are learned from NLTK's raw text with the
CoNLL-2000 dev and test sentences removed (CoNLL-2000's raw text holds them).
Published: BiLSTM-CRF 94.46 F1 (Huang et al. 2015), Flair 96.72 (Akbik et al. 2018).
"""
from __future__ import annotations

import argparse

from _tagging import add_limit_options, add_options, print_table, run_all


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_options(p)
    add_limit_options(p, epochs=40, patience=5, max_minutes=None, anneal=1.0, anneal_patience=3)
    args = p.parse_args()
    args.load_options = {"pos_feature": True}
    rows = run_all("conll2000", args, systems=("ours-crf", "ours", "crf"))
    print_table(rows, "CoNLL-2000 chunking" + ("  [--quick: 300 training sentences]" if args.quick else ""))


if __name__ == "__main__":
    main()
