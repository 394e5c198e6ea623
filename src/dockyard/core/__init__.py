"""What every layer shares, without I/O (but reading pyproject.toml): errors, the project and its typed
settings, units, image references, `id` output, loopback addresses, secret masking."""
