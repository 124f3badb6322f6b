"""Nearest-training-sequence (and training-pool) distance of every test sequence (rule
report_leakage)."""

from neuroseed import jobs, splits


def main(smk):
    splits.report_leakage(
        smk.input.split,
        smk.input.encoded,
        smk.input.distances,
        smk.output.table,
        smk.output.summary,
        smk.input.get("pool"),
        smk.input.get("fasta"),
        smk.threads,
    )


jobs.run(main, snakemake)
