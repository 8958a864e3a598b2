"""The catalog: the workspace's SQLite database, its content-addressed object store and
the workspace home. The only package that speaks SQL; it imports nothing above it."""
