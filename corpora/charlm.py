"""Contextual word vectors from character language models (Akbik et al. 2018, "contextual string
embeddings"), learned here from unlabelled NLTK text.

The word, character and shape parts of :class:`corpora.embedding.TokenEmbedding` give a word the same
vector in every sentence, yet chunk and entity tags turn on the sentence: "Bank" opening "Bank of
Spain" is not "bank" in "the river bank". A character language model reads text one character at a
time, left to right, and learns to predict the next one; its state after a word (and the space behind
it) sums up that word *in its sentence so far*. A second model reads right to left. A token's
contextual vector is the forward state after its last character joined with the backward state
before its first. Both models are learned once, from raw text with the run's dev and test sentences
removed (the rule word vectors follow), and then frozen inside the embedding: training a tagger
never changes them, and they are saved with it.

>>> lm = CharLM.from_corpora(["brown", "conll2000"], max_minutes=20)     # doctest: +SKIP
>>> lm.embed([["Bank", "of", "Spain"]]).shape                              # doctest: +SKIP
torch.Size([1, 3, 512])

Unlike Flair's models (2,048 units, trained for weeks on a billion words), these are small (``hidden``
units a direction) and learn in minutes on a laptop CPU from a few million words.
"""
from __future__ import annotations

import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import replace

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from .wordvectors import corpus_names, corpus_sentences, drop_held_out, names_nothing

HIDDEN = 256          # units of each direction's LSTM: a token's contextual vector has 2 x HIDDEN numbers
CHAR_DIM = 32         # character embedding size of the language models
MAX_MINUTES = 20.0    # learning budget of `--char-lm`: ~20 M characters on 2 cores (two passes over Brown, CoNLL-2000, ...)
MIN_CHAR_COUNT = 5    # rarer characters of the text share the "unknown" id
BOUNDARY = "\n"       # written before and after every sentence; tokens are joined by one space


def sentence_text(tokens: Sequence[str]) -> tuple[str, list[int], list[int]]:
    """``tokens`` as the models read them, and where each token starts and ends (end exclusive)."""
    starts, at = [], 1
    for tok in tokens:
        starts.append(at)
        at += len(tok) + 1
    return BOUNDARY + " ".join(tokens) + BOUNDARY, starts, [s + len(t) for s, t in zip(starts, tokens)]


