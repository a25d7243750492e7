"""What a trained network is to its users: the torch module, its vocabulary, its architecture
config and free-form metadata, with ``new``, ``save``, ``load`` and ``to(device)``.
``tagger.Tagger`` and ``treernn.TreeNet`` add their own tagging / prediction methods on top.

Both kinds read words through the same :class:`corpora.TokenEmbedding` (``model.embedding``), so
:func:`load_embedding` can hand any saved model's embedding to a new network of either kind.
"""
from __future__ import annotations

import copy
import warnings
from dataclasses import asdict
from pathlib import Path
from typing import ClassVar

import torch
from torch import nn

from corpora.embedding import EmbeddingConfig
from corpora.vocab import Vocab
from corpora.wordvectors import WordVectors

from .device import DEFAULT_DEVICE, resolve_device
from .files import ModelFileError, sha256
from .modelfile import CONFIG, load_model, load_network, model_kind, save_network, tensors_to_bytes, vocab_to_bytes


class NetworkConfig:
    """What the architecture dataclasses (tagger, tree net) share: the checks on ``cell``,
    ``hidden_size`` and ``dropout`` (``CELLS`` names the valid cells), the JSON round trip
    of a config holding an ``embedding``, and which weight shape each size must match (``SIZES``)."""

    CELLS: ClassVar[dict]
    # config field -> (tensor, axis) whose length it is; checked against a weights file before building
    SIZES: ClassVar[dict[str, tuple[str, int]]] = {
        "embedding.word_dim": ("embedding.words.weight", 1),
        "embedding.shape_dim": ("embedding.shapes.weight", 1),
        "embedding.char_dim": ("embedding.char_encoder.chars.weight", 1),
        "embedding.vector_dim": ("embedding.vectors", 1),
        "embedding.feature_dim": ("embedding.features.0.weight", 1),
    }

    def check_sizes(self, state: dict[str, torch.Tensor], where: Path) -> None:
        """Refuse weights whose shapes another value of a size field would need, naming the field."""
        for name, (tensor, axis) in self.SIZES.items():
            value = self
            for part in name.split("."):
                value = getattr(value, part)
            if tensor in state and state[tensor].dim() > axis and state[tensor].shape[axis] != value:
                raise ModelFileError(f"{where.parent / CONFIG}: {name} is {value}, but {tensor} in {where.name} "
                                     f"has {state[tensor].shape[axis]} (shape {tuple(state[tensor].shape)})")

    def __post_init__(self) -> None:
        if self.cell not in self.CELLS:
            raise ValueError(f"cell must be one of {', '.join(self.CELLS)}, got {self.cell!r}")
        if self.hidden_size < 1:
            raise ValueError(f"hidden_size must be >= 1, got {self.hidden_size}")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict):
        d = dict(d)
        if isinstance(d.get("embedding"), dict):
            d["embedding"] = EmbeddingConfig(**d["embedding"])
        return cls(**d)


_SHIPPED: dict[tuple[Path, torch.device], "TrainedNetwork"] = {}   # shipped models, loaded once per device


