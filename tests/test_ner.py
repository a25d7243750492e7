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
from tagger.chunks import spans
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
