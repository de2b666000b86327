"""The operations behind the commands, one a module: each takes a KB and returns a typed report
or record (never prints). The CLI (:mod:`kb.cli`) and the site call these."""
