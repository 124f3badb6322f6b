"""The split-depth experiment's table and figures (rule plot_split_depth)."""

from neuroseed import jobs, plots


def main(smk):
    table = plots.collect_split_depth(smk.input.metrics, smk.input.leakage)
    table.to_csv(smk.output.table, sep="\t", index=False, float_format="%.5g")
    o = smk.output
    plots.plot_split_depth(
        table,
        (o.pdf, o.png),
        (o.relative_pdf, o.relative_png),
        (o.leakage_pdf, o.leakage_png),
        title=smk.params.title,
    )


jobs.run(main, snakemake)