class TrainedNetwork:
    KIND: ClassVar[str]            # written to config.json; loading checks it
    CONFIG: ClassVar[type]         # the architecture dataclass
    MODULE: ClassVar[type]         # the nn.Module, built as MODULE(vocab, config)
    BATCH_SIZE: ClassVar[int] = 64  # items per inference batch
    int8: bool = False              # a quantized() copy

    def __init__(self, model: nn.Module, vocab: Vocab, config, meta: dict | None = None):
        self.model = model.eval()
        self.vocab = vocab
        self.config = config
        self.meta = meta or {}
        self.batch_size = self.BATCH_SIZE
        self.device = next(model.parameters()).device
        self.parts: dict[str, TrainedNetwork] = {}   # networks it needs at inference, saved with it (attach)

    def attach(self, name: str, part: TrainedNetwork) -> None:
        """Carry ``part``, a network of the same kind, under ``name``: it moves, is saved and is loaded with
        this one (as files of the same folder, replaced as one unit). What a name means is the subclass's:
        :meth:`check_part` refuses names and networks it cannot use."""
        if not isinstance(part, type(self)):
            raise TypeError(f"a part of a {self.KIND} is a {type(self).__name__}, got {type(part).__name__}")
        if part.parts:
            raise ValueError(f"part {name!r} carries parts of its own; parts do not nest")
        if part.int8:
            raise ValueError(f"part {name!r} is an int8 copy, which cannot be saved; attach the network it was made from")
        self.check_part(name, part)
        self.parts[name] = part.to(self.device)

    def check_part(self, name: str, part: TrainedNetwork) -> None:
        raise ValueError(f"a {self.KIND} carries no parts (got {name!r})")

    def digest(self) -> str:
        """SHA-256 of the vocabulary and weights: equal for the same network, wherever it was loaded from."""
        return sha256(vocab_to_bytes(self.vocab) + tensors_to_bytes(self.model.state_dict()))

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

    def to(self, device: str | torch.device = DEFAULT_DEVICE):
        """Move the network (and its parts) to ``device`` (``auto``, ``cpu``, ``cuda``, ``cuda:N``); returns ``self``."""
        self.device = resolve_device(device)
        self.model.to(self.device)
        for part in self.parts.values():
            part.to(self.device)
        return self

    def quantized(self):
        """A copy for faster CPU inference, its recurrent and linear layers in int8 (dynamic quantization:
        weights int8, activations quantized on the fly, per batch, so a score can differ in the second
        decimal with what else is in the batch). Inference only: it cannot be trained or saved."""
        if self.device.type != "cpu":
            raise ValueError(f"int8 inference runs on the CPU; this network is on {self.device}")
        with warnings.catch_warnings():   # torch.ao's eager API is deprecated for torchao, which has no int8 LSTM
            warnings.simplefilter("ignore")
            model = torch.ao.quantization.quantize_dynamic(copy.deepcopy(self.model), {nn.LSTM, nn.GRU, nn.Linear},
                                                           dtype=torch.qint8)
        net = type(self)(model, self.vocab, self.config, self.meta)
        net.int8, net.parts = True, {name: part.quantized() for name, part in self.parts.items()}
        return net

    def save(self, folder: str | Path, half: bool = False) -> Path:
        """Write ``config.json``, the vocabulary and the weights into ``folder``, replacing what it held
        as one unit (see :mod:`deeptrees.files`). Weights are saved from the CPU: they load anywhere.
        ``half`` stores them as float16: half the file, rounded weights (measure the loaded model)."""
        if self.int8:
            raise ValueError("an int8 copy (quantized()) cannot be saved; save the network it was made from")
        return save_network(folder, self.KIND, self.model, self.config, self.vocab, self.meta, half,
                            {name: (p.model, p.config, p.vocab, p.meta) for name, p in self.parts.items()})

    @classmethod
    def shipped(cls, folder, train_hint: str, device: str | torch.device = DEFAULT_DEVICE):
        """The model shipped with the package in ``folder`` (an ``importlib.resources`` path) on ``device``,
        loaded once per process and device; a missing folder is an error saying how to train one (``train_hint``)."""
        folder, device = Path(str(folder)), resolve_device(device)
        if (folder, device) not in _SHIPPED:
            if not (folder / CONFIG).exists():
                raise FileNotFoundError(f"no {cls.KIND} is shipped in {folder}; {train_hint}")
            _SHIPPED[folder, device] = cls.load(folder, device)
        return _SHIPPED[folder, device]

    @classmethod
    def load(cls, folder: str | Path, device: str | torch.device = DEFAULT_DEVICE):
        """Load what :meth:`save` wrote onto ``device``; no code is executed (JSON + safetensors)."""
        device = resolve_device(device)   # a bad device fails before the folder is read
        *own, parts = load_network(folder, cls.KIND, cls.CONFIG, cls.MODULE)
        net = cls(*own)
        for name, part in parts.items():
            try:
                net.attach(name, cls(*part))
            except (TypeError, ValueError) as e:
                raise ModelFileError(f"{Path(folder) / CONFIG}: part {name!r} does not fit the model: {e}") from None
        return net.to(device)


def load_embedding(folder: str | Path) -> tuple[Vocab, EmbeddingConfig, dict[str, torch.Tensor]]:
    """The vocabulary, embedding config and embedding weights of any saved model (tagger or tree
    net), to start a new network of either kind from them (``--init-embeddings-from``)."""
    folder = Path(folder)
    saved = load_model(folder, model_kind(folder))
    try:
        config = EmbeddingConfig(**saved.config["model"]["embedding"])
    except (KeyError, TypeError, ValueError) as e:
        raise ModelFileError(f"{folder / CONFIG} has no usable embedding config: {e}") from None
    prefix = "embedding."
    state = {k[len(prefix):]: v for k, v in saved.state.items() if k.startswith(prefix)}
    if not state:
        raise ModelFileError(f"{saved.weights} holds no embedding weights")
    return saved.vocab, config, state
