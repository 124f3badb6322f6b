rule save_config:
    output:
        report(
            "results/{dataset}/config.yaml",
            caption="../report/config.rst",
            category="Configuration",
            labels={"result": "config", "type": "settings"},
        ),
    log:
        "results/{dataset}/logs/save_config.log",
    benchmark:
        "results/{dataset}/benchmarks/save_config.tsv"
    conda:
        "../envs/neuroseed.yaml"
    params:
        # the whole validated config: any change rewrites the record (not a new key order)
        config=canonical(config),
    script:
        "../scripts/save_config.py"
