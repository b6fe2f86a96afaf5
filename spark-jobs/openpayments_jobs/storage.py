"""Small files (inputs.json, the contract, metrics) through the Hadoop FileSystem API.

The jobs run where the data is: ``file://`` paths locally, ``s3://`` keys on EMR. Going through the
JVM's Hadoop FileSystem (via py4j) gives both with the cluster's own credentials and no third-party
Python dependency. A URI without a scheme resolves against the default file system (the local disk
under ``spark-submit --master local``).
"""

from __future__ import annotations

import uuid
from typing import Any, List

from pyspark.sql import SparkSession

#: File systems where a rename is a cheap metadata operation, so a write can go to a temporary name
#: and appear complete in one step. On object stores (s3, s3a, gs, ...) a rename is a copy, and a
#: single PUT is already all-or-nothing, so the file is created in place.
_RENAMING_SCHEMES = ("file", "hdfs", "viewfs")


def _path(spark: SparkSession, uri: str) -> Any:
    return spark._jvm.org.apache.hadoop.fs.Path(uri)  # type: ignore[union-attr]


def _fs(spark: SparkSession, path: Any) -> Any:
    fs = path.getFileSystem(spark._jsc.hadoopConfiguration())  # type: ignore[union-attr]
    try:
        # The local file system wraps a raw one that also writes `.name.crc` side files; the raw one
        # writes only the file asked for.
        return fs.getRawFileSystem()
    except Exception:  # not a ChecksumFileSystem: use it as is
        return fs


def _scheme(fs: Any, path: Any) -> str:
    return str(fs.makeQualified(path).toUri().getScheme() or "").lower()


def exists(spark: SparkSession, uri: str) -> bool:
    path = _path(spark, uri)
    return bool(_fs(spark, path).exists(path))


def size(spark: SparkSession, uri: str) -> int:
    """Length in bytes of a file."""
    path = _path(spark, uri)
    return int(_fs(spark, path).getFileStatus(path).getLen())


def list_files(spark: SparkSession, uri: str) -> List[str]:
    """Names of the files directly under a directory (no recursion), sorted; [] if it does not exist."""
    path = _path(spark, uri)
    fs = _fs(spark, path)
    if not fs.exists(path):
        return []
    return sorted(str(s.getPath().getName()) for s in fs.listStatus(path) if s.isFile())


def delete(spark: SparkSession, uri: str) -> bool:
    """Deletes a file or a directory tree; False when there was nothing to delete."""
    path = _path(spark, uri)
    return bool(_fs(spark, path).delete(path, True))


def read_text(spark: SparkSession, uri: str) -> str:
    """The whole file decoded as UTF-8."""
    jvm = spark._jvm  # type: ignore[union-attr]
    path = _path(spark, uri)
    stream = _fs(spark, path).open(path)
    buffer = jvm.java.io.ByteArrayOutputStream()
    jvm.org.apache.hadoop.io.IOUtils.copyBytes(stream, buffer, 1 << 16, True)  # closes both streams
    return bytes(buffer.toByteArray()).decode("utf-8")


def write_text(spark: SparkSession, uri: str, text: str) -> None:
    """Writes (or replaces) a file with ``text`` as UTF-8, so readers see the old or the new file,
    never a partial one: through a temporary name and a rename where renames are atomic, a single
    create (one PUT) on object stores."""
    path = _path(spark, uri)
    fs = _fs(spark, path)
    data = bytearray(text.encode("utf-8"))
    if _scheme(fs, path) not in _RENAMING_SCHEMES:
        _create(fs, path, data)
        return
    tmp = _path(spark, f"{path.getParent().toString()}/.{path.getName()}.{uuid.uuid4().hex}.tmp")
    _create(fs, tmp, data)
    try:
        if not fs.rename(tmp, path):
            # HDFS refuses to rename onto an existing file (the local FS replaces it).
            fs.delete(path, False)
            if not fs.rename(tmp, path):
                raise OSError(f"could not rename {tmp.toString()} to {uri}")
    finally:
        if fs.exists(tmp):
            fs.delete(tmp, False)


def _create(fs: Any, path: Any, data: bytearray) -> None:
    out = fs.create(path, True)
    try:
        out.write(data)
    finally:
        out.close()
