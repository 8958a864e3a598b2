"""Keys: my signing key and the colleagues' keys I trust."""
