"""borderstatus: the state of the borders between Russia/Belarus and their NATO neighbours."""
