"""The one embedding layer that every network in the package reads words through.

A token's vector is the concatenation of

- a word embedding, looked up by normalised form (rare words are dropped to ``<unk>`` in
  training so the ``<unk>`` vector learns to stand for unseen words),
- a character-level encoding of the word as written (CNN or BiLSTM), which carries
  prefixes, suffixes and capitalisation to words never seen in training,
- a small word-shape embedding (lower / Title / UPPER / digits / punctuation ...),
- an embedding of each extra input column, when the data has any (a POS tag beside each word),
- optionally a *frozen* pretrained word vector (:mod:`corpora.wordvectors`) for every word the
  vector table knows, far beyond the training words. Frozen, so an unseen word's vector stays in
  the same space as the vectors the network was trained with,
- optionally a *frozen* contextual vector from character language models (:mod:`corpora.charlm`):
  the same word gets another vector in another sentence (sentence-level networks only: taggers).

Characters are encoded once per distinct word in the batch (:class:`corpora.batch.WordBatch`), and at
inference once per word form for as long as the weights stay the same (:class:`TypeCache`): the
character encoder is the costliest part of the layer, and the same forms recur in every batch.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import nn

from .batch import SHAPES, WordBatch
from .charlm import CharLM
from .vocab import Vocab

if TYPE_CHECKING:
    from .wordvectors import WordVectors


@dataclass
class EmbeddingConfig:
    word_dim: int = 100
    char_dim: int = 32
    char_encoder: str = "lstm"     # "lstm" (a char BiLSTM) or "cnn" (a little faster, 0.2 lower test accuracy)
    char_out: int = 64             # size of the character encoding of a word
    char_kernel: int = 3           # CNN window, in characters
    shape_dim: int = 8
    word_dropout: float = 0.5      # alpha: a word seen c times becomes <unk> with prob alpha/(alpha+c)
    vector_dim: int = 0            # size of the frozen pretrained word vectors; 0 = none (set by training)
    feature_dim: int = 16          # size of each extra input column's embedding (when the vocabulary has any)
    context_hidden: int = 0        # units a direction of the frozen character LMs; 0 = none (set by training)
    context_chars: str = ""        # the characters those LMs know (set by training)

    def __post_init__(self) -> None:
        if self.char_encoder not in ("cnn", "lstm", "none"):
            raise ValueError(f"char_encoder must be 'cnn', 'lstm' or 'none', got {self.char_encoder!r}")
        for name in ("word_dim", "char_dim", "char_out", "char_kernel", "feature_dim"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.char_kernel % 2 == 0:
            raise ValueError(f"char_kernel must be odd (a window centred on each character), got {self.char_kernel}")
        if self.vector_dim < 0:
            raise ValueError(f"vector_dim must be >= 0, got {self.vector_dim}")
        if self.context_hidden < 0 or bool(self.context_hidden) != bool(self.context_chars):
            raise ValueError("context_hidden must be >= 0, and > 0 exactly when context_chars is given")
        if self.word_dropout < 0:
            raise ValueError(f"word_dropout must be >= 0, got {self.word_dropout}")


class CharCNN(nn.Module):
    """Max-pooled convolution over a word's characters, followed by a ReLU.

    The convolution runs at real characters only, as one product of every character's window (its
    ``char_kernel`` ids, 0 beyond the word) with the filters: no work on the padding of the (words,
    longest word) table, two thirds of its positions on SST batches (forward and backward 3x faster
    than ``nn.Conv1d`` over the table).
    """

    def __init__(self, n_chars: int, cfg: EmbeddingConfig):
        super().__init__()
        self.chars = nn.Embedding(n_chars, cfg.char_dim, padding_idx=0)
        # holds the filters (the weights' names and shapes saved models have); forward multiplies them itself
        self.conv = nn.Conv1d(cfg.char_dim, cfg.char_out, cfg.char_kernel, padding=cfg.char_kernel // 2)

    def forward(self, char_ids: torch.Tensor) -> torch.Tensor:
        """(U, L) character ids, each row a word's characters then 0s -> (U, char_out); no characters: zeros."""
        real = char_ids != 0
        (n_filters, dim, k), gap = self.conv.weight.shape, self.conv.kernel_size[0] // 2
        windows = nn.functional.pad(char_ids, (gap, gap)).unfold(1, k, 1)[real]           # (n_chars, k)
        h = torch.addmm(self.conv.bias, self.chars(windows).view(len(windows), k * dim),
                        self.conv.weight.permute(2, 1, 0).reshape(k * dim, n_filters))
        word = torch.repeat_interleave(torch.arange(len(char_ids), device=h.device), real.sum(1))
        # each word's max over its characters, starting from 0: the max of the ReLU, in one call
        return h.new_zeros(len(char_ids), n_filters).scatter_reduce(0, word.unsqueeze(1).expand_as(h), h, "amax")


