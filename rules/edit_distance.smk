if ED_BLOCKS == 1:

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

else:

    # The matrix as tile jobs (tiles.tile_jobs), each a job of its own (an sbatch job on
    # SLURM), merged into the same file as the single job's.
    rule edit_distance_tile:
        input:
            fasta="results/{dataset}/sequences/sequences.fasta",
        output:
            tile=temp("results/{dataset}/edit_distance/tiles/{tile}.npz"),
        log:
            "results/{dataset}/logs/edit_distance_tile/{tile}.log",
        benchmark:
            "results/{dataset}/benchmarks/edit_distance_tile/{tile}.tsv"
        conda:
            "../envs/neuroseed.yaml"
        threads: config["threads"]["edit_distance"]
        resources:
            **capacity.per_attempt(
                lambda wildcards, input, threads: capacity.edit_distance_tile(
                    input.fasta, threads, ED_BLOCKS
                )
            ),
        params:
            blocks=ED_BLOCKS,
        script:
            "../scripts/edit_distance_tile.py"

    rule merge_edit_distance:
        input:
            fasta="results/{dataset}/sequences/sequences.fasta",
            tiles=edit_distance_tiles,
        output:
            distances="results/{dataset}/edit_distance/distances.npy",
        log:
            "results/{dataset}/logs/merge_edit_distance.log",
        benchmark:
            "results/{dataset}/benchmarks/merge_edit_distance.tsv"
        conda:
            "../envs/neuroseed.yaml"
        resources:
            **capacity.per_attempt(
                lambda wildcards, input, threads: capacity.merge_edit_distance(
                    input.fasta, ED_BLOCKS
                )
            ),
        params:
            blocks=ED_BLOCKS,
        script:
            "../scripts/merge_edit_distance.py"
