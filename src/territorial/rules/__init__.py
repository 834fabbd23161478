"""The rule language: a SOQL/SQL WHERE subset parsed into one typed AST with several compilers."""
