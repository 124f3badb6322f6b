"""Draw the training pool: sequences outside the dataset, encoded like it (rule prepare_pool)."""

from neuroseed import jobs, pool, sources


def main(smk):
    source = sources.pool_fasta(smk.config["source"], smk.config["training"]["pool"])
    pool.build(
        str(source),
        smk.input.fasta,
        smk.input.encoded,
        smk.output.pool,
        smk.output.report,
        int(smk.wildcards.size),
        int(smk.wildcards.pool_seed),
        smk.params.options,
        smk.params.region,
    )


jobs.run(main, snakemake)
