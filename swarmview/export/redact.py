"""Redacted copy of a bundle (``--format bundle -o OUT --redact PRESETS``).

Attribute keys/values of spans, events and metrics, and dataset source URIs, are masked or dropped
by the rules of ``redact_rules``. Everything derived from a rewritten URI is recomputed as upstream
computes it — source fingerprint, dataset fingerprint, then, downstream, recipe hashes, derived
fingerprints, lineage edges, materialization fingerprints and cache keys — and the snapshot-pair
marker and manifest are rewritten, so the copy verifies and upstream's loader reads it without a
snapshot mismatch. Lines and files that need no change keep their exact bytes. Artifacts are copied
unchanged (reported as not inspected) unless ``--drop-artifacts``. The report of what was redacted
goes beside the copy (``OUT.redaction.json``), never into it, and never contains a redacted value.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from swarmview import __version__
from swarmview.core.errors import SwarmviewError
from swarmview.core.identity import hashes
from swarmview.core.jsontext import decode, types
from swarmview.core.jsontext.encode import dumps_compact, dumps_pretty
from swarmview.core.verify.engine import run_verify
from swarmview.core.verify.manifest_build import build_upstream_manifest
from swarmview.export.archive import ExportMismatchError
from swarmview.export.output import atomic_output, atomic_output_dir
from swarmview.export.redact_rules import Change, Rule, load_rules, redact_attrs, redact_text

TELEMETRY = {"spans.ndjson": types.SPAN_RECORD, "events.ndjson": types.EVENT_RECORD,
             "metrics.ndjson": types.METRIC_RECORD}
REGISTRY, LINEAGE = "datasets/registry.json", "datasets/lineage.json"
REGISTRY_LOG, LINEAGE_LOG = "datasets/registry_updates.ndjson", "datasets/lineage_edges.ndjson"
MATERIALIZATIONS, MARKER = "datasets/materializations.ndjson", "datasets/snapshot_pair_commit.json"
DATASET_FILES = {REGISTRY, LINEAGE, REGISTRY_LOG, LINEAGE_LOG, MATERIALIZATIONS, MARKER}
PROFILES = ("core", "sandboxed_extension", "unsafe_extension")


@dataclass
class Redaction:
    """Everything the report says: counts, per-attribute changes, recomputed hashes."""

    changes: list[Change] = field(default_factory=list)
    uris: list[dict[str, Any]] = field(default_factory=list)
    fingerprints: dict[str, str] = field(default_factory=dict)  # old → new (hashes, not secrets)
    recipes: dict[str, str] = field(default_factory=dict)
    source_fingerprints: dict[str, str] = field(default_factory=dict)
    not_inspected: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def _read_listed(root: Path, entry: dict[str, Any]) -> bytes:
    """A listed file's bytes, checked against the manifest (a file changed since verify aborts)."""
    path = entry["path"]
    data = (root / path).read_bytes()
    if len(data) != entry["bytes"] or hashlib.sha256(data).hexdigest() != entry["sha256"]:
        raise ExportMismatchError(f"{path}: differs from the manifest (changed after verification); nothing was written")
    return data


def _lines(data: bytes) -> list[bytes]:
    """Lines with their ``\\n`` kept, so untouched lines are copied byte for byte."""
    return data.splitlines(keepends=True)


def _redact_telemetry(rel: str, data: bytes, rules: list[Rule], red: Redaction) -> bytes:
    schema = TELEMETRY[rel]
    out: list[bytes] = []
    for number, line in enumerate(_lines(data), start=1):
        body = line.rstrip(b"\r\n")
        try:
            attrs = orjson.loads(body).get("attrs") if body.strip() else None
        except orjson.JSONDecodeError:
            attrs = None
        if not isinstance(attrs, dict) or not attrs:
            out.append(line)
            continue
        _, changes = redact_attrs(attrs, rules)
        if not changes:
            out.append(line)
            continue
        record = decode(body, schema, lenient=True)
        record["attrs"], changes = redact_attrs(record["attrs"], rules)
        red.changes += [Change(rel, number, key, action, rule) for key, action, rule in changes]
        out.append(dumps_compact(record, schema) + b"\n")
    return b"".join(out)


