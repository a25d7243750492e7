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

from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path

import torch
from nltk.tag.api import TaggerI

from corpora.batch import check_tokens, encode_words, length_batches, split_tokens
from corpora.text import tokenize_text
from deeptrees.network import TrainedNetwork

from .chunks import chunk_scheme, continues, spans
from .model import SequenceTagger, TaggerConfig

DEFAULT_MODEL = files("tagger") / "default_model"


def split_batch(sentences: list[list]) -> tuple[list[list[str]], list | None]:
    """Sentences of tokens (str, or tuples with features) -> (word lists, feature lists or None)."""
    words, features = zip(*(split_tokens(s) for s in sentences))
    return list(words), (list(features) if features[0] is not None else None)


class Tagger(TrainedNetwork, TaggerI):
    """Tags token lists with a :class:`SequenceTagger`; batched, deterministic, CPU-friendly."""

    KIND, CONFIG, MODULE, BATCH_SIZE = "tagger", TaggerConfig, SequenceTagger, 256

    # -- tagging -------------------------------------------------------------------------------
    @property
    def n_features(self) -> int:
        """How many feature columns a token carries beside its word (0: tokens are plain str)."""
        return len(self.vocab.features or ())

    def _check(self, tokens, where: str) -> list:
        return check_tokens(tokens, where, self.n_features)

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
        return self._tag([self._check(s, f"sentence {i}") for i, s in enumerate(sentences)], probs)

    def nbest(self, tokens: Sequence, k: int = 5) -> list[tuple[list[str], float]]:
        """Up to ``k`` tag sequences for one sentence with their log-probabilities, best first; the first
        is :meth:`tag`'s answer. (A softmax tagger scores tokens independently; a CRF, whole sequences.)"""
        if type(k) is not int or k < 1:
            raise ValueError(f"k must be an integer >= 1, got {k!r}")
        tokens = self._check(tokens, "tokens")
        if not tokens:
            return [([], 0.0)]
        with torch.inference_mode():
            (scores, mask), = self._scores([tokens])
            paths = self.model.nbest(scores, mask, k)[0]
        return [([self.vocab.labels[t] for t in seq], score) for seq, score in paths]

    def _scores(self, sentences: list[list]):
        """(tag scores, mask) of batches of checked, non-empty sentences, in order (callers run
        in inference mode)."""
        self.model.eval()
        for start in range(0, len(sentences), self.batch_size):
            chunk = sentences[start: start + self.batch_size]
            batch = encode_words(self.vocab, *split_batch(chunk)).to(self.device)
            yield self.model(batch), batch.mask

    @torch.inference_mode()
    def _tag(self, sentences: list[list], probs: bool = False) -> list[list[tuple]]:
        """Tag sentences already checked by :func:`check_tokens`."""
        out: list[list[tuple]] = [[] for _ in sentences]
        nonempty = [i for i, s in enumerate(sentences) if s]
        order = [nonempty[j] for idx in length_batches([len(sentences[i]) for i in nonempty], self.batch_size)
                 for j in idx]        # similar lengths together: little padding
        labels = self.vocab.labels
        done = 0
        for scores, mask in self._scores([sentences[i] for i in order]):
            tags = self.model.decode(scores, mask)
            p = self.model.tag_probs(scores, mask) if probs else None
            for row, seq in enumerate(tags):
                i = order[done + row]
                items = [(*tok, labels[t]) if isinstance(tok, tuple) else (tok, labels[t])
                         for tok, t in zip(sentences[i], seq)]
                if p is not None:
                    chosen = p[row, torch.arange(len(seq)), torch.tensor(seq)].tolist()
                    items = [(*item, q) for item, q in zip(items, chosen)]
                out[i] = items
            done += len(tags)
        return out

    def tag_text(self, text: str, probs: bool = False) -> list[list[tuple]]:
        """Split raw text into sentences and tokens with the rules of the model's :attr:`language` (no NLTK
        data needed), then tag each sentence."""
        return self.tag_sents(self._tokenize(text, "tag_text"), probs)

    def _tokenize(self, text: str, caller: str) -> list[list[str]]:
        if not isinstance(text, str):
            raise TypeError(f"{caller}() takes a str, got {type(text).__name__}")
        if self.n_features:
            raise TypeError(f"this model reads {self.n_features} feature column(s) beside each word; raw text "
                            f"has none: use the *_sents() methods with (word, feature, ...) tokens")
        return tokenize_text(text, self.language)

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
        checked = [self._check(s, f"sentence {i}") for i, s in enumerate(sentences)]
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
        (scores, mask), = self._scores([tokens])
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
        return (f"Tagger({c.num_layers}-layer {'Bi' if c.bidirectional else ''}{c.cell.upper()}{crf}, "
                f"{len(self.vocab.labels)} tags, {len(self.vocab.words)} words)")


_default: Tagger | None = None


def load_default() -> Tagger:
    """The tagger shipped with the package (PTB tags, trained on the Penn Treebank sample)."""
    global _default
    if _default is None:
        _default = Tagger.load(Path(str(DEFAULT_MODEL)))
    return _default
