"""Recursive neural networks over parse trees (plain RNN, RNTN, Tree-LSTM), batched by tree level.

>>> import treernn
>>> net = treernn.load("runs/sst")                                   # doctest: +SKIP
>>> net.predict("(2 (2 a) (3 (3 good) (2 film)))").pretty_print()    # doctest: +SKIP
"""
from .api import TreeNet, TreeScores, load
from .cells import CELLS, BinaryTreeLSTMCell, RecursiveCell, RNTNCell
from .model import RecursiveNet, TreeNetConfig
from .train import train_treenet

__all__ = ["TreeNet", "TreeScores", "load", "CELLS", "BinaryTreeLSTMCell", "RecursiveCell", "RNTNCell",
           "RecursiveNet", "TreeNetConfig", "train_treenet"]