class CharLSTM(nn.Module):
    """Final states of a character BiLSTM, forward and backward concatenated."""

    def __init__(self, n_chars: int, cfg: EmbeddingConfig):
        super().__init__()
        if cfg.char_out % 2:
            raise ValueError(f"char_out must be even for the char BiLSTM, got {cfg.char_out}")
        self.chars = nn.Embedding(n_chars, cfg.char_dim, padding_idx=0)
        self.lstm = nn.LSTM(cfg.char_dim, cfg.char_out // 2, batch_first=True, bidirectional=True)

    def forward(self, char_ids: torch.Tensor) -> torch.Tensor:
        lengths = (char_ids != 0).sum(1).clamp(min=1)
        packed = nn.utils.rnn.pack_padded_sequence(self.chars(char_ids), lengths.cpu(), batch_first=True,
                                                   enforce_sorted=False)
        _, (h, _) = self.lstm(packed)
        return torch.cat([h[0], h[1]], dim=1)


class TypeCache:
    """Rows of a per-word-form computation kept between batches: ``rows(forms, compute)`` returns one
    row per form, computing only forms it has not seen since the ``key`` last changed. Holds at most
    ``size`` forms (then starts afresh), so memory stays bounded on any input."""

    def __init__(self, size: int):
        self.size = size
        self.key: object = None
        self.index: dict[str, int] = {}
        self.table: torch.Tensor | None = None
        self.lock = threading.Lock()     # taggers are used from several threads at once

    def __reduce__(self):                # a copied or pickled model starts with an empty cache
        return TypeCache, (self.size,)

    def clear(self) -> None:
        with self.lock:
            self.key, self.index, self.table = None, {}, None

    def rows(self, key: object, forms: tuple[str, ...], compute) -> torch.Tensor:
        """``compute(positions)`` gives the rows of ``forms[positions]`` (a (k, D) tensor)."""
        with self.lock:
            return self._rows(key, forms, compute)

    def _rows(self, key: object, forms: tuple[str, ...], compute) -> torch.Tensor:
        if len(forms) > self.size:                  # more forms than the cache holds: no caching
            return compute(list(range(len(forms))))
        if key != self.key:
            self.key, self.index, self.table = key, {}, None
        new = [k for k, form in enumerate(forms) if form not in self.index]
        if len(self.index) + len(new) > self.size:  # full: start afresh
            self.index, self.table, new = {}, None, list(range(len(forms)))
        if new:
            fresh = compute(new)
            n = len(self.index)
            if self.table is None or n + len(new) > len(self.table):   # grow by doubling, up to size
                table = fresh.new_empty(min(self.size, max(2 * (n + len(new)), 1024)), fresh.shape[1])
                if n:
                    table[:n] = self.table[:n]
                self.table = table
            self.table[n: n + len(new)] = fresh
            self.index.update((forms[k], n + j) for j, k in enumerate(new))
        return self.table[torch.tensor([self.index[form] for form in forms], device=self.table.device)]


class TokenEmbedding(nn.Module):
    """Word + character + shape features of each token: ``(B, T) -> (B, T, output_dim)``."""

    CACHE_SIZE = 50_000   # word forms whose character encoding is kept between batches at inference

    def __init__(self, vocab: Vocab, cfg: EmbeddingConfig | None = None):
        super().__init__()
        self.cfg = cfg = cfg or EmbeddingConfig()
        self.words = nn.Embedding(len(vocab.words), cfg.word_dim, padding_idx=0)
        self.char_encoder = {"cnn": CharCNN, "lstm": CharLSTM}[cfg.char_encoder](len(vocab.chars), cfg) \
            if cfg.char_encoder != "none" else None
        self.shapes = nn.Embedding(len(SHAPES), cfg.shape_dim, padding_idx=0)
        if cfg.vector_dim:
            if vocab.vector_words is None:
                raise ValueError("the embedding config asks for pretrained vectors but the vocabulary has no "
                                 "vector_words; build it with Vocab.build(..., vector_words=vectors.words)")
            # float16 halves the saved model; the table is frozen, so no precision is needed for training
            self.register_buffer("vectors", torch.zeros(len(vocab.vector_words), cfg.vector_dim,
                                                        dtype=torch.float16))
        self.vector_words = vocab.vector_words
        # frozen: learned before the network (corpora.charlm), saved with it, never trained with it
        self.context = CharLM(cfg.context_chars, cfg.context_hidden).requires_grad_(False) \
            if cfg.context_hidden else None
        self.features = nn.ModuleList(nn.Embedding(len(index), cfg.feature_dim, padding_idx=0)
                                      for index in vocab.features or ())
        # counts decide word dropout; a buffer so it travels with the weights
        self.register_buffer("word_counts", torch.tensor(vocab.word_counts, dtype=torch.float), persistent=False)
        self.unk_id = vocab.words.unk_id
        self.type_cache = TypeCache(self.CACHE_SIZE)

    @property
    def output_dim(self) -> int:
        char = self.cfg.char_out if self.char_encoder is not None else 0
        return (self.cfg.word_dim + char + self.cfg.shape_dim + self.cfg.vector_dim + 2 * self.cfg.context_hidden
                + self.cfg.feature_dim * len(self.features))

    def load_vectors(self, vectors: "WordVectors") -> int:
        """Fill the frozen table from ``vectors`` (row order of ``vocab.vector_words``); returns rows filled."""
        if not self.cfg.vector_dim:
            raise ValueError("this embedding has no vector table (vector_dim is 0)")
        if vectors.dim != self.cfg.vector_dim:
            raise ValueError(f"the word vectors have {vectors.dim} dimensions, the embedding expects "
                             f"{self.cfg.vector_dim}")
        table = torch.zeros_like(self.vectors, dtype=torch.float32)
        filled = 0
        for i, word in enumerate(self.vector_words.strings[2:], start=2):
            if word in vectors:
                table[i] = torch.from_numpy(vectors[word])
                filled += 1
        self.vectors.copy_(table.to(self.vectors.dtype))
        return filled

    def _encode_types(self, char_ids: torch.Tensor, shapes: torch.Tensor) -> torch.Tensor:
        """Character encoding + shape embedding of word types; the padding type (shape 0) gets zeros."""
        per_type = [self.shapes(shapes)]
        if self.char_encoder is not None:
            per_type.insert(0, self.char_encoder(char_ids))
        return torch.cat(per_type, dim=-1).masked_fill((shapes == 0).unsqueeze(1), 0.0)

    def _types(self, batch: WordBatch) -> torch.Tensor:
        """(U + 1, D): :meth:`_encode_types` of the batch's padding row and distinct word forms; at
        inference (eval mode, no gradients) read through the cache, keyed on the weights' identity and
        in-place version, so loading weights or moving the model starts it afresh. A forward pass in
        training mode or with gradients empties it: that is what every weight update needs first, and
        torch's fused optimizers update weights in place without bumping their version."""
        if self.training or torch.is_grad_enabled() or batch.types is None:
            if self.type_cache.key is not None:
                self.type_cache.clear()
            return self._encode_types(batch.char_ids, batch.shapes)
        params = [self.shapes.weight, *(self.char_encoder.parameters() if self.char_encoder is not None else ())]
        key = (torch.is_inference_mode_enabled(), *((p.data_ptr(), p._version, p.dtype) for p in params))
        rows = self.type_cache.rows(key, batch.types, lambda new: self._encode_types(
            batch.char_ids[[k + 1 for k in new]], batch.shapes[[k + 1 for k in new]]))
        return torch.cat([rows.new_zeros(1, rows.shape[1]), rows])

    def _context(self, batch: WordBatch) -> torch.Tensor:
        """(B, T, 2 * context_hidden): the frozen character LMs' vector of each token in its sentence."""
        if batch.types is None or batch.type_index.shape[0] != len(batch.lengths):
            raise ValueError("contextual vectors need whole sentences with their word forms (encode_words)")
        index = batch.type_index.cpu().tolist()
        sentences = [[batch.types[i - 1] for i in row[:n]] for row, n in zip(index, batch.lengths.tolist())]
        with torch.no_grad():
            return self.context.embed(sentences)

    def forward(self, batch: WordBatch) -> torch.Tensor:
        ids = batch.word_ids
        if self.training and self.cfg.word_dropout > 0:
            counts = self.word_counts[ids]
            p_drop = self.cfg.word_dropout / (self.cfg.word_dropout + counts)
            drop = (torch.rand_like(p_drop) < p_drop) & (ids > 1)
            ids = ids.masked_fill(drop, self.unk_id)
        parts = [self.words(ids), self._types(batch)[batch.type_index]]
        if self.cfg.vector_dim:
            parts.append(self.vectors[batch.vector_ids].float())
        if self.context is not None:
            parts.append(self._context(batch))
        parts += [emb(batch.features[..., i]) for i, emb in enumerate(self.features)]
        return torch.cat(parts, dim=-1)
