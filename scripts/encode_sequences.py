"""Pad and encode sequences to a fixed-length integer array (rule encode_sequences)."""

from neuroseed import encoding, workflow


def main(smk):
    encoding.encode_fasta(smk.input.fasta, smk.output.encoded, smk.params.length)


workflow.run(main, snakemake)  # noqa: F821
