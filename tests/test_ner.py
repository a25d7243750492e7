"""Named entities: CoNLL-2002 data, Spanish/Dutch tokenization, spans and their probabilities, the
entity API and CLI, and the evaluation-text rule for the new languages' word vectors."""
import itertools
import math
from collections import Counter
from types import SimpleNamespace

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import corpora
from corpora.text import tokenize, tokenize_text
from corpora.wordvectors import WordVectors, corpus_sentences
from tagger import Tagger
from tagger.chunks import consistent_types, spans
from tagger.crf import CRF
from tagger.evaluate import Evaluation, SpanErrors
from tagger.model import SequenceTagger
from tests.conftest import tagger_cli


def test_conll2002_splits_for_both_languages():
    sizes = {(lang, split): len(corpora.load("conll2002", split, lang=lang))
             for lang in ("esp", "ned") for split in ("train", "dev", "test")}
    assert sizes == {("esp", "train"): 8323, ("esp", "dev"): 1915, ("esp", "test"): 1517,
                     ("ned", "train"): 15806, ("ned", "dev"): 2895, ("ned", "test"): 5195}
    dutch = corpora.load("conll2002", "test", lang="ned", pos_feature=True)
    assert all(len(t) == 3 and t[0] != "-DOCSTART-" for s in dutch for t in s)
    tags = Counter(t[-1] for s in dutch for t in s)
    assert {t[2:] for t in tags if t != "O"} == {"PER", "ORG", "LOC", "MISC"}
    pos = corpora.load("conll2002", "test", lang="ned", column="pos")      # the POS column as the label
    assert [[(w, p) for w, p, _ in s] for s in dutch] == pos
    with pytest.raises(ValueError, match="esp .Spanish. or ned"):
        corpora.load("conll2002", "train", lang="fr")
    with pytest.raises(ValueError, match="expected 'entity' or 'pos'"):
        corpora.load("conll2002", "train", lang="ned", column="chunk")


TAGS = ["O", "B-PER", "I-PER", "E-PER", "S-PER", "B-LOC", "I-LOC", "E-LOC", "S-LOC"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TAGS), max_size=12))
def test_spans_read_tags_as_conlleval_does(tags):
    from seqeval.metrics.sequence_labeling import get_entities

    assert spans(tags) == [(start, end + 1, kind) for kind, start, end in get_entities(tags)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(TAGS), st.sampled_from(TAGS)), max_size=12))
def test_span_errors_add_up_to_seqeval_scores(pairs):
    from seqeval.metrics import precision_score, recall_score

    gold, pred = [g for g, _ in pairs], [p for _, p in pairs]
    errors = SpanErrors()
    errors.add(gold, pred)
    assert errors.gold == len(spans(gold)) and errors.predicted == len(spans(pred))
    assert errors.correct + errors.wrong_type + errors.wrong_boundary + errors.missed == errors.gold
    assert errors.wrong_type == sum(errors.confusions.values()) and errors.spurious <= errors.predicted - errors.correct
    if errors.gold:
        assert errors.correct / errors.gold == pytest.approx(recall_score([gold], [pred]))
    if errors.predicted:
        assert errors.correct / errors.predicted == pytest.approx(precision_score([gold], [pred]))


def test_span_errors_by_kind():
    gold = [["B-PER", "I-PER", "O", "B-LOC", "O", "B-ORG", "I-ORG", "I-ORG", "O", "O"]]
    pred = [["B-ORG", "I-ORG", "O", "O", "O", "B-ORG", "I-ORG", "O", "O", "B-MISC"]]
    errors = Evaluation(0.0, 0.0, 10, 0, gold, pred).span_errors()
    assert (errors.correct, errors.wrong_type, errors.wrong_boundary, errors.missed, errors.spurious) == (0, 1, 1, 1, 1)
    assert errors.confusions == {("PER", "ORG"): 1}
    assert "wrong type 1 (33%) [PER->ORG 1]" in errors.summary()
    with pytest.raises(ValueError, match="chunk tag set"):
        Evaluation(1.0, 1.0, 2, 0, [["NN", "VB"]], [["NN", "VB"]]).span_errors()


def voted_whole(text, window):
    """The types consistent_types() gives each span, the plain way: every sentence sees the whole list."""
    found = [[(tuple(words[a:b]), kind, w) for (a, b, kind), w in zip(spans(tags), weights)]
             for words, tags, weights in text]
    out = []
    for i in range(len(text)):
        near = [f for sent in found[max(0, i - window): i + window + 1] for f in sent]
        votes = [sum((Counter({k: w}) for other, k, w in near if other == name), Counter()) for name, _, _ in found[i]]
        out.append([max(v, key=lambda k: (v[k], k == kind)) for v, (_, kind, _) in zip(votes, found[i])])
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.tuples(st.sampled_from("ab"), st.sampled_from(TAGS)), max_size=6), max_size=8),
       st.integers(0, 3), st.lists(st.sampled_from([0.25, 0.5, 1.0]), min_size=48, max_size=48), st.booleans())
