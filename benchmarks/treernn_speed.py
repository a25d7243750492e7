"""Tree networks, trees/s: the package vs a minimal level-batched Tree-LSTM vs the per-node reference.

    python benchmarks/treernn_speed.py                       # 1,000 SST training trees, Tree-LSTM
    python benchmarks/treernn_speed.py --cells rnn rntn treelstm --reference   # all cells, with the per-node reference

Training = build the batch + forward + loss + backward + optimizer step (fused Adagrad, as ``treernn train``);
inference = build the batch + forward (no grad). Every system sees the same trees in the same batches,
grouped by height, then size (``corpora.trees.tree_batches``, as the trainer and ``TreeNet`` batch):
``--batch-size`` for training (as the trainer's batches), ``--infer-batch-size`` for inference (as
``TreeNet.predict_batch`` / ``evaluate``), on the same torch threads.

- "package": ``treernn``'s ``RecursiveNet`` with its defaults (character encoder + word + shape embedding
  + dropout, Tree-LSTM hidden 150; ``--char-encoder`` picks another character encoder), batches made by
  ``corpora.trees.batch_trees``.
- "minimal": written below in ~40 lines: a word-embedding lookup and the same cell, level by level, index
  tensors built per batch, nothing else (no characters, shapes or dropout). The package / minimal ratio shows
  what the package's design (and its richer embedding) costs.
- "per-node ref" (``--reference``): one node at a time, as public recursive Tree-LSTM code runs.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from corpora.trees import batch_trees, load_sst, tree_batches
from corpora.vocab import normalize
from deeptrees.train import make_optimizer
from treernn import TreeNet, TreeNetConfig
from treernn.reference import reference_logits
from treernn.train import TRAINING, vocab_for_trees

SST_TRAIN_TREES = 8544


class MinimalTreeLSTM(nn.Module):
    """Word embedding + binary Tree-LSTM cell, level by level over a batch of indexed trees."""

    def __init__(self, vocab, dim: int, hidden: int):
        super().__init__()
        self.vocab, self.hidden = vocab, hidden
        self.embed = nn.Embedding(len(vocab.words), dim)
        self.leaf = nn.Linear(dim, 3 * hidden)
        self.U = nn.Linear(2 * hidden, 5 * hidden)
        self.out = nn.Linear(hidden, len(vocab.labels))

    def forward(self, trees) -> tuple[torch.Tensor, torch.Tensor]:
        sizes = np.array([len(t) for t in trees])
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        left = np.concatenate([np.where(t.left >= 0, t.left + o, -1) for t, o in zip(trees, offsets)])
        right = np.concatenate([np.where(t.right >= 0, t.right + o, -1) for t, o in zip(trees, offsets)])
        height = np.concatenate([t.height for t in trees])
        leaves = torch.from_numpy(np.concatenate([t.leaves + o for t, o in zip(trees, offsets)]))
        words = torch.tensor([self.vocab.words.index(normalize(w)) for t in trees for w in t.words])
        i, o, u = self.leaf(self.embed(words)).chunk(3, -1)
        c_leaf = torch.sigmoid(i) * torch.tanh(u)
        h = torch.zeros(int(sizes.sum()), self.hidden).index_copy(0, leaves, torch.sigmoid(o) * torch.tanh(c_leaf))
        c = torch.zeros_like(h).index_copy(0, leaves, c_leaf)
        for level in range(1, int(height.max()) + 1):
            nodes = np.flatnonzero(height == level)
            n, l, r = (torch.from_numpy(a) for a in (nodes, left[nodes], right[nodes]))
            i, fl, fr, o, u = self.U(torch.cat([h[l], h[r]], -1)).chunk(5, -1)
            c_new = torch.sigmoid(i) * torch.tanh(u) + torch.sigmoid(fl) * c[l] + torch.sigmoid(fr) * c[r]
            h = h.index_copy(0, n, torch.sigmoid(o) * torch.tanh(c_new))
            c = c.index_copy(0, n, c_new)
        labels = torch.from_numpy(np.concatenate([t.labels for t in trees]))
        return self.out(h), labels


def trees_per_second(model: nn.Module, chunks, forward, train: bool, min_seconds: float) -> float:
    """``forward(chunk) -> (logits, labels)``; trees per second over whole passes of ``chunks``."""
    opt = make_optimizer(model, TRAINING)        # the trainer's optimizer (fused Adagrad), for both
    model.train(train)
    with torch.no_grad():
        forward(chunks[0])          # warm-up: first calls allocate and pick kernels
    done, start = 0, time.perf_counter()
    while True:
        for chunk in chunks:
            if train:
                opt.zero_grad()
                logits, labels = forward(chunk)
                F.cross_entropy(logits, labels, ignore_index=-100).backward()
                opt.step()
            else:
                with torch.no_grad():
                    forward(chunk)
            done += len(chunk)
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return done / elapsed


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--trees", type=int, default=1000, help="SST training trees to time on (default: %(default)s)")
    p.add_argument("--batch-size", type=int, default=TRAINING.batch_size,
                   help="trees per batch (default: %(default)s, as treernn train)")
    p.add_argument("--infer-batch-size", type=int, default=TreeNet.BATCH_SIZE,
                   help="trees per inference batch (default: %(default)s, as TreeNet.predict_batch / evaluate)")
    p.add_argument("--min-seconds", type=float, default=4.0, help="time each measurement at least this long")
    p.add_argument("--cells", nargs="*", default=["treelstm"], help="cells to time (default: treelstm)")
    p.add_argument("--reference", action="store_true", help="also time the per-node reference (slow)")
    p.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    p.add_argument("--char-encoder", choices=["lstm", "cnn", "none"], help="the package's character encoder "
                   "(default: the package's default)")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    trees = load_sst("train")[: args.trees]
    vocab = vocab_for_trees(trees)
    print(f"{len(trees)} SST trees ({sum(len(t.leaves()) * 2 - 1 for t in trees)} nodes), batches of "
          f"{args.batch_size} (training) / {args.infer_batch_size} (inference), torch threads "
          f"{torch.get_num_threads()}; trees/s (SST epoch seconds)")
    print(f"{'cell':<10}{'hidden':>7} {'mode':<11}{'package':>16}{'minimal':>16}{'pkg/min':>9}"
          + (f"{'per-node ref':>14}{'pkg/ref':>9}" if args.reference else ""))
    for cell in args.cells:
        torch.manual_seed(0)
        config = TreeNetConfig(cell=cell)
        if args.char_encoder:
            config.embedding.char_encoder = args.char_encoder
        net = TreeNet.new(vocab, config)
        indexed = net.index(trees)
        minimal = MinimalTreeLSTM(vocab, net.config.embedding.word_dim, net.config.hidden_size)

        def package(chunk, reference=False):
            batch = batch_trees(vocab, chunk)
            logits = reference_logits(net.model, batch) if reference else net.model(batch)
            return logits, batch.label_ids

        for mode, train, size in (("training", True, args.batch_size), ("inference", False, args.infer_batch_size)):
            chunks = [[indexed[i] for i in idx] for idx in tree_batches(indexed, size)]
            fast = trees_per_second(net.model, chunks, package, train, args.min_seconds)
            row = f"{cell:<10}{net.config.hidden_size:>7} {mode:<11}{fast:>9,.0f} ({SST_TRAIN_TREES / fast:4.1f})"
            if cell == "treelstm":
                floor = trees_per_second(minimal, chunks, minimal, train, args.min_seconds)
                row += f"{floor:>9,.0f} ({SST_TRAIN_TREES / floor:4.1f}){fast / floor:>8.2f}x"
            else:
                row += f"{'-':>16}{'-':>9}"
            if args.reference:
                slow = trees_per_second(net.model, chunks[: max(1, 100 // size)], lambda c: package(c, reference=True), train,
                                        args.min_seconds)
                row += f"{slow:>14,.1f}{fast / slow:>8.1f}x"
            print(row)


if __name__ == "__main__":
    main()
