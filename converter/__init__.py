"""sigma-parity: convert Sigma rules to SIEM queries and prove they mean what the rule means.

Adding a target
---------------
1. Write ``converter/targets/<key>.py``: a pySigma ``TextQueryBackend`` (or a thin subclass of an
   upstream backend) plus a module-level ``TARGET = Target(...)`` describing its language, default
   pipelines, formats and file extension.
2. Register it in ``converter/targets/__init__.py``; the CLI choices, the parity harness and the
   ``outputs/`` layout all derive from that registry.
3. Add its artifact templates under ``templates/<key>/<format>.<ext>.j2``; templates only wrap
   finished queries, they never build them.
"""

from __future__ import annotations

__version__ = "0.1.0"
