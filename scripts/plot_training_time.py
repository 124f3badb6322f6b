"""Wall time and throughput of every training run (rule plot_training_time)."""

from neuroseed import jobs, plots


def main(smk):
    table = plots.collect_training_time(smk.input.metrics, smk.input.benchmarks)
    table.to_csv(smk.output.table, sep="\t", index=False, float_format="%.4f")
    plots.plot_training_time(
        table,
        smk.output.pdf,
        smk.output.png,
        title=smk.params.title,
        reference=smk.params.reference,
    )


jobs.run(main, snakemake)
