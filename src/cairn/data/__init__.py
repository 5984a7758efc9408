"""Cairn's data layer: content hashes, safe paths, code snapshots, datastores and data URIs.

Modules, one concept each (import from them directly; this package imports nothing so that the
light parts, such as hashing, do not pull in the Azure clients):

- `hashing` — BLAKE3 hashes of files and folders (`hash_path`, `tree_hash`), with `stat_cache`;
- `paths` — `confine`/`clean_relative` for untrusted paths; `archives` — safe extraction;
- `snapshot` — content-addressed code snapshots honouring `.amlignore`/`.gitignore`;
- `datastore_config`, `secretbox` — datastore documents and their encrypted credentials;
- `datastores` — `Datastore` I/O over fsspec (local folders, Azure Blob);
- `uris`, `locations`, `http_fetch` — data references, where they live, `upload_local`, downloads.
"""
