"""The ``baton`` command line, the demo workspace and the desktop entry: thin faces of core."""
