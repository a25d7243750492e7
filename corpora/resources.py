"""Find NLTK data through NLTK's own search path, and fail with a message a user can act on.

NLTK raises a long ``LookupError`` from deep inside its loader when a corpus is missing.
We check first, so the user sees one line naming the resource and the command that fetches it.
"""
from __future__ import annotations

import nltk

# resource path as nltk.data.find() wants it -> package id for `python -m nltk.downloader`
PACKAGES = {
    "corpora/treebank": "treebank",
    "corpora/brown": "brown",
    "corpora/conll2000": "conll2000",
    "corpora/conll2002": "conll2002",
    "corpora/cess_esp": "cess_esp",
    "corpora/alpino": "alpino",
    "corpora/sentence_polarity": "sentence_polarity",
    "corpora/dependency_treebank": "dependency_treebank",
    "taggers/universal_tagset": "universal_tagset",
}


class ResourceNotFound(LookupError):
    """An NLTK corpus or model that the code needs is not on NLTK's data path."""

    def __init__(self, resource: str, package: str):
        self.resource = resource
        self.package = package
        super().__init__(
            f"NLTK resource {resource!r} was not found on NLTK's data path "
            f"(NLTK_DATA or nltk.data.path). Get it with:  python -m nltk.downloader {package}  "
            f"(or in Python: nltk.download({package!r})), or set NLTK_DATA to a folder that holds "
            f"{resource}.zip."
        )

    def __str__(self) -> str:  # LookupError would repr() the message with quotes
        return self.args[0]


def require(resource: str) -> None:
    """Raise :class:`ResourceNotFound` unless ``resource`` (e.g. ``"corpora/treebank"``) is installed."""
    for candidate in (resource, resource + ".zip"):  # unzipped folder, or the zip NLTK reads in place
        try:
            nltk.data.find(candidate)
            return
        except LookupError:
            pass
    package = PACKAGES.get(resource, resource.rsplit("/", 1)[-1])
    raise ResourceNotFound(resource, package)
