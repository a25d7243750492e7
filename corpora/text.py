"""Raw text to token lists with tokenizers that need no downloaded NLTK data (no punkt)."""
from __future__ import annotations

import re

from nltk.tokenize import NLTKWordTokenizer

_tokenizer = NLTKWordTokenizer()
# a sentence ends at . ! or ? (maybe followed by quotes/brackets) before whitespace and a capital
# letter, digit or opening quote, unless the period belongs to a title or a single initial
_ABBREV = r"(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bDr)(?<!\bSt)(?<!\bJr)(?<!\bSr)(?<!\bvs)(?<!\b[A-Z])"
_SENT_END = re.compile(_ABBREV + r"""([.!?]+["')\]]*)\s+(?=["'(\[]?[A-Z0-9])""")


def split_sentences(text: str) -> list[str]:
    """Split text into sentences by punctuation and capitals, and always at line breaks."""
    out: list[str] = []
    for line in text.splitlines():
        out.extend(s.strip() for s in _SENT_END.sub(r"\1\n", line).split("\n") if s.strip())
    return out


def tokenize(sentence: str) -> list[str]:
    """Penn-Treebank-style word tokens of one sentence (``"don't"`` -> ``["do", "n't"]``)."""
    return _tokenizer.tokenize(sentence)


def tokenize_text(text: str) -> list[list[str]]:
    """Sentences of word tokens."""
    return [tokenize(s) for s in split_sentences(text)]
