"""Hierarchical clustering from one trained model's embeddings (rule evaluate_clustering)."""

from neuroseed import jobs


def main(smk):
    from neuroseed.clustering import run_stage
    from neuroseed.runtime import configure_backend

    configure_backend(smk.threads, 0)
    run_stage(
        smk.input.model,
        smk.input.encoded,
        smk.input.distances,
        smk.input.split,
        smk.output[0],
        size=smk.params.size,
    )


jobs.run(main, snakemake)
