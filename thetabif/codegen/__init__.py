"""Code generated from the symbolic model: numeric functions and AUTO-07p files."""
