"""The joint picture: a projection of the shared stream, its findings and replay."""
