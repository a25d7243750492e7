"""A span-based constituency parser: the shared token embedding, a BiLSTM over the sentence, a score for
every label of every span, and CKY for the best tree (Stern, Andreas & Klein 2017; Kitaev & Klein 2018).
It is trained by classifying each span on its own, cross-entropy over all spans, which Gaddy, Stern & Klein
(2018) found as good as structured training; a POS head on the same BiLSTM gives the preterminals.

>>> from treernn.parser import train_parser
>>> from corpora.trees import load_parse_trees
>>> parser, _ = train_parser(load_parse_trees("train"), load_parse_trees("dev"), out="runs/parser")  # doctest: +SKIP
>>> print(parser.parse("The cat sat on the mat .".split()))                                          # doctest: +SKIP
(S (NP (DT The) (NN cat)) (VP (VBD sat) (PP (IN on) (NP (DT the) (NN mat)))) (. .))
"""
from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from nltk import Tree
from torch import nn

from corpora.batch import WordBatch, check_tokens, encode_words, length_batches, token_batches
from corpora.embedding import EmbeddingConfig, TokenEmbedding
from corpora.text import iter_sentences
from corpora.trees import EMPTY, as_tree, bracketed, nodes_postorder, tree_spans
from corpora.vocab import Vocab
from corpora.wordvectors import DEFAULT_VECTORS, VECTOR_DIM, WordVectors
from deeptrees.device import DEFAULT_DEVICE
from deeptrees.dropout import Dropout
from deeptrees.network import NetworkConfig, TrainedNetwork
from deeptrees.recipe import RunOptions, Task, train_network
from deeptrees.train import History, TrainConfig

from .chart import build_tree, cky
from .parseval import score_parses

TAG = "tag:"            # POS tags share the vocabulary's label list with span labels, under this prefix
IGNORE = -100
ESCAPES = {"(": "-LRB-", ")": "-RRB-", "[": "-LSB-", "]": "-RSB-", "{": "-LCB-", "}": "-RCB-"}   # as the treebank writes them
MAX_WORDS = 600          # a sentence has n(n+1)/2 spans: longer ones are refused, not left to exhaust memory
PARSER_TRAINING = TrainConfig(epochs=50, patience=8)   # the shipped parser stopped on patience at epoch 45


@dataclass
class ParserConfig(NetworkConfig):
    """Architecture of a parser; saved in the model's ``config.json``."""

    embedding: EmbeddingConfig = field(default_factory=EmbeddingConfig)
    cell: str = "lstm"
    hidden_size: int = 200       # per direction
    num_layers: int = 2
    span_hidden: int = 250       # the span scorer's hidden layer
    dropout: float = 0.3

    CELLS: ClassVar[dict] = {"lstm": nn.LSTM}
    SIZES: ClassVar[dict] = {**NetworkConfig.SIZES, "hidden_size": ("rnn.weight_hh_l0", 1),
                             "span_hidden": ("span_bias", 0)}

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.num_layers < 1 or self.span_hidden < 1:
            raise ValueError(f"num_layers and span_hidden must be >= 1, got {self.num_layers}, {self.span_hidden}")


@lru_cache(maxsize=1024)
def _pairs(n: int) -> torch.Tensor:
    """(2, n(n+1)/2): every span (i, j), 0 <= i < j <= n."""
    return torch.triu_indices(n + 1, n + 1, offset=1)


