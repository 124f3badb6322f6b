"""The validated configuration of this run, defaults filled in, for the report (rule
save_config)."""

from neuroseed import jobs


def main(smk):
    from neuroseed.io import write_yaml

    # in the order the user wrote it (the params are sorted only to compare runs)
    write_yaml(smk.output[0], dict(smk.config))


jobs.run(main, snakemake)
