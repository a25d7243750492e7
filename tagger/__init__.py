"""Deep (stacked) bidirectional LSTM tagger with NLTK's ``TaggerI`` interface.

>>> import tagger
>>> tagger.load_default().tag("The old man the boats .".split())   # doctest: +SKIP
"""
from .api import Tagger, load_default
from .distill import distill
from .evaluate import Evaluation, evaluate
from .model import SequenceTagger, TaggerConfig
from .train import train_tagger

__all__ = ["Tagger", "load_default", "Evaluation", "evaluate", "SequenceTagger", "TaggerConfig", "train_tagger", "distill"]
