"""A run on disk: its folder, its lock, its checkpoints, integrity checks, and its lifecycle (new, resume, repair)."""
