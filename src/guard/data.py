"""Where guard's data (rule files and lexicons) lives.

An installed wheel carries ``rules/`` and ``lexicons/`` inside the package as ``guard/_data``
(read through ``importlib.resources``); a source checkout (editable install) reads them from
the repository root, so the library and the CLI always read the same data.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import IO, Any

import yaml


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


_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML was built with it


def load_yaml(stream: str | IO[str]) -> Any:
    """Parse one YAML document safely (libyaml's C loader when available: rule files load ~10x faster)."""
    return yaml.load(stream, Loader=_Loader)  # noqa: S506 - a safe loader


MAX_NODES = 200_000  # a user file that expands to more YAML nodes is refused (an alias bomb stays small on disk)


def _expanded_nodes(node: Any, memo: dict[int, int]) -> int:
    """How many nodes the document holds once every alias is expanded (aliases share node objects)."""
    known = memo.get(id(node))
    if known is not None:
        return known
    memo[id(node)] = 1  # a recursive alias counts once
    if isinstance(node, yaml.SequenceNode):
        total = 1 + sum(_expanded_nodes(item, memo) for item in node.value)
    elif isinstance(node, yaml.MappingNode):
        total = 1 + sum(_expanded_nodes(k, memo) + _expanded_nodes(v, memo) for k, v in node.value)
    else:
        total = 1
    memo[id(node)] = min(total, MAX_NODES + 1)
    return memo[id(node)]


def load_user_yaml(text: str) -> Any:
    """Parse a YAML document that a user wrote (a config or a catalog), refusing an alias bomb."""
    loader = _Loader(text)  # parsed once: the node tree is checked, then built
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_nodes(node, {}) > MAX_NODES:
            raise ValueError(f"the document expands to more than {MAX_NODES:,} values through YAML aliases; refused")
        return loader.construct_document(node)
    finally:
        loader.dispose()


def load_yaml_all(stream: str | IO[str]) -> list[Any]:
    """Parse every document of a YAML stream safely."""
    return list(yaml.load_all(stream, Loader=_Loader))
