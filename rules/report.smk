rule save_config:
    output:
        report(
            paths.artifact("config"),
            caption="../report/config.rst",
            category="Configuration",
            labels={"result": "config", "type": "settings"},
        ),
    log:
        paths.log("save_config"),
    benchmark:
        paths.benchmark("save_config")
    conda:
        "../envs/neuroseed.yaml"
    params:
        # the whole validated config: any change rewrites the record (not a new key order)
        config=canonical(config),
    script:
        "../scripts/save_config.py"
