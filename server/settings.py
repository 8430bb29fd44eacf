"""Moved to core.settings (the bottom layer); this name stays the same module for older imports."""

import sys

from core import settings as _moved

sys.modules[__name__] = _moved
