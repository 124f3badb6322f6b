"""Gene sequences from PATRIC/BV-BRC: p3-scripts when on PATH, else the Data API over HTTPS.

Raw answers are kept as fetched (``raw/``), so reprocessing never refetches; post-processing is
exact and deterministic: exact product match (``--eq`` and the API match substrings), length
bounds, one feature per genome if asked, identical sequences collapsed (which ids collapsed is
recorded), and ordering by genome and feature id.
"""

from __future__ import annotations

import csv
import json
import logging
import shutil
import subprocess
import time
import urllib.parse
from dataclasses import asdict, dataclass
from pathlib import Path

from neuroseed import NeuroseedError
from neuroseed.config import with_defaults
from neuroseed.io import atomic_path, read_fasta, write_fasta, write_json

log = logging.getLogger(__name__)

P3_TOOLS = ("p3-all-genomes", "p3-get-genome-features", "p3-get-feature-sequence")
# Pages per query before giving up: a safety net for a server whose paging never ends, far more
# than a query needs at a sensible page size (10,000 x 25,000 records).
MAX_PAGES = 10_000


@dataclass
class Query:
    """``source.patric`` of the config; its defaults are the schema's (:meth:`of`)."""

    genome_filters: dict[str, str]
    feature_type: str | None
    product: str | None
    gene: str | None
    min_length: int
    max_length: int | None
    one_per_genome: bool
    method: str  # auto | p3 | rest
    base_url: str
    page_size: int
    batch_size: int
    retries: int
    backoff_seconds: float
    timeout_seconds: float

    @classmethod
    def of(cls, **fields) -> Query:
        """A query from ``fields``, the others at the schema's defaults."""
        config = with_defaults({"source": {"type": "patric", "patric": fields}})
        return cls(**config["source"]["patric"])

    def feature_filters(self) -> dict[str, str]:
        out = {}
        if self.feature_type:
            out["feature_type"] = self.feature_type
        if self.product:
            out["product"] = self.product
        if self.gene:
            out["gene"] = self.gene
        return out


@dataclass
class Feature:
    patric_id: str
    genome_id: str
    product: str
    sequence: str


# --------------------------------------------------------------------------- p3-scripts


