"""A trained tagger behind NLTK's ``TaggerI`` interface.

>>> import tagger
>>> t = tagger.load_default()
>>> t.tag("The old man the boats .".split())        # doctest: +SKIP
[('The', 'DT'), ('old', 'JJ'), ('man', 'NN'), ('the', 'DT'), ('boats', 'NNS'), ('.', '.')]
>>> t.tag_text("Time flies like an arrow. Fruit flies like a banana.")   # doctest: +SKIP
[[('Time', 'NN'), ...], [('Fruit', 'NN'), ...]]

``accuracy(gold)`` and ``confusion(gold)`` come from ``nltk.tag.api.TaggerI``. A model trained on chunk or
entity tags (IOB, IOB2, BIOES) also gives its spans: ``entities(tokens)``, ``entities_sents``, ``entities_text``.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from importlib.resources import files
from itertools import islice
from pathlib import Path

import torch
from nltk.tag.api import TaggerI

from corpora.batch import check_tokens, encode_words, split_tokens, token_batches, windows
from corpora.text import iter_sentences
from corpora.vocab import PAD, UNK
from deeptrees.device import DEFAULT_DEVICE
from deeptrees.network import TrainedNetwork

from .chunks import chunk_scheme, consistent_types, continues, spans
from .model import SequenceTagger, TaggerConfig

DEFAULT_MODEL = files("tagger") / "default_model"


def split_batch(sentences: list[list]) -> tuple[list[list[str]], list | None]:
    """Sentences of tokens (str, or tuples with features) -> (word lists, feature lists or None)."""
    words, features = zip(*(split_tokens(s) for s in sentences))
    return list(words), (list(features) if features[0] is not None else None)


SPAN_ROWS = 256         # span probabilities computed at a time (rows of T x tags booleans and scores)
BLOCK_SENTENCES = 256   # sentences whose span probabilities are computed together


def _allowed_spans(tags: list[str], found: list[tuple[int, int, str]], labels: list[str], length: int) -> torch.Tensor:
    """(spans, length, tags) bool: the tag sequences in which each span is exactly there: its own tags on
    its tokens, no tag before it that runs into it, none after it that extends it (padding: anything)."""
    allowed = torch.ones(len(found), length, len(labels), dtype=torch.bool)
    for k, (start, end, _) in enumerate(found):
        for t in range(start, end):
            allowed[k, t] = False
            allowed[k, t, labels.index(tags[t])] = True
        if start > 0:       # the token before does not run into the span ...
            allowed[k, start - 1] = torch.tensor([not continues(lab, tags[start]) for lab in labels])
        if end < len(tags):  # ... and the token after does not extend it
            allowed[k, end] = torch.tensor([not continues(tags[end - 1], lab) for lab in labels])
    return allowed


class Tagger(TrainedNetwork, TaggerI):
    """Tags token lists with a :class:`SequenceTagger`; batched, deterministic, CPU-friendly.

    Memory does not grow with the input: sentences are tagged in batches of at most ``max_tokens``
    padded tokens, and a sentence longer than ``window`` tokens is read in overlapping windows
    (``context`` tokens on each side of the part whose tags are kept), stitched back together."""

    KIND, CONFIG, MODULE = "tagger", TaggerConfig, SequenceTagger
    MAX_TOKENS, WINDOW, CONTEXT = 8192, 256, 32   # inference limits; instances copy them (settable)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_tokens, self.window, self.context = self.MAX_TOKENS, self.WINDOW, self.CONTEXT

    @classmethod
    def ensemble(cls, members: Sequence[Tagger | str | Path], device: str | torch.device = DEFAULT_DEVICE,
                 feature_tagger: Tagger | None = None) -> Tagger:
        """One tagger from several (saved folders or loaded taggers) that share a vocabulary, e.g. seeds of one
        command: at every token the mean of their tag distributions, read as a softmax's (valid chunk
        sequences, probabilities, n-best, entities). Inference only: it is not trained or saved as one.
        ``feature_tagger`` (see :attr:`feature_tagger`) is given to every member, in place of any it carries."""
        from .ensemble import EnsembleNet, check_members

        if isinstance(members, (str, Path)):
            raise TypeError("Tagger.ensemble() takes a list of taggers or model folders")
        loaded = [m if isinstance(m, Tagger) else cls.load(m, device) for m in members]
        if feature_tagger is not None:
            for m in loaded:
                m.feature_tagger = feature_tagger     # checked against each member's column
        check_members(loaded, [str(m) if not isinstance(m, Tagger) else f"member {i + 1}" for i, m in enumerate(members)])
        first = loaded[0]
        net = EnsembleNet([t.model for t in loaded], first.tagset)
        shared = {k: first.meta[k] for k in ("corpus", "cli", "language") if k in first.meta}   # what evaluate reads
        together = cls(net, first.vocab, first.config, {**shared, "members": len(loaded)})
        together.parts = dict(loaded[0].parts)    # check_members: they carry the same feature tagger, or none
        return together

    @property
    def members(self) -> int:
        """How many taggers this one combines (1: a single network)."""
        return self.meta.get("members", 1)

    def save(self, folder: str | Path, half: bool = False) -> Path:
        if self.members > 1:
            raise ValueError("an ensemble is not saved as one model: save its members and combine them with "
                             "Tagger.ensemble() when loading")
        return super().save(folder, half)

    # -- tagging -------------------------------------------------------------------------------
    @property
    def n_features(self) -> int:
        """How many feature columns a token carries beside its word (0: tokens are plain str)."""
        return len(self.vocab.features or ())

    @property
    def feature_tagger(self) -> Tagger | None:
        """The tagger of words that writes this model's feature column (e.g. POS tags), saved inside it; with
        one, plain words and raw text can be tagged too (their column is tagged first). Set it with
        ``ner.feature_tagger = Tagger.load(pos_dir)`` (then ``ner.save(...)``), ``tagger train
        --features-from DIR``, or ``tagger distill --features-from DIR``."""
        return self.parts.get("features")

    @feature_tagger.setter
    def feature_tagger(self, tagger: Tagger | None) -> None:
        if tagger is None:
            self.parts.pop("features", None)
        else:
            self.attach("features", tagger)    # moved to this model's device

    def check_part(self, name: str, part: Tagger) -> None:
        if name != "features":
            raise ValueError(f"a tagger carries one part, 'features' (the tagger of its feature column), not {name!r}")
        check_feature_tagger(part, self.n_features, self.vocab.features[0].strings if self.vocab.features else ())

    def _check(self, tokens, where: str) -> list:
        """A checked token list: tuples ``(word, feature, ...)`` for a model of features, or plain words
        where a :attr:`feature_tagger` can add the column (see :meth:`_featured`)."""
        plain = self.n_features and isinstance(tokens, list | tuple) and bool(tokens) and isinstance(tokens[0], str)
        if plain and self.feature_tagger is None:
            raise TypeError(f"{where} is plain words, but this model reads {self.n_features} feature column(s) beside "
                            f"each word: give tokens (word, feature, ...), or give the model the tagger of that "
                            f"column (Tagger.feature_tagger, --features-from)")
        if plain:
            for i, tok in enumerate(tokens):
                if isinstance(tok, list | tuple):
                    raise TypeError(f"token {i} of {where} is {tok!r}, token 0 a plain word: a sentence is all plain "
                                    f"words (its feature column is tagged) or all (word, feature, ...) tuples")
        return check_tokens(tokens, where, 0 if plain else self.n_features)

    def _featured(self, sentences: list[list]) -> list[list]:
        """``sentences`` as the network reads them: the plain word lists among them (allowed by :meth:`_check`
        only with a feature tagger) get its tags as their feature column, tagged together."""
        plain = [i for i, s in enumerate(sentences) if s and isinstance(s[0], str)] if self.n_features else []
        if not plain:
            return sentences
        out = list(sentences)
        for i, tagged in zip(plain, self.feature_tagger._tag([sentences[i] for i in plain])):
            out[i] = tagged
        return out

    def tag(self, tokens: Sequence, probs: bool = False) -> list[tuple]:
        """Tag one tokenized sentence: ``["The", "dog"] -> [("The", "DT"), ("dog", "NN")]``.

        With ``probs``, ``(word, tag, probability)`` triples (the CRF's marginal with ``output="crf"``).
        A model with feature columns takes tokens ``(word, feature, ...)`` and returns them with the tag
        appended: ``("He", "PRP") -> ("He", "PRP", "B-NP")``."""
        return self._tag([self._check(tokens, "tokens")], probs)[0]

    def tag_sents(self, sentences: Sequence[Sequence], probs: bool = False, consistent: int = 0) -> list[list[tuple]]:
        """Tag many tokenized sentences at once, in batches of similar length (``probs`` as in :meth:`tag`;
        ``consistent`` as in :meth:`tag_stream`)."""
        if isinstance(sentences, str):
            raise TypeError("tag_sents() takes a list of token lists; for raw text use tag_text()")
        return list(self.tag_stream(sentences, probs, consistent))

    def tag_stream(self, sentences: Iterable[Sequence], probs: bool = False, consistent: int = 0
                   ) -> Iterator[list[tuple]]:
        """Tag sentences as they arrive (any iterable: a generator, a file's lines split into tokens),
        yielding each tagged sentence in order. Only a block of about ``4 * max_tokens`` tokens is held
        at a time, so memory does not grow with the length of the stream.

        ``consistent=N`` (entity and chunk taggers) reads the sentences as one text, in order, and gives
        a name the type its mentions in the N sentences before and after it get most often
        (:func:`tagger.chunks.consistent_types`); spans keep their boundaries. Not with ``probs``: a
        token's probability is that of the model's own tag."""
        if isinstance(sentences, str):
            raise TypeError("tag_stream() takes an iterable of token lists; for raw text use tag_text()")
        if consistent:
            self._check_consistent(consistent, probs)
            for items, plain, _ in self._consistent(self._span_probs_of(self._read(sentences)), consistent):
                yield [(item[0], item[-1]) for item in items] if plain else items
            return
        for block in self._blocks(sentences):
            yield from self._tag(block, probs)

    def _blocks(self, sentences: Iterable[Sequence]) -> Iterator[list[list]]:
        """The sentences checked, in blocks of about ``4 * max_tokens`` tokens: enough to sort by length
        (little padding), few enough that memory does not grow with the stream."""
        block: list[list] = []
        size = 0
        for i, tokens in enumerate(sentences):
            block.append(self._check(tokens, f"sentence {i}"))
            size += len(block[-1])
            if size >= 4 * self.max_tokens:
                yield block
                block, size = [], 0
        if block:
            yield block

    def nbest(self, tokens: Sequence, k: int = 5) -> list[tuple[list[str], float]]:
        """Up to ``k`` tag sequences for one sentence with their log-probabilities, best first; the first
        is :meth:`tag`'s answer. (A softmax tagger scores tokens independently; a CRF, whole sequences.)"""
        if type(k) is not int or k < 1:
            raise ValueError(f"k must be an integer >= 1, got {k!r}")
        tokens = self._whole(self._check(tokens, "tokens"), "nbest()")
        if not tokens:
            return [([], 0.0)]
        with torch.inference_mode():
            scores, mask = self._scores(self._featured([tokens]))
            paths = self.model.nbest(scores, mask, k)[0]
        return [([self.vocab.labels[t] for t in seq], score) for seq, score in paths]

    def _whole(self, tokens: list, caller: str) -> list:
        """``tokens``, if they fit one window (what needs the whole sentence at once cannot stitch)."""
        if len(tokens) > self.window:
            raise ValueError(f"{caller} reads a sentence whole, up to {self.window} tokens (Tagger.window); "
                             f"this one has {len(tokens)}")
        return tokens

    def _scores(self, sentences: list[list]) -> tuple[torch.Tensor, torch.Tensor]:
        """(tag scores, mask) of one batch of checked, non-empty sentences, plain words already given their
        feature column (:meth:`_featured`); callers run in inference mode."""
        self.model.eval()
        batch = encode_words(self.vocab, *split_batch(sentences)).to(self.device)
        return self.model(batch), batch.mask

    @torch.inference_mode()
    def _tag(self, sentences: list[list], probs: bool = False) -> list[list[tuple]]:
        """Tag sentences already checked by :func:`check_tokens`: long ones in windows, batches bounded
        by ``max_tokens``, similar lengths together (little padding)."""
        out: list[list] = [[None] * len(s) for s in sentences]
        pieces = [(i, *w) for i, s in enumerate(sentences) for w in windows(len(s), self.window, self.context)
                  if s]
        labels, features = self.vocab.labels.strings, self.n_features
        read = self._featured(sentences)     # whole sentences: the feature tagger sees their full context
        for idx in token_batches([p[2] - p[1] for p in pieces], self.max_tokens):
            chunk = [pieces[j] for j in idx]
            texts = [read[i][start:end] for i, start, end, _, _ in chunk]
            scores, mask = self._scores(texts)
            tags = self.model.decode(scores, mask)
            p = self.model.tag_probs(scores, mask).cpu() if probs else None
            for row, ((i, start, _, keep, keep_end), seq) in enumerate(zip(chunk, tags)):
                a, b = keep - start, keep_end - start
                words, names = texts[row][a:b], [labels[t] for t in seq[a:b]]
                items = [(*w, name) for w, name in zip(words, names)] if features else list(zip(words, names))
                if p is not None:
                    chosen = p[row, a:b].gather(1, torch.tensor(seq[a:b])[:, None]).view(-1).tolist()
                    items = [(*item, q) for item, q in zip(items, chosen)]
                out[i][keep:keep_end] = items
        if read is not sentences:   # plain words in, (word, tag) out: the column the feature tagger wrote stays inside
            out = [[(item[0], *item[1 + features:]) for item in tagged] if s is not r else tagged
                   for s, r, tagged in zip(sentences, read, out)]
        return out

    def tag_text(self, text: str, probs: bool = False, consistent: int = 0) -> list[list[tuple]]:
        """Split raw text into sentences and tokens with the rules of the model's :attr:`language` (no NLTK
        data needed), then tag each sentence (tokenized as it is tagged: the text is not held twice);
        ``consistent`` as in :meth:`tag_stream`."""
        return list(self.tag_stream(self._tokenize(text, "tag_text"), probs, consistent))

    def _check_consistent(self, consistent: int, probs: bool = False) -> None:
        if type(consistent) is not int or consistent < 0:
            raise ValueError(f"consistent must be an integer >= 0 (sentences on each side), got {consistent!r}")
        if consistent and chunk_scheme(self.tagset) is None:
            raise ValueError(f"consistent={consistent} makes entity (chunk) types consistent, but {self!r} tags "
                             f"{' '.join(self.tagset[:8])} ...: use it with a model of IOB, IOB2 or BIOES tags")
        if consistent and probs:
            raise ValueError("consistent and token probabilities do not go together (a probability is that of "
                             "the model's own tag); entities(..., probs=True) gives the retyped spans' own")

    def _read(self, sentences: Iterable[Sequence], whole: str = "") -> Iterator[tuple[list[tuple], bool, None]]:
        """Sentences tagged block by block, their items as the network read them (with the feature column
        a feature tagger wrote), each with whether it came as plain words, and no span probabilities yet
        (:meth:`_span_probs_of`); ``whole``: the caller of :meth:`_whole`, for those that need each
        sentence in one piece."""
        read = 0
        for block in self._blocks(sentences):
            plain = [bool(self.n_features) and bool(s) and isinstance(s[0], str) for s in block]
            block = self._featured(block)
            if whole:
                for i, tokens in enumerate(block, read):
                    self._whole(tokens, f"{whole} (sentence {i})")
            read += len(block)
            yield from ((items, was_plain, None) for items, was_plain in zip(self._tag(block), plain))

    def _span_probs_of(self, tagged: Iterable[tuple[list[tuple], bool, list[float] | None]]
                       ) -> Iterator[tuple[list[tuple], bool, list[float] | None]]:
        """:meth:`_read`'s sentences with the probability of each of their spans (:meth:`_span_probs`) where
        they have none yet; still None for a sentence longer than :attr:`window`. Computed
        ``BLOCK_SENTENCES`` sentences at a time."""
        tagged = iter(tagged)
        while chunk := [list(sentence) for sentence in islice(tagged, BLOCK_SENTENCES)]:
            todo = [c for c in chunk if c[2] is None and len(c[0]) <= self.window]
            read = [([item[:-1] if self.n_features else item[0] for item in items], [item[-1] for item in items])
                    for items, _, _ in todo]     # (tokens as the network reads them, tags)
            for sentence, probs in zip(todo, self._span_probs([(tokens, tags, spans(tags)) for tokens, tags in read])):
                sentence[2] = probs
            yield from map(tuple, chunk)

    def _consistent(self, tagged: Iterable[tuple[list[tuple], bool, list[float] | None]], window: int
                    ) -> Iterator[tuple[list[tuple], bool, list[float] | None]]:
        """:meth:`_span_probs_of`'s sentences, their entity types voted as in :func:`consistent_types`, each
        span's vote its probability (a count of 1 in a sentence longer than :attr:`window`). A sentence
        keeps its span probabilities if no type changed (a span's depends on its own tags only), else None."""
        waiting: deque = deque()   # sentences read, their new tags not yet out: at most window + 1

        def voters():
            for items, plain, probs in tagged:
                tags = [item[-1] for item in items]
                waiting.append((items, plain, probs, tags))
                words = [item[0] for item in items]
                yield (words, tags) if probs is None else (words, tags, probs)   # no weights: each span counts 1
        for new in consistent_types(voters(), window):
            items, plain, probs, tags = waiting.popleft()
            if new != tags:
                items, probs = [(*item[:-1], tag) for item, tag in zip(items, new)], None
            yield items, plain, probs

    def _tokenize(self, text: str, caller: str) -> Iterator[list[str]]:
        if not isinstance(text, str):
            raise TypeError(f"{caller}() takes a str, got {type(text).__name__}")
        if self.n_features and self.feature_tagger is None:
            raise TypeError(f"this model reads {self.n_features} feature column(s) beside each word; raw text "
                            f"has none: use the *_sents() methods with (word, feature, ...) tokens, or give the "
                            f"model the tagger of that column (Tagger.feature_tagger, --features-from)")
        return iter_sentences(text, self.language)

    @property
    def language(self) -> str:
        """The language of the text the model was trained on ("en", "es", "nl"): its tokenizer's rules."""
        return self.meta.get("language", "en")

    # -- entities (chunks) ------------------------------------------------------------------------
    def entities(self, tokens: Sequence, probs: bool = False) -> list[tuple]:
        """The entities (chunks) in one sentence as ``(start, end, type, text)``, ``end`` exclusive, read
        from its IOB / IOB2 / BIOES tags as conlleval reads them (:func:`tagger.chunks.spans`).

        With ``probs`` a fifth element: the probability that the model tags exactly this span, i.e.
        its tags, and neighbours that neither extend it nor run into it (with a CRF summed over all
        such tag sequences; with a softmax the product over the tokens)."""
        return self.entities_sents([tokens], probs)[0]

    def entities_sents(self, sentences: Sequence[Sequence], probs: bool = False, consistent: int = 0
                       ) -> list[list[tuple]]:
        """:meth:`entities` of many tokenized sentences, tagged in batches; with ``consistent=N`` read as
        one text, each name typed by its mentions within N sentences (:meth:`tag_stream`)."""
        if isinstance(sentences, str):
            raise TypeError("entities_sents() takes a list of token lists; for raw text use entities_text()")
        return list(self.entities_stream(sentences, probs, consistent))

    def entities_stream(self, sentences: Iterable[Sequence], probs: bool = False, consistent: int = 0
                        ) -> Iterator[list[tuple]]:
        """:meth:`entities` of sentences as they arrive, yielded in order (memory as in :meth:`tag_stream`)."""
        if isinstance(sentences, str):
            raise TypeError("entities_stream() takes an iterable of token lists; for raw text use entities_text()")
        if chunk_scheme(self.tagset) is None:
            raise ValueError(f"{self!r} does not tag chunks or entities (its tags: {' '.join(self.tagset[:8])} ...); "
                             f"entities need a model trained on IOB, IOB2 or BIOES tags")
        self._check_consistent(consistent)

        tagged = self._read(sentences, "entities(probs=True)" if probs else "")
        if consistent:
            tagged = self._consistent(self._span_probs_of(tagged), consistent)
        if probs:       # after a vote, only the sentences whose types changed are computed again
            tagged = self._span_probs_of(tagged)
        for items, _, span_probs in tagged:
            words = [item[0] for item in items]
            found = [(s, e, kind, " ".join(words[s:e])) for s, e, kind in spans([item[-1] for item in items])]
            yield [(*ent, p) for ent, p in zip(found, span_probs)] if probs else found

    def entities_text(self, text: str, probs: bool = False, consistent: int = 0) -> list[list[tuple]]:
        """:meth:`entities` of raw text, one list per sentence (tokenized as :meth:`tag_text` does)."""
        return self.entities_sents(self._tokenize(text, "entities_text"), probs, consistent)

    @torch.inference_mode()
    def _span_probs(self, sentences: list[tuple[list, list[str], list[tuple[int, int, str]]]]) -> list[list[float]]:
        """For each ``(tokens, tags, spans)`` of whole sentences, each span's probability: that the model tags
        exactly its tokens with its tags, and neighbours neither extend it nor run into it. The sentences
        go through the network in batches (``max_tokens``), their spans through the CRF ``SPAN_ROWS`` at a time."""
        labels = list(self.vocab.labels.strings)
        out: list[list[float]] = [[] for _ in sentences]
        todo = [i for i, (_, _, found) in enumerate(sentences) if found]
        for idx in token_batches([len(sentences[i][0]) for i in todo], self.max_tokens):
            batch = [todo[j] for j in idx]
            scores, mask = self._scores([sentences[i][0] for i in batch])
            rows, allowed = [], []
            for row, i in enumerate(batch):
                _, tags, found = sentences[i]
                rows += [row] * len(found)
                allowed.append(_allowed_spans(tags, found, labels, scores.shape[1]))
            every, rows = torch.cat(allowed).to(scores.device), torch.tensor(rows, device=scores.device)
            logp = torch.cat([self.model.log_prob_within(scores[r], mask[r], every[k: k + SPAN_ROWS])
                              for k in range(0, len(rows), SPAN_ROWS) for r in [rows[k: k + SPAN_ROWS]]])
            at = 0
            for i in batch:
                out[i] = logp[at: at + len(sentences[i][2])].exp().tolist()
                at += len(out[i])
        return out

    @property
    def tagset(self) -> list[str]:
        return list(self.vocab.labels.strings)

    def __repr__(self) -> str:
        c = self.config
        crf = "-CRF" if c.output == "crf" else ""
        members = f"ensemble of {self.members}: " if self.members > 1 else ""
        return (f"Tagger({members}{c.num_layers}-layer {'Bi' if c.bidirectional else ''}{c.cell.upper()}{crf}, "
                f"{len(self.vocab.labels)} tags, {len(self.vocab.words)} words)")


def check_feature_tagger(tagger: Tagger, columns: int, values: Iterable[str]) -> None:
    """Refuse a tagger that cannot write a model's feature column: the model (or its data) reads ``columns``
    columns beside each word, the first of which takes ``values``."""
    if columns != 1:
        raise ValueError(f"a feature tagger writes one column beside each word; this model (its data) reads {columns}")
    if tagger.n_features or tagger.members > 1:
        raise ValueError("a feature tagger must be one tagger of words only (no feature columns, no ensemble)")
    known = set(values) - {PAD, UNK}
    unknown = [t for t in tagger.tagset if t not in known]
    if unknown:
        raise ValueError(f"the feature tagger's tags {' '.join(unknown[:8])}{' ...' if len(unknown) > 8 else ''} "
                         f"are not values of this model's feature column (it knows {' '.join(sorted(known)[:8])} "
                         f"...): was it trained on that column?")


def load_default(device: str | torch.device = DEFAULT_DEVICE) -> Tagger:
    """The tagger shipped with the package (PTB tags, trained on the Penn Treebank sample), on ``device``."""
    return Tagger.shipped(DEFAULT_MODEL, "train one with `tagger train --corpus treebank --out DIR` and load "
                                         "it with Tagger.load(DIR)", device)
