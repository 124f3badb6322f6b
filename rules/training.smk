rule train_model:
    input:
        unpack(pool_input),
        encoded=paths.artifact("encoded"),
        distances=paths.artifact("distances"),
        split=paths.artifact("split"),
    output:
        model=paths.artifact("model"),
        history=paths.artifact("history"),
        metrics=paths.artifact("metrics"),
    log:
        paths.log("train_model", paths.RUN_JOB),
    benchmark:
        paths.benchmark("train_model", paths.RUN_JOB)
    conda:
        "../envs/neuroseed.yaml"
    threads: TRAINING_THREADS
    resources:
        **capacity.per_attempt(training_capacity),
        gpu=TRAINING_GPUS,
    params:
        settings=train_settings,
    script:
        "../scripts/train_model.py"
