"""The S3 scratch storage (studio/scratch.py says what scratch files are). Imported only when STORAGE_URL is
s3://, through settings.STORAGES["scratch"]."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError
from django.core.files.base import ContentFile, File
from storages.backends.s3 import S3Storage
from storages.utils import clean_name


class ScratchS3Storage(S3Storage):
    """S3Storage that overwrites (no HEAD for a free name before a PUT), reads a file with one GET (S3File
    HEADs twice before its GET: its own existence check and s3transfer's size look-up) and deletes a
    thousand keys a request. A scratch file is one chunk's worth, read whole anyway."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**{**options, "file_overwrite": True})

    def _open(self, name: str, mode: str = "rb") -> File:
        if "w" in mode or "a" in mode or "+" in mode:
            return super()._open(name, mode)
        key = self._normalize_name(clean_name(name))
        try:
            body = self.bucket.Object(key).get()["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise FileNotFoundError(f"File does not exist: {name}") from error
            raise
        return ContentFile(body if "b" in mode else body.decode(), name=name)

    def delete_many(self, names: list[str]) -> None:
        """DeleteObjects, a thousand keys a request (S3's limit); keys already gone are no error."""
        keys = [self._normalize_name(clean_name(name)) for name in names]
        for start in range(0, len(keys), 1000):
            batch = [{"Key": key} for key in keys[start:start + 1000]]
            answer = self.bucket.delete_objects(Delete={"Objects": batch, "Quiet": True})
            if answer.get("Errors"):
                raise OSError(f"S3 did not delete {len(answer['Errors'])} scratch files: {answer['Errors'][0]}")
