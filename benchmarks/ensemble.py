r"""What an ensemble buys: saved taggers (e.g. seeds of one `tagger train` command) scored one by one
and together (`Tagger.ensemble`: the mean of their tag distributions) on a test split, in one run:
span precision / recall / F1 (overall and per type) for chunk and entity tags, accuracy, tagging speed.

    python benchmarks/ensemble.py --corpus conll2000 --models runs/chunk-s1 runs/chunk-s2 runs/chunk-s3
    python benchmarks/ensemble.py --corpus conll2002 --lang esp --models runs/ner-s1 runs/ner-s2 runs/ner-s3
    python benchmarks/ensemble.py --corpus conll2002 --lang ned --models runs/ner-nl-1 runs/ner-nl-2 \
        --words-only --features-from runs/ned-pos     # POS column from our tagger, as raw text gets it

Each member's tokens/s is measured as in the other benchmarks (whole split in one call, best pass);
an ensemble of N runs every member, so it tags about N times slower.
"""
from __future__ import annotations

import argparse
from functools import partial

from _tagging import _speed, print_type_f1


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", required=True, choices=["treebank", "brown", "conll2000", "conll2002"],
                   help="the corpus the models were trained on; its test split is scored")
    p.add_argument("--lang", default="esp", choices=["esp", "ned"], help="conll2002: the language (default: %(default)s)")
    p.add_argument("--models", nargs="+", required=True, metavar="DIR", help="saved taggers, at least 2")
    p.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    p.add_argument("--words-only", action="store_true",
                   help="give the models the test words alone: models that read a POS column get it from the "
                        "tagger they carry (Tagger.feature_tagger), as plain words and raw text do")
    p.add_argument("--features-from", metavar="DIR",
                   help="with --words-only: the tagger of that column, used in place of the one each model "
                        "carries, or for models that carry none (as tagger evaluate --features-from)")
    p.add_argument("--consistent", type=int, default=0, metavar="N",
                   help="entity models: each name typed by its mentions within N sentences (tagger tag --consistent)")
    p.add_argument("--split", default="test", choices=["dev", "test"], help="the split scored (default: %(default)s)")
    args = p.parse_args()

    import torch

    import corpora
    from corpora.tagged import split_tagged, words_and_tags
    from tagger import Tagger
    from tagger.evaluate import evaluate

    if args.threads:
        torch.set_num_threads(args.threads)
    members = [Tagger.load(m) for m in args.models]
    try:   # the members carry --features-from in place of their own, as tagger tag / evaluate do
        carried = Tagger.load(args.features_from) if args.features_from else None
        ensemble = Tagger.ensemble(members, feature_tagger=carried)
    except ValueError as e:
        p.error(str(e))
    options = {"lang": args.lang} if args.corpus == "conll2002" else {}
    if args.corpus in ("conll2000", "conll2002"):
        options["pos_feature"] = members[0].n_features > 0
    test = corpora.load(args.corpus, args.split, **options)
    if args.words_only:
        test = words_and_tags(test)
    tokens = [split_tagged(s)[0] for s in test]
    rows, types, errors = [], [], []
    for name, t in [*zip(args.models, members), (f"ensemble of {len(members)}", ensemble)]:
        tag_sents = partial(t.tag_sents, consistent=args.consistent)
        result = evaluate(tag_sents, test, t.vocab.knows)
        f1 = [100 * x for x in result.spans()] if result.chunks else None
        rows.append((name, f1, 100 * result.accuracy, _speed(tag_sents, tokens)))
        types.append(result.span_types() if result.chunks else {})
        errors.append(result.span_errors() if result.chunks else None)
    print(f"\n{args.corpus}{'/' + args.lang if args.corpus == 'conll2002' else ''} {args.split} split: {result.tokens} "
          f"tokens, torch threads {torch.get_num_threads()}" + (", words only" if args.words_only else "")
          + (f", types consistent within {args.consistent} sentences" if args.consistent else ""))
    spans = rows[0][1] is not None
    print(f"{'model':<40}" + (f"{'precision':>11}{'recall':>9}{'F1':>8}" if spans else "") + f"{'accuracy':>10}{'tag tok/s':>12}")
    n = len(members)
    mean = ("mean of the members", [sum(r[1][i] for r in rows[:n]) / n for i in range(3)] if spans else None,
            sum(r[2] for r in rows[:n]) / n, sum(r[3] for r in rows[:n]) / n)
    for name, f1, acc, speed in rows[:n] + [mean, rows[n]]:
        cells = f"{f1[0]:>10.2f}%{f1[1]:>8.2f}%{f1[2]:>8.2f}" if spans else ""
        print(f"{name[-40:]:<40}{cells}{acc:>9.2f}%{speed:>12,.0f}")
    if spans:
        print_type_f1([(row[0], scores) for row, scores in zip(rows, types)], 40)
        print(f"{'gold spans not found, by why':<40}{'type':>8}{'bounds':>8}{'missed':>8}   spurious predictions")
        for row, e in zip(rows, errors):
            print(f"{row[0][-40:]:<40}{e.wrong_type:>8}{e.wrong_boundary:>8}{e.missed:>8}{e.spurious:>11}   "
                  + " ".join(f"{g}->{q} {k}" for (g, q), k in e.confusions.most_common(3)))
    gain = rows[n][1][2] - mean[1][2] if spans else rows[n][2] - mean[2]
    print(f"ensemble - mean of members: {gain:+.2f} {'F1' if spans else 'accuracy points'}; "
          f"speed ensemble / mean member: {rows[n][3] / mean[3]:.2f}x")


if __name__ == "__main__":
    main()
