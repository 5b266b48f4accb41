"""The scratch storage on local files (studio/scratch.py): batch jobs' chunk files overwrite in place, beside
users' files, which never do. tests/webservices/test_bes_scratch.py covers S3."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from studio.scratch import scratch, scratch_delete, scratch_read


def test_a_scratch_file_is_overwritten_under_its_own_name_and_a_users_file_is_not(tmp_path, settings):
    settings.STORAGES = {**settings.STORAGES,
                         "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                     "OPTIONS": {"location": str(tmp_path)}},
                         "scratch": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                                     "OPTIONS": {"location": str(tmp_path), "allow_overwrite": True}}}
    name = "jobs/0123/out-output1-000000.csv"
    assert scratch().save(name, ContentFile(b"first\n")) == name
    assert scratch().save(name, ContentFile(b"again\n")) == name
    assert scratch_read(name) == b"again\n"
    assert default_storage.save(name, ContentFile(b"user\n")) != name  # the default storage picks a new name
    scratch_delete([name])
    with pytest.raises(FileNotFoundError):
        scratch_read(name)
