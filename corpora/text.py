"""Raw text to token lists with tokenizers that need no downloaded NLTK data (no punkt).

``language`` picks the rules; models remember the language they were trained on:

- ``"en"``: NLTK's Penn-Treebank-style word tokenizer (``"don't"`` -> ``do n't``), as the treebank.
- ``"es"``, ``"nl"``: a rule tokenizer that writes tokens as CoNLL-2002 does. Words keep their accented
  letters, inner hyphens and apostrophes (``zo'n``, ``d'r``, ``Hewlett-Packard``); ``¿ ¡ « »`` and
  other punctuation are tokens of their own; numbers keep their inner ``. , :`` (``1.000,50``,
  ``21.00``); known abbreviations (``Sr. Sra. Dra. etc. pág.``, ``dhr. mevr. bijv. enz.``), dotted
  initialisms (``EE.UU.``, ``o.a.``) and initials before a name (``J. Smit``) keep their periods.
  Dutch ``'s 't 'n`` (``'s avonds``) are tokens, ``'s-Hertogenbosch`` one. Spanish contractions and clitics stay whole
  (``del``, ``al``, ``dámelo``), as in the CoNLL-2002 data.

Sentences end at ``. ! ? ...`` (with any closing quotes or brackets) before a capital, a digit or an
opening ``¿ ¡ " « (``, and always at a line break.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

from nltk.tokenize import NLTKWordTokenizer

LANGUAGES = ("en", "es", "nl")
_tokenizer = NLTKWordTokenizer()
# a sentence ends at . ! or ? (maybe followed by quotes/brackets) before whitespace and a capital
# letter, digit or opening quote, unless the period belongs to a title or a single initial
_ABBREV = r"(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bDr)(?<!\bSt)(?<!\bJr)(?<!\bSr)(?<!\bvs)(?<!\b[A-Z])"
_SENT_END = re.compile(_ABBREV + r"""([.!?]+["')\]]*)\s+(?=["'(\[]?[A-Z0-9])""")

ABBREVIATIONS = {   # written without their final period; matched ignoring case
    "es": "sr sra srta sres dr dra dña d ud uds vd vds av avda pza prof gral lic ing arq excmo ilmo mons sto sta "
          "etc pág págs núm tel aprox art cap vol ej fig",
    "nl": "dhr mevr mw mr ir ing drs dr prof ds st bijv bv enz etc jl jr sr nr tel vs zgn fr ca resp ong incl excl",
}
_LETTER = r"[^\W\d_]"


def _rule_tokenizer(language: str) -> re.Pattern:
    abbreviations = "|".join(sorted(ABBREVIATIONS[language].split(), key=len, reverse=True))
    clitic = r"'(?:s|t|n|k|m|r|ns)(?:-\w+)*(?!\w)|" if language == "nl" else ""
    return re.compile(
        r"https?://\S+|[\w.+-]+@\w+(?:\.\w+)+"                             # URLs, e-mail addresses
        rf"|(?<![\w.])(?i:{abbreviations})\.(?!\w)"                        # Sr. dhr.
        rf"|(?:{_LETTER}{{1,3}}\.){{2,}}(?!\w)"                            # EE.UU. o.a.
        rf"|\b{_LETTER}\.(?=\s+[^\W\d_])"                                  # J. Smit
        r"|\d+(?:[.,:/]\d+)*"                                             # 1.000,50 21.00 3/4
        rf"|{clitic}\w(?:\w|[-'’](?=\w))*"                                 # words, zo'n, Hewlett-Packard
        r"|\.\.\.|…|\S")                                                   # ... and any other symbol


_RULES = {language: _rule_tokenizer(language) for language in ABBREVIATIONS}
_ENDS = {".", "!", "?", "...", "…"}
_CLOSERS = set("\"')]»”’")
_OPENERS = set("¿¡\"«(“‘'")


def check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; the tokenizer knows {', '.join(LANGUAGES)}")
    return language


def split_sentences(text: str) -> list[str]:
    """Split English text into sentences by punctuation and capitals, and always at line breaks."""
    out: list[str] = []
    for line in text.splitlines():
        out.extend(s.strip() for s in _SENT_END.sub(r"\1\n", line).split("\n") if s.strip())
    return out


def tokenize(sentence: str, language: str = "en") -> list[str]:
    """Word tokens of one sentence (``"don't"`` -> ``["do", "n't"]`` in English; see the module doc)."""
    if check_language(language) == "en":
        return _tokenizer.tokenize(sentence)
    return _RULES[language].findall(sentence)


def _split_tokens(tokens: list[str]) -> list[list[str]]:
    """Cut a line's tokens after sentence-final punctuation that precedes a sentence start."""
    out, start, i = [], 0, 0
    while i < len(tokens):
        if tokens[i] in _ENDS:
            j = i + 1
            while j < len(tokens) and tokens[j] in _CLOSERS:
                j += 1
            if j < len(tokens) and (tokens[j][0].isupper() or tokens[j][0].isdigit() or tokens[j][0] in _OPENERS):
                out.append(tokens[start:j])
                start = i = j
                continue
        i += 1
    return out + ([tokens[start:]] if start < len(tokens) else [])


def iter_sentences(text: str, language: str = "en") -> Iterator[list[str]]:
    """Sentences of word tokens, one at a time, a line of the text at a time."""
    check_language(language)
    return _sentences(text, language)


def _sentences(text: str, language: str) -> Iterator[list[str]]:
    for line in text.splitlines():
        if language == "en":
            yield from (tokenize(s) for s in split_sentences(line))
        else:
            yield from (sent for sent in _split_tokens(tokenize(line, language)) if sent)


def tokenize_text(text: str, language: str = "en") -> list[list[str]]:
    """Sentences of word tokens (the list of :func:`iter_sentences`)."""
    return list(iter_sentences(text, language))
