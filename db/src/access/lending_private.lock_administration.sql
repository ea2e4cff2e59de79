-- Changes that could take the last admin away queue behind one another on one transaction-scoped advisory lock, so
-- that two admins demoting each other at once cannot both see the other still admin and leave none. A single key
-- for the whole table is a global lock, which Lendgres otherwise avoids; it is acceptable here because actor
-- administration is rare and never on a loan's path (and it is transaction-scoped, so PgBouncer's transaction
-- pooling keeps it). lending.update_actor takes it before its UPDATE locks the row it changes; taken only in the
-- trigger, after that row lock, two concurrent demotions could deadlock instead of one of them being refused.
create or replace function lending_private.lock_administration()
returns void
language sql
begin atomic
  select pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('lending_private.actor: administration'));
end;
comment on function lending_private.lock_administration() is
  'Waits for, and holds until the transaction ends, the lock that changes of admins queue on.';
