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

from collections.abc import Iterable, Iterator, Sequence
from importlib.resources import files
from pathlib import Path

import torch
from nltk.tag.api import TaggerI

from corpora.batch import check_tokens, encode_words, split_tokens, token_batches, windows
from corpora.text import iter_sentences
from corpora.vocab import PAD, UNK
from deeptrees.device import DEFAULT_DEVICE
from deeptrees.network import TrainedNetwork

from .chunks import chunk_scheme, continues, spans
from .model import SequenceTagger, TaggerConfig

DEFAULT_MODEL = files("tagger") / "default_model"


def split_batch(sentences: list[list]) -> tuple[list[list[str]], list | None]:
    """Sentences of tokens (str, or tuples with features) -> (word lists, feature lists or None)."""
    words, features = zip(*(split_tokens(s) for s in sentences))
    return list(words), (list(features) if features[0] is not None else None)


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

    def tag_sents(self, sentences: Sequence[Sequence], probs: bool = False) -> list[list[tuple]]:
        """Tag many tokenized sentences at once, in batches of similar length (``probs`` as in :meth:`tag`)."""
        if isinstance(sentences, str):
            raise TypeError("tag_sents() takes a list of token lists; for raw text use tag_text()")
        return list(self.tag_stream(sentences, probs))

    def tag_stream(self, sentences: Iterable[Sequence], probs: bool = False) -> Iterator[list[tuple]]:
        """Tag sentences as they arrive (any iterable: a generator, a file's lines split into tokens),
        yielding each tagged sentence in order. Only a block of about ``4 * max_tokens`` tokens is held
        at a time, so memory does not grow with the length of the stream."""
        if isinstance(sentences, str):
            raise TypeError("tag_stream() takes an iterable of token lists; for raw text use tag_text()")
        block: list[list] = []
        size = 0
        for i, tokens in enumerate(sentences):
            block.append(self._check(tokens, f"sentence {i}"))
            size += len(block[-1])
            if size >= 4 * self.max_tokens:      # enough sentences to sort by length: little padding
                yield from self._tag(block, probs)
                block, size = [], 0
        if block:
            yield from self._tag(block, probs)

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

    def tag_text(self, text: str, probs: bool = False) -> list[list[tuple]]:
        """Split raw text into sentences and tokens with the rules of the model's :attr:`language` (no NLTK
        data needed), then tag each sentence (tokenized as it is tagged: the text is not held twice)."""
        return list(self.tag_stream(self._tokenize(text, "tag_text"), probs))

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

    def entities_sents(self, sentences: Sequence[Sequence], probs: bool = False) -> list[list[tuple]]:
        """:meth:`entities` of many tokenized sentences, tagged in batches."""
        if isinstance(sentences, str):
            raise TypeError("entities_sents() takes a list of token lists; for raw text use entities_text()")
        if chunk_scheme(self.tagset) is None:
            raise ValueError(f"{self!r} does not tag chunks or entities (its tags: {' '.join(self.tagset[:8])} ...); "
                             f"entities need a model trained on IOB, IOB2 or BIOES tags")
        checked = self._featured([self._check(s, f"sentence {i}") for i, s in enumerate(sentences)])   # once
        if probs:
            for i, tokens in enumerate(checked):
                self._whole(tokens, f"entities(probs=True) (sentence {i})")
        out = []
        for tokens, tagged in zip(checked, self._tag(checked)):
            tags = [item[-1] for item in tagged]
            found = spans(tags)
            words = [item[0] for item in tagged]
            found_entities = [(s, e, kind, " ".join(words[s:e])) for s, e, kind in found]
            if probs and found:
                found_entities = [(*ent, p) for ent, p in zip(found_entities, self._span_probs(tokens, tags, found))]
            out.append(found_entities)
        return out

    def entities_text(self, text: str, probs: bool = False) -> list[list[tuple]]:
        """:meth:`entities` of raw text, one list per sentence (tokenized as :meth:`tag_text` does)."""
        return self.entities_sents(self._tokenize(text, "entities_text"), probs)

    @torch.inference_mode()
    def _span_probs(self, tokens: list, tags: list[str], found: list[tuple[int, int, str]]) -> list[float]:
        labels = list(self.vocab.labels.strings)
        scores, mask = self._scores([tokens])
        allowed = torch.ones(len(found), len(tags), len(labels), dtype=torch.bool)
        for k, (start, end, _) in enumerate(found):
            for t in range(start, end):
                allowed[k, t] = False
                allowed[k, t, labels.index(tags[t])] = True
            if start > 0:       # the token before does not run into the span ...
                allowed[k, start - 1] = torch.tensor([not continues(lab, tags[start]) for lab in labels])
            if end < len(tags):  # ... and the token after does not extend it
                allowed[k, end] = torch.tensor([not continues(tags[end - 1], lab) for lab in labels])
        return self.model.log_prob_within(scores, mask, allowed.to(scores.device)).exp().tolist()

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
