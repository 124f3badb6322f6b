from neuroseed.settings import for_distance, settings_from_config


def test_per_distance_values_fall_back_to_the_default():
    value = {"default": 3, "euclidean": 5}
    assert for_distance(value, "euclidean") == 5 and for_distance(value, "cosine") == 3
    assert for_distance(0.01, "hyperbolic") == 0.01


def test_settings_from_config_resolve_every_encoder_setting():
    config = {
        "training": {
            "embedding_dim": 16,
            "batch_size": 8,
            "partners": 2,
            "patience": 3,
            "loss": "mse",
            "groups": 0,
            "pool": {"size": 0, "near": 0.5},  # near partners need a pool: off here
        },
        "encoders": {
            "cnn": {
                "epochs": {"default": 10, "hyperbolic": 4},
                "learning_rate": 0.001,
                "weight_decay": {"default": 0.0, "hyperbolic": 0.1},
                "kernel_size": {"default": 3, "euclidean": 5},
            },
            "kmer": {"k": 4},
        },
    }
    s = settings_from_config(config, "cnn", "hyperbolic", 7)
    assert (s["epochs"], s["learning_rate"], s["weight_decay"], s["seed"]) == (4, 0.001, 0.1, 7)
    assert s["hparams"] == {"kernel_size": 3}
    assert settings_from_config(config, "cnn", "euclidean", 0)["hparams"] == {"kernel_size": 5}
    kmer = settings_from_config(config, "kmer", "cosine", 0)
    assert kmer["hparams"] == {"k": 4} and kmer["epochs"] is None  # fitted in closed form


def test_near_partners_only_with_a_pool_and_a_trained_encoder():
    from neuroseed.config import with_defaults
    from neuroseed.settings import settings_from_config

    config = with_defaults({"training": {"pool": {"size": 100, "near": 0.3}}})
    assert settings_from_config(config, "kmer_net", "manhattan", 0)["near_partners"] == 0.3
    assert settings_from_config(config, "kmer", "manhattan", 0)["near_partners"] == 0.0
    config = with_defaults({"training": {"pool": {"size": 0, "near": 0.3}}})
    assert settings_from_config(config, "kmer_net", "manhattan", 0)["near_partners"] == 0.0
