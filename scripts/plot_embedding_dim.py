"""Test %RMSE vs embedding dimension per distance (rule plot_embedding_dim)."""

from neuroseed import jobs, plots


def main(smk):
    table = plots.collect_metrics(smk.input.metrics)
    plots.write_embedding_dim(
        table, smk.output.table, smk.output.pdf, smk.output.png, title=smk.params.title
    )


jobs.run(main, snakemake)
