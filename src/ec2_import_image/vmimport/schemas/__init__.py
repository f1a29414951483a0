"""JSON Schemas of what vmimport prints with --json (package data)."""
