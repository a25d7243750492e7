"""Shared bits of the example scripts: output folder, plotting backend, argument parsing."""
from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # write PNGs; no screen needed

OUT = Path(__file__).resolve().parent / "out"


def parser(doc: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="a few seconds: tiny budget, just shows it works")
    p.add_argument("--out", type=Path, default=OUT, help=f"folder for the PNG (default: {OUT})")
    return p


def save(fig, out: Path, name: str) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")
    return path
