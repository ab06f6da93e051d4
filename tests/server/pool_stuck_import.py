"""A module whose import never ends (a worker preloading it never answers the pool's warm-up
ping): it first opens the FIFO named by $MINICA_TEST_STUCK_FIFO, so a test knows the worker got here."""

from __future__ import annotations

import os
import threading

with open(os.environ["MINICA_TEST_STUCK_FIFO"], "w") as _fifo:
    _fifo.write("importing\n")
threading.Event().wait()
