"""The ``minica`` command line: thin click commands over the library."""
