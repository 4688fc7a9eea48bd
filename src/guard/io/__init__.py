"""Reading catalogs: JSON, JSONL, YAML, CSV and XLSX into records with locations."""

from guard.io.catalog import Catalog, load_catalog, parse_records
from guard.io.readers import RawRecord, read_file

__all__ = ["Catalog", "RawRecord", "load_catalog", "parse_records", "read_file"]
