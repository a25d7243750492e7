import subprocess
import sys

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
    proc = subprocess.run([sys.executable, "-m", "tagger", "tag", "--model", str(out), "--format", "tsv"],
                          input="the dog sleeps .\na cat barks .\n", capture_output=True, text=True, check=True)
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
    proc = subprocess.run([sys.executable, "-m", "tagger", "train", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0
    for flag in ("--layers", "--cell", "--unidirectional", "--clip-norm", "--patience", "--word-dropout", "--seed",
                 "--word-vectors", "--vector-dim"):
        assert flag in proc.stdout