def span_index(lengths: Sequence[int]) -> torch.Tensor:
    """(3, N): sentence, start and end of every span of every sentence of a batch, sentence by sentence."""
    parts = [torch.cat([torch.full((1, n * (n + 1) // 2), b), _pairs(n)]) for b, n in enumerate(lengths)]
    return torch.cat(parts, dim=1) if parts else torch.zeros(3, 0, dtype=torch.long)


class SpanParser(nn.Module):
    """``(WordBatch, span index) -> (span label scores (N, span labels), tag scores (B, T, tags))``.

    A span ``(i, j)`` is read from the BiLSTM at its fenceposts: forward ``f_j - f_i`` and backward
    ``b_i - b_j`` (a start and a stop vector surround the sentence), through one hidden layer."""

    def __init__(self, vocab: Vocab, cfg: ParserConfig):
        super().__init__()
        names = vocab.labels.strings
        self.span_labels = [s for s in names if not s.startswith(TAG)]
        self.tags = [s[len(TAG):] for s in names if s.startswith(TAG)]
        if EMPTY not in self.span_labels or not self.tags:
            raise ValueError("a parser's labels hold the empty span label and POS tags (prefixed 'tag:')")
        self.cfg = cfg
        self.embedding = TokenEmbedding(vocab, cfg.embedding)
        D, H, S = self.embedding.output_dim, cfg.hidden_size, cfg.span_hidden
        # the start and stop "words"; normal_, not 0.1 * randn: arithmetic on the meta tensors a model is
        # first built on when loaded imports torch._dynamo (a second), and loading patches normal_ out
        self.bounds = nn.Parameter(nn.init.normal_(torch.empty(2, D), std=0.1))
        self.rnn = nn.LSTM(D, H, num_layers=cfg.num_layers, batch_first=True, bidirectional=True,
                           dropout=cfg.dropout if cfg.num_layers > 1 else 0.0)
        self.dropout = Dropout(cfg.dropout)
        self.span_fwd = nn.Linear(H, S, bias=False)
        self.span_bwd = nn.Linear(H, S, bias=False)
        self.span_bias = nn.Parameter(torch.zeros(S))
        self.span_out = nn.Linear(S, len(self.span_labels))
        self.tag_out = nn.Linear(2 * H, len(self.tags))

    def forward(self, batch: WordBatch, spans: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.dropout(self.embedding(batch))                      # (B, T, D)
        B, T, _ = x.shape
        seq = torch.cat([self.bounds[0].expand(B, 1, -1), x, x.new_zeros(B, 1, x.shape[2])], dim=1)
        # both indices on the CPU, where lengths live (torch moves them to seq's device; ran so on an H200)
        seq = seq.index_put((torch.arange(B), batch.lengths + 1), self.bounds[1].expand(B, -1))
        packed = nn.utils.rnn.pack_padded_sequence(seq, (batch.lengths + 2).cpu(), batch_first=True,
                                                   enforce_sorted=False)
        h, _ = self.rnn(packed)
        h, _ = nn.utils.rnn.pad_packed_sequence(h, batch_first=True, total_length=T + 2)
        H = self.cfg.hidden_size
        fwd, bwd = self.span_fwd(h[:, : T + 1, :H]), self.span_bwd(h[:, 1:, H:])   # fenceposts 0..T
        b, i, j = spans
        hidden = fwd[b, j] - fwd[b, i] + bwd[b, i] - bwd[b, j] + self.span_bias
        span_scores = self.span_out(self.dropout(torch.relu(hidden)))
        return span_scores, self.tag_out(self.dropout(h[:, 1: T + 1]))


class Parser(TrainedNetwork):
    """Parses tokenized sentences into ``nltk.Tree``s with PTB phrase labels and POS preterminals."""

    KIND, CONFIG, MODULE = "parser", ParserConfig, SpanParser
    MAX_SPANS = 200_000      # spans scored in one batch

    def parse(self, tokens: Sequence[str]) -> Tree:
        """The tree of one tokenized sentence; its leaves are exactly ``tokens``."""
        return self._parse([self._check(tokens, "tokens")])[0]

    def parse_sents(self, sentences: Sequence[Sequence[str]]) -> list[Tree]:
        """Trees of many tokenized sentences, parsed in batches."""
        if isinstance(sentences, str):
            raise TypeError("parse_sents() takes a list of token lists; for raw text use parse_text()")
        return self._parse([self._check(s, f"sentence {k}") for k, s in enumerate(sentences)])

    def parse_text(self, text: str) -> list[Tree]:
        """Split raw English text into sentences and tokens, then parse each."""
        if not isinstance(text, str):
            raise TypeError(f"parse_text() takes a str, got {type(text).__name__}")
        return self.parse_sents(list(iter_sentences(text, "en")))

    def _check(self, tokens, where: str) -> list[str]:
        tokens = check_tokens(tokens, where)
        if not tokens:
            raise ValueError(f"{where} is empty: there is nothing to parse")
        if len(tokens) > MAX_WORDS:
            raise ValueError(f"{where} has {len(tokens)} tokens; the parser takes sentences up to {MAX_WORDS}")
        return tokens

    @torch.inference_mode()
    def _parse(self, sentences: list[list[str]]) -> list[Tree]:
        self.model.eval()
        out: list[Tree | None] = [None] * len(sentences)
        sizes = [len(s) * (len(s) + 1) // 2 for s in sentences]
        for idx in token_batches(sizes, self.MAX_SPANS):
            words = [[ESCAPES.get(w, w) for w in sentences[k]] for k in idx]
            spans = span_index([len(w) for w in words])
            scores, tag_scores = self.model(encode_words(self.vocab, words).to(self.device), spans.to(self.device))
            # a tree's log-probability is that of its labelled spans plus that of every other span being
            # empty: relative to "empty", only the spans in the tree count (the empty label scores 0)
            scores = scores.log_softmax(-1)
            scores, tags = (scores - scores[:, :1]).cpu().numpy(), tag_scores.argmax(-1).cpu().tolist()
            start = 0
            for row, k in enumerate(idx):
                n = len(words[row])
                chart = np.zeros((n + 1, n + 1, scores.shape[1]), dtype=np.float32)
                i, j = _pairs(n).numpy()
                chart[i, j] = scores[start: start + len(i)]
                start += len(i)
                _, best = cky(chart)
                out[k] = build_tree(sentences[k], [self.model.tags[t] for t in tags[row][:n]], best,
                                    self.model.span_labels)
        return out   # type: ignore[return-value]

    def evaluate(self, gold: Sequence[Tree | str]):
        """:func:`treernn.parseval.score_parses` of this parser on gold trees (their words as input)."""
        gold = [as_tree(t) for t in gold]
        return score_parses(gold, self.parse_sents([tree_spans(t)[0] for t in gold]))

    def __repr__(self) -> str:
        return (f"Parser({self.config.num_layers}-layer BiLSTM {self.config.hidden_size}, "
                f"{len(self.model.span_labels) - 1} span labels, {len(self.model.tags)} tags)")


class ParseTask(Task):
    """Trees with POS preterminals: every span of a sentence classified (label or empty), and its tags."""

    network = Parser
    score_name = "dev_f1"

    def __init__(self, train: Sequence[Tree | str], dev: Sequence[Tree | str] | None, batch_size: int):
        if isinstance(train, (str, Tree)) or not isinstance(train, Sequence):
            raise TypeError("train must be a list of trees (nltk.Tree or bracketed strings)")
        self.train = [tree_spans(as_tree(t)) for t in train]
        self.dev = [as_tree(t) for t in dev] if dev else None
        self.has_dev = self.dev is not None
        self.batch_size = batch_size
        if not self.train:
            raise ValueError("no training trees")
        self.words = [w for w, _, _ in self.train]
        self.labels = sorted({EMPTY} | {lab for _, _, s in self.train for lab in s.values()}) + \
            sorted({TAG + t for _, tags, _ in self.train for t in tags})

    def batches(self, vocab: Vocab, rng: random.Random):
        names = vocab.labels.strings
        span_id = {s: k for k, s in enumerate(s for s in names if not s.startswith(TAG))}
        tag_id = {s[len(TAG):]: k for k, s in enumerate(s for s in names if s.startswith(TAG))}
        for idx in length_batches([len(w) for w in self.words], self.batch_size, shuffle=True, rng=rng):
            items = [self.train[k] for k in idx]
            lengths = [len(w) for w, _, _ in items]
            spans = span_index(lengths)
            gold = [span_id.get(s.get((int(i), int(j)), EMPTY), IGNORE)
                    for (_, _, s), n in zip(items, lengths) for i, j in _pairs(n).T.tolist()]
            tags = torch.full((len(items), max(lengths)), IGNORE, dtype=torch.long)
            for r, (_, t, _) in enumerate(items):
                tags[r, : len(t)] = torch.tensor([tag_id.get(x, IGNORE) for x in t])
            yield encode_words(vocab, [w for w, _, _ in items]), spans, torch.tensor(gold), tags

    @staticmethod
    def loss(model: SpanParser, batch) -> torch.Tensor:
        words, spans, gold, tags = batch
        span_scores, tag_scores = model(words, spans)
        return F.cross_entropy(span_scores, gold, ignore_index=IGNORE) + \
            F.cross_entropy(tag_scores.reshape(-1, tag_scores.shape[-1]), tags.reshape(-1), ignore_index=IGNORE)

    def score(self, net: Parser) -> float:
        return net.evaluate(self.dev).f1

    def data(self):
        yield from (" ".join(w) + "\t" + " ".join(t) + "\t" + repr(sorted(s.items())) for w, t, s in self.train)
        yield "dev"
        yield from (bracketed(t) for t in self.dev or ())


def train_parser(train: Sequence[Tree | str], dev: Sequence[Tree | str] | None = None,
                 config: ParserConfig | None = None, train_config: TrainConfig | None = None,
                 out: str | Path | None = None, progress: bool = True, min_count: int = 1,
                 word_vectors: str | WordVectors | None = DEFAULT_VECTORS, *, vector_dim: int = VECTOR_DIM,
                 held_out: Iterable[Sequence[str]] = (), init_embeddings_from: str | Path | None = None,
                 meta: dict | None = None, **run) -> tuple[Parser, History]:
    """Train a parser on trees with POS preterminals (:func:`corpora.trees.load_parse_trees`), selecting
    on dev labelled-bracket F1. Word vectors, ``held_out``, ``init_embeddings_from``, ``out`` and ``run``
    as for ``tagger.train_tagger``."""
    train_config = train_config or PARSER_TRAINING
    task = ParseTask(train, dev, train_config.batch_size)
    dev_words = [tree_spans(t)[0] for t in task.dev or ()]
    return train_network(task, config or ParserConfig(), train_config, min_count=min_count,
                         word_vectors=word_vectors, vector_dim=vector_dim, held_out=[*dev_words, *held_out],
                         init_embeddings_from=init_embeddings_from, meta={"language": "en", **(meta or {})},
                         run=RunOptions(out=out, progress=progress, **run))


def escaped(tree: Tree) -> Tree:
    """A copy of a parse whose leaves are written as the treebank writes brackets (``(`` -> ``-LRB-``),
    so that its bracketed form reads back as the same tree."""
    built: dict[int, Tree] = {}
    for node in nodes_postorder(tree):          # no recursion: a parse may be hundreds of levels deep
        built[id(node)] = Tree(node.label(), [built.pop(id(c)) if isinstance(c, Tree) else ESCAPES.get(c, c)
                                              for c in node])
    return built[id(tree)]


DEFAULT_PARSER = files("treernn") / "default_parser"


def load_default_parser(device: str | torch.device = DEFAULT_DEVICE) -> Parser:
    """The parser shipped with the package (trained on the Penn Treebank sample), on ``device``."""
    return Parser.shipped(DEFAULT_PARSER, "train one with `treernn train-parser --out DIR` and load it with "
                                          "Parser.load(DIR) (or --model DIR)", device)
