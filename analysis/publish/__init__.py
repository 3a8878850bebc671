"""Publishing: build, release, results diff, versioned-site assembly and preview."""
