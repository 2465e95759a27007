"""The package version (its own module: the AWS adapters name it without importing hookgate)."""

VERSION = "0.1.0"
