"""`python -m textrnn` runs the command line, as `textrnn` does."""

if __name__ == "__main__":  # not when a spawned worker process imports it as __mp_main__
    from textrnn_cli.app import main

    main()
