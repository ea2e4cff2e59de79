"""Tools for developing Lendgres from a checkout: a throwaway PostgreSQL server, the database built from its
readable source (db/src), the comparison that keeps that source and the migrations equal, the schema dump, and the
writer of new migrations. `make schema` and `make migration` run them; the tests use them too."""
