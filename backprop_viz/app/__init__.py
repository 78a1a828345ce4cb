"""The Qt desktop application (PySide6 + pyqtgraph). Everything Qt lives here."""
