"""The seed: seed_data/ (the records file and its articles) loaded, checked and stored."""
