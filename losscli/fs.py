"""One filesystem layer: local paths and URIs (`s3://`, `gs://`, any fsspec URL) opened alike.

Readers open files through `input_file`/`input_stream`, datasets list through
`dataset_files`, outputs upload through `atomic_upload`. A local path takes the local branch
with nothing new imported; only a URI loads pyarrow.fs (and fsspec for schemes pyarrow lacks),
so no cloud library is imported unless a URI is used.

S3 uses pyarrow's S3FileSystem, which reads credentials the standard AWS way (environment,
~/.aws/credentials and config, AWS_PROFILE, instance roles); the endpoint comes from
AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL, so S3-compatible stores (MinIO, moto) work.
Every failure becomes an InputDataError (exit 3) naming the URI.
"""

from __future__ import annotations

import contextlib
import fnmatch
import functools
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from losscli.errors import InputDataError

_URI = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]+)://")


def is_uri(path: str | os.PathLike[str] | None) -> bool:
    """`scheme://…` other than `file://` (plain local paths and `-` are not URIs)."""
    if path is None:
        return False
    match = _URI.match(os.fspath(path))
    return match is not None and match.group(1).lower() != "file"


def is_pattern(uri: str) -> bool:
    return any(ch in _key(uri) for ch in "*?[")


def _scheme(uri: str) -> str:
    return uri.split("://", 1)[0].lower()


def _key(uri: str) -> str:
    """`s3://bucket/a/b` → `bucket/a/b`: the path pyarrow's filesystems take."""
    return uri.split("://", 1)[1]


@functools.cache
def _filesystem(scheme: str) -> Any:
    if scheme in ("s3", "s3a"):
        from pyarrow.fs import S3FileSystem

        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
        options: dict[str, Any] = {"allow_bucket_creation": False, "allow_bucket_deletion": False}
        if endpoint:
            scheme_part, _, host = endpoint.rpartition("://")
            options.update(endpoint_override=host or endpoint, scheme=scheme_part or "https")
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        if region:
            options["region"] = region
        return S3FileSystem(**options)
    if scheme in ("gs", "gcs"):
        from pyarrow.fs import GcsFileSystem

        return GcsFileSystem()
    try:
        import fsspec
    except ImportError:
        raise InputDataError(
            f"{scheme}:// URIs need fsspec",
            hint="pip install 'losscli[fsspec]' (and the fsspec backend for this scheme)",
        ) from None
    from pyarrow.fs import FSSpecHandler, PyFileSystem

    try:
        return PyFileSystem(FSSpecHandler(fsspec.filesystem(scheme)))
    except (ImportError, ValueError) as exc:
        raise InputDataError(
            f"no filesystem for {scheme}:// URIs: {exc}",
            hint="install the fsspec backend for this scheme",
        ) from None


def filesystem(uri: str) -> tuple[Any, str]:
    """(pyarrow FileSystem, path inside it) for a URI."""
    scheme = _scheme(uri)
    try:
        fs = _filesystem(scheme)
    except InputDataError as exc:
        exc.path = uri
        raise
    key = _key(uri)
    if scheme not in ("s3", "s3a", "gs", "gcs"):
        key = uri  # fsspec filesystems take their own URLs (memory://x keeps its scheme)
        with contextlib.suppress(ImportError):
            import fsspec.core

            key = fsspec.core.strip_protocol(uri)
    return fs, key


_AWS_ERROR = re.compile(r"AWS Error (\w+) during (\w+) operation")


