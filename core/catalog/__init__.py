"""The catalog: the workspace's SQLite database, its content-addressed object store and
the workspace home. The only package that speaks SQL; it imports nothing above it.

Callers use named methods: :class:`~baton.core.catalog.store.Catalog`'s own (models,
datasets, measurements, search) and its repositories ``catalog.handovers``,
``catalog.drafts`` and ``catalog.trusted_keys``."""
