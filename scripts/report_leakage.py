"""Nearest-training-sequence distance of every test sequence (rule report_leakage)."""

from neuroseed import splits, workflow


def main(smk):
    splits.report_leakage(
        smk.input.split,
        smk.input.encoded,
        smk.input.distances,
        smk.output.table,
        smk.output.summary,
    )


workflow.run(main, snakemake)  # noqa: F821
