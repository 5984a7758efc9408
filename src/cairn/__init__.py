"""Cairn: Azure Machine Learning pipeline YAML, run locally or on Ray, with one auditable record."""

__version__ = "0.1.0"
