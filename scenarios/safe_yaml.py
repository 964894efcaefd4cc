"""YAML as Catfish reads it: the safe loader, with a key given twice in a mapping an error.

PyYAML's safe loader keeps the last of two equal keys without a word, so a file that sets
``share`` twice runs on whichever comes second. :class:`UniqueKeyLoader` refuses that; every
YAML file Catfish reads goes through :func:`load`. Scalars are read exactly as by
``yaml.safe_load`` (for instance ``1e9``, which YAML 1.1 does not take for a number, stays
text and is converted where a number is expected).
"""

from __future__ import annotations

from typing import Any

import yaml

MERGE_TAG = "tag:yaml.org,2002:merge"


class DuplicateKeyError(yaml.YAMLError):
    """A mapping names the same key twice.

    Attributes:
        key: The key.
        line: Line (1-based) of its second appearance.
        column: Column (1-based) of its second appearance.
        first_line: Line (1-based) of its first appearance.
    """

    def __init__(self, key: Any, line: int, column: int, first_line: int) -> None:
        super().__init__(f"{line}:{column}: key {key!r} appears twice (first at line "
                         f"{first_line})")
        self.key, self.line, self.column, self.first_line = key, line, column, first_line


class UniqueKeyLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that raises :class:`DuplicateKeyError` on a repeated mapping key.

    Keys brought in by a merge (``<<: *anchor``) may be overridden, as YAML intends; only keys
    written twice in the same mapping are refused.
    """

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        """The mapping of ``node``, after checking that no key is written twice."""
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == MERGE_TAG:
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:  # an unhashable key: the safe loader reports it itself
                    continue
                mark = key_node.start_mark
                if first is not None:
                    raise DuplicateKeyError(key, mark.line + 1, mark.column + 1, first)
                seen[key] = mark.line + 1
        return super().construct_mapping(node, deep=deep)


def load(text: str) -> Any:
    """Parse YAML text like ``yaml.safe_load``, refusing a mapping key written twice.

    Raises:
        DuplicateKeyError: A key appears twice in one mapping.
        yaml.YAMLError: The text is not valid YAML.
    """
    # yaml.load with a subclass of SafeLoader: as safe as safe_load (no arbitrary objects)
    return yaml.load(text, Loader=UniqueKeyLoader)
