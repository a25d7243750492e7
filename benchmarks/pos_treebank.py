"""POS tagging on the Penn Treebank sample: our BiLSTM vs NLTK's perceptron vs a CRF, one table.

    python benchmarks/pos_treebank.py                 # full run (~10 minutes on 2 cores)
    python benchmarks/pos_treebank.py --quick         # 300 sentences, 2 epochs: checks the script works

Split as in shared/README.md (files 0-158 train, 159-178 dev, 179-198 test, -NONE- removed).
Each system runs in its own child process so its peak RSS is its own. OOV = word form never
seen in the training split (the same set for all three systems). Tagging speed is the whole
test split tagged in one call (batched where the system batches), after one warm-up pass, best of 3.

Our tagger also reads unlabelled text: word vectors learned from the raw sentences of NLTK's
Brown, CoNLL-2000 and sentence-polarity corpora (``--word-vectors``; the seconds this takes count
in its training time). The peers see the labelled training split only. ``--word-vectors none``
gives the purely supervised figure.
"""
from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path


def _speed(tag_sents, sents) -> float:
    tag_sents(sents)  # warm-up: one whole pass (first calls allocate and initialise)
    best = min(_timed(tag_sents, sents) for _ in range(3))
    return sum(map(len, sents)) / best


def _timed(fn, arg) -> float:
    t = time.perf_counter()
    fn(arg)
    return time.perf_counter() - t


def crf_features(sent: list[str], i: int) -> list[str]:
    w = sent[i]
    lw = w.lower()
    shape = "".join("X" if c.isupper() else "x" if c.islower() else "d" if c.isdigit() else c for c in w)
    f = ["b", "w=" + lw, "shape=" + shape[:6], "up=%d" % w.isupper(), "title=%d" % w.istitle(),
         "digit=%d" % any(c.isdigit() for c in w), "hyph=%d" % ("-" in w)]
    f += [f"p{k}={lw[:k]}" for k in (1, 2, 3, 4)] + [f"s{k}={lw[-k:]}" for k in (1, 2, 3, 4)]
    for d in (-2, -1, 1, 2):
        j = i + d
        f.append(f"w{d}=" + (sent[j].lower() if 0 <= j < len(sent) else "<s>"))
    f.append("w-1w=" + (sent[i - 1].lower() if i else "<s>") + "|" + lw)
    return f


def run_system(name: str, args: argparse.Namespace) -> dict:
    import corpora

    train, dev, test = (corpora.load("treebank", s) for s in ("train", "dev", "test"))
    if args.quick:
        train, dev = train[:300], dev[:50]
    known = {w for s in train for w, _ in s}
    test_words = [[w for w, _ in s] for s in test]
    t0 = time.perf_counter()
    if name == "BiLSTM (ours)":
        from deeptrees import TrainConfig
        from corpora.wordvectors import word_vectors_from
        from tagger import TaggerConfig, train_tagger

        vectors = word_vectors_from(args.word_vectors, [[w for w, _ in s] for s in train])
        train_config = TrainConfig(epochs=2 if args.quick else args.epochs, seed=args.seed)
        tagger, hist = train_tagger(train, dev, TaggerConfig(), train_config, out=args.save,
                                    progress=not args.no_progress, word_vectors=vectors)
        tag_sents = tagger.tag_sents
    elif name == "NLTK perceptron":
        from nltk.tag.perceptron import PerceptronTagger

        tagger = PerceptronTagger(load=False)
        tagger.train([list(s) for s in train], nr_iter=5)
        tag_sents = tagger.tag_sents
    else:
        import tempfile

        import pycrfsuite

        trainer = pycrfsuite.Trainer(verbose=False)
        for s in train:
            words = [w for w, _ in s]
            trainer.append([crf_features(words, i) for i in range(len(words))], [t for _, t in s])
        trainer.set_params({"c1": 0.1, "c2": 0.01, "max_iterations": 20 if args.quick else 150,
                            "feature.possible_transitions": True})
        path = str(Path(tempfile.mkdtemp()) / "model.crfsuite")
        trainer.train(path)
        crf = pycrfsuite.Tagger()
        crf.open(path)

        def tag_sents(sents):
            return [list(zip(s, crf.tag([crf_features(s, i) for i in range(len(s))]))) for s in sents]
    train_s = time.perf_counter() - t0
    from tagger.evaluate import evaluate

    result = evaluate(tag_sents, test, lambda w: w in known)
    return {"system": name, "acc": result.accuracy, "oov": result.oov_accuracy, "train_s": train_s,
            "tok_s": _speed(tag_sents, test_words), "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "oov_tokens": result.oov_tokens, "tokens": result.tokens}


def main() -> None:
    from corpora.wordvectors import DEFAULT_CORPORA

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="300 training sentences, 2 epochs")
    p.add_argument("--epochs", type=int, default=40, help="maximum epochs for our tagger (early stopping on dev)")
    p.add_argument("--seed", type=int, default=1, help="our tagger's random seed (default: %(default)s)")
    p.add_argument("--save", help="also save our trained tagger to this folder")
    p.add_argument("--word-vectors", default=",".join(DEFAULT_CORPORA),
                   help="our tagger's frozen word vectors: NLTK corpora to learn them from, a GloVe text file, "
                        "or none (default: %(default)s)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--only", nargs="*", help="run only these systems (ours, perceptron, crf)")
    args = p.parse_args()
    systems = {"ours": "BiLSTM (ours)", "perceptron": "NLTK perceptron", "crf": "CRF (crfsuite)"}
    chosen = [systems[k] for k in (args.only or systems)]
    ctx = mp.get_context("spawn")
    rows = []
    for name in chosen:
        with ProcessPoolExecutor(1, mp_context=ctx) as pool:  # a fresh process per system: its own peak RSS
            rows.append(pool.submit(run_system, name, args).result())
    r0 = rows[0]
    print(f"\nPenn Treebank sample, test split: {r0['tokens']} tokens, {r0['oov_tokens']} OOV"
          + ("  [--quick: 300 training sentences]" if args.quick else ""))
    print(f"{'system':<18}{'accuracy':>10}{'OOV acc':>10}{'train s':>10}{'tag tok/s':>12}{'peak RSS MB':>13}")
    for r in rows:
        print(f"{r['system']:<18}{100 * r['acc']:>9.2f}%{100 * r['oov']:>9.2f}%{r['train_s']:>10.1f}"
              f"{r['tok_s']:>12,.0f}{r['rss_mb']:>13.0f}")
    by = {r["system"]: r for r in rows}
    if "BiLSTM (ours)" in by and "NLTK perceptron" in by:
        print(f"tagging speed ratio ours / perceptron: {by['BiLSTM (ours)']['tok_s'] / by['NLTK perceptron']['tok_s']:.2f}x")


if __name__ == "__main__":
    main()
