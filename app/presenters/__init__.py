"""Rows -> wire objects: what the API serves, built from the store."""
