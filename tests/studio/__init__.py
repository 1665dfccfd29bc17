"""Tests of Studio serving, approval, redo-shot, progress and PostgreSQL checkpoints."""