def store_error(exc: BaseException, uri: str) -> InputDataError:
    """pyarrow's and the stores' errors in losscli's words, naming the URI."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    low = text.lower()
    aws = _AWS_ERROR.search(text)
    if aws:
        text = f"{aws.group(1)} on {aws.group(2)}"
    if "nosuchbucket" in low or "no_such_bucket" in low or "bucket does not exist" in low:
        return missing(uri, bucket=False)
    if "access_denied" in low or "accessdenied" in low or "forbidden" in low or "403" in low:
        return InputDataError(f"access denied ({text})", path=uri, hint=_credentials_hint())
    if "credential" in low or "invalidaccesskeyid" in low or "signature" in low:
        return InputDataError(f"credentials refused ({text})", path=uri, hint=_credentials_hint())
    if isinstance(exc, FileNotFoundError) or "does not exist" in low or "nosuchkey" in low:
        return missing(uri)
    return InputDataError(f"cannot reach the object store: {text}", path=uri)


def missing(uri: str, *, bucket: bool = True) -> InputDataError:
    """'no such object', or 'no such bucket' when the bucket itself is not there."""
    from pyarrow.fs import FileType

    if bucket:
        fs, key = filesystem(uri)
        with contextlib.suppress(OSError, ValueError):
            bucket = fs.get_file_info(key.split("/", 1)[0]).type != FileType.NotFound
    if not bucket:
        return InputDataError(
            "no such bucket", path=uri, hint="check the bucket name (and AWS_ENDPOINT_URL)"
        )
    return InputDataError("no such object or prefix", path=uri, hint="check the URI")


def _credentials_hint() -> str:
    """Name the likely cause: no credentials at all, or ones without the permission."""
    found = (
        any(
            os.environ.get(name)
            for name in ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE")
        )
        or Path(os.environ.get("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"))
        .expanduser()
        .is_file()
    )
    if not found:
        return (
            "no credentials were found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
            "AWS_PROFILE, or write ~/.aws/credentials"
        )
    return "the credentials found lack permission for this object; check them and the bucket policy"


def kind(uri: str) -> str:
    """'file', 'dir' (a prefix holding objects) or 'missing'."""
    from pyarrow.fs import FileType

    fs, key = filesystem(uri)
    try:
        info = fs.get_file_info(key.rstrip("/") or key)
    except (OSError, ValueError) as exc:
        raise store_error(exc, uri) from exc
    if info.type == FileType.File and not uri.endswith("/"):
        return "file"
    if info.type in (FileType.Directory, FileType.File):
        return "dir"
    return "missing"


def input_file(path: str) -> Any:
    """What Parquet and Arrow readers open: the path itself when local, else a seekable
    pyarrow file streaming ranges from the store."""
    if not is_uri(path):
        return path
    fs, key = filesystem(path)
    try:
        return fs.open_input_file(key)
    except (OSError, ValueError) as exc:
        raise store_error(exc, path) from exc


def input_stream(path: str, compression: str | None = None) -> Any:
    """A sequential binary stream (CSV, JSON Lines), decompressed by pyarrow when asked."""
    import pyarrow as pa

    if not is_uri(path):
        return pa.input_stream(path, compression=compression)
    fs, key = filesystem(path)
    try:
        raw = fs.open_input_stream(key, compression=None)  # decompressed below, once
    except (OSError, ValueError) as exc:
        raise store_error(exc, path) from exc
    return pa.CompressedInputStream(raw, compression) if compression else raw


def dataset_files(uri: str) -> tuple[Any, list[str], str | None]:
    """(filesystem, sorted object paths, base dir for hive partitions or None) of a prefix or
    a glob; objects under `_` or `.` names (Spark's _SUCCESS) are skipped, as pyarrow does."""
    from pyarrow.fs import FileSelector, FileType

    fs, key = filesystem(uri)
    pattern = key if is_pattern(uri) else None
    base = key.rstrip("/")
    if pattern is not None:
        base = re.split(r"[*?\[]", pattern, maxsplit=1)[0].rsplit("/", 1)[0]
    try:
        infos = fs.get_file_info(FileSelector(base, recursive=True, allow_not_found=True))
    except (OSError, ValueError) as exc:
        raise store_error(exc, uri) from exc
    files = []
    for info in infos:
        relative = info.path[len(base) :].lstrip("/")
        if info.type != FileType.File or any(p[:1] in "_." for p in relative.split("/")):
            continue
        if pattern is None or fnmatch.fnmatchcase(info.path, pattern):
            files.append(info.path)
    return fs, sorted(files), None if pattern is not None else base


def object_record(uri: str) -> dict[str, Any]:
    """Size and the store's identity of an object's content (ETag, version id, generation):
    what the reproducibility block records instead of hashing a remote file again."""
    fs, key = filesystem(uri)
    record: dict[str, Any] = {"size": None, "etag": None, "version": None}
    try:
        with fs.open_input_file(key) as f:
            record["size"] = f.size()
            meta = {k.lower(): v for k, v in (f.metadata() or {}).items()}
    except (OSError, ValueError) as exc:
        raise store_error(exc, uri) from exc
    for name in ("etag", "e_tag"):
        if name in meta:
            record["etag"] = _text(meta[name]).strip('"')
    for name in ("versionid", "version_id", "x-amz-version-id", "generation"):
        if name in meta:
            record["version"] = _text(meta[name])
    return record


def objects_record(uri: str) -> list[dict[str, Any]]:
    """Every object of a prefix or glob with its record (a dataset's reproducibility)."""
    _, files, _ = dataset_files(uri)
    prefix = uri.split("://", 1)[0] + "://"
    return [{"path": prefix + f, **object_record(prefix + f)} for f in files]


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


@contextlib.contextmanager
def atomic_upload(uri: str) -> Iterator[Path]:
    """Yield a local temporary file; upload it to `uri` only if the block succeeds.

    An object store has no rename, but a PUT (or a multipart upload, completed at the end) is
    atomic: readers see the old object or the whole new one, never a half file."""
    folder = tempfile.mkdtemp(prefix="losscli-upload-")
    tmp = Path(folder) / Path(_key(uri)).name
    try:
        yield tmp
        fs, key = filesystem(uri)
        try:
            with tmp.open("rb") as src, fs.open_output_stream(key) as out:
                shutil.copyfileobj(src, out, 8 << 20)
        except (OSError, ValueError) as exc:
            raise store_error(exc, uri) from exc
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def memory_map(path: str) -> Any:
    """A local file memory-mapped (only touched pages are read); a URI as a seekable stream."""
    import pyarrow as pa

    return input_file(path) if is_uri(path) else pa.memory_map(path)


def uri_record(uri: str) -> dict[str, Any]:
    """An object's size, ETag and version; a prefix or glob lists each of its objects."""
    if not is_pattern(uri) and kind(uri) == "file":
        return object_record(uri)
    return {"size": None, "etag": None, "version": None, "objects": objects_record(uri)}


def parent(path: str) -> str:
    """The folder of a path or URI, as a string (Path would fold `s3://` into `s3:/`)."""
    if is_uri(path):
        return path.rsplit("/", 1)[0]
    return str(Path(path).parent)


def join(base: str, name: str) -> str:
    """`name` relative to `base` (a folder path or URI) unless it is absolute or a URI."""
    if is_uri(name) or Path(name).is_absolute():
        return name
    if is_uri(base):
        return f"{base.rstrip('/')}/{name}"
    return str(Path(base) / name)
