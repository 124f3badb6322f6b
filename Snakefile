import sys

from snakemake.utils import min_version

min_version("9.0")

# The checkout's own library, also where another copy of neuroseed is installed.
sys.path.insert(0, f"{workflow.basedir}/src")
from neuroseed import NeuroseedError
from neuroseed.artifacts import check_dataset_artifacts
from neuroseed.config import check_config, with_defaults


configfile: "config/config.yaml"


# Before any job, in one line: a bad config (NaN, unknown key, '..', missing file) is checked
# against src/neuroseed/schema.yaml and names the key; a damaged matrix or encoding names the
# file, before a job deletes the good models downstream of it. Then the schema's defaults are
# filled in (as snakemake.utils.validate would, which trips over a null object such as
# source.patric whose keys have defaults).
try:
    check_config(config)
    check_dataset_artifacts(config["dataset"])
except NeuroseedError as exc:
    sys.exit(str(exc))
config.update(with_defaults(config))


report: "report/workflow.rst"


localrules:
    all,
    fig_rmse,
    fig_training_curves,
    fig_split_depth,
    fig_retrieval,
    fig_clustering,
    fig_distance_functions,
    fig_rmse_table,
    fig_embedding_dim,
    fig_hparam_search,
    fig_training_time,
    paper,


include: "rules/common.smk"
include: "rules/patric.smk"
include: "rules/sequences.smk"
include: "rules/alignment.smk"
include: "rules/encoding.smk"
include: "rules/edit_distance.smk"
include: "rules/splits.smk"
include: "rules/pool.smk"
include: "rules/training.smk"
include: "rules/embedding_dim.smk"
include: "rules/hparam_search.smk"
include: "rules/evaluation.smk"
include: "rules/figures.smk"
include: "rules/report.smk"


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


rule fig_hparam_search:
    input:
        figure_paths("hparam_search"),
        paths.artifact("best_hparams", DATASET),


rule fig_training_time:
    input:
        figure_paths("training_time"),


rule paper:
    input:
        rules.all.input,
        rules.fig_distance_functions.input,
        rules.fig_rmse_table.input,
        rules.fig_embedding_dim.input,
        rules.fig_hparam_search.input,
        rules.fig_training_time.input,
        rules.fig_split_depth.input,
        rules.fig_retrieval.input,
        rules.fig_clustering.input,
