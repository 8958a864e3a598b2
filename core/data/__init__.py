"""Datasets and models: reading tables, loading models through exact allowlists, importing
both into the catalog, declared tasks, and the sandboxed child process that runs model code."""