class CharLM(nn.Module):
    """A forward and a backward character LSTM over sentences; :meth:`embed` gives each token's
    contextual vector. ``chars`` are the known characters (ids 2..; 0 pads, 1 is any other character)."""

    def __init__(self, chars: str, hidden: int = HIDDEN, char_dim: int = CHAR_DIM):
        super().__init__()
        if not chars or len(set(chars)) != len(chars):
            raise ValueError("a character language model needs a string of distinct known characters")
        if hidden < 1 or char_dim < 1:
            raise ValueError(f"hidden and char_dim must be >= 1, got {hidden} and {char_dim}")
        self.chars, self.hidden = chars, hidden
        # code points in sorted order beside their ids, for char_ids' vectorised lookup
        order = sorted(range(len(chars)), key=lambda i: chars[i])
        self._codes = np.array([ord(chars[i]) for i in order], dtype=np.uint32)
        self._ids = np.array(order, dtype=np.int64) + 2
        self.embedding = nn.Embedding(len(chars) + 2, char_dim, padding_idx=0)
        self.forward_lm = nn.LSTM(char_dim, hidden, batch_first=True)
        self.backward_lm = nn.LSTM(char_dim, hidden, batch_first=True)

    def char_ids(self, text: str) -> np.ndarray:
        """Ids of ``text``'s characters (1 for a character the models do not know)."""
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        at = np.minimum(np.searchsorted(self._codes, codes), len(self._codes) - 1)
        return np.where(self._codes[at] == codes, self._ids[at], 1)

    def embed(self, sentences: Sequence[Sequence[str]]) -> torch.Tensor:
        """(B, T, 2 * hidden) contextual vectors of the tokens of ``sentences`` (zeros past a sentence's end)."""
        device = self.embedding.weight.device
        texts = [sentence_text(s) for s in sentences]
        L = max((len(t) for t, _, _ in texts), default=1)
        forward_ids = np.zeros((len(texts), L), dtype=np.int64)
        backward_ids = np.zeros_like(forward_ids)
        for b, (text, _, _) in enumerate(texts):
            ids = self.char_ids(text)
            forward_ids[b, : len(ids)], backward_ids[b, : len(ids)] = ids, ids[::-1]
        # padding only ever follows a sentence, so neither direction reads it before a position it reports
        fwd = self.forward_lm(self.embedding(torch.from_numpy(forward_ids).to(device)))[0]
        bwd = self.backward_lm(self.embedding(torch.from_numpy(backward_ids).to(device)))[0]
        T = max((len(s) for s in sentences), default=0)
        rows, cols, fpos, bpos = [], [], [], []
        for b, (text, starts, ends) in enumerate(texts):
            rows += [b] * len(starts)
            cols += range(len(starts))
            fpos += ends                                        # forward state after the word and its space
            bpos += [len(text) - s for s in starts]             # backward state after the word and the space before it
        out = fwd.new_zeros(len(texts), T, 2 * self.hidden)
        r, c = torch.tensor(rows, device=device), torch.tensor(cols, device=device)
        out[r, c] = torch.cat([fwd[r, torch.tensor(fpos, device=device)], bwd[r, torch.tensor(bpos, device=device)]], 1)
        return out

    # -- learning from text --------------------------------------------------------------------
    @classmethod
    def learn(cls, sentences: Iterable[Sequence[str]], hidden: int = HIDDEN, max_minutes: float = MAX_MINUTES,
              epochs: int = 10, seq_len: int = 100, batch_size: int = 32, lr: float = 0.01, seed: int = 0,
              progress: bool = True) -> "CharLM":
        """Both directions trained on ``sentences`` (next-character cross-entropy, Adam, windows of
        ``seq_len`` characters) for ``epochs`` passes or until ``max_minutes``, whichever ends first.
        Small batches and a high rate learn most per minute on a CPU (90 s on CoNLL-2000's text: 2.09
        bits per character with 32 windows of 100 at 0.01, 3.52 with 64 of 250 at 0.002). The returned
        model is frozen, in eval mode; its ``losses`` attribute holds each step's bits per character
        (the mean of both directions), not saved with it."""
        if max_minutes <= 0 or epochs < 1 or seq_len < 2 or batch_size < 1:
            raise ValueError("max_minutes must be > 0, epochs, batch_size >= 1 and seq_len >= 2")
        parts = []
        for n, sent in enumerate(sentences):
            if isinstance(sent, str) or not all(isinstance(w, str) for w in sent):
                raise TypeError(f"sentence {n} is not a list of str tokens")
            parts.append(" ".join(sent))
        text = BOUNDARY + BOUNDARY.join(parts) + BOUNDARY
        counts = np.unique(np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32), return_counts=True)
        chars = "".join(chr(c) for c, n in zip(*counts) if n >= MIN_CHAR_COUNT)
        if len(text) < 2 * seq_len or len(chars) < 2:
            raise ValueError(f"{len(text):,} characters are too little text to learn a character language model")
        gen = torch.Generator().manual_seed(seed)
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            lm = cls(chars, hidden)
            decoders = nn.ModuleList(nn.Linear(hidden, len(chars) + 2) for _ in range(2))
        ids = torch.from_numpy(lm.char_ids(text))
        n = (len(ids) - 1) // seq_len
        streams = [(ids[: n * seq_len].view(n, seq_len), ids[1: n * seq_len + 1].view(n, seq_len))
                   for ids in (ids, ids.flip(0))]
        params = [*lm.parameters(), *decoders.parameters()]
        opt = torch.optim.Adam(params, lr=lr)
        deadline, steps = time.monotonic() + 60 * max_minutes, (n + batch_size - 1) // batch_size
        bar = tqdm(total=epochs * steps, desc=f"character LMs (at most {max_minutes:g} min)", unit="batch", disable=not progress)
        lm.train()
        lm.losses = []
        for _ in range(epochs):
            for rows in torch.randperm(n, generator=gen).split(batch_size):
                loss = sum(nn.functional.cross_entropy(dec(rnn(lm.embedding(x[rows]))[0]).flatten(0, 1),
                                                       y[rows].flatten())
                           for rnn, dec, (x, y) in zip((lm.forward_lm, lm.backward_lm), decoders, streams)) / 2
                opt.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(params, 1.0)
                opt.step()
                lm.losses.append(loss.item() / np.log(2))
                bar.update()
                bar.set_postfix(bits_per_char=f"{lm.losses[-1]:.2f}")
                if time.monotonic() > deadline:
                    break
            else:
                continue
            break
        bar.close()
        return lm.eval().requires_grad_(False)

    @classmethod
    def from_corpora(cls, names: Sequence[str], extra: Iterable[Sequence[str]] = (),
                     held_out: Iterable[Sequence[str]] = (), **options) -> "CharLM":
        """Learn from NLTK corpora's raw text (plus ``extra``, e.g. the training sentences), leaving
        out every sentence that matches a ``held_out`` one (the run's dev and test text), as word vectors do."""
        return cls.learn([*drop_held_out(corpus_sentences(names), held_out), *extra], **options)


def char_lm_from(spec: str | None, extra: Iterable[Sequence[str]] = (), held_out: Iterable[Sequence[str]] = (),
                 **options) -> CharLM | None:
    """What a ``--char-lm`` option names: comma-separated NLTK corpora, or none."""
    if names_nothing(spec):
        return None
    shuffled = list(extra)
    random.Random(0).shuffle(shuffled)   # the training sentences spread over the text, not in one block
    return CharLM.from_corpora(corpus_names(spec), shuffled, held_out, **options)


def sized_for_context(config, lm: CharLM | None):
    """``config`` (a network's) with its embedding set to hold ``lm`` (None: no contextual vectors)."""
    return replace(config, embedding=replace(config.embedding, context_hidden=lm.hidden if lm else 0,
                                             context_chars=lm.chars if lm else ""))
