rule compute_edit_distance:
    input:
        fasta="results/{dataset}/sequences/sequences.fasta",
    output:
        distances="results/{dataset}/edit_distance/distances.npy",
    log:
        "results/{dataset}/logs/compute_edit_distance.log",
    benchmark:
        "results/{dataset}/benchmarks/compute_edit_distance.tsv"
    conda:
        "../envs/neuroseed.yaml"
    threads: config["threads"]["edit_distance"]
    resources:
        **capacity.per_attempt(
            lambda wildcards, input, threads: capacity.edit_distance(
                input.fasta, threads
            )
        ),
    script:
        "../scripts/compute_edit_distance.py"
