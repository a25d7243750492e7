"""The network: shared token embedding -> stacked (Bi)RNN -> tag scores at every token, read by a
softmax at each token or by a linear-chain CRF over the whole sequence (``output``)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from corpora.batch import WordBatch
from corpora.embedding import EmbeddingConfig, TokenEmbedding
from corpora.vocab import Vocab
from deeptrees.dropout import Dropout
from deeptrees.network import NetworkConfig

from .chunks import chunk_scheme
from .crf import CRF, PENALTY

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}
OUTPUTS = ("softmax", "crf")
IGNORE = -100   # label id of positions that are not scored


@dataclass
class TaggerConfig(NetworkConfig):
    """Architecture of a tagger; saved in the model's ``config.json``. Defaults chosen on treebank dev."""

    embedding: EmbeddingConfig = field(default_factory=EmbeddingConfig)
    cell: str = "lstm"           # lstm | gru | rnn (tanh)
    hidden_size: int = 96        # per direction: dev 97.30% (128: 97.36%, 200: no gain), tags 1.4x faster than 128
    num_layers: int = 2
    bidirectional: bool = True
    dropout: float = 0.5         # on embeddings, between layers and before the classifier
    output: str = "softmax"      # softmax (each token on its own) | crf (the best sequence; chunk-valid)

    CELLS: ClassVar[dict] = CELLS
    SIZES: ClassVar[dict] = {**NetworkConfig.SIZES, "hidden_size": ("rnn.weight_hh_l0", 1)}

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.num_layers < 1:
            raise ValueError(f"num_layers must be >= 1, got {self.num_layers}")
        if self.output not in OUTPUTS:
            raise ValueError(f"output must be one of {', '.join(OUTPUTS)}, got {self.output!r}")


class TagReader(nn.Module):
    """What reads tag scores (B, T, n_tags) over ``labels``: :meth:`decode`, :meth:`tag_probs`,
    :meth:`nbest`, :meth:`log_prob_within`, as a softmax at each token or through a CRF (``crf``).
    Subclasses call :meth:`read_tags` last in ``__init__`` (the CRF's parameters come last, as saved)."""

    def read_tags(self, labels: Sequence[str], crf: bool) -> None:
        self.crf = CRF(labels) if crf else None
        # a softmax's paths: the same rules (no invalid chunk sequence) with no transition scores; a
        # plain attribute, so it is neither trained nor saved
        self.__dict__["free_paths"] = None if crf else CRF(labels).requires_grad_(False)
        self.chunks = chunk_scheme(labels) is not None

    def decode(self, scores: torch.Tensor, mask: torch.Tensor) -> list[list[int]]:
        """The predicted tag ids of every sequence: Viterbi through the CRF; for a softmax, the argmax at each
        token, or for chunk tags the likeliest valid sequence (an ``I-NP`` never follows ``O``)."""
        if self.crf is None and not self.chunks:
            return [row[:n] for row, n in zip(scores.argmax(-1).tolist(), mask.sum(1).tolist())]
        return self._paths(scores).viterbi(self._emissions(scores), mask)

    def tag_probs(self, scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """P(tag at t): softmax probabilities, or the CRF's marginals (B, T, n_tags)."""
        return scores.softmax(-1) if self.crf is None else self.crf.marginals(scores, mask)

    def nbest(self, scores: torch.Tensor, mask: torch.Tensor, k: int) -> list[list[tuple[list[int], float]]]:
        """Up to ``k`` best sequences per item with their log-probabilities, best first."""
        if self.crf is None:   # independent tokens: k-best valid paths of log-probabilities
            return self._paths(scores).topk(self._emissions(scores), mask, k)
        log_z = self.crf.log_partition(scores, mask).tolist()
        return [[(seq, s - z) for seq, s in paths] for paths, z in zip(self.crf.topk(scores, mask, k), log_z)]

    def _paths(self, scores: torch.Tensor) -> CRF:
        return self.crf if self.crf is not None else self.free_paths.to(scores.device)

    def _emissions(self, scores: torch.Tensor) -> torch.Tensor:
        """What the path algorithms add up: the CRF's scores, or a softmax's log-probabilities."""
        return scores if self.crf is not None else scores.log_softmax(-1)

    def log_prob_within(self, scores: torch.Tensor, mask: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
        """log P(the tag at every position lies in its allowed set) for each of S constraint sets
        ``allowed`` (S, T, n_tags, bool) on one sequence (``scores`` (1, T, n_tags)), or each on its own
        (``scores`` (S, T, n_tags), ``mask`` (S, T)): e.g. the probability of a span. Softmax tokens are
        independent; a CRF sums over the paths that obey (forward algorithm)."""
        if self.crf is None:
            inside = (scores.softmax(-1) * allowed).sum(-1).clamp(min=1e-30).log()     # (S, T)
            return (inside * mask).sum(1)
        masked = scores + torch.where(allowed, 0.0, PENALTY)
        return self.crf.log_partition(masked, mask.expand(len(allowed), -1)) - self.crf.log_partition(scores, mask)


class SequenceTagger(TagReader):
    """Scores every tag at every token (``WordBatch -> (B, T, n_tags)``); with labels, the loss.

    Decoding (:class:`TagReader`) reads the scores as a softmax at each token or, with
    ``output="crf"``, through the CRF (Viterbi, marginals, k-best Viterbi)."""

    def __init__(self, vocab: Vocab, cfg: TaggerConfig):
        super().__init__()
        self.cfg = cfg
        self.embedding = TokenEmbedding(vocab, cfg.embedding)
        self.rnn = CELLS[cfg.cell](
            self.embedding.output_dim, cfg.hidden_size, num_layers=cfg.num_layers, batch_first=True,
            bidirectional=cfg.bidirectional, dropout=cfg.dropout if cfg.num_layers > 1 else 0.0)
        self.dropout = Dropout(cfg.dropout)
        self.out = nn.Linear(cfg.hidden_size * (2 if cfg.bidirectional else 1), len(vocab.labels))
        self.read_tags(vocab.labels.strings, cfg.output == "crf")

    def forward(self, batch: WordBatch, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Tag scores; or, given ``labels`` (B, T) with IGNORE on padding, the mean loss."""
        x = self.dropout(self.embedding(batch))
        packed = nn.utils.rnn.pack_padded_sequence(x, batch.lengths.clamp(min=1).cpu(), batch_first=True,
                                                   enforce_sorted=False)
        h, _ = self.rnn(packed)
        h, _ = nn.utils.rnn.pad_packed_sequence(h, batch_first=True, total_length=x.shape[1])
        scores = self.out(self.dropout(h))
        if labels is None:
            return scores
        labels = labels[:, : scores.shape[1]]
        if self.crf is None:
            return F.cross_entropy(scores.reshape(-1, scores.shape[-1]), labels.reshape(-1), ignore_index=IGNORE)
        return self.crf.nll(scores, labels.clamp(min=0), batch.mask)
