"""Exact product, lengths, one per genome, de-duplication -> FASTA (rule process_patric)."""

from neuroseed import patric, workflow


def main(smk):
    query = patric.Query.of(**smk.params.query)
    patric.process(query, smk.input.raw, smk.output.fasta, smk.output.provenance)


workflow.run(main, snakemake)  # noqa: F821
