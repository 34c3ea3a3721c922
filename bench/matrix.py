"""Every endpoint, cold: the URLs bench/scale.py times at the seed's size and at its largest.

The matrix is every list endpoint alone and with each of its filters (`q`, `as_of`, and
`as_of` with `status` among them), every detail endpoint, a country, the search, the conflicts,
and the first byte of each export. Each is asked of two servers at once, one on the store the
seed articles make and one on the largest synthetic store, taking turns in rounds as the
sizes do in scale.py, with the response cache off: every answer is built from the database.

The targets (issue 15, "No slow corner"): p50 ≤ 5 ms at the seed's size and ≤ 20 ms at the
largest, for every URL, on each backend.
"""

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

import httpx

from app.exports import ExportType

TARGET_SEED_MS = 5.0
TARGET_LARGE_MS = 20.0
DATE = "2024-06-01"
# A curator's token for the audit log, which only curators read.
TOKEN_NAME = "bench"
TOKEN = "bench-matrix-token-0123456789"


@dataclass(frozen=True)
class Probe:
    """One URL of the matrix: `template` with the store's ids filled in (`Ids`); with
    `first_byte`, the time to the first byte of the body (an export streams the whole store)."""

    template: str
    first_byte: bool = False


def _lists() -> list[Probe]:
    kinds = {
        "crossings": [
            "country=LV",
            "country=RU",
            "neighbour=BY",
            "status=closed",
            "traffic=rail",
            "q={word}",
            "q=storskog",
        ],
        "restrictions": ["country=EE", "kind=vehicle", "status=in_force", "q=car"],
        "fortifications": ["country=LV", "kind=fence", "status=completed", "q=fence"],
    }
    statuses = {"crossings": "closed", "restrictions": "in_force", "fortifications": "planned"}
    probes = []
    for path, filters in kinds.items():
        probes.append(Probe(f"/v1/{path}"))
        probes += [Probe(f"/v1/{path}?{f}") for f in filters]
        probes.append(Probe(f"/v1/{path}?as_of={DATE}"))
        probes.append(Probe(f"/v1/{path}?as_of={DATE}&status={statuses[path]}"))
        probes.append(Probe(f"/v1/{path}?cursor={{{path}_cursor}}"))
    return probes


PROBES: list[Probe] = [
    *_lists(),
    Probe("/v1/borders"),
    Probe("/v1/borders?country=LV"),
    Probe(f"/v1/borders?as_of={DATE}"),
    Probe("/v1/countries"),
    Probe("/v1/events"),
    Probe("/v1/events?country=LV"),
    Probe("/v1/events?kind=closure"),
    Probe("/v1/events?from=2024-01-01"),
    Probe("/v1/events?to=2023-01-01"),
    Probe("/v1/conflicts"),
    Probe("/v1/sources"),
    Probe("/v1/search?q=checkpoint"),
    Probe("/v1/search?q={word}"),
    Probe("/v1/audit"),
    Probe("/v1/audit?record_type=crossing"),
    # Details
    Probe("/v1/crossings/{crossing}"),
    Probe(f"/v1/crossings/{{crossing}}?as_of={DATE}"),
    Probe("/v1/crossings/{crossing}/revisions"),
    Probe("/v1/restrictions/{restriction}"),
    Probe("/v1/restrictions/{restriction}/revisions"),
    Probe("/v1/fortifications/{fortification}"),
    Probe("/v1/fortifications/{fortification}/revisions"),
    Probe("/v1/borders/LV-RU"),
    Probe(f"/v1/borders/LV-RU?as_of={DATE}"),
    Probe("/v1/countries/LV"),
    Probe(f"/v1/countries/LV?as_of={DATE}"),
    Probe("/v1/sources/{source}"),
    Probe("/v1/sources/{source}/sentences/0"),
    # Exports, to their first byte
    Probe("/v1/export.ndjson", first_byte=True),
    *(Probe(f"/v1/export.ndjson?type={kind}", first_byte=True) for kind in get_args(ExportType)),
    Probe(f"/v1/export.ndjson?as_of={DATE}", first_byte=True),
    Probe("/v1/crossings?format=csv", first_byte=True),
    Probe("/v1/restrictions?format=csv", first_byte=True),
    Probe("/v1/fortifications?format=csv", first_byte=True),
    Probe("/v1/events?format=csv", first_byte=True),
]


def ids_of(client: httpx.Client) -> dict[str, str]:
    """The ids the templates name, read from the store a server serves: the first of each
    kind (a Latvian crossing, the smallest article), a word of that crossing's name, and the
    cursor to each list's second page."""

    def data(path: str) -> Any:
        answer = client.get(path)
        answer.raise_for_status()
        return answer.json()

    crossing = data("/v1/crossings?country=LV&limit=1")["data"][0]
    source = min(data("/v1/sources")["data"], key=lambda s: (s["sentence_count"], s["file"]))
    found = {
        "crossing": crossing["id"],
        "word": crossing["name"].split()[0].lower(),
        "restriction": data("/v1/restrictions?limit=1")["data"][0]["id"],
        "fortification": data("/v1/fortifications?limit=1")["data"][0]["id"],
        "source": source["file"],
    }
    for path in ("crossings", "restrictions", "fortifications"):
        found[f"{path}_cursor"] = data(f"/v1/{path}?limit=2")["meta"]["next"] or ""
    return found


