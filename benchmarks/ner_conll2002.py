"""Named entities on CoNLL-2002, Spanish and Dutch: our BiLSTM with a CRF and with a softmax output
layer vs a CRF-suite tagger on classic word / shape / affix / context features, trained in one run:
precision / recall / F1 of exact entity spans overall and per type (conlleval convention, seqeval),
train minutes, tagging speed.

    python benchmarks/ner_conll2002.py                           # both languages, seed 1 (estimated 2-3 hours)
    python benchmarks/ner_conll2002.py --seeds 1 2 3 --only ours-crf   # our CRF model's mean over seeds
    python benchmarks/ner_conll2002.py --quick                   # 300 sentences, 2 epochs: checks the script

Our taggers train until 15 epochs pass without a better dev span F1 (at most 150 epochs or 40 minutes):
on two CPU cores Spanish runs stop after ~40 epochs, Dutch ones after 57-81 (their best dev epochs: 24-30, 42-66).
Saved models (``--save``) of several seeds make an ensemble: ``benchmarks/ensemble.py``.

Split as in shared/README.md: ``<lang>.train`` train, ``.testa`` dev, ``.testb`` test. No POS column is
read unless ``--pos-feature`` (the issue allows Dutch's; Spanish CoNLL-2002 had none in the shared task).
Our word vectors are learned from the language's unlabelled text, CESS-ESP or Alpino, plus the training
sentences; never from testa/testb.
Published (testb F1, Spanish / Dutch): Carreras et al. 2002 (shared-task winner) 81.39 / 77.05;
Lample et al. 2016 (LSTM-CRF, large pretrained embeddings) 85.75 / 81.74.
"""
from __future__ import annotations

import argparse
import statistics

from _tagging import SYSTEMS, add_limit_options, add_options, print_table, print_type_f1, run_all

LANGUAGES = {"esp": ("es", "Spanish"), "ned": ("nl", "Dutch")}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_options(p)
    p.add_argument("--langs", nargs="+", default=list(LANGUAGES), choices=list(LANGUAGES), help="languages to run")
    p.add_argument("--pos-feature", action="store_true",
                   help="every system reads the POS column as an input feature (Dutch's is allowed by the issue)")
    p.add_argument("--seeds", nargs="+", type=int, help="our taggers' seeds (default: --seed); CRF-suite runs once")
    add_limit_options(p, epochs=150, patience=15, max_minutes=40.0, anneal=1.0, anneal_patience=3)
    args = p.parse_args()
    save = args.save
    for lang in args.langs:
        args.language, name = LANGUAGES[lang]
        args.load_options = {"lang": lang, "pos_feature": args.pos_feature}
        rows = []
        for i, seed in enumerate(args.seeds or [args.seed]):
            args.seed = seed
            args.save = f"{save}-{lang}-seed{seed}" if save else None
            systems = ("ours-crf", "ours", "crf") if i == 0 else ("ours-crf", "ours")
            if args.only:
                systems = tuple(s for s in systems if s in args.only)
            for row in run_all("conll2002", args, systems):
                row["seed"] = seed
                rows.append(row)
        print_table(rows, f"CoNLL-2002 {name} ({lang}.testb)" + (", POS column read" if args.pos_feature else "")
                    + ("  [--quick]" if args.quick else ""), minutes=True)
        print_types(rows)
        print_means(rows)


def print_types(rows: list[dict]) -> None:
    print_type_f1([(r["system"] + (f" s{r['seed']}" if "epochs" in r else ""), r["types"]) for r in rows], 28)


def print_means(rows: list[dict]) -> None:
    for system in SYSTEMS.values():
        f1 = [100 * r["f1"] for r in rows if r["system"] == system]
        if len(f1) > 1:
            print(f"{system}: F1 mean {statistics.mean(f1):.2f} +- {statistics.stdev(f1):.2f} (sd) over "
                  f"{len(f1)} seeds: {' '.join(f'{x:.2f}' for x in f1)}")


if __name__ == "__main__":
    main()
