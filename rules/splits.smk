rule split_sequences:
    input:
        unpack(split_input),
    output:
        split=paths.artifact("split"),
    log:
        paths.log("split_sequences", "{split}"),
    benchmark:
        paths.benchmark("split_sequences", "{split}")
    conda:
        "../envs/neuroseed.yaml"
    params:
        options=split_options,
    script:
        "../scripts/split_sequences.py"


rule report_leakage:
    input:
        unpack(leakage_pool_input),
        split=paths.artifact("split"),
        encoded=paths.artifact("encoded"),
        distances=paths.artifact("distances"),
    output:
        table=paths.artifact("leakage_table"),
        summary=paths.artifact("leakage_summary"),
    log:
        paths.log("report_leakage", "{split}"),
    benchmark:
        paths.benchmark("report_leakage", "{split}")
    conda:
        "../envs/neuroseed.yaml"
    threads: config["threads"]["edit_distance"]
    script:
        "../scripts/report_leakage.py"
