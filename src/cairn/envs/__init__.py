"""Environments: one Python environment per distinct specification, built once with uv, its
exact package set recorded, reused by every step that asks for the same thing."""
