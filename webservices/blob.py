"""Where a batch job reads and writes (issue 17): the studio's own storage, or a caller's Azure Blob storage named
by an Azure `ConnectionString`, behind one small interface (`Place`) the job code uses for both.

Azure is reached only through the Azure Storage SDK (`azure-storage-blob`). An account key is needed while the
job runs (to read, write and sign the results' SAS), so it is kept in the job record sealed (studio.sealing,
under ATELIER_SEALING_SECRETS, as endpoint keys are) and is never written to a log,
a job's Details or its JSON: results carry a read-only, expiring SAS instead. An account that can't be reached,
a refused key, a missing container or blob fail the job with a StorageError naming the place and the reason;
nothing ever falls back to a file of the studio's storage.
"""

from __future__ import annotations

import base64
import logging
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO, TYPE_CHECKING, Any, Protocol
from urllib.parse import quote, unquote, urlsplit

from django.conf import settings

from studio import outbound, sealing

from . import storage
from .storage import StorageError

if TYPE_CHECKING:
    from .models import BatchJob

logger = logging.getLogger(__name__)
logging.getLogger("azure").setLevel(logging.WARNING)  # the SDK logs each request at INFO: keep the logs quiet

SAS_SECONDS = storage.TOKEN_SECONDS
# The emulator's well-known development account (public, documented by Microsoft): `UseDevelopmentStorage=true`.
DEV_ACCOUNT = "devstoreaccount1"
DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
DEV_ENDPOINT = "http://127.0.0.1:10000/devstoreaccount1"
SDK_OPTIONS: dict[str, Any] = {"retry_total": 1, "connection_timeout": 10, "read_timeout": 120}


# --- The interface the job code uses ---------------------------------------------------------------


class Place(Protocol):
    """One input or output of a job."""

    @property
    def location(self) -> str:
        """`container/path` in its storage."""

    def open(self) -> AbstractContextManager[IO[bytes]]:
        """A seekable binary handle on the whole input, for a `with` block."""

    def write(self, stream: IO[bytes]) -> None:
        """Store the output, read from `stream` in pieces."""

    def result(self, base: str) -> dict[str, Any]:
        """The job's Results entry: {ConnectionString, BaseLocation, RelativeLocation, SasBlobToken}."""


@dataclass(frozen=True)
class StudioPlace:
    """A file of the workspace's own storage; outputs become the service's files."""

    workspace_id: str
    location: str
    service_id: int

    @contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        with storage.open_file(self.workspace_id, self.location) as handle:
            yield handle

    def write(self, stream: IO[bytes]) -> None:
        storage.write(self.workspace_id, self.location, stream, by=storage.Accessor(self.service_id))

    def result(self, base: str) -> dict[str, Any]:
        return {"ConnectionString": None, "BaseLocation": f"{base}/workspaces/{self.workspace_id}/storage/",
                "RelativeLocation": self.location, "SasBlobToken": storage.sas_token(self.workspace_id, self.location)}


@dataclass(frozen=True)
class Account:
    """An Azure storage account as a ConnectionString names it. `repr` leaves the key out."""

    name: str
    key: str
    endpoint: str  # the blob endpoint, without a trailing slash

    def __repr__(self) -> str:
        return f"Account({self.name!r}, {self.endpoint!r})"

    @property
    def connection_string(self) -> str:
        return f"AccountName={self.name};AccountKey={self.key};BlobEndpoint={self.endpoint}"


