"""Where guard's data (rule files and lexicons) lives.

An installed wheel carries ``rules/`` and ``lexicons/`` inside the package as ``guard/_data``
(read through ``importlib.resources``); a source checkout (editable install) reads them from
the repository root, so the library and the CLI always read the same data.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path


@cache
def data_dir(name: str) -> Path:
    """Return the directory of the bundled data set ``name`` ("rules" or "lexicons")."""
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file() and (root / name).is_dir():
        return root / name  # a source checkout: edits to rules/ show at once
    packaged = resources.files("guard") / "_data" / name
    if packaged.is_dir():
        return Path(str(packaged))
    raise FileNotFoundError(f"guard's bundled {name}/ directory is missing from this installation")
