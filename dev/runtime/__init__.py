"""The real Lambda runtime, locally: its interface emulator, its Python, one-off invokes."""
