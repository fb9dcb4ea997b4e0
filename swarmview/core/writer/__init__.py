"""swarmview's bundle writer: byte-identical to upstream's ``RunArtifactBundle``/``DataOpsSession``.

``BundleWriter`` writes files (§15); ``DataOpsSession`` derives registry entries, lineage edges and
materialization records exactly as upstream's session does (§9.2, §10, §11.4, §12, §13).
"""

from __future__ import annotations

from swarmview.core.writer.bundle_writer import BundleWriter, random_run_id, run_id_hex

__all__ = ["BundleWriter", "DataOpsSession", "random_run_id", "run_id_hex"]


def __getattr__(name: str) -> object:
    """``DataOpsSession`` is imported on first use (the session pulls in identity's dataops helpers)."""
    if name == "DataOpsSession":
        from swarmview.core.writer.session import DataOpsSession

        return DataOpsSession
    raise AttributeError(name)