def test_consistent_types_keep_spans_and_take_the_vote(sentences, window, weights, weighted):
    text, at = [], 0
    for s in sentences:
        tags = [t for _, t in s]
        n = len(spans(tags))
        text.append(([w for w, _ in s], tags, weights[at: at + n] if weighted else [1.0] * n))
        at += n
    stream = iter(text if weighted else [(words, tags) for words, tags, _ in text])   # weights default to 1
    out = list(consistent_types(stream, window))   # read as a stream, at most 2 * window + 1 sentences held
    assert len(out) == len(text)
    for (_, tags, _), new in zip(text, out):
        assert [s[:2] for s in spans(new)] == [s[:2] for s in spans(tags)]   # boundaries never move
    assert [[s[2] for s in spans(new)] for new in out] == voted_whole(text, window)


def test_consistent_types_by_hand():
    text = [("Visitó Toledo".split(), ["O", "B-ORG"]), ("El alcalde de Toledo".split(), ["O", "O", "O", "B-LOC"]),
            ("Toledo crece".split(), ["B-LOC", "O"]), ("Vino Toledo".split(), ["O", "B-ORG"])]
    assert list(consistent_types(text, 1)) == [["O", "B-ORG"], ["O", "O", "O", "B-LOC"], ["B-LOC", "O"], ["O", "B-ORG"]]
    assert list(consistent_types(text, 2)) == [["O", "B-LOC"], ["O", "O", "O", "B-LOC"], ["B-LOC", "O"], ["O", "B-LOC"]]
    # a retyped span that would run into its neighbour starts a span of its own
    assert list(consistent_types([("a b".split(), ["B-LOC", "I-ORG"]), ("b".split(), ["B-LOC"]),
                                  ("b".split(), ["B-LOC"])], 2))[0] == ["B-LOC", "B-LOC"]
    with pytest.raises(ValueError, match="window must be an integer >= 0"):
        list(consistent_types(text, -1))
    with pytest.raises(ValueError, match="sentence 1: 4 words but 1 tags"):
        list(consistent_types([text[0], (text[1][0], ["O"])], 1))
    with pytest.raises(ValueError, match="sentence 0: 1 spans but 2 weights"):
        list(consistent_types([(*text[0], [0.5, 0.5])], 1))
    weighted = [(*text[0], [0.9]), (*text[1], [0.3]), (*text[2], [0.2])]   # one sure ORG outweighs two unsure LOCs
    assert [t[-1] for t in consistent_types(weighted, 2)] == ["B-ORG", "B-ORG", "O"]


@pytest.mark.parametrize("output", ["crf", "softmax"])
def test_span_probability_equals_brute_force(output):
    torch.manual_seed(0)
    labels = ["B-PER", "I-PER", "O", "B-LOC", "I-LOC"]
    n, length = len(labels), 4
    crf = CRF(labels) if output == "crf" else None
    if crf is not None:
        with torch.no_grad():
            crf.transitions.normal_(), crf.start.normal_(), crf.end.normal_()
    scores, mask = torch.randn(1, length, n), torch.ones(1, length, dtype=torch.bool)
    allowed = torch.rand(3, length, n) < 0.6
    allowed[..., 2] = True        # every position may be O: each constraint set has a valid path
    got = SequenceTagger.log_prob_within(SimpleNamespace(crf=crf), scores, mask, allowed).exp()
    paths = list(itertools.product(range(n), repeat=length))
    if crf is not None:
        with torch.no_grad():
            log_p = torch.stack([crf.path_score(scores, torch.tensor([p]), mask)[0] for p in paths])
        probs = log_p.softmax(0)
    else:
        token = scores[0].softmax(-1)
        probs = torch.tensor([math.prod(token[t, y].item() for t, y in enumerate(p)) for p in paths])
    for k in range(3):
        want = sum(probs[i] for i, p in enumerate(paths) if all(allowed[k, t, y] for t, y in enumerate(p)))
        assert abs(got[k].item() - float(want)) < 1e-5