@dataclass(frozen=True)
class BlobPlace:
    """A blob `container/blob` of a caller's Azure storage account."""

    account: Account
    location: str
    label: str  # "Input 'input1'", named in every error

    @property
    def _names(self) -> tuple[str, str]:
        container, blob = self.location.split("/", 1)
        return container, blob

    def _client(self) -> Any:
        from azure.storage.blob import BlobClient

        container, blob = self._names
        vetted(self.account.endpoint, self.label + f" (blob '{self.location}')")
        return BlobClient.from_connection_string(self.account.connection_string, container, blob, **SDK_OPTIONS)

    @contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        """The blob spooled to a temporary file in the SDK's chunks: never whole in memory, and seekable for the
        job's reader (which looks at the file once before cutting it)."""
        limit = settings.ATELIER_STORAGE_MAX_FILE_BYTES
        with tempfile.TemporaryFile() as spool, self._azure():
            size = 0
            for piece in self._client().download_blob().chunks():
                size += len(piece)
                if size > limit:
                    raise StorageError(f"{self.label}: the blob '{self.location}' is larger than the limit of {limit} "
                                       "bytes (ATELIER_STORAGE_MAX_FILE_BYTES).")
                spool.write(piece)
            spool.seek(0)
            yield spool

    def write(self, stream: IO[bytes]) -> None:
        with self._azure():
            self._client().upload_blob(stream, overwrite=True)

    def result(self, base: str) -> dict[str, Any]:
        from azure.storage.blob import BlobSasPermissions, generate_blob_sas

        container, blob = self._names
        sas = generate_blob_sas(self.account.name, container, blob, account_key=self.account.key,
                                permission=BlobSasPermissions(read=True),
                                expiry=datetime.now(UTC) + timedelta(seconds=SAS_SECONDS))
        return {"ConnectionString": f"BlobEndpoint={self.account.endpoint};SharedAccessSignature={sas}",
                "BaseLocation": f"{self.account.endpoint}/", "RelativeLocation": self.location,
                "SasBlobToken": f"?{sas}"}

    @contextmanager
    def _azure(self) -> Iterator[None]:
        try:
            yield
        except StorageError:
            raise
        except Exception as error:  # the SDK's errors, named by what they mean for the caller
            where = f"{self.label} (blob '{self.location}' of account '{self.account.name}')"
            raise azure_error(error, where) from None


CREDENTIALS_REFUSED = {"AuthenticationFailed", "AuthorizationFailure", "AuthorizationPermissionMismatch",
                       "InvalidAuthenticationInfo"}


