"""A directory (hive-partitioned or flat) or a glob of files read as one dataset, in path order.

Partition values (`part=3/…`) become columns; files starting with `_` or `.` (Spark's
`_SUCCESS`, checksums) are skipped, as pyarrow does. The dataset is read whole or not at all:
every file's schema is read when it is opened and they must have the same columns (a column
that only some files have is an error naming a file without it, whatever the order of the
files); compatible types are promoted as for one file (int64 and float64 give float64); a
partition folder named like a column is refused; a file that cannot be read is named.
"""

from __future__ import annotations

import glob
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds

from losscli import fs
from losscli.errors import InputDataError, UsageError
from losscli.input_errors import check_header
from losscli.readers import ReadOptions, detect_format, short_message

_DATASET_FORMATS = ("parquet", "arrow", "csv", "tsv", "jsonl")
#: text formats infer types from a block: their integers are read as float64, as one file's are
_TEXT = ("csv", "tsv", "jsonl")


@dataclass
class DatasetSource:
    path: str
    options: ReadOptions
    dataset: Any
    format: str

    @property
    def schema(self) -> pa.Schema:
        return self.dataset.schema

    @property
    def column_names(self) -> list[str]:
        return list(self.schema.names)

    @property
    def num_rows(self) -> int | None:
        return self.dataset.count_rows() if self.format.startswith("parquet") else None

    def _fragments(self) -> list[Any]:
        return sorted(self.dataset.get_fragments(), key=lambda f: f.path)

    def batches(self, columns: list[str]) -> Iterator[pa.RecordBatch]:
        # one file at a time, in path order (row numbers and row-order joins rely on it), so
        # a file that fails half-way is named; little readahead: the engine prefetches on its
        # own, and each batch read ahead is memory held
        for fragment in self._fragments():
            scanner = ds.Scanner.from_fragment(
                fragment,
                schema=self.schema,
                columns=columns,
                batch_size=self.options.batch_size,
                batch_readahead=2,
                use_threads=True,
            )
            try:
                yield from scanner.to_batches()
            except (pa.ArrowException, OSError, EOFError) as exc:
                raise _file_error(exc, fragment.path, "read") from exc


def open_dataset(path: str, fmt: str | None, options: ReadOptions) -> DatasetSource:
    """`path` is a directory or a glob pattern; the format comes from `fmt` or the first file."""
    filesystem = None
    if fs.is_uri(path):
        filesystem, files, base = fs.dataset_files(path)
        source: Any = base or files
    else:
        files = dataset_files(path)
        source = path if Path(path).is_dir() else files
    if not files:
        raise InputDataError("matches no files", path=path, hint="check the directory or pattern")
    fmt = fmt or _one_format(files, path)
    if fmt not in _DATASET_FORMATS:
        raise InputDataError(f"cannot read {fmt} files as a dataset", path=path)
    file_format = _file_format(fmt, options)
    try:
        plain = ds.dataset(source, format=file_format, filesystem=filesystem)
        schema = _unified_schema(plain, fmt, options)
        partitions = _partition_names(plain, source) if isinstance(source, str) else {}
        _refuse_clashes(partitions, schema)
        if partitions:
            hive = ds.dataset(
                source, format=file_format, partitioning="hive", filesystem=filesystem
            )
            found = hive.schema
            schema = pa.unify_schemas([schema, pa.schema([found.field(n) for n in partitions])])
        dataset = ds.dataset(
            source,
            filesystem=filesystem,
            format=file_format,
            partitioning="hive" if partitions else None,
            schema=schema,
        )
    except (pa.ArrowException, OSError) as exc:
        raise InputDataError(f"cannot open as a dataset: {short_message(exc)}", path=path) from exc
    return DatasetSource(path, options, dataset, f"{fmt} dataset ({len(files)} files)")


def dataset_files(path: str) -> list[str]:
    """The files of a directory (without `_`/`.` names, as pyarrow skips them) or a glob, in
    path order: what is read, and what is hashed for reproducibility."""
    if Path(path).is_dir():
        return sorted(
            str(p)
            for p in Path(path).rglob("*")
            if p.is_file() and not any(part[0] in "_." for part in p.relative_to(path).parts)
        )
    return [f for f in sorted(glob.glob(path, recursive=True)) if Path(f).is_file()]


