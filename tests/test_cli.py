from tests.conftest import tagger_cli
from tagger.cli import main


def test_train_then_tag_and_evaluate_on_tiny_data(tmp_path, capsys):
    out = tmp_path / "model"
    rc = main(["train", "--corpus", "treebank", "--max-train-sentences", "30", "--epochs", "1", "--hidden", "8",
               "--word-dim", "8", "--char-out", "8", "--out", str(out), "--quiet"])
    assert rc == 0 and (out / "config.json").exists()
    assert '"vector_dim": 64' in (out / "config.json").read_text()   # default: vectors learned from NLTK text
    assert "best dev accuracy" in capsys.readouterr().out
    assert main(["tag", "--model", str(out), "The", "cat", "sat", "."]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("The/") and len(line.split()) == 4
    assert main(["evaluate", "--model", str(out), "--split", "dev", "--no-report"]) == 0
    assert "OOV accuracy" in capsys.readouterr().out


def test_train_from_file_and_tag_stdin_tsv(tmp_path):
    data = tmp_path / "train.txt"
    data.write_text("the/DT dog/NN barks/VBZ ./.\na/DT cat/NN sleeps/VBZ ./.\n")
    out = tmp_path / "m"
    assert main(["train", "--train-file", str(data), "--epochs", "2", "--hidden", "8", "--out", str(out),
                 "--word-vectors", "none", "--quiet"]) == 0
    proc = tagger_cli("tag", "--model", str(out), "--format", "tsv", stdin="the dog sleeps .\na cat barks .\n")
    assert proc.returncode == 0, proc.stderr
    blocks = proc.stdout.strip().split("\n\n")
    assert len(blocks) == 2 and blocks[0].splitlines()[0].startswith("the\t")


def test_cli_errors_are_one_line(tmp_path, capsys):
    assert main(["tag", "--model", str(tmp_path / "missing"), "x"]) == 2
    err = capsys.readouterr().err
    assert "does not exist" in err and "Traceback" not in err
    bad = tmp_path / "bad.txt"
    bad.write_text("the/DT dog\n")
    assert main(["train", "--train-file", str(bad), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    assert "bad.txt:1" in capsys.readouterr().err


def test_help_explains_every_option():
    proc = tagger_cli("train", "--help")
    assert proc.returncode == 0
    for flag in ("--layers", "--cell", "--unidirectional", "--clip-norm", "--patience", "--word-dropout", "--seed",
                 "--word-vectors", "--vector-dim"):
        assert flag in proc.stdout


def test_cli_and_python_build_the_same_configs():
    from tagger import TaggerConfig
    from tagger.cli import build_parser as tagger_parser
    from tagger.cli import configs_from_args as tagger_configs
    from tagger.train import TRAINING as TAGGER_TRAINING
    from treernn import TreeNetConfig
    from treernn.cli import build_parser as tree_parser
    from treernn.cli import configs_from_args as tree_configs
    from treernn.train import TRAINING as TREE_TRAINING

    assert tagger_configs(tagger_parser().parse_args(["train", "--out", "x"])) == (TaggerConfig(), TAGGER_TRAINING)
    assert tree_configs(tree_parser().parse_args(["train", "--out", "x"])) == (TreeNetConfig(), TREE_TRAINING)
    rntn = tree_configs(tree_parser().parse_args(["train", "--out", "x", "--cell", "rntn"]))[0]
    assert rntn == TreeNetConfig(cell="rntn") and rntn.hidden_size == 40
    assert TREE_TRAINING.weight_decay == 1e-5 and TREE_TRAINING.optimizer == "adagrad"


def test_limits_must_be_positive(capsys):
    import pytest

    for flag in ("--max-train-sentences", "--min-count"):
        for bad in ("0", "-3390"):
            with pytest.raises(SystemExit):
                main(["train", "--out", "x", flag, bad])
            assert "must be >= 1" in capsys.readouterr().err


def test_bad_files_and_folders_are_one_line_errors(tmp_path, capsys):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    latin = tmp_path / "latin.txt"
    latin.write_bytes("the/DT dog/NN\ncaf\xe9/NN ./.\n".encode("latin-1"))
    bom = tmp_path / "bom.txt"
    bom.write_bytes("\ufeffthe/DT dog/NN ./.\n".encode("utf-8"))
    cases = [(["evaluate", "--file", str(empty)], "empty.txt holds no tagged sentences"),
             (["train", "--train-file", str(latin), "--out", str(tmp_path / "o")], r"latin.txt: not UTF-8 text: "
              r"byte 0xe9 at offset 17 \(line 2\)"),
             (["train", "--out", str(bom), "--epochs", "1"], "bom.txt is a file, not a folder"),
             (["tag", "--model", "", "x"], "--model is empty"),
             (["evaluate", "--corpus", "brown", "--split", "dev"], "gold tags are not in the model's tag set")]
    import re

    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert re.search(message, err) and len(err.strip().splitlines()) == 1, err
    from corpora.readers import read_slash

    assert read_slash(bom)[0][0] == ("the", "DT")      # the byte-order mark is not part of a word


def test_progress_in_a_log_is_one_line_an_epoch(tmp_path):
    proc = tagger_cli("train", "--max-train-sentences", "30", "--epochs", "2", "--hidden", "8", "--word-vectors",
                      "none", "--out", str(tmp_path / "m"))
    assert proc.returncode == 0, proc.stderr
    assert "\r" not in proc.stderr + proc.stdout and len(proc.stderr) < 2000
    assert [line.split()[:2] for line in proc.stdout.splitlines() if line.startswith("epoch")] == \
        [["epoch", "1"], ["epoch", "2"]]


def test_int8_with_the_default_device_tags_on_the_cpu_where_there_is_a_gpu(fake_gpus, monkeypatch, capsys):
    """--int8 runs on the CPU alone: with --device auto on a GPU machine (faked: torch claims a GPU, so any
    move of the model to CUDA would fail here) the CLI loads the model on the CPU instead of refusing."""
    import io

    fake_gpus(1)
    monkeypatch.setattr("sys.stdin", io.StringIO("The cat sat .\n"))
    assert main(["tag", "--int8", "--format", "tsv"]) == 0
    assert capsys.readouterr().out.split()[:2] == ["The", "DT"]
