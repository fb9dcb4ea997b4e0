"""Node identity hashes, dataset fingerprints, graph and DataOps semantics (§3, §7–§13).

Pure functions over decoded values; the loader, the verifier and the GUI workers all call them.
"""

from __future__ import annotations
