import sys

from .cli import main

# Guarded: the training process is started with "spawn", which imports the
# main module again under another name.
if __name__ == "__main__":
    sys.exit(main())