def _one_format(files: list[str], path: str) -> str:
    """The format every file's extension names; a folder of mixed files (data beside configs
    or notes) is refused with the glob that picks one kind, instead of failing on a stray file."""
    kinds: dict[str, str] = {}
    strays: list[str] = []
    for file in files:
        try:
            kinds.setdefault(detect_format(file), file)
        except UsageError:
            strays.append(Path(file).name)
    if len(kinds) == 1 and not strays:
        return next(iter(kinds))
    if not kinds:
        detect_format(files[0])  # raises: names the extension and --input-format
    first = next(iter(kinds))
    ext = Path(kinds[first]).suffix
    pattern = f"{path.rstrip('/')}/*{ext}" if Path(path).is_dir() else f"*{ext}"
    shown = [f"{k} ({Path(f).name})" for k, f in kinds.items()]
    if strays:
        shown.append(
            f"files of no data format ({', '.join(strays[:3])}{', …' if len(strays) > 3 else ''})"
        )
    raise InputDataError(
        f"holds several kinds of files: {', '.join(shown)}",
        path=path,
        hint=f"quote a glob of one kind, e.g. '{pattern}', or move the other files out",
    )


def _unified_schema(dataset: Any, fmt: str, options: ReadOptions) -> pa.Schema:
    """Every file's columns, checked to be the same set, types promoted as for one file."""
    schemas: list[tuple[str, pa.Schema]] = []
    for fragment in sorted(dataset.get_fragments(), key=lambda f: f.path):
        try:
            schema = fragment.physical_schema
        except (pa.ArrowException, OSError, EOFError) as exc:
            raise _file_error(exc, fragment.path, "open") from exc
        check_header(schema, fragment.path)  # a Latin-1 or binary header names its file
        schemas.append((fragment.path, schema))
    names = {name for _, schema in schemas for name in schema.names}
    for file, schema in schemas:
        missing = sorted(names.difference(schema.names))
        if missing:
            has = next(f for f, s in schemas if missing[0] in s.names)
            raise InputDataError(
                f"has no column {missing[0]!r}, which {has} has",
                path=file,
                hint="every file of a dataset needs the same columns; add it or move the file out",
            )
    unified = schemas[0][1]
    for file, schema in schemas[1:]:
        try:
            unified = pa.unify_schemas([unified, schema], promote_options="permissive")
        except (pa.ArrowException, TypeError) as exc:
            raise InputDataError(
                f"its column types do not fit the other files': {short_message(exc)}",
                path=file,
                hint="write every file of the dataset with the same column types",
            ) from exc
    if fmt not in _TEXT:
        return unified
    return pa.schema(
        [
            f.with_type(pa.float64())
            if f.name not in options.keep_types
            and (pa.types.is_integer(f.type) or pa.types.is_null(f.type))
            else f
            for f in unified
        ]
    )


def _partition_names(dataset: Any, base: str) -> dict[str, str]:
    """Hive partition names (`part=3/`) → the first folder that has one."""
    found: dict[str, str] = {}
    for fragment in sorted(dataset.get_fragments(), key=lambda f: f.path):
        parts = Path(fragment.path).relative_to(base).parts[:-1]
        for i, part in enumerate(parts):
            name = part.split("=", 1)[0]
            if "=" in part and name not in found:
                found[name] = str(Path(base, *parts[: i + 1]))
    return found


def _refuse_clashes(partitions: dict[str, str], schema: pa.Schema) -> None:
    for name, folder in partitions.items():
        if name in schema.names:
            raise InputDataError(
                f"a partition folder is named like the column {name!r} of its files",
                path=folder,
                hint="rename the folder or the column: losscli will not guess which one counts",
            )


def _file_error(exc: Exception, file: str, what: str) -> InputDataError:
    return InputDataError(
        f"cannot {what} this file of the dataset: {short_message(exc)}",
        path=file,
        hint="the file is damaged or not of the dataset's format; write it again or move it out",
    )


def _file_format(fmt: str, options: ReadOptions) -> Any:
    if fmt in ("csv", "tsv"):
        delimiter = options.delimiter or ("\t" if fmt == "tsv" else ",")
        import pyarrow.csv as pacsv

        return ds.CsvFileFormat(parse_options=pacsv.ParseOptions(delimiter=delimiter))
    if fmt == "parquet":
        # without pre_buffer=False, read column chunks stay cached and memory grows with the
        # file; page checksums are verified when the writer stored them (pyarrow skips them
        # unless asked, and a flipped bit would give a wrong number)
        scan = ds.ParquetFragmentScanOptions(pre_buffer=False, page_checksum_verification=True)
        return ds.ParquetFileFormat(default_fragment_scan_options=scan)
    return {"arrow": "ipc", "jsonl": "json"}[fmt]
