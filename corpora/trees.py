"""Constituency trees for the tree networks: reading, cleaning, binarising, and index arrays.

Everything here walks trees with explicit stacks, never Python recursion, so a tree 2,000
levels deep is as fine as a short one (NLTK's own ``Tree.fromstring`` stops at 500 levels and
many ``Tree`` methods recurse).

A network node is either a *leaf* (a preterminal: a label over one word, e.g. ``(2 good)``)
or an *internal* node with exactly two node children. :func:`binarize` brings any tree to that
shape; :func:`index_tree` turns it into arrays once, and :func:`batch_trees` stacks many
encoded trees and groups their nodes by height, so a whole batch is computed one level at a time.
"""
from __future__ import annotations

import os
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch
from nltk import Tree

from .batch import JITTER, WordBatch, encode_words, length_batches
from .tagged import treebank_fileids
from .vocab import Vocab

NO_LABEL = "_"          # a node that has no gold class (a POS preterminal, a node made by binarising)
IGNORE = -100
_TOKEN = re.compile(r"\(|\)|[^\s()]+")


# -- reading ---------------------------------------------------------------------------------
def _snippet(text: str, pos: int, width: int = 20) -> str:
    return repr(text[max(0, pos - width): pos + width])


def parse_tree(text: str) -> Tree:
    """Parse one PTB-bracketed tree, e.g. ``"(2 (2 a) (3 (3 good) (2 film)))"``.

    Errors are ``ValueError``s that quote the offending part and its character position.
    """
    if not isinstance(text, str):
        raise TypeError(f"expected a bracketed tree string, got {type(text).__name__}")
    if not text.strip():
        raise ValueError("empty tree string")
    stack: list[tuple[Tree, int]] = []
    root: Tree | None = None
    tokens = [(m.group(), m.start()) for m in _TOKEN.finditer(text)]
    i = 0
    while i < len(tokens):
        tok, pos = tokens[i]
        if tok == "(":
            if root is not None and not stack:
                raise ValueError(f"text after the end of the tree at position {pos}: {_snippet(text, pos)}")
            if i + 1 >= len(tokens) or tokens[i + 1][0] in "()":
                raise ValueError(f"bracket at position {pos} has no label: {_snippet(text, pos)}")
            node = Tree(tokens[i + 1][0], [])
            if stack:
                stack[-1][0].append(node)
            stack.append((node, pos))
            i += 2
            continue
        if tok == ")":
            if not stack:
                raise ValueError(f"unbalanced brackets: ')' at position {pos} closes nothing: {_snippet(text, pos)}")
            node, start = stack.pop()
            if len(node) == 0:
                raise ValueError(f"node {node.label()!r} at position {start} has no word or children: "
                                 f"{_snippet(text, start)}")
            if not stack:
                root = node
        else:
            if not stack:
                raise ValueError(f"word {tok!r} at position {pos} is outside any bracket: {_snippet(text, pos)}")
            stack[-1][0].append(tok)
        i += 1
    if stack:
        node, start = stack[-1]
        raise ValueError(f"unbalanced brackets: '(' at position {start} is never closed "
                         f"({len(stack)} missing ')'): {_snippet(text, start)}")
    assert root is not None
    return root


def as_tree(tree: Tree | str) -> Tree:
    """Accept an ``nltk.Tree`` or a bracketed string; anything else is a ``TypeError``."""
    if isinstance(tree, str):
        return parse_tree(tree)
    if isinstance(tree, Tree):
        return tree
    raise TypeError(f"expected an nltk.Tree or a bracketed tree string, got {type(tree).__name__}")


