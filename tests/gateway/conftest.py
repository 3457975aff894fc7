"""Fixtures shared by the gateway's feature tests."""

from __future__ import annotations

import pytest

from services.eventlog.blobs import DiskBlobStore, ObjectStoreBlobStore


@pytest.fixture(params=["disk", "nats"])
def blobs(request, tmp_path, js):
    """Each blob backend the gateway may be configured with."""
    if request.param == "disk":
        return DiskBlobStore(tmp_path / "blobs")
    return ObjectStoreBlobStore(js, spool_dir=tmp_path)


async def one_chunk(data: bytes):
    yield data
