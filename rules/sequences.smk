rule prepare_sequences:
    input:
        unpack(source_input),
    output:
        fasta=paths.artifact("sequences"),
        provenance=paths.artifact("provenance"),
    log:
        paths.log("prepare_sequences"),
    benchmark:
        paths.benchmark("prepare_sequences")
    conda:
        "../envs/neuroseed.yaml"
    params:
        source=source_params(),
        options=canonical(config["sequences"]),
    script:
        "../scripts/prepare_sequences.py"


rule prune_tree:
    input:
        unpack(tree_input),
        fasta=paths.artifact("sequences"),
    output:
        tree=paths.artifact("tree"),
    log:
        paths.log("prune_tree"),
    benchmark:
        paths.benchmark("prune_tree")
    conda:
        "../envs/neuroseed.yaml"
    params:
        source=source_params(),
    script:
        "../scripts/prune_tree.py"


rule build_tree:
    input:
        fasta=paths.artifact("sequences"),
        distances=paths.artifact("distances"),
    output:
        tree=paths.artifact("upgma_tree"),
    log:
        paths.log("build_tree"),
    benchmark:
        paths.benchmark("build_tree")
    conda:
        "../envs/neuroseed.yaml"
    script:
        "../scripts/build_tree.py"
