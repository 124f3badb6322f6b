"""Test %RMSE mean ± sd per encoder x distance beside the published table (rule plot_rmse_table)."""

from neuroseed import io, jobs, plots


def main(smk):
    train_reads = len(io.read_json(smk.input.split)["train"])
    summary = plots.summarize_rmse(plots.collect_metrics(smk.input.metrics), train_reads)
    summary.to_csv(smk.output.table, sep="\t", index=False, float_format="%.4f")
    plots.write_paper_comparison(summary, smk.output.paper, smk.output.claims)
    plots.plot_rmse_table(summary, smk.output.pdf, smk.output.png, title=smk.params.title)


jobs.run(main, snakemake)
