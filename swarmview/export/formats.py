"""The export formats, by name: which module writes each and what kind of output it makes.

Modules are imported only when their format is used, so optional extras (pyarrow, protobuf) are
needed only by the formats that use them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class ExportFormat:
    name: str
    module: str
    function: str
    output: Literal["file", "dir"]
    summary: str
    extra: str | None = None  # the pip extra that provides its optional dependency

    def load(self) -> Callable[..., object]:
        return getattr(importlib.import_module(self.module), self.function)


FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in (
        ExportFormat("tar.gz", "swarmview.export.archive", "export_tar_gz", "file", "verified, reproducible archive"),
        ExportFormat("zip", "swarmview.export.archive", "export_zip", "file", "verified, reproducible zip archive"),
        ExportFormat("chrome-trace", "swarmview.export.chrome_trace", "export_chrome_trace", "file",
                     "Perfetto / Chrome trace-event JSON"),
        ExportFormat("otlp-json", "swarmview.export.otlp", "export_otlp_json", "dir",
                     "OpenTelemetry OTLP/JSON traces.json and metrics.json"),
        ExportFormat("csv", "swarmview.export.tables", "export_csv", "dir", "spans/events/metrics/materializations CSV"),
        ExportFormat("parquet", "swarmview.export.tables", "export_parquet", "dir",
                     "spans/events/metrics/materializations Parquet", extra="parquet"),
        ExportFormat("html", "swarmview.export.html", "export_html", "file", "self-contained HTML report"),
        ExportFormat("bundle", "swarmview.export.redact", "export_redacted_bundle", "dir",
                     "redacted, re-finalized copy of the bundle"),
    )
}
