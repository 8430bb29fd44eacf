"""Moved to core.auth (the bottom layer); this name stays the same module for older imports."""

import sys

from core import auth as _moved

sys.modules[__name__] = _moved
