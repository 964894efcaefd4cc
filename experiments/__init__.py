"""Experiments: command line, charts and result files."""

import os

# Arrow's default allocator (mimalloc) keeps what it once used, so a sweep's coordinator that
# reads and writes Parquet for hours grows by tens of MB for good; the system allocator gives
# memory back. Arrow reads this when pyarrow is first imported (pandas imports it), so it only
# takes effect when ``experiments`` is imported first, as the ``catfish`` command does. A value
# the user set is kept.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