class _DatasetRewriter:
    """Rewrites source URIs and carries every fingerprint that depends on them through the run."""

    def __init__(self, files: dict[str, bytes], rules: list[Rule], red: Redaction) -> None:
        self.files, self.rules, self.red = files, rules, red
        self.registry = decode(files[REGISTRY], types.DATASET_REGISTRY_V1, lenient=True) if REGISTRY in files else None
        self.registry_log = self._ndjson(REGISTRY_LOG, types.DATASET_ENTRY_V1)
        self.lineage = decode(files[LINEAGE], types.DATASET_LINEAGE_V1, lenient=True) if LINEAGE in files else None
        self.lineage_log = self._ndjson(LINEAGE_LOG, types.LINEAGE_EDGE_V1)
        self.records = self._ndjson(MATERIALIZATIONS, types.MATERIALIZATION_COMPAT)

    def _ndjson(self, rel: str, schema: Any) -> list[tuple[bytes, Any]]:
        if rel not in self.files:
            return []
        return [(line, decode(line.rstrip(b"\r\n"), schema, lenient=True) if line.strip() else None)
                for line in _lines(self.files[rel])]

    def entries(self) -> Iterable[dict[str, Any]]:
        yield from (self.registry or {}).get("datasets") or []
        yield from (value for _, value in self.registry_log if value is not None)

    def plan(self) -> None:
        """Fill the old → new maps: sources first, then derived outputs in record order (twice, for order)."""
        fp = self.red.fingerprints
        for entry in self.entries():
            source = entry.get("source")
            if source is None:
                continue
            uri, applied = redact_text(source["uri"], self.rules)
            if not applied:
                continue
            new_source = {**source, "uri": uri}
            old_src = entry["source_fingerprint_v0"]
            new_src = old_src
            if old_src == hashes.source_fingerprint_v0(source):
                new_src = hashes.source_fingerprint_v0(new_source)
            if new_src == old_src:
                continue  # the fingerprint does not cover the part that changed
            self.red.source_fingerprints[old_src] = new_src
            if entry["fingerprint_v0"] == hashes.dataset_fingerprint_v0(old_src, entry["schema_hash_v0"], entry["recipe_hash_v0"]):
                fp[entry["fingerprint_v0"]] = hashes.dataset_fingerprint_v0(new_src, entry["schema_hash_v0"],
                                                                            entry["recipe_hash_v0"])
        for _ in range(2):
            for _, rec in self.records:
                if rec is None or rec["__variant__"] != "V2" or rec["status"] != "ok":
                    continue
                self._derive(rec)

    def _derive(self, rec: dict[str, Any]) -> None:
        inputs = rec.get("input_fingerprints_v0") or []
        new_inputs = [self.red.fingerprints.get(i, i) for i in inputs]
        if new_inputs == inputs:
            return
        ndh = rec["node_def_hash"]
        try:
            old_recipe = hashes.recipe_hash_v0(ndh, inputs)
            new_recipe = hashes.recipe_hash_v0(ndh, new_inputs)
        except (ValueError, SwarmviewError):
            return  # not hex: upstream could not have computed it either
        self.red.recipes[old_recipe] = new_recipe
        candidates = [(e["source_fingerprint_v0"], e["schema_hash_v0"]) for e in self.entries()
                      if e["fingerprint_v0"] == rec["fingerprint_v0"]]
        candidates.append((hashes.derived_source_fingerprint_v0(rec["asset_key"]), hashes.NO_SCHEMA_HASH_V0))
        for src, schema in candidates:
            if hashes.dataset_fingerprint_v0(src, schema, old_recipe) == rec["fingerprint_v0"]:
                self.red.fingerprints[rec["fingerprint_v0"]] = hashes.dataset_fingerprint_v0(src, schema, new_recipe)
                return

    # --- rewriting -------------------------------------------------------------------------------

    def _entry(self, entry: dict[str, Any], where: str) -> dict[str, Any]:
        new = dict(entry)
        if entry.get("source") is not None:
            uri, applied = redact_text(entry["source"]["uri"], self.rules)
            if applied:
                new["source"] = {**entry["source"], "uri": uri}
                self.red.uris.append({"file": where, "asset_key": entry["asset_key"], "rules": sorted(set(applied))})
        new["source_fingerprint_v0"] = self.red.source_fingerprints.get(entry["source_fingerprint_v0"],
                                                                          entry["source_fingerprint_v0"])
        new["fingerprint_v0"] = self.red.fingerprints.get(entry["fingerprint_v0"], entry["fingerprint_v0"])
        new["recipe_hash_v0"] = self.red.recipes.get(entry["recipe_hash_v0"], entry["recipe_hash_v0"])
        return new

    def _edge(self, edge: dict[str, Any]) -> dict[str, Any]:
        fp = self.red.fingerprints
        return {**edge, "input_fingerprint_v0": fp.get(edge["input_fingerprint_v0"], edge["input_fingerprint_v0"]),
                "output_fingerprint_v0": fp.get(edge["output_fingerprint_v0"], edge["output_fingerprint_v0"])}

    def _record(self, rec: dict[str, Any]) -> dict[str, Any]:
        fp = self.red.fingerprints
        new = {**rec, "fingerprint_v0": fp.get(rec["fingerprint_v0"], rec["fingerprint_v0"])}
        if rec["__variant__"] != "V2":
            return new
        inputs = rec.get("input_fingerprints_v0") or []
        new_inputs = [fp.get(i, i) for i in inputs]
        new["input_fingerprints_v0"] = new_inputs
        key = rec.get("cache_key_v0")
        if key and new_inputs != inputs:
            for profile in PROFILES:
                try:
                    if hashes.cache_key_v0(rec["node_def_hash"], inputs, profile) == key:
                        new["cache_key_v0"] = hashes.cache_key_v0(rec["node_def_hash"], new_inputs, profile)
                        break
                except (ValueError, SwarmviewError):
                    break
        return new

    def _rewrite_lines(self, rel: str, items: list[tuple[bytes, Any]], schema: Any,
                       change: Callable[[Any], Any]) -> bytes:
        out = []
        for line, value in items:
            if value is None:
                out.append(line)
                continue
            new = change(value)
            out.append(line if new == value else dumps_compact(new, schema) + b"\n")
        return b"".join(out)

    def rewrite(self) -> dict[str, bytes]:
        """New bytes for every dataset file that changed."""
        out: dict[str, bytes] = {}
        if self.registry is not None:
            datasets = [self._entry(e, REGISTRY) for e in self.registry["datasets"]]
            if datasets != self.registry["datasets"]:
                out[REGISTRY] = dumps_pretty({**self.registry, "datasets": datasets}, types.DATASET_REGISTRY_V1)
        if self.lineage is not None:
            edges = [self._edge(e) for e in self.lineage["edges"]]
            if edges != self.lineage["edges"]:
                edges.sort(key=lambda e: (e["input_fingerprint_v0"], e["output_fingerprint_v0"], e["node_id"]))
                out[LINEAGE] = dumps_pretty({**self.lineage, "edges": edges}, types.DATASET_LINEAGE_V1)
        for rel, items, schema, change in (
            (REGISTRY_LOG, self.registry_log, types.DATASET_ENTRY_V1, lambda e: self._entry(e, REGISTRY_LOG)),
            (LINEAGE_LOG, self.lineage_log, types.LINEAGE_EDGE_V1, self._edge),
            (MATERIALIZATIONS, self.records, types.MATERIALIZATION_COMPAT, self._record),
        ):
            if rel in self.files:
                data = self._rewrite_lines(rel, items, schema, change)
                if data != self.files[rel]:
                    out[rel] = data
        return out