def test_spanish_and_dutch_tokenization():
    assert tokenize_text("¿Dónde vive el Sr. García? ¡En EE.UU. desde 2001! Dámelo, dijo la Dra. Pérez.", "es") == [
        ["¿", "Dónde", "vive", "el", "Sr.", "García", "?"], ["¡", "En", "EE.UU.", "desde", "2001", "!"],
        ["Dámelo", ",", "dijo", "la", "Dra.", "Pérez", "."]]
    assert tokenize("Cuesta 1.000,50 euros «al contado» del banco (aprox.)", "es") == [
        "Cuesta", "1.000,50", "euros", "«", "al", "contado", "»", "del", "banco", "(", "aprox.", ")"]
    assert tokenize_text("Dhr. De Vries woont in 's-Hertogenbosch. 's Avonds om 21.00 uur belt zo'n J. Smit, "
                         "o.a. voor Hewlett-Packard.", "nl") == [
        ["Dhr.", "De", "Vries", "woont", "in", "'s-Hertogenbosch", "."],
        ["'s", "Avonds", "om", "21.00", "uur", "belt", "zo'n", "J.", "Smit", ",", "o.a.", "voor", "Hewlett-Packard", "."]]
    assert tokenize("Москва и 東京 — ok?", "es") == ["Москва", "и", "東京", "—", "ok", "?"]
    with pytest.raises(ValueError, match="unknown language 'fr'"):
        tokenize("Bonjour", "fr")


def test_unlabelled_spanish_and_dutch_text():
    cess = list(itertools.islice(corpus_sentences(["cess_esp"]), 300))
    words = [w for s in cess for w in s]
    assert len(words) > 5000 and not [w for w in words if "_" in w or (w.startswith("*") and w.endswith("*"))]
    dutch = list(itertools.islice(corpus_sentences(["alpino"]), 50))
    assert sum(map(len, dutch)) > 500
    train_only = list(corpus_sentences(["conll2002:esp.train"]))
    assert len(train_only) == 8323
    with pytest.raises(ValueError, match="no file whose name starts with 'fr.'"):
        corpus_sentences(["conll2002:fr."])


@pytest.fixture(scope="module")
def ner(tmp_path_factory):
    """A small Spanish CRF entity tagger trained through the CLI, its word vectors learned from every
    Spanish CoNLL-2002 file (testa/testb included) with the run's dev and test sentences held out."""
    out = tmp_path_factory.mktemp("ner") / "esp"
    done = tagger_cli("train", "--corpus", "conll2002", "--lang", "esp", "--output", "crf", "--max-train-sentences",
                      "400", "--epochs", "6", "--hidden", "16", "--lr", "0.05", "--word-vectors", "conll2002:esp",
                      "--vector-dim", "16", "--out", str(out), "--quiet")
    assert done.returncode == 0, done.stderr
    return out


def test_test_split_words_never_reach_a_spanish_model(ner):
    train, dev, test = (corpora.load("conll2002", s, lang="esp") for s in ("train", "dev", "test"))
    seen = {corpora.normalize(w) for s in train + dev for w, _ in s}
    counts = Counter(corpora.normalize(w) for s in test for w, _ in s if w.isalpha())
    only_test = {w for w, c in counts.items() if c >= 2} - seen
    assert len(only_test & set(WordVectors.from_corpora(["conll2002:esp"], dim=8).words)) > 50
    vocab = Tagger.load(ner).vocab
    assert not only_test & set(vocab.vector_words.strings) and not only_test & set(vocab.words.strings)


def test_entities_from_python(ner):
    tagger = Tagger.load(ner)
    assert tagger.language == "es"
    sentence = "El presidente de Telefónica , Juan Villalonga , viajó a Madrid y a Buenos Aires .".split()
    tags = [t for _, t in tagger.tag(sentence)]
    found = tagger.entities(sentence, probs=True)
    assert [e[:3] for e in found] == spans(tags) and found, tags
    marginals = tagger.tag(sentence, probs=True)
    for start, end, kind, text, p in found:
        assert text == " ".join(sentence[start:end])
        assert 0 < p <= min(q for _, _, q in marginals[start:end]) + 1e-6   # a span is no likelier than its tokens
    assert tagger.entities(sentence) == [e[:4] for e in found]
    assert tagger.entities_sents([["Madrid"], ["Juan", "Pérez"], []]) == [tagger.entities(["Madrid"]),
                                                                          tagger.entities(["Juan", "Pérez"]), []]
    text = tagger.entities_text("¿Viajó Juan Villalonga a Madrid? Sí, con la ONU.")
    assert len(text) == 2 and all(isinstance(e, tuple) and len(e) == 4 for s in text for e in s)
    assert isinstance(tagger.entities_text("Москва и 東京 — ok?"), list)


