"""``python -m catfish``: the command line, as the ``catfish`` command."""

import sys

from catfish.experiments.cli import main

if __name__ == "__main__":
    sys.exit(main())
