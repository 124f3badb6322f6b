"""Pad and encode sequences to a fixed-length integer array (rule encode_sequences)."""

from neuroseed import encoding, jobs


def main(smk):
    aligned = smk.input.aligned if "aligned" in smk.input.keys() else None
    encoding.encode_fasta(smk.input.fasta, smk.output.encoded, smk.params.length, aligned)


jobs.run(main, snakemake)
