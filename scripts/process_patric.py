"""Exact product, lengths, one per genome, de-duplication -> FASTA (rule process_patric)."""

from neuroseed import jobs, patric


def main(smk):
    query = patric.Query.of(**smk.params.query)
    patric.process(query, smk.input.raw, smk.output.fasta, smk.output.provenance)


jobs.run(main, snakemake)
