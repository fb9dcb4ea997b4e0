"""Many runs: batch verification, the verification cache and run comparison (issue 11).

Submodules: ``batch`` (``verify_batch``), ``cache`` (``VerifyCache``), ``compare`` (``compare_runs``).
Import the one you need; this package imports nothing on its own so that ``cli`` stays fast.
"""
