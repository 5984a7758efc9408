"""The SQLAlchemy implementation of the store interfaces (one per aggregate).

Everything in here works on both SQLite and PostgreSQL; the differences live in `cairn.store.db`.
Modules here must not leak ORM rows: they convert to `cairn.store.records` before returning.
"""