def vetted(endpoint: str, what: str) -> None:
    """Refuse a blob endpoint on this machine or its private network, as Import Data's URLs are (studio.outbound):
    a caller's ConnectionString or BaseLocation must not make the studio call its own Redis, database or cloud
    metadata. ATELIER_OUTBOUND_ALLOWED_HOSTS lists the private hosts allowed (e.g. an Azurite on the LAN). The SDK
    resolves the name again when it connects; the window between the two lookups is the one gap left."""
    parts = urlsplit(endpoint)
    try:
        outbound.vetted_addresses(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
    except outbound.Unreachable as refused:
        logger.warning("blob endpoint refused: %s", refused)
        raise StorageError(f"{what}: the storage account's address is not allowed (a private or local address; "
                           "ATELIER_OUTBOUND_ALLOWED_HOSTS lists those a job may reach).", status=403,
                           code="Forbidden") from None


def azure_error(error: Exception, what: str) -> StorageError:
    """A StorageError saying why Azure refused: status and error code only (an SDK message may quote a request)."""
    from azure.core.exceptions import HttpResponseError, ResourceNotFoundError, ServiceRequestError

    raw = getattr(error, "error_code", "") or ""
    code = str(getattr(raw, "value", raw))
    status = getattr(error, "status_code", None)
    if code in CREDENTIALS_REFUSED or status in (401, 403):
        return StorageError(f"{what}: the storage account refused the credentials (check AccountName and AccountKey, "
                            "or the SAS).", status=403, code="Forbidden")
    if isinstance(error, ResourceNotFoundError) or status == 404:
        reason = "the container does not exist" if code == "ContainerNotFound" else "there is no such blob"
    elif isinstance(error, ServiceRequestError):
        reason = f"the storage account could not be reached ({type(error).__name__})"
    elif isinstance(error, HttpResponseError):
        reason = f"the storage account answered {status}" + (f" ({code})" if code else "")
    else:
        reason = type(error).__name__
    return StorageError(f"{what}: {reason}.")


# --- ConnectionString -------------------------------------------------------------------------------


def account_parse(connection_string: str, what: str) -> Account:
    """An Azure ConnectionString (`DefaultEndpointsProtocol=…;AccountName=…;AccountKey=…;BlobEndpoint=…` or
    `UseDevelopmentStorage=true`) as an Account; a StorageError naming `what` otherwise (never quoting the key)."""
    fields = {}
    for part in connection_string.strip().strip(";").split(";"):
        name, equals, value = part.partition("=")
        if not equals:
            raise StorageError(f"{what}: the ConnectionString is not of the Azure form "
                               "'DefaultEndpointsProtocol=https;AccountName=…;AccountKey=…'.")
        fields[name.strip().lower()] = value.strip()
    if fields.get("usedevelopmentstorage", "").lower() == "true":
        return Account(DEV_ACCOUNT, DEV_KEY, fields.get("blobendpoint", DEV_ENDPOINT).rstrip("/"))
    name, key = fields.get("accountname", ""), fields.get("accountkey", "")
    if not name or not key:
        raise StorageError(f"{what}: the ConnectionString needs AccountName and AccountKey (a SharedAccessSignature "
                           "alone can't sign the results' download tokens).")
    try:
        base64.b64decode(key, validate=True)
    except ValueError:
        raise StorageError(f"{what}: the ConnectionString's AccountKey is not a base64 key.") from None
    endpoint = fields.get("blobendpoint") or (f"{fields.get('defaultendpointsprotocol', 'https')}://{name}.blob."
                                             f"{fields.get('endpointsuffix', 'core.windows.net')}")
    if urlsplit(endpoint).scheme not in ("http", "https") or not urlsplit(endpoint).netloc:
        raise StorageError(f"{what}: the ConnectionString's BlobEndpoint must be an http(s) URL.")
    return Account(name, key, endpoint.rstrip("/"))


def seal(account: Account) -> str:
    """The account as stored in the job record: encrypted (studio.sealing), so the database alone does not give
    the key away."""
    return sealing.seal(account.connection_string)


def unseal(sealed: str) -> Account:
    text = sealing.unseal(sealed)
    if text is None:
        raise StorageError("The job's storage account can't be read back (no configured sealing secret opens it); "
                           "submit the job again.")
    return account_parse(text, "The job's storage account")


# --- A job's places -----------------------------------------------------------------------------------


def job_places(job: BatchJob) -> tuple[dict[str, Place], dict[str, Place]]:
    """(inputs, outputs) of a job, each on the storage it was submitted with."""
    service = job.endpoint.service
    accounts: dict[str, dict[str, str]] = job.blob_accounts or {}

    def place(kind: str, name: str, location: str) -> Place:
        sealed = accounts.get(kind, {}).get(name)
        if sealed is None:
            return StudioPlace(service.workspace_id, location, service.pk)
        return BlobPlace(unseal(sealed), location, f"{kind[:-1]} '{name}'")

    return ({name: place("Inputs", name, location) for name, location in job.inputs.items()},
            {name: place("Outputs", name, location) for name, location in job.outputs.items()})


# --- A blob named by URL and SAS (Update Resource) -------------------------------------------------------


def is_blob_url(base: str, workspace_id: str) -> bool:
    """A BaseLocation that is an http(s) URL but not this workspace's own storage: a blob endpoint."""
    parts = urlsplit(base)
    return parts.scheme in ("http", "https") and not parts.path.endswith(f"/workspaces/{workspace_id}/storage/")


def fetch_signed(base: str, relative: str, sas: str, limit: int) -> bytes:
    """A (model-sized) blob downloaded with its SAS (`BaseLocation` + `RelativeLocation` + `SasBlobToken`)."""
    from azure.storage.blob import BlobClient

    what = f"The blob '{relative}'"
    if "sig=" not in sas:
        raise StorageError(f"{what}: the SasBlobToken is not an Azure SAS ('?sv=…&sig=…').", status=403,
                           code="Forbidden")
    path = "/".join(quote(unquote(part)) for part in relative.strip("/").split("/"))
    url = f"{base.rstrip('/')}/{path}?{sas.lstrip('?')}"
    vetted(base, what)
    try:
        client = BlobClient.from_blob_url(url, **SDK_OPTIONS)
        if int(client.get_blob_properties().size) > limit:
            raise StorageError(f"{what} is larger than {limit} bytes.")
        return bytes(client.download_blob().readall())
    except StorageError:
        raise
    except Exception as error:
        raise azure_error(error, what) from None
