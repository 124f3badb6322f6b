"""Clustering quality (Dasgupta cost increase) per encoder and distance: table and figure
(rule plot_clustering)."""

from neuroseed import jobs, plots


def main(smk):
    table = plots.collect_clustering(smk.input)
    table.to_csv(smk.output.table, sep="\t", index=False, float_format="%.4f")
    plots.plot_clustering(table, smk.output.pdf, smk.output.png, title=smk.params.title)


jobs.run(main, snakemake)
