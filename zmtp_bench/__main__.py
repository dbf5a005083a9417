"""``python -m zmtp_bench``: the same as the ``zmtp-bench`` command."""

import sys

from zmtp_bench._cli import main

sys.exit(main())
