"""Training and validation curves of every run: table and figure (rule plot_training_curves)."""

from neuroseed import jobs, plots


def main(smk):
    table = plots.collect_histories(smk.input.histories, smk.input.metrics)
    table.to_csv(smk.output.table, sep="\t", index=False, float_format="%.5g")
    plots.plot_training_curves(table, smk.output.pdf, smk.output.png, title=smk.params.title)


jobs.run(main, snakemake)
