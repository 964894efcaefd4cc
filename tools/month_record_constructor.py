"""Write ``sim/month_record.py``'s constructor from ``sim.month_state.FIELDS``.

Run: ``python tools/month_record_constructor.py`` after adding, removing or reordering a field
of ``sim.month_state.FIELDS``; ``tests/test_month_state.py`` fails until the constructor's
parameters are the fields, in their order. (The constructor is written out, not made at run
time, so that numba caches it: a ``structref`` proxy's own constructor is compiled again in
every process.)
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from catfish.sim.month_state import NAMES

FILE = Path(__file__).resolve().parents[1] / "sim" / "month_record.py"
START = "@compiled\ndef new_month_state("


def constructor() -> str:
    """The constructor's source: one parameter and one assignment per field."""
    # (the return type kept on the last parameter's line: two spaces are added back after)
    head = textwrap.fill(f"def new_month_state({', '.join(NAMES)})->MonthState:", width=97,
                         subsequent_indent=" " * 20).replace(")->", ") -> ")
    body = "\n".join(f"    record.{name} = {name}" for name in NAMES)
    doc = "A :class:`MonthState` holding these (in ``sim.month_state.FIELDS``' order)."
    return (f'@compiled\n{head}\n    """{doc}"""\n'
            f"    record = structref.new(MONTH_STATE_TYPE)\n{body}\n    return record\n")


def main() -> None:
    """Replace the constructor at the end of ``sim/month_record.py``."""
    source = FILE.read_text(encoding="utf-8")
    if not re.search(re.escape(START), source):
        raise SystemExit(f"{FILE}: no constructor found ({START!r})")
    FILE.write_text(source[:source.index(START)] + constructor(), encoding="utf-8")
    print(f"wrote {FILE}: {len(NAMES)} fields")


if __name__ == "__main__":
    main()
