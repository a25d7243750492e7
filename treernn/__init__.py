"""Recursive neural networks over parse trees (plain RNN, RNTN, Tree-LSTM), batched by tree level.

>>> import treernn
>>> net = treernn.load("runs/sst")                                   # doctest: +SKIP
>>> net.predict("(2 (2 a) (3 (3 good) (2 film)))").pretty_print()    # doctest: +SKIP
>>> parser = treernn.Parser.load("runs/parser")                      # doctest: +SKIP
>>> parser.parse("The cat sat on the mat .".split()).pretty_print()  # doctest: +SKIP
"""
from .api import TreeNet, TreeScores, load, load_default
from .cells import CELLS, BinaryTreeLSTMCell, RecursiveCell, RNTNCell
from .model import RecursiveNet, TreeNetConfig
from .parser import Parser, ParserConfig, load_default_parser, train_parser
from .train import train_treenet

__all__ = ["TreeNet", "TreeScores", "load", "load_default", "CELLS", "BinaryTreeLSTMCell", "RecursiveCell", "RNTNCell",
           "RecursiveNet", "TreeNetConfig", "train_treenet", "Parser", "ParserConfig", "load_default_parser",
           "train_parser"]
