"""The Baton desktop app (PySide6 + pyqtgraph): a face of ``baton.core``."""
