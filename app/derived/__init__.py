"""Derived data: what every write keeps in line with the records, in its own transaction.

Written by the write side (`refresh.refresh_derived`), read by the list engine and search.
"""
