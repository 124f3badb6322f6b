# Named targets: each figure of the paper (and the tables behind it), and all of them.
localrules:
    fig_rmse,
    fig_training_curves,
    fig_split_depth,
    fig_retrieval,
    fig_clustering,
    fig_distance_functions,
    fig_rmse_table,
    fig_embedding_dim,
    fig_tuning,
    fig_training_time,
    paper,


rule fig_rmse:
    input:
        figure_paths("rmse"),


rule fig_training_curves:
    input:
        figure_paths("training_curves"),


rule fig_split_depth:
    input:
        figure_paths("split_depth", "split_depth_relative", "split_depth_leakage"),


rule fig_retrieval:
    input:
        figure_paths("retrieval"),


rule fig_clustering:
    input:
        figure_paths("clustering"),


rule fig_distance_functions:
    input:
        figure_paths("training_curves"),
        figure_paths("rmse"),


rule fig_rmse_table:
    input:
        figure_paths("rmse_table"),
        paths.artifact("table", DATASET, table="rmse_table_claims"),


rule fig_embedding_dim:
    input:
        figure_paths("embedding_dim"),


rule fig_tuning:
    input:
        figure_paths("tuning"),
        paths.artifact("best_hparams", DATASET),


rule fig_training_time:
    input:
        figure_paths("training_time"),


rule paper:
    input:
        all_targets(),
        rules.fig_distance_functions.input,
        rules.fig_rmse_table.input,
        rules.fig_embedding_dim.input,
        rules.fig_tuning.input,
        rules.fig_training_time.input,
        rules.fig_split_depth.input,
        rules.fig_retrieval.input,
        rules.fig_clustering.input,
