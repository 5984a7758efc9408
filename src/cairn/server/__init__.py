"""The Cairn server: the REST API (`/api/v1`), the engine in the same process, and later the studio.

`create_app(settings)` builds the application; nothing is created at import time.
"""