def _marker(old: bytes, registry: bytes, lineage: bytes) -> bytes:
    """The marker with new hashes, if it matched the old snapshots (a mismatch stays a mismatch)."""
    marker = decode(old, types.SNAPSHOT_PAIR_COMMIT_V1, lenient=True)
    return dumps_pretty({**marker, "registry_sha256": hashlib.sha256(registry).hexdigest(),
                         "lineage_sha256": hashlib.sha256(lineage).hexdigest()}, types.SNAPSHOT_PAIR_COMMIT_V1)


def export_redacted_bundle(root: Path, out: Path, *, redact: str = "", redact_rules: Path | None = None,
                           drop_artifacts: bool = False, cancel: threading.Event | None = None,
                           **_options: object) -> Redaction:
    """Write the redacted, re-finalized copy at ``out`` and its report at ``out.redaction.json``."""
    rules, presets = load_rules(redact, redact_rules)
    out = Path(out)
    report_path = out.with_name(out.name + ".redaction.json")
    verdict = run_verify(root, cancel=cancel)
    if verdict.verdict not in ("verified", "verified_with_warnings"):
        raise ExportMismatchError(
            f"{root}: the bundle does not verify ({verdict.verdict.replace('_', ' ')}); a redacted copy would hide "
            "that (run swarmview verify for details)"
        )
    manifest = decode((Path(root) / "manifest.json").read_bytes(), types.MANIFEST_V1, reader="io")
    red = Redaction()
    files: dict[str, bytes] = {}
    with atomic_output_dir(out) as tmp:
        for entry in manifest["entries"]:
            if cancel is not None and cancel.is_set():
                raise SwarmviewError("export cancelled; nothing was written")
            rel = entry["path"]
            if rel.startswith("artifacts/"):
                if drop_artifacts:
                    red.dropped.append(rel)
                    continue
                red.not_inspected.append(rel)
            data = _read_listed(Path(root), entry)
            if rel in TELEMETRY:
                data = _redact_telemetry(rel, data, rules, red)
            files[rel] = data
        rewriter = _DatasetRewriter(files, rules, red)
        rewriter.plan()
        files.update(rewriter.rewrite())
        if MARKER in files and REGISTRY in files and LINEAGE in files:
            old_marker = decode(files[MARKER], types.SNAPSHOT_PAIR_COMMIT_V1, lenient=True)
            matched = (old_marker["registry_sha256"] == entry_sha(manifest, REGISTRY)
                       and old_marker["lineage_sha256"] == entry_sha(manifest, LINEAGE))
            if matched:
                files[MARKER] = _marker(files[MARKER], files[REGISTRY], files[LINEAGE])
        for rel, data in files.items():
            target = tmp / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        for folder in ("datasets", "artifacts"):
            (tmp / folder).mkdir(exist_ok=True)
        (tmp / "manifest.json").write_bytes(build_upstream_manifest(tmp, manifest["run_id"]))
        for dirpath, _, names in os.walk(tmp):
            for name in names:
                with open(os.path.join(dirpath, name), "rb+") as fh:
                    os.fsync(fh.fileno())
    _write_report(report_path, root, out, presets, redact_rules, red, drop_artifacts)
    return red


