"""The data side of the package: NLTK corpora with standard splits, vocabularies, batches, text,
trees, word vectors, and the embedding layer that every network reads words through. (Training,
model files and checkpoints live in ``deeptrees``.)

>>> import corpora
>>> train = corpora.load("treebank", split="train")     # list of [(word, tag), ...]
>>> vocab = corpora.Vocab.build([[w for w, _ in s] for s in train], [[t for _, t in s] for s in train])
"""
from .batch import WordBatch, check_tokens, encode_words, length_batches
from .embedding import EmbeddingConfig, TokenEmbedding
from .resources import ResourceNotFound, require
from .tagged import (drop_sentences, load, load_brown, load_cess_entities, load_conll2000, load_conll2000_triples,
                     load_conll2002, load_silver_pos, load_treebank, treebank_fileids)
from .text import iter_sentences, split_sentences, tokenize, tokenize_text
from .trees import (IndexedTree, TreeBatch, batch_trees, binarize, index_tree, load_ptb_trees, load_sst,
                    load_trees, parse_tree, tree_batches)
from .vocab import Vocab, normalize
from .wordvectors import WordVectors

__all__ = [
    "WordBatch", "check_tokens", "encode_words", "length_batches", "EmbeddingConfig", "TokenEmbedding",
    "ResourceNotFound", "require", "load", "load_brown",
    "load_conll2000", "load_conll2000_triples", "load_conll2002", "load_silver_pos", "load_cess_entities", "drop_sentences",
    "load_treebank", "treebank_fileids", "split_sentences",
    "iter_sentences", "tokenize", "tokenize_text", "Vocab",
    "normalize", "IndexedTree", "TreeBatch", "batch_trees", "binarize", "index_tree", "load_ptb_trees", "load_sst",
    "load_trees", "parse_tree", "tree_batches", "WordVectors",
]
