"""The export formats' names, apart from the exporters so that the CLI can list them without
importing pandas."""

EXPORT_FORMATS = ("html", "csv", "parquet", "edges", "bibtex", "graphml", "gexf", "json", "ris", "csl-json")
