"""The Python client of a Cairn server: `cairn.client.Client`, and finding or starting the local
server for a Cairn home (`cairn.client.local.connect`)."""

from cairn.client.client import Client

__all__ = ["Client"]
