"""Helpers shared by the test suites: deliveries, event shapes, secrets and leak tracking."""
