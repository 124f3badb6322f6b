"""Fetch gene features from PATRIC/BV-BRC, kept as fetched (rule fetch_patric)."""

from neuroseed import patric, workflow


def main(smk):
    patric.fetch(patric.Query.of(**smk.params.query), smk.output.raw)


workflow.run(main, snakemake)  # noqa: F821
