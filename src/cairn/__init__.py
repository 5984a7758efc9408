"""Cairn runs Azure Machine Learning pipeline YAML locally or on Ray, with one auditable job record."""

__version__ = "0.1.0"
