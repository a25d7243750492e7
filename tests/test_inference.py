"""Tagging at scale: windows over long sentences, batches bounded by a token budget, streaming,
the per-word-form embedding cache, and tagging from several threads at once."""
import threading

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from corpora.batch import encode_words, token_batches, windows


@given(st.integers(0, 500), st.integers(1, 60), st.integers(0, 20))
def test_windows_tile_the_sequence_and_keep_their_context(length, size, context):
    if length > size and size <= 2 * context:
        with pytest.raises(ValueError):
            windows(length, size, context)
        return
    ws = windows(length, size, context)
    assert [w[2] for w in ws] == [0] + [w[3] for w in ws[:-1]] and ws[-1][3] == length   # kept parts tile
    for start, end, keep, keep_end in ws:
        assert 0 <= start <= keep < keep_end <= end <= length or length == 0
        assert end - start <= size
        assert keep - start >= context or start == 0
        assert end - keep_end >= context or end == length


@given(st.lists(st.integers(1, 300), max_size=60), st.integers(1, 1000))
def test_token_batches_hold_every_item_once_within_the_budget(lengths, budget):
    batches = list(token_batches(lengths, budget))
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for b in batches:
        assert len(b) == 1 or len(b) * max(lengths[i] for i in b) <= budget


def _long_sentence(dev, n=120) -> list[str]:
    words = [w for s in dev for w, _ in s]
    return words[:n]


def test_long_sentences_are_tagged_in_stitched_windows(tiny_tagger, treebank_dev):
    tokens = _long_sentence(treebank_dev)
    whole = tiny_tagger.tag(tokens)
    tiny_tagger.window, tiny_tagger.context = 30, 6
    try:
        stitched = tiny_tagger.tag(tokens)
        assert [w for w, _ in stitched] == tokens
        for start, end, keep, keep_end in windows(len(tokens), 30, 6):   # each kept part = that window alone
            alone = tiny_tagger.tag(tokens[start:end])
            assert stitched[keep:keep_end] == alone[keep - start: keep_end - start]
        assert sum(a == b for a, b in zip(whole, stitched)) >= 0.9 * len(tokens)
        assert len(tiny_tagger.tag(tokens, probs=True)) == len(tokens)
        with pytest.raises(ValueError, match="up to 30 tokens"):
            tiny_tagger.nbest(tokens, 2)
    finally:
        tiny_tagger.window, tiny_tagger.context = tiny_tagger.WINDOW, tiny_tagger.CONTEXT


def test_batches_never_exceed_the_token_budget(tiny_tagger, treebank_dev, monkeypatch):
    sizes = []
    forward = tiny_tagger.model.forward
    monkeypatch.setattr(tiny_tagger.model, "forward", lambda batch, *a: sizes.append(batch.word_ids.numel()) or forward(batch, *a))
    monkeypatch.setattr(tiny_tagger, "max_tokens", 64)
    monkeypatch.setattr(tiny_tagger, "window", 40)
    monkeypatch.setattr(tiny_tagger, "context", 8)
    sents = [[w for w, _ in s] for s in treebank_dev[:30]] + [_long_sentence(treebank_dev, 300)]
    tagged = tiny_tagger.tag_sents(sents)
    assert [len(t) for t in tagged] == [len(s) for s in sents]
    assert sizes and max(sizes) <= 64


def test_stream_tags_as_sentences_arrive(tiny_tagger, treebank_dev, monkeypatch):
    sents = [[w for w, _ in s] for s in treebank_dev[:40]]
    monkeypatch.setattr(tiny_tagger, "max_tokens", 50)   # blocks of ~200 tokens
    consumed = []

    def source():
        for s in sents:
            consumed.append(1)
            yield s

    stream = tiny_tagger.tag_stream(source())
    first = next(stream)
    assert len(consumed) < len(sents)          # the first answer came before the input was read to its end
    assert [first, *stream] == tiny_tagger.tag_sents(sents)
    with pytest.raises(TypeError, match="sentence 1"):
        list(tiny_tagger.tag_stream(iter([["ok"], "not a list"])))


def test_the_embedding_cache_gives_what_the_encoder_gives_and_follows_the_weights(tiny_tagger, treebank_dev):
    emb = tiny_tagger.model.embedding
    batch = encode_words(tiny_tagger.vocab, [[w for w, _ in s] for s in treebank_dev[:8]])
    with torch.no_grad():
        direct = emb._encode_types(batch.char_ids, batch.shapes)
    with torch.inference_mode():
        first, again = emb._types(batch), emb._types(batch)   # computed, then read from the cache
    assert torch.allclose(first, direct, atol=1e-6) and torch.equal(first, again)
    saved = emb.shapes.weight.detach().clone()
    try:
        with torch.no_grad():
            emb.shapes.weight.add_(1.0)                # changed in place, as an optimizer step does
        with torch.inference_mode():
            changed = emb._types(batch)
        with torch.no_grad():
            assert torch.allclose(changed, emb._encode_types(batch.char_ids, batch.shapes), atol=1e-6)
        assert not torch.allclose(changed, first)
    finally:
        with torch.no_grad():
            emb.shapes.weight.copy_(saved)


def test_the_embedding_cache_follows_a_fused_optimizer_step(tiny_tagger, treebank_dev):
    """torch's fused optimizers change weights in place without bumping their version: the training
    forward pass that every step needs empties the cache instead."""
    import copy

    from deeptrees import TrainConfig
    from deeptrees.train import make_optimizer

    model = copy.deepcopy(tiny_tagger.model)
    emb = model.embedding
    batch = encode_words(tiny_tagger.vocab, [[w for w, _ in s] for s in treebank_dev[:8]])
    with torch.inference_mode():
        before = emb._types(batch)
    opt = make_optimizer(emb, TrainConfig(optimizer="adam", lr=0.1))
    assert opt.defaults["fused"]
    emb._types(batch).pow(2).sum().backward()       # a training step (gradients on)
    opt.step()
    with torch.inference_mode():
        after = emb._types(batch)
    with torch.no_grad():
        assert torch.allclose(after, emb._encode_types(batch.char_ids, batch.shapes), atol=1e-6)
    assert not torch.allclose(after, before)


def test_four_threads_tag_as_one_does(tiny_tagger, treebank_dev):
    sents = [[w for w, _ in s] for s in treebank_dev[:60]]
    parts = [sents[i::4] for i in range(4)]
    tiny_tagger.model.embedding.type_cache.key = None      # start cold, so threads fill the cache together
    results: dict[int, list] = {}

    def work(k):
        for _ in range(3):
            results[k] = tiny_tagger.tag_sents(parts[k], probs=True)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(4):
        expected = [tiny_tagger.tag(s, probs=True) for s in parts[k]]
        assert [[item[:2] for item in s] for s in results[k]] == [[item[:2] for item in s] for s in expected]
        assert all(abs(a[2] - b[2]) < 1e-5 for s, e in zip(results[k], expected) for a, b in zip(s, e))
