"""Several taggers as one: at every token, the mean of their tag distributions (a softmax member's
probabilities, a CRF member's marginals), read as one softmax's would be (the likeliest valid sequence
for chunk and entity tags; probabilities, n-best and span probabilities from the mean distribution).

Members must share a vocabulary (the same training data, word vectors and features: e.g. seeds of
one command), so a sentence is encoded once and each member reads it. An ensemble of N members tags
N times slower than one; see ``benchmarks/ensemble.py`` for what it buys.

>>> t = Tagger.ensemble(["runs/chunk-s1", "runs/chunk-s2", "runs/chunk-s3"])   # doctest: +SKIP
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from corpora.batch import WordBatch

from .model import SequenceTagger, TagReader


class EnsembleNet(TagReader):
    """``WordBatch -> (B, T, n_tags)`` log of the members' mean tag distribution; inference only."""

    def __init__(self, members: Sequence[SequenceTagger], labels: Sequence[str]):
        super().__init__()
        self.members = nn.ModuleList(members)
        self.read_tags(labels, crf=False)

    def forward(self, batch: WordBatch, labels: torch.Tensor | None = None) -> torch.Tensor:
        if labels is not None:
            raise TypeError("an ensemble is not trained: train its members, then combine them")
        mean = sum(m.tag_probs(m(batch), batch.mask) for m in self.members) / len(self.members)
        return mean.clamp(min=1e-30).log()


def check_members(members: Sequence, where: Sequence[str]) -> None:
    """Refuse members that cannot be combined (``where`` names each one for the message)."""
    if len(members) < 2:
        raise ValueError(f"an ensemble needs at least 2 taggers, got {len(members)}")
    first = members[0]
    features = digest(first.feature_tagger)   # once, not once a member
    for m, name in zip(members, where):
        if isinstance(m.model, EnsembleNet) or m.int8:
            raise ValueError(f"{name} is an ensemble or an int8 copy: combine saved taggers (then quantize the "
                             f"ensemble, if you like)")
        if m.tagset != first.tagset:
            raise ValueError(f"{name} predicts other tags than {where[0]}: an ensemble's members share a tag set")
        if m.vocab.to_dict() != first.vocab.to_dict():
            raise ValueError(f"{name} has another vocabulary than {where[0]}: an ensemble's members must be trained "
                             f"on the same data, word vectors and feature columns (e.g. seeds of one command)")
        if m.device != first.device:
            raise ValueError(f"{name} is on {m.device}, {where[0]} on {first.device}: load them on one device")
        if m.feature_tagger is not first.feature_tagger and digest(m.feature_tagger) != features:
            raise ValueError(f"{name} carries another feature tagger than {where[0]} (or only one of them carries "
                             f"one): give the members the same one (Tagger.feature_tagger)")


def digest(tagger) -> str | None:
    """The identity of a carried feature tagger's network (None for none), wherever it was loaded from."""
    return tagger.digest() if tagger is not None else None
