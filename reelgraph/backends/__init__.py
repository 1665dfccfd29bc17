"""Backends: what renders pictures, clips, music and speech (procedural, diffusers, transformers). No LangChain."""
