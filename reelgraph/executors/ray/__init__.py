"""Backends as resident Ray actors, and the cluster they run on."""
