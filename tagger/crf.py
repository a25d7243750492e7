"""A linear-chain CRF output layer: the tag sequence is scored as a whole, not token by token.

score(y) = start[y_1] + sum_t emit[t, y_t] + sum_t trans[y_(t-1), y_t] + end[y_n]; training maximises
score(gold) - log Z (the forward algorithm), decoding is Viterbi, ``topk`` keeps the k best paths per
tag at every step, ``marginals`` runs forward-backward. Everything is batched and masked (sequences
are left-aligned, padding after ``lengths``).

For IOB / IOB2 / BIOES tag sets, transitions no chunk can make (``O -> I-NP``, ``B-NP -> I-VP``,
``<start> -> I-NP``, ``B-NP -> <end>`` in BIOES ...) carry a fixed penalty of -10,000, so no
decoded sequence is invalid (:func:`allowed_transitions`; :func:`tagger.chunks.to_iob2` repairs IOB1 training data).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from .chunks import chunk_scheme

PENALTY = -10_000.0     # added to forbidden transitions: no emission score makes up for it
INVALID = PENALTY / 2   # a path scoring below this used a forbidden transition


def allowed_transitions(labels: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(trans, start, end)`` boolean masks of what a valid chunk sequence may do."""
    n = len(labels)
    scheme = chunk_scheme(labels)
    # on the CPU even where a model is built on the meta device (loading: deeptrees.modelfile), as
    # torch.where on meta tensors imports torch._dynamo, which took a second of each model load
    mask = {"dtype": torch.bool, "device": "cpu"}
    trans, start, end = torch.ones(n, n, **mask), torch.ones(n, **mask), torch.ones(n, **mask)
    if scheme is None:
        return trans, start, end
    prefix = [lab[0] for lab in labels]
    kind = [lab[2:] for lab in labels]
    inside = ("B", "I")                       # a chunk is open after these (BIOES: must continue)
    for j in range(n):
        if prefix[j] in ("I", "E"):            # continues a chunk of its own type
            start[j] = False
            for i in range(n):
                trans[i, j] = prefix[i] in inside and kind[i] == kind[j]
        if scheme == "bioes" and prefix[j] in ("B", "I"):
            end[j] = False                      # an open chunk must be closed by E-
            for k in range(n):                  # ... and followed only by I-/E- of its type
                trans[j, k] = prefix[k] in ("I", "E") and kind[k] == kind[j]
    return trans, start, end


