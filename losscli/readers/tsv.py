"""TSV: the CSV reader with a tab delimiter (unless --delimiter says otherwise)."""

from __future__ import annotations

from losscli.readers import ReadOptions
from losscli.readers.csv import CsvSource


def open(path: str, options: ReadOptions, file: str | None = None) -> CsvSource:
    return CsvSource(path, options, file or path, format="tsv", default_delimiter="\t")
