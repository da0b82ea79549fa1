"""Operator customisation of subscriber mail.

- ``variables``: the kinds of mail, the variables each one's templates may use, their
  values for a notice, a sample notice for the preview;
- ``sandbox``: the restricted, sandboxed Jinja that renders what an operator wrote;
- ``customize``: validate and save (every template is rendered against a sample before
  it is stored), and apply a saved customisation to a notice when it is published —
  once per notice, never per recipient;
- ``branding``: the logo and accent colour of the mail layout;
- ``preview``: a sample notice rendered with unsaved changes.
"""
