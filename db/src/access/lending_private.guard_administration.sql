-- Administration must not be able to lock itself out: someone must always be left who may manage actors. Enforced
-- here, in a trigger on the actors table, so that every write path obeys it (lending.update_actor, and direct SQL
-- by the owner) except a superuser's, which is the recovery path (lending_private.session_is_superuser):
-- * the built-in operator, which the CLI and other operators act as, keeps its name, role and state;
-- * no actor takes itself out of admin (by a new role or by deactivation): another admin must;
-- * the last active admin apart from the operator stays one, so that an admin is left whom an API key can act as
--   (the operator is the database operators' own actor, protected by the first rule).
--
-- Counting the other admins is made safe against concurrent demotions in two ways: lock_administration() makes the
-- demotions queue (in READ COMMITTED, the count after the wait sees what the one before committed), and FOR UPDATE
-- makes a REPEATABLE READ or SERIALIZABLE transaction, whose snapshot predates the other's commit, fail with a
-- serialization error rather than count an admin who is gone.
create or replace function lending_private.guard_administration()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  v_other_admins bigint;
begin
  if lending_private.session_is_superuser() then
    return new;
  end if;
  if old.name = 'operator'
     and (new.name, new.kind, new.role, new.db_role, new.active)
         is distinct from (old.name, old.kind, old.role, old.db_role, old.active) then
    perform lending_private.fail(
      'operator_protected',
      'The built-in operator actor can be changed only by a PostgreSQL superuser',
      jsonb_build_object('name', old.name));
  end if;
  if not (old.role = 'admin' and old.active) or (new.role = 'admin' and new.active) then
    return new;  -- not leaving admin
  end if;
  if old.name = lending_private.current_actor() then
    perform lending_private.fail(
      'admin_self_demotion',
      format('Actor %s cannot take itself out of admin; another admin must', old.name),
      jsonb_build_object('name', old.name));
  end if;
  perform lending_private.lock_administration();
  select count(*) into v_other_admins
    from (select from lending_private.actor as a
           where a.role = 'admin' and a.active and a.name <> 'operator' and a.actor_id <> old.actor_id
             for update) as other_admins;
  if v_other_admins = 0 then
    perform lending_private.fail(
      'last_admin',
      format('Actor %s is the last active admin; make another actor admin first', old.name),
      jsonb_build_object('name', old.name));
  end if;
  return new;
end;
$$;
comment on function lending_private.guard_administration() is
  'Trigger: refuses, except to a superuser, a change of the operator, an admin leaving admin by its own hand, and '
  'the last active admin (apart from the operator) leaving admin.';
