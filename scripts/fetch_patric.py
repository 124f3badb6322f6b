"""Fetch gene features from PATRIC/BV-BRC, kept as fetched (rule fetch_patric)."""

from neuroseed import jobs, patric


def main(smk):
    patric.fetch(patric.Query.of(**smk.params.query), smk.output.raw)


jobs.run(main, snakemake)
