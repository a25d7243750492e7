"""Level-batched tree network vs the per-node reference: trees/s, same process, same trees, same cell.

    python benchmarks/treernn_speed.py                 # 200 SST training trees, batches of 25
    python benchmarks/treernn_speed.py --trees 50      # quicker

Training = forward + loss + backward + optimizer step; inference = forward only (no grad).
Both paths use the same model object and weights; only how the nodes are scheduled differs.
"per-node ref" visits one node at a time for everything (embed a leaf's word, compose, classify),
as public recursive Tree-LSTM code does; "ref, cell only" runs only the cell per node and embeds
and classifies all nodes in single calls, isolating the gain of batching the composition.
"""
from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

from corpora.trees import batch_trees, load_sst
from treernn import TreeNet, TreeNetConfig
from treernn.model import SUGGESTED_HIDDEN
from treernn.reference import reference_logits
from treernn.train import vocab_for_trees


def trees_per_second(net: TreeNet, batches, forward, train: bool, min_seconds: float) -> float:
    opt = torch.optim.Adagrad(net.model.parameters(), lr=0.01)
    net.model.train(train)
    for batch, _ in batches[:2]:  # warm-up: first calls allocate and pick kernels
        with torch.no_grad():
            forward(batch)
    done, start = 0, time.perf_counter()
    while True:
        for batch, n in batches:
            if train:
                opt.zero_grad()
                F.cross_entropy(forward(batch), torch.from_numpy(batch.labels), ignore_index=-100).backward()
                opt.step()
            else:
                with torch.no_grad():
                    forward(batch)
            done += n
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return done / elapsed


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--trees", type=int, default=200, help="SST training trees to time on")
    p.add_argument("--batch-size", type=int, default=25)
    p.add_argument("--hidden", type=int, help="node size (default: per cell, treernn.model.SUGGESTED_HIDDEN)")
    p.add_argument("--min-seconds", type=float, default=3.0, help="time each measurement at least this long")
    p.add_argument("--cells", nargs="*", default=["rnn", "rntn", "treelstm"])
    args = p.parse_args()
    trees = load_sst("train")[: args.trees]
    vocab = vocab_for_trees(trees)
    print(f"{len(trees)} SST trees ({sum(len(t.leaves()) * 2 - 1 for t in trees)} nodes), batches of "
          f"{args.batch_size}, hidden {args.hidden or 'per cell'}, torch threads {torch.get_num_threads()}")
    print(f"{'cell':<10}{'hidden':>7} {'mode':<11}{'level-batched':>15}{'per-node ref':>14}{'speed-up':>10}"
          f"{'ref, cell only':>16}{'speed-up':>10}   (trees/s)")
    for cell in args.cells:
        torch.manual_seed(0)
        net = TreeNet.new(vocab, TreeNetConfig(cell=cell, hidden_size=args.hidden or SUGGESTED_HIDDEN[cell]))
        indexed = net.index(trees)
        batches = [(batch_trees(vocab, indexed[i: i + args.batch_size]), len(indexed[i: i + args.batch_size]))
                   for i in range(0, len(indexed), args.batch_size)]
        for mode, train in (("training", True), ("inference", False)):
            fast = trees_per_second(net, batches, net.model, train, args.min_seconds)
            slow = trees_per_second(net, batches, lambda b: reference_logits(net.model, b), train, args.min_seconds)
            cell_only = trees_per_second(net, batches, lambda b: reference_logits(net.model, b, per_node_io=False),
                                         train, args.min_seconds)
            print(f"{cell:<10}{net.config.hidden_size:>7} {mode:<11}{fast:>15,.0f}{slow:>14,.1f}{fast / slow:>9.1f}x"
                  f"{cell_only:>16,.1f}{fast / cell_only:>9.1f}x")


if __name__ == "__main__":
    main()
