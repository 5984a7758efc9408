"""`/api/v1/blobs`: content-addressed uploads of the files a job or asset refers to."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from cairn.server.auth import Permission, require
from cairn.server.routes.deps import State
from cairn.server.schemas import HashList
from cairn.server.uploads import BlobStore

router = APIRouter(prefix="/blobs", tags=["uploads"])


def blobs(server: State) -> BlobStore:
    return BlobStore(server.settings.home.root)


@router.post("/missing", dependencies=[require(Permission.SUBMIT)])
def missing(body: HashList, server: State) -> dict[str, Any]:
    return {"missing": blobs(server).missing(body.hashes)}


@router.put("/{content_hash}", status_code=201, dependencies=[require(Permission.SUBMIT)])
async def upload(content_hash: str, request: Request, server: State) -> dict[str, Any]:
    writer = blobs(server).writer(content_hash)
    try:
        async for chunk in request.stream():
            writer.write(chunk)
        created = writer.commit()
    finally:
        writer.abort()
    return {"hash": content_hash, "created": created}
