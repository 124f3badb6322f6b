"""Test %RMSE per encoder and distance: table and figure (rule plot_rmse)."""

from neuroseed import jobs, plots


def main(smk):
    table = plots.collect_metrics(smk.input.metrics)
    table.to_csv(smk.output.table, sep="\t", index=False, float_format="%.4f")
    plots.plot_rmse(table, smk.output.pdf, smk.output.png, title=smk.params.title)


jobs.run(main, snakemake)
