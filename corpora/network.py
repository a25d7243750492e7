"""What a trained network is to its users: the torch module, its vocabulary, its architecture
config and free-form metadata, with ``new``, ``save`` and ``load``. ``tagger.Tagger`` and
``treernn.TreeNet`` add their own tagging / prediction methods on top."""
from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from torch import nn

from .io import load_network, save_network
from .vocab import Vocab
from .wordvectors import WordVectors


class TrainedNetwork:
    KIND: ClassVar[str]            # written to config.json; loading checks it
    CONFIG: ClassVar[type]         # the architecture dataclass
    MODULE: ClassVar[type]         # the nn.Module, built as MODULE(vocab, config)
    BATCH_SIZE: ClassVar[int] = 64  # items per inference batch

    def __init__(self, model: nn.Module, vocab: Vocab, config, meta: dict | None = None):
        self.model = model.eval()
        self.vocab = vocab
        self.config = config
        self.meta = meta or {}
        self.batch_size = self.BATCH_SIZE

    @classmethod
    def new(cls, vocab: Vocab, config=None, vectors: WordVectors | None = None):
        """An untrained network for ``vocab`` (default architecture unless ``config`` is given).

        ``vectors`` fill the embedding's frozen vector table (``config`` must be sized for them,
        see :func:`corpora.wordvectors.sized_for`; ``vocab`` built with their words)."""
        config = config or cls.CONFIG()
        net = cls(cls.MODULE(vocab, config), vocab, config)
        if vectors is not None:
            net.model.embedding.load_vectors(vectors)
        return net

    def save(self, folder: str | Path) -> Path:
        """Write ``config.json``, ``vocab.json`` and ``model.safetensors`` into ``folder``."""
        return save_network(folder, self.KIND, self.model, self.config, self.vocab, self.meta)

    @classmethod
    def load(cls, folder: str | Path):
        """Load what :meth:`save` wrote; no code is executed (JSON + safetensors)."""
        return cls(*load_network(folder, cls.KIND, cls.CONFIG, cls.MODULE))
