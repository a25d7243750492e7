"""A trained tagger behind NLTK's ``TaggerI`` interface.

>>> import tagger
>>> t = tagger.load_default()
>>> t.tag("The old man the boats .".split())        # doctest: +SKIP
[('The', 'DT'), ('old', 'JJ'), ('man', 'NN'), ('the', 'DT'), ('boats', 'NNS'), ('.', '.')]
>>> t.tag_text("Time flies like an arrow. Fruit flies like a banana.")   # doctest: +SKIP
[[('Time', 'NN'), ...], [('Fruit', 'NN'), ...]]

``accuracy(gold)`` and ``confusion(gold)`` come from ``nltk.tag.api.TaggerI``.
"""
from __future__ import annotations

from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path

import torch
from nltk.tag.api import TaggerI

from corpora.batch import check_tokens, encode_words, length_batches
from corpora.text import tokenize_text
from deeptrees.network import TrainedNetwork

from .model import SequenceTagger, TaggerConfig

DEFAULT_MODEL = files("tagger") / "default_model"


class Tagger(TrainedNetwork, TaggerI):
    """Tags token lists with a :class:`SequenceTagger`; batched, deterministic, CPU-friendly."""

    KIND, CONFIG, MODULE, BATCH_SIZE = "tagger", TaggerConfig, SequenceTagger, 256

    # -- tagging -------------------------------------------------------------------------------
    def tag(self, tokens: Sequence[str]) -> list[tuple[str, str]]:
        """Tag one tokenized sentence: ``["The", "dog"] -> [("The", "DT"), ("dog", "NN")]``."""
        return self._tag([check_tokens(tokens, "tokens")])[0]

    def tag_sents(self, sentences: Sequence[Sequence[str]]) -> list[list[tuple[str, str]]]:
        """Tag many tokenized sentences at once, in batches of similar length."""
        if isinstance(sentences, str):
            raise TypeError("tag_sents() takes a list of token lists; for raw text use tag_text()")
        return self._tag([check_tokens(s, f"sentence {i}") for i, s in enumerate(sentences)])

    def _tag(self, sentences: list[list[str]]) -> list[list[tuple[str, str]]]:
        """Tag sentences already checked by :func:`check_tokens`."""
        tags: list[list[str]] = [[] for _ in sentences]
        nonempty = [i for i, s in enumerate(sentences) if s]
        lengths = [len(sentences[i]) for i in nonempty]
        self.model.eval()
        with torch.inference_mode():
            for idx in length_batches(lengths, self.batch_size):
                batch_ids = [nonempty[j] for j in idx]
                batch = encode_words(self.vocab, [sentences[i] for i in batch_ids]).to(self.device)
                best = self.model(batch).argmax(-1).tolist()
                for row, i in zip(best, batch_ids):
                    tags[i] = [self.vocab.labels[k] for k in row[: len(sentences[i])]]
        return [list(zip(s, t)) for s, t in zip(sentences, tags)]

    def tag_text(self, text: str) -> list[list[tuple[str, str]]]:
        """Split raw text into sentences and tokens (no NLTK data needed), then tag each sentence."""
        if not isinstance(text, str):
            raise TypeError(f"tag_text() takes a str, got {type(text).__name__}")
        return self.tag_sents(tokenize_text(text))

    @property
    def tagset(self) -> list[str]:
        return list(self.vocab.labels.strings)

    def __repr__(self) -> str:
        c = self.config
        return (f"Tagger({c.num_layers}-layer {'Bi' if c.bidirectional else ''}{c.cell.upper()}, "
                f"{len(self.vocab.labels)} tags, {len(self.vocab.words)} words)")


_default: Tagger | None = None


def load_default() -> Tagger:
    """The tagger shipped with the package (PTB tags, trained on the Penn Treebank sample)."""
    global _default
    if _default is None:
        _default = Tagger.load(Path(str(DEFAULT_MODEL)))
    return _default
