if ED_BLOCKS == 1:

    rule compute_edit_distance:
        input:
            fasta=paths.artifact("sequences"),
        output:
            distances=paths.artifact("distances"),
        log:
            paths.log("compute_edit_distance"),
        benchmark:
            paths.benchmark("compute_edit_distance")
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
            fasta=paths.artifact("sequences"),
        output:
            tile=temp(paths.artifact("distance_tile")),
        log:
            paths.log("edit_distance_tile", "{tile}"),
        benchmark:
            paths.benchmark("edit_distance_tile", "{tile}")
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
            fasta=paths.artifact("sequences"),
            tiles=edit_distance_tiles,
        output:
            distances=paths.artifact("distances"),
        log:
            paths.log("merge_edit_distance"),
        benchmark:
            paths.benchmark("merge_edit_distance")
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