def entry_sha(manifest: dict[str, Any], rel: str) -> str | None:
    return next((e["sha256"] for e in manifest["entries"] if e["path"] == rel), None)


def _write_report(path: Path, root: Path, out: Path, presets: list[str], rules_file: Path | None, red: Redaction,
                  dropped: bool) -> None:
    per_file = Counter(c.file for c in red.changes)
    document = {
        "schema": "swarmview.redaction/1",
        "swarmview_version": __version__,
        "source": str(Path(root).resolve()),
        "output": str(out.resolve()),
        "presets": presets,
        "rules_file": str(rules_file) if rules_file else None,
        "summary": {"attributes_changed": len(red.changes), "per_file": dict(per_file),
                    "dataset_uris_changed": len(red.uris), "fingerprints_recomputed": len(red.fingerprints),
                    "artifacts_not_inspected": len(red.not_inspected), "artifacts_dropped": len(red.dropped)},
        "attributes": [{"file": c.file, "line": c.line, "key": c.key, "action": c.action, "rule": c.rule}
                       for c in red.changes],
        "dataset_uris": red.uris,
        "recomputed": {"fingerprint_v0": red.fingerprints, "source_fingerprint_v0": red.source_fingerprints,
                       "recipe_hash_v0": red.recipes},
        "artifacts": {"not_inspected": red.not_inspected, "dropped": red.dropped, "drop_artifacts": dropped},
    }
    try:
        with atomic_output(path) as tmp:
            tmp.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)  # no copy without its report
        raise
