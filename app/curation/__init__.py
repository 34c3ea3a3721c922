"""The write service: curators record changes to records and add sources, and nothing is lost.

Every function here runs inside the caller's write transaction (`Database.write` for the API,
`borderstatus ingest` for the CLI); the caller commits, once. Each write:
- checks its citations: every quote resolves to one sentence of a stored source, exactly as
  the seed's quotes do (`app.articles.resolve_quote`);
- keeps the past: a status change becomes a dated event (so `as_of` answers the past as
  before), and the record's previous state, as it was served, becomes a revision;
- writes an audit entry (who, when, what, and the state before and after), and makes the
  record the curators' (the seeder leaves it alone from then on);
- refreshes the derived data of what it touched (`app.derived.refresh.refresh_derived`).
"""
