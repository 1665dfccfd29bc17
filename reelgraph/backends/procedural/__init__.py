"""The CPU animatic backends: procedural pictures, camera moves, score (numpy/PIL; no weights)."""
