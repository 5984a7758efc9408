"""Workspace services: what combines the store, the datastores and the spec.

Registering assets, computes and datastores from Azure's YAML, answering the plan's lookups, and
submitting jobs. The server calls these; they never speak HTTP.
"""