@dataclass
class Serving:
    """One server of the matrix: the store it serves ("seed", or the size), and what was
    timed there, by template."""

    backend: str
    store: str
    base_url: str
    ids: dict[str, str] = field(default_factory=dict)
    samples: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def p50(self, template: str) -> float | None:
        taken = self.samples.get(template)
        return statistics.median(taken) if taken else None


def _time(client: httpx.Client, probe: Probe, path: str) -> tuple[float, int]:
    started = time.perf_counter()
    if not probe.first_byte:
        answer = client.get(path)
        return (time.perf_counter() - started) * 1000, answer.status_code
    with client.stream("GET", path) as streamed:
        for _chunk in streamed.iter_raw():
            break
        taken = (time.perf_counter() - started) * 1000
        return taken, streamed.status_code


def measure(servings: Sequence[Serving], *, requests: int, rounds: int = 5) -> None:
    """`requests` timed GETs of every probe on every server, over one keep-alive connection
    each, in `rounds` rounds in which the servers take turns (the order reversed every other
    round). Every answer must be a 200."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    clients = [httpx.Client(base_url=s.base_url, timeout=60, headers=headers) for s in servings]
    try:
        for serving, client in zip(servings, clients, strict=True):
            serving.ids = ids_of(client)
            for probe in PROBES:  # one uncounted answer each: compiled statements, warm pages
                _time(client, probe, probe.template.format(**serving.ids))
        per_round = max(1, requests // rounds)
        pairs = list(zip(servings, clients, strict=True))
        for number in range(rounds):
            for serving, client in pairs if number % 2 == 0 else reversed(pairs):
                for probe in PROBES:
                    path = probe.template.format(**serving.ids)
                    taken = serving.samples.setdefault(probe.template, [])
                    for _ in range(per_round):
                        ms, status = _time(client, probe, path)
                        taken.append(ms)
                        serving.statuses[probe.template] = status
                        if status != 200:
                            raise RuntimeError(f"{path}: {status} on {serving.store}")
    finally:
        for client in clients:
            client.close()


def seed_store(url: str, project: Path) -> None:
    """A store made as `make run` makes it: migrated, then seeded from seed_data/."""
    script = Path(sys.executable).parent / "borderstatus"
    env = {**os.environ, "DATABASE_URL": url}
    for step in ("migrate", "seed"):
        subprocess.run([str(script), step], cwd=project, env=env, check=True, capture_output=True)


def server_environment() -> dict[str, str]:
    """What the servers of the matrix are started with beside their store: the cache off,
    and a curator token for the audit log."""
    return {"RESPONSE_CACHE": "false", "CURATOR_TOKENS": f"{TOKEN_NAME}:{TOKEN}"}


@dataclass
class Verdict:
    backend: str
    store: str
    limit_ms: float
    met: bool
    detail: str


def verdicts(servings: Sequence[Serving]) -> list[Verdict]:
    found = []
    for serving in servings:
        limit = TARGET_SEED_MS if serving.store == "seed" else TARGET_LARGE_MS
        timed = {p.template: serving.p50(p.template) for p in PROBES}
        if serving.errors or any(v is None for v in timed.values()):
            found.append(Verdict(serving.backend, serving.store, limit, False, "not measured"))
            continue
        over = [t for t, v in timed.items() if v is not None and v > limit]
        worst = max(timed, key=lambda t: timed[t] or 0.0)
        detail = f"{len(PROBES) - len(over)} of {len(PROBES)} URLs; slowest `{worst}` "
        detail += f"{timed[worst]:.1f} ms"
        found.append(Verdict(serving.backend, serving.store, limit, not over, detail))
    return found


def _cell(value: float | None, limit: float) -> str:
    if value is None:
        return "–"
    text = f"{value:.2f} ms" if value < 100 else f"{value:.0f} ms"
    return text if value <= limit else f"**{text}**"


def render(servings: Sequence[Serving], backend_names: dict[str, str]) -> list[str]:
    """The matrix as Markdown: one row per URL, a column per backend and store."""
    if not servings:
        return []
    lines = [
        "### Every endpoint, cold",
        "",
        f"p50 of the timed requests per URL (`bench/matrix.py`), the stores taking turns; "
        f"response cache off. Targets: ≤ {TARGET_SEED_MS:.0f} ms on the seed's store, "
        f"≤ {TARGET_LARGE_MS:.0f} ms on the largest; over the target in bold. `{{…}}`: the "
        "first id of its kind in that store (a Latvian crossing; the smallest article), a "
        "word of that crossing's name, the cursor to a list's second page. ⇢: time to the "
        "first byte of the body.",
        "",
    ]
    columns = [f"{backend_names[s.backend]}, {s.store}" for s in servings]
    lines += ["| URL | " + " | ".join(columns) + " |"]
    lines += ["|---|" + "---:|" * len(servings)]
    for probe in PROBES:
        cells = [
            _cell(s.p50(probe.template), TARGET_SEED_MS if s.store == "seed" else TARGET_LARGE_MS)
            for s in servings
        ]
        mark = " ⇢" if probe.first_byte else ""
        lines.append(f"| `{probe.template}`{mark} | " + " | ".join(cells) + " |")
    lines.append("")
    for s in servings:
        if s.ids:
            shown = ", ".join(f"{k} `{v}`" for k, v in s.ids.items() if not k.endswith("cursor"))
            lines.append(f"- {backend_names[s.backend]}, {s.store}: {shown}.")
        for error in s.errors:
            lines.append(f"- {backend_names[s.backend]}, {s.store}: failed: {error}")
    lines.append("")
    return lines
