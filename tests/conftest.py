"""Test set-up shared by every test.

Qt must run offscreen and must learn that before anything imports it.
"""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("MPLBACKEND", "Agg")
# keep tests from reading or writing the user's real settings and recent files
os.environ.setdefault("GATEVIZ_SETTINGS_DIR", os.path.join(os.path.dirname(__file__), "..", ".pytest_cache", "settings"))
