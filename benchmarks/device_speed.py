"""The engine on one device, a GPU when one is lent: the shipped tagger's tagging speed, a tagger's
epoch seconds on Brown and the default Tree-LSTM's epoch seconds on SST (the engine issue's figures;
its targets on a GPU: tagging >= 1,000,000 tokens/s, an SST epoch <= 1 s).

    python benchmarks/device_speed.py --device cuda            # ~2 minutes on one GPU
    python benchmarks/device_speed.py --device cpu --quick     # 300 Brown / 500 SST training items

Tagging: the shipped default model tags Brown's test split (~115k tokens) in one call, best pass of at
least 5 and 3 seconds, with each token budget per batch given (``Tagger.max_tokens``). Training: the
CLI's defaults (tagger: batches of 32 sentences, Adam; Tree-LSTM: 100 trees, Adagrad) without word
vectors (a frozen table lookup); an epoch's seconds are its training steps, the dev evaluation after it
excluded. The first epoch includes the warm-up (CUDA context, cuDNN plans): every epoch is printed.
"""
from __future__ import annotations

import argparse
import time
from dataclasses import replace

from _tagging import _speed

from deeptrees.device import DEFAULT_DEVICE


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default=DEFAULT_DEVICE,
                   help="auto (a CUDA GPU when there is one), cpu, cuda or cuda:N (default: %(default)s)")
    p.add_argument("--epochs", type=int, default=2, help="training epochs timed, Brown and SST each (default: %(default)s)")
    p.add_argument("--max-tokens", type=int, nargs="+", default=[4096, 65536],
                   help="tagging token budgets per batch to time (default: %(default)s)")
    p.add_argument("--only", nargs="+", choices=("tag", "brown", "sst"), default=("tag", "brown", "sst"),
                   help="which measurements to run (default: all)")
    p.add_argument("--quick", action="store_true", help="300 Brown and 500 SST training items: checks the script")
    args = p.parse_args()

    import torch

    import corpora
    import treernn
    from corpora.tagged import split_tagged
    from deeptrees.device import resolve_device
    from tagger import Tagger, TaggerConfig, train_tagger
    from tagger.api import DEFAULT_MODEL
    from tagger.train import TRAINING
    from treernn.train import TRAINING as TREE_TRAINING

    device = resolve_device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    print(f"device: {device} ({name}), torch {torch.__version__}", flush=True)
    if "tag" in args.only:
        tagger = Tagger.load(str(DEFAULT_MODEL), device=device)
        sents = [split_tagged(s)[0] for s in corpora.load("brown", "test")]
        tokens = sum(map(len, sents))
        for budget in args.max_tokens:
            tagger.max_tokens = budget
            print(f"tagging Brown test ({tokens:,} tokens), {budget:,} tokens a batch: "
                  f"{_speed(tagger.tag_sents, sents):,.0f} tokens/s", flush=True)
    n_brown, n_sst = (300, 500) if args.quick else (None, None)
    if "brown" in args.only:
        train, dev = corpora.load("brown", "train")[:n_brown], corpora.load("brown", "dev")[:n_brown]
        t = time.perf_counter()
        _, hist = train_tagger(train, dev, TaggerConfig(), replace(TRAINING, epochs=args.epochs), progress=False,
                               word_vectors=None, device=str(device))
        print_epochs(f"tagger on Brown ({sum(map(len, train)):,} tokens)", hist, time.perf_counter() - t)
    if "sst" in args.only:
        train, dev = corpora.load_sst("train")[:n_sst], corpora.load_sst("dev")
        t = time.perf_counter()
        _, hist = treernn.train_treenet(train, dev, None, replace(TREE_TRAINING, epochs=args.epochs), progress=False,
                                        word_vectors=None, device=str(device))
        print_epochs(f"Tree-LSTM on SST ({len(train):,} trees)", hist, time.perf_counter() - t)


def print_epochs(what: str, hist, total: float) -> None:
    seconds = [r["train_seconds"] for r in hist.epochs]
    print(f"{what}: epoch seconds {' / '.join(f'{s:.2f}' for s in seconds)} "
          f"(dev score {hist.best_score:.4f}; {total:.0f} s in all, data and dev evaluation included)", flush=True)


if __name__ == "__main__":
    main()
