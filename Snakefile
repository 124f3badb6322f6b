from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


validate(config, "config/schema.yaml")


localrules:
    all,
    fig_rmse,
    fig_training_curves,
    fig_split_depth,
    fig_retrieval,
    fig_clustering,


include: "rules/common.smk"
include: "rules/patric.smk"
include: "rules/sequences.smk"
include: "rules/alignment.smk"
include: "rules/encoding.smk"
include: "rules/edit_distance.smk"
include: "rules/splits.smk"
include: "rules/training.smk"
include: "rules/evaluation.smk"
include: "rules/figures.smk"


rule all:
    default_target: True
    input:
        all_targets(),


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
