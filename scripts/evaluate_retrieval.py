"""Closest-string retrieval with one trained model (rule evaluate_retrieval)."""

from neuroseed import jobs


def main(smk):
    from neuroseed.retrieval import run_stage
    from neuroseed.runtime import configure_backend

    configure_backend(smk.threads, 0)
    run_stage(
        smk.input.model,
        smk.input.encoded,
        smk.input.distances,
        smk.input.split,
        smk.output[0],
        references=smk.params.references,
        queries=smk.params.queries,
    )


jobs.run(main, snakemake)
