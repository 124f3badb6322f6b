"""The validated configuration of this run, defaults filled in, for the report (rule
save_config)."""

from neuroseed import workflow


def main(smk):
    from neuroseed.io import write_yaml

    write_yaml(smk.output[0], dict(smk.params.config))


workflow.run(main, snakemake)  # noqa: F821
