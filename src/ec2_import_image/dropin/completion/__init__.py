"""Completion of a partly typed command line: shells, ``aws_completer`` and the auto-prompt.

``engine``      the candidates for the word being typed (never imports botocore), from
                the option table (``cli.options``) the parser reads
``shorthand``   member names and values inside a shorthand value
``paths``       ``file://`` and ``fileb://`` file names
``profiles``    profile names of the config and credentials files
``regions``     Region names, read from botocore's data without importing it
``click_hook``  click's completion protocol (``_AWS_COMPLETE=bash_complete`` ...)
``completer``   the ``aws_completer`` program (v2's ``COMP_LINE``/``COMP_POINT``)
``shellwords``  words as bash reads them, and the part of a word a candidate replaces
``handoff``     lines outside the tool's commands, completed by the AWS CLI's completer
``autoprompt``  the interactive prompt of ``--cli-auto-prompt`` (prompt_toolkit)
``promptdocs``  the text of the prompt's doc panel
"""