def _run(cmd: list[str], stdout: Path, stdin: Path | None = None) -> None:
    log.info("running %s", " ".join(cmd))
    with open(stdout, "w") as out, open(stdin) if stdin else open("/dev/null") as inp:
        proc = subprocess.run(cmd, stdin=inp, stdout=out, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        msg = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        raise NeuroseedError(f"{cmd[0]} failed (exit {proc.returncode}): {msg}")


def _eq_args(filters: dict[str, str]) -> list[str]:
    return [a for f, v in filters.items() for a in ("--eq", f"{f},{v}")]


def _read_table(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    # p3 headers are table.field; keep the field
    return [{k.split(".")[-1]: v for k, v in row.items() if k} for row in rows]


def fetch_p3(query: Query, raw: Path) -> list[Feature]:
    """``p3-all-genomes | p3-get-genome-features | p3-get-feature-sequence --dna``, kept in raw/."""
    genomes, features, fasta = raw / "genomes.tsv", raw / "features.tsv", raw / "sequences.fna"
    _run(["p3-all-genomes", *_eq_args(query.genome_filters), "--attr", "genome_id"], genomes)
    if len(_read_table(genomes)) == 0:
        return []
    _run(
        ["p3-get-genome-features", "--col", "genome.genome_id",
         *_eq_args(query.feature_filters()), "--attr", "patric_id,genome_id,product"],
        features, stdin=genomes,
    )  # fmt: skip
    rows = _read_table(features)
    if not rows:
        return []
    missing = {"patric_id", "genome_id", "product"} - set(rows[0])
    bad = [k for k, r in enumerate(rows, 2) if not r.get("patric_id") or not r.get("genome_id")]
    if missing or bad:
        what = f"columns {sorted(missing)} missing" if missing else f"row {bad[0]} has no id"
        raise NeuroseedError(f"{features}: malformed p3-get-genome-features table ({what})")
    _run(["p3-get-feature-sequence", "--dna", "--col", "feature.patric_id"], fasta, stdin=features)
    seqs = {rid: seq for rid, _, seq in read_fasta(fasta)}
    return [
        Feature(r["patric_id"], r["genome_id"], r["product"], seqs[r["patric_id"]])
        for r in rows
        if r["patric_id"] in seqs
    ]


def p3_version() -> str:
    proc = subprocess.run(["p3-all-genomes", "--version"], capture_output=True, text=True)
    return (proc.stdout or proc.stderr).strip().splitlines()[0] if proc.returncode == 0 else "?"


# --------------------------------------------------------------------------- REST (RQL)


def rql_value(value: str) -> str:
    """URL-encode an RQL value: spaces, parentheses, commas and '|' would break the query."""
    return urllib.parse.quote(str(value), safe="")


def rql(*terms: str) -> str:
    return "&".join(t for t in terms if t)


def rql_and(filters: dict[str, str], extra: str = "") -> str:
    parts = [f"eq({f},{rql_value(v)})" for f, v in filters.items()] + ([extra] if extra else [])
    if not parts:
        return ""
    return parts[0] if len(parts) == 1 else f"and({','.join(parts)})"


def rql_in(field_name: str, values: list[str]) -> str:
    return f"in({field_name},({','.join(rql_value(v) for v in values)}))"


class RestClient:
    """Minimal BV-BRC Data API client: POSTed RQL, paging past the page size, retries."""

    def __init__(self, query: Query):
        import requests

        self.query = query
        self.session = requests.Session()
        self.requests = 0

    def url(self, collection: str) -> str:
        return f"{self.query.base_url.rstrip('/')}/{collection}/"

    def _post(self, collection: str, body: str):
        import requests

        url = self.url(collection)
        headers = {
            "Content-Type": "application/rqlquery+x-www-form-urlencoded",
            "Accept": "application/json",
        }
        last = ""
        for attempt in range(self.query.retries):
            try:
                self.requests += 1
                resp = self.session.post(
                    url, data=body, headers=headers, timeout=self.query.timeout_seconds
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                last = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
            else:
                if resp.status_code < 500:
                    if resp.status_code >= 400:
                        raise NeuroseedError(
                            f"{url}: HTTP {resp.status_code} for query {body[:200]!r}"
                        )
                    try:
                        return resp.json(), resp.headers.get("Content-Range", "")
                    except ValueError as exc:
                        raise NeuroseedError(f"{url}: the answer is not JSON") from exc
                last = f"HTTP {resp.status_code}"
            wait = self.query.backoff_seconds * 2**attempt
            log.warning("%s: %s; retrying in %.1f s", url, last, wait)
            time.sleep(wait)
        raise NeuroseedError(f"cannot get {url} after {self.query.retries} tries ({last})")

    def fetch_all(self, collection: str, query: str, select: str) -> list[dict]:
        """Every record of a query, page by page (``limit(n,offset)``, ``Content-Range`` total).

        ``select`` must include a key: two identical pages in a row mean a server that ignores
        the offset, which would otherwise page forever or repeat records up to the total.
        """
        url, size = self.url(collection), self.query.page_size
        fix = "check source.patric.base_url or raise source.patric.page_size"
        out: list[dict] = []
        offset, previous = 0, None
        for _ in range(MAX_PAGES):
            body = rql(query, f"select({select})", f"limit({size},{offset})")
            page, content_range = self._post(collection, body)
            if not isinstance(page, list):
                raise NeuroseedError(
                    f"{url}: expected a list of records, got {type(page).__name__}"
                )
            bad = next((i for i, r in enumerate(page) if not isinstance(r, dict)), None)
            if bad is not None:
                raise NeuroseedError(
                    f"{url}: expected a list of records (JSON objects), "
                    f"got {type(page[bad]).__name__} at item {offset + bad}"
                )
            if page and page == previous:
                raise NeuroseedError(
                    f"{url}: the server returned the same page again at offset {offset} "
                    f"(it ignores the offset of limit()); {fix}"
                )
            out.extend(page)
            total = _range_total(content_range)
            offset += len(page)
            previous = page
            if not page or len(page) < size or (total is not None and offset >= total):
                return out
        raise NeuroseedError(
            f"{url}: more than {MAX_PAGES} pages of {size} records and no end in sight "
            f"({len(out)} records, Content-Range {content_range or 'not sent'}); {fix}"
        )


def _range_total(content_range: str) -> int | None:
    # "items 0-24999/31234"
    try:
        return int(content_range.rsplit("/", 1)[1])
    except (IndexError, ValueError):
        return None


def _batches(values: list[str], size: int):
    for i in range(0, len(values), size):
        yield values[i : i + size]


def fetch_rest(query: Query, raw: Path) -> list[Feature]:
    """genome -> genome_feature -> feature_sequence over the Data API, answers kept in raw/."""
    client = RestClient(query)
    genomes = client.fetch_all("genome", rql_and(query.genome_filters), "genome_id")
    _dump(raw / "genomes.json", genomes)
    genome_ids = sorted({str(g["genome_id"]) for g in genomes if g.get("genome_id")})
    features: list[dict] = []
    for batch in _batches(genome_ids, query.batch_size):
        features += client.fetch_all(
            "genome_feature",
            rql_and(query.feature_filters(), rql_in("genome_id", batch)),
            "patric_id,genome_id,product,na_sequence_md5",
        )
    _dump(raw / "features.json", features)
    md5s = sorted({f["na_sequence_md5"] for f in features if f.get("na_sequence_md5")})
    sequences: list[dict] = []
    for batch in _batches(md5s, query.batch_size):
        sequences += client.fetch_all("feature_sequence", rql_in("md5", batch), "md5,sequence")
    _dump(raw / "sequences.json", sequences)
    # a null or missing sequence becomes "": post-processing counts those as no_sequence
    by_md5 = {s["md5"]: s.get("sequence") or "" for s in sequences if s.get("md5")}
    log.info(
        "REST: %d requests, %d genomes, %d features, %d sequences",
        client.requests,
        len(genome_ids),
        len(features),
        len(by_md5),
    )
    return [
        Feature(
            f["patric_id"], str(f["genome_id"]), f.get("product", ""), by_md5[f["na_sequence_md5"]]
        )
        for f in features
        if f.get("patric_id") and f.get("na_sequence_md5") in by_md5
    ]


def _dump(path: Path, obj) -> None:
    path.write_text(json.dumps(obj))


# --------------------------------------------------------------------------- post-processing


def postprocess(features: list[Feature], query: Query) -> tuple[list[Feature], dict]:
    """Exact product, length bounds, one per genome, identical sequences collapsed, sorted."""
    counts: dict = {"fetched": len(features)}
    feats = sorted(features, key=lambda f: (f.genome_id, f.patric_id))
    if query.product:
        feats = [f for f in feats if f.product == query.product]
    counts["exact_product"] = len(feats)
    feats = [f for f in feats if f.sequence]
    counts["no_sequence"] = counts["exact_product"] - len(feats)
    for f in feats:
        f.sequence = f.sequence.upper()
    feats = [
        f for f in feats
        if len(f.sequence) >= query.min_length
        and (query.max_length is None or len(f.sequence) <= query.max_length)
    ]  # fmt: skip
    counts["length_bounds"] = len(feats)
    if query.one_per_genome:
        seen: set[str] = set()
        feats = [f for f in feats if not (f.genome_id in seen or seen.add(f.genome_id))]
        counts["one_per_genome"] = len(feats)
    kept: dict[str, Feature] = {}
    collapsed: dict[str, list[str]] = {}
    for f in feats:
        first = kept.setdefault(f.sequence, f)
        if first is not f:
            collapsed.setdefault(first.patric_id, []).append(f.patric_id)
    feats = list(kept.values())
    counts["distinct_sequences"] = len(feats)
    return feats, {"counts": counts, "collapsed_duplicates": collapsed}


def fetch(query: Query, raw: Path) -> None:
    """Fetch with p3-scripts (when on PATH) or the Data API; keep the answers as fetched in
    ``raw/`` plus ``raw/fetched.json`` (the features, and how they were fetched)."""
    from datetime import UTC, datetime

    raw = Path(raw)
    raw.mkdir(parents=True, exist_ok=True)
    have_p3 = all(shutil.which(t) for t in P3_TOOLS)
    method = query.method if query.method != "auto" else ("p3" if have_p3 else "rest")
    if method == "p3" and not have_p3:
        raise NeuroseedError(
            f"source.patric.method is 'p3' but {', '.join(P3_TOOLS)} are not all on PATH"
        )
    if method == "p3":
        tool, features = f"p3-scripts {p3_version()}", fetch_p3(query, raw)
    else:
        import requests

        tool = f"BV-BRC Data API at {query.base_url} (requests {requests.__version__})"
        features = fetch_rest(query, raw)
    if not features:
        raise NeuroseedError(
            f"PATRIC query returned no features (genomes {query.genome_filters}, "
            f"features {query.feature_filters()}) via {method}"
        )
    log.info("fetched %d features via %s", len(features), tool)
    record = {
        "method": method,
        "tool": tool,
        "retrieved_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "query": asdict(query),
        "features": [asdict(f) for f in features],
    }
    with atomic_path(raw / "fetched.json") as tmp:
        tmp.write_text(json.dumps(record))


def process(query: Query, raw: Path, fasta_out: Path, provenance_out: Path) -> None:
    """Post-process fetched features into ``sequences`` FASTA (``>PATRIC_ID PRODUCT [GENOME]``)."""
    record = json.loads((Path(raw) / "fetched.json").read_text())
    features = [Feature(**f) for f in record.pop("features")]
    feats, report = postprocess(features, query)
    c = report["counts"]
    if c["no_sequence"]:
        log.warning("PATRIC: %d features had no sequence from the server", c["no_sequence"])
    if not feats:
        steps = [f"{c['fetched']} fetched"]
        if query.product:
            steps.append(f"{c['exact_product']} with the exact product {query.product!r}")
        if c["no_sequence"]:
            steps.append(
                f"{c['no_sequence']} of them with no sequence from the server (null or empty)"
            )
        lengths = f"{query.min_length}..{'' if query.max_length is None else query.max_length}"
        steps.append(f"{c['length_bounds']} with a sequence of length {lengths}")
        raise NeuroseedError(f"PATRIC: no features left: {', '.join(steps)}; raw answers in {raw}")
    log.info("PATRIC via %s: %s", record["method"], c)
    write_fasta(
        fasta_out, [(f"{f.patric_id} {f.product} [{f.genome_id}]", f.sequence) for f in feats]
    )
    write_json(provenance_out, {**record, "postprocessing": asdict(query), **report})
