"""The plugin system: registry, discovery, manifests, and the host API plugins call."""
