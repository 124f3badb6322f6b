rule prepare_sequences:
    input:
        unpack(source_input),
    output:
        fasta="results/{dataset}/sequences/sequences.fasta",
        provenance="results/{dataset}/sequences/provenance.json",
    log:
        "results/{dataset}/logs/prepare_sequences.log",
    benchmark:
        "results/{dataset}/benchmarks/prepare_sequences.tsv"
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
        fasta="results/{dataset}/sequences/sequences.fasta",
    output:
        tree="results/{dataset}/sequences/tree.nwk",
    log:
        "results/{dataset}/logs/prune_tree.log",
    benchmark:
        "results/{dataset}/benchmarks/prune_tree.tsv"
    conda:
        "../envs/neuroseed.yaml"
    params:
        source=source_params(),
    script:
        "../scripts/prune_tree.py"


rule build_tree:
    input:
        fasta="results/{dataset}/sequences/sequences.fasta",
        distances="results/{dataset}/edit_distance/distances.npy",
    output:
        tree="results/{dataset}/sequences/tree_upgma.nwk",
    log:
        "results/{dataset}/logs/build_tree.log",
    benchmark:
        "results/{dataset}/benchmarks/build_tree.tsv"
    conda:
        "../envs/neuroseed.yaml"
    script:
        "../scripts/build_tree.py"
