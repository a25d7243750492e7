"""Tagged files people bring: ``word/TAG`` lines, CoNLL column files and CoNLL-U.

Every reader returns sentences of ``(word, tag)`` pairs, or ``(word, feature, ..., tag)`` tuples
when other columns are kept as input features, and every error names the file and the line:

- ``word/TAG`` (:func:`read_slash`): one sentence a line, the last ``/`` splits word and tag.
- CoNLL columns (:func:`read_columns`): one token a line, whitespace-separated columns named by
  ``columns`` (``"word,pos,chunk"``; ``_`` skips a column), a blank line between sentences,
  ``-DOCSTART-`` lines are document breaks. ``label`` names the column to predict (default: the last
  named one); the other named columns become input features.
- CoNLL-U (:func:`read_conllu`): UPOS (default) or XPOS as the label; multi-word token ranges
  (``1-2``) and empty nodes (``8.1``) are skipped, so the words are the syntactic words. A space
  inside a form (allowed in CoNLL-U) becomes ``_``.

Files must be UTF-8 (a byte-order mark is dropped); an empty file is an error, not an empty corpus.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

CONLLU_LABELS = ("upos", "xpos")
FORMATS = ("auto", "slash", "columns", "conllu")


def read_text(path: str | Path) -> str:
    """A UTF-8 text file's contents (a byte-order mark dropped); a file that is not UTF-8 is a
    ``ValueError`` naming the file, the byte offset and the line."""
    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise ValueError(f"{path}: not UTF-8 text: byte {data[e.start]:#04x} at offset {e.start} (line {line}); "
                         f"convert the file to UTF-8") from None


def _nonempty(sentences: list, path: str | Path) -> list:
    if not sentences:
        raise ValueError(f"{path} holds no tagged sentences")
    return sentences


def read_slash(path: str | Path) -> list[list[tuple[str, str]]]:
    """One sentence a line, tokens written ``word/TAG`` (the last ``/`` splits), as NLTK's ``str2tuple``."""
    sentences = []
    for lineno, line in enumerate(read_text(path).splitlines(), 1):
        sent = []
        for tok in line.split():
            word, sep, tag = tok.rpartition("/")
            if not sep or not word or not tag:
                raise ValueError(f"{path}:{lineno}: token {tok!r} is not of the form word/TAG")
            sent.append((word, tag))
        if sent:
            sentences.append(sent)
    return _nonempty(sentences, path)


def parse_columns(columns: str | Sequence[str], label: str | None = None,
                  labelled: bool = True) -> tuple[list[str], str | None]:
    """``"word,pos,chunk"`` -> (names, label); checks there is a word column and, if ``labelled``, a
    label column (default: the last named one)."""
    names = [c.strip() for c in columns.split(",")] if isinstance(columns, str) else list(columns)
    named = [c for c in names if c != "_"]
    if "word" not in named:
        raise ValueError(f"columns {','.join(names)!r} have no 'word' column")
    if len(set(named)) != len(named):
        raise ValueError(f"columns {','.join(names)!r} name a column twice")
    if not labelled:
        return names, None
    label = label or named[-1]
    if label not in named or label == "word":
        raise ValueError(f"the label column {label!r} is not one of the named columns {', '.join(named)} (but word)")
    return names, label


def column_sentences(lines: Iterable[str], where: str, columns: str | Sequence[str], label: str | None = None,
                     labelled: bool = True) -> Iterator[list]:
    """Sentences of a CoNLL column text, read line by line: ``(word, feature, ..., label)`` tuples, or
    without ``labelled``, tokens (the word, or ``(word, feature, ...)`` when there are features)."""
    names, label = parse_columns(columns, label, labelled)
    keep = [names.index("word")] + [i for i, c in enumerate(names) if c not in ("_", "word", label)] + \
        ([names.index(label)] if label else [])
    sent: list = []
    for lineno, line in enumerate(lines, 1):
        fields = line.split()
        if not fields or fields[0] == "-DOCSTART-":
            if sent:
                yield sent
            sent = []
            continue
        if len(fields) < len(names):
            raise ValueError(f"{where}:{lineno}: {len(fields)} column(s), expected {len(names)} "
                             f"({','.join(names)}): {line.strip()[:60]!r}")
        item = tuple(fields[i] for i in keep)
        sent.append(item if labelled or len(item) > 1 else item[0])
    if sent:
        yield sent


def conllu_sentences(lines: Iterable[str], where: str, label: str | None = "upos") -> Iterator[list]:
    """Sentences of a CoNLL-U text, read line by line: ``(form, UPOS or XPOS)`` pairs, or the forms
    alone with ``label=None``."""
    if label is not None and label not in CONLLU_LABELS:
        raise ValueError(f"a CoNLL-U label is upos or xpos, got {label!r}")
    column = 3 if label == "upos" else 4
    sent: list = []
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            if sent:
                yield sent
            sent = []
            continue
        if line.startswith("#"):
            continue
        fields = line.rstrip("\r\n").split("\t")
        if len(fields) != 10:
            raise ValueError(f"{where}:{lineno}: {len(fields)} tab-separated field(s), CoNLL-U has 10: "
                             f"{line.strip()[:60]!r}")
        if "-" in fields[0] or "." in fields[0]:
            continue                                  # multi-word token range or empty node
        if not fields[0].isdigit():
            raise ValueError(f"{where}:{lineno}: token id {fields[0]!r} is not a number")
        form = fields[1].replace(" ", "_")
        if not form:
            raise ValueError(f"{where}:{lineno}: token {fields[0]} has no form")
        if label is None:
            sent.append(form)
            continue
        if fields[column] in ("", "_"):
            raise ValueError(f"{where}:{lineno}: token {fields[0]} has no {label.upper()}")
        sent.append((form, fields[column]))
    if sent:
        yield sent


def read_columns(path: str | Path, columns: str | Sequence[str], label: str | None = None) -> list[list[tuple]]:
    """A CoNLL column file -> sentences of ``(word, feature, ..., label)`` tuples (see the module doc)."""
    return _nonempty(list(column_sentences(read_text(path).splitlines(), str(path), columns, label)), path)


def read_conllu(path: str | Path, label: str = "upos") -> list[list[tuple[str, str]]]:
    """A CoNLL-U file -> sentences of ``(form, UPOS or XPOS)`` pairs (see the module doc)."""
    return _nonempty(list(conllu_sentences(read_text(path).splitlines(), str(path), label)), path)


def read_tagged(path: str | Path, file_format: str = "auto", columns: str | None = None,
                label: str | None = None) -> list[list[tuple]]:
    """Any of the formats above; ``auto`` means CoNLL-U for ``*.conllu``, columns when ``columns`` is
    given, else ``word/TAG`` lines."""
    if file_format not in FORMATS:
        raise ValueError(f"file format must be one of {', '.join(FORMATS)}, got {file_format!r}")
    if file_format == "auto":
        file_format = "conllu" if str(path).endswith(".conllu") else "columns" if columns else "slash"
    if file_format == "conllu":
        return read_conllu(path, label or "upos")
    if file_format == "columns":
        if not columns:
            raise ValueError("a column file needs its columns named (--columns word,pos,chunk)")
        return read_columns(path, columns, label)
    return read_slash(path)
