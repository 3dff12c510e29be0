"""`python -m losscli`."""

from losscli.cli import main

if __name__ == "__main__":
    main()
