"""Closest-string retrieval accuracy per encoder and distance: table and figure
(rule plot_retrieval)."""

from neuroseed import jobs, plots


def main(smk):
    table = plots.collect_retrieval(smk.input)
    table.to_csv(smk.output.table, sep="\t", index=False, float_format="%.4f")
    plots.plot_retrieval(table, smk.output.pdf, smk.output.png, title=smk.params.title)


jobs.run(main, snakemake)
