-- migrate:up
set local role lending_owner;

insert into lending_private.error_code (code, http_status, title, description) values
  ('operator_protected', 403, 'Operator is protected',
   'The built-in operator actor, which the lendgres CLI acts as, can be changed or deactivated only by a PostgreSQL superuser.'),
  ('admin_self_demotion', 409, 'Admin cannot demote itself',
   'An actor cannot take itself out of admin, by a new role or by deactivation; another admin must do it.'),
  ('last_admin', 409, 'Last admin',
   'The actor is the last active admin (apart from the operator) and cannot leave admin; make another actor admin first.');

-- db/src/access/lending_private.session_is_superuser.sql
-- A PostgreSQL superuser can change any row of any table whatever Lendgres says, so the guards of administration
-- (lending_private.guard_administration) do not stand in its way, and authorize() lets it act as the operator
-- whatever the actors table holds: `lendgres actors ...` run as the superuser is the recovery path that cannot be
-- locked out. session_user, not current_user: inside a SECURITY DEFINER function current_user is the owner.
create or replace function lending_private.session_is_superuser()
returns boolean
language sql
stable
begin atomic
  select coalesce((select r.rolsuper from pg_catalog.pg_roles as r where r.rolname = session_user), false);
end;
comment on function lending_private.session_is_superuser() is
  'Whether the session logged in as a PostgreSQL superuser: the one who may always recover administration.';

-- db/src/access/lending_private.lock_administration.sql
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

-- db/src/access/lending_private.guard_administration.sql
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

create trigger _150_guard_administration before update on lending_private.actor
  for each row execute function lending_private.guard_administration();

-- db/src/access/lending_private.authorize.sql
-- Runs first in every call that needs a permission, so it costs one query: the actor, its role and the permission
-- together, the permission as a join rather than a subquery (fewer executor nodes).
--
-- enable_seqscan is off: the reference tables (role_operation, currency) fill a page or two, so the planner's
-- page-based costs prefer a sequential scan, which read all 73 permissions on every call where the primary key
-- reads one (about a tenth of a lending.get_application call). A function's settings hold for everything it calls,
-- triggers included.
create or replace function lending_private.authorize(operation text, actor text, request_id text)
returns text
language plpgsql
set search_path = pg_catalog, pg_temp
set enable_seqscan = off
as $$
declare
  v_name text := lending_private.acting_actor_name(actor, request_id);
  v_role text;
  v_active boolean;
  v_permitted boolean;
begin
  select a.role, a.active, p.operation is not null
    into v_role, v_active, v_permitted
    from lending_private.actor as a
    left join lending_private.role_operation as p on p.role = a.role and p.operation = authorize.operation
   where a.name = v_name;
  if (v_active is not true or not v_permitted) and v_name = 'operator' and lending_private.session_is_superuser() then
    -- The recovery path: a superuser acts as the operator with an admin's rights whatever the actors table says (a
    -- superuser's raw UPDATE could have demoted or deactivated it). Checked only when the table refuses, so it
    -- costs the usual call nothing.
    v_role := 'admin';
    v_active := true;
    v_permitted := exists (select from lending_private.role_operation as p
                            where p.role = 'admin' and p.operation = authorize.operation);
  end if;
  if v_active is not true then
    perform lending_private.fail('unauthenticated', format('Actor %s does not exist or is deactivated', v_name),
                                 jsonb_build_object('actor', v_name));
  end if;
  if not v_permitted then
    perform lending_private.fail(
      'forbidden',
      format('Actor %s (role %s) may not %s', v_name, v_role, operation),
      jsonb_build_object('actor', v_name, 'role', v_role, 'operation', operation,
                         'allowed_roles', (select coalesce(to_jsonb(array_agg(p.role order by p.role)), '[]')
                                             from lending_private.role_operation as p
                                            where p.operation = authorize.operation)));
  end if;
  v_name := lending_private.act_as(v_name, request_id);
  return v_role;
end;
$$;
comment on function lending_private.authorize(text, text, text) is
  'identify(), and refuses with forbidden unless the actor''s role may perform the operation. Returns the role.';

-- db/src/access/lending.update_actor.sql
create or replace function lending.update_actor(
  name text,
  role text default null,
  active boolean default null,
  actor text default null,
  request_id text default null)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_actor lending_private.actor;
begin
  perform lending_private.authorize('manage_actors', actor, request_id);
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('role', case when role is not null then lending_private.actor_role_error(role) end)]);
  v_actor := lending_private.find_actor(name);
  if v_actor.role = 'admin' and v_actor.active
     and (coalesce(update_actor.role, 'admin') <> 'admin' or not coalesce(update_actor.active, true)) then
    -- Before the UPDATE locks the row: see lending_private.lock_administration.
    perform lending_private.lock_administration();
  end if;
  -- The actors table's trigger, lending_private.guard_administration(), refuses what would lock administration out.
  update lending_private.actor as a
     set role = coalesce(update_actor.role, a.role), active = coalesce(update_actor.active, a.active)
   where a.actor_id = v_actor.actor_id
  returning * into v_actor;
  return jsonb_build_object('status', 200, 'body', lending_private.actor_json(v_actor), 'replayed', false);
