use rule train_model as train_model_dim with:
    output:
        model=paths.artifact("dim_model"),
        history=paths.artifact("dim_history"),
        metrics=paths.artifact("dim_metrics"),
    log:
        paths.log("train_model_dim", paths.DIM_RUN_JOB),
    benchmark:
        paths.benchmark("train_model_dim", paths.DIM_RUN_JOB)
