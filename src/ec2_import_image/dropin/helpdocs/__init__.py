"""The manual pages of ``help``: built as styled lines, shown plain or through a pager.

``styled``     lines of text runs that are plain, bold or underlined, and their
               two renderings (plain text; a terminal's overstrikes)
``docstyle``   the model's HTML documentation as styled, wrapped lines
``syntax``     the Shorthand Syntax and JSON Syntax blocks of an option
``values``     the valid values of an option or member (model enums, documented
               values, and a small table for the rest)
``examples``   the project's own examples for each command
``pages``      the pages of ``aws help``, ``aws ec2 help`` and each operation
``paging``     where a page goes: a pager on a terminal, plain text elsewhere
``waiters``    the waiters of ``aws ec2 wait`` the parser declares, and their text

Every option's name, type, values and text come from the option table
(``cli.options``), which the parser and completion read too.
"""
