rule prepare_pool:
    input:
        unpack(pool_source),
        fasta=paths.artifact("sequences"),
        encoded=paths.artifact("encoded"),
    output:
        pool=paths.artifact("pool"),
        report=paths.artifact("pool_report"),
    log:
        paths.log("prepare_pool", paths.POOL),
    benchmark:
        paths.benchmark("prepare_pool", paths.POOL)
    conda:
        "../envs/neuroseed.yaml"
    params:
        options=config["sequences"],
        region=config["source"]["region"],
    script:
        "../scripts/prepare_pool.py"