class CRF(nn.Module):
    """Transition scores over ``labels`` and the algorithms on top of per-token emission scores."""

    def __init__(self, labels: Sequence[str]):
        super().__init__()
        n = len(labels)
        self.transitions = nn.Parameter(torch.zeros(n, n))   # [from, to]
        self.start = nn.Parameter(torch.zeros(n))
        self.end = nn.Parameter(torch.zeros(n))
        trans, start, end = allowed_transitions(labels)
        penalty = lambda ok: torch.where(ok, 0.0, PENALTY)   # noqa: E731
        self.register_buffer("trans_penalty", penalty(trans), persistent=False)
        self.register_buffer("start_penalty", penalty(start), persistent=False)
        self.register_buffer("end_penalty", penalty(end), persistent=False)

    def _scores(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return (self.transitions + self.trans_penalty, self.start + self.start_penalty,
                self.end + self.end_penalty)

    # -- training --------------------------------------------------------------------------------
    def path_score(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Score of the given tag sequences: (B,)."""
        trans, start, end = self._scores()
        B, L, _ = emissions.shape
        tags = tags.masked_fill(~mask, 0)
        emit = emissions.gather(2, tags.unsqueeze(2)).squeeze(2)                    # (B, L)
        step = trans[tags[:, :-1], tags[:, 1:]]                                      # (B, L-1)
        score = start[tags[:, 0]] + (emit * mask).sum(1) + (step * mask[:, 1:]).sum(1)
        last = tags.gather(1, (mask.sum(1) - 1).clamp(min=0).unsqueeze(1)).squeeze(1)
        return score + end[last]

    def _forward(self, emissions: torch.Tensor, mask: torch.Tensor) -> list[torch.Tensor]:
        """Forward variables alpha_t (B, n) for every position (carried unchanged over padding)."""
        trans, start, _ = self._scores()
        alpha = start + emissions[:, 0]
        alphas = [alpha]
        for t in range(1, emissions.shape[1]):
            new = torch.logsumexp(alpha.unsqueeze(2) + trans, dim=1) + emissions[:, t]
            alpha = torch.where(mask[:, t: t + 1], new, alpha)
            alphas.append(alpha)
        return alphas

    def log_partition(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """log Z for every sequence: (B,)."""
        return torch.logsumexp(self._forward(emissions, mask)[-1] + self._scores()[2], dim=1)

    def nll(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Negative log-likelihood of the gold sequences, summed over the batch and divided by its tokens
        (the same scale as a per-token cross-entropy)."""
        nll = self.log_partition(emissions, mask) - self.path_score(emissions, tags, mask)
        return nll.sum() / mask.sum().clamp(min=1)

    # -- decoding --------------------------------------------------------------------------------
    def topk(self, emissions: torch.Tensor, mask: torch.Tensor, k: int = 1) -> list[list[tuple[list[int], float]]]:
        """Up to ``k`` best tag sequences per item with their scores, best first (k = 1: Viterbi).
        Sequences that would need a forbidden transition are left out."""
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        trans, start, end = self._scores()
        B, L, n = emissions.shape
        lengths = mask.sum(1).tolist()
        neg_inf = torch.finfo(emissions.dtype).min
        score = emissions.new_full((B, n, k), neg_inf)
        score[:, :, 0] = start + emissions[:, 0]
        pointers = []                                         # per step: (B, n, k) index into n_prev * k
        identity = torch.arange(n * k, device=emissions.device).view(1, n, k).expand(B, n, k)
        for t in range(1, L):
            cand = score.unsqueeze(2) + trans.view(1, n, n, 1)       # (B, prev, tag, rank)
            cand = cand.permute(0, 2, 1, 3).reshape(B, n, n * k)     # (B, tag, prev*k + rank)
            best, idx = cand.topk(k, dim=2)
            best = best + emissions[:, t].unsqueeze(2)
            live = mask[:, t].view(B, 1, 1)
            score = torch.where(live, best, score)
            pointers.append(torch.where(live, idx, identity))
        final = (score + end.view(1, n, 1)).reshape(B, n * k)
        top, top_idx = final.topk(min(k, n * k), dim=1)
        # backtracking reads one pointer a token: from one CPU array, not a tensor read (a GPU sync) each
        back = torch.stack(pointers[::-1]).cpu().numpy() if pointers else np.zeros((0, B, n, k), dtype=np.int64)
        out = []
        for b, (tops, flats) in enumerate(zip(top.tolist(), top_idx.tolist())):
            paths = []
            for s, flat in zip(tops, flats):
                if s <= INVALID or len(paths) == k:
                    continue
                tag, rank = divmod(flat, k)
                seq = [tag]
                for ptr in back[:, b]:
                    tag, rank = divmod(int(ptr[tag, rank]), k)
                    seq.append(tag)
                paths.append((seq[::-1][: lengths[b]], s))
            out.append(paths)
        return out

    def viterbi(self, emissions: torch.Tensor, mask: torch.Tensor) -> list[list[int]]:
        """The best tag sequence of every item."""
        return [paths[0][0] if paths else [] for paths in self.topk(emissions, mask, 1)]

    def marginals(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """P(y_t = tag | sentence) at every position (forward-backward): (B, L, n); padding rows are 0."""
        trans, _, end = self._scores()
        alphas = self._forward(emissions, mask)
        log_z = torch.logsumexp(alphas[-1] + end, dim=1)
        beta = end.expand_as(alphas[-1])
        betas = [beta]
        for t in range(emissions.shape[1] - 2, -1, -1):
            new = torch.logsumexp(trans + (emissions[:, t + 1] + beta).unsqueeze(1), dim=2)
            beta = torch.where(mask[:, t + 1: t + 2], new, end.expand_as(new))
            betas.append(beta)
        betas.reverse()
        log_p = torch.stack(alphas, 1) + torch.stack(betas, 1) - log_z.view(-1, 1, 1)
        return log_p.exp() * mask.unsqueeze(2)
