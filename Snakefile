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
include: "rules/tuning.smk"
include: "rules/evaluation.smk"
include: "rules/figures.smk"
include: "rules/report.smk"
include: "rules/targets.smk"


rule all:
    default_target: True
    input:
        all_targets(),
