"""What every screen shares: widgets, charts, the worker pool and the jobs it runs."""
