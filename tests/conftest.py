"""Shared test fixtures: the repository root, the shared corpora and small rule files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def shared_dir() -> Path | None:
    """../shared beside the checkout, or $SIGMA_PARITY_SHARED; None when neither exists."""
    env = os.environ.get("SIGMA_PARITY_SHARED")
    candidate = Path(env) if env else ROOT.parent / "shared"
    return candidate if (candidate / "sigmahq").is_dir() else None


@pytest.fixture(scope="session")
def shared() -> Path:
    path = shared_dir()
    if path is None:
        pytest.skip("shared corpora absent: no ../shared and no $SIGMA_PARITY_SHARED")
    return path


@pytest.fixture
def write_rule(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write a rule file below tmp_path/rules and return its path."""

    def write(name: str, text: str | bytes) -> Path:
        path = tmp_path / "rules" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return write
