"""Fixtures for the end-to-end tests: the fake Stripe and gateways of tests/integration."""

from __future__ import annotations

from tests.integration.conftest import fake, fresh, start_gateway

__all__ = ["fake", "fresh", "start_gateway"]
