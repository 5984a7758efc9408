"""Print a greeting."""

print("hello from a component")
