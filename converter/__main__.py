"""``python -m converter`` runs the sigma-parity command line."""

from __future__ import annotations

from converter.cli import main

main()
