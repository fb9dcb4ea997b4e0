"""Verification of run bundles: swarmview's findings plus an exact emulation of upstream's verdict.

Submodules: ``paths`` (§1.5 rules), ``manifest_build`` (what upstream's finalize writes), ``manifest``
(reading ``manifest.json``), ``upstream_validate`` (§5.3/§6.2), ``tree``/``hashing`` (one read per
file), ``engine`` (the ``verify()`` generator), ``report``/``verdict`` and ``finalize``. Importing this
package stays cheap: import the submodule you need.
"""

from __future__ import annotations
