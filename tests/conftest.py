import os

# Qt must never try to reach a display in tests; set before any QApplication.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