def nodes_postorder(tree: Tree) -> list[Tree]:
    """All ``Tree`` nodes, children before parents, left to right (no recursion)."""
    out: list[Tree] = []
    stack: list[tuple[Tree, bool]] = [(tree, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            out.append(node)
            continue
        stack.append((node, True))
        stack.extend((c, False) for c in reversed(node) if isinstance(c, Tree))
    return out


_SPACE, _CLOSE = object(), object()


def bracketed(tree: Tree) -> str:
    """The tree as one bracketed line, like ``str(tree)`` but without recursion (NLTK's recurses)."""
    out: list[str] = []
    stack: list = [tree]
    while stack:
        item = stack.pop()
        if item is _SPACE:
            out.append(" ")
        elif item is _CLOSE:
            out.append(")")
        elif isinstance(item, Tree):
            out.append(f"({item.label()}")
            stack.append(_CLOSE)
            for child in reversed(item):
                stack += [child, _SPACE]
        else:
            out.append(str(item))
    return "".join(out)


def tree_depth(tree: Tree) -> int:
    """Levels of ``Tree`` nodes on the longest path from the root (a preterminal alone is 1)."""
    depth: dict[int, int] = {}
    for node in nodes_postorder(tree):
        depth[id(node)] = 1 + max((depth[id(c)] for c in node if isinstance(c, Tree)), default=0)
    return depth[id(tree)]


def is_leaf(node: Tree) -> bool:
    return len(node) == 1 and isinstance(node[0], str)


def tree_words(tree: Tree) -> list[str]:
    """The words of a tree, left to right (``Tree.leaves()`` without its recursion)."""
    return [n[0] for n in nodes_postorder(tree) if is_leaf(n)]


def binarize(tree: Tree) -> Tree:
    """A copy of ``tree`` in network shape: leaves are preterminals, internal nodes have 2 children.

    - a bare word next to subtrees is wrapped as ``(_ word)``; a node over several words
      becomes a node over preterminals;
    - unary chains collapse into their top node (its label wins), down to a preterminal;
    - n-ary nodes are right-factored; the added nodes are labelled ``_`` (no gold class).
    """
    built: dict[int, Tree] = {}
    for node in nodes_postorder(tree):
        if len(node) == 0:
            raise ValueError(f"node {node.label()!r} has no word or children")
        kids = [built.pop(id(c)) if isinstance(c, Tree) else c for c in node]
        if len(kids) == 1 and isinstance(kids[0], str):
            built[id(node)] = Tree(node.label(), [kids[0]])
            continue
        kids = [Tree(NO_LABEL, [k]) if isinstance(k, str) else k for k in kids]
        if len(kids) == 1:  # unary: keep this label over the child's content
            built[id(node)] = Tree(node.label(), list(kids[0]))
            continue
        right = kids[-1]
        for k in reversed(kids[1:-1]):
            right = Tree(NO_LABEL, [k, right])
        built[id(node)] = Tree(node.label(), [kids[0], right])
    return built[id(tree)]


# -- corpora ---------------------------------------------------------------------------------
SST_FILES = {"train": "train.txt", "dev": "dev.txt", "test": "test.txt"}


def find_sst(directory: str | Path | None = None) -> Path:
    """The SST folder: ``directory``, else ``$SST_DIR``, else ``data/sst`` beside an NLTK data folder."""
    import nltk

    candidates = [Path(directory)] if directory else []
    if not directory and os.environ.get("SST_DIR"):
        candidates.append(Path(os.environ["SST_DIR"]))
    if not candidates:
        candidates += [Path(p) / "sst" for p in nltk.data.path] + [Path(p).parent / "data" / "sst" for p in nltk.data.path]
        candidates.append(Path("data/sst"))
    for c in candidates:
        if (c / "train.txt").is_file():
            return c
    raise FileNotFoundError(
        "Stanford Sentiment Treebank not found (looked in: " + ", ".join(str(c) for c in candidates) + "). "
        "Download trainDevTestTrees_PTB.zip from the Stanford NLP sentiment page "
        "(nlp.stanford.edu/sentiment), unzip it, and pass its trees/ folder as directory=... "
        "or set SST_DIR to it (it holds train.txt, dev.txt, test.txt).")


def load_sst(split: str = "train", directory: str | Path | None = None) -> list[Tree]:
    """SST trees of a split (labels ``"0"``..``"4"`` on every node), the files as given."""
    if split not in SST_FILES:
        raise ValueError(f"unknown SST split {split!r}; expected train, dev or test")
    path = find_sst(directory) / SST_FILES[split]
    trees = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if line.strip():
                try:
                    trees.append(parse_tree(line))
                except ValueError as e:
                    raise ValueError(f"{path}:{lineno}: {e}") from None
    return trees


SST_CLASSES = ["0", "1", "2", "3", "4"]   # very negative .. very positive

# the phrase categories of the Penn Treebank bracketing guidelines: the classes of a PTB tree network
PTB_PHRASE_LABELS = ["ADJP", "ADVP", "CONJP", "FRAG", "INTJ", "LST", "NAC", "NP", "NX", "PP", "PRN", "PRT", "QP",
                     "RRC", "S", "SBAR", "SBARQ", "SINV", "SQ", "UCP", "VP", "WHADJP", "WHADVP", "WHNP", "WHPP", "X"]
_FUNCTION_TAG = re.compile(r"^(-[A-Z]+-|[^-=]+)")


def phrase_category(label: str) -> str:
    """``NP-SBJ-1`` -> ``NP``, ``PP-LOC=2`` -> ``PP``, ``-LRB-`` stays."""
    m = _FUNCTION_TAG.match(label)
    return m.group(1) if m else label


def clean_ptb_tree(tree: Tree) -> Tree | None:
    """Penn Treebank tree -> phrase-labelled binary tree, or None if nothing is left.

    Drops ``-NONE-`` leaves and constituents left empty, strips function tags and indices,
    collapses unary chains, binarises. Phrase nodes keep their category; POS preterminals and
    nodes added by binarising are labelled ``_`` (no gold class). A one-word phrase such as
    ``(NP (PRP it))`` becomes the leaf ``(NP it)``.
    """
    built: dict[int, Tree | None] = {}
    for node in nodes_postorder(tree):
        if is_leaf(node):
            built[id(node)] = None if node.label() == "-NONE-" else Tree(NO_LABEL, [node[0]])
            continue
        kids = [k for k in (built.pop(id(c)) for c in node) if k is not None]
        label = phrase_category(node.label()) if node.label() else NO_LABEL
        label = label if label in PTB_PHRASE_LABELS else NO_LABEL
        built[id(node)] = Tree(label, kids) if kids else None
    root = built[id(tree)]
    if root is None:
        return None
    if root.label() == NO_LABEL and len(root) == 1 and isinstance(root[0], Tree):
        root = root[0]   # the treebank's unlabelled outer bracket
    return binarize(root)


def load_ptb_trees(split: str = "train") -> list[Tree]:
    """Penn Treebank sample parse trees, cleaned for phrase labelling, same file split as the tagger."""
    from nltk.corpus import treebank

    trees = (clean_ptb_tree(t) for t in treebank.parsed_sents(treebank_fileids(split)))
    return [t for t in trees if t is not None]


# -- constituency parsing: trees with POS preterminals and full phrase structure ----------------
EMPTY = ""            # the label of a span that is not a constituent (or one added by binarising)
CHAIN = "+"           # a unary chain S -> VP over one span is the one label "S+VP"


def clean_parse_tree(tree: Tree) -> Tree | None:
    """A Penn Treebank tree as parsers are trained and scored on it: ``-NONE-`` elements and the
    constituents they leave empty removed, function tags and indices stripped (``NP-SBJ-1`` -> ``NP``),
    the unlabelled outer bracket dropped; POS preterminals and unary chains kept. None if no word is left."""
    built: dict[int, Tree | None] = {}
    for node in nodes_postorder(tree):
        if is_leaf(node):
            built[id(node)] = None if node.label() == "-NONE-" else Tree(node.label(), [node[0]])
            continue
        kids = [k for k in (built.pop(id(c)) for c in node) if k is not None]
        built[id(node)] = Tree(phrase_category(node.label()), kids) if kids else None
    root = built[id(tree)]
    while root is not None and root.label() == "" and len(root) == 1 and not is_leaf(root):
        root = root[0]
    return root


def load_parse_trees(split: str = "train") -> list[Tree]:
    """Penn Treebank sample trees of a split (files as the tagger's), cleaned by :func:`clean_parse_tree`."""
    from nltk.corpus import treebank

    trees = (clean_parse_tree(t) for t in treebank.parsed_sents(treebank_fileids(split)))
    return [t for t in trees if t is not None]


def tree_spans(tree: Tree) -> tuple[list[str], list[str], dict[tuple[int, int], str]]:
    """``(words, POS tags, {(start, end): label})`` of a tree with preterminals: every phrase's span
    (end exclusive, preterminals excluded), a unary chain joined top-down as one label (``S+VP``)."""
    words, tags, spans = [], [], {}
    extent: dict[int, tuple[int, int]] = {}
    for node in nodes_postorder(tree):
        if is_leaf(node):
            extent[id(node)] = (len(words), len(words) + 1)
            words.append(node[0])
            tags.append(node.label())
            continue
        if any(not isinstance(c, Tree) for c in node):
            raise ValueError(f"node {node.label()!r} mixes words and phrases; give words as (TAG word)")
        span = extent[id(node)] = (extent[id(node[0])][0], extent[id(node[-1])][1])
        below = spans.get(span) if len(node) == 1 else None
        spans[span] = node.label() + (CHAIN + below if below else "")
    return words, tags, spans


def load_trees(name: str, split: str = "train", directory: str | Path | None = None) -> list[Tree]:
    """``"sst"`` or ``"ptb"`` trees of a split."""
    if name == "sst":
        return load_sst(split, directory)
    if name == "ptb":
        return load_ptb_trees(split)
    raise ValueError(f"unknown tree corpus {name!r}; expected 'sst' or 'ptb'")


def corpus_classes(name: str) -> list[str] | None:
    """The fixed class list of a tree corpus (None: take the classes found in the training trees)."""
    return {"sst": SST_CLASSES, "ptb": PTB_PHRASE_LABELS}.get(name)


def tree_labels(trees: Sequence[Tree]) -> list[str]:
    """Every gold class used in ``trees`` (``_`` excluded), sorted."""
    return sorted({n.label() for t in trees for n in nodes_postorder(t)} - {NO_LABEL})


# -- index arrays --------------------------------------------------------------------------------
@dataclass
class IndexedTree:
    """One binary tree as arrays over its nodes in post-order (children before parents)."""

    words: list[str]        # leaf words, left to right
    leaves: np.ndarray      # node ids of the leaves, aligned with words
    left: np.ndarray        # left child of each node, -1 at leaves
    right: np.ndarray
    height: np.ndarray      # 0 at leaves, 1 + max(children) above
    labels: np.ndarray      # class id of each node, IGNORE where there is none
    tree: Tree              # the (binarised) tree the arrays describe

    def __len__(self) -> int:
        return len(self.left)


def index_tree(tree: Tree | str, labels: Vocab | None = None, check_labels: bool = True) -> IndexedTree:
    """Binarise ``tree`` (unless it is binary already) and turn it into arrays, once.

    With ``labels`` (a vocabulary's label index) node labels become class ids; a label that is
    not a class raises ``ValueError`` (``check_labels``) or is ignored; ``_`` is always ignored.
    """
    tree = as_tree(tree)
    nodes = nodes_postorder(tree)
    if not all(is_leaf(n) or (len(n) == 2 and all(isinstance(c, Tree) for c in n)) for n in nodes):
        tree = binarize(tree)      # trees already in network shape (SST, binarised) are used as they are
        nodes = nodes_postorder(tree)
    ids = {id(n): i for i, n in enumerate(nodes)}
    n = len(nodes)
    left, right = np.full(n, -1, np.int64), np.full(n, -1, np.int64)
    height = np.zeros(n, np.int64)
    label_ids = np.full(n, IGNORE, np.int64)
    words, leaves = [], []
    for i, node in enumerate(nodes):
        if is_leaf(node):
            words.append(node[0])
            leaves.append(i)
        else:
            left[i], right[i] = ids[id(node[0])], ids[id(node[1])]
            height[i] = 1 + max(height[left[i]], height[right[i]])
        lab = node.label()
        if labels is not None and lab != NO_LABEL:
            if str(lab) in labels.labels:
                label_ids[i] = labels.labels.index(str(lab))
            elif check_labels:
                where = "the root" if i == n - 1 else f"node {i} (post-order) over {' '.join(tree_words(node)[:8])!r}"
                raise ValueError(f"label {lab!r} at {where} is not one of the model's classes "
                                 f"{labels.labels.strings}")
    return IndexedTree(words, np.array(leaves, np.int64), left, right, height, label_ids, tree)


def index_trees(trees: Sequence[Tree | str], labels: Vocab | None = None, check_labels: bool = True) -> list[IndexedTree]:
    """:func:`index_tree` for each tree; an error names the tree's position in the list."""
    if isinstance(trees, (str, Tree)):
        raise TypeError("expected a list of trees, got a single tree")
    out = []
    for i, t in enumerate(trees):
        try:
            out.append(index_tree(t, labels, check_labels))
        except (ValueError, TypeError) as e:
            raise type(e)(f"tree {i}: {e}") from None
    return out


@dataclass
class TreeBatch:
    """Many trees' nodes in one numbering, grouped by height for level-by-level computation.

    Nodes are numbered twice. *Node ids* run tree after tree, each tree in post-order (``labels``,
    ``roots``, ``offsets`` and the network's output rows use them). *Rows* order the states of a
    (n_rows, width) table by height: first one row per distinct word form of the batch (in
    ``words.by_type()`` order: a leaf's state depends on its word alone, so the leaves of one word share
    a row; a batch of 100 SST trees has 46% as many word forms as leaves), then each level's nodes, so a
    level's states are one contiguous block ``bounds[k]`` and only its children need gathering:
    ``children[k]`` holds their rows, left and right interleaved. ``rank`` maps a node id to its row.

    The index arrays are held twice: as NumPy arrays (for bookkeeping) and as torch tensors made
    once per batch (``children_ids``, ``rank_ids``, ``label_ids``), which :meth:`to` moves to a device.
    """

    words: WordBatch        # all leaf words of the batch as one (1, n_leaves) sequence
    leaves: np.ndarray      # node id of each of those words
    levels: list[tuple[np.ndarray, np.ndarray, np.ndarray]]  # per height >= 1: (nodes, left, right) node ids
    labels: np.ndarray      # (n_nodes,) class ids, IGNORE where none
    roots: np.ndarray       # node id of each tree's root
    offsets: np.ndarray     # first node id of each tree
    n_nodes: int
    n_rows: int = None                                               # type: ignore[assignment]
    bounds: list[tuple[int, int]] = None                             # type: ignore[assignment]
    children_ids: list[torch.Tensor] = None                          # type: ignore[assignment]
    rank_ids: torch.Tensor = None                                    # type: ignore[assignment]
    label_ids: torch.Tensor = None                                   # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.rank_ids is None:
            rank = np.empty(self.n_nodes, np.int64)
            rank[self.leaves] = self.words.type_index[0].numpy() - 1     # the row of the leaf's word form
            start, self.bounds, children = len(self.words.char_ids) - 1, [], []
            for nodes, left, right in self.levels:
                rank[nodes] = np.arange(start, start + len(nodes))
                children.append(torch.from_numpy(np.stack([rank[left], rank[right]], axis=1).reshape(-1)))
                self.bounds.append((start, start + len(nodes)))
                start += len(nodes)
            self.children_ids, self.rank_ids, self.n_rows = children, torch.from_numpy(rank), start
            self.label_ids = torch.from_numpy(self.labels)

    def to(self, device: torch.device | str) -> "TreeBatch":
        return replace(self, words=self.words.to(device),
                       children_ids=[t.to(device) for t in self.children_ids], rank_ids=self.rank_ids.to(device),
                       label_ids=self.label_ids.to(device))


def tree_batches(trees: Sequence[IndexedTree], batch_size: int, shuffle: bool = False,
                 rng: random.Random | None = None) -> Iterator[list[int]]:
    """Indices of ``trees`` in batches of similar height, then similar size (see
    :func:`corpora.batch.length_batches` for ``shuffle``). A batch runs one level per unit of its
    tallest tree's height, so grouping by height leaves fewer, fuller levels: an SST epoch in
    batches of 100 runs 870 levels instead of 1,278 when batches are grouped by size."""
    scale = max((len(t) for t in trees), default=0) + JITTER + 1    # a size (+ the jitter) never reaches the next height
    return length_batches([int(t.height[-1]) * scale + len(t) for t in trees], batch_size, shuffle, rng)


def batch_trees(vocab: Vocab, trees: Sequence[IndexedTree]) -> TreeBatch:
    sizes = np.array([len(t) for t in trees], np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    shift = np.repeat(offsets, sizes)
    left, right = (np.concatenate([getattr(t, side) for t in trees]) for side in ("left", "right"))
    left, right = np.where(left >= 0, left + shift, -1), np.where(right >= 0, right + shift, -1)
    height = np.concatenate([t.height for t in trees])
    order = np.argsort(height, kind="stable")
    bounds = np.searchsorted(height[order], np.arange(1, height.max() + 2))
    levels = []
    for h in range(len(bounds) - 1):
        nodes = order[bounds[h]: bounds[h + 1]]
        levels.append((nodes, left[nodes], right[nodes]))
    words = [w for t in trees for w in t.words]
    return TreeBatch(
        words=encode_words(vocab, [words]),
        leaves=np.concatenate([t.leaves + o for t, o in zip(trees, offsets)]),
        levels=levels,
        labels=np.concatenate([t.labels for t in trees]),
        roots=offsets + sizes - 1,
        offsets=offsets,
        n_nodes=int(sizes.sum()),
    )