def test_consistent_entities_from_python_and_the_cli(ner, tiny_tagger):
    tagger = Tagger.load(ner)
    sentences = [tokenize(s, "es") for s in ("El alcalde de Toledo habló en Toledo .", "Toledo ganó en Madrid .",
                                             "La ONU y Toledo firmaron .", "Juan Pérez viajó a Madrid .")] * 3
    alone = tagger.tag_sents(sentences)
    weights = [[e[4] for e in tagger.entities(s, probs=True)] for s in sentences]   # each span's probability
    want = list(consistent_types([([w for w, _ in s], [t for _, t in s], p) for s, p in zip(alone, weights)], 2))
    tagged = tagger.tag_sents(sentences, consistent=2)
    assert [[t for _, t in s] for s in tagged] == want and [[w for w, _ in s] for s in tagged] == sentences
    found = tagger.entities_sents(sentences, probs=True, consistent=2)
    assert [[e[:3] for e in s] for s in found] == [spans(tags) for tags in want]
    retyped = 0
    for sent, ents in zip(sentences, found):   # a span's probability is that of its tags, its new type's if retyped
        before = {e[:2]: e for e in tagger.entities(sent, probs=True)}
        for start, end, kind, _, prob in ents:
            old = before[(start, end)]
            if old[2] == kind:
                assert prob == pytest.approx(old[4], abs=1e-4)   # batched sums: float32 rounding
            else:          # the span as one type and as another: disjoint events
                retyped += 1
                assert 0 < prob and prob + old[4] <= 1 + 1e-4
    assert retyped, "the example should retype a span"
    assert tagger.entities_sents(sentences, consistent=0) == tagger.entities_sents(sentences)
    done = tagger_cli("tag", "--model", str(ner), "--entities", "--consistent", "2", "--pretokenized",
                      stdin="\n".join(" ".join(s) for s in sentences))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["\t".join(map(str, (i, *e[:4]))) for i, s in enumerate(found, 1) for e in s]
    for bad, match in ((dict(consistent=-1), "consistent must be an integer >= 0"),
                       (dict(consistent=2, probs=True), "consistent and token probabilities")):
        with pytest.raises(ValueError, match=match):
            tagger.tag_sents(sentences, **bad)
    with pytest.raises(ValueError, match="makes entity .chunk. types consistent"):
        tiny_tagger.tag_sents([["The", "dog"]], consistent=2)
    done = tagger_cli("tag", "--model", str(ner), "--consistent", "2", "--nbest", "2", stdin="Juan vive en Madrid\n")
    assert done.returncode == 2 and "--consistent and --nbest" in done.stderr and "Traceback" not in done.stderr


def test_entity_errors(ner, tiny_tagger, tmp_path):
    with pytest.raises(ValueError, match="does not tag chunks or entities"):
        tiny_tagger.entities(["The", "dog"])
    with pytest.raises(TypeError, match="entities_text"):
        Tagger.load(ner).entities_sents("Juan vive en Madrid")
    foreign = tmp_path / "foreign.txt"
    foreign.write_text("-DOCSTART- O\n\nJuan B-PERSON\nvive O\nen O\nMadrid B-CITY\n\nAna B-PERSON\n")
    done = tagger_cli("evaluate", "--model", str(ner), "--file", str(foreign), "--columns", "word,ner")
    assert done.returncode == 2 and "not in the model's tag set" in done.stderr and "Traceback" not in done.stderr
    with_pos = tmp_path / "with_pos.txt"    # CoNLL-2002 as shipped: word, POS, entity; this model reads words only
    with_pos.write_text("-DOCSTART- -DOCSTART- O\n\nJuan NC B-PER\nvive VMI O\nen SP O\nMadrid NC B-LOC\n")
    evaluate, tag = ["evaluate", "--file", str(with_pos), "--no-report"], ["tag", "--input", "columns"]
    for command, columns, ok in ((evaluate, "word,pos,ner", False), (evaluate, "word,_,ner", True),
                                 (tag, "word,pos", False), (tag, "word,_", True)):   # the same columns read by tag
        done = tagger_cli(*command, "--model", str(ner), "--columns", columns, stdin="Juan NC\nvive VMI\n")
        assert (done.returncode == 0) == ok, done.stderr
        assert ok or "skip the columns it does not read with '_'" in done.stderr and "Traceback" not in done.stderr


def test_entities_from_the_cli(ner):
    text = "¿Viajó Juan Villalonga a Madrid?\nLa ONU y la Unión Europea.\n"
    done = tagger_cli("tag", "--model", str(ner), "--entities", "--probs", stdin=text)
    assert done.returncode == 0, done.stderr
    want = Tagger.load(ner).entities_sents([tokenize(line, "es") for line in text.splitlines()], probs=True)
    lines = [(i, *e[:4], f"{e[4]:.4f}") for i, s in enumerate(want, 1) for e in s]
    assert done.stdout.splitlines() == ["\t".join(map(str, line)) for line in lines]
    done = tagger_cli("evaluate", "--model", str(ner), "--split", "dev", "--no-report")
    assert done.returncode == 0 and "F1" in done.stdout, done.stderr
    assert tagger_cli("tag", "--model", str(ner), "--entities", "--nbest", "2", "Madrid").returncode == 2
