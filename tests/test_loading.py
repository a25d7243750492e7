"""Loading a shipped model must not import torch's compiler (torch._dynamo, about a second): an
op on the meta tensors a network is first built on when loaded (deeptrees.modelfile) imports it, as
the CRF's masks and the parser's start/stop vectors once did. Load + first use stays well under 1 s."""
import subprocess
import sys

import pytest

USES = {
    "tagger": "import tagger; tagger.load_default().tag(['A', 'test', '.'])",
    "tree network and parser": "import treernn; treernn.load_default().predict(['A', 'fine', 'film', '.'])",
}


@pytest.mark.parametrize("use", USES.values(), ids=USES.keys())
def test_loading_and_first_use_leave_torch_dynamo_unimported(use):
    out = subprocess.run([sys.executable, "-c", f"import sys; {use}; print('torch._dynamo' in sys.modules)"],
                         capture_output=True, text=True, check=True, timeout=300)
    assert out.stdout.strip().splitlines()[-1] == "False"