end;
$$;
comment on function lending.update_actor(text, text, boolean, text, text) is
$$Changes an actor's role, or deactivates (active false) or reactivates it.

A deactivated actor can do nothing from its next call on, whatever key or login it uses. Administration cannot
lock itself out: only a PostgreSQL superuser may change the built-in operator (operator_protected), no actor takes
itself out of admin (admin_self_demotion), and the last active admin apart from the operator stays one
(last_admin).
Returns: {status: 200, body: actor, replayed}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch, not_found, operator_protected, admin_self_demotion, last_admin.$$;
grant execute on function lending.update_actor(text, text, boolean, text, text) to lending_api;

reset role;

-- migrate:down
set local role lending_owner;

-- db/src/access/lending.update_actor.sql
create or replace function lending.update_actor(
  name text,
  role text default null,
  active boolean default null,
  actor text default null,
  request_id text default null)
returns jsonb
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  v_actor lending_private.actor;
begin
  perform lending_private.authorize('manage_actors', actor, request_id);
  perform lending_private.fail_if_invalid(array[
    lending_private.field_error('role', case when role is not null then lending_private.actor_role_error(role) end)]);
  v_actor := lending_private.find_actor(name);
  update lending_private.actor as a
     set role = coalesce(update_actor.role, a.role), active = coalesce(update_actor.active, a.active)
   where a.actor_id = v_actor.actor_id
  returning * into v_actor;
  return jsonb_build_object('status', 200, 'body', lending_private.actor_json(v_actor), 'replayed', false);
end;
$$;
comment on function lending.update_actor(text, text, boolean, text, text) is
$$Changes an actor's role, or deactivates (active false) or reactivates it.

A deactivated actor can do nothing from its next call on, whatever key or login it uses.
Returns: {status: 200, body: actor, replayed}.
Errors: validation_failed, unauthenticated, forbidden, actor_mismatch, not_found.$$;
grant execute on function lending.update_actor(text, text, boolean, text, text) to lending_api;

-- db/src/access/lending_private.authorize.sql
-- Runs first in every call that needs a permission, so it costs one query: the actor, its role and the permission
-- together, the permission as a join rather than a subquery (fewer executor nodes).
--
-- enable_seqscan is off: the reference tables (role_operation, currency) fill a page or two, so the planner's
-- page-based costs prefer a sequential scan, which read all 73 permissions on every call where the primary key
-- reads one (about a tenth of a lending.get_application call). A function's settings hold for everything it calls,
-- triggers included.
create or replace function lending_private.authorize(operation text, actor text, request_id text)
returns text
language plpgsql
set search_path = pg_catalog, pg_temp
set enable_seqscan = off
as $$
declare
  v_name text := lending_private.acting_actor_name(actor, request_id);
  v_role text;
  v_active boolean;
  v_permitted boolean;
begin
  select a.role, a.active, p.operation is not null
    into v_role, v_active, v_permitted
    from lending_private.actor as a
    left join lending_private.role_operation as p on p.role = a.role and p.operation = authorize.operation
   where a.name = v_name;
  if v_active is not true then
    perform lending_private.fail('unauthenticated', format('Actor %s does not exist or is deactivated', v_name),
                                 jsonb_build_object('actor', v_name));
  end if;
  if not v_permitted then
    perform lending_private.fail(
      'forbidden',
      format('Actor %s (role %s) may not %s', v_name, v_role, operation),
      jsonb_build_object('actor', v_name, 'role', v_role, 'operation', operation,
                         'allowed_roles', (select coalesce(to_jsonb(array_agg(p.role order by p.role)), '[]')
                                             from lending_private.role_operation as p
                                            where p.operation = authorize.operation)));
  end if;
  v_name := lending_private.act_as(v_name, request_id);
  return v_role;
end;
$$;
comment on function lending_private.authorize(text, text, text) is
  'identify(), and refuses with forbidden unless the actor''s role may perform the operation. Returns the role.';

drop trigger _150_guard_administration on lending_private.actor;

-- db/src/access/lending_private.guard_administration.sql
drop function lending_private.guard_administration();

-- db/src/access/lending_private.lock_administration.sql
drop function lending_private.lock_administration();

-- db/src/access/lending_private.session_is_superuser.sql
drop function lending_private.session_is_superuser();

delete from lending_private.error_code where code in ('operator_protected', 'admin_self_demotion', 'last_admin');

reset role;
