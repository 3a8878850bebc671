"""``python -m bench``: the engine benchmark (see :mod:`bench.meta_bench`)."""

import sys

from bench.meta_bench import main

sys.exit(main())
